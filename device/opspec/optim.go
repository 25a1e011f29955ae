package opspec

import (
	"math"
	"math/rand/v2"

	"github.com/gputrain/gputrain/device"
)

// The hyper-parameters the optimizer entries use; Adam and AdamW run their
// third step so that the bias corrections matter.
const (
	optLR, optWD, optMomentum  = 0.01, 0.1, 0.9
	optBeta1, optBeta2, optEps = 0.9, 0.999, 1e-8
	optAlpha                   = 0.99
	optAdamStep                = 3
	optL1                      = 0.03
)

// adamArgs are adam_step's and adamw_step's scalars with wd in slot 6 (the
// L2 decay for Adam, the factor 1 − lr·wd for AdamW); the reciprocal bias
// corrections are computed in float64, as the optimizer rules do.
func adamArgs(wd float64) device.OptimArgs {
	return device.OptimArgs{optLR, optBeta1, 1 - optBeta1, optBeta2, 1 - optBeta2, optEps, float32(wd),
		float32(1 / (1 - math.Pow(optBeta1, optAdamStep))), float32(1 / (1 - math.Pow(optBeta2, optAdamStep)))}
}

// adam64 is Adam's step in float64 on one parameter p with gradient d and
// moments m, v (updated).
func adam64(p, d float64, m, v *float64) float64 {
	*m = optBeta1**m + (1-optBeta1)*d
	*v = optBeta2**v + (1-optBeta2)*d*d
	mHat := *m / (1 - math.Pow(optBeta1, optAdamStep))
	vHat := *v / (1 - math.Pow(optBeta2, optAdamStep))
	return p - optLR*mHat/(math.Sqrt(vHat)+optEps)
}

var optimOps = []Op{
	// Plain SGD is the step the Python references time (bench/reference),
	// with two flops per element; sgd_decay adds the L2 weight decay.
	updateOp("sgd", "sgd_step", 0, -1, device.OptimArgs{optLR, 0}, 2, 1e-6,
		func(p, g float64, _ []float64) float64 { return p - optLR*g }),
	updateOp("sgd_decay", "sgd_step", 0, -1, device.OptimArgs{optLR, optWD}, 4, 1e-6,
		func(p, g float64, _ []float64) float64 { return p - optLR*(g+optWD*p) }),
	updateOp("momentum", "momentum_step", 1, -1, device.OptimArgs{optLR, optMomentum, optWD}, 5, 1e-6,
		func(p, g float64, s []float64) float64 {
			s[0] = optMomentum*s[0] + g + optWD*p
			return p - optLR*s[0]
		}),
	updateOp("adam", "adam_step", 2, 1, adamArgs(optWD), 13, 1e-5,
		func(p, g float64, s []float64) float64 { return adam64(p, g+optWD*p, &s[0], &s[1]) }),
	updateOp("adamw", "adamw_step", 2, 1, adamArgs(1-optLR*optWD), 14, 1e-5,
		func(p, g float64, s []float64) float64 { return adam64(p*(1-optLR*optWD), g, &s[0], &s[1]) }),
	updateOp("rmsprop", "rmsprop_step", 2, 0,
		device.OptimArgs{optLR, optAlpha, 1 - optAlpha, optEps, optWD, optMomentum}, 11, 1e-5,
		func(p, g float64, s []float64) float64 {
			d := g + optWD*p
			s[0] = optAlpha*s[0] + (1-optAlpha)*d*d
			s[1] = optMomentum*s[1] + d/(math.Sqrt(s[0])+optEps)
			return p - optLR*s[1]
		}),
	updateOp("adagrad", "adagrad_step", 1, 0, device.OptimArgs{optLR, optEps, optWD}, 9, 1e-5,
		func(p, g float64, s []float64) float64 {
			d := g + optWD*p
			s[0] += d * d
			return p - optLR*d/(math.Sqrt(s[0])+optEps)
		}),
	{
		Name: "add_l1", Family: "optim", Dims: 1,
		Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
			g, p := random(rng, s.M), random(rng, s.M)
			p[0] = 0 // sign(0) = 0
			return [][]float32{g, p}
		},
		Outputs: func(Shape) []int { return nil },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.AddL1(b[0], b[1], s.M, optL1)
		},
		Check: []int{0},
		Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
			g := make([]float64, s.M)
			for i := range g {
				g[i] = float64(in[0][i])
				switch p := in[1][i]; {
				case p > 0:
					g[i] += optL1
				case p < 0:
					g[i] -= optL1
				}
			}
			return [][]float64{g}
		},
		Tol: fixedTol(1e-7, 1e-8), Flops: perElement(2), Bytes: perElement(12),
	},
}

// updateOp is the entry of one update kernel (device.Optimizers.OptimStep):
// inputs p, g and nState state tensors (the one at index squared made
// non-negative, as a second moment is; −1 for none), checked in p and every
// state tensor against ref, which updates one parameter in float64 (its
// state values in s, in place) and returns the new value.
func updateOp(name, kernel string, nState, squared int, args device.OptimArgs, flops, rtol float64,
	ref func(p, g float64, s []float64) float64) Op {
	check := []int{0}
	for i := range nState {
		check = append(check, 2+i)
	}
	return Op{
		Name: name, Family: "optim", Dims: 1,
		Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
			in := [][]float32{random(rng, s.M), random(rng, s.M)}
			for i := range nState {
				st := random(rng, s.M)
				if i == squared {
					for j := range st {
						st[j] *= st[j]
					}
				}
				in = append(in, st)
			}
			return in
		},
		Outputs: func(Shape) []int { return nil },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.OptimStep(kernel, b[0], b[1], b[2:2+nState], s.M, args)
		},
		Check: check,
		Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
			out := make([][]float64, 1+nState)
			for i := range out {
				out[i] = make([]float64, s.M)
			}
			st := make([]float64, nState)
			for i := range s.M {
				for j := range st {
					st[j] = float64(in[2+j][i])
				}
				out[0][i] = ref(float64(in[0][i]), float64(in[1][i]), st)
				for j := range st {
					out[1+j][i] = st[j]
				}
			}
			return out
		},
		Tol:   fixedTol(rtol, rtol/10),
		Flops: perElement(flops),
		// p, g and the state read; p and the state written.
		Bytes: perElement(float64(4 * (3 + 2*nState))),
	}
}
