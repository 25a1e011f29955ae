package cpu

import (
	"fmt"

	"github.com/gputrain/gputrain/cpu/internal/update"
	"github.com/gputrain/gputrain/device"
)

// OptimStep runs the update kernel named kernel (cpu/internal/update) over
// p[0:n], split over the workers like every element-wise operation.
func (d *Device) OptimStep(kernel string, p, g device.Buffer, state []device.Buffer, n int, args device.OptimArgs) {
	k, ok := update.Kernels[kernel]
	if !ok {
		panic(fmt.Sprintf("OptimStep: no update kernel %q", kernel))
	}
	if len(state) > 2 {
		panic(fmt.Sprintf("OptimStep %s: %d state tensors, at most 2", kernel, len(state)))
	}
	j := &d.job
	*j = ewJob{op: opOptim, update: k, args: update.Args(args), a: f32(p)[:n], b: f32(g)[:n], n: n}
	if len(state) > 0 {
		j.c = f32(state[0])[:n]
	}
	if len(state) > 1 {
		j.e = f32(state[1])[:n]
	}
	j.run(8 * n)
}

// AddL1 adds lambda·sign(p) to g.
func (d *Device) AddL1(g, p device.Buffer, n int, lambda float32) {
	j := &d.job
	*j = ewJob{op: opL1, a: f32(g)[:n], b: f32(p)[:n], n: n, f0: lambda}
	j.run(n)
}

// addL1 adds lambda·sign(p[i]) to g[i], sign(0) = 0.
func addL1(g, p []float32, lambda float32) {
	for i, v := range p[:len(g)] {
		switch {
		case v > 0:
			g[i] += lambda
		case v < 0:
			g[i] -= lambda
		}
	}
}
