//go:build cuda

package cuda

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
	"gorgonia.org/cu"
)

func checkAct(op string, act device.Activation) {
	if act < 0 || int(act) >= len(device.AllActivations()) {
		panic(fmt.Sprintf("%s: unknown activation %v", op, act))
	}
}

// BiasActivation adds bias to z in place (a nil bias adds nothing) and
// writes out = act(z); out may be z.
func (d *Device) BiasActivation(act device.Activation, alpha float32, z, bias, out device.Buffer, rows, cols int) {
	nonNeg("BiasActivation", rows, cols)
	checkAct("BiasActivation", act)
	xz, xo := d.fbuf("BiasActivation", "z", z, rows*cols), d.fbuf("BiasActivation", "out", out, rows*cols)
	var pb cu.DevicePtr // a null bias pointer: the kernel adds nothing
	if bias != nil {
		pb = d.fbuf("BiasActivation", "bias", bias, cols).ptr
	}
	if rows*cols == 0 {
		return
	}
	d.launchBiasActForward(flatGrid(rows*cols), block1(threads), act, alpha, xz.ptr, pb, xo.ptr, rows, cols)
}

// ActivationBackward computes dz[i] = dout[i]·act'(z[i]), given z and out = act(z).
func (d *Device) ActivationBackward(act device.Activation, alpha float32, z, out, dout, dz device.Buffer, n int) {
	nonNeg("ActivationBackward", n)
	checkAct("ActivationBackward", act)
	xz, xo := d.fbuf("ActivationBackward", "z", z, n), d.fbuf("ActivationBackward", "out", out, n)
	xg, xd := d.fbuf("ActivationBackward", "dout", dout, n), d.fbuf("ActivationBackward", "dz", dz, n)
	if n == 0 {
		return
	}
	d.launchActBackward(flatGrid(n), block1(threads), act, alpha, xz.ptr, xo.ptr, xg.ptr, xd.ptr, n)
}
