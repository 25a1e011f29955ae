//go:build cuda

package cuda

import (
	"fmt"
	"math"
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
func ceilDiv(a, b int) int       { return (a + b - 1) / b }
func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }
func grid1(x int) [3]int         { return [3]int{x, 1, 1} }
func block1(x int) [3]int        { return [3]int{x, 1, 1} }

// enqueue queues a kernel launch; the caller has validated the shapes.
func (d *Device) enqueue(l launch) {
	if d.closed {
		return
	}
	d.post(func() { d.launchNow(&l) })
}

// launchNow launches on the stream (CUDA goroutine).
func (d *Device) launchNow(l *launch) {
	if d.err != nil {
		return
	}
	var params [maxKernelArgs]unsafe.Pointer
	n := len(kernelInfo[l.k].params)
	for i := range n {
		params[i] = unsafe.Pointer(&l.args[i])
	}
	d.last = *l
	d.counts.Launches++
	err := d.fn[l.k].Launch(l.grid[0], l.grid[1], l.grid[2], l.block[0], l.block[1], l.block[2], 0, d.stream, params[:n])
	if err != nil {
		d.fail(fmt.Errorf("%s: launching %v: %w", d.name, *l, err))
	}
}

// Element-wise kernels: 256 threads per block, at most maxBlocks blocks (the
// kernels stride over the rest).
const (
	threads   = 256
	maxBlocks = 8192
	// lossPartials is the most blocks the loss kernels' first pass uses
	// (one float64 partial sum each); the block count depends only on the
	// shape, so the loss sum is bit-reproducible.
	lossPartials = 1024
	// gemmTile is the C tile one gemm block computes (gemm.cu's BM = BN).
	gemmTile = 64
	// maxGridYZ is the most blocks a grid has along y or z.
	maxGridYZ = 65535
)

// flatGrid is the grid of the grid-stride kernels for n elements.
func flatGrid(n int) [3]int { return grid1(clampInt(ceilDiv(n, threads), 1, maxBlocks)) }

func nonNeg(op string, dims ...int) {
	for _, v := range dims {
		if v < 0 {
			panic(fmt.Sprintf("%s: negative size %d in %v", op, v, dims))
		}
	}
}
