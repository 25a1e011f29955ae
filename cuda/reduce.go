//go:build cuda

package cuda

import "github.com/gputrain/gputrain/device"

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
