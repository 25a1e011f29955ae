//go:build cuda

package cuda

import "github.com/gputrain/gputrain/device"

// Mul computes out[i] = a[i]·b[i]; out may be a or b.
func (d *Device) Mul(a, b, out device.Buffer, n int) {
	nonNeg("Mul", n)
	xa, xb, xo := d.fbuf("Mul", "a", a, n), d.fbuf("Mul", "b", b, n), d.fbuf("Mul", "out", out, n)
	if n == 0 {
		return
	}
	d.enqueue(flat(kMul, n, shape(n)), argP(xa.ptr), argP(xb.ptr), argP(xo.ptr), argI(n))
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
