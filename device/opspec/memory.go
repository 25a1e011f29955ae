package opspec

import (
	"math/rand/v2"

	"github.com/gputrain/gputrain/device"
)

// fillValue is the value the fill op writes.
const fillValue = 0.375

var memoryOps = []Op{
	{
		Name: "fill", Family: "memory", Dims: 1,
		Inputs:  func(*rand.Rand, Shape) [][]float32 { return nil },
		Outputs: func(s Shape) []int { return []int{s.M} },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.Fill(b[0], s.M, fillValue)
		},
		Check: []int{0},
		Ref: func(s Shape, _ [][]float32, _ []int32) [][]float64 {
			out := make([]float64, s.M)
			for i := range out {
				out[i] = fillValue
			}
			return [][]float64{out}
		},
		Tol: fixedTol(0, 0), Flops: perElement(0), Bytes: perElement(4),
	},
	{
		Name: "copy", Family: "memory", Dims: 1,
		Inputs:  func(rng *rand.Rand, s Shape) [][]float32 { return [][]float32{random(rng, s.M)} },
		Outputs: func(s Shape) []int { return []int{s.M} },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.Copy(b[1], b[0], s.M)
		},
		Check: []int{1},
		Ref:   func(_ Shape, in [][]float32, _ []int32) [][]float64 { return [][]float64{to64(in[0])} },
		Tol:   fixedTol(0, 0), Flops: perElement(0), Bytes: perElement(8),
	},
	{
		// M rows gathered from a source of M+3 rows of N columns, in a
		// shuffled order with an offset into the index buffer.
		Name: "gather_rows", Family: "memory", Dims: 2,
		Inputs: func(rng *rand.Rand, s Shape) [][]float32 { return [][]float32{random(rng, (s.M+3)*s.N)} },
		Index: func(rng *rand.Rand, s Shape) []int32 {
			idx := make([]int32, s.M+1)
			for i := range idx {
				idx[i] = int32(rng.IntN(s.M + 3))
			}
			return idx
		},
		Outputs: func(s Shape) []int { return []int{s.M * s.N} },
		Run: func(d device.Device, s Shape, b []device.Buffer, idx device.IndexBuffer) {
			d.GatherRows(b[0], idx, 1, b[1], s.M, s.N)
		},
		Check: []int{1},
		Ref: func(s Shape, in [][]float32, idx []int32) [][]float64 {
			out := make([]float64, s.M*s.N)
			for i := range s.M {
				j := int(idx[1+i])
				for c := range s.N {
					out[i*s.N+c] = float64(in[0][j*s.N+c])
				}
			}
			return [][]float64{out}
		},
		Tol:   fixedTol(0, 0),
		Flops: perElement(0),
		Bytes: func(s Shape) float64 { return 4*float64(s.M) + 8*float64(s.M)*float64(s.N) },
	},
}
