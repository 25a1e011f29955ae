package cpu

import (
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/gputrain/gputrain/cpu/internal/pool"
	"github.com/gputrain/gputrain/device"
)

// testWorkers is the worker count the package's tests run with, fixed so
// the parallel paths run whatever the machine and whichever test touches
// the pool first.
const testWorkers = 4

func TestMain(m *testing.M) {
	pool.SetDefault(pool.New(testWorkers))
	os.Exit(m.Run())
}

// withWorkers runs fn with a pool of n workers and GOMAXPROCS n (the batch
// operations spread over GOMAXPROCS goroutines), then restores both.
func withWorkers(n int, fn func()) {
	prevProcs := runtime.GOMAXPROCS(n)
	prevPool := pool.SetDefault(pool.New(n))
	defer func() {
		pool.SetDefault(prevPool)
		runtime.GOMAXPROCS(prevProcs)
	}()
	fn()
}

// parallelRun is work large enough for every operation to split over the
// pool: a matrix product past sgemm's parallel threshold, element-wise
// operations past theirs, and the batch operations of batchRun. It returns
// every output's bits.
func parallelRun() []uint32 {
	const m, n, k = 300, 200, 150
	const elems = 1 << 19
	rng := rand.New(rand.NewPCG(9, 9))
	d := New()
	a, b := randBuf(rng, m*k), randBuf(rng, k*n)
	c := &Buffer{data: make([]float32, m*n)}
	device.Gemm(d, false, false, m, n, k, 1, a, b, 0, c)
	z, bias := randBuf(rng, elems), randBuf(rng, 512)
	out := &Buffer{data: make([]float32, elems)}
	d.BiasActivation(device.Tanh, 0, z, bias, out, elems/512, 512)
	sums := &Buffer{data: make([]float32, 512)}
	d.ColumnSums(out, elems/512, 512, sums)
	p, g := randBuf(rng, elems), randBuf(rng, elems)
	mo, v := &Buffer{data: make([]float32, elems)}, &Buffer{data: make([]float32, elems)}
	d.OptimStep("adam_step", p, g, []device.Buffer{mo, v}, elems, device.OptimArgs{1e-3, 0.9, 0.1, 0.999, 0.001, 1e-8, 1e-4, 1 / (1 - 0.9), 1 / (1 - 0.999)})
	bits := batchRun()
	for _, buf := range []*Buffer{c, out, sums, p, mo, v} {
		for _, x := range buf.data {
			bits = append(bits, math.Float32bits(x))
		}
	}
	return bits
}

// TestOpsDeterministicAcrossWorkers requires every operation to give the
// same bits with 1, 2 and 8 workers: the pool hands pieces out
// dynamically, so any result that depended on who computed what would
// differ between these runs.
func TestOpsDeterministicAcrossWorkers(t *testing.T) {
	var want []uint32
	withWorkers(1, func() { want = parallelRun() })
	for _, workers := range []int{2, 8} {
		var got []uint32
		withWorkers(workers, func() { got = parallelRun() })
		if len(got) != len(want) {
			t.Fatalf("%d workers: %d outputs, want %d", workers, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%d workers: output element %d differs from 1 worker (%#08x vs %#08x)", workers, i, got[i], want[i])
			}
		}
	}
}

// TestPoolSizedForTests checks that the tests really run with the fixed
// pool (a GOMAXPROCS change before the pool's first use once left every
// test of the package with one worker).
func TestPoolSizedForTests(t *testing.T) {
	if w := pool.Default().Workers(); w != testWorkers {
		t.Fatalf("the pool has %d workers, want %d", w, testWorkers)
	}
}
