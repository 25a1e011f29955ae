package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu/internal/isa"
)

// thinCase is one product for checkThin: the stored matrices' rows are
// padded by pad elements (0: the natural leading dimensions, so a vector
// of one column is contiguous).
type thinCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int
}

func (tc thinCase) String() string {
	return fmt.Sprintf("m=%d n=%d k=%d tA=%v tB=%v alpha=%v beta=%v pad=%d", tc.m, tc.n, tc.k, tc.transA, tc.transB, tc.alpha, tc.beta, tc.pad)
}

// guard is the number of sentinel elements around each stored matrix.
const guard = 37

// checkThin runs one product at the current level on matrices stored at
// odd offsets inside guarded buffers and checks C against the float64
// reference (to the rounding bound of its sums), that nothing outside C
// (guards, and the padding between rows) changed, that beta == 0 ignored
// the NaN C starts with, and that a second run gives the same bits.
func checkThin(t *testing.T, rng *rand.Rand, tc thinCase) {
	t.Helper()
	m, n, k := tc.m, tc.n, tc.k
	ar, ac := m, k
	if tc.transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tc.transB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+tc.pad, bc+2*tc.pad, n+3*tc.pad
	spanA, spanB, spanC := (ar-1)*lda+ac, (br-1)*ldb+bc, (m-1)*ldc+n
	abuf := randSlice(rng, 2*guard+spanA+1)
	bbuf := randSlice(rng, 2*guard+spanB+3)
	cbuf := randSlice(rng, 2*guard+spanC+5)
	a := abuf[guard+1 : guard+1+spanA]
	b := bbuf[guard+3 : guard+3+spanB]
	c := cbuf[guard+5 : guard+5+spanC]
	if tc.beta == 0 {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				c[i*ldc+j] = float32(math.NaN())
			}
		}
	}
	orig := append([]float32(nil), cbuf...)
	want, bound := refThin(tc, a, lda, b, ldb, c, ldc)
	Sgemm(tc.transA, tc.transB, m, n, k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	inC := func(at int) bool { // at indexes cbuf
		at -= guard + 5
		return at >= 0 && at < spanC && at%ldc < n
	}
	bad := 0
	for at, got := range cbuf {
		if !inC(at) {
			if math.Float32bits(got) != math.Float32bits(orig[at]) {
				t.Fatalf("%v: wrote outside C at buffer element %d", tc, at)
			}
			continue
		}
		i, j := (at-guard-5)/ldc, (at-guard-5)%ldc
		w, tol := want[i*n+j], bound[i*n+j]
		if math.IsNaN(float64(got)) || math.Abs(float64(got)-w) > tol {
			if bad < 3 {
				t.Errorf("%v: C[%d,%d] = %v, want %v ± %.3g", tc, i, j, got, w, tol)
			}
			bad++
		}
	}
	// Same inputs, same bits.
	first := append([]float32(nil), cbuf...)
	copy(cbuf, orig)
	Sgemm(tc.transA, tc.transB, m, n, k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	for at := range cbuf {
		if math.Float32bits(cbuf[at]) != math.Float32bits(first[at]) {
			t.Fatalf("%v: second run differs at buffer element %d", tc, at)
		}
	}
}

// refThin is the float64 product with, for each element, a bound on the
// float32 result's error: (k+2)·u·(Σ_p |alpha·A·B| + |beta·C|), the bound
// for any order of summation with fused or separate multiply-adds.
func refThin(tc thinCase, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) (want, bound []float64) {
	m, n, k := tc.m, tc.n, tc.k
	want, bound = make([]float64, m*n), make([]float64, m*n)
	const u = 0x1p-24
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if tc.transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tc.transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			w, e := float64(tc.alpha)*s, math.Abs(float64(tc.alpha))*abs
			if tc.beta != 0 {
				w += float64(tc.beta) * float64(c[i*ldc+j])
				e += math.Abs(float64(tc.beta) * float64(c[i*ldc+j]))
			}
			want[i*n+j], bound[i*n+j] = w, float64(k+2)*u*e+1e-30
		}
	}
	return want, bound
}

// thinShapes lists (m, n, k) shapes with n == 1, k == 1 or m == 1 over odd
// and round sizes around the kernels' vector widths (8, 16) and chunks
// (24, 64 columns; 4 rows), and large ones that take the parallel path.
func thinShapes() [][3]int {
	dims := []int{1, 2, 3, 7, 16, 17, 20, 41, 65, 1055}
	var s [][3]int
	for _, x := range dims {
		for _, y := range dims {
			if x*y < 1<<16 { // the large ones are listed below
				s = append(s, [3]int{x, 1, y}, [3]int{x, y, 1}, [3]int{1, x, y})
			}
		}
	}
	return append(s,
		[3]int{4097, 1, 20}, [3]int{20, 1, 4097}, [3]int{4097, 1, 65}, [3]int{1055, 1, 1055},
		[3]int{4097, 3, 1}, [3]int{3, 4097, 1}, [3]int{1055, 300, 1},
		[3]int{1, 4097, 7}, [3]int{1, 7, 4097}, [3]int{1, 300, 1055})
}

