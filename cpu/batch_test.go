package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
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

// TestBatchOpsDeterministic requires the batch operations to give the same
// bits whatever the number of goroutines they spread over.
func TestBatchOpsDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	want := batchRun()
	for _, procs := range []int{2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		got := batchRun()
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("GOMAXPROCS=%d: output element %d differs from GOMAXPROCS=1 (%#08x vs %#08x)", procs, i, got[i], want[i])
			}
		}
	}
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
