package opspec

import (
	"math"
	"math/rand/v2"

	"github.com/gputrain/gputrain/device"
)

// The hyper-parameters the optimizer entries use; Adam runs its third step
// so that the bias corrections matter.
const (
	optLR, optWD, optMomentum  = 0.01, 0.1, 0.9
	optBeta1, optBeta2, optEps = 0.9, 0.999, 1e-8
	optAdamStep                = 3
)

var optimOps = []Op{
	// Plain SGD is the step the Python references time (bench/reference),
	// with two flops per element; sgd_decay adds the L2 weight decay.
	sgdOp("sgd", 0, 2),
	sgdOp("sgd_decay", optWD, 4),
	{
		Name: "momentum", Family: "optim", Dims: 1,
		Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
			return [][]float32{random(rng, s.M), random(rng, s.M), random(rng, s.M)}
		},
		Outputs: func(Shape) []int { return nil },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.MomentumStep(b[0], b[1], b[2], s.M, optLR, optMomentum, optWD)
		},
		Check: []int{0, 2},
		Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
			p, v := make([]float64, s.M), make([]float64, s.M)
			for i := range p {
				p0 := float64(in[0][i])
				v[i] = optMomentum*float64(in[2][i]) + float64(in[1][i]) + optWD*p0
				p[i] = p0 - optLR*v[i]
			}
			return [][]float64{p, v}
		},
		Tol: fixedTol(1e-6, 1e-7), Flops: perElement(5), Bytes: perElement(20),
	},
	{
		Name: "adam", Family: "optim", Dims: 1,
		Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
			v := random(rng, s.M)
			for i := range v {
				v[i] *= v[i] // the second moment is non-negative
			}
			return [][]float32{random(rng, s.M), random(rng, s.M), random(rng, s.M), v}
		},
		Outputs: func(Shape) []int { return nil },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.AdamStep(b[0], b[1], b[2], b[3], s.M, optLR, optBeta1, optBeta2, optEps, optWD, optAdamStep)
		},
		Check: []int{0, 2, 3},
		Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
			p, m, v := make([]float64, s.M), make([]float64, s.M), make([]float64, s.M)
			for i := range p {
				p0 := float64(in[0][i])
				g := float64(in[1][i]) + optWD*p0
				m[i] = optBeta1*float64(in[2][i]) + (1-optBeta1)*g
				v[i] = optBeta2*float64(in[3][i]) + (1-optBeta2)*g*g
				mHat := m[i] / (1 - math.Pow(optBeta1, optAdamStep))
				vHat := v[i] / (1 - math.Pow(optBeta2, optAdamStep))
				p[i] = p0 - optLR*mHat/(math.Sqrt(vHat)+optEps)
			}
			return [][]float64{p, m, v}
		},
		Tol: fixedTol(1e-5, 1e-6), Flops: perElement(13), Bytes: perElement(28),
	},
}

func sgdOp(name string, wd float32, flops float64) Op {
	return Op{
		Name: name, Family: "optim", Dims: 1,
		Inputs:  func(rng *rand.Rand, s Shape) [][]float32 { return [][]float32{random(rng, s.M), random(rng, s.M)} },
		Outputs: func(Shape) []int { return nil },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.SGDStep(b[0], b[1], s.M, optLR, wd)
		},
		Check: []int{0},
		Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
			p := make([]float64, s.M)
			for i := range p {
				p0 := float64(in[0][i])
				p[i] = p0 - optLR*(float64(in[1][i])+float64(wd)*p0)
			}
			return [][]float64{p}
		},
		Tol: fixedTol(1e-6, 1e-7), Flops: perElement(flops), Bytes: perElement(12),
	}
}
