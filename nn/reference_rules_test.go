package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// The reference's learning rates are the hand-worked ones too.
func TestRefLR(t *testing.T) {
	const base, total = 0.1, 100
	for _, c := range scheduleCases {
		if got := refLR(c.s, base, c.i, total); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%+v update %d: reference lr %v, want %v", c.s, c.i, got, c.want)
		}
	}
}

// An element whose uniform value equals p exactly is kept ("at least p"):
// the first such index for p = 1/2 is found by search.
func TestRefKeepAtTheBoundary(t *testing.T) {
	const seed = 1
	for i := 0; i < 1<<26; i++ {
		if device.DropoutUniform(seed, i) == 0.5 {
			if !refKeep(seed, i, 0.5) {
				t.Errorf("element %d, uniform value 0.5: dropped at p = 0.5", i)
			}
			return
		}
	}
	t.Fatal("no element with a uniform value of exactly 0.5 among the first 2^26 (the search is deterministic: has the hash changed?)")
}

// A class label beyond the class weights is an error of the run, not a
// crash of the reference that Verify runs first.
func TestVerifyRefusesALabelBeyondTheWeights(t *testing.T) {
	arch := Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	x, _ := randomProblem(rand.New(rand.NewPCG(1, 2)), arch, 3)
	cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 1, Reduction: Sum,
		ClassWeights: []float64{1, 2}, Seed: 1}
	if _, err := Verify([]device.Device{cpu.New()}, cfg, x, []float32{0, 1, 2}, 3, DefaultTolerance); err == nil {
		t.Error("label 2 with two class weights accepted")
	}
}

// A difference exactly at the tolerance (excess 1) is within it.
func TestTensorDiffAtTheTolerance(t *testing.T) {
	if !(TensorDiff{Excess: 1}).OK() || (TensorDiff{Excess: math.Nextafter(1, 2)}).OK() {
		t.Error("excess 1 must be within the tolerance, anything above it outside")
	}
}

// diffTensor's figures worked by hand: differences 0.1, 0.5 and 0 against
// bounds 0.1 + 0.1·|r| = 0.21, 0.3 and 0.4.
func TestDiffTensor(t *testing.T) {
	tol := Tolerance{ATol: 0.1, RTol: 0.1}
	d := diffTensor("w", []float64{1.0, 2.5, -3}, []float64{1.1, 2.0, -3}, tol)
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }
	if !near(d.MaxAbs, 0.5) || !near(d.Excess, 0.5/0.3) || !near(d.MaxRel, 0.5/3) {
		t.Errorf("diffTensor = %+v, want MaxAbs 0.5, Excess %v, MaxRel %v", d, 0.5/0.3, 0.5/3)
	}
	if d := diffTensor("z", []float64{0, 0}, []float64{0, 0}, tol); d.MaxRel != 0 || d.Excess != 0 {
		t.Errorf("equal zero tensors: %+v, want no difference", d)
	}
	if d := diffTensor("z", []float64{0, 1}, []float64{0, 0}, tol); !math.IsInf(d.MaxRel, 1) {
		t.Errorf("against a zero reference: %+v, want MaxRel +Inf", d)
	}
}
