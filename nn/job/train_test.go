package job

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
	"github.com/gputrain/gputrain/nn"
)

func TestInitFromRejectsWrongShapes(t *testing.T) {
	arch := nn.Arch{Inputs: 3, Hidden: []int{4}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	other := nn.Arch{Inputs: 3, Hidden: []int{5}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	b, _ := safetensors.Encode(safetensors.File{Tensors: ParamTensors(other, nn.InitParams(other, nn.InitNormal, 1))})
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
	e := Experiment{Task: data.TaskRegression, Optim: nn.OptimConfig{Kind: nn.GD, LR: 0.1}, Steps: 500, Reduction: nn.Mean, Seed: 1, Init: nn.InitNormal}
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
	var de *nn.DivergenceError
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
	arch := nn.Arch{Inputs: 1, Outputs: 1, Loss: device.MSE}
	cfg := nn.TrainConfig{Arch: arch, Init: nn.InitNormal, Optim: nn.OptimConfig{Kind: nn.GD, LR: 0.1}, Steps: 5, Reduction: nn.Sum, CheckEvery: 2}
	tr, err := nn.NewTrainer(cpu.New(), cfg, []float32{float32(math.Inf(1))}, []float32{0}, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Run(nil)
	var de *nn.DivergenceError
	if !errors.As(err, &de) || de.Step != 0 {
		t.Fatalf("error %v, want divergence at step 0", err)
	}
}

// TestSameSeedSameRun checks bit-identical runs for the same seed, with
// minibatches, dropout and Adam, and a different run for another seed.
func TestSameSeedSameRun(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(5)
	e.Optim = nn.OptimConfig{Kind: nn.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	e.BatchSize, e.Steps, e.Dropout, e.Reduction = 64, 60, 0.2, nn.Mean
	run := func(seed uint64) nn.Params {
		e.Seed = seed
		res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.Model.Params
	}
	a, b, c := run(5), run(5), run(6)
	same := func(p, q nn.Params) bool {
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

// TestInitFromFileDecidesTheStart reads the starting parameters from a
// safetensors file: a run of no updates keeps exactly them, whatever the
// seed.
func TestInitFromFileDecidesTheStart(t *testing.T) {
	ds, err := data.Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	arch := nn.Arch{Inputs: 41, Hidden: []int{20}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	params := nn.InitParams(arch, nn.InitNormal, 42)
	path := filepath.Join(t.TempDir(), "init.safetensors")
	b, err := safetensors.Encode(safetensors.File{Tensors: ParamTensors(arch, params)})
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e := workshop(7)
	e.InitFromPath, e.Steps = path, 0
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := paramsDiffer(arch, res.Model.Params, params); d != "" {
		t.Errorf("the run did not start from the file: %s", d)
	}
}
