//go:build cuda

package cuda

/*
#include <cuda.h>

// gt_capture_begin starts capturing the stream into a graph. Thread-local
// mode: only calls from this thread (the CUDA goroutine's) that are illegal
// during a capture invalidate it; other devices' threads are unaffected.
static CUresult gt_capture_begin(CUstream s) {
	return cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
}
*/
import "C"

import (
	"fmt"
	"os"
)

// Blocks of training steps as CUDA graphs (device.StepCapturer).
//
// nn.Trainer brackets the steps between two loss reads with BeginCapture and
// EndCapture. The CUDA goroutine collects the block's launches and copies
// instead of issuing them, and at EndCapture:
//
//   - when they equal, command for command (kernel, grid, block, every
//     argument, pointers included), the block its graph was captured from,
//     it replays the graph with one cuGraphLaunch;
//   - else, when they equal the previous block (issued launch by launch), it
//     captures them (cuStreamBeginCapture … cuStreamEndCapture: the launches
//     are recorded, not run), instantiates the graph and launches it;
//   - else it issues them one by one and keeps them to compare with the next
//     block.
//
// So a replay runs exactly the launches the block would have issued, and
// results are bit-identical with and without graphs. A full-batch run with
// a constant learning rate (W1) queues the same block every time — each
// step's loss goes to the same slot of the loss history in every block — so
// it issues the first block directly, captures the second and replays every
// later one: one driver call per block. A block that differs (a learning
// rate schedule, minibatch offsets, an epoch's shuffle upload, the Adam step
// count) costs only the comparison on the host and runs launch by launch.
//
// An upload or any call that waits (Download, Alloc, Err, …) inside a block
// issues what was collected and ends the block: a graph holds launches and
// device copies only. Graphs are off with GPUTRAIN_CUDA_SYNC=1 (each kernel
// must be waited for, to name the faulting one), with GPUTRAIN_CUDA_GRAPHS=0
// (to compare), and for the device's lifetime when the driver refuses a
// capture (tried at Open) or an instantiation (the PTX interpreter
// bin/ptxemu.so has no graph entry points: the preflight's stand-in returns
// CUDA_ERROR_NOT_SUPPORTED, and blocks run launch by launch there).

// graphState is a device's block and graph bookkeeping (CUDA goroutine).
type graphState struct {
	off   string // why blocks run launch by launch; "" while graphs are on
	open  bool   // a block is being collected
	block []cmd  // the open block's launches and copies
	prev  []cmd  // the last block issued launch by launch
	cmds  []cmd  // the block exec replays
	exec  C.CUgraphExec
	// The steps of the last graph launched, for fault reports.
	lastFirst, lastEnd int
	lastWasGraph       bool
}

// graphsOff is why a device opened now runs blocks launch by launch ("" when
// it uses graphs).
func graphsOff(syncEach bool) string {
	switch {
	case syncEach:
		return "GPUTRAIN_CUDA_SYNC=1 waits for every kernel"
	case os.Getenv("GPUTRAIN_CUDA_GRAPHS") == "0":
		return "GPUTRAIN_CUDA_GRAPHS=0"
	}
	return ""
}

// BeginCapture marks the start of a block of training steps
// (device.StepCapturer): see graphState.
func (d *Device) BeginCapture() {
	if d.closed {
		return
	}
	d.push(cmdBegin)
	d.pushed()
}

// EndCapture marks the end of the block and hands it to the CUDA goroutine,
// so the GPU starts on it while the caller goes on.
func (d *Device) EndCapture() {
	if d.closed {
		return
	}
	d.push(cmdEnd)
	d.flush()
}

// probeGraphs turns graphs off when the driver cannot capture an (empty)
// stream, so that the choice is made at Open rather than at the first
// repeated block (CUDA goroutine, from setup).
func (d *Device) probeGraphs() {
	if d.g.off != "" {
		return
	}
	s := cuStream(d.stream)
	if err := driverErr(C.gt_capture_begin(s)); err != nil {
		d.g.off = fmt.Sprintf("the driver refused to capture a stream (%v)", err)
		return
	}
	var graph C.CUgraph
	if err := driverErr(C.cuStreamEndCapture(s, &graph)); err != nil {
		d.g.off = fmt.Sprintf("the driver could not end a stream capture (%v)", err)
	}
	if graph != nil {
		C.cuGraphDestroy(graph)
	}
}

