package sgemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu/internal/isa"
	"github.com/gputrain/gputrain/cpu/internal/pool"
)

// benchGemm reports GFLOP/s for one shape at the current level.
//
// Napkin math for this 2-core AVX-512 machine: peak fp32 ≈ 2 cores × 2 FMA
// ports × 16 lanes × 2 flops × ~3.5 GHz ≈ 445 GFLOP/s (less at AVX-512
// clocks). A 2048³ product is 2·2048³ = 17.2 GFLOP: ≈ 39 ms at peak, and
// OpenBLAS's AVX-512 kernel (≈ 313 GFLOP/s, 70 % of peak) needs ≈ 55 ms.
// It moves 3 × 16 MiB of operands, negligible next to the flops.
func benchGemm(b *testing.B, transA, transB bool, m, n, k int) {
	rng := rand.New(rand.NewPCG(1, 1))
	a, bb, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	b.ResetTimer()
	for range b.N {
		Sgemm(transA, transB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func forLevels(b *testing.B, f func(b *testing.B)) {
	for _, l := range isa.Available() {
		b.Run(l.String(), func(b *testing.B) {
			prev, _ := isa.Set(l)
			defer isa.Set(prev)
			f(b)
		})
	}
}

// BenchmarkSgemm2048: 17.2 GFLOP per call; target ≥ 313 GFLOP/s (OpenBLAS).
func BenchmarkSgemm2048(b *testing.B) {
	forLevels(b, func(b *testing.B) { benchGemm(b, false, false, 2048, 2048, 2048) })
}

// BenchmarkSgemmShapes covers the training shapes: W2 (batch 128,
// 784-512-512-10) forward, dW and dX products, W3 (batch 1024, 2048 wide),
// and the workshop's 1055×41·41×20 (1.7 MFLOP: ≈ 4 µs at peak, so fixed
// costs decide it), also 200 wide (10 restarts side by side).
func BenchmarkSgemmShapes(b *testing.B) {
	for _, s := range []struct {
		tA, tB  bool
		m, n, k int
	}{
		{false, false, 128, 512, 784}, {true, false, 784, 512, 128}, {false, true, 128, 784, 512},
		{false, false, 1024, 2048, 2048}, {true, false, 2048, 2048, 1024}, {false, true, 1024, 2048, 2048},
		{false, false, 1055, 20, 41}, {true, false, 41, 20, 1055},
		{false, false, 1055, 200, 41}, {true, false, 41, 200, 1055}, // 10 restarts' first layer
	} {
		b.Run(fmt.Sprintf("%dx%dx%d_tA=%v_tB=%v", s.m, s.n, s.k, s.tA, s.tB), func(b *testing.B) {
			benchGemm(b, s.tA, s.tB, s.m, s.n, s.k)
		})
	}
}

// BenchmarkSgemmThin covers the workshop network's output-layer products
// (41→20→1, 1055 rows), with the natural leading dimensions and as one of
// 10 restarts side by side (H a column block of a 1055×200 matrix, dz a
// column of a 1055×10 one): the forward H·w and dW = Hᵀ·dz (n = 1) and
// dH = dz·wᵀ (k = 1). 42 kflop each: ≈ 0.2 µs at one core's peak, so the
// ≈ 84 kB that each reads or writes (L1/L2-resident) decides it.
func BenchmarkSgemmThin(b *testing.B) {
	const rows, hid = 1055, 20
	rng := rand.New(rand.NewPCG(1, 1))
	h, dz, w := randSlice(rng, rows*200), randSlice(rng, rows*10), randSlice(rng, hid)
	out := make([]float32, rows*200)
	for _, s := range []struct {
		name string
		f    func()
	}{
		{"fwd", func() { Sgemm(false, false, rows, 1, hid, 1, h, hid, w, 1, 0, out, 1) }},
		{"dW", func() { Sgemm(true, false, hid, 1, rows, 1, h, hid, dz, 1, 0, out, 1) }},
		{"dH", func() { Sgemm(false, true, rows, hid, 1, 1, dz, 1, w, 1, 0, out, hid) }},
		{"fwd_restart", func() { Sgemm(false, false, rows, 1, hid, 1, h, 200, w, 1, 0, out, 10) }},
		{"dW_restart", func() { Sgemm(true, false, hid, 1, rows, 1, h, 200, dz, 10, 0, out, 1) }},
		{"dH_restart", func() { Sgemm(false, true, rows, hid, 1, 1, dz, 10, w, 1, 0, out, 200) }},
	} {
		b.Run(s.name, func(b *testing.B) {
			forLevels(b, func(b *testing.B) {
				for b.Loop() {
					s.f()
				}
			})
		})
	}
}

// BenchmarkSplit times one product computed by the caller alone and by the
// pool (its workers hot from the previous iteration), for the sizes around
// parallelFlops: where the pool starts to win is the break-even.
func BenchmarkSplit(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{1055, 20, 10}, {1055, 20, 20}, {1055, 20, 41}, {1055, 40, 41}, {1055, 80, 41}, {1055, 200, 41}, {128, 128, 128}} {
		m, n, k := s[0], s[1], s[2]
		a, bb, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
		for _, par := range []bool{false, true} {
			b.Run(fmt.Sprintf("%dx%dx%d_%.1fMflop/pool=%v", m, n, k, 2*float64(m*n*k)/1e6, par), func(b *testing.B) {
				j := &job{kern: kernelFor(n), m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: bb, ldb: n, c: c, ldc: n}
				for b.Loop() {
					j.plan()
					if par {
						pool.Default().Run(j)
					} else {
						j.Do(0, 1)
					}
				}
			})
		}
	}
}
