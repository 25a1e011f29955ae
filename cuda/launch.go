//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unsafe"

	"gorgonia.org/cu"
)

// kernel identifies one extern "C" entry point of the PTX in package kernels.
// The ids, kernelInfo and one typed launch method per kernel are generated
// from the kernels' signatures (launch_gen.go, go generate ./kernels).
type kernel int

// paramKind is how a kernel parameter is shown in error messages.
type paramKind int

const (
	paramInt paramKind = iota
	paramFloat
	paramU64
	paramPtr
)

// kernelParam is one kernel parameter as its .cu file names it.
type kernelParam struct {
	name string
	kind paramKind
}

// kernelDesc is one kernel: its PTX module, its name and its parameters.
type kernelDesc struct {
	module string
	name   string
	params []kernelParam
}

var kernelByName = func() map[string]kernel {
	m := map[string]kernel{}
	for k, info := range kernelInfo {
		m[info.name] = kernel(k)
	}
	return m
}()

// launch is one kernel launch: the kernel, its grid and block, and its
// arguments, built once by the kernel's launch method.
type launch struct {
	k     kernel
	grid  [3]int
	block [3]int
	args  [maxKernelArgs]uint64
}

// String names the kernel with its int arguments (the shape) and the launch
// dimensions, for error messages.
func (l launch) String() string {
	var b strings.Builder
	info := kernelInfo[l.k]
	b.WriteString(info.name)
	b.WriteByte('(')
	sep := ""
	for i, p := range info.params {
		if p.kind == paramInt {
			fmt.Fprintf(&b, "%s%s=%d", sep, p.name, int32(uint32(l.args[i])))
			sep = " "
		}
	}
	fmt.Fprintf(&b, "; grid %dx%dx%d, block %dx%dx%d)", l.grid[0], l.grid[1], l.grid[2], l.block[0], l.block[1], l.block[2])
	return b.String()
}

// Kernel arguments travel in 8-byte slots: cu's Launch copies 8 bytes from
// every parameter pointer, and the driver takes the low 4 bytes (little
// endian) of a slot for an int or float parameter.
func argF(v float32) uint64      { return uint64(math.Float32bits(v)) }
func argI(v int) uint64          { return uint64(uint32(int32(v))) }
func argP(p cu.DevicePtr) uint64 { return uint64(p) }
func argU(v uint64) uint64       { return v }
func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }
func grid1(x int) [3]int         { return [3]int{x, 1, 1} }
func block1(x int) [3]int        { return [3]int{x, 1, 1} }

// The hand-off to the CUDA goroutine. Operations are recorded as fixed-size
// commands in a batch that the caller's goroutine fills; a batch goes to the
// CUDA goroutine when it is full or at the next synchronous call (Download,
// Alloc, Err, …), so a training step's launches cross goroutines in one
// hand-off and queuing a launch allocates nothing (no closure, no argument
// slice: the arguments are copied into the command).

// cmdKind says what a cmd does.
type cmdKind uint8

const (
	cmdLaunch cmdKind = iota // launch l
	cmdCopy                  // device-to-device copy: args = dst, src, bytes
	cmdFree                  // return an allocation to the pool: args = ptr, bytes
	cmdUpload                // host-to-device copy from the staging area: host, args = dst, -, bytes
	cmdCall                  // run f, then signal d.done
	cmdBegin                 // a block of training steps begins (graph.go)
	cmdEnd                   // the block ends
)

// cmd is one operation queued for the CUDA goroutine.
type cmd struct {
	kind cmdKind
	step int            // the training step it belongs to (MarkStep), for fault reports
	l    launch         // cmdLaunch's kernel, grid, block and arguments
	args [3]uint64      // the operands of a copy, upload or free
	host unsafe.Pointer // cmdUpload's source, in the staging area
	f    func()
}

// batchLen is the most commands a batch holds (a few training steps of a
// small network); numBatches bounds how far the caller may run ahead of the
// CUDA goroutine.
const (
	batchLen   = 64
	numBatches = 4
)

// batch is a run of commands handed to the CUDA goroutine at once.
type batch struct{ cmds []cmd }

// newBatches makes the device's batches: one to fill, the rest spare.
func (d *Device) newBatches() {
	d.q = make(chan *batch, numBatches)
	d.spare = make(chan *batch, numBatches)
	d.done = make(chan struct{}, 1)
	d.cur = &batch{cmds: make([]cmd, 0, batchLen)}
	for i := 1; i < numBatches; i++ {
		d.spare <- &batch{cmds: make([]cmd, 0, batchLen)}
	}
}

// push returns a fresh command at the end of the current batch (caller's
// goroutine); pushed hands the batch over once it is full.
func (d *Device) push(kind cmdKind) *cmd {
	b := d.cur
	b.cmds = b.cmds[:len(b.cmds)+1]
	c := &b.cmds[len(b.cmds)-1]
	c.kind, c.step = kind, d.step
	return c
}

func (d *Device) pushed() {
	if len(d.cur.cmds) == batchLen {
		d.flush()
	}
}

