package cpu

import (
	"fmt"
	"math"

	"github.com/gputrain/gputrain/cpu/internal/vec"
	"github.com/gputrain/gputrain/device"
)

// LossGradGroups computes the loss and its gradient for groups models side
// by side (see device.Losses): logits and grad are rows × (groups·cols),
// group g's logits in columns g·cols … g·cols+cols−1; targets (rows×cols, or
// rows class indices for SoftmaxCE) are shared by every group, and
// lossOut[lossAt+g] receives group g's unscaled loss sum. The logistic loss
// makes one vectorised pass over all groups (logisticGroups); the others run
// groups on separate goroutines when there is enough work. Each group's loss
// is summed in row order, as for the group alone.
func (d *Device) LossGradGroups(loss device.Loss, logits, targets, grad device.Buffer, rows, cols, groups int, gradScale float32, lossOut device.Buffer, lossAt int) {
	width := groups * cols
	zd, gd := f32(logits)[:rows*width], f32(grad)[:rows*width]
	var yd []float32
	switch loss {
	case device.Logistic, device.MSE:
		yd = f32(targets)[:rows*cols]
	case device.SoftmaxCE:
		yd = f32(targets)[:rows]
	default:
		panic(fmt.Sprintf("cpu: unknown loss %v", loss))
	}
	lo := f32(lossOut)[lossAt : lossAt+groups]
	if groups == 1 { // the common case (one restart): no closure, no allocation
		lo[0] = float32(lossGradGroup(loss, zd, yd, gd, rows, cols, width, gradScale))
		return
	}
	if loss == device.Logistic {
		if cap(d.acc) < groups {
			d.acc = make([]float64, groups)
		}
		sums := d.acc[:groups]
		logisticGroups(zd, yd, gd, cols, groups, gradScale, sums)
		for g, s := range sums {
			lo[g] = float32(s)
		}
		return
	}
	parallelFor(groups, 16*rows*width, func(g0, g1 int) {
		for g := g0; g < g1; g++ {
			lo[g] = float32(lossGradGroup(loss, zd[g*cols:], yd, gd[g*cols:], rows, cols, width, gradScale))
		}
	})
}

// lossGradGroup computes one group's gradient (rows of z and grad ld apart;
// ld must be cols for the logistic loss) and returns its loss sum,
// accumulated in float64 in row-major order.
func lossGradGroup(loss device.Loss, z, y, grad []float32, rows, cols, ld int, gradScale float32) float64 {
	if loss == device.Logistic { // one group alone: one contiguous block
		return logisticAcc(0, z[:rows*cols], y[:rows*cols], grad[:rows*cols], gradScale)
	}
	var sum float64
	for r := range rows {
		zr, gr := z[r*ld:r*ld+cols], grad[r*ld:r*ld+cols]
		switch loss {
		case device.MSE:
			yr := y[r*cols : (r+1)*cols]
			for c, z := range zr {
				res := z - yr[c]
				sum += float64(res) * float64(res)
				gr[c] = gradScale * 2 * res
			}
		case device.SoftmaxCE:
			maxZ := zr[0]
			for _, z := range zr {
				maxZ = max(maxZ, z)
			}
			var s float64
			for _, z := range zr {
				s += math.Exp(float64(z - maxZ))
			}
			label := int(y[r])
			sum += math.Log(s) + float64(maxZ) - float64(zr[label])
			for c, z := range zr {
				p := float32(math.Exp(float64(z-maxZ)) / s)
				if c == label {
					p--
				}
				gr[c] = gradScale * p
			}
		}
	}
	return sum
}

// logisticGroups is LossGradGroups's logistic loss for several groups: one
// pass of the vectorised kernel over the whole rows × (groups·cols) block,
// with the targets repeated for every group, in chunks of at most 256
// logits (whole rows when they fit). It sets sums[g] to group g's loss,
// its terms added in the group's row-major order, so the bits are those of
// lossGradGroup on the group alone (the kernel computes every element
// alike wherever it falls in a chunk). It runs on the calling goroutine:
// split over this machine's two cores the pass got slower, the logits and
// gradients moving between the cores' caches.
func logisticGroups(z, y, grad []float32, cols, groups int, gradScale float32, sums []float64) {
	clear(sums)
	var ys, terms [256]float32
	width := cols * groups
	rows := len(z) / width
	if width > len(terms) { // long rows: chunks within each row
		for r := range rows {
			for lo := 0; lo < width; lo += len(terms) {
				yc, t := ys[:min(len(ys), width-lo)], terms[:min(len(ys), width-lo)]
				for i := range yc {
					yc[i] = y[r*cols+(lo+i)%cols] // rare long rows: a division is fine
				}
				at := r*width + lo
				vec.Logistic(z[at:at+len(t)], yc, grad[at:at+len(t)], t, gradScale)
				for i, l := range t {
					sums[(lo+i)/cols] += float64(l)
				}
			}
		}
		return
	}
	per := len(terms) / width // rows per chunk
	for r0 := 0; r0 < rows; r0 += per {
		n := min(per, rows-r0)
		yc, t := ys[:n*width], terms[:n*width]
		if cols == 1 {
			i := 0
			for _, v := range y[r0 : r0+n] {
				for range groups {
					yc[i] = v
					i++
				}
			}
		} else {
			for r := range n {
				yr := y[(r0+r)*cols : (r0+r+1)*cols]
				for g := range groups {
					copy(yc[r*width+g*cols:], yr)
				}
			}
		}
		at := r0 * width
		vec.Logistic(z[at:at+len(t)], yc, grad[at:at+len(t)], t, gradScale)
		if cols == 1 {
			for g := 0; g < groups; g += 8 {
				add8(sums[g:min(g+8, groups)], t[g:], width)
			}
			continue
		}
		for g := range groups {
			s := sums[g]
			for r := range n {
				for _, l := range t[r*width+g*cols : r*width+(g+1)*cols] {
					s += float64(l)
				}
			}
			sums[g] = s
		}
	}
}

// add8 adds Σ_r t[r*ld+i] to sums[i] (i < len(sums) ≤ 8) in row order:
// eight independent chains of adds (those past len(sums) repeat the last).
func add8(sums []float64, t []float32, ld int) {
	n := len(sums)
	o1, o2, o3, o4, o5, o6, o7 := min(1, n-1), min(2, n-1), min(3, n-1), min(4, n-1), min(5, n-1), min(6, n-1), min(7, n-1)
	s0, s1, s2, s3, s4, s5, s6, s7 := sums[0], sums[o1], sums[o2], sums[o3], sums[o4], sums[o5], sums[o6], sums[o7]
	for i := 0; i+n <= len(t); i += ld {
		q := t[i : i+n]
		s0 += float64(q[0])
		s1 += float64(q[o1])
		s2 += float64(q[o2])
		s3 += float64(q[o3])
		s4 += float64(q[o4])
		s5 += float64(q[o5])
		s6 += float64(q[o6])
		s7 += float64(q[o7])
	}
	all := [8]float64{s0, s1, s2, s3, s4, s5, s6, s7}
	copy(sums, all[:n])
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
