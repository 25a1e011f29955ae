package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// One gradient-descent step with class weights moves every parameter by
// the weighted gradient of the float64 reference: the weights scale the
// whole logits gradient, all K columns of every row (the loss alone, as
// TestClassWeightedLoss checks, does not see the gradient).
func TestClassWeightedGradientStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const rows, lr = 23, 0.05
	for _, arch := range []Arch{
		{Inputs: 3, Hidden: []int{5}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic},
		{Inputs: 3, Hidden: []int{5}, Outputs: 3, Activation: device.Tanh, Loss: device.SoftmaxCE},
	} {
		x, y := randomProblem(rng, arch, rows)
		weights := []float64{0.5, 2, 1.25}[:max(arch.Outputs, 2)]
		params := InitParams(arch, InitGlorot, 5)
		ref := newRef64(arch, params)
		ref.weights = refRowWeights(weights, y, rows)
		_, gw, gb := ref.lossGrad(f64(x), f64(y), rows)
		cfg := TrainConfig{Arch: arch, InitFrom: &params, Optim: OptimConfig{Kind: GD, LR: lr},
			Steps: 1, Reduction: Sum, ClassWeights: weights, Seed: 1}
		tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Run(nil); err != nil {
			t.Fatal(err)
		}
		got, err := tr.Params()
		tr.Close()
		if err != nil {
			t.Fatal(err)
		}
		for l := range gw {
			for i, g := range gw[l] {
				if want := float64(params.W[l][i]) - lr*g; math.Abs(float64(got.W[l][i])-want) > 1e-5 {
					t.Fatalf("%s: W[%d][%d] = %v after one step, float64 reference %v", arch, l, i, got.W[l][i], want)
				}
			}
			for i, g := range gb[l] {
				if want := float64(params.B[l][i]) - lr*g; math.Abs(float64(got.B[l][i])-want) > 1e-5 {
					t.Fatalf("%s: B[%d][%d] = %v after one step, float64 reference %v", arch, l, i, got.B[l][i], want)
				}
			}
		}
	}
}

// A class weight beyond float32's range (finite as a float64) makes the
// weighted logits gradient infinite in that class's rows; --detect-anomaly
// scans the whole gradient, rows × classes values, and names it. The row of
// the heavy class is the last, where a scan of too few values would miss it.
func TestHeavyClassWeightAnomaly(t *testing.T) {
	arch := Arch{Inputs: 1, Outputs: 3, Loss: device.SoftmaxCE}
	start := Params{W: [][]float32{{0.1, 0.2, 0.3}}, B: [][]float32{{0, 0, 0}}}
	cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 1, Reduction: Sum,
		ClassWeights: []float64{1, 1, 1e39}, DetectAnomaly: true}
	tr, err := NewTrainer(cpu.New(), cfg, []float32{1, 2, 3}, []float32{0, 1, 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Run(nil)
	tr.Close()
	var de *DivergenceError
	if !errors.As(err, &de) || de.Anomaly == nil || de.Anomaly.Tensor != "weighted logits gradient" {
		t.Fatalf("error %v, want an anomaly in the weighted logits gradient", err)
	}
}
