package opspec

import (
	"math/rand/v2"

	"github.com/gputrain/gputrain/device"
)

// Gemm64 is the float64 reference of device.Gemm: alpha·op(A)·op(B) +
// beta·C for row-major A, B and C stored without padding (c nil reads as 0).
func Gemm64(transA, transB bool, m, n, k int, alpha float64, a, b []float32, beta float64, c []float32) []float64 {
	out := make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				ai, bi := i*k+p, p*n+j
				if transA {
					ai = p*m + i
				}
				if transB {
					bi = j*k + p
				}
				s += float64(a[ai]) * float64(b[bi])
			}
			out[i*n+j] = alpha * s
			if c != nil {
				out[i*n+j] += beta * float64(c[i*n+j])
			}
		}
	}
	return out
}

var gemmOps = []Op{{
	// C = A·B with beta 0 over a poisoned C: the forward product of a
	// dense layer.
	Name: "gemm", Family: "gemm", Dims: 3,
	Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
		return [][]float32{random(rng, s.M*s.K), random(rng, s.K*s.N)}
	},
	Outputs: func(s Shape) []int { return []int{s.M * s.N} },
	Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
		device.Gemm(d, false, false, s.M, s.N, s.K, 1, b[0], b[1], 0, b[2])
	},
	Check: []int{2},
	Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
		return [][]float64{Gemm64(false, false, s.M, s.N, s.K, 1, in[0], in[1], 0, nil)}
	},
	// float32 accumulation of K products of magnitude ≤ 1: the error grows
	// like K·eps.
	Tol:   func(s Shape) (float64, float64) { return 1e-5, 1e-6 * float64(s.K) },
	Flops: func(s Shape) float64 { return 2 * float64(s.M) * float64(s.N) * float64(s.K) },
	Bytes: func(s Shape) float64 {
		return 4 * (float64(s.M)*float64(s.K) + float64(s.K)*float64(s.N) + float64(s.M)*float64(s.N))
	},
}}
