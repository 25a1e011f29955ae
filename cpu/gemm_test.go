package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

func randBuf(rng *rand.Rand, n int) *Buffer {
	b := &Buffer{data: make([]float32, n)}
	for i := range b.data {
		b.data[i] = 2*rng.Float32() - 1
	}
	return b
}

// batchRun is the workshop network's restart-shaped work, 10 models side
// by side: the forward and backward products, the loss, and batch norm's
// forward and backward passes. It returns every output's bits.
func batchRun() []uint32 {
	const rows, in, hidden, count = 1055, 41, 20, 10
	rng := rand.New(rand.NewPCG(5, 5))
	d := New()
	x, w := randBuf(rng, rows*in), randBuf(rng, count*in*hidden)
	z := &Buffer{data: make([]float32, rows*count*hidden)}
	d.GemmStrided(false, false, rows, hidden, in, 1, x, in, 0, w, hidden, in*hidden, 0, z, count*hidden, hidden, count)
	dw := &Buffer{data: make([]float32, count*in*hidden)}
	d.GemmStrided(true, false, in, hidden, rows, 1, x, in, 0, z, count*hidden, hidden, 0, dw, hidden, in*hidden, count)
	logits, y := randBuf(rng, rows*count), randBuf(rng, rows)
	grad, loss := &Buffer{data: make([]float32, rows*count)}, &Buffer{data: make([]float32, count)}
	d.LossGradGroups(device.MSE, logits, y, grad, rows, 1, count, 0.5, loss, 0)
	cols := count * hidden
	gamma, beta, out := randBuf(rng, cols), randBuf(rng, cols), &Buffer{data: make([]float32, rows*cols)}
	sm, si := &Buffer{data: make([]float32, cols)}, &Buffer{data: make([]float32, cols)}
	rm, rv := &Buffer{data: make([]float32, cols)}, &Buffer{data: make([]float32, cols)}
	d.BatchNormTrain(device.Tanh, z, gamma, beta, out, sm, si, rm, rv, rows, cols, 1e-5, 0.1)
	dg, db := &Buffer{data: make([]float32, cols)}, &Buffer{data: make([]float32, cols)}
	d.BatchNormBackward(z, out, gamma, sm, si, out, dg, db, rows, cols)
	var bits []uint32
	for _, b := range []*Buffer{z, dw, grad, loss, sm, si, rm, rv, dg, db, out} {
		for _, v := range b.data {
			bits = append(bits, math.Float32bits(v))
		}
	}
	return bits
}

// BenchmarkGemmStridedRestarts times the workshop network's first-layer
// forward product (1055×41 · 41×20) for 1 and 10 restarts side by side
// (shared X, per-restart W, column blocks of Z).
func BenchmarkGemmStridedRestarts(b *testing.B) {
	const rows, in, hidden = 1055, 41, 20
	for _, count := range []int{1, 10} {
		b.Run(fmt.Sprintf("count=%d", count), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			d := New()
			x, w := randBuf(rng, rows*in), randBuf(rng, count*in*hidden)
			z := &Buffer{data: make([]float32, rows*count*hidden)}
			for b.Loop() {
				d.GemmStrided(false, false, rows, hidden, in, 1, x, in, 0, w, hidden, in*hidden, 0, z, count*hidden, hidden, count)
			}
		})
	}
}

