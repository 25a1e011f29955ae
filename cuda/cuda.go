//go:build cuda

package cuda

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"github.com/gputrain/gputrain/cuda/preflight"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/kernels"
	"gorgonia.org/cu"
)

func init() {
	device.Register("cuda", 10, func(index int) (device.Device, error) { return Open(index) }, List)
}

// List describes every CUDA device, one line each: name, compute capability,
// memory and the CUDA version the driver supports.
func List() ([]string, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("cuda: counting devices: %w", err)
	}
	if n == 0 {
		return nil, errors.New("cuda: the NVIDIA driver reports no CUDA device")
	}
	lines := make([]string, n)
	for i := range lines {
		s, err := describe(i)
		if err != nil {
			return nil, err
		}
		lines[i] = s
	}
	return lines, nil
}

// describe is device i's one-line description.
func describe(i int) (string, error) {
	dev, err := cu.GetDevice(i)
	if err != nil {
		return "", fmt.Errorf("cuda:%d: %w", i, err)
	}
	name, err := dev.Name()
	if err != nil {
		return "", fmt.Errorf("cuda:%d: device name: %w", i, err)
	}
	major, minor, err := dev.ComputeCapability()
	if err != nil {
		return "", fmt.Errorf("cuda:%d: compute capability: %w", i, err)
	}
	mem, err := dev.TotalMem()
	if err != nil {
		return "", fmt.Errorf("cuda:%d: memory size: %w", i, err)
	}
	v := cu.Version()
	return fmt.Sprintf("cuda:%d: %s, compute capability %d.%d, %.1f GiB, driver supports CUDA %d.%d",
		i, name, major, minor, float64(mem)/(1<<30), v/1000, v%1000/10), nil
}

// Device is one GPU. All CUDA calls run on the goroutine started by Open,
// locked to its OS thread; the methods queue work for it.
type Device struct {
	index int
	name  string
	desc  string

	// The hand-off (launch.go). Caller's goroutine: cur, step, closed.
	q        chan *batch   // filled batches for the CUDA goroutine, in order
	spare    chan *batch   // executed batches, for reuse
	done     chan struct{} // signals the end of a cmdCall
	cur      *batch        // the batch being filled
	step     int           // the training step being queued (MarkStep)
	closed   bool          // set by Close
	syncEach bool          // GPUTRAIN_CUDA_SYNC=1: wait for every kernel

	// The upload staging area (memory.go): page-locked host memory, filled by
	// the caller's goroutine, allocated and freed by the CUDA goroutine
	// while the caller waits.
	stage     unsafe.Pointer
	stageCap  int64
	stageUsed int64 // bytes handed out since the last synchronisation
	noPinned  bool  // the driver refused page-locked memory

	// Split-k's workspace (gemm.go), owned by the caller's goroutine.
	ws      cu.DevicePtr
	wsBytes int64

	// Owned by the CUDA goroutine.
	dev      cu.Device
	ctx      cu.CUContext
	stream   cu.Stream
	mods     []cu.Module
	fn       [numKernels]cu.Function
	pool     map[int64][]cu.DevicePtr // freed allocations by size, for reuse
	allocs   map[cu.DevicePtr]int64   // every live allocation (pooled or in use)
	inUse    int64                    // bytes held by the caller's buffers
	partials cu.DevicePtr             // lossPartials float64s for LossGradGroups
	err      error                    // the first failure (sticky)
	last     launch                   // the last kernel queued, for asynchronous errors
	lastStep int                      // and its training step
	counts   device.Counts            // launches, copies, syncs (CUDA goroutine)
	g        graphState               // blocks of steps and their graph (graph.go)
}

// Open opens GPU index: it retains the device's primary context, creates the
// stream and loads the kernel modules (loadKernels).
func Open(index int) (*Device, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("cuda:%d: counting devices: %w", index, err)
	}
	if index < 0 || index >= n {
		return nil, fmt.Errorf("invalid device \"cuda:%d\": this machine has %d CUDA device(s), cuda:0 to cuda:%d", index, n, n-1)
	}
	desc, err := describe(index)
	if err != nil {
		return nil, err
	}
	d := &Device{
		index:  index,
		name:   fmt.Sprintf("cuda:%d", index),
		desc:   desc,
		pool:   map[int64][]cu.DevicePtr{},
		allocs: map[cu.DevicePtr]int64{},
		// Attribution of asynchronous faults, at the cost of a
		// synchronisation per launch.
		syncEach: os.Getenv("GPUTRAIN_CUDA_SYNC") == "1",
	}
	d.g.off = graphsOff(d.syncEach)
	d.newBatches()
	ready := make(chan error)
	go d.loop(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return d, nil
}

// loop is the CUDA goroutine: it owns the context for the device's lifetime.
func (d *Device) loop(ready chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := d.setup(); err != nil {
		d.teardown()
		ready <- err
		return
	}
	ready <- nil
	for b := range d.q {
		d.run(b)
	}
}

