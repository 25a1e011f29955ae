package devicetest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/device/opspec"
)

// activationDevice is what this family's tests need of a device: the family and
// buffers.
type activationDevice interface {
	device.Memory
	device.Activations
}

// activations are the ones the batch-normalisation tests apply fused (the
// batch-normalisation kernels give the activation no parameter).
var activations = []device.Activation{device.Identity, device.Tanh, device.ReLU, device.Sigmoid}

// testAlpha is the parameter given to every activation (those without one
// ignore it), the one the op table's references use.
const testAlpha = opspec.Alpha

// testBiasActivation: for every activation of the table, out = act(z +
// bias) and z left holding z + bias, against the float64 reference (1e-5
// relative + 1e-6); in place (out == z), and with a nil bias.
func testBiasActivation(t *testing.T, d activationDevice) {
	rng := rand.New(rand.NewPCG(5, 1))
	for _, act := range device.AllActivations() {
		for _, rows := range Shapes {
			for _, cols := range []int{1, 20, 41} {
				n := rows * cols
				z, bias := random(rng, n), random(rng, cols)
				for i := range z {
					z[i] *= 4 // reach the saturated parts of tanh and sigmoid
				}
				pre, want := make([]float64, n), make([]float64, n)
				for i := range want {
					pre[i] = float64(z[i] + bias[i%cols])
					want[i] = opspec.Activate64(act, pre[i])
				}
				name := fmt.Sprintf("%v rows=%d cols=%d", act, rows, cols)
				zb, bb := upload(t, d, z), upload(t, d, bias)
				out := poisoned(t, d, n)
				d.BiasActivation(act, testAlpha, zb, bb, out, rows, cols)
				check(t, name, download(t, d, out, n), want, 1e-5, 1e-6)
				check(t, name+" pre-activation", download(t, d, zb, n), pre, 0, 0)
				// No bias: z is the pre-activation as it is.
				d.BiasActivation(act, testAlpha, zb, nil, out, rows, cols)
				check(t, name+" nil bias", download(t, d, out, n), want, 1e-5, 1e-6)
				check(t, name+" nil bias pre-activation", download(t, d, zb, n), pre, 0, 0)
				// In place (out == z).
				zb2 := upload(t, d, z)
				d.BiasActivation(act, testAlpha, zb2, bb, zb2, rows, cols)
				check(t, name+" in place", download(t, d, zb2, n), want, 1e-5, 1e-6)
			}
		}
	}
}

// testActivationBackward: for every activation of the table, dz =
// dout·act′(z) from z and the device's own out = act(z), against the
// float64 derivative (1e-5 relative + 1e-6: tanh′ and sigmoid′ read the
// rounded output); into dz and in place over dout.
func testActivationBackward(t *testing.T, d activationDevice) {
	rng := rand.New(rand.NewPCG(6, 1))
	for _, act := range device.AllActivations() {
		for _, n := range Shapes {
			z, dout := random(rng, n), random(rng, n)
			for i := range z {
				z[i] *= 4
			}
			zb, gb := upload(t, d, z), upload(t, d, dout)
			out := poisoned(t, d, n)
			d.BiasActivation(act, testAlpha, zb, nil, out, n, 1)
			dz := poisoned(t, d, n)
			d.ActivationBackward(act, testAlpha, zb, out, gb, dz, n)
			want := make([]float64, n)
			for i := range want {
				want[i] = float64(dout[i]) * act.Spec().Derivative(float64(z[i]), testAlpha)
			}
			name := fmt.Sprintf("%v' n=%d", act, n)
			check(t, name, download(t, d, dz, n), want, 1e-5, 1e-6)
			d.ActivationBackward(act, testAlpha, zb, out, gb, gb, n)
			check(t, name+" in place", download(t, d, gb, n), want, 1e-5, 1e-6)
		}
	}
}
