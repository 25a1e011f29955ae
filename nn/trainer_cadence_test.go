package nn

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// Checkpoints come every CheckpointEvery updates, each with its step, and
// not at the end (the finished run is saved by its caller).
func TestCheckpointCadence(t *testing.T) {
	arch := Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	x, y := randomProblem(rand.New(rand.NewPCG(15, 16)), arch, 5)
	var steps []int
	cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 7, Reduction: Sum, Seed: 1,
		CheckpointEvery: 3, OnCheckpoint: func(st *TrainerState) error { steps = append(steps, st.Step); return nil }}
	tr, err := NewTrainer(cpu.New(), cfg, x, y, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Run(nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(steps, []int{3, 6}) {
		t.Errorf("checkpoints at steps %v, want [3 6]", steps)
	}
	cfg.Steps = 6 // the last periodic one would be at the end
	steps = nil
	tr6, err := NewTrainer(cpu.New(), cfg, x, y, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer tr6.Close()
	if _, err := tr6.Run(nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(steps, []int{3}) {
		t.Errorf("6 steps: checkpoints at steps %v, want [3]", steps)
	}
}

// With dropout, the full-batch loss after the last update is the one the
// next update would measure: the same dropout draw, so a run of s updates
// ends on the loss that a run of s+1 records at step s.
func TestFinalLossWithDropoutIsTheNextDraw(t *testing.T) {
	arch := Arch{Inputs: 3, Hidden: []int{8}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	x, y := randomProblem(rand.New(rand.NewPCG(17, 18)), arch, 12)
	run := func(steps int) []LossPoint {
		cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: steps, Dropout: 0.5,
			Reduction: Sum, Seed: 3}
		tr, err := NewTrainer(cpu.New(), cfg, x, y, 12)
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
	short, long := run(2), run(3)
	if len(short) != 3 || len(long) != 4 || short[2].Step != 2 || long[2].Step != 2 {
		t.Fatalf("histories %+v and %+v: want steps 0…2 and 0…3", short, long)
	}
	if short[2].Loss != long[2].Loss {
		t.Errorf("final loss %v after 2 updates, %v measured by update 3", short[2].Loss, long[2].Loss)
	}
}

// Early stopping with RestoreBest ends on the parameters of the best
// record: the validation losses are scripted (best at the second record),
// and the parameters must be those of a plain run of the best step's
// length.
func TestEarlyStoppingRestoresTheBest(t *testing.T) {
	arch := Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	x, y := randomProblem(rand.New(rand.NewPCG(19, 20)), arch, 6)
	scripted := []float64{5, 3, 4, 4, 4, 4, 4, 4}
	calls := 0
	score := func([]float32) Evaluation {
		calls++
		return Evaluation{Loss: scripted[min(calls, len(scripted))-1]}
	}
	var valSteps []int
	obs := Observer{Progress: func(p Progress) {
		if p.HasVal {
			valSteps = append(valSteps, p.Step)
		}
	}}
	base := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: GD, LR: 0.1}, Reduction: Sum, Seed: 1}
	cfg := base
	cfg.Steps, cfg.RecordEvery = 20, 1
	cfg.Val = &ValidationSet{X: x[:2*arch.Inputs], Rows: 2, Score: score}
	cfg.EarlyStopping = EarlyStopping{Patience: 2, RestoreBest: true}
	tr, err := NewTrainer(cpu.New(), cfg, x, y, 6)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.RunContext(context.Background(), obs); err != nil {
		t.Fatal(err)
	}
	if len(valSteps) < 2 {
		t.Fatalf("validation records at steps %v", valSteps)
	}
	got, err := tr.Params()
	if err != nil {
		t.Fatal(err)
	}
	plain := base
	plain.Steps = valSteps[1]
	ref, err := NewTrainer(cpu.New(), plain, x, y, 6)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	if _, err := ref.Run(nil); err != nil {
		t.Fatal(err)
	}
	want, err := ref.Params()
	if err != nil {
		t.Fatal(err)
	}
	for l := range want.W {
		if !slices.Equal(got.W[l], want.W[l]) || !slices.Equal(got.B[l], want.B[l]) {
			t.Fatalf("layer %d: not the parameters after %d updates (the best record); records at %v", l, valSteps[1], valSteps)
		}
	}
}