// beginBlock opens a block (CUDA goroutine).
func (d *Device) beginBlock() {
	if d.g.off != "" || d.err != nil {
		return
	}
	d.g.open = true
	d.g.block = d.g.block[:0]
}

// breakBlock issues the open block's commands one by one and closes it: an
// operation a graph cannot hold came inside it.
func (d *Device) breakBlock() {
	d.g.open = false
	d.issue(d.g.block)
	d.g.block = d.g.block[:0]
	d.g.prev = d.g.prev[:0]
}

// endBlock closes the open block and runs it: by its graph, by a new graph,
// or launch by launch (see graphState).
func (d *Device) endBlock() {
	g := &d.g
	g.open = false
	b := g.block
	switch {
	case len(b) == 0 || d.err != nil:
		d.issue(b)
	case g.exec != nil && sameCmds(b, g.cmds):
		d.launchGraph(b)
	case sameCmds(b, g.prev):
		if d.capture(b) {
			g.cmds, g.block = b, g.cmds[:0]
			d.launchGraph(b)
			return
		}
		d.issue(b)
	default:
		d.issue(b)
		g.prev, g.block = b, g.prev[:0]
		return
	}
	g.block = b[:0]
}

// sameCmds reports whether a and b are the same launches and copies with
// the same arguments (the training step they belong to aside). A command's
// slot in a batch is reused, so only the fields of its kind are compared: l
// for a launch, args for a copy.
func sameCmds(a, b []cmd) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.kind != y.kind || (x.kind == cmdLaunch && x.l != y.l) || (x.kind == cmdCopy && x.args != y.args) {
			return false
		}
	}
	return true
}

// issue runs launches and copies one by one.
func (d *Device) issue(cmds []cmd) {
	for i := range cmds {
		if cmds[i].kind == cmdLaunch {
			d.launchNow(&cmds[i])
		} else {
			d.copyNow(&cmds[i])
		}
	}
}

// capture records b into a graph and instantiates it as d.g.exec, replacing
// the previous one; it reports whether it did. When the driver refuses, it
// turns graphs off for the device's lifetime and b has not run.
func (d *Device) capture(b []cmd) bool {
	s := cuStream(d.stream)
	if err := driverErr(C.gt_capture_begin(s)); err != nil {
		d.g.off = fmt.Sprintf("the driver refused to capture a stream (%v)", err)
		return false
	}
	d.issue(b)
	var graph C.CUgraph
	endErr := driverErr(C.cuStreamEndCapture(s, &graph))
	if d.err != nil {
		// A launch failed while capturing: the error is recorded, and
		// every later operation is a no-op.
		if graph != nil {
			C.cuGraphDestroy(graph)
		}
		return false
	}
	if endErr != nil {
		d.g.off = fmt.Sprintf("the driver could not capture a block of %d operations (%v)", len(b), endErr)
		return false
	}
	var exec C.CUgraphExec
	err := driverErr(C.cuGraphInstantiateWithFlags(&exec, graph, 0))
	C.cuGraphDestroy(graph) // the executable graph is independent of it
	if err != nil {
		d.g.off = fmt.Sprintf("the driver could not instantiate a graph of %d operations (%v)", len(b), err)
		return false
	}
	d.destroyGraph()
	d.g.exec = exec
	return true
}

// launchGraph replays d.g.exec, the graph of block b.
func (d *Device) launchGraph(b []cmd) {
	if d.err != nil {
		return
	}
	for i := len(b) - 1; i >= 0; i-- {
		if b[i].kind == cmdLaunch {
			d.last, d.lastStep = b[i].l, b[i].step
			break
		}
	}
	d.g.lastFirst, d.g.lastEnd, d.g.lastWasGraph = b[0].step, b[len(b)-1].step, true
	d.counts.GraphLaunches++
	if err := driverErr(C.cuGraphLaunch(d.g.exec, cuStream(d.stream))); err != nil {
		d.fail(fmt.Errorf("%s: launching the CUDA graph of training steps %d to %d (%d operations): %w", d.name, d.g.lastFirst, d.g.lastEnd, len(b), err))
	}
}

// destroyGraph frees the executable graph, if any (CUDA goroutine).
func (d *Device) destroyGraph() error {
	if d.g.exec == nil {
		return nil
	}
	err := driverErr(C.cuGraphExecDestroy(d.g.exec))
	d.g.exec = nil
	d.g.cmds = d.g.cmds[:0]
	return err
}
