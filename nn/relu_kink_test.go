package nn

import (
	"math"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// At ReLU's kink, z = 0 exactly (zero inputs and biases), the derivative
// is 0, as in PyTorch: no gradient reaches the hidden biases, in the
// float64 reference as on the device, while the output bias still gets
// one.
func TestReLUKinkHasZeroDerivative(t *testing.T) {
	arch := Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.ReLU, Loss: device.MSE}
	params := InitParams(arch, InitGlorot, 4)
	x, y := make([]float32, 4*arch.Inputs), []float32{1, -1, 2, 0.5}
	got, _ := deviceGradients(t, arch, params, x, y, 4, 0, 0)
	_, _, gb := newRef64(arch, params).lossGrad(f64(x), f64(y), 4)
	for j := range gb[0] {
		if gb[0][j] != 0 || got.B[0][j] != 0 {
			t.Errorf("hidden bias %d: gradient %v on the device, %v in the reference; want 0 at the kink", j, got.B[0][j], gb[0][j])
		}
	}
	if gb[1][0] == 0 || math.Abs(float64(got.B[1][0])-gb[1][0]) > 1e-6 {
		t.Errorf("output bias gradient %v on the device, %v in the reference", got.B[1][0], gb[1][0])
	}
}
