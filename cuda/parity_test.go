//go:build cuda

package cuda_test

import (
	"flag"
	"math"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
	"github.com/gputrain/gputrain/nn/job"
)

// paritySteps is the length of the parity run: the workshop's 3000 on a
// GPU; the CPU emulator of the kernels (make cuda-emu-test) passes fewer.
var paritySteps = flag.Int("parity-steps", 3000, "steps of the CPU/GPU biodeg parity run")

// TestBiodegParity trains the workshop network (41 → 20 tanh → 1 logistic,
// N(0,1) init, summed loss, full-batch GD, lr 1e-4, 3000 steps) on the CPU
// and on cuda:0 from the same seed and requires the loss to agree within
// 1e-4 relative at every step and the confusion matrices to be identical.
func TestBiodegParity(t *testing.T) {
	ds, err := data.Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	exp := job.Experiment{
		Task: data.TaskBinary, Hidden: []int{20}, Activation: device.Tanh, Init: nn.InitNormal,
		Optim: nn.OptimConfig{Kind: nn.GD, LR: 1e-4}, Steps: *paritySteps, Reduction: nn.Sum, Seed: 1,
		Standardize: true, Threshold: 0.5,
	}
	gpu := openCUDA(t)
	defer gpu.Close()
	results := map[string]*job.Result{}
	for name, dev := range map[string]device.Device{"cpu": cpu.New(), "cuda": gpu} {
		res, err := job.RunExperiment(dev, ds, exp, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		results[name] = res
	}
	c, g := results["cpu"], results["cuda"]
	if len(c.History) != len(g.History) {
		t.Fatalf("history lengths differ: cpu %d, cuda %d", len(c.History), len(g.History))
	}
	worst, worstStep := 0.0, 0
	for i := range c.History {
		rel := math.Abs(c.History[i].Loss-g.History[i].Loss) / math.Abs(c.History[i].Loss)
		if rel > worst {
			worst, worstStep = rel, c.History[i].Step
		}
	}
	for _, s := range []int{0, 1, 10, 100, 1000, 3000} {
		if s > *paritySteps {
			break
		}
		t.Logf("step %4d: cpu loss %.6f, cuda loss %.6f", s, c.History[s].Loss, g.History[s].Loss)
	}
	t.Logf("largest relative loss difference %.3g at step %d", worst, worstStep)
	if counter, ok := gpu.(device.Counter); ok {
		n := counter.Counts()
		t.Logf("cuda: %d kernel launches, %d CUDA graph launches", n.Launches, n.GraphLaunches)
	}
	if worst > 1e-4 {
		t.Errorf("loss differs by %.3g relative at step %d, want ≤ 1e-4", worst, worstStep)
	}
	cm, gm := c.Evals[0].Confusion, g.Evals[0].Confusion
	t.Logf("cpu confusion %v, cuda confusion %v", cm.Counts, gm.Counts)
	for i := range cm.Counts {
		for j := range cm.Counts[i] {
			if cm.Counts[i][j] != gm.Counts[i][j] {
				t.Fatalf("confusion matrices differ: cpu %v, cuda %v", cm.Counts, gm.Counts)
			}
		}
	}
}