// TestThinMatchesReference checks the thin paths (n == 1, k == 1, m == 1)
// at every level, for all transposes, natural and padded leading
// dimensions, and several alpha and beta.
func TestThinMatchesReference(t *testing.T) {
	shapes := thinShapes()
	forEachLevel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, s := range shapes {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				for _, ab := range [][2]float32{{1, 0}, {0.75, -0.5}, {-1.5, 1}} {
					for _, pad := range []int{0, 3} {
						checkThin(t, rng, thinCase{tr[0], tr[1], s[0], s[1], s[2], ab[0], ab[1], pad})
					}
				}
			}
		}
	})
}

// TestThinSplitInvariant requires every output element of a thin kernel to
// have the same bits whichever rows or columns share its kernel call: the
// whole range in one call equals any split into pieces (what the parallel
// path and the 4-row groups, 64- and 24-column chunks rely on).
func TestThinSplitInvariant(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		kr := thinKerns[isa.Current()]
		rng := rand.New(rand.NewPCG(13, 14))
		for _, k := range []int{1, 5, 20, 33, 1055} {
			const units = 203
			ld := k + 3
			a := randSlice(rng, units*ld+units)
			x := randSlice(rng, 2*max(k*ld, units))
			splits := []int{1, 3, 4, 7, 24, 64, 100}
			for _, load := range []bool{false, true} {
				for _, op := range []thinOp{opGemvN, opGemvT, opOuter} {
					run := func(y []float32, u0, u1 int) {
						n := u1 - u0
						switch op {
						case opGemvN: // rows of a, y stride 3
							kr.gemvN(n, k, a[u0*ld:], ld, x, y[u0*3:], 3, 0.5, -2, load)
						case opGemvT: // columns of a (k rows of ld ≥ units), x stride 2
							kr.gemvT(n, k, a[u0:], units, x, 2, y[u0:], 0.5, -2, load)
						case opOuter: // rows of a k-wide C, a stride 2
							kr.outer(n, k, x[2*u0:], 2, a, y[u0*ld:], ld, 0.5, -2, load)
						}
					}
					size := units * 3
					if op == opOuter {
						size = units * ld
					}
					whole := randSlice(rng, size)
					parts := append([]float32(nil), whole...)
					run(whole, 0, units)
					for u0, s := 0, 0; u0 < units; s++ {
						u1 := min(units, u0+splits[s%len(splits)])
						run(parts, u0, u1)
						u0 = u1
					}
					for i := range whole {
						if math.Float32bits(whole[i]) != math.Float32bits(parts[i]) {
							t.Fatalf("op %d k=%d load=%v: element %d differs when split: %v vs %v", op, k, load, i, parts[i], whole[i])
						}
					}
				}
			}
		}
	})
}

// TestOuterMatchesBlocked checks that a k = 1 product has the blocked
// path's bits at the levels whose micro-kernels round every tile alike
// (AVX2's edge tiles are finished in Go, without the fused multiply-add).
func TestOuterMatchesBlocked(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		if isa.Current() == isa.AVX2 {
			t.Skip("AVX2 edge tiles round differently")
		}
		rng := rand.New(rand.NewPCG(15, 16))
		for _, s := range [][2]int{{1055, 20}, {7, 41}, {33, 65}} {
			m, n := s[0], s[1]
			for _, beta := range []float32{0, 0.5} {
				a, b := randSlice(rng, m), randSlice(rng, n)
				c := randSlice(rng, m*n)
				blocked := append([]float32(nil), c...)
				Sgemm(false, false, m, n, 1, 1.25, a, 1, b, n, beta, c, n)
				j := &job{kern: kernels[isa.Current()], m: m, n: n, k: 1, alpha: 1.25, beta: beta,
					a: a, lda: 1, b: b, ldb: n, c: blocked, ldc: n}
				j.plan()
				j.Do(0, 1)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(blocked[i]) {
						t.Fatalf("%d×%d beta=%v: element %d: thin %v, blocked %v", m, n, beta, i, c[i], blocked[i])
					}
				}
			}
		}
	})
}

// TestThinAllocs checks that the thin paths, strided vectors included,
// allocate nothing once warm.
func TestThinAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	a, b, c := randSlice(rng, 1055*200), randSlice(rng, 1055*10), randSlice(rng, 1055*200)
	for name, f := range map[string]func(){
		"gemvN":  func() { Sgemm(false, false, 1055, 1, 20, 1, a, 200, b, 10, 0, c, 10) },
		"gemvT":  func() { Sgemm(true, false, 20, 1, 1055, 1, a, 200, b, 10, 0.5, c, 3) },
		"outer":  func() { Sgemm(false, true, 1055, 20, 1, 1, b, 10, a, 2, 0, c, 200) },
		"rowvec": func() { Sgemm(true, true, 1, 300, 20, 1, b, 10, a, 200, 0, c, 1) },
		"large":  func() { Sgemm(false, false, 1055, 200, 1, 1, b, 10, a, 200, 0, c, 200) },
	} {
		if got := testing.AllocsPerRun(20, f); got != 0 {
			t.Errorf("%s allocates %v times per call", name, got)
		}
	}
}
