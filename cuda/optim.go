//go:build cuda

package cuda

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
)

// OptimStep launches the update kernel named kernel (every one has the
// parameters of optim.cu's UPDATE_PARAMS): p, g, the state tensors (a null
// pointer for each one the rule does not keep), n and the ten scalars.
func (d *Device) OptimStep(kernel string, p, g device.Buffer, state []device.Buffer, n int, args device.OptimArgs) {
	const op = "OptimStep"
	k, ok := kernelByName[kernel]
	if !ok || len(kernelInfo[k].params) != 5+len(args) {
		panic(fmt.Sprintf("%s: no update kernel %q", op, kernel))
	}
	if len(state) > 2 {
		panic(fmt.Sprintf("%s %s: %d state tensors, at most 2", op, kernel, len(state)))
	}
	nonNeg(op, n)
	xp, xg := d.fbuf(op, "p", p, n), d.fbuf(op, "g", g, n)
	var s [2]uint64
	for i, b := range state {
		s[i] = argP(d.fbuf(op, [...]string{"state[0]", "state[1]"}[i], b, n).ptr)
	}
	if n == 0 {
		return
	}
	d.enqueue(launch{k: k, grid: flatGrid(n), block: block1(threads), args: [maxKernelArgs]uint64{
		argP(xp.ptr), argP(xg.ptr), s[0], s[1], argI(n),
		argF(args[0]), argF(args[1]), argF(args[2]), argF(args[3]), argF(args[4]),
		argF(args[5]), argF(args[6]), argF(args[7]), argF(args[8]), argF(args[9])}})
}

// OptimStepReplicas launches the replica-strided form of the update kernel
// named kernel (optim.cu's NAME_replicas): each element's scalars come from
// its replica's row of args.
func (d *Device) OptimStepReplicas(kernel string, p, g device.Buffer, state []device.Buffer, n, run, replicas int, args device.Buffer) {
	const op = "OptimStepReplicas"
	k, ok := kernelByName[kernel+"_replicas"]
	if !ok {
		panic(fmt.Sprintf("%s: no update kernel %q", op, kernel))
	}
	if len(state) > 2 {
		panic(fmt.Sprintf("%s %s: %d state tensors, at most 2", op, kernel, len(state)))
	}
	nonNeg(op, n)
	if run <= 0 || n%run != 0 || replicas <= 0 {
		panic(fmt.Sprintf("%s %s: %d elements in runs of %d over %d replicas", op, kernel, n, run, replicas))
	}
	xp, xg := d.fbuf(op, "p", p, n), d.fbuf(op, "g", g, n)
	xa := d.fbuf(op, "args", args, replicas*device.ReplicaArgs)
	var s [2]uint64
	for i, b := range state {
		s[i] = argP(d.fbuf(op, [...]string{"state[0]", "state[1]"}[i], b, n).ptr)
	}
	if n == 0 {
		return
	}
	d.enqueue(launch{k: k, grid: flatGrid(n), block: block1(threads), args: [maxKernelArgs]uint64{
		argP(xp.ptr), argP(xg.ptr), s[0], s[1], argI(n), argI(run), argI(replicas), argP(xa.ptr)}})
}

// AddL1 adds lambda·sign(p) to g.
func (d *Device) AddL1(g, p device.Buffer, n int, lambda float32) {
	nonNeg("AddL1", n)
	xg, xp := d.fbuf("AddL1", "g", g, n), d.fbuf("AddL1", "p", p, n)
	if n == 0 {
		return
	}
	d.launchAddL1(flatGrid(n), block1(threads), xg.ptr, xp.ptr, n, lambda)
}
