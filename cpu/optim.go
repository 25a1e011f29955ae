package cpu

import (
	"fmt"

	"github.com/gputrain/gputrain/cpu/internal/update"
	"github.com/gputrain/gputrain/device"
)

// OptimStep runs the update kernel named kernel (cpu/internal/update) over
// p[0:n], split over the workers like every element-wise operation.
func (d *Device) OptimStep(kernel string, p, g device.Buffer, state []device.Buffer, n int, args device.OptimArgs) {
	k := updateKernel("OptimStep", kernel, state)
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

// OptimStepReplicas runs the update kernel named kernel over p[0:n] run by
// run, each run with its replica's scalars from args, whole runs split over
// the workers.
func (d *Device) OptimStepReplicas(kernel string, p, g device.Buffer, state []device.Buffer, n, run, replicas int, args device.Buffer) {
	k := updateKernel("OptimStepReplicas", kernel, state)
	if run <= 0 || n%run != 0 || replicas <= 0 {
		panic(fmt.Sprintf("OptimStepReplicas %s: %d elements in runs of %d over %d replicas", kernel, n, run, replicas))
	}
	j := &d.job
	*j = ewJob{op: opOptimRuns, update: k, table: f32(args)[:replicas*device.ReplicaArgs], replicas: replicas,
		a: f32(p)[:n], b: f32(g)[:n], n: n, rows: n / run, cols: run}
	if len(state) > 0 {
		j.c = f32(state[0])[:n]
	}
	if len(state) > 1 {
		j.e = f32(state[1])[:n]
	}
	j.run(8 * n)
}

// updateKernel returns the update kernel named kernel, checking the state
// tensors' count (at most two); op names the caller in the panic.
func updateKernel(op, kernel string, state []device.Buffer) update.Kernel {
	k, ok := update.Kernels[kernel]
	if !ok {
		panic(fmt.Sprintf("%s: no update kernel %q", op, kernel))
	}
	if len(state) > 2 {
		panic(fmt.Sprintf("%s %s: %d state tensors, at most 2", op, kernel, len(state)))
	}
	return k
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
