//go:build cuda

package cuda

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
)

func checkAct(op string, act device.Activation) {
	if act < device.Identity || act > device.Sigmoid {
		panic(fmt.Sprintf("%s: unknown activation %v", op, act))
	}
}

// BiasActivation computes out[r,c] = act(z[r,c] + bias[c]); out may be z.
func (d *Device) BiasActivation(act device.Activation, z, bias, out device.Buffer, rows, cols int) {
	nonNeg("BiasActivation", rows, cols)
	checkAct("BiasActivation", act)
	xz, xb, xo := d.fbuf("BiasActivation", "z", z, rows*cols), d.fbuf("BiasActivation", "bias", bias, cols), d.fbuf("BiasActivation", "out", out, rows*cols)
	if rows*cols == 0 {
		return
	}
	d.enqueue(flat(kBiasAct, rows*cols, shape(rows, cols, actArg(act))),
		argI(actArg(act)), argP(xz.ptr), argP(xb.ptr), argP(xo.ptr), argI(rows), argI(cols))
}

// ActivationBackward computes dz[i] = dout[i]·act'(z[i]) through out = act(z).
func (d *Device) ActivationBackward(act device.Activation, out, dout, dz device.Buffer, n int) {
	nonNeg("ActivationBackward", n)
	checkAct("ActivationBackward", act)
	xo, xg, xz := d.fbuf("ActivationBackward", "out", out, n), d.fbuf("ActivationBackward", "dout", dout, n), d.fbuf("ActivationBackward", "dz", dz, n)
	if n == 0 {
		return
	}
	d.enqueue(flat(kActBackward, n, shape(n, actArg(act))),
		argI(actArg(act)), argP(xo.ptr), argP(xg.ptr), argP(xz.ptr), argI(n))
}
