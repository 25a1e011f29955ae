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
// EndCapture. The CUDA goroutine compares the block's launches and copies,
// as they come, with two earlier blocks: the one its graph was captured
// from and the previous one (issued launch by launch). While the block
// matches either, command for command (kernel, grid, block, every argument,
// pointers included), its commands are held back; at EndCapture:
//
//   - when it equals the graph's block, it replays the graph with one
//     cuGraphLaunch;
//   - else, when it equals the previous block, it captures it
//     (cuStreamBeginCapture … cuStreamEndCapture: the launches are recorded,
//     not run), instantiates the graph and launches it;
//   - else it issues the commands held back.
//
// At the first command that matches neither, the commands held back are
// issued and the rest of the block goes to the driver as it comes, so a
// block that cannot be replayed does not keep the GPU waiting for the host
// to queue all of it; it is still kept to compare with the next block.
//
// So a replay runs exactly the launches the block would have issued, and
// results are bit-identical with and without graphs. A full-batch run with
// a constant learning rate (W1) queues the same block every time — each
// step's loss goes to the same slot of the loss history in every block — so
// once a block has repeated, every later one is one driver call. A block
// that differs (a learning rate schedule, minibatch offsets, an epoch's
// shuffle upload, Adam's step count) runs launch by launch, at the cost of
// comparing commands on the host.
//
// An upload or any call that waits (Download, Alloc, Err, …) inside a block
// issues what was held back and ends the block: a graph holds launches and
// device copies only. Graphs are off with GPUTRAIN_CUDA_SYNC=1 (each kernel
// must be waited for, to name the faulting one), with GPUTRAIN_CUDA_GRAPHS=0
// (to compare), and for the device's lifetime when the driver refuses a
// capture (tried at Open) or an instantiation (the PTX interpreter
// bin/ptxemu.so has no graph entry points: the preflight's stand-in returns
// CUDA_ERROR_NOT_SUPPORTED, and blocks run launch by launch there).

// graphState is a device's block and graph bookkeeping (CUDA goroutine).
type graphState struct {
	off   string // why blocks run launch by launch; "" while graphs are on
	open  bool   // a block is open
	block []cmd  // the open block's launches and copies so far
	// The open block still matches the graph's block (cmds) or the
	// previous block (prev) command for command; when neither, it is
	// issued as it comes (direct).
	matchGraph, matchPrev, direct bool
	prev                          []cmd // the last block issued launch by launch
	cmds                          []cmd // the block exec replays
	exec                          C.CUgraphExec
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
	g := &d.g
	if g.off != "" || d.err != nil {
		return
	}
	g.open = true
	g.block = g.block[:0]
	g.matchGraph, g.matchPrev = g.exec != nil, len(g.prev) > 0
	g.direct = !g.matchGraph && !g.matchPrev
}

// collect adds a launch or copy to the open block: held back while the
// block matches an earlier one, issued at once otherwise.
func (d *Device) collect(c *cmd) {
	g := &d.g
	i := len(g.block)
	g.block = append(g.block, *c)
	if g.direct {
		d.issue(g.block[i:])
		return
	}
	g.matchGraph = g.matchGraph && i < len(g.cmds) && sameCmd(c, &g.cmds[i])
	g.matchPrev = g.matchPrev && i < len(g.prev) && sameCmd(c, &g.prev[i])
	if !g.matchGraph && !g.matchPrev {
		g.direct = true
		d.issue(g.block)
	}
}

// breakBlock closes the open block, issuing what it held back: an operation
// a graph cannot hold came inside it.
func (d *Device) breakBlock() {
	g := &d.g
	g.open = false
	if !g.direct {
		d.issue(g.block)
	}
	g.block = g.block[:0]
	g.prev = g.prev[:0]
}

// endBlock closes the open block and runs what it held back: by its graph,
// by a new graph, or launch by launch (see graphState).
func (d *Device) endBlock() {
	g := &d.g
	g.open = false
	b := g.block
	switch {
	case len(b) == 0:
		return // nothing queued: nothing to keep
	case g.direct:
		// Issued already; kept to compare with the next block.
		g.prev, g.block = b, g.prev[:0]
		return
	case d.err != nil:
		d.issue(b)
	case g.matchGraph && len(b) == len(g.cmds):
		d.launchGraph(b)
	case g.matchPrev && len(b) == len(g.prev):
		if d.capture(b) {
			g.cmds, g.block = b, g.cmds[:0]
			d.launchGraph(b)
			return
		}
		d.issue(b)
	default:
		// A prefix of an earlier block.
		d.issue(b)
		g.prev, g.block = b, g.prev[:0]
		return
	}
	g.block = b[:0]
}

// sameCmd reports whether x and y are the same launch or copy with the same
// arguments (the training step they belong to aside). A command's slot in a
// batch is reused, so only the fields of its kind are compared: l for a
// launch, args for a copy.
func sameCmd(x, y *cmd) bool {
	return x.kind == y.kind && (x.kind != cmdLaunch || x.l == y.l) && (x.kind != cmdCopy || x.args == y.args)
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
