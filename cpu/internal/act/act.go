// Package act holds the CPU backend's activation functions: one entry per
// device.Activation, indexed by it, with the forward and the backward over
// a slice. Adding an activation to the CPU backend is adding its entry
// here. Functions are single-threaded and allocate nothing; the caller
// splits large inputs over workers.
package act

import (
	"math"

	"github.com/gputrain/gputrain/cpu/internal/vec"
	"github.com/gputrain/gputrain/device"
)

// Func is one activation on the CPU. alpha is the activation's parameter
// (device.ActivationSpec.Param), ignored by those without one.
type Func struct {
	// Forward sets out[i] = f(z[i]); out may be z.
	Forward func(out, z []float32, alpha float32)
	// Backward sets dz[i] = dout[i]·f′(z[i]), given the pre-activation z
	// and the output out = f(z): each activation reads whichever gives
	// its derivative more cheaply (tanh′ = 1 − out², without a second
	// tanh). dz may be dout.
	Backward func(dz, z, out, dout []float32, alpha float32)
	// Cost is the forward's work per element relative to an add, for
	// deciding when to split over workers.
	Cost int
}

// Table is every activation's CPU functions, indexed by device.Activation.
var Table = [...]Func{
	device.Identity: {
		Forward:  func(out, z []float32, _ float32) { copy(out, z) },
		Backward: func(dz, _, _, dout []float32, _ float32) { copy(dz, dout) },
		Cost:     1,
	},
	device.Tanh: {
		Forward:  func(out, z []float32, _ float32) { vec.Tanh(out, z) },
		Backward: func(dz, _, out, dout []float32, _ float32) { vec.TanhGrad(dz, out, dout) },
		Cost:     8,
	},
	device.ReLU: {
		// out > 0 exactly where z > 0.
		Forward:  func(out, z []float32, _ float32) { vec.ReLU(out, z) },
		Backward: func(dz, _, out, dout []float32, _ float32) { vec.ReLUGrad(dz, out, dout) },
		Cost:     1,
	},
	device.Sigmoid: {
		Forward:  func(out, z []float32, _ float32) { vec.Sigmoid(out, z) },
		Backward: func(dz, _, out, dout []float32, _ float32) { vec.SigmoidGrad(dz, out, dout) },
		Cost:     8,
	},
	device.GELU: {
		// In float64, rounded once: 0.5·z·(1 + tanh(u)), u = √(2/π)·(z +
		// 0.044715·z³); f′ = (1 + t)/2 + z·(1 − t²)·u′/2, t = tanh(u).
		Forward: func(out, z []float32, _ float32) {
			for i, v := range z[:len(out)] {
				x := float64(v)
				out[i] = float32(0.5 * x * (1 + math.Tanh(geluK*(x+0.044715*x*x*x))))
			}
		},
		Backward: func(dz, z, _, dout []float32, _ float32) {
			for i, v := range z[:len(dz)] {
				x := float64(v)
				t := math.Tanh(geluK * (x + 0.044715*x*x*x))
				dz[i] = float32(float64(dout[i]) * (0.5*(1+t) + 0.5*x*(1-t*t)*geluK*(1+3*0.044715*x*x)))
			}
		},
		Cost: 16,
	},
	device.SiLU: {
		// z·σ(z) and σ(z)·(1 + z·(1 − σ(z))), in float64, rounded once.
		Forward: func(out, z []float32, _ float32) {
			for i, v := range z[:len(out)] {
				x := float64(v)
				out[i] = float32(x * sigmoid(x))
			}
		},
		Backward: func(dz, z, _, dout []float32, _ float32) {
			for i, v := range z[:len(dz)] {
				x := float64(v)
				s := sigmoid(x)
				dz[i] = float32(float64(dout[i]) * s * (1 + x*(1-s)))
			}
		},
		Cost: 8,
	},
	device.LeakyReLU: {
		Forward: func(out, z []float32, alpha float32) {
			for i, v := range z[:len(out)] {
				if v > 0 {
					out[i] = v
				} else {
					out[i] = alpha * v
				}
			}
		},
		Backward: func(dz, z, _, dout []float32, alpha float32) {
			for i, v := range z[:len(dz)] {
				if v > 0 {
					dz[i] = dout[i]
				} else {
					dz[i] = alpha * dout[i]
				}
			}
		},
		Cost: 1,
	},
	device.ELU: {
		// α = 1: e^z − 1 (expm1, without the cancellation near 0) and
		// f′ = e^z for z ≤ 0, in float64, rounded once.
		Forward: func(out, z []float32, _ float32) {
			for i, v := range z[:len(out)] {
				if v > 0 {
					out[i] = v
				} else {
					out[i] = float32(math.Expm1(float64(v)))
				}
			}
		},
		Backward: func(dz, z, _, dout []float32, _ float32) {
			for i, v := range z[:len(dz)] {
				if v > 0 {
					dz[i] = dout[i]
				} else {
					dz[i] = float32(float64(dout[i]) * math.Exp(float64(v)))
				}
			}
		},
		Cost: 8,
	},
}

// geluK is √(2/π), GELU's tanh-approximation constant.
const geluK = math.Sqrt2 / math.SqrtPi

// sigmoid is 1/(1 + e^−x), from the side where e^±x cannot overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