func (d *Device) setup() error {
	var err error
	if d.dev, err = cu.GetDevice(d.index); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if d.ctx, err = d.dev.RetainPrimaryCtx(); err != nil {
		return fmt.Errorf("%s: creating the context: %w", d.name, err)
	}
	if err = cu.SetCurrentContext(d.ctx); err != nil {
		return fmt.Errorf("%s: making the context current: %w", d.name, err)
	}
	if d.stream, err = cu.MakeStream(cu.NonBlocking); err != nil {
		return fmt.Errorf("%s: creating the stream: %w", d.name, err)
	}
	found := 0
	var images []string
	for _, m := range kernels.Modules {
		mod, image, err := loadKernels(m, loadModule)
		if err != nil {
			return fmt.Errorf("%s: loading kernels/%s (the fatbin holds sm_80 and sm_90 SASS; the PTX is compute_80, for a driver that supports CUDA 11.8 or newer, this one supports %d.%d): %w",
				d.name, m.File, preflight.DriverVersion()/1000, preflight.DriverVersion()%1000/10, err)
		}
		d.mods = append(d.mods, mod)
		images = append(images, image)
		for _, name := range m.Kernels {
			k, ok := kernelByName[name]
			if !ok {
				continue // a kernel this Go code does not use
			}
			if d.fn[k], err = mod.Function(name); err != nil {
				return fmt.Errorf("%s: kernel %s in kernels/%s: %w", d.name, name, m.File, err)
			}
			found++
		}
	}
	if found != int(numKernels) {
		return fmt.Errorf("%s: the embedded PTX defines %d of the %d kernels this backend uses (regenerate it with make kernels)", d.name, found, numKernels)
	}
	d.desc += ", kernels: " + imagesLoaded(images)
	if d.partials, err = cu.MemAlloc(lossPartials * 8); err != nil {
		return fmt.Errorf("%s: allocating the loss scratch buffer: %w", d.name, err)
	}
	d.growStaging(minStaging)
	d.probeGraphs()
	return nil
}

// teardown frees everything setup and Alloc created; it runs on the CUDA
// goroutine and returns the first error.
func (d *Device) teardown() error {
	var errs []error
	keep := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", d.name, what, err))
		}
	}
	if d.stream != (cu.Stream{}) {
		keep("synchronizing before close", d.stream.Synchronize())
	}
	keep("destroying the CUDA graph", d.destroyGraph())
	for p := range d.allocs {
		keep("freeing a buffer", cu.MemFree(p))
	}
	if d.stage != nil {
		keep("freeing the upload staging area", memFreeHost(d.stage))
		d.stage, d.stageCap = nil, 0
	}
	d.allocs, d.pool = nil, nil
	if d.partials != 0 {
		keep("freeing the loss scratch buffer", cu.MemFree(d.partials))
		d.partials = 0
	}
	for _, m := range d.mods {
		keep("unloading a module", m.Unload())
	}
	d.mods = nil
	if d.stream != (cu.Stream{}) {
		keep("destroying the stream", d.stream.Destroy())
	}
	if d.ctx != (cu.CUContext{}) {
		keep("releasing the context", d.dev.ReleasePrimaryCtx())
		d.ctx = cu.CUContext{}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// call runs f on the CUDA goroutine after everything queued before it, and
// waits for it.
func (d *Device) call(f func()) {
	d.push(cmdCall).f = f
	d.flush()
	<-d.done
}

// fail records err unless an earlier error is already recorded (CUDA goroutine).
func (d *Device) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// syncStream waits for the stream and records an asynchronous failure,
// naming the last kernel queued (CUDA goroutine).
func (d *Device) syncStream() {
	if d.err != nil {
		return
	}
	d.counts.Syncs++
	if err := d.stream.Synchronize(); err != nil {
		// The GPU reports a fault at the next synchronisation, so the
		// kernel named here is only the last one queued.
		const rerun = "rerun with GPUTRAIN_CUDA_SYNC=1 to name the kernel that failed"
		if d.g.lastWasGraph {
			d.fail(fmt.Errorf("%s: a queued operation failed (last kernel queued: %v, training step %d, the end of a CUDA graph replaying steps %d to %d; %s): %w", d.name, d.last, d.lastStep, d.g.lastFirst, d.g.lastEnd, rerun, err))
		} else if d.counts.Launches > 0 {
			d.fail(fmt.Errorf("%s: a queued operation failed (last kernel queued: %v, training step %d; %s): %w", d.name, d.last, d.lastStep, rerun, err))
		} else {
			d.fail(fmt.Errorf("%s: a queued operation failed (%s): %w", d.name, rerun, err))
		}
	}
}

var errClosed = errors.New("device used after Close")

// Counts reports the kernel launches, host↔device copies and stream
// synchronisations made so far (device.Counter).
func (d *Device) Counts() device.Counts {
	var c device.Counts
	if d.closed {
		return c
	}
	d.call(func() { c = d.counts })
	return c
}

// Name is "cuda:N".
func (d *Device) Name() string { return d.name }

// Describe names the GPU, its compute capability, memory and driver, and
// which kernel image the driver took (the fatbin's SASS or the JIT-compiled PTX).
func (d *Device) Describe() string { return d.desc }

// Err reports the first error recorded so far (after the queued work has been
// handed to the GPU, not necessarily finished).
func (d *Device) Err() error {
	if d.closed {
		return fmt.Errorf("%s: %w", d.name, errClosed)
	}
	var err error
	d.call(func() { err = d.err })
	return err
}

// Synchronize waits for all queued work and reports Err.
func (d *Device) Synchronize() error {
	if d.closed {
		return fmt.Errorf("%s: %w", d.name, errClosed)
	}
	var err error
	d.call(func() {
		d.syncStream()
		err = d.err
	})
	d.stageUsed = 0
	return err
}

// Close waits for queued work, frees every buffer and releases the GPU.
// Buffers of the device must not be used afterwards.
func (d *Device) Close() error {
	if d.closed {
		return nil
	}
	var err error
	d.call(func() { err = d.teardown() })
	d.closed = true
	close(d.q)
	return err
}

var _ device.Device = (*Device)(nil)
