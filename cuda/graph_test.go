//go:build cuda

package cuda

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/bench"
	"github.com/gputrain/gputrain/cuda/preflight"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
	"gorgonia.org/cu"
)

// graphsOffNow is why d runs blocks launch by launch ("" when it uses graphs).
func (d *Device) graphsOffNow() string {
	var off string
	d.call(func() { off = d.g.off })
	return off
}

// wantGraphs fails the test when d does not use graphs, except on the PTX
// interpreter, which has no graph entry points (the backend falls back to
// launching block by block there): it then reports false.
func wantGraphs(t *testing.T, d *Device) bool {
	t.Helper()
	off := d.graphsOffNow()
	if off != "" && strings.Contains(filepath.Base(preflight.Library()), "ptxemu") {
		t.Logf("graphs off on %s: %s", preflight.Library(), off)
		return false
	}
	if off != "" {
		t.Fatalf("graphs are off: %s", off)
	}
	return true
}

// TestGraphReplay drives blocks (BeginCapture … EndCapture) by hand and
// checks the values after each against the host's: a block first runs
// launch by launch, is captured when repeated, then replays its graph; a
// block with another argument runs launch by launch until it repeats (and
// replaces the graph); one with an upload inside breaks off, running
// everything in order; the graph is still replayed for its block after.
func TestGraphReplay(t *testing.T) {
	d := openT(t)
	graphs := wantGraphs(t, d)
	const n = 1000
	ones := make([]float32, n)
	for i := range ones {
		ones[i] = 1
	}
	x := mustUpload(t, d, ones)
	y, _ := d.Alloc(n)
	z, _ := d.Alloc(n)
	vals := make([]float32, n)
	want := float32(1) // powers of two: every product is exact
	var seen []int64
	for _, b := range []struct {
		v      float32
		upload bool
	}{{2, false}, {2, false}, {2, false}, {0.5, false}, {0.5, false}, {0.5, true}, {0.5, false}} {
		d.BeginCapture()
		for range 3 {
			if b.upload {
				for i := range vals {
					vals[i] = b.v
				}
				d.Upload(y, vals)
			} else {
				d.Fill(y, n, b.v)
			}
			d.Mul(x, y, z, n)
			d.Copy(x, z, n)
			want *= b.v
		}
		d.EndCapture()
		for i, v := range mustDownload(t, d, x, n) {
			if v != want {
				t.Fatalf("after block %d (%+v): x[%d] = %v, want %v", len(seen), b, i, v, want)
			}
		}
		seen = append(seen, d.Counts().GraphLaunches)
	}
	wantSeen := []int64{0, 1, 2, 2, 3, 3, 4}
	if !graphs {
		wantSeen = make([]int64, len(seen))
	}
	if !slices.Equal(seen, wantSeen) {
		t.Fatalf("graph launches after each block %v, want %v", seen, wantSeen)
	}
}

// TestBlockIssuesOnMismatch: a block's commands are held back only while
// they match an earlier block; at the first that matches neither the graph's
// block nor the previous one, the held-back commands and every later one go
// to the driver at once, and at the end the block is kept to compare with
// the next one, without a graph launch.
func TestBlockIssuesOnMismatch(t *testing.T) {
	d := openT(t)
	if !wantGraphs(t, d) {
		t.Skip("no graphs: blocks are always issued as they come")
	}
	x, _ := d.Alloc(256)
	for range 2 { // launch by launch, then captured
		d.BeginCapture()
		for range 3 {
			d.Fill(x, 256, 1)
		}
		d.EndCapture()
	}
	var launched []int64
	var graphs int64
	var direct, prevKept bool
	d.call(func() {
		fill1 := d.g.cmds[0]
		fill3 := fill1
		fill3.l.args[2] = argF(3)
		at := d.counts
		d.beginBlock()
		for _, c := range []cmd{fill1, fill3, fill1} {
			d.collect(&c)
			launched = append(launched, d.counts.Launches-at.Launches)
		}
		direct = d.g.direct
		d.endBlock()
		graphs = d.counts.GraphLaunches - at.GraphLaunches
		prevKept = len(d.g.prev) == 3 && d.g.prev[1].l == fill3.l
	})
	if !slices.Equal(launched, []int64{0, 2, 3}) || !direct || graphs != 0 || !prevKept {
		t.Errorf("kernel launches after each command %v (want [0 2 3]), issued as they come %v, %d graph launches, kept as the previous block %v",
			launched, direct, graphs, prevKept)
	}
	if err := d.Synchronize(); err != nil {
		t.Fatal(err)
	}
}

