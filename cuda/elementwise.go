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
	d.launchMul(flatGrid(n), block1(threads), xa.ptr, xb.ptr, xo.ptr, n)
}

// Dropout draws mask[i] from device.DropoutKeep and multiplies x by it.
func (d *Device) Dropout(x, mask device.Buffer, n int, p float32, seed uint64) {
	nonNeg("Dropout", n)
	xx, xm := d.fbuf("Dropout", "x", x, n), d.fbuf("Dropout", "mask", mask, n)
	if n == 0 {
		return
	}
	d.launchDropout(flatGrid(n), block1(threads), xx.ptr, xm.ptr, n, p, seed)
}

// DropoutReplicas draws each replica's mask as Dropout would for its block
// alone, with the replica's drop probability from p.
func (d *Device) DropoutReplicas(x, mask device.Buffer, rows, width, replicas int, p device.Buffer, seed uint64) {
	const op = "DropoutReplicas"
	nonNeg(op, rows, width, replicas)
	n := rows * width * replicas
	xx, xm, xp := d.fbuf(op, "x", x, n), d.fbuf(op, "mask", mask, n), d.fbuf(op, "p", p, replicas)
	if n == 0 {
		return
	}
	d.launchDropoutReplicas(flatGrid(n), block1(threads), xx.ptr, xm.ptr, rows, width, replicas, xp.ptr, seed)
}
