package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/atomicfile"
	"github.com/gputrain/gputrain/internal/safetensors"
)

// TestOptimizerStepsByHand trains z = w·x + b on one row (x = 1, y = 0)
// with the summed squared error, from w = 0.5, b = 0.25, so ∂loss/∂w =
// ∂loss/∂b = 2(w + b), and compares two updates of each optimizer with
// values worked out by hand (shown in the comments).
func TestOptimizerStepsByHand(t *testing.T) {
	arch := Arch{Inputs: 1, Outputs: 1, Loss: device.MSE}
	start := Params{W: [][]float32{{0.5}}, B: [][]float32{{0.25}}}
	cases := []struct {
		opt  OptimConfig
		want [2][2]float64 // after update 1 and 2: {w, b}
	}{
		// GD lr 0.1: g = 1.5 → (0.35, 0.10); g = 0.9 → (0.26, 0.01).
		{OptimConfig{Kind: GD, LR: 0.1}, [2][2]float64{{0.35, 0.10}, {0.26, 0.01}}},
		// Momentum 0.9: v = 1.5 → (0.35, 0.10); g = 0.9, v = 0.9·1.5 + 0.9 = 2.25 → (0.125, −0.125).
		{OptimConfig{Kind: Momentum, LR: 0.1, Momentum: 0.9}, [2][2]float64{{0.35, 0.10}, {0.125, -0.125}}},
		// Adam: step 1 moves each parameter by lr·g/|g| = 0.1 → (0.4, 0.15);
		// step 2: g = 1.1, m = 0.245, v = 0.0034605; m̂ = 0.245/0.19,
		// v̂ = 0.0034605/0.001999 → each parameter moves by 0.098044.
		{OptimConfig{Kind: Adam, LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, [2][2]float64{{0.4, 0.15}, {0.3019557611, 0.0519557611}}},
		// Weight decay 0.5 with GD: g_w = 1.5 + 0.5·0.5 = 1.75, g_b = 1.5 + 0.5·0.25 = 1.625.
		{OptimConfig{Kind: GD, LR: 0.1, WeightDecay: 0.5}, [2][2]float64{{0.325, 0.0875}, {0.325 - 0.1*(2*(0.325+0.0875)+0.5*0.325), 0.0875 - 0.1*(2*(0.325+0.0875)+0.5*0.0875)}}},
	}
	for _, c := range cases {
		for steps := 1; steps <= 2; steps++ {
			cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: c.opt, Steps: steps, Reduction: Sum}
			tr, err := NewTrainer(cpu.New(), cfg, []float32{1}, []float32{0}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tr.Run(nil); err != nil {
				t.Fatal(err)
			}
			p, _ := tr.Params()
			got := [2]float64{float64(p.W[0][0]), float64(p.B[0][0])}
			for i, name := range []string{"w", "b"} {
				if math.Abs(got[i]-c.want[steps-1][i]) > 1e-6 {
					t.Errorf("%s after %d updates: %s = %.9f, want %.9f", c.opt.Kind, steps, name, got[i], c.want[steps-1][i])
				}
			}
			tr.Close()
		}
	}
}

// TestInitFromLossAfterOneStep starts the workshop network from parameters
// in a safetensors file and compares the loss before and after one
// gradient-descent step with the float64 reference computed here.
func TestInitFromLossAfterOneStep(t *testing.T) {
	ds, err := data.Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	arch := Arch{Inputs: 41, Hidden: []int{20}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	params := InitParams(arch, InitNormal, 42)
	path := filepath.Join(t.TempDir(), "init.safetensors")
	b, err := safetensors.Encode(safetensors.File{Tensors: ParamTensors(arch, params)})
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	const lr = 1e-3
	e := workshop(7) // a different seed: the file, not the seed, must decide the start
	e.InitFromPath, e.Steps, e.Optim.LR = path, 1, lr
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The float64 reference on the same standardised inputs.
	std := data.FitScaler(ds, nil).Transform(ds)
	x := make([]float64, 0, 1055*41)
	for i := 0; i < std.Rows(); i++ {
		x = append(x, std.Row(i)...)
	}
	y, _, _, _ := data.Encode(ds, data.TaskBinary)
	ref := newRef64(arch, params)
	loss0, gw, gb := ref.lossGrad(x, y, 1055)
	for l := range ref.w {
		for i := range ref.w[l] {
			ref.w[l][i] -= lr * gw[l][i]
		}
		for i := range ref.b[l] {
			ref.b[l][i] -= lr * gb[l][i]
		}
	}
	loss1, _, _ := ref.lossGrad(x, y, 1055)
	t.Logf("float64 reference: loss %.6f at init, %.6f after one step; gputrain: %.6f, %.6f", loss0, loss1, res.History[0].Loss, res.History[1].Loss)
	if math.Abs(loss1-loss0) < 1 {
		t.Fatalf("the step barely moved the loss (%v → %v): the test would not notice a wrong update", loss0, loss1)
	}
	for i, want := range []float64{loss0, loss1} {
		if got := res.History[i].Loss; math.Abs(got-want) > 1e-5*want {
			t.Errorf("loss after %d steps = %.6f, float64 reference %.6f", i, got, want)
		}
	}
}

func TestInitFromRejectsWrongShapes(t *testing.T) {
	arch := Arch{Inputs: 3, Hidden: []int{4}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	other := Arch{Inputs: 3, Hidden: []int{5}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	b, _ := safetensors.Encode(safetensors.File{Tensors: ParamTensors(other, InitParams(other, InitNormal, 1))})
	path := filepath.Join(t.TempDir(), "p.safetensors")
	atomicfile.Write(path, b, 0o644)
	_, err := LoadParams(path, arch)
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "layers.0.weight") || !strings.Contains(err.Error(), path) {
		t.Fatalf("LoadParams with wrong shapes: %v", err)
	}
}

// TestLinearRegressionRecoversLine fits y = 2x + 20 + N(0,1) on 100 points
// with no hidden layer and checks the slope and intercept.
func TestLinearRegressionRecoversLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rows := make([][]float64, 100)
	labels := make([]string, 100)
	for i := range rows {
		x := rng.NormFloat64()
		rows[i] = []float64{x}
		labels[i] = strconv.FormatFloat(2*x+20+rng.NormFloat64(), 'g', -1, 64)
	}
	ds, err := data.FromRows(rows, labels)
	if err != nil {
		t.Fatal(err)
	}
	e := Experiment{Task: data.TaskRegression, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 500, Reduction: Mean, Seed: 1, Init: InitNormal}
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, b := res.Model.Params.W[0][0], res.Model.Params.B[0][0]
	t.Logf("w = %.4f, b = %.4f, R² = %.4f", w, b, metric(res.Evals[0], "r2"))
	if math.Abs(float64(w)-2) > 0.25 || math.Abs(float64(b)-20) > 0.25 {
		t.Errorf("fitted y = %.4f·x + %.4f, want ≈ 2·x + 20", w, b)
	}
}

// TestLogisticRegressionOnBiodeg trains --hidden "" with the workshop's
// other settings; logistic regression reaches about 0.88 training accuracy.
func TestLogisticRegressionOnBiodeg(t *testing.T) {
	ds, err := data.Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	e := workshop(1)
	e.Hidden = nil
	e.Optim.LR = 1e-3
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	acc := metric(res.Evals[0], "accuracy")
	t.Logf("logistic regression training accuracy %.4f", acc)
	if acc < 0.86 || acc > 0.90 {
		t.Errorf("training accuracy %.4f, want ≈ 0.88 (within [0.86, 0.90])", acc)
	}
}

// TestDivergenceStopsWithStep checks that an absurd learning rate stops the
// run with an error naming the step.
func TestDivergenceStopsWithStep(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(1)
	e.Optim.LR = 1e3
	_, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	var de *DivergenceError
	if !errors.As(err, &de) {
		t.Fatalf("lr 1e3: error %v, want a DivergenceError", err)
	}
	if de.Step < 1 || de.Step > 100 || !strings.Contains(err.Error(), "step") {
		t.Fatalf("divergence reported at step %d: %v", de.Step, err)
	}
}

// TestNaNLossIsReported makes the loss non-finite through the data and
// checks the step is named.
func TestNaNLossIsReported(t *testing.T) {
	arch := Arch{Inputs: 1, Outputs: 1, Loss: device.MSE}
	cfg := TrainConfig{Arch: arch, Init: InitNormal, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 5, Reduction: Sum, CheckEvery: 2}
	tr, err := NewTrainer(cpu.New(), cfg, []float32{float32(math.Inf(1))}, []float32{0}, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Run(nil)
	var de *DivergenceError
	if !errors.As(err, &de) || de.Step != 0 {
		t.Fatalf("error %v, want divergence at step 0", err)
	}
}

// TestSameSeedSameRun checks bit-identical runs for the same seed, with
// minibatches, dropout and Adam, and a different run for another seed.
func TestSameSeedSameRun(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(5)
	e.Optim = OptimConfig{Kind: Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	e.BatchSize, e.Steps, e.Dropout, e.Reduction = 64, 60, 0.2, Mean
	run := func(seed uint64) Params {
		e.Seed = seed
		res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.Model.Params
	}
	a, b, c := run(5), run(5), run(6)
	same := func(p, q Params) bool {
		for l := range p.W {
			for i := range p.W[l] {
				if math.Float32bits(p.W[l][i]) != math.Float32bits(q.W[l][i]) {
					return false
				}
			}
		}
		return true
	}
	if !same(a, b) {
		t.Error("two runs with seed 5 differ")
	}
	if same(a, c) {
		t.Error("seeds 5 and 6 gave the same parameters")
	}
}

// TestModelRoundTrip saves a trained model and loads it back unchanged.
func TestModelRoundTrip(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(1)
	e.Steps = 5
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := res.Model.Save(path); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Arch.String() != res.Model.Arch.String() || m.Task != data.TaskBinary || strings.Join(m.Classes, ",") != "NRB,RB" || len(m.Features) != 41 {
		t.Fatalf("loaded %v task %v classes %v", m.Arch, m.Task, m.Classes)
	}
	for l := range m.Params.W {
		for i, v := range m.Params.W[l] {
			if v != res.Model.Params.W[l][i] {
				t.Fatalf("W[%d][%d] = %v, saved %v", l, i, v, res.Model.Params.W[l][i])
			}
		}
	}
	if m.Scaler == nil || m.Scaler.Mean[0] != res.Model.Scaler.Mean[0] {
		t.Fatal("scaler lost")
	}
	for _, k := range []string{"seed", "data_sha256", "gputrain_version", "go_version", "metrics", "device"} {
		if m.Info[k] == "" {
			t.Errorf("model metadata lacks %q", k)
		}
	}
}
