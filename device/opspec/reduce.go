package opspec

import (
	"math/rand/v2"

	"github.com/gputrain/gputrain/device"
)

var reduceOps = []Op{{
	Name: "column_sums", Family: "reduce", Dims: 2,
	Inputs:  func(rng *rand.Rand, s Shape) [][]float32 { return [][]float32{random(rng, s.M*s.N)} },
	Outputs: func(s Shape) []int { return []int{s.N} },
	Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
		d.ColumnSums(b[0], s.M, s.N, b[1])
	},
	Check: []int{1},
	Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
		out := make([]float64, s.N)
		for i, v := range in[0] {
			out[i%s.N] += float64(v)
		}
		return [][]float64{out}
	},
	Tol:   func(s Shape) (float64, float64) { return 1e-5, 1e-6 * float64(s.M) },
	Flops: perElement(1),
	Bytes: func(s Shape) float64 { return 4 * (float64(s.M)*float64(s.N) + float64(s.N)) },
}}
