package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// TestTrainingStepAllocs requires a training step — forward pass, loss,
// backward pass, optimizer update, and the periodic read of the losses —
// to allocate nothing on the heap once the run is going, for full-batch
// gradient descent on the workshop's shape of network and data and for
// minibatch Adam with dropout.
func TestTrainingStepAllocs(t *testing.T) {
	arch := Arch{Inputs: 41, Hidden: []int{20}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	const rows = 1055
	x, y := randomProblem(rand.New(rand.NewPCG(1, 2)), arch, rows)
	gd := TrainConfig{Arch: arch, Init: InitNormal, Optim: OptimConfig{Kind: GD, LR: 1e-4}, Reduction: Sum, Seed: 1}
	adam := gd
	adam.Optim = OptimConfig{Kind: Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	adam.BatchSize, adam.Dropout = 64, 0.2
	grid := gd // hyper-parameter variants side by side, as a sweep trains them
	for _, lr := range []float64{1e-4, 1e-3} {
		for _, p := range []float64{0, 0.2} {
			grid.Variants = append(grid.Variants, Variant{Optim: OptimConfig{Kind: GD, LR: lr, WeightDecay: lr}, Dropout: p})
		}
	}
	for name, cfg := range map[string]TrainConfig{"workshop gd": gd, "adam minibatch dropout": adam, "variants": grid} {
		t.Run(name, func(t *testing.T) {
			cfg.Steps = 100000
			tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
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
