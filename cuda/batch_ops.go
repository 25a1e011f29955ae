//go:build cuda

package cuda

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
)

// This file holds the operations behind batch normalisation and random
// restarts trained side by side (issue 8): GemmStrided, LossGradGroups and
// the BatchNorm trio. Their contracts are devicetest.BatchOps's; the kernels
// are in kernels/gemm.cu, kernels/loss.cu and kernels/batchnorm.cu.

// Launch shapes of kernels/batchnorm.cu.
const (
	bnCols      = 32  // columns per block (threadIdx.x)
	bnRows      = 32  // row lanes of the train and backward blocks (threadIdx.y)
	bnEvalRows  = 8   // row lanes of the eval block
	bnEvalChunk = 256 // rows per eval block
	maxGridYZ   = 65535
)

// stridedSpan is the number of elements a buffer must hold for count
// matrices stored rows×cols, rows ld apart, matrix g at g·stride; it panics
// when ld is less than the stored width.
func (d *Device) stridedSpan(op, arg string, rows, cols, ld, stride, count int) int {
	if ld < cols {
		panic(fmt.Sprintf("%s: %s: leading dimension %d of %s is less than its %d stored columns", d.name, op, ld, arg, cols))
	}
	if rows == 0 || cols == 0 || count == 0 {
		return 0
	}
	return (count-1)*stride + (rows-1)*ld + cols
}

// GemmStrided computes, for g < count, C_g = alpha·op(A_g)·op(B_g) + beta·C_g
// where X_g starts at element g·strideX of X and consecutive rows of A, B
// and C (as stored) are lda, ldb and ldc elements apart (op(A) m×k, op(B)
// k×n; A_g is stored k×m when transA, B_g n×k when transB). beta == 0
// ignores C's contents; a stride of 0 shares one A or B across the batch.
// The C_g must not overlap. One launch (gemm_strided_xx, blockIdx.z = g);
// count 1 with the natural leading dimensions gives Gemm's bits.
func (d *Device) GemmStrided(transA, transB bool, m, n, k int, alpha float32, a device.Buffer, lda, strideA int, b device.Buffer, ldb, strideB int, beta float32, c device.Buffer, ldc, strideC int, count int) {
	const op = "GemmStrided"
	nonNeg(op, m, n, k, lda, strideA, ldb, strideB, ldc, strideC, count)
	ra, ca := m, k
	if transA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if transB {
		rb, cb = n, k
	}
	xa := d.fbuf(op, "a", a, d.stridedSpan(op, "a", ra, ca, lda, strideA, count))
	xb := d.fbuf(op, "b", b, d.stridedSpan(op, "b", rb, cb, ldb, strideB, count))
	xc := d.fbuf(op, "c", c, d.stridedSpan(op, "c", m, n, ldc, strideC, count))
	if count > 1 && m > 0 && n > 0 && strideC < (m-1)*ldc+n && (strideC < n || (count-1)*strideC+n > ldc) {
		panic(fmt.Sprintf("%s: %s: the %d matrices C_g (%d×%d, ldc %d, strideC %d) overlap", d.name, op, count, m, n, ldc, strideC))
	}
	if m == 0 || n == 0 || count == 0 {
		return
	}
	kern := kGemmStridedNN
	switch {
	case transA && transB:
		kern = kGemmStridedTT
	case transA:
		kern = kGemmStridedTN
	case transB:
		kern = kGemmStridedNT
	}
	l := launch{k: kern, shape: shape(m, n, k), grid: [3]int{ceilDiv(m, gemmTile), ceilDiv(n, gemmTile), min(count, maxGridYZ)}, block: block1(threads)}
	if l.grid[1] > maxGridYZ {
		panic(fmt.Sprintf("%s: %s: n=%d is more than the %d columns the kernel's grid covers", d.name, op, n, maxGridYZ*gemmTile))
	}
	d.enqueue(l, argI(m), argI(n), argI(k), argF(alpha),
		argP(xa.ptr), argI(lda), argI(strideA), argP(xb.ptr), argI(ldb), argI(strideB),
		argF(beta), argP(xc.ptr), argI(ldc), argI(strideC), argI(count))
}

