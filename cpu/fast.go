package cpu

import (
	"fmt"
	"runtime"

	"github.com/gputrain/gputrain/cpu/internal/isa"
	"github.com/gputrain/gputrain/cpu/internal/pool"
	"github.com/gputrain/gputrain/cpu/internal/sgemm"
	"github.com/gputrain/gputrain/cpu/internal/vec"
	"github.com/gputrain/gputrain/device"
)

// This file holds the fast paths of the hot training operations: Gemm goes
// to the packed, cache-blocked sgemm (cpu/internal/sgemm) and the
// element-wise operations to the vectorised kernels of cpu/internal/vec,
// both with assembly for AVX-512 / AVX2+FMA chosen at run time and a plain
// Go path (see KernelLevel). Large operations are split over the fixed
// worker pool of cpu/internal/pool in ways that leave every result computed
// by the same code in the same order, so results are bit-identical run to
// run whatever the worker count. No operation here allocates once the
// device's scratch buffers have grown to the shapes in use.

// fast is the Device's state for these paths: one reusable job (a Device is
// used from one goroutine at a time) and scratch space.
type fast struct {
	job     ewJob
	strided stridedJob // GemmStrided's batches (batch.go)
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

// Gemm computes C = alpha·op(A)·op(B) + beta·C with the blocked sgemm.
func (d *Device) Gemm(transA, transB bool, m, n, k int, alpha float32, a, b device.Buffer, beta float32, c device.Buffer) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	sgemm.Sgemm(transA, transB, m, n, k, alpha, f32(a)[:m*k], lda, f32(b)[:k*n], ldb, beta, f32(c)[:m*n], n)
}

// ewOp names an element-wise operation run by ewJob.
type ewOp int

const (
	opBiasAct ewOp = iota
	opActGrad
	opColSums
	opMul
	opSGD
	opMomentum
	opAdam
)

// ewJob is one element-wise operation, split into pieces of about
// ewPiece elements (whole rows for opBiasAct, column ranges for opColSums,
// runs of a multiple of 8 elements for the rest) that the pool's workers
// claim dynamically. Every element is computed by the same code whichever
// piece it falls in, so the split never changes a result.
type ewJob struct {
	op         ewOp
	act        device.Activation
	a, b, c, e []float32
	acc        []float64
	rows, cols int
	n          int
	f0, f1, f2 float32
	adam       vec.AdamConsts

	pieces, per int // number of pieces and units (rows, columns, elements) per piece
	ctr         pool.Counter
}

// ewParallelWork is the estimated work (elements × relative cost) from
// which an element-wise operation is split over the pool, and ewPiece the
// work of one piece.
const (
	ewParallelWork = 1 << 18
	ewPiece        = 1 << 15
)

// run executes the job, with the pool when work (elements × relative cost)
// warrants it.
func (j *ewJob) run(work int) {
	units, unitWork := j.n, max(work/max(j.n, 1), 1)
	switch j.op {
	case opBiasAct:
		units, unitWork = j.rows, max(work/max(j.rows, 1), 1)
	case opColSums:
		units, unitWork = (j.cols+7)/8, max(8*work/max(j.cols, 1), 1)
	}
	j.per = max(ewPiece/unitWork, 1)
	if j.op != opBiasAct && j.op != opColSums {
		j.per = (j.per + 7) &^ 7
	}
	j.pieces = (units + j.per - 1) / j.per
	j.ctr.Reset()
	if work >= ewParallelWork && j.pieces > 1 {
		pool.Default().Run(j)
	} else {
		j.Do(0, 1)
	}
	j.a, j.b, j.c, j.e, j.acc = nil, nil, nil, nil, nil
}

// Do processes pieces until none is left (the caller's Do then waits for
// the others' pieces).
func (j *ewJob) Do(w, workers int) {
	for {
		p, ok := j.ctr.Claim(j.pieces)
		if !ok {
			break
		}
		j.piece(p)
		j.ctr.Done()
	}
	if w == 0 {
		j.ctr.Wait(j.pieces)
	}
}

// piece computes piece p.
func (j *ewJob) piece(p int) {
	switch j.op {
	case opBiasAct:
		r0, r1 := p*j.per, min((p+1)*j.per, j.rows)
		lo, hi := r0*j.cols, r1*j.cols
		biasAct(j.act, j.c[lo:hi], j.a[lo:hi], j.b, r1-r0, j.cols)
		return
	case opColSums:
		c0, c1 := 8*p*j.per, min(8*(p+1)*j.per, j.cols)
		vec.ColSums(j.acc[c0:c1], j.a[c0:], j.rows, c1-c0, j.cols)
		return
	}
	lo, hi := p*j.per, min((p+1)*j.per, j.n)
	switch j.op {
	case opActGrad:
		actGrad(j.act, j.c[lo:hi], j.a[lo:hi], j.b[lo:hi])
	case opMul:
		vec.Mul(j.c[lo:hi], j.a[lo:hi], j.b[lo:hi])
	case opSGD:
		vec.SGD(j.a[lo:hi], j.b[lo:hi], j.f0, j.f1)
	case opMomentum:
		vec.Momentum(j.a[lo:hi], j.b[lo:hi], j.c[lo:hi], j.f0, j.f1, j.f2)
	case opAdam:
		vec.Adam(j.a[lo:hi], j.b[lo:hi], j.c[lo:hi], j.e[lo:hi], &j.adam)
	}
}

