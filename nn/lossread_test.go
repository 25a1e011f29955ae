package nn

import (
	"errors"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// downloadCounter counts the downloads a trainer makes.
type downloadCounter struct {
	device.Device
	n int
}

func (d *downloadCounter) Download(dst []float32, src device.Buffer) error {
	d.n++
	return d.Device.Download(dst, src)
}

// tinyBinary is a 16-row, 3-feature binary data set for the trainer's
// bookkeeping tests.
func tinyBinary() (x, y []float32) {
	x, y = make([]float32, 16*3), make([]float32, 16)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	for i := range y {
		y[i] = float32(i % 2)
	}
	return x, y
}

// TestLossReadCopiesOnlyTheLoss checks that reading the loss more often
// costs one download per read: the parameters stay on the device.
func TestLossReadCopiesOnlyTheLoss(t *testing.T) {
	x, y := tinyBinary()
	downloads := func(checkEvery int) int {
		cfg := TrainConfig{Arch: Arch{Inputs: 3, Hidden: []int{4}, Activation: device.Tanh, Outputs: 1, Loss: device.Logistic},
			Init: InitNormal, Optim: OptimConfig{Kind: Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			BatchSize: 4, Steps: 12, CheckEvery: checkEvery, Seed: 3}
		d := &downloadCounter{Device: cpu.New()}
		tr, err := NewTrainer(d, cfg, x, y, 16)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if _, err := tr.Run(nil); err != nil {
			t.Fatal(err)
		}
		return d.n
	}
	once, every := downloads(12), downloads(1)
	if every-once != 11 {
		t.Errorf("12 loss reads made %d downloads, 1 read %d: want 11 more (one per extra read, the losses only)", every, once)
	}
}

// TestReplayFromTheStart makes one row of a minibatch run overflow the
// weight gradient after several finite loss reads: the default replay
// (from the run's starting state, unchecked up to the last finite read)
// must name the same tensor and update as --detect-anomaly.
func TestReplayFromTheStart(t *testing.T) {
	const rows = 24
	x, y := make([]float32, rows), make([]float32, rows)
	for i := range x {
		x[i] = 0.5
	}
	x[rows-1] = 1e20 // a finite logit, an infinite squared error and weight gradient
	arch := Arch{Inputs: 1, Outputs: 1, Loss: device.MSE}
	start := Params{W: [][]float32{{1}}, B: [][]float32{{0}}}
	var named [2]string
	var steps [2]int
	for k, detect := range []bool{true, false} {
		cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: OptimConfig{Kind: GD, LR: 0.01}, BatchSize: 1,
			Steps: rows, Reduction: Sum, CheckEvery: 2, Seed: 5, DetectAnomaly: detect}
		tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.Run(nil)
		tr.Close()
		var de *DivergenceError
		if !errors.As(err, &de) || de.Anomaly == nil {
			t.Fatalf("detect %v: error %v, want a divergence naming a tensor", detect, err)
		}
		named[k], steps[k] = de.Anomaly.String(), de.Step
		t.Logf("detect %v: %v", detect, err)
	}
	if steps[0] < 6 {
		t.Fatalf("the overflowing row comes at step %d: want one after several loss reads (change the seed)", steps[0])
	}
	if named[0] != named[1] || steps[0] != steps[1] || !strings.HasPrefix(named[0], "layers.0.weight gradient became +Inf in the backward pass of update ") {
		t.Errorf("--detect-anomaly: step %d, %q; replay: step %d, %q", steps[0], named[0], steps[1], named[1])
	}
}

// blockRecorder is a CPU device that records blocks of steps
// (device.StepCapturer): it counts the blocks and the operations queued in
// each, and notes a download made inside one.
type blockRecorder struct {
	device.Device
	open        bool
	blocks      []int // products queued per block
	downloadsIn int
	unbalanced  int
}

func (d *blockRecorder) BeginCapture() {
	if d.open {
		d.unbalanced++
	}
	d.open = true
	d.blocks = append(d.blocks, 0)
}

func (d *blockRecorder) EndCapture() {
	if !d.open {
		d.unbalanced++
	}
	d.open = false
}

func (d *blockRecorder) GemmStrided(transA, transB bool, m, n, k int, alpha float32, a device.Buffer, lda, strideA int, b device.Buffer, ldb, strideB int, beta float32, c device.Buffer, ldc, strideC int, count int) {
	if d.open {
		d.blocks[len(d.blocks)-1]++
	}
	d.Device.GemmStrided(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, count)
}

func (d *blockRecorder) Download(dst []float32, src device.Buffer) error {
	if d.open {
		d.downloadsIn++
	}
	return d.Device.Download(dst, src)
}

// TestStepBlocks: the trainer brackets the steps between two loss reads as
// one block (BeginCapture … EndCapture), so that a device can replay a
// recording of it: a full-batch run of 30 steps reading the loss every 10
// makes 3 blocks of the same work, none holding a download, and the
// results are those of a device without blocks.
func TestStepBlocks(t *testing.T) {
	x, y := tinyBinary()
	cfg := TrainConfig{Arch: Arch{Inputs: 3, Hidden: []int{4}, Activation: device.Tanh, Outputs: 1, Loss: device.Logistic},
		Init: InitNormal, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 30, CheckEvery: 10, Seed: 3}
	run := func(dev device.Device) []LossPoint {
		tr, err := NewTrainer(dev, cfg, x, y, 16)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		h, err := tr.Run(nil)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	d := &blockRecorder{Device: cpu.New()}
	got, want := run(d), run(cpu.New())
	if d.open || d.unbalanced != 0 || d.downloadsIn != 0 {
		t.Errorf("blocks: open at the end %v, %d unbalanced Begin/End, %d downloads inside a block", d.open, d.unbalanced, d.downloadsIn)
	}
	if len(d.blocks) != 3 || d.blocks[0] == 0 || d.blocks[1] != d.blocks[0] || d.blocks[2] != d.blocks[0] {
		t.Errorf("gemms per block %v, want 3 blocks of the same nonzero count", d.blocks)
	}
	if len(got) != len(want) {
		t.Fatalf("%d loss points with blocks, %d without", len(got), len(want))
	}
	for i := range got {
		if got[i].Loss != want[i].Loss {
			t.Errorf("step %d: loss %v with blocks, %v without", got[i].Step, got[i].Loss, want[i].Loss)
		}
	}
}
