//go:build cuda

package cuda

import (
	"math"

	"github.com/gputrain/gputrain/device"
)

// SGDStep updates p[i] -= lr·(g[i] + weightDecay·p[i]).
func (d *Device) SGDStep(p, g device.Buffer, n int, lr, weightDecay float32) {
	nonNeg("SGDStep", n)
	xp, xg := d.fbuf("SGDStep", "p", p, n), d.fbuf("SGDStep", "g", g, n)
	if n == 0 {
		return
	}
	d.enqueue(flat(kSGD, n, shape(n)), argP(xp.ptr), argP(xg.ptr), argI(n), argF(lr), argF(weightDecay))
}

// MomentumStep does PyTorch's SGD with momentum.
func (d *Device) MomentumStep(p, g, v device.Buffer, n int, lr, momentum, weightDecay float32) {
	nonNeg("MomentumStep", n)
	xp, xg, xv := d.fbuf("MomentumStep", "p", p, n), d.fbuf("MomentumStep", "g", g, n), d.fbuf("MomentumStep", "v", v, n)
	if n == 0 {
		return
	}
	d.enqueue(flat(kMomentum, n, shape(n)), argP(xp.ptr), argP(xg.ptr), argP(xv.ptr), argI(n), argF(lr), argF(momentum), argF(weightDecay))
}

// AdamStep does torch.optim.Adam with L2 weight decay; step is 1-based.
func (d *Device) AdamStep(p, g, m, v device.Buffer, n int, lr, beta1, beta2, eps, weightDecay float32, step int) {
	nonNeg("AdamStep", n)
	xp, xg := d.fbuf("AdamStep", "p", p, n), d.fbuf("AdamStep", "g", g, n)
	xm, xv := d.fbuf("AdamStep", "m", m, n), d.fbuf("AdamStep", "v", v, n)
	if n == 0 {
		return
	}
	// Bias corrections in float64 on the host, as the CPU backend does.
	bc1 := float32(1 - math.Pow(float64(beta1), float64(step)))
	bc2 := float32(1 - math.Pow(float64(beta2), float64(step)))
	d.enqueue(flat(kAdam, n, shape(n, step)), argP(xp.ptr), argP(xg.ptr), argP(xm.ptr), argP(xv.ptr), argI(n),
		argF(lr), argF(beta1), argF(beta2), argF(eps), argF(weightDecay), argF(bc1), argF(bc2))
}
