package job

import (
	"math"
	"sync"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

// Workshop is the reference experiment's configuration: 41 → 20 (tanh) → 1
// (logistic), N(0,1) initialisation, summed loss, full-batch gradient
// descent with step 1e-4 for 3000 steps, no standardisation beyond the
// data's own (the embedded raw data standardised over all rows).
func workshop(seed uint64) Experiment {
	return Experiment{
		Task: data.TaskBinary, Hidden: []int{20}, Activation: device.Tanh, Init: nn.InitNormal,
		Optim: nn.OptimConfig{Kind: nn.GD, LR: 1e-4}, Steps: 3000, Reduction: nn.Sum, Seed: seed,
		Standardize: true, Threshold: 0.5,
	}
}

func metric(ev nn.Evaluation, name string) float64 {
	for _, v := range ev.Metrics {
		if v.Name == name {
			return v.Value
		}
	}
	return math.NaN()
}

// runSeeds runs the experiment for seeds 1..n, two at a time.
func runSeeds(t *testing.T, n int, exp func(seed uint64) Experiment) []*Result {
	t.Helper()
	ds, err := data.Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	results := make([]*Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = RunExperiment(cpu.New(), ds, exp(uint64(i+1)), nil, nil)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("seed %d: %v", i+1, err)
		}
	}
	return results
}

func TestWorkshopTrainingAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 10 networks for 3000 steps")
	}
	var sum float64
	for i, r := range runSeeds(t, 10, workshop) {
		acc := metric(r.Evals[0], "accuracy")
		final := r.History[len(r.History)-1]
		t.Logf("seed %d: training accuracy %.4f, summed loss after %d steps %.1f", i+1, acc, final.Step, final.Loss)
		for _, p := range r.History {
			if math.IsNaN(p.Loss) || math.IsInf(p.Loss, 0) {
				t.Fatalf("seed %d: loss %v at step %d", i+1, p.Loss, p.Step)
			}
		}
		if final.Step != 3000 || len(r.History) != 3001 {
			t.Fatalf("seed %d: history ends at step %d with %d points, want 3000 and 3001", i+1, final.Step, len(r.History))
		}
		checkBiasesTrained(t, i+1, r.Model)
		sum += acc
	}
	if mean := sum / 10; mean < 0.915 || mean > 0.95 {
		t.Errorf("mean training accuracy %.4f over 10 seeds, want within [0.915, 0.95]", mean)
	}
}

func TestWorkshopTestAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 10 networks for 3000 steps")
	}
	var sum float64
	for i, r := range runSeeds(t, 10, func(seed uint64) Experiment {
		e := workshop(seed)
		e.TestSplit = 0.2
		return e
	}) {
		test := r.Evals[len(r.Evals)-1]
		if test.Split != "test" || test.Rows != 211 {
			t.Fatalf("seed %d: last evaluation is %q with %d rows, want test with 211", i+1, test.Split, test.Rows)
		}
		acc := metric(test, "accuracy")
		t.Logf("seed %d: test accuracy %.4f", i+1, acc)
		sum += acc
	}
	if mean := sum / 10; mean < 0.81 || mean > 0.89 {
		t.Errorf("mean test accuracy %.4f over 10 seeds, want within [0.81, 0.89]", mean)
	}
}

// checkBiasesTrained fails when a layer's biases end where they started:
// the accuracy bands alone pass with biases that never train (the
// workshop's N(0, 1) weights fit biodeg almost as well without them).
func checkBiasesTrained(t *testing.T, seed int, m *Model) {
	t.Helper()
	init := nn.InitParams(m.Arch, nn.InitNormal, uint64(seed))
	for l, b := range m.Params.B {
		var moved float64
		for j := range b {
			moved += math.Abs(float64(b[j] - init.B[l][j]))
		}
		moved /= float64(len(b))
		if moved < 0.01 {
			t.Errorf("seed %d: layer %d biases moved %.3g on average in 3000 updates: they do not train", seed, l, moved)
		}
	}
}
