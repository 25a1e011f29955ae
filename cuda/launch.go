//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/gputrain/gputrain/device"
	"gorgonia.org/cu"
)

// kernel identifies one extern "C" entry point of the PTX in package kernels.
type kernel int

const (
	kBiasAct kernel = iota
	kActBackward
	kLossElementwise
	kLossSoftmaxCE
	kLossFinalize
	kColumnSums
	kSGD
	kMomentum
	kAdam
	kFill
	kMul
	kGather
	kDropout
	kGemmStridedNN
	kGemmStridedNT
	kGemmStridedTN
	kGemmStridedTT
	kBatchNormTrain
	kBatchNormEval
	kBatchNormBackward
	numKernels
)

// kernelInfo gives each kernel's PTX name and the names of the shape values
// its error messages show.
var kernelInfo = [numKernels]struct {
	name string
	dims string
}{
	kBiasAct:         {"bias_act_forward", "rows cols act"},
	kActBackward:     {"act_backward", "n act"},
	kLossElementwise: {"loss_elementwise", "rows cols groups"},
	kLossSoftmaxCE:   {"loss_softmax_ce", "rows cols groups"},
	kLossFinalize:    {"loss_finalize", "partials lossAt groups"},
	kColumnSums:      {"column_sums", "rows cols"},
	kSGD:             {"sgd_step", "n"},
	kMomentum:        {"momentum_step", "n"},
	kAdam:            {"adam_step", "n step"},
	kFill:            {"fill", "n"},
	kMul:             {"mul", "n"},
	kGather:          {"gather_rows", "rows cols idxOffset"},
	kDropout:         {"dropout", "n"},

	kGemmStridedNN:     {"gemm_strided_nn", "m n k"},
	kGemmStridedNT:     {"gemm_strided_nt", "m n k"},
	kGemmStridedTN:     {"gemm_strided_tn", "m n k"},
	kGemmStridedTT:     {"gemm_strided_tt", "m n k"},
	kBatchNormTrain:    {"batchnorm_train", "rows cols act"},
	kBatchNormEval:     {"batchnorm_eval", "rows cols act"},
	kBatchNormBackward: {"batchnorm_backward", "rows cols"},
}

var kernelByName = func() map[string]kernel {
	m := map[string]kernel{}
	for k, info := range kernelInfo {
		m[info.name] = kernel(k)
	}
	return m
}()

// launch is a kernel launch as error messages describe it.
type launch struct {
	k     kernel
	shape [3]int
	grid  [3]int
	block [3]int
}

func (l launch) String() string {
	var b strings.Builder
	b.WriteString(kernelInfo[l.k].name)
	b.WriteByte('(')
	for i, name := range strings.Fields(kernelInfo[l.k].dims) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", name, l.shape[i])
	}
	fmt.Fprintf(&b, "; grid %dx%dx%d, block %dx%dx%d)", l.grid[0], l.grid[1], l.grid[2], l.block[0], l.block[1], l.block[2])
	return b.String()
}

// Kernel arguments travel in 8-byte slots: cu's Launch copies 8 bytes from
// every parameter pointer, and the driver takes the low 4 bytes (little
// endian) of a slot for an int or float parameter.
func argF(v float32) uint64          { return uint64(math.Float32bits(v)) }
func argI(v int) uint64              { return uint64(uint32(int32(v))) }
func argP(p cu.DevicePtr) uint64     { return uint64(p) }
func argU(v uint64) uint64           { return v }
func ceilDiv(a, b int) int           { return (a + b - 1) / b }
func clampInt(v, lo, hi int) int     { return min(max(v, lo), hi) }
func grid1(x int) [3]int             { return [3]int{x, 1, 1} }
func block1(x int) [3]int            { return [3]int{x, 1, 1} }
func shape(a ...int) (s [3]int)      { copy(s[:], a); return s }
func actArg(a device.Activation) int { return int(a) }

// enqueue queues a kernel launch; the caller has validated the shapes.
func (d *Device) enqueue(l launch, args ...uint64) {
	if d.closed {
		return
	}
	d.post(func() { d.launchNow(l, args) })
}

// launchNow launches on the stream (CUDA goroutine).
func (d *Device) launchNow(l launch, args []uint64) {
	if d.err != nil {
		return
	}
	params := make([]unsafe.Pointer, len(args))
	for i := range args {
		params[i] = unsafe.Pointer(&args[i])
	}
	d.last = l
	d.counts.Launches++
	err := d.fn[l.k].Launch(l.grid[0], l.grid[1], l.grid[2], l.block[0], l.block[1], l.block[2], 0, d.stream, params)
	if err != nil {
		d.fail(fmt.Errorf("%s: launching %v: %w", d.name, l, err))
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

func flat(k kernel, n int, sh [3]int) launch {
	return launch{k: k, shape: sh, grid: grid1(clampInt(ceilDiv(n, threads), 1, maxBlocks)), block: block1(threads)}
}

func nonNeg(op string, dims ...int) {
	for _, v := range dims {
		if v < 0 {
			panic(fmt.Sprintf("%s: negative size %d in %v", op, v, dims))
		}
	}
}
