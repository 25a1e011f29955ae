// Package cpu is gputrain's pure-Go compute backend. It is always built, runs
// everywhere Go runs, and is the reference the CUDA backend is checked
// against. Matrix products go through a packed, cache-blocked sgemm and the
// element-wise operations through vectorised kernels, both with Go assembly
// for AVX-512 and AVX2+FMA chosen at run time and a plain-Go path for other
// CPUs (internal/sgemm, internal/vec); large operations are split
// over a fixed pool of worker goroutines.
package cpu

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/gputrain/gputrain/cpu/internal/isa"
	"github.com/gputrain/gputrain/cpu/internal/pool"
	"github.com/gputrain/gputrain/device"
)

func init() {
	device.Register("cpu", 0, func(index int) (device.Device, error) {
		if index != 0 {
			return nil, fmt.Errorf("invalid device \"cpu:%d\": there is one CPU device, cpu", index)
		}
		return New(), nil
	}, func() ([]string, error) {
		return []string{New().Describe()}, nil
	})
}

// Buffer is a CPU-resident float32 array.
type Buffer struct{ data []float32 }

// Len returns the number of elements.
func (b *Buffer) Len() int { return len(b.data) }

// Data exposes the backing slice (for tests and host-side code on the CPU).
func (b *Buffer) Data() []float32 { return b.data }

// IndexBuffer is a CPU-resident int32 array.
type IndexBuffer struct{ data []int32 }

// Len returns the number of elements.
func (b *IndexBuffer) Len() int { return len(b.data) }

// Device is the pure-Go CPU backend. Its operations run synchronously.
type Device struct {
	closed bool
	fast   // scratch of the element-wise, gemm and loss paths
}

// New returns a CPU device.
func New() *Device { return &Device{} }

// Name returns "cpu".
func (d *Device) Name() string { return "cpu" }

func f32(b device.Buffer) []float32 { return b.(*Buffer).data }

// Err always reports nil unless the device was closed.
func (d *Device) Err() error {
	if d.closed {
		return errors.New("cpu: device used after Close")
	}
	return nil
}

// Synchronize reports Err; CPU operations are synchronous.
func (d *Device) Synchronize() error { return d.Err() }

// Close marks the device closed.
func (d *Device) Close() error { d.closed = true; return nil }

// fast is the Device's state for these paths: one reusable job (a Device is
// used from one goroutine at a time) and scratch space.
type fast struct {
	job     ewJob
	strided stridedJob // GemmStrided's batches (gemm.go)
	acc     []float64  // ColumnSums accumulators, LossGradGroups's sums
}

// KernelLevel reports the kernel level in use: "avx512", "avx2" or "generic".
func KernelLevel() string { return isa.Current().String() }

// SetKernelLevel switches every CPU device to the named kernel level
// ("avx512", "avx2" or "generic"), for tests and benchmarks, and returns the
// previous level. It must not be called while operations run. Levels the
// machine lacks are refused. The GPUTRAIN_CPU_KERNELS environment variable
// sets a lower level at start-up.
func SetKernelLevel(level string) (string, error) {
	l, err := isa.Parse(level)
	if err != nil {
		return KernelLevel(), err
	}
	prev, err := isa.Set(l)
	return prev.String(), err
}

// Describe names the CPU architecture, thread count and kernel level.
func (d *Device) Describe() string {
	return fmt.Sprintf("cpu: pure Go (no cgo), %s/%s, %d threads (GOMAXPROCS), %s kernels",
		runtime.GOOS, runtime.GOARCH, pool.Default().Workers(), KernelLevel())
}

// parallelWork is the rough number of element operations below which
// parallelFor stays on the calling goroutine (starting goroutines costs a
// few microseconds).
const parallelWork = 1 << 15

// parallelFor calls fn on contiguous ranges that split [0, n), on up to
// GOMAXPROCS goroutines when work (an estimate of the element operations in
// all) is at least parallelWork, otherwise fn(0, n) on the calling
// goroutine. fn must compute each index's results from that index alone.
func parallelFor(n, work int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 || work < parallelWork {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { fn(w*n/workers, (w+1)*n/workers) })
	}
	fn(0, n/workers)
	wg.Wait()
}
