//go:build cuda

package cuda

import "github.com/gputrain/gputrain/device"

// ColumnSums computes out[c] = Σ_r x[r,c]: one launch (column_sums), or,
// when the columns are too few to fill the GPU and the rows many
// (colSumsSplit), two: column_sums_partial's float64 sums of row slices into
// the split-k workspace, then column_sums_reduce's sums of those in slice
// order.
func (d *Device) ColumnSums(x device.Buffer, rows, cols int, out device.Buffer) {
	nonNeg("ColumnSums", rows, cols)
	xx, xo := d.fbuf("ColumnSums", "x", x, rows*cols), d.fbuf("ColumnSums", "out", out, cols)
	if cols == 0 {
		return
	}
	// reduce.cu: 32 columns per block of 32×16 threads.
	grid, block := ceilDiv(cols, colSumsCols), [3]int{colSumsCols, 16, 1}
	splits, rslice := colSumsSplit(rows, cols)
	if splits == 1 {
		d.launchColumnSums(grid1(grid), block, xx.ptr, rows, cols, xo.ptr)
		return
	}
	ws, ok := d.workspace(8 * int64(splits) * int64(cols))
	if !ok {
		return
	}
	d.launchColumnSumsPartial([3]int{grid, splits, 1}, block, xx.ptr, rows, cols, rslice, ws)
	d.launchColumnSumsReduce(grid1(grid), block, ws, splits, cols, xo.ptr)
}
