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
	kGemmNN kernel = iota
	kGemmNT
	kGemmTN
	kGemmTT
	kBiasAct
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
	kGemmNN:          {"gemm_nn", "m n k"},
	kGemmNT:          {"gemm_nt", "m n k"},
	kGemmTN:          {"gemm_tn", "m n k"},
	kGemmTT:          {"gemm_tt", "m n k"},
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

// Fill sets dst[0:n] to v.
func (d *Device) Fill(dst device.Buffer, n int, v float32) {
	nonNeg("Fill", n)
	x := d.fbuf("Fill", "dst", dst, n)
	if n == 0 {
		return
	}
	d.enqueue(flat(kFill, n, shape(n)), argP(x.ptr), argI(n), argF(v))
}

// Copy copies src[0:n] to dst[0:n] on the device.
func (d *Device) Copy(dst, src device.Buffer, n int) {
	nonNeg("Copy", n)
	xd, xs := d.fbuf("Copy", "dst", dst, n), d.fbuf("Copy", "src", src, n)
	if n == 0 || d.closed {
		return
	}
	d.post(func() {
		if d.err != nil {
			return
		}
		if err := cu.MemcpyDtoDAsync(xd.ptr, xs.ptr, 4*int64(n), d.stream); err != nil {
			d.fail(fmt.Errorf("%s: Copy of %d elements: %w", d.name, n, err))
		}
	})
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C (see device.Device.Gemm).
func (d *Device) Gemm(transA, transB bool, m, n, k int, alpha float32, a, b device.Buffer, beta float32, c device.Buffer) {
	nonNeg("Gemm", m, n, k)
	xa, xb, xc := d.fbuf("Gemm", "a", a, m*k), d.fbuf("Gemm", "b", b, k*n), d.fbuf("Gemm", "c", c, m*n)
	if m == 0 || n == 0 {
		return
	}
	kern := kGemmNN
	switch {
	case transA && transB:
		kern = kGemmTT
	case transA:
		kern = kGemmTN
	case transB:
		kern = kGemmNT
	}
	l := launch{k: kern, shape: shape(m, n, k), grid: [3]int{ceilDiv(m, gemmTile), ceilDiv(n, gemmTile), 1}, block: block1(threads)}
	if l.grid[1] > 65535 {
		panic(fmt.Sprintf("%s: Gemm: n=%d is more than the %d columns the kernel's grid covers", d.name, n, 65535*gemmTile))
	}
	d.enqueue(l, argI(m), argI(n), argI(k), argF(alpha), argP(xa.ptr), argP(xb.ptr), argF(beta), argP(xc.ptr))
}

func checkAct(op string, act device.Activation) {
	if act < device.Identity || act > device.Sigmoid {
		panic(fmt.Sprintf("%s: unknown activation %v", op, act))
	}
}

// BiasActivation computes out[r,c] = act(z[r,c] + bias[c]); out may be z.
func (d *Device) BiasActivation(act device.Activation, z, bias, out device.Buffer, rows, cols int) {
	nonNeg("BiasActivation", rows, cols)
	checkAct("BiasActivation", act)
	xz, xb, xo := d.fbuf("BiasActivation", "z", z, rows*cols), d.fbuf("BiasActivation", "bias", bias, cols), d.fbuf("BiasActivation", "out", out, rows*cols)
	if rows*cols == 0 {
		return
	}
	d.enqueue(flat(kBiasAct, rows*cols, shape(rows, cols, actArg(act))),
		argI(actArg(act)), argP(xz.ptr), argP(xb.ptr), argP(xo.ptr), argI(rows), argI(cols))
}

// ActivationBackward computes dz[i] = dout[i]·act'(z[i]) through out = act(z).
func (d *Device) ActivationBackward(act device.Activation, out, dout, dz device.Buffer, n int) {
	nonNeg("ActivationBackward", n)
	checkAct("ActivationBackward", act)
	xo, xg, xz := d.fbuf("ActivationBackward", "out", out, n), d.fbuf("ActivationBackward", "dout", dout, n), d.fbuf("ActivationBackward", "dz", dz, n)
	if n == 0 {
		return
	}
	d.enqueue(flat(kActBackward, n, shape(n, actArg(act))),
		argI(actArg(act)), argP(xo.ptr), argP(xg.ptr), argP(xz.ptr), argI(n))
}

// ColumnSums computes out[c] = Σ_r x[r,c].
func (d *Device) ColumnSums(x device.Buffer, rows, cols int, out device.Buffer) {
	nonNeg("ColumnSums", rows, cols)
	xx, xo := d.fbuf("ColumnSums", "x", x, rows*cols), d.fbuf("ColumnSums", "out", out, cols)
	if cols == 0 {
		return
	}
	// reduce.cu: 32 columns per block of 32×16 threads.
	l := launch{k: kColumnSums, shape: shape(rows, cols), grid: grid1(ceilDiv(cols, 32)), block: [3]int{32, 16, 1}}
	d.enqueue(l, argP(xx.ptr), argI(rows), argI(cols), argP(xo.ptr))
}

// LossGrad computes the loss of logits against targets, writes the scaled
// gradient and stores the loss sum in lossOut[lossAt] (see device.Loss). It is
// LossGradGroups with one group (cuda/batch_ops.go).
func (d *Device) LossGrad(loss device.Loss, logits, targets, grad device.Buffer, rows, cols int, gradScale float32, lossOut device.Buffer, lossAt int) {
	d.lossGrad("LossGrad", loss, logits, targets, grad, rows, cols, 1, gradScale, lossOut, lossAt)
}

// GatherRows copies dst[i,:] = src[idx[idxOffset+i],:] for i < rows.
func (d *Device) GatherRows(src device.Buffer, idx device.IndexBuffer, idxOffset int, dst device.Buffer, rows, cols int) {
	const op = "GatherRows"
	nonNeg(op, idxOffset, rows, cols)
	xs := d.fbuf(op, "src", src, 0)
	xi := d.ibuf(op, "idx", idx, idxOffset+rows)
	xd := d.fbuf(op, "dst", dst, rows*cols)
	if rows*cols == 0 {
		return
	}
	srcRows := xs.n / cols // an index ≥ srcRows writes NaN rather than reading out of bounds
	d.enqueue(flat(kGather, rows*cols, shape(rows, cols, idxOffset)),
		argP(xs.ptr), argI(srcRows), argP(xi.ptr), argI(idxOffset), argP(xd.ptr), argI(rows), argI(cols))
}

// Dropout draws mask[i] from device.DropoutKeep and multiplies x by it.
func (d *Device) Dropout(x, mask device.Buffer, n int, p float32, seed uint64) {
	nonNeg("Dropout", n)
	xx, xm := d.fbuf("Dropout", "x", x, n), d.fbuf("Dropout", "mask", mask, n)
	if n == 0 {
		return
	}
	d.enqueue(flat(kDropout, n, shape(n)), argP(xx.ptr), argP(xm.ptr), argI(n), argF(p), argU(seed))
}

// Mul computes out[i] = a[i]·b[i]; out may be a or b.
func (d *Device) Mul(a, b, out device.Buffer, n int) {
	nonNeg("Mul", n)
	xa, xb, xo := d.fbuf("Mul", "a", a, n), d.fbuf("Mul", "b", b, n), d.fbuf("Mul", "out", out, n)
	if n == 0 {
		return
	}
	d.enqueue(flat(kMul, n, shape(n)), argP(xa.ptr), argP(xb.ptr), argP(xo.ptr), argI(n))
}

// SGDStep updates p[i] -= lr·(g[i] + weightDecay·p[i]).
func (d *Device) SGDStep(p, g device.Buffer, n int, lr, weightDecay float32) {
	nonNeg("SGDStep", n)
	xp, xg := d.fbuf("SGDStep", "p", p, n), d.fbuf("SGDStep", "g", g, n)
	if n == 0 {
		return
	}
	d.enqueue(flat(kSGD, n, shape(n)), argP(xp.ptr), argP(xg.ptr), argI(n), argF(lr), argF(weightDecay))
}

// MomentumStep does PyTorch's SGD with momentum.
func (d *Device) MomentumStep(p, g, v device.Buffer, n int, lr, momentum, weightDecay float32) {
	nonNeg("MomentumStep", n)
	xp, xg, xv := d.fbuf("MomentumStep", "p", p, n), d.fbuf("MomentumStep", "g", g, n), d.fbuf("MomentumStep", "v", v, n)
	if n == 0 {
		return
	}
	d.enqueue(flat(kMomentum, n, shape(n)), argP(xp.ptr), argP(xg.ptr), argP(xv.ptr), argI(n), argF(lr), argF(momentum), argF(weightDecay))
}

// AdamStep does torch.optim.Adam with L2 weight decay; step is 1-based.
func (d *Device) AdamStep(p, g, m, v device.Buffer, n int, lr, beta1, beta2, eps, weightDecay float32, step int) {
	nonNeg("AdamStep", n)
	xp, xg := d.fbuf("AdamStep", "p", p, n), d.fbuf("AdamStep", "g", g, n)
	xm, xv := d.fbuf("AdamStep", "m", m, n), d.fbuf("AdamStep", "v", v, n)
	if n == 0 {
		return
	}
	// Bias corrections in float64 on the host, as the CPU backend does.
	bc1 := float32(1 - math.Pow(float64(beta1), float64(step)))
	bc2 := float32(1 - math.Pow(float64(beta2), float64(step)))
	d.enqueue(flat(kAdam, n, shape(n, step)), argP(xp.ptr), argP(xg.ptr), argP(xm.ptr), argP(xv.ptr), argI(n),
		argF(lr), argF(beta1), argF(beta2), argF(eps), argF(weightDecay), argF(bc1), argF(bc2))
}

var _ device.Device = (*Device)(nil)
