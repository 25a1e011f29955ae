//go:build cuda

package cuda

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
)

// Launch shapes of kernels/batchnorm.cu.
const (
	bnCols      = 32  // columns per block (threadIdx.x)
	bnRows      = 32  // row lanes of the train and backward blocks (threadIdx.y)
	bnEvalRows  = 8   // row lanes of the eval block
	bnEvalChunk = 256 // rows per eval block
)

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
