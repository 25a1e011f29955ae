package opspec

import (
	"math/rand/v2"

	"github.com/gputrain/gputrain/device"
)

// The dropout entry's probability and seed.
const (
	dropoutP    = 0.3
	dropoutSeed = 0x5eed
)

var elementwiseOps = []Op{
	{
		Name: "mul", Family: "elementwise", Dims: 1,
		Inputs:  func(rng *rand.Rand, s Shape) [][]float32 { return [][]float32{random(rng, s.M), random(rng, s.M)} },
		Outputs: func(s Shape) []int { return []int{s.M} },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.Mul(b[0], b[1], b[2], s.M)
		},
		Check: []int{2},
		Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
			out := make([]float64, s.M)
			for i := range out {
				out[i] = float64(in[0][i]) * float64(in[1][i])
			}
			return [][]float64{out}
		},
		// One float32 rounding of the exact product.
		Tol: fixedTol(6e-8, 0), Flops: perElement(1), Bytes: perElement(12),
	},
	{
		Name: "dropout", Family: "elementwise", Dims: 1,
		Inputs:  func(rng *rand.Rand, s Shape) [][]float32 { return [][]float32{random(rng, s.M)} },
		Outputs: func(s Shape) []int { return []int{s.M} },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.Dropout(b[0], b[1], s.M, dropoutP, dropoutSeed)
		},
		Check: []int{0, 1},
		Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
			x, mask := make([]float64, s.M), make([]float64, s.M)
			scale := float64(float32(1) / float32(1-float32(dropoutP)))
			for i := range x {
				if device.DropoutKeep(dropoutSeed, i, dropoutP) {
					mask[i] = scale
				}
				x[i] = float64(in[0][i]) * mask[i]
			}
			return [][]float64{x, mask}
		},
		Tol: fixedTol(6e-8, 0), Flops: perElement(1), Bytes: perElement(12),
	},
}
