package devicetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

var activations = []device.Activation{device.Identity, device.Tanh, device.ReLU, device.Sigmoid}

func refActivate(act device.Activation, z float64) float64 {
	switch act {
	case device.Tanh:
		return math.Tanh(z)
	case device.ReLU:
		return math.Max(z, 0)
	case device.Sigmoid:
		return 1 / (1 + math.Exp(-z))
	}
	return z
}

func testBiasActivation(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(5, 1))
	for _, act := range activations {
		for _, rows := range Shapes {
			for _, cols := range []int{1, 20, 41} {
				z, bias := random(rng, rows*cols), random(rng, cols)
				for i := range z {
					z[i] *= 4 // reach the saturated parts of tanh and sigmoid
				}
				zb, bb := upload(t, d, z), upload(t, d, bias)
				out := poisoned(t, d, rows*cols)
				d.BiasActivation(act, zb, bb, out, rows, cols)
				want := make([]float64, rows*cols)
				for i := range want {
					want[i] = refActivate(act, float64(z[i])+float64(bias[i%cols]))
				}
				check(t, fmt.Sprintf("%v rows=%d cols=%d", act, rows, cols), download(t, d, out, rows*cols), want, 1e-5, 1e-6)
				// In place (out == z).
				d.BiasActivation(act, zb, bb, zb, rows, cols)
				check(t, fmt.Sprintf("%v in place rows=%d cols=%d", act, rows, cols), download(t, d, zb, rows*cols), want, 1e-5, 1e-6)
			}
		}
	}
}

func testActivationBackward(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(6, 1))
	for _, act := range activations {
		for _, n := range Shapes {
			out, dout := random(rng, n), random(rng, n)
			if act == device.Sigmoid {
				for i := range out {
					out[i] = (out[i] + 1) / 2 // a sigmoid output lies in (0,1)
				}
			}
			ob, gb := upload(t, d, out), upload(t, d, dout)
			dz := poisoned(t, d, n)
			d.ActivationBackward(act, ob, gb, dz, n)
			want := make([]float64, n)
			for i := range want {
				o := float64(out[i])
				deriv := 1.0
				switch act {
				case device.Tanh:
					deriv = 1 - o*o
				case device.ReLU:
					if o <= 0 {
						deriv = 0
					}
				case device.Sigmoid:
					deriv = o * (1 - o)
				}
				want[i] = float64(dout[i]) * deriv
			}
			check(t, fmt.Sprintf("%v' n=%d", act, n), download(t, d, dz, n), want, 1e-5, 1e-7)
		}
	}
}
