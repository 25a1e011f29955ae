package devicetest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// refGemm is the float64 reference for row-major C = alpha·op(A)·op(B) + beta·C.
func refGemm(transA, transB bool, m, n, k int, alpha float64, a, b []float32, beta float64, c []float32) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av := a[i*k+p]
				if transA {
					av = a[p*m+i]
				}
				bv := b[p*n+j]
				if transB {
					bv = b[j*k+p]
				}
				s += float64(av) * float64(bv)
			}
			out[i*n+j] = alpha * s
			if beta != 0 {
				out[i*n+j] += beta * float64(c[i*n+j])
			}
		}
	}
	return out
}

// gemmShapes covers the workshop's shapes (1055×41 · 41×20, 20×1), the
// backward transposes, tiny and one-past-tile sizes.
var gemmShapes = [][3]int{
	{1, 1, 1}, {7, 7, 7}, {1055, 20, 41}, {1055, 1, 20}, {41, 20, 1055}, {20, 1, 1055},
	{1055, 41, 20}, {1055, 20, 1}, {65, 63, 129}, {129, 4097 / 64, 7}, {33, 257, 65},
}

func testGemm(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(3, 1))
	for _, s := range gemmShapes {
		m, n, k := s[0], s[1], s[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			a, b, c := random(rng, m*k), random(rng, k*n), random(rng, m*n)
			alpha, beta := float32(0.75), float32(-0.5)
			ab, bb, cb := upload(t, d, a), upload(t, d, b), upload(t, d, c)
			device.Gemm(d, tr[0], tr[1], m, n, k, alpha, ab, bb, beta, cb)
			want := refGemm(tr[0], tr[1], m, n, k, float64(alpha), a, b, float64(beta), c)
			// float32 accumulation of k products of magnitude ≤ 1: error grows like k·eps.
			atol := 1e-6 * float64(k)
			check(t, fmt.Sprintf("gemm m=%d n=%d k=%d tA=%v tB=%v", m, n, k, tr[0], tr[1]), download(t, d, cb, m*n), want, 1e-5, atol)
			d.Free(ab)
			d.Free(bb)
			d.Free(cb)
		}
	}
}

func testGemmBetaZero(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(4, 1))
	m, n, k := 41, 20, 7
	a, b := random(rng, m*k), random(rng, k*n)
	ab, bb := upload(t, d, a), upload(t, d, b)
	cb := poisoned(t, d, m*n)
	device.Gemm(d, false, false, m, n, k, 1, ab, bb, 0, cb)
	check(t, "gemm beta=0 over NaN", download(t, d, cb, m*n), refGemm(false, false, m, n, k, 1, a, b, 0, nil), 1e-5, 1e-5)
}

// A matLayout places count matrices of rows×cols (as stored) in one buffer.
type matLayout int

func (l matLayout) String() string {
	return [...]string{"packed", "padded", "columns", "shared"}[l]
}

// place returns the leading dimension and stride of l, and the elements a
// buffer must hold.
func (l matLayout) place(rows, cols, count int) (ld, stride, span int) {
	switch l {
	case padded:
		ld, stride = cols+3, rows*(cols+3)+5
	case columns:
		ld, stride = count*cols, cols
	case shared:
		ld, stride = cols, 0
	default:
		ld, stride = cols, rows*cols
	}
	return ld, stride, (count-1)*stride + (rows-1)*ld + cols
}

// refGemmStrided returns the float64 reference for GemmStrided over the
// whole C buffer c, and which of its elements belong to some C_g (the rest
// must keep their old values).
func refGemmStrided(transA, transB bool, m, n, k int, alpha float64, a []float32, lda, sa int, b []float32, ldb, sb int, beta float64, c []float32, ldc, sc, count int) ([]float64, []bool) {
	want, inside := to64(c), make([]bool, len(c))
	for g := range count {
		for i := range m {
			for j := range n {
				var s float64
				for p := range k {
					ai, bi := g*sa+i*lda+p, g*sb+p*ldb+j
					if transA {
						ai = g*sa + p*lda + i
					}
					if transB {
						bi = g*sb + j*ldb + p
					}
					av, bv := a[ai], b[bi]
					s += float64(av) * float64(bv)
				}
				at := g*sc + i*ldc + j
				v := alpha * s
				if beta != 0 {
					v += beta * float64(c[at])
				}
				want[at], inside[at] = v, true
			}
		}
	}
	return want, inside
}

// stridedLayouts are the (A, B, C) layouts GemmStrided is tested with: plain
// batches, padded leading dimensions with gaps, and the restarts' patterns
// (shared X times per-restart weights into column blocks; column blocks on
// both sides of the backward products).
var stridedLayouts = [][3]matLayout{
	{packed, packed, packed},
	{padded, padded, padded},
	{shared, packed, columns},
	{columns, shared, padded},
	{columns, columns, columns},
}

var transCases = [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}}

// testGemmStrided checks GemmStrided against a float64 reference at every
// transpose case, count 1, 3 and 10 and every layout, with beta 0 over a
// NaN-poisoned C and beta −0.5 over random C alternately. Elements of C's
// buffer outside every C_g must keep their bits. Tolerance as Gemm's:
// |err| ≤ 1e-5·|want| + 1e-6·k.
func testGemmStrided(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(21, 1))
	shapes := [][3]int{{1, 1, 1}, {7, 20, 41}, {20, 7, 1}, {33, 65, 17}, {1055, 20, 41}, {41, 20, 1055}}
	run := 0
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		big := m*n*k > 100000
		for _, count := range []int{1, 3, 10} {
			for _, tr := range transCases {
				for li, lay := range stridedLayouts {
					if big && count == 10 && li%2 == 1 {
						continue // keep the emulator's run short: the big shapes at count 10 get three of the five layouts
					}
					run++
					ra, ca, rb, cb := m, k, k, n
					if tr[0] {
						ra, ca = k, m
					}
					if tr[1] {
						rb, cb = n, k
					}
					lda, sa, spanA := lay[0].place(ra, ca, count)
					ldb, sb, spanB := lay[1].place(rb, cb, count)
					ldc, sc, spanC := lay[2].place(m, n, count)
					const guard = 3 // elements past the last C_g, which must stay untouched
					a, b := random(rng, spanA), random(rng, spanB)
					alpha, beta := float32(0.75), float32(-0.5)
					var c []float32
					if run%2 == 0 {
						beta, c = 0, nanVec(spanC+guard)
					} else {
						c = random(rng, spanC+guard)
					}
					ab, bb, cbuf := upload(t, d, a), upload(t, d, b), upload(t, d, c)
					d.GemmStrided(tr[0], tr[1], m, n, k, alpha, ab, lda, sa, bb, ldb, sb, beta, cbuf, ldc, sc, count)
					want, inside := refGemmStrided(tr[0], tr[1], m, n, k, float64(alpha), a, lda, sa, b, ldb, sb, float64(beta), c, ldc, sc, count)
					got := download(t, d, cbuf, len(c))
					name := fmt.Sprintf("m=%d n=%d k=%d count=%d tA=%v tB=%v A,B,C %v beta=%v", m, n, k, count, tr[0], tr[1], lay, beta)
					checkInside(t, name, got, want, inside, c, 1e-5, 1e-6*float64(k))
					d.Free(ab)
					d.Free(bb)
					d.Free(cbuf)
				}
			}
		}
	}
}

const (
	packed  matLayout = iota // one after another, natural leading dimension
	padded                   // leading dimension cols+3 and a 5-element gap between matrices
	columns                  // the restarts' layout: column block g of a rows × (count·cols) matrix
	shared                   // stride 0: one matrix for the whole batch
)