// LossGradGroups is LossGrad for groups models side by side: logits and grad
// are rows × (groups·cols), group g's logits in columns g·cols … g·cols+cols−1;
// targets (rows×cols, or rows class indices for SoftmaxCE) are shared by
// every group, and lossOut[lossAt+g] receives group g's unscaled loss sum.
// groups is at most 1024. With groups == 1 it is LossGrad, bit for bit.
func (d *Device) LossGradGroups(loss device.Loss, logits, targets, grad device.Buffer, rows, cols, groups int, gradScale float32, lossOut device.Buffer, lossAt int) {
	d.lossGrad("LossGradGroups", loss, logits, targets, grad, rows, cols, groups, gradScale, lossOut, lossAt)
}

// lossGrad queues loss.cu's two passes: one float64 partial sum per block of
// each group into d.partials (the per-group block count depends only on the
// shape, and on groups only through lossPartials/groups, so one group gets
// LossGrad's launch exactly), then loss_finalize, one block per group.
func (d *Device) lossGrad(op string, loss device.Loss, logits, targets, grad device.Buffer, rows, cols, groups int, gradScale float32, lossOut device.Buffer, lossAt int) {
	nonNeg(op, rows, cols, lossAt)
	if groups < 1 || groups > lossPartials {
		panic(fmt.Sprintf("%s: %s: groups=%d, want 1 to %d", d.name, op, groups, lossPartials))
	}
	width := groups * cols
	xz, xg := d.fbuf(op, "logits", logits, rows*width), d.fbuf(op, "grad", grad, rows*width)
	xl := d.fbuf(op, "lossOut", lossOut, lossAt+groups)
	perGroup := lossPartials / groups
	var first launch
	var args []uint64
	switch loss {
	case device.Logistic, device.MSE:
		xt := d.fbuf(op, "targets", targets, rows*cols)
		n := rows * cols
		first = launch{k: kLossElementwise, shape: shape(rows, cols, groups),
			grid: [3]int{clampInt(ceilDiv(n, threads), 1, perGroup), groups, 1}, block: block1(threads)}
		args = []uint64{argI(int(loss)), argP(xz.ptr), argP(xt.ptr), argP(xg.ptr), argI(n), argI(cols), argI(groups), argF(gradScale), 0}
	case device.SoftmaxCE:
		if cols < 1 {
			panic(fmt.Sprintf("%s: %s: softmax cross-entropy needs at least one column", d.name, op))
		}
		xt := d.fbuf(op, "targets", targets, rows)
		// loss.cu: one warp per row, 8 rows per 256-thread block.
		first = launch{k: kLossSoftmaxCE, shape: shape(rows, cols, groups),
			grid: [3]int{clampInt(ceilDiv(rows, threads/32), 1, perGroup), groups, 1}, block: block1(threads)}
		args = []uint64{argP(xz.ptr), argP(xt.ptr), argP(xg.ptr), argI(rows), argI(cols), argI(groups), argF(gradScale), 0}
	default:
		panic(fmt.Sprintf("%s: %s: unknown loss %v", d.name, op, loss))
	}
	if d.closed {
		return
	}
	nparts := first.grid[0]
	final := launch{k: kLossFinalize, shape: shape(nparts, lossAt, groups), grid: grid1(groups), block: block1(threads)}
	d.post(func() {
		args[len(args)-1] = argP(d.partials)
		d.launchNow(first, args)
		d.launchNow(final, []uint64{argP(d.partials), argI(nparts), argP(xl.ptr), argI(lossAt)})
	})
}