// w1Run trains W1 (full batch) for blocks blocks of 10 steps, reading the
// loss after each, and returns the loss history, the parameters and the
// device's counts at each loss read (the run's final read evaluates the
// model afresh and is left out).
func w1Run(t *testing.T, d *Device, blocks int) ([]nn.LossPoint, nn.Params, []device.Counts) {
	t.Helper()
	w, err := bench.Lookup("w1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.Load()
	if err != nil {
		t.Fatal(err)
	}
	const block = 10
	tr, err := nn.NewTrainer(d, p.Config(blocks*block, block), p.X, p.Y, p.Rows)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var at []device.Counts
	hist, err := tr.Run(func(lp nn.LossPoint) {
		if lp.Step%block == 0 && lp.Step < blocks*block {
			at = append(at, d.Counts())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	params, err := tr.Params()
	if err != nil {
		t.Fatal(err)
	}
	return hist, params, at
}

// TestW1StepCounts trains W1 (full batch), reading the loss every 10 steps,
// and checks what the GPU step budget assumes: from one loss read to the
// next, 10 steps make no synchronisation and no host↔device copy besides
// the read itself (one download, one synchronisation). The first block
// allocates (split-k's workspace), so it runs launch by launch without
// being kept; the second runs launch by launch too, the third, the same
// again, is captured into a CUDA graph, and every later one is a single
// graph launch and no kernel launch: 0.1 calls into the driver to start
// work per step. The counts are logged (bench/README.md's budget uses
// them).
func TestW1StepCounts(t *testing.T) {
	d := openT(t)
	graphs := wantGraphs(t, d)
	const block, steady = 10, 3
	blocks := 6
	if !graphs {
		blocks = 3 // the PTX interpreter: slow, and every block the same
	}
	_, _, at := w1Run(t, d, blocks)
	if len(at) != blocks {
		t.Fatalf("%d loss reads seen, want %d", len(at), blocks)
	}
	perBlock := at[1].Launches - at[0].Launches
	for i := 1; i < len(at); i++ {
		l, g := at[i].Launches-at[i-1].Launches, at[i].GraphLaunches-at[i-1].GraphLaunches
		s, c := at[i].Syncs-at[i-1].Syncs, at[i].Copies-at[i-1].Copies
		t.Logf("loss read %d to %d: %d kernel launches, %d graph launches (%.3g driver launch calls per step), %d synchronisations, %d copies (%d bytes)",
			i-1, i, l, g, float64(l+g)/block, s, c, at[i].CopyBytes-at[i-1].CopyBytes)
		if s != 1 || c != 1 {
			t.Errorf("from loss read %d to %d (%d steps): %d synchronisations and %d copies, want 1 and 1 (the read)", i-1, i, block, s, c)
		}
		switch {
		case !graphs || i < steady:
			wantG := int64(0)
			if graphs && i == steady-1 {
				wantG = 1 // the block captured
			}
			if l != perBlock || g != wantG {
				t.Errorf("from loss read %d to %d: %d kernel launches and %d graph launches, want %d and %d", i-1, i, l, g, perBlock, wantG)
			}
		case float64(l+g)/block > 0.1 || l != 0 || g != 1:
			t.Errorf("from loss read %d to %d: %d kernel launches and %d graph launches, want 0 and 1 (≤ 0.1 per step)", i-1, i, l, g)
		}
	}
}

// TestGraphsBitIdentical trains W1 with graphs and without
// (GPUTRAIN_CUDA_GRAPHS=0): every loss and every parameter must be the same
// bits.
func TestGraphsBitIdentical(t *testing.T) {
	d := openT(t)
	if !wantGraphs(t, d) {
		t.Skip("no graphs to compare with")
	}
	t.Setenv("GPUTRAIN_CUDA_GRAPHS", "0")
	plain := openT(t)
	if off := plain.graphsOffNow(); off != "GPUTRAIN_CUDA_GRAPHS=0" {
		t.Fatalf("with GPUTRAIN_CUDA_GRAPHS=0, graphs off because %q", off)
	}
	const blocks = 5
	h1, p1, at := w1Run(t, d, blocks)
	h2, p2, at2 := w1Run(t, plain, blocks)
	if g := at[len(at)-1].GraphLaunches; g == 0 {
		t.Fatal("the run with graphs launched none")
	}
	if g := at2[len(at2)-1].GraphLaunches; g != 0 {
		t.Fatalf("GPUTRAIN_CUDA_GRAPHS=0: %d graph launches", g)
	}
	if len(h1) != len(h2) {
		t.Fatalf("%d loss points with graphs, %d without", len(h1), len(h2))
	}
	for i := range h1 {
		if math.Float64bits(h1[i].Loss) != math.Float64bits(h2[i].Loss) {
			t.Fatalf("step %d: loss %v with graphs, %v without", h1[i].Step, h1[i].Loss, h2[i].Loss)
		}
	}
	for l := range p1.W {
		for _, pair := range [][2][]float32{{p1.W[l], p2.W[l]}, {p1.B[l], p2.B[l]}} {
			for i := range pair[0] {
				if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
					t.Fatalf("layer %d: parameter %d is %v with graphs, %v without", l, i, pair[0][i], pair[1][i])
				}
			}
		}
	}
	t.Logf("%d steps: losses and parameters bit-identical; final loss %v", blocks*10, h1[len(h1)-1].Loss)
}

// TestGraphFault plants a fault in a kernel that runs inside a graph replay
// (FAKECUDA_FAULT counts the kernel's runs, replays included): the error
// names the last kernel of the graph, its step and the steps the graph
// replays, and says to rerun with GPUTRAIN_CUDA_SYNC=1, which turns graphs
// off and names the faulting kernel and its step.
func TestGraphFault(t *testing.T) {
	onEmulator(t)
	for _, async := range []string{"0", "1"} {
		out := runChild(t, "TestGraphFaultChild", "FAKECUDA_FAULT=mul:7", "FAKECUDA_ASYNC="+async)
		for _, want := range []string{"last kernel queued: fill(n=3;", "training step 7, the end of a CUDA graph replaying steps 6 to 7", "rerun with GPUTRAIN_CUDA_SYNC=1"} {
			if !strings.Contains(out, want) {
				t.Errorf("FAKECUDA_ASYNC=%s: the error does not say %q:\n%s", async, want, out)
			}
		}
		out = runChild(t, "TestGraphFaultChild", "FAKECUDA_FAULT=mul:7", "FAKECUDA_ASYNC="+async, "GPUTRAIN_CUDA_SYNC=1")
		if want := "kernel mul(n=3; grid 1x1x1, block 256x1x1) failed (launch 13 since Open, training step 6; found by GPUTRAIN_CUDA_SYNC=1)"; !strings.Contains(out, want) {
			t.Errorf("GPUTRAIN_CUDA_SYNC=1, FAKECUDA_ASYNC=%s: the error does not say %q:\n%s", async, want, out)
		}
	}
}

// TestGraphFaultChild runs four blocks of two steps, each a Mul and a Fill:
// the first runs launch by launch, the second is captured, the third and
// fourth replay it; the seventh Mul (step 6, in the fourth block) faults.
func TestGraphFaultChild(t *testing.T) {
	if os.Getenv("GPUTRAIN_TEST_CHILD") == "" {
		t.Skip("run by TestGraphFault")
	}
	d := openT(t)
	x := mustUpload(t, d, []float32{1, 2, 3})
	for b := range 4 {
		d.BeginCapture()
		for s := 2 * b; s < 2*b+2; s++ {
			d.MarkStep(s)
			d.Mul(x, x, x, 3)
			d.Fill(x, 3, 1)
		}
		d.EndCapture()
	}
	err := d.Synchronize()
	if !errors.Is(err, cu.IllegalAddress) {
		t.Fatalf("Synchronize after a faulting graph: %v, want %v", err, cu.IllegalAddress)
	}
	t.Log(err)
}

// BenchmarkGraphBlock is the host's cost of a replayed block of 180 small
// launches (about W1's 10 steps of 20 kernels): queuing them, collecting and comparing
// them on the CUDA goroutine and one cuGraphLaunch; ns/op is per block.
// Run it on the emulator with the kernels stubbed to no-ops:
//
//	FAKECUDA_NOOP=1 GPUTRAIN_LIBCUDA=$PWD/bin/fakecuda.so go test -tags cuda -run '^$' -bench GraphBlock ./cuda
func BenchmarkGraphBlock(b *testing.B) {
	d := openT(b)
	x, err := d.Alloc(256)
	if err != nil {
		b.Fatal(err)
	}
	block := func() {
		d.BeginCapture()
		for range 180 {
			d.Fill(x, 256, 1)
		}
		d.EndCapture()
	}
	for range 3 { // launch by launch, captured, replayed
		block()
	}
	before := d.Counts()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		block()
	}
	if err := d.Synchronize(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if c := d.Counts(); c.Launches != before.Launches || c.GraphLaunches-before.GraphLaunches != int64(b.N) {
		b.Fatalf("%d kernel launches and %d graph launches for %d blocks, want 0 and %d", c.Launches-before.Launches, c.GraphLaunches-before.GraphLaunches, b.N, b.N)
	}
}
