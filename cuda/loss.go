//go:build cuda

package cuda

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
)

// LossGradGroups computes the loss and its gradient for groups models side
// by side (see device.Losses): logits and grad are rows × (groups·cols),
// group g's logits in columns g·cols … g·cols+cols−1; targets (rows×cols, or
// rows class indices for SoftmaxCE) are shared by every group, and
// lossOut[lossAt+g] receives group g's unscaled loss sum. groups is at most
// 1024. It queues loss.cu's two passes: one float64 partial sum per block of
// each group into d.partials (the per-group block count depends only on the
// shape, and on groups only through lossPartials/groups), then
// loss_finalize, one block per group.
func (d *Device) LossGradGroups(loss device.Loss, logits, targets, grad device.Buffer, rows, cols, groups int, gradScale float32, lossOut device.Buffer, lossAt int) {
	const op = "LossGradGroups"
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
	// d.partials is set once by Open's setup.
	args[len(args)-1] = argP(d.partials)
	d.enqueue(first, args...)
	d.enqueue(final, argP(d.partials), argI(nparts), argP(xl.ptr), argI(lossAt))
}
