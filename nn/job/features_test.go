package job

import (
	"math"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/nn"
)

func TestBalancedClassWeights(t *testing.T) {
	y := []float64{0, 0, 0, 1, 0, 2, 1, 9}
	w := BalancedClassWeights(y, []int{0, 1, 2, 3, 4, 5, 6}, 4)
	want := []float64{7.0 / 16, 7.0 / 8, 7.0 / 4, 0}
	for i := range want {
		if math.Abs(w[i]-want[i]) > 1e-15 {
			t.Fatalf("weights %v, want %v", w, want)
		}
	}
}

// overfitting is an experiment whose validation loss turns up early.
func overfitting() Experiment {
	e := workshop(2)
	e.Hidden, e.Optim = []int{64}, nn.OptimConfig{Kind: nn.Adam, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	e.BatchSize, e.Reduction, e.ValSplit, e.Steps, e.Epochs = 32, nn.Mean, 0.3, 0, 100
	return e
}

func TestEarlyStoppingRestoresTheBestWeights(t *testing.T) {
	ds, _ := data.Biodeg()
	e := overfitting()
	e.EarlyStopping = nn.EarlyStopping{Patience: 3, MinDelta: 1e-4, RestoreBest: true}
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	es := res.EarlyStop
	perEpoch := (739 + 31) / 32
	if es == nil || !es.Stopped || !es.Restored || es.Step >= 100*perEpoch || es.BestStep <= 0 || es.Step != es.BestStep+3*perEpoch {
		t.Fatalf("early stopping: %+v (epochs of %d steps)", es, perEpoch)
	}
	last := res.History[len(res.History)-1]
	if last.Step != es.Step {
		t.Errorf("history ends at step %d, early stopping at %d", last.Step, es.Step)
	}
	val := res.Evals[1]
	if val.Split != "validation" || val.Loss != es.BestLoss {
		t.Errorf("validation loss of the restored weights %v, best recorded %v", val.Loss, es.BestLoss)
	}
	var best float64 = math.Inf(1)
	for _, r := range res.Records {
		best = math.Min(best, r.ValLoss)
	}
	if best != es.BestLoss || !strings.Contains(res.Model.Info["early_stopping"], "restored: true") {
		t.Errorf("best record %v, early stopping %+v, info %q", best, es, res.Model.Info["early_stopping"])
	}
	t.Logf("stopped at step %d (epoch %d); best validation loss %.4f at step %d", es.Step, es.Step/perEpoch, es.BestLoss, es.BestStep)

	// Without a validation split early stopping has nothing to watch.
	e.ValSplit = 0
	if _, err := RunExperiment(cpu.New(), ds, e, nil, nil); err == nil || !strings.Contains(err.Error(), "validation split") {
		t.Errorf("early stopping without validation: %v", err)
	}
}

// TestProgressRecords checks the records of a full-batch run with a
// validation split: every RecordEvery steps and at the end, the training
// loss of that step, and the validation loss of the final parameters in
// the last one.
func TestProgressRecords(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(4)
	e.Steps, e.ValSplit, e.RecordEvery = 25, 0.2, 10
	var order []string
	hooks := Hooks{
		Loss:     func(p nn.LossPoint) { order = append(order, "loss") },
		Progress: func(p nn.Progress) { order = append(order, "record") },
	}
	res, err := RunExperimentContext(t.Context(), cpu.New(), ds, e, hooks)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	for _, r := range res.Records {
		steps = append(steps, r.Step)
		if !r.HasVal || r.Loss != res.History[r.Step].Loss || r.LR != 1e-4 {
			t.Errorf("record %+v (history %+v)", r, res.History[r.Step])
		}
	}
	if len(steps) != 4 || steps[0] != 0 || steps[1] != 10 || steps[2] != 20 || steps[3] != 25 {
		t.Errorf("records at steps %v, want 0, 10, 20, 25", steps)
	}
	if last := res.Records[len(res.Records)-1]; last.ValLoss != res.Evals[1].Loss {
		t.Errorf("last record's validation loss %v, final evaluation %v", last.ValLoss, res.Evals[1].Loss)
	}
	if order[0] != "record" || order[1] != "loss" || len(order) != 26+4 {
		t.Errorf("callbacks in order %v", order[:4])
	}
}

func TestChooseThreshold(t *testing.T) {
	y := []int{0, 0, 0, 1, 0, 1, 1, 1}
	p := []float64{0.1, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.9}
	// Predicting 1 from 0.35 up: TPR 1, FPR 1/4 (J = 0.75); from 0.6 up:
	// TPR 3/4, FPR 0 (J = 0.75) — the tie goes to 0.5, between 0.4 and 0.6.
	if got := ChooseThreshold(y, p); got != 0.5 {
		t.Errorf("threshold %v, want 0.5", got)
	}
	y2 := []int{0, 0, 1, 1}
	p2 := []float64{0.01, 0.02, 0.03, 0.04}
	if got := ChooseThreshold(y2, p2); got != 0.025 {
		t.Errorf("threshold %v, want 0.025", got)
	}
	if got := ChooseThreshold([]int{1, 1}, []float64{0.2, 0.3}); got != 0.5 {
		t.Errorf("one class: threshold %v, want 0.5", got)
	}
}

func TestAutoThresholdIsRecorded(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(1)
	e.Steps, e.ValSplit, e.AutoThreshold = 200, 0.2, true
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	val := res.Evals[1]
	if want := ChooseThreshold(val.Labels, val.Prob); res.Threshold != want || res.Model.Info["threshold"] == "" {
		t.Fatalf("threshold %v (info %q), chosen on validation %v", res.Threshold, res.Model.Info["threshold"], want)
	}
	t.Logf("threshold chosen on validation: %v", res.Threshold)
	e.ValSplit = 0
	if _, err := RunExperiment(cpu.New(), ds, e, nil, nil); err == nil {
		t.Error("--threshold auto without a validation split works")
	}
}

// TestDetectAnomalyChangesNothing checks that checking every operation
// leaves a finite run's result unchanged, bit for bit.
func TestDetectAnomalyChangesNothing(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(1)
	e.Steps, e.BatchSize, e.Dropout, e.ClassWeight = 20, 128, 0.2, "balanced"
	e.Optim = nn.OptimConfig{Kind: nn.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	plain, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.DetectAnomaly = true
	checked, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameBits(plain.Model.Params, checked.Model.Params); err != nil {
		t.Fatal(err)
	}
}

func TestManifestInModel(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(1)
	e.Steps, e.TestSplit = 2, 0.2
	e.Flags = map[string]string{"steps": "2", "test-split": "0.2"}
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"seed", "gputrain_version", "commit", "go_version", "device", "flags", "data_sha256", "split_sha256", "threshold"} {
		if res.Model.Info[k] == "" {
			t.Errorf("model metadata lacks %q", k)
		}
	}
	if res.Model.Info["flags"] != `{"steps":"2","test-split":"0.2"}` || res.Model.Info["split_sha256"] == SplitHash(nil, nil, nil) {
		t.Errorf("manifest %v", res.Model.Info)
	}
}
