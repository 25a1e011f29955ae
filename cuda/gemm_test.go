//go:build cuda

package cuda

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/device"
)

func openT(t testing.TB) *Device {
	t.Helper()
	d, err := Open(0)
	if err != nil {
		t.Skipf("no usable CUDA device: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func randVec(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	return x
}

func mustUpload(t testing.TB, d *Device, x []float32) device.Buffer {
	t.Helper()
	b, err := d.Alloc(len(x))
	if err != nil {
		t.Fatal(err)
	}
	d.Upload(b, x)
	return b
}

func mustDownload(t testing.TB, d *Device, b device.Buffer, n int) []float32 {
	t.Helper()
	out := make([]float32, n)
	if err := d.Download(out, b); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGemmLarge checks the tiled gemm on shapes far beyond the conformance
// suite's, against a float64 loop. Tolerance per element: the standard
// float32 dot-product bound |err| ≤ γ·Σ_p|alpha·a_ip·b_pj| + 2⁻²³·|beta·c_ij|
// with γ = (k+2)·2⁻²³ (twice the worst-case (k+2)·u). An indexing bug gives
// errors of the order of the values themselves, far above it.
func TestGemmLarge(t *testing.T) {
	d := openT(t)
	rng := rand.New(rand.NewPCG(42, 7))
	type tc struct {
		m, n, k        int
		transA, transB bool
		beta           float32
	}
	cases := []tc{
		{1024, 1024, 1024, false, false, 0.5},
		{4097, 41, 20, false, false, 0},   // forward, batch 4097
		{4097, 20, 41, false, true, 0},    // dX = dY·Wᵀ
		{41, 20, 4097, true, false, 1},    // dW = Xᵀ·dY, accumulated
		{4097, 41, 20, true, true, -0.25}, // the unused TT case
		{63, 65, 17, false, false, 0},     // just under/over one tile
		{1, 4097, 1, false, false, 0},
		{300, 1, 1055, false, true, 0},
	}
	if testing.Short() {
		cases = cases[1:]
	}
	for _, c := range cases {
		name := fmt.Sprintf("m=%d n=%d k=%d tA=%v tB=%v beta=%v", c.m, c.n, c.k, c.transA, c.transB, c.beta)
		a, b, cc := randVec(rng, c.m*c.k), randVec(rng, c.k*c.n), randVec(rng, c.m*c.n)
		ab, bb := mustUpload(t, d, a), mustUpload(t, d, b)
		cb := mustUpload(t, d, cc)
		if c.beta == 0 {
			d.Fill(cb, c.m*c.n, float32(math.NaN())) // must be ignored
		}
		const alpha = 1.25
		device.Gemm(d, c.transA, c.transB, c.m, c.n, c.k, alpha, ab, bb, c.beta, cb)
		got := mustDownload(t, d, cb, c.m*c.n)
		bad := 0
		for i := 0; i < c.m; i++ {
			for j := 0; j < c.n; j++ {
				var s, abs float64
				for p := 0; p < c.k; p++ {
					av, bv := a[i*c.k+p], b[p*c.n+j]
					if c.transA {
						av = a[p*c.m+i]
					}
					if c.transB {
						bv = b[j*c.k+p]
					}
					s += float64(av) * float64(bv)
					abs += math.Abs(float64(av) * float64(bv))
				}
				want := alpha * s
				tol := float64(c.k+2) * 0x1p-23 * alpha * abs
				if c.beta != 0 {
					bc := float64(c.beta) * float64(cc[i*c.n+j])
					want += bc
					tol += 0x1p-23 * math.Abs(bc)
				}
				g := float64(got[i*c.n+j])
				if math.IsNaN(g) || math.Abs(g-want) > tol+1e-30 {
					if bad < 5 {
						t.Errorf("%s: C[%d,%d] = %v, want %v ± %.3g", name, i, j, g, want, tol)
					}
					bad++
				}
			}
		}
		if bad > 5 {
			t.Errorf("%s: %d of %d elements wrong", name, bad, c.m*c.n)
		}
		d.Free(ab)
		d.Free(bb)
		d.Free(cb)
	}
	if err := d.Synchronize(); err != nil {
		t.Fatal(err)
	}
}

// TestDeterministic runs the reductions and the gemm twice on the same
// inputs and wants bit-identical results (no atomics, fixed orders). It logs
// a checksum of the results for comparing runs in other emulator orders.
func TestDeterministic(t *testing.T) {
	d := openT(t)
	rng := rand.New(rand.NewPCG(1, 2))
	rows, cols := 4097, 10
	z, x := randVec(rng, rows*cols), randVec(rng, rows*41)
	labels := make([]float32, rows)
	for i := range labels {
		labels[i] = float32(rng.IntN(cols))
	}
	bits01 := make([]float32, rows*cols)
	for i := range bits01 {
		bits01[i] = float32(rng.IntN(2))
	}
	zb, yb, y01, xb := mustUpload(t, d, z), mustUpload(t, d, labels), mustUpload(t, d, bits01), mustUpload(t, d, x)
	w := mustUpload(t, d, randVec(rng, 41*cols))
	grad, _ := d.Alloc(rows * cols)
	lossOut, _ := d.Alloc(4)
	sums, _ := d.Alloc(41)
	prod, _ := d.Alloc(rows * cols)
	run := func() []float32 {
		device.LossGrad(d, device.SoftmaxCE, zb, yb, grad, rows, cols, 1/float32(rows), lossOut, 0)
		device.LossGrad(d, device.Logistic, zb, y01, grad, rows, cols, 1, lossOut, 1)
		device.LossGrad(d, device.MSE, zb, y01, grad, rows, cols, 1, lossOut, 2)
		d.ColumnSums(xb, rows, 41, sums)
		device.Gemm(d, false, false, rows, cols, 41, 1, xb, w, 0, prod)
		out := mustDownload(t, d, lossOut, 3)
		out = append(out, mustDownload(t, d, sums, 41)...)
		return append(out, mustDownload(t, d, prod, rows*cols)...)
	}
	first, second := run(), run()
	for i := range first {
		if math.Float32bits(first[i]) != math.Float32bits(second[i]) {
			t.Fatalf("run 2 differs at %d: %v vs %v", i, first[i], second[i])
		}
	}
	t.Logf("losses: softmax %v, logistic %v, mse %v", first[0], first[1], first[2])
	// make cuda-emu-test and cuda-ptx-test compare this across block and
	// thread orders: results must not depend on the order blocks run in.
	h := fnv.New64a()
	for _, v := range first {
		binary.Write(h, binary.LittleEndian, math.Float32bits(v))
	}
	t.Logf("TestDeterministic checksum %016x", h.Sum64())
}

// TestPoolReuse checks that a freed buffer is handed out again for the same
// size (no device allocation per training step) and not for another size.
func TestPoolReuse(t *testing.T) {
	d := openT(t)
	a, _ := d.Alloc(1000)
	p := a.(*Buffer).ptr
	d.Free(a)
	b, _ := d.Alloc(1000)
	if b.(*Buffer).ptr != p {
		t.Errorf("Alloc after Free of the same size did not reuse the buffer")
	}
	d.Free(b)
	c, _ := d.Alloc(999)
	if c.(*Buffer).ptr == p {
		t.Errorf("a 999-element Alloc reused a 1000-element buffer")
	}
	var before int
	d.call(func() { before = len(d.allocs) })
	for range 100 { // a "training loop": same sizes every step
		x, _ := d.Alloc(4096)
		y, _ := d.AllocIndex(64)
		d.Free(x)
		d.FreeIndex(y)
	}
	var after int
	d.call(func() { after = len(d.allocs) })
	if after-before != 2 {
		t.Errorf("100 alloc/free rounds made %d device allocations, want 2", after-before)
	}
	if err := d.Synchronize(); err != nil {
		t.Fatal(err)
	}
}

// TestStickyError exhausts device memory: the failed Alloc is recorded, Err
// and Synchronize report it, later operations are no-ops, and Close still
// releases everything.
func TestStickyError(t *testing.T) {
	d, err := Open(0)
	if err != nil {
		t.Skipf("no usable CUDA device: %v", err)
	}
	keep, _ := d.Alloc(8)
	d.Upload(keep, []float32{1, 2, 3, 4, 5, 6, 7, 8})
	var allocErr error
	for range 256 { // 256 × 8 GiB: more than any GPU has
		if _, allocErr = d.Alloc(maxElems); allocErr != nil {
			break
		}
	}
	if allocErr == nil {
		t.Fatal("never ran out of memory")
	}
	t.Logf("Alloc failed as expected: %v", allocErr)
	if err := d.Err(); err == nil || !strings.Contains(err.Error(), "allocating") {
		t.Errorf("Err() = %v, want the allocation failure", err)
	}
	d.Fill(keep, 8, 0) // a no-op now
	out := make([]float32, 8)
	if err := d.Download(out, keep); err == nil {
		t.Error("Download after the failure reported no error")
	}
	if err := d.Synchronize(); err == nil {
		t.Error("Synchronize after the failure reported no error")
	}
	if _, err := d.Alloc(4); err == nil {
		t.Error("Alloc after the failure succeeded")
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := d.Err(); err == nil {
		t.Error("Err after Close is nil")
	}
}

// BenchmarkGemm reports the NN gemm's throughput at square sizes.
func BenchmarkGemm(b *testing.B) {
	for _, n := range []int{256, 1024, 4096} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			d := openT(b)
			rng := rand.New(rand.NewPCG(3, 3))
			x, y := mustUpload(b, d, randVec(rng, n*n)), mustUpload(b, d, randVec(rng, n*n))
			z, _ := d.Alloc(n * n)
			device.Gemm(d, false, false, n, n, n, 1, x, y, 0, z)
			if err := d.Synchronize(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				device.Gemm(d, false, false, n, n, n, 1, x, y, 0, z)
			}
			if err := d.Synchronize(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e12, "Tflop/s")
		})
	}
}

// TestGemmSplitKStrided checks the split-k path of GemmStrided with several
// products, padded leading dimensions and strides, every transpose and
// beta ≠ 0 (the conformance suite's shapes are below split-k's 1 MFLOP),
// against a float64 loop with TestGemmLarge's tolerance, and that a second
// run gives the same bits.
func TestGemmSplitKStrided(t *testing.T) {
	d := openT(t)
	rng := rand.New(rand.NewPCG(3, 4))
	const m, n, k, count = 41, 20, 1055, 3
	const alpha, beta = 0.75, 0.5
	if s, _ := splitK(m, n, k, count); s < 2 {
		t.Fatalf("%d×%d×%d×%d is not split: the test checks nothing", m, n, k, count)
	}
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		transA, transB := tr[0], tr[1]
		ra, ca, rb, cb := m, k, k, n
		if transA {
			ra, ca = k, m
		}
		if transB {
			rb, cb = n, k
		}
		lda, ldb, ldc := ca+3, cb+1, n+5
		sa, sb, sc := ra*lda+7, rb*ldb, m*ldc+2
		a, b, c0 := randVec(rng, count*sa), randVec(rng, count*sb), randVec(rng, count*sc)
		ab, bb := mustUpload(t, d, a), mustUpload(t, d, b)
		run := func() []float32 {
			cbuf := mustUpload(t, d, c0)
			d.GemmStrided(transA, transB, m, n, k, alpha, ab, lda, sa, bb, ldb, sb, beta, cbuf, ldc, sc, count)
			return mustDownload(t, d, cbuf, count*sc)
		}
		got, again := run(), run()
		name := fmt.Sprintf("tA=%v tB=%v", transA, transB)
		for g := 0; g < count; g++ {
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var s, abs float64
					for p := 0; p < k; p++ {
						ia, ib := g*sa+i*lda+p, g*sb+p*ldb+j
						if transA {
							ia = g*sa + p*lda + i
						}
						if transB {
							ib = g*sb + j*ldb + p
						}
						av, bv := a[ia], b[ib]
						s += float64(av) * float64(bv)
						abs += math.Abs(float64(av) * float64(bv))
					}
					e := g*sc + i*ldc + j
					bc := beta * float64(c0[e])
					want, tol := alpha*s+bc, float64(k+2)*0x1p-23*alpha*abs+0x1p-23*math.Abs(bc)
					if math.Abs(float64(got[e])-want) > tol {
						t.Fatalf("%s: C_%d[%d,%d] = %v, want %v ± %.3g", name, g, i, j, got[e], want, tol)
					}
				}
			}
		}
		for e := range got {
			if math.Float32bits(got[e]) != math.Float32bits(again[e]) {
				t.Fatalf("%s: element %d differs between two runs: %v, %v", name, e, got[e], again[e])
			}
		}
		// Elements between the matrices (padding) are not written.
		for g := 0; g < count; g++ {
			for i := 0; i < m; i++ {
				for j := n; j < ldc && g*sc+i*ldc+j < count*sc; j++ {
					if e := g*sc + i*ldc + j; got[e] != c0[e] {
						t.Fatalf("%s: padding element %d changed: %v, was %v", name, e, got[e], c0[e])
					}
				}
			}
		}
	}
}
