package nn

import (
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
)

// TestTrainingStepAllocs requires a training step — forward pass, loss,
// backward pass, optimizer update, and the periodic read of the losses —
// to allocate nothing on the heap once the run is going, for full-batch
// gradient descent (the workshop) and for minibatch Adam with dropout.
func TestTrainingStepAllocs(t *testing.T) {
	ds, err := data.Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]Experiment{
		"workshop gd": workshop(1),
		"adam minibatch dropout": func() Experiment {
			e := workshop(1)
			e.Optim = OptimConfig{Kind: Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
			e.BatchSize, e.Dropout = 64, 0.2
			return e
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := e.prepare(ds)
			if err != nil {
				t.Fatal(err)
			}
			all := make([]int, ds.Rows())
			for i := range all {
				all[i] = i
			}
			cfg, err := e.trainConfig(p, all)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Steps = 100000
			tr, err := NewTrainer(cpu.New(), cfg, matrix32(ds, all), targets32(p.y, all), len(all))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			step := func() {
				i := tr.iter
				tr.forwardLoss(i)
				tr.backwardUpdate(i)
				tr.iter++
				if len(tr.pending) >= tr.cfg.CheckEvery {
					if err := tr.drain(); err != nil {
						t.Fatal(err)
					}
				}
			}
			for range 300 { // warm up: the first epoch, the first loss reads
				step()
			}
			if allocs := testing.AllocsPerRun(1000, step); allocs != 0 {
				t.Errorf("%v heap allocations per training step, want 0", allocs)
			}
		})
	}
}
