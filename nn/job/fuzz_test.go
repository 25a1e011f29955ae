package job

import (
	"context"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/nn"
)

// smallFiles trains a tiny network on a few biodeg rows and returns a model
// file and a checkpoint taken inside an epoch of minibatches with Adam
// (so that it holds optimizer state, a row order and records).
func smallFiles(tb testing.TB) (model, checkpoint []byte) {
	tb.Helper()
	var rows [][]float64
	var labels []string
	for i := 0; i < 20; i++ {
		rows = append(rows, []float64{float64(i % 7), float64(i%3) - 1})
		labels = append(labels, []string{"a", "b"}[i%2])
	}
	ds, err := data.FromRows(rows, labels)
	if err != nil {
		tb.Fatal(err)
	}
	e := Experiment{Task: data.TaskAuto, Hidden: []int{2}, Activation: 1, Init: nn.InitNormal,
		Optim:     nn.OptimConfig{Kind: nn.Adam, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		BatchSize: 5, Steps: 6, Reduction: nn.Mean, Seed: 1, Standardize: true, ValSplit: 0.2, Threshold: 0.5,
		RecordEvery: 2, EarlyStopping: nn.EarlyStopping{Patience: 5, RestoreBest: true}, CheckpointEvery: 3}
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if model, err = res.Model.marshal(); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hooks := Hooks{Checkpoint: func(c *Checkpoint) error {
		checkpoint, err = c.encode()
		cancel()
		return err
	}}
	if _, err := RunExperimentContext(ctx, cpu.New(), ds, e, hooks); err == nil || checkpoint == nil {
		tb.Fatalf("no checkpoint: %v", err)
	}
	return model, checkpoint
}

func checkOneLine(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("multi-line error %q", err)
	}
}

// FuzzDecodeModel feeds arbitrary bytes to the model reader: a one-line
// error, or a model that can be applied.
func FuzzDecodeModel(f *testing.F) {
	model, checkpoint := smallFiles(f)
	f.Add(model)
	f.Add(checkpoint)
	f.Add(model[:len(model)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeModel(b)
		checkOneLine(t, err)
		if err != nil || m.Arch.ParamCount() > 1<<12 {
			return
		}
		if _, err := nn.Infer(cpu.New(), m.Arch, m.Params, make([]float32, 2*m.Arch.Inputs), 2); err != nil {
			t.Fatalf("a decoded model does not run: %v", err)
		}
	})
}

// FuzzDecodeCheckpoint feeds arbitrary bytes to the checkpoint reader: a
// one-line error, or a checkpoint that a trainer either resumes for one
// update or rejects with an error.
func FuzzDecodeCheckpoint(f *testing.F) {
	model, checkpoint := smallFiles(f)
	f.Add(checkpoint)
	f.Add(model)
	f.Add(checkpoint[:len(checkpoint)-9])
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCheckpoint(b)
		checkOneLine(t, err)
		if err != nil {
			return
		}
		arch, n := c.Model.Arch, len(c.Train)
		if arch.ParamCount() > 1<<12 || n*(arch.Inputs+arch.Outputs) > 1<<12 {
			return
		}
		cfg := nn.TrainConfig{Arch: arch, Optim: nn.OptimConfig{Kind: c.Optimizer, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			Steps: c.State.Step + 1, Reduction: nn.Mean, Resume: c.State, CheckEvery: 2}
		if c.State.Perm != nil {
			cfg.BatchSize = max(1, n/2)
		}
		y := make([]float32, n*arch.Outputs)
		if arch.Outputs > 1 {
			y = y[:n] // class indices
		}
		tr, err := nn.NewTrainer(cpu.New(), cfg, make([]float32, n*arch.Inputs), y, n)
		checkOneLine(t, err)
		if err != nil {
			return
		}
		defer tr.Close()
		_, err = tr.Run(nil)
		checkOneLine(t, err)
	})
}

// TestDamagedCheckpoints flips and cuts bytes of a real checkpoint: every
// result is a one-line error or a consistent checkpoint.
func TestDamagedCheckpoints(t *testing.T) {
	_, checkpoint := smallFiles(t)
	if _, err := decodeCheckpoint(checkpoint); err != nil {
		t.Fatalf("the intact checkpoint: %v", err)
	}
	for _, cut := range []int{0, 7, 8, 100, len(checkpoint) / 2, len(checkpoint) - 1} {
		_, err := decodeCheckpoint(checkpoint[:cut])
		if err == nil {
			t.Errorf("checkpoint cut to %d bytes decodes", cut)
		}
		checkOneLine(t, err)
	}
	for i := 0; i < len(checkpoint); i += 97 {
		b := append([]byte(nil), checkpoint...)
		b[i] ^= 0x5a
		_, err := decodeCheckpoint(b)
		checkOneLine(t, err)
	}
	if _, err := decodeModel(checkpoint); err == nil || !strings.Contains(err.Error(), "a resumed training run") {
		t.Errorf("a checkpoint given as a model: %v", err)
	}
}
