package cpu

import "github.com/gputrain/gputrain/device"

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
