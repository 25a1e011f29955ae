package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu/internal/isa"
)

// forEachLevel runs f once per kernel level, skipping (with the reason)
// the levels this machine or build cannot run.
func forEachLevel(t *testing.T, f func(t *testing.T)) {
	for l := isa.Generic; l <= isa.AVX512; l++ {
		t.Run(l.String(), func(t *testing.T) {
			prev, err := isa.Set(l)
			if err != nil {
				t.Skipf("not run here: %v", err)
			}
			defer isa.Set(prev)
			f(t)
		})
	}
}

// refGemm is the plain float64 triple loop.
func refGemm(transA, transB bool, m, n, k int, alpha float64, a []float32, lda int, b []float32, ldb int, beta float64, c []float32, ldc int) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			out[i*n+j] = alpha * s
			if beta != 0 {
				out[i*n+j] += beta * float64(c[i*ldc+j])
			}
		}
	}
	return out
}

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	return x
}

// TestSgemmMatchesReference checks every level against the float64 loop at
// odd sizes (below, at and past the tile sizes 4, 6/16, 4/24, 12/32 and the k
// block), all four transposes, several alpha/beta, and matrices that are
// unaligned sub-slices with padded row strides.
func TestSgemmMatchesReference(t *testing.T) {
	shapes := [][3]int{
		{1, 1, 1}, {7, 7, 7}, {1, 20, 41}, {20, 1, 41}, {41, 20, 1}, {13, 33, 17},
		{12, 32, 384}, {25, 65, 385}, {1055, 20, 41}, {41, 20, 1055}, {20, 1, 1055},
		{1055, 1, 20}, {129, 67, 769}, {4097, 3, 5}, {3, 4097, 2},
		{9, 16, 9}, {5, 24, 300}, {6, 8, 130}, {35, 200, 41}, // the AVX2 edge kernel's widths
	}
	if !testing.Short() {
		shapes = append(shapes, [3]int{2049, 33, 40}, [3]int{40, 2049, 9})
	}
	forEachLevel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				for _, ab := range [][2]float32{{1, 0}, {0.75, -0.5}, {-1.5, 1}} {
					testOne(t, rng, tr[0], tr[1], m, n, k, ab[0], ab[1])
				}
			}
		}
	})
}

func testOne(t *testing.T, rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32) {
	t.Helper()
	testStrided(t, rng, transA, transB, m, n, k, alpha, beta, 3, 1, 5)
}

// TestSgemmNaturalStrides covers dense matrices (ld = width), including
// widths that are multiples of 512 (where an untransposed A is packed rather
// than read in place) and blocks wider than the in-place limits.
func TestSgemmNaturalStrides(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, s := range [][3]int{{40, 300, 512}, {13, 1024, 37}, {300, 45, 1024}, {100, 513, 200}} {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				testStrided(t, rng, tr[0], tr[1], s[0], s[1], s[2], 0.5, 0.25, 0, 0, 0)
			}
		}
	})
}

// testStrided checks one product whose stored matrices have their rows
// padded by padA, padB and padC elements.
func testStrided(t *testing.T, rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32, padA, padB, padC int) {
	t.Helper()
	// Stored shapes with padded strides, placed at odd offsets.
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+padA, bc+padB, n+padC
	aOff, bOff, cOff := 1, 3, 7
	a := randSlice(rng, aOff+ar*lda)[aOff:]
	b := randSlice(rng, bOff+br*ldb)[bOff:]
	c := randSlice(rng, cOff+m*ldc)[cOff:]
	if beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	orig := append([]float32(nil), c...)
	want := refGemm(transA, transB, m, n, k, float64(alpha), a, lda, b, ldb, float64(beta), c, ldc)
	Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	name := fmt.Sprintf("m=%d n=%d k=%d tA=%v tB=%v alpha=%v beta=%v", m, n, k, transA, transB, alpha, beta)
	bad := 0
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			got := c[i*ldc+j]
			if j >= n { // padding between rows must be untouched
				if math.Float32bits(got) != math.Float32bits(orig[i*ldc+j]) {
					t.Fatalf("%s: wrote outside C at row %d col %d", name, i, j)
				}
				continue
			}
			w := want[i*n+j]
			if math.IsNaN(float64(got)) || math.Abs(float64(got)-w) > 1e-5*(1+float64(k)/64)*(1+math.Abs(w)) {
				if bad < 3 {
					t.Errorf("%s: C[%d,%d] = %v, want %v", name, i, j, got, w)
				}
				bad++
			}
		}
	}
}