// biasAct computes out = act(z + bias) for a rows×cols block.
func biasAct(act device.Activation, out, z, bias []float32, rows, cols int) {
	va := vec.Identity
	switch act {
	case device.Tanh:
		va = vec.TanhAct
	case device.ReLU:
		va = vec.ReLUAct
	case device.Sigmoid:
		va = vec.SigmoidAct
	}
	vec.BiasAct(va, out, z, bias, rows, cols)
}

// actGrad computes dz = dout·act'(out).
func actGrad(act device.Activation, dz, out, dout []float32) {
	switch act {
	case device.Tanh:
		vec.TanhGrad(dz, out, dout)
	case device.Sigmoid:
		vec.SigmoidGrad(dz, out, dout)
	case device.ReLU:
		vec.ReLUGrad(dz, out, dout)
	default:
		copy(dz, dout)
	}
}

// actCost is an activation's cost relative to an add, for ewParallelWork.
func actCost(act device.Activation) int {
	if act == device.Tanh || act == device.Sigmoid {
		return 8
	}
	return 1
}

// BiasActivation computes out[r,c] = act(z[r,c] + bias[c]).
func (d *Device) BiasActivation(act device.Activation, z, bias, out device.Buffer, rows, cols int) {
	n := rows * cols
	j := &d.job
	*j = ewJob{op: opBiasAct, act: act, a: f32(z)[:n], b: f32(bias)[:cols], c: f32(out)[:n], rows: rows, cols: cols}
	j.run(n * actCost(act))
}

// ActivationBackward computes dz = dout·act'(out).
func (d *Device) ActivationBackward(act device.Activation, out, dout, dz device.Buffer, n int) {
	j := &d.job
	*j = ewJob{op: opActGrad, act: act, a: f32(out)[:n], b: f32(dout)[:n], c: f32(dz)[:n], n: n}
	j.run(n)
}

// ColumnSums computes out[c] = Σ_r x[r,c], accumulating in float64 row by
// row (columns split over workers).
func (d *Device) ColumnSums(x device.Buffer, rows, cols int, out device.Buffer) {
	if cap(d.acc) < cols {
		d.acc = make([]float64, cols)
	}
	acc := d.acc[:cols]
	clear(acc)
	j := &d.job
	*j = ewJob{op: opColSums, a: f32(x)[:rows*cols], acc: acc, rows: rows, cols: cols}
	work := rows * cols
	if cols < 16 {
		work = 0
	}
	j.run(work)
	od := f32(out)[:cols]
	for c, v := range acc {
		od[c] = float32(v)
	}
}

// LossGrad computes the loss sum into lossOut[lossAt] and the scaled
// gradient: LossGradGroups (cpu/batch.go) with one group, called directly.
func (d *Device) LossGrad(loss device.Loss, logits, targets, grad device.Buffer, rows, cols int, gradScale float32, lossOut device.Buffer, lossAt int) {
	n := rows * cols
	var yd []float32
	switch loss {
	case device.Logistic, device.MSE:
		yd = f32(targets)[:n]
	case device.SoftmaxCE:
		yd = f32(targets)[:rows]
	default:
		panic(fmt.Sprintf("cpu: unknown loss %v", loss))
	}
	f32(lossOut)[lossAt] = float32(lossGradGroup(loss, f32(logits)[:n], yd, f32(grad)[:n], rows, cols, cols, gradScale))
}

// Mul computes out = a·b element-wise.
func (d *Device) Mul(a, b, out device.Buffer, n int) {
	j := &d.job
	*j = ewJob{op: opMul, a: f32(a)[:n], b: f32(b)[:n], c: f32(out)[:n], n: n}
	j.run(n)
}

// SGDStep does p -= lr·(g + weightDecay·p).
func (d *Device) SGDStep(p, g device.Buffer, n int, lr, weightDecay float32) {
	j := &d.job
	*j = ewJob{op: opSGD, a: f32(p)[:n], b: f32(g)[:n], n: n, f0: lr, f1: weightDecay}
	j.run(n)
}

// MomentumStep does PyTorch's SGD with momentum.
func (d *Device) MomentumStep(p, g, v device.Buffer, n int, lr, momentum, weightDecay float32) {
	j := &d.job
	*j = ewJob{op: opMomentum, a: f32(p)[:n], b: f32(g)[:n], c: f32(v)[:n], n: n, f0: lr, f1: momentum, f2: weightDecay}
	j.run(2 * n)
}

// AdamStep does PyTorch's Adam with L2 weight decay (bias corrections as
// reciprocals computed once per call).
func (d *Device) AdamStep(p, g, m, v device.Buffer, n int, lr, beta1, beta2, eps, weightDecay float32, step int) {
	j := &d.job
	*j = ewJob{op: opAdam, a: f32(p)[:n], b: f32(g)[:n], c: f32(m)[:n], e: f32(v)[:n], n: n}
	j.adam.Set(lr, beta1, beta2, eps, weightDecay, step)
	j.run(8 * n)
}

// logisticAcc computes the logistic loss's gradient for logits z and 0/1
// targets y with the vectorised kernel and returns sum plus the loss terms,
// added one by one in order (so splitting a row-major block into rows and
// continuing the sum gives the same bits).
func logisticAcc(sum float64, z, y, grad []float32, gradScale float32) float64 {
	var terms [256]float32
	for lo := 0; lo < len(z); lo += len(terms) {
		hi := min(lo+len(terms), len(z))
		t := terms[:hi-lo]
		vec.Logistic(z[lo:hi], y[lo:hi], grad[lo:hi], t, gradScale)
		for _, l := range t {
			sum += float64(l)
		}
	}
	return sum
}
