package nn

import (
	"math"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
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

// TestInitFromLossAfterOneStep starts the workshop network from given
// parameters and compares the loss before and after one gradient-descent
// step with the float64 reference computed here.
func TestInitFromLossAfterOneStep(t *testing.T) {
	ds, err := data.Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	arch := Arch{Inputs: 41, Hidden: []int{20}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	params := InitParams(arch, InitNormal, 42)
	const lr = 1e-3
	// The float64 reference on the same standardised inputs.
	std := data.FitScaler(ds, nil).Transform(ds)
	x := make([]float64, 0, 1055*41)
	for i := 0; i < std.Rows(); i++ {
		x = append(x, std.Row(i)...)
	}
	y, _, _, _ := data.Encode(ds, data.TaskBinary)
	x32, y32 := make([]float32, len(x)), make([]float32, len(y))
	for i, v := range x {
		x32[i] = float32(v)
	}
	for i, v := range y {
		y32[i] = float32(v)
	}
	// A different seed: the given parameters, not the seed, must decide the start.
	cfg := TrainConfig{Arch: arch, InitFrom: &params, Optim: OptimConfig{Kind: GD, LR: lr}, Steps: 1, Reduction: Sum, Seed: 7}
	tr, err := NewTrainer(cpu.New(), cfg, x32, y32, len(y))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	history, err := tr.Run(nil)
	if err != nil {
		t.Fatal(err)
	}
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
	t.Logf("float64 reference: loss %.6f at init, %.6f after one step; gputrain: %.6f, %.6f", loss0, loss1, history[0].Loss, history[1].Loss)
	if math.Abs(loss1-loss0) < 1 {
		t.Fatalf("the step barely moved the loss (%v → %v): the test would not notice a wrong update", loss0, loss1)
	}
	for i, want := range []float64{loss0, loss1} {
		if got := history[i].Loss; math.Abs(got-want) > 1e-5*want {
			t.Errorf("loss after %d steps = %.6f, float64 reference %.6f", i, got, want)
		}
	}
}