// TestSgemmKZero checks k = 0 and alpha = 0: C = beta·C, and zero when beta is 0.
func TestSgemmKZero(t *testing.T) {
	c := []float32{1, 2, float32(math.NaN()), 4}
	Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
	for i, v := range c {
		if v != 0 {
			t.Fatalf("beta=0, k=0: c[%d] = %v", i, v)
		}
	}
	c = []float32{1, 2, 3, 4}
	Sgemm(false, false, 2, 2, 3, 0, make([]float32, 6), 3, make([]float32, 6), 2, 2, c, 2)
	for i, v := range c {
		if v != float32(2*(i+1)) {
			t.Fatalf("alpha=0: c[%d] = %v", i, v)
		}
	}
}

// TestSgemmDeterministic checks that repeated products, parallel and not,
// are bit-identical, and that the result does not depend on the number of
// workers.
func TestSgemmDeterministic(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		m, n, k := 300, 200, 500
		a, b := randSlice(rng, m*k), randSlice(rng, k*n)
		first := make([]float32, m*n)
		Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, first, n)
		// A single-worker run of the same job.
		single := make([]float32, m*n)
		j := &job{kern: kernelFor(n), transB: true, m: m, n: n, k: k, alpha: 1,
			a: a, lda: k, b: b, ldb: k, c: single, ldc: n}
		j.plan()
		j.Do(0, 1)
		for r := 0; r < 5; r++ {
			c := make([]float32, m*n)
			Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(first[i]) || math.Float32bits(single[i]) != math.Float32bits(first[i]) {
					t.Fatalf("run %d: element %d differs: %v, %v, single worker %v", r, i, c[i], first[i], single[i])
				}
			}
		}
	})
}

// TestSgemmReadsToCapacity gives A and B room past their ends filled with
// NaN (as the CPU device's buffers have room, zeroed): the kernels that read
// slivers in place then read into it instead of packing the last slivers,
// and the products reading everything in place run unpacked (one phase,
// each piece over every k block). C must keep the bits of the product on
// operands without room, computed by one worker or by the pool.
func TestSgemmReadsToCapacity(t *testing.T) {
	const room = 1024
	forEachLevel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, s := range [][3]int{{1055, 20, 41}, {41, 20, 1055}, {1055, 200, 41}, {41, 200, 1055}, {13, 33, 17}, {5, 24, 300}, {130, 70, 9}} {
			m, n, k := s[0], s[1], s[2]
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				transA, transB := tr[0], tr[1]
				a, b := randSlice(rng, m*k), randSlice(rng, k*n)
				lda, ldb := k, n
				if transA {
					lda = m
				}
				if transB {
					ldb = k
				}
				roomy := func(x []float32) []float32 {
					y := make([]float32, len(x), len(x)+room)
					copy(y, x)
					for i := len(x); i < cap(y); i++ {
						y[:cap(y)][i] = float32(math.NaN())
					}
					return y
				}
				want := make([]float32, m*n)
				Sgemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, want, n)
				ra, rb := roomy(a), roomy(b)
				got := make([]float32, m*n)
				Sgemm(transA, transB, m, n, k, 1, ra, lda, rb, ldb, 0, got, n)
				single := make([]float32, m*n)
				if m > 1 && n > 1 && k > 1 {
					j := &job{kern: kernelFor(n), transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
						a: ra[:cap(ra)], lda: lda, b: rb[:cap(rb)], ldb: ldb, c: single, ldc: n}
					j.plan()
					j.Do(0, 1)
				} else {
					copy(single, got)
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(single[i]) != math.Float32bits(want[i]) {
						t.Fatalf("m=%d n=%d k=%d tA=%v tB=%v: C[%d] = %v with room (%v by one worker), %v without", m, n, k, transA, transB, i, got[i], single[i], want[i])
					}
				}
			}
		}
	})
}

// TestSgemmAllocs checks that a product allocates nothing once warm.
func TestSgemmAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m, n, k := 128, 512, 784
	a, b, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
	if got := testing.AllocsPerRun(20, func() { Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n) }); got != 0 {
		t.Errorf("Sgemm allocates %v times per call", got)
	}
}
