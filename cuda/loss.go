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
	var grid [3]int
	switch loss {
	case device.Logistic, device.MSE:
		xt := d.fbuf(op, "targets", targets, rows*cols)
		n := rows * cols
		grid = [3]int{clampInt(ceilDiv(n, threads), 1, perGroup), groups, 1}
		d.launchLossElementwise(grid, block1(threads), loss, xz.ptr, xt.ptr, xg.ptr, n, cols, groups, gradScale, d.partials)
	case device.SoftmaxCE:
		if cols < 1 {
			panic(fmt.Sprintf("%s: %s: softmax cross-entropy needs at least one column", d.name, op))
		}
		xt := d.fbuf(op, "targets", targets, rows)
		// loss.cu: one warp per row, 8 rows per 256-thread block.
		grid = [3]int{clampInt(ceilDiv(rows, threads/32), 1, perGroup), groups, 1}
		d.launchLossSoftmaxCE(grid, block1(threads), xz.ptr, xt.ptr, xg.ptr, rows, cols, groups, gradScale, d.partials)
	default:
		panic(fmt.Sprintf("%s: %s: unknown loss %v", d.name, op, loss))
	}
	d.launchLossFinalize(grid1(groups), block1(threads), d.partials, grid[0], xl.ptr, lossAt)
}
