package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// TestVerifyEveryLossAndReduction trains every loss with both reductions,
// in minibatches whose last one is short, against the float64 reference:
// the reduced gradient's scale (rows, or rows × outputs for the
// element-wise losses) is worked out by the reference on its own, so a
// wrong divisor in the trainer shows here for each loss.
func TestVerifyEveryLossAndReduction(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const rows = 23
	for _, arch := range []Arch{
		{Inputs: 4, Hidden: []int{5}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic},
		// Two independent 0/1 targets a row: the loss reads k columns.
		{Inputs: 4, Hidden: []int{5}, Outputs: 2, Activation: device.Tanh, Loss: device.Logistic},
		{Inputs: 4, Hidden: []int{5}, Outputs: 3, Activation: device.ReLU, Loss: device.SoftmaxCE},
		{Inputs: 4, Hidden: []int{5}, Outputs: 2, Activation: device.Sigmoid, Loss: device.MSE},
	} {
		x, y := randomProblem(rng, arch, rows)
		for _, red := range []Reduction{Mean, Sum} {
			cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: SGD, LR: 0.05}, BatchSize: 10,
				Steps: 12, Reduction: red, Seed: 3}
			res, err := Verify([]device.Device{cpu.New()}, cfg, x, y, rows, DefaultTolerance)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 || len(res[0].Diffs) != 2*arch.Layers() {
				t.Fatalf("%s: %d comparisons, want 1 of every weight and bias", arch, len(res))
			}
			if !res[0].OK() {
				t.Errorf("%s, %s reduction: worst %+v", arch, red, res[0].Worst())
			}
		}
	}
}

// TestVerifyClassWeightsInMinibatches trains with class weights in
// shuffled minibatches, the last one short, against the float64 reference,
// which weights each row from its own label: the trainer's per-batch
// grouping of rows by class must follow each epoch's row order.
func TestVerifyClassWeightsInMinibatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const rows = 23
	for _, arch := range []Arch{
		{Inputs: 4, Hidden: []int{5}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic},
		{Inputs: 4, Hidden: []int{5}, Outputs: 3, Activation: device.ReLU, Loss: device.SoftmaxCE},
	} {
		x, y := randomProblem(rng, arch, rows)
		weights := []float64{0.5, 2, 1.25}[:max(arch.Outputs, 2)]
		for _, red := range []Reduction{Mean, Sum} {
			cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: SGD, LR: 0.05}, BatchSize: 10,
				Steps: 12, Reduction: red, ClassWeights: weights, Seed: 4}
			res, err := Verify([]device.Device{cpu.New()}, cfg, x, y, rows, DefaultTolerance)
			if err != nil {
				t.Fatal(err)
			}
			if !res[0].OK() {
				t.Errorf("%s, %s reduction: worst %+v", arch, red, res[0].Worst())
			}
		}
	}
}

// TestVerifyDropoutAndWeightDecay trains with dropout (fresh masks every
// update, from the run's dropout stream) and weight decay, with each
// optimizer, against the float64 reference.
func TestVerifyDropoutAndWeightDecay(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const rows = 23
	arch := Arch{Inputs: 4, Hidden: []int{6, 5}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	x, y := randomProblem(rng, arch, rows)
	for _, opt := range []OptimConfig{
		{Kind: SGD, LR: 0.05, WeightDecay: 0.01},
		{Kind: Momentum, LR: 0.05, Momentum: 0.9, WeightDecay: 0.01},
		{Kind: Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01},
	} {
		cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: opt, BatchSize: 10, Dropout: 0.3,
			Steps: 12, Reduction: Mean, Seed: 5}
		res, err := Verify([]device.Device{cpu.New()}, cfg, x, y, rows, DefaultTolerance)
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].OK() {
			t.Errorf("%s: worst %+v", opt.Kind, res[0].Worst())
		}
	}
}
