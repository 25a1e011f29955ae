package cpu

import "github.com/gputrain/gputrain/device"

// SGDStep does p -= lr·(g + weightDecay·p).
func (d *Device) SGDStep(p, g device.Buffer, n int, lr, weightDecay float32) {
	j := &d.job
	*j = ewJob{op: opSGD, a: f32(p)[:n], b: f32(g)[:n], n: n, f0: lr, f1: weightDecay}
	j.run(n)
}

// MomentumStep does PyTorch's SGD with momentum.
func (d *Device) MomentumStep(p, g, v device.Buffer, n int, lr, momentum, weightDecay float32) {
	j := &d.job
	*j = ewJob{op: opMomentum, a: f32(p)[:n], b: f32(g)[:n], c: f32(v)[:n], n: n, f0: lr, f1: momentum, f2: weightDecay}
	j.run(2 * n)
}

// AdamStep does PyTorch's Adam with L2 weight decay (bias corrections as
// reciprocals computed once per call).
func (d *Device) AdamStep(p, g, m, v device.Buffer, n int, lr, beta1, beta2, eps, weightDecay float32, step int) {
	j := &d.job
	*j = ewJob{op: opAdam, a: f32(p)[:n], b: f32(g)[:n], c: f32(m)[:n], e: f32(v)[:n], n: n}
	j.adam.Set(lr, beta1, beta2, eps, weightDecay, step)
	j.run(8 * n)
}