// BenchmarkGemmStridedOutputLayer times the workshop network's output-layer
// products (20 → 1, 1055 rows) for 1 and 10 restarts side by side, as nn
// calls them: the forward Z_r = H_r·w_r (n = 1; H_r a column block of the
// 1055×(20·count) hidden activations, Z_r a column of 1055×count), the
// weight gradient dW_r = H_rᵀ·dZ_r (n = 1, k = 1055) and the hidden
// gradient dH_r = dZ_r·w_rᵀ (k = 1), each count products in one call. One
// product is 42 kflop over ≈ 84 kB: a few hundred ns at L1/L2 speed.
func BenchmarkGemmStridedOutputLayer(b *testing.B) {
	const rows, hid = 1055, 20
	for _, count := range []int{1, 10} {
		rng := rand.New(rand.NewPCG(1, 1))
		d := New()
		wide := count * hid
		h, w := randBuf(rng, rows*wide), randBuf(rng, count*hid)
		z, dz := randBuf(rng, rows*count), randBuf(rng, rows*count)
		dw, dh := randBuf(rng, count*hid), randBuf(rng, rows*wide)
		for _, s := range []struct {
			name string
			f    func()
		}{
			{"fwd", func() {
				d.GemmStrided(false, false, rows, 1, hid, 1, h, wide, hid, w, 1, hid, 0, z, count, 1, count)
			}},
			{"dW", func() {
				d.GemmStrided(true, false, hid, 1, rows, 1, h, wide, hid, dz, count, 1, 0, dw, 1, hid, count)
			}},
			{"dH", func() {
				d.GemmStrided(false, true, rows, hid, 1, 1, dz, count, 1, w, 1, hid, 0, dh, wide, hid, count)
			}},
		} {
			b.Run(fmt.Sprintf("%s/count=%d", s.name, count), func(b *testing.B) {
				for b.Loop() {
					s.f()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*count), "ns/product")
			})
		}
	}
}

// TestGemmStridedMatchesAlone requires each product of a batch to have the
// bits of the same product computed alone (count 1, same leading
// dimensions), for the restart-shaped products that are split by rows
// (k = 1; n = 1 untransposed) or spread one per piece, and the elements of
// C outside the batch (here an extra column block) to be left alone.
func TestGemmStridedMatchesAlone(t *testing.T) {
	const rows, hid, count = 1055, 20, 10
	for _, s := range []struct {
		name           string
		transA, transB bool
		m, n, k        int
		lda, sa        int
		ldb, sb        int
		ldc, sc        int
		beta           float32
	}{
		{"fwd", false, false, rows, 1, hid, (count + 1) * hid, hid, 1, hid, count + 1, 1, 0},
		{"dW", true, false, hid, 1, rows, (count + 1) * hid, hid, count, 1, 1, hid, 0.5},
		{"dH", false, true, rows, hid, 1, count, 1, 1, hid, (count + 1) * hid, hid, 0},
		{"blocked", false, false, 37, 9, 5, 5, 37 * 5, count * 9, 9, (count + 1) * 9, 9, -1},
	} {
		rng := rand.New(rand.NewPCG(3, 3))
		d := New()
		size := func(ld, stride, rows int) int { return stride*count + rows*ld }
		ar, br := s.m, s.k
		if s.transA {
			ar = s.k
		}
		if s.transB {
			br = s.n
		}
		a, b := randBuf(rng, size(s.lda, s.sa, ar)), randBuf(rng, size(s.ldb, s.sb, br))
		c0 := randBuf(rng, size(s.ldc, s.sc, s.m))
		batch := &Buffer{data: append([]float32(nil), c0.data...)}
		alone := &Buffer{data: append([]float32(nil), c0.data...)}
		d.GemmStrided(s.transA, s.transB, s.m, s.n, s.k, 1.5, a, s.lda, s.sa, b, s.ldb, s.sb, s.beta, batch, s.ldc, s.sc, count)
		for g := range count {
			ag := &Buffer{data: a.data[g*s.sa:]}
			bg := &Buffer{data: b.data[g*s.sb:]}
			cg := &Buffer{data: alone.data[g*s.sc:]}
			d.GemmStrided(s.transA, s.transB, s.m, s.n, s.k, 1.5, ag, s.lda, 0, bg, s.ldb, 0, s.beta, cg, s.ldc, 0, 1)
		}
		for i := range batch.data {
			if math.Float32bits(batch.data[i]) != math.Float32bits(alone.data[i]) {
				t.Fatalf("%s: element %d: batch %v, alone %v", s.name, i, batch.data[i], alone.data[i])
			}
		}
		changed := 0
		for i := range batch.data {
			if batch.data[i] != c0.data[i] {
				changed++
			}
		}
		if changed == 0 {
			t.Fatalf("%s: nothing computed", s.name)
		}
	}
}
