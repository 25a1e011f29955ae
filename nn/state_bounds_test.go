package nn

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// IsPermutation refuses values outside 0…n−1, n itself included.
func TestIsPermutationBounds(t *testing.T) {
	for _, c := range []struct {
		p    []int32
		want bool
	}{{[]int32{1, 0}, true}, {[]int32{0, 2}, false}, {[]int32{-1, 0}, false}, {[]int32{0, 0}, false}, {[]int32{0}, false}} {
		if got := IsPermutation(c.p, 2); got != c.want {
			t.Errorf("IsPermutation(%v, 2) = %v, want %v", c.p, got, c.want)
		}
	}
}

// The state of a finished run (step = its total) resumes: nothing is left
// to do and the parameters stay as they were.
func TestResumeAtTheLastStep(t *testing.T) {
	arch := Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	const rows = 6
	x, y := randomProblem(rand.New(rand.NewPCG(7, 8)), arch, rows)
	cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 3, Reduction: Sum, Seed: 1}
	tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(nil); err != nil {
		t.Fatal(err)
	}
	st, err := tr.State()
	tr.Close()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Resume = st
	tr, err = NewTrainer(cpu.New(), cfg, x, y, rows)
	if err != nil {
		t.Fatalf("resuming at step %d of %d: %v", st.Step, cfg.Steps, err)
	}
	defer tr.Close()
	if _, err := tr.Run(nil); err != nil {
		t.Fatal(err)
	}
	got, err := tr.Params()
	if err != nil {
		t.Fatal(err)
	}
	for l := range got.W {
		if !slices.Equal(got.W[l], st.Params.W[l]) || !slices.Equal(got.B[l], st.Params.B[l]) {
			t.Fatalf("layer %d changed after resuming a finished run", l)
		}
	}
}

// About 200 records at a round interval, worked by hand at the edges.
func TestDefaultRecordEvery(t *testing.T) {
	for total, want := range map[int]int{1: 1, 200: 1, 201: 2, 400: 2, 401: 5, 10000: 50, 10001: 100} {
		if got := defaultRecordEvery(total); got != want {
			t.Errorf("defaultRecordEvery(%d) = %d, want %d", total, got, want)
		}
	}
}

// With minibatches and no record interval set, a record comes every epoch
// (3 updates here) and holds the mean of the batch losses since the
// previous one, the first record all of them from the first update on.
func TestMinibatchRecordsAverageTheEpoch(t *testing.T) {
	arch := Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	const rows = 10
	x, y := randomProblem(rand.New(rand.NewPCG(9, 10)), arch, rows)
	cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: SGD, LR: 0.1}, BatchSize: 4, Steps: 6, Reduction: Mean, Seed: 1}
	tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var losses []float64
	var records []Progress
	obs := Observer{Loss: func(p LossPoint) { losses = append(losses, p.Loss) }, Progress: func(p Progress) { records = append(records, p) }}
	if _, err := tr.RunContext(context.Background(), obs); err != nil {
		t.Fatal(err)
	}
	if len(losses) != 6 || len(records) < 2 || records[0].Step != 3 || records[1].Step != 6 {
		t.Fatalf("%d losses, records %+v: want 6 losses and records at steps 3 and 6", len(losses), records)
	}
	for r, want := range []float64{(losses[0] + losses[1] + losses[2]) / 3, (losses[3] + losses[4] + losses[5]) / 3} {
		if math.Abs(records[r].Loss-want) > 1e-12 {
			t.Errorf("record at step %d: loss %v, want the mean of its epoch's batch losses %v", records[r].Step, records[r].Loss, want)
		}
	}
}

// indexCounter counts the index buffers allocated and not yet freed.
type indexCounter struct {
	device.Device
	live int
}

func (d *indexCounter) AllocIndex(n int) (device.IndexBuffer, error) {
	d.live++
	return d.Device.AllocIndex(n)
}

func (d *indexCounter) FreeIndex(b device.IndexBuffer) {
	d.live--
	d.Device.FreeIndex(b)
}

// Close frees every index buffer a run allocated: the row order and the
// class weighting's class order.
func TestCloseFreesTheIndexBuffers(t *testing.T) {
	arch := Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	const rows = 10
	x, y := randomProblem(rand.New(rand.NewPCG(11, 12)), arch, rows)
	cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: SGD, LR: 0.1}, BatchSize: 4, Steps: 2,
		Reduction: Mean, ClassWeights: []float64{1, 2}, Seed: 1}
	dev := &indexCounter{Device: cpu.New()}
	tr, err := NewTrainer(dev, cfg, x, y, rows)
	if err != nil {
		t.Fatal(err)
	}
	if dev.live != 2 {
		t.Errorf("%d index buffers allocated, want 2 (row order, class order)", dev.live)
	}
	tr.Close()
	if dev.live != 0 {
		t.Errorf("%d index buffers left after Close", dev.live)
	}
}

// Without validation no best step is ever found: the state says so with -1.
func TestNoBestStepWithoutValidation(t *testing.T) {
	arch := Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	x, y := randomProblem(rand.New(rand.NewPCG(13, 14)), arch, 5)
	cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 2, Reduction: Sum, Seed: 1}
	tr, err := NewTrainer(cpu.New(), cfg, x, y, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Run(nil); err != nil {
		t.Fatal(err)
	}
	st, err := tr.State()
	if err != nil {
		t.Fatal(err)
	}
	if st.Early.BestStep != -1 {
		t.Errorf("best step %d without validation, want -1", st.Early.BestStep)
	}
}
