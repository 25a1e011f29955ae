package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// A class index is a whole number in [0, classes): the last class is one,
// the number of classes is not.
func TestClassOfBounds(t *testing.T) {
	for _, c := range []struct {
		target float32
		want   int
		err    bool
	}{{0, 0, false}, {2, 2, false}, {3, 0, true}, {-1, 0, true}, {1.5, 0, true}} {
		got, err := classOf([]float32{c.target}, 1, 0, 3)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("classOf(%v) of 3 classes = %d, %v; want %d (error %v)", c.target, got, err, c.want, c.err)
		}
	}
}

// Class weights must match the task and be finite and non-negative.
func TestCheckClassWeights(t *testing.T) {
	binary := Arch{Inputs: 2, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	multi := Arch{Inputs: 2, Outputs: 3, Activation: device.Tanh, Loss: device.SoftmaxCE}
	regression := Arch{Inputs: 2, Outputs: 1, Activation: device.Tanh, Loss: device.MSE}
	for _, c := range []struct {
		name string
		arch Arch
		w    []float64
		err  string
	}{
		{"binary", binary, []float64{1, 0}, ""},
		{"multiclass", multi, []float64{1, 2, 0.5}, ""},
		{"binary, three weights", binary, []float64{1, 1, 1}, "class weights need a binary or multiclass task"},
		{"multiclass, two weights", multi, []float64{1, 1}, "class weights need a binary or multiclass task"},
		{"regression", regression, []float64{1, 1}, "class weights need a binary or multiclass task"},
		{"negative", binary, []float64{1, -1}, "class weight -1 is not a finite non-negative number"},
		{"NaN", binary, []float64{math.NaN(), 1}, "class weight NaN is not"},
		{"infinite", multi, []float64{1, math.Inf(1), 1}, "class weight +Inf is not"},
	} {
		err := checkClassWeights(c.arch, c.w)
		if (c.err == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), c.err)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.err)
		}
	}
}
