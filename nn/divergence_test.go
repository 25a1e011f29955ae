package nn

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// A loss that stays finite but grows more than DivergenceFactor times its
// first value stops the run. Worked by hand: one weight and a bias on x = 1
// with target 1 (MSE, summed), both from 0: the error e = w+b−1 becomes
// e·(1−4·lr) each update, so with lr = 2.75·0.9^i (a step schedule decaying
// every update) the loss 1 grows to 100, 7921 and about 4.9e5 after update
// 3, the last: divergence at step 3, reported with the rate of update 3
// (2.75·0.81).
func TestDivergenceByGrowth(t *testing.T) {
	arch := Arch{Inputs: 1, Outputs: 1, Loss: device.MSE}
	start := Params{W: [][]float32{{0}}, B: [][]float32{{0}}}
	cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: OptimConfig{Kind: GD, LR: 2.75},
		Schedule: Schedule{Kind: StepLR, StepSize: 1, Gamma: 0.9}, Steps: 3, Reduction: Sum, Seed: 1}
	tr, err := NewTrainer(cpu.New(), cfg, []float32{1}, []float32{1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	_, err = tr.Run(nil)
	var de *DivergenceError
	if !errors.As(err, &de) || de.Step != 3 || math.Abs(de.LR-2.75*0.81) > 1e-9 || de.FirstLoss != 1 || !(de.Loss > 4e5 && de.Loss < 6e5) {
		t.Fatalf("error %v (%+v), want divergence at step 3, lr 2.2275, from 1 to about 4.9e5", err, de)
	}
}

// A first loss of 0 is no yardstick: a later loss above it is no
// divergence. With zero parameters, the first batch (its rows found from
// the run's first epoch order) has targets 0 and loss 0; the others have
// targets 1.
func TestNoDivergenceFromAZeroFirstLoss(t *testing.T) {
	arch := Arch{Inputs: 1, Outputs: 1, Loss: device.MSE}
	start := Params{W: [][]float32{{0}}, B: [][]float32{{0}}}
	const rows, batch, seed = 8, 2, 3
	perm := make([]int32, rows)
	Shuffle(ShuffleRand(seed), perm)
	x, y := make([]float32, rows), make([]float32, rows)
	for i, r := range perm {
		x[r] = 1
		if i >= batch {
			y[r] = 1
		}
	}
	cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: OptimConfig{Kind: SGD, LR: 0.01}, BatchSize: batch, Steps: 3,
		Reduction: Sum, Seed: seed}
	tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hist, err := tr.Run(nil)
	if err != nil || len(hist) != 3 || hist[0].Loss != 0 || !(hist[1].Loss > 0) {
		t.Fatalf("losses %+v, error %v: want a first loss of 0, then a positive one, and no error", hist, err)
	}
}

// Full-batch records carry the loss of their step, the same as the loss
// history's.
func TestFullBatchRecordsCarryTheLoss(t *testing.T) {
	arch := Arch{Inputs: 1, Outputs: 1, Loss: device.MSE}
	start := Params{W: [][]float32{{0.5}}, B: [][]float32{{0}}}
	cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 3, RecordEvery: 1,
		Reduction: Sum, Seed: 1}
	tr, err := NewTrainer(cpu.New(), cfg, []float32{1, 2}, []float32{1, 3}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var records []Progress
	hist, err := tr.RunContext(context.Background(), Observer{Progress: func(p Progress) { records = append(records, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(hist) {
		t.Fatalf("%d records for %d loss points", len(records), len(hist))
	}
	for i, r := range records {
		if r.Step != hist[i].Step || r.Loss != hist[i].Loss {
			t.Errorf("record %+v, loss point %+v", r, hist[i])
		}
	}
}

// A loss that becomes non-finite only after the last update is traced by
// the replay to the final forward pass. Worked by hand: one update of
// rate 10 from w = b = 0 on x = 1e19, y = 1 moves w to 2e20 (finite), and
// then x·w overflows float32 in the forward pass of the loss after it.
func TestDivergenceAfterTheLastUpdateIsTraced(t *testing.T) {
	arch := Arch{Inputs: 1, Outputs: 1, Loss: device.MSE}
	start := Params{W: [][]float32{{0}}, B: [][]float32{{0}}}
	cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: OptimConfig{Kind: GD, LR: 10}, Steps: 1, Reduction: Sum, Seed: 1}
	tr, err := NewTrainer(cpu.New(), cfg, []float32{1e19}, []float32{1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	_, err = tr.Run(nil)
	var de *DivergenceError
	want := "layers.0 input·weight became +Inf in the forward pass of update 1"
	if !errors.As(err, &de) || de.Step != 1 || de.Anomaly == nil || de.Anomaly.String() != want {
		t.Fatalf("error %v, want divergence at step 1 naming %q", err, want)
	}
}