// flush hands the current batch to the CUDA goroutine and takes a spare one
// (waiting, when the CUDA goroutine is numBatches−1 batches behind).
func (d *Device) flush() {
	if len(d.cur.cmds) == 0 {
		return
	}
	d.q <- d.cur
	d.cur = <-d.spare
}

// run executes a batch (CUDA goroutine) and returns it to the spares.
// Inside a block of steps (graph.go), launches and copies are collected
// until its end; a free is done at once (the memory returns to the pool,
// which only a later Alloc, a call that ends the block first, hands out);
// anything else ends the block.
func (d *Device) run(b *batch) {
	for i := range b.cmds {
		c := &b.cmds[i]
		if d.g.open {
			switch c.kind {
			case cmdLaunch, cmdCopy:
				d.collect(c)
				continue
			case cmdEnd:
				d.endBlock()
				continue
			case cmdUpload, cmdCall, cmdBegin:
				d.breakBlock()
			}
		}
		switch c.kind {
		case cmdLaunch:
			d.launchNow(c)
		case cmdCopy:
			d.copyNow(c)
		case cmdBegin:
			d.beginBlock()
		case cmdUpload:
			if d.err == nil {
				d.counts.Copies++
				d.counts.CopyBytes += int64(c.args[2])
				if err := cu.MemcpyHtoDAsync(cu.DevicePtr(c.args[0]), c.host, int64(c.args[2]), d.stream); err != nil {
					d.fail(fmt.Errorf("%s: Upload of %d bytes: %w", d.name, c.args[2], err))
				}
			}
		case cmdFree:
			// Queued behind every operation that may still use the
			// allocation, so a later Alloc can hand it out without waiting.
			if d.allocs != nil {
				bytes := int64(c.args[1])
				d.pool[bytes] = append(d.pool[bytes], cu.DevicePtr(c.args[0]))
				d.inUse -= bytes
			}
		case cmdCall:
			c.f()
			c.f = nil
			d.done <- struct{}{}
		}
	}
	b.cmds = b.cmds[:0]
	d.spare <- b
}

// enqueue queues a kernel launch; the caller has validated the shapes.
func (d *Device) enqueue(l launch) {
	if d.closed {
		return
	}
	c := d.push(cmdLaunch)
	c.l = l
	d.pushed()
}

// copyNow queues c's device-to-device copy on the stream (CUDA goroutine).
func (d *Device) copyNow(c *cmd) {
	if d.err != nil {
		return
	}
	if err := cu.MemcpyDtoDAsync(cu.DevicePtr(c.args[0]), cu.DevicePtr(c.args[1]), int64(c.args[2]), d.stream); err != nil {
		d.fail(fmt.Errorf("%s: Copy of %d bytes: %w", d.name, c.args[2], err))
	}
}

// launchNow launches c on the stream (CUDA goroutine). With
// GPUTRAIN_CUDA_SYNC=1 it waits for the kernel, so a fault is blamed on the
// kernel that made it rather than on a later synchronising call.
func (d *Device) launchNow(c *cmd) {
	if d.err != nil {
		return
	}
	d.last, d.lastStep, d.g.lastWasGraph = c.l, c.step, false
	d.counts.Launches++
	if err := launchKernel(d.fn[c.l.k], c.l.grid, c.l.block, d.stream, c.l.args[:len(kernelInfo[c.l.k].params)]); err != nil {
		d.fail(fmt.Errorf("%s: launching %v (launch %d since Open, training step %d): %w", d.name, c.l, d.counts.Launches, c.step, err))
		return
	}
	if d.syncEach {
		d.counts.Syncs++
		if err := d.stream.Synchronize(); err != nil {
			d.fail(fmt.Errorf("%s: kernel %v failed (launch %d since Open, training step %d; found by GPUTRAIN_CUDA_SYNC=1): %w", d.name, c.l, d.counts.Launches, c.step, err))
		}
	}
}

// MarkStep tells the device which training step the operations queued from
// now on belong to (nn.Trainer calls it before each step), so that a fault
// report names the step.
func (d *Device) MarkStep(step int) { d.step = step }

// Element-wise kernels: 256 threads per block, at most maxBlocks blocks (the
// kernels stride over the rest).
const (
	threads   = 256
	maxBlocks = 8192
	// lossPartials is the most blocks the loss kernels' first pass uses
	// (one float64 partial sum each); the block count depends only on the
	// shape, so the loss sum is bit-reproducible.
	lossPartials = 1024
	// maxGridYZ is the most blocks a grid has along y or z.
	maxGridYZ = 65535
)

// flatGrid is the grid of the grid-stride kernels for n elements.
func flatGrid(n int) [3]int { return grid1(clampInt(ceilDiv(n, threads), 1, maxBlocks)) }

// nonNeg panics when a size is negative. The message gets a copy of dims,
// so that dims itself does not escape and an op's call allocates nothing.
func nonNeg(op string, dims ...int) {
	for _, v := range dims {
		if v < 0 {
			panic(fmt.Sprintf("%s: negative size %d in %v", op, v, slices.Clone(dims)))
		}
	}
}