// BatchNormTrain normalises each column c of the rows×cols matrix z with its
// batch mean and biased variance, then applies scale, shift and the
// activation: out = act(gamma[c]·(z−mean[c])·invStd[c] + beta[c]), invStd =
// 1/sqrt(var+eps). It saves mean and invStd (cols each) for the backward pass
// and updates the running statistics as PyTorch does (runVar with the
// unbiased variance var·rows/(rows−1), var itself when rows == 1). out must
// not alias z. rows == 0 does nothing. One launch (batchnorm_train).
func (d *Device) BatchNormTrain(act device.Activation, z, gamma, beta, out, saveMean, saveInvStd, runMean, runVar device.Buffer, rows, cols int, eps, momentum float32) {
	const op = "BatchNormTrain"
	nonNeg(op, rows, cols)
	checkAct(op, act)
	xz, xo := d.fbuf(op, "z", z, rows*cols), d.fbuf(op, "out", out, rows*cols)
	if xz == xo {
		panic(fmt.Sprintf("%s: %s: out must not alias z", d.name, op))
	}
	xg, xb := d.fbuf(op, "gamma", gamma, cols), d.fbuf(op, "beta", beta, cols)
	xm, xs := d.fbuf(op, "saveMean", saveMean, cols), d.fbuf(op, "saveInvStd", saveInvStd, cols)
	xrm, xrv := d.fbuf(op, "runMean", runMean, cols), d.fbuf(op, "runVar", runVar, cols)
	if rows == 0 || cols == 0 {
		return
	}
	l := launch{k: kBatchNormTrain, shape: shape(rows, cols, actArg(act)), grid: grid1(ceilDiv(cols, bnCols)), block: [3]int{bnCols, bnRows, 1}}
	d.enqueue(l, argI(actArg(act)), argP(xz.ptr), argP(xg.ptr), argP(xb.ptr), argP(xo.ptr),
		argP(xm.ptr), argP(xs.ptr), argP(xrm.ptr), argP(xrv.ptr), argI(rows), argI(cols), argF(eps), argF(momentum))
}

// BatchNormEval applies the running statistics: out = act(gamma·(z−runMean)
// /sqrt(runVar+eps) + beta), column by column; out may be z. One launch
// (batchnorm_eval).
func (d *Device) BatchNormEval(act device.Activation, z, gamma, beta, runMean, runVar, out device.Buffer, rows, cols int, eps float32) {
	const op = "BatchNormEval"
	nonNeg(op, rows, cols)
	checkAct(op, act)
	xz, xo := d.fbuf(op, "z", z, rows*cols), d.fbuf(op, "out", out, rows*cols)
	xg, xb := d.fbuf(op, "gamma", gamma, cols), d.fbuf(op, "beta", beta, cols)
	xrm, xrv := d.fbuf(op, "runMean", runMean, cols), d.fbuf(op, "runVar", runVar, cols)
	if rows == 0 || cols == 0 {
		return
	}
	l := launch{k: kBatchNormEval, shape: shape(rows, cols, actArg(act)),
		grid: [3]int{ceilDiv(cols, bnCols), min(ceilDiv(rows, bnEvalChunk), maxGridYZ), 1}, block: [3]int{bnCols, bnEvalRows, 1}}
	d.enqueue(l, argI(actArg(act)), argP(xz.ptr), argP(xg.ptr), argP(xb.ptr), argP(xrm.ptr), argP(xrv.ptr),
		argP(xo.ptr), argI(rows), argI(cols), argF(eps))
}

// BatchNormBackward takes dy = ∂loss/∂(gamma·x̂+beta) (the gradient after
// ActivationBackward), z and the statistics BatchNormTrain saved, and
// computes x̂ = (z−mean)·invStd, dgamma[c] = Σ_r dy·x̂, dbeta[c] = Σ_r dy and
// dz = gamma·invStd/rows·(rows·dy − dbeta − x̂·dgamma). dz may alias dy.
// rows == 0 does nothing. One launch (batchnorm_backward).
func (d *Device) BatchNormBackward(z, dy, gamma, saveMean, saveInvStd, dz, dgamma, dbeta device.Buffer, rows, cols int) {
	const op = "BatchNormBackward"
	nonNeg(op, rows, cols)
	xz, xdy, xdz := d.fbuf(op, "z", z, rows*cols), d.fbuf(op, "dy", dy, rows*cols), d.fbuf(op, "dz", dz, rows*cols)
	xg := d.fbuf(op, "gamma", gamma, cols)
	xm, xs := d.fbuf(op, "saveMean", saveMean, cols), d.fbuf(op, "saveInvStd", saveInvStd, cols)
	xdg, xdb := d.fbuf(op, "dgamma", dgamma, cols), d.fbuf(op, "dbeta", dbeta, cols)
	if rows == 0 || cols == 0 {
		return
	}
	l := launch{k: kBatchNormBackward, shape: shape(rows, cols), grid: grid1(ceilDiv(cols, bnCols)), block: [3]int{bnCols, bnRows, 1}}
	d.enqueue(l, argP(xz.ptr), argP(xdy.ptr), argP(xg.ptr), argP(xm.ptr), argP(xs.ptr), argP(xdz.ptr),
		argP(xdg.ptr), argP(xdb.ptr), argI(rows), argI(cols))
}
