package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

func TestScheduleLR(t *testing.T) {
	const base, total = 0.1, 100
	cases := []struct {
		s    Schedule
		i    int
		want float64
	}{
		{Schedule{}, 0, 0.1},
		{Schedule{Kind: ConstantLR}, 99, 0.1},
		{Schedule{Kind: ConstantLR, Warmup: 4}, 0, 0.025},
		{Schedule{Kind: ConstantLR, Warmup: 4}, 3, 0.1},
		{Schedule{Kind: StepLR, StepSize: 10, Gamma: 0.5}, 9, 0.1},
		{Schedule{Kind: StepLR, StepSize: 10, Gamma: 0.5}, 10, 0.05},
		{Schedule{Kind: StepLR, StepSize: 10, Gamma: 0.5}, 25, 0.025},
		{Schedule{Kind: StepLR, StepSize: 10, Gamma: 0.5, Warmup: 10}, 19, 0.1},
		{Schedule{Kind: StepLR, StepSize: 10, Gamma: 0.5, Warmup: 10}, 20, 0.05},
		{Schedule{Kind: CosineLR}, 0, 0.1},
		{Schedule{Kind: CosineLR}, 50, 0.05},
		{Schedule{Kind: CosineLR, MinLR: 0.02}, 50, 0.06},
		{Schedule{Kind: CosineLR, Warmup: 20}, 60, 0.05},
		{Schedule{Kind: CosineLR, Warmup: 20}, 10, 0.1 * 11 / 20},
	}
	for _, c := range cases {
		if got := c.s.LR(base, c.i, total); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%+v update %d: lr %v, want %v", c.s, c.i, got, c.want)
		}
	}
	if err := (Schedule{Kind: StepLR, Gamma: 0.5}).Validate(); err == nil || !strings.Contains(err.Error(), "step size ≥ 1") {
		t.Errorf("step schedule without a step size: %v", err)
	}
	if _, err := ParseSchedule("linear"); err == nil {
		t.Error("ParseSchedule accepts linear")
	}
}

// TestClassWeightedLoss compares the weighted training loss with the
// float64 reference: full batch at the start, and with batches of one row
// (every batch lacks all classes but one) summed over an epoch at
// learning rate 0, which is the full weighted loss again.
func TestClassWeightedLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const rows = 23
	for _, arch := range []Arch{
		{Inputs: 3, Hidden: []int{5}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic},
		{Inputs: 3, Hidden: []int{5}, Outputs: 3, Activation: device.ReLU, Loss: device.SoftmaxCE},
	} {
		x, y := randomProblem(rng, arch, rows)
		weights := []float64{0.5, 2, 1.25}[:max(arch.Outputs, 2)]
		params := InitParams(arch, InitGlorot, 3)
		ref := newRef64(arch, params)
		ref.weights = refRowWeights(weights, y, rows)
		want, _, _ := ref.lossGrad(f64(x), f64(y), rows)
		for _, batch := range []int{0, 1} {
			cfg := TrainConfig{Arch: arch, InitFrom: &params, Optim: OptimConfig{Kind: SGD, LR: 0}, BatchSize: batch,
				Steps: 1, Reduction: Sum, ClassWeights: weights, Seed: 1}
			if batch == 1 {
				cfg.Steps = rows
			}
			tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
			if err != nil {
				t.Fatal(err)
			}
			hist, err := tr.Run(nil)
			tr.Close()
			if err != nil {
				t.Fatal(err)
			}
			got := hist[0].Loss
			if batch == 1 {
				got = 0
				for _, p := range hist {
					got += p.Loss
				}
			}
			if math.Abs(got-want) > 1e-5*math.Abs(want) {
				t.Errorf("%s batch %d: weighted loss %v, float64 reference %v", arch, batch, got, want)
			}
		}
	}
}

// TestNonFiniteNamesTheTensor makes a gradient overflow: x = 1e20 gives a
// finite logit 1e20, an infinite squared error, and an infinite weight
// gradient x·2z. Both the default replay and --detect-anomaly name it.
func TestNonFiniteNamesTheTensor(t *testing.T) {
	arch := Arch{Inputs: 1, Outputs: 1, Loss: device.MSE}
	start := Params{W: [][]float32{{1}}, B: [][]float32{{0}}}
	for _, detect := range []bool{false, true} {
		cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 5, Reduction: Sum, CheckEvery: 3, DetectAnomaly: detect}
		tr, err := NewTrainer(cpu.New(), cfg, []float32{1e20}, []float32{0}, 1)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.Run(nil)
		tr.Close()
		var de *DivergenceError
		if !errors.As(err, &de) || de.Step != 0 || de.Anomaly == nil {
			t.Fatalf("detect %v: error %v, want divergence at step 0 naming a tensor", detect, err)
		}
		want := "layers.0.weight gradient became +Inf in the backward pass of update 1"
		if de.Anomaly.String() != want || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "training diverged at step 0: ") {
			t.Errorf("detect %v: %v; want it to say %q", detect, err, want)
		}
		t.Logf("detect %v: %v", detect, err)
	}
	// A forward overflow: x·w = 2·3e38.
	start.W[0][0] = 2
	cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 5, Reduction: Sum}
	tr, _ := NewTrainer(cpu.New(), cfg, []float32{3e38}, []float32{0}, 1)
	_, err := tr.Run(nil)
	tr.Close()
	if err == nil || !strings.Contains(err.Error(), "layers.0 input·weight became +Inf in the forward pass of update 1") {
		t.Errorf("forward overflow: %v", err)
	}
}
