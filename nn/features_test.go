package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
)

func TestScheduleLR(t *testing.T) {
	const base, total = 0.1, 100
	cases := []struct {
		s    Schedule
		i    int
		want float64
	}{
		{Schedule{}, 0, 0.1},
		{Schedule{Kind: ConstantLR}, 99, 0.1},
		{Schedule{Kind: ConstantLR, Warmup: 4}, 0, 0.025},
		{Schedule{Kind: ConstantLR, Warmup: 4}, 3, 0.1},
		{Schedule{Kind: StepLR, StepSize: 10, Gamma: 0.5}, 9, 0.1},
		{Schedule{Kind: StepLR, StepSize: 10, Gamma: 0.5}, 10, 0.05},
		{Schedule{Kind: StepLR, StepSize: 10, Gamma: 0.5}, 25, 0.025},
		{Schedule{Kind: StepLR, StepSize: 10, Gamma: 0.5, Warmup: 10}, 19, 0.1},
		{Schedule{Kind: StepLR, StepSize: 10, Gamma: 0.5, Warmup: 10}, 20, 0.05},
		{Schedule{Kind: CosineLR}, 0, 0.1},
		{Schedule{Kind: CosineLR}, 50, 0.05},
		{Schedule{Kind: CosineLR, MinLR: 0.02}, 50, 0.06},
		{Schedule{Kind: CosineLR, Warmup: 20}, 60, 0.05},
		{Schedule{Kind: CosineLR, Warmup: 20}, 10, 0.1 * 11 / 20},
	}
	for _, c := range cases {
		if got := c.s.LR(base, c.i, total); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%+v update %d: lr %v, want %v", c.s, c.i, got, c.want)
		}
	}
	if err := (Schedule{Kind: StepLR, Gamma: 0.5}).Validate(); err == nil || !strings.Contains(err.Error(), "--lr-step-size") {
		t.Errorf("step schedule without a step size: %v", err)
	}
	if _, err := ParseSchedule("linear"); err == nil {
		t.Error("ParseSchedule accepts linear")
	}
}

// TestClassWeightedLoss compares the weighted training loss with the
// float64 reference: full batch at the start, and with batches of one row
// (every batch lacks all classes but one) summed over an epoch at
// learning rate 0, which is the full weighted loss again.
func TestClassWeightedLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const rows = 23
	for _, arch := range []Arch{
		{Inputs: 3, Hidden: []int{5}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic},
		{Inputs: 3, Hidden: []int{5}, Outputs: 3, Activation: device.ReLU, Loss: device.SoftmaxCE},
	} {
		x, y := randomProblem(rng, arch, rows)
		weights := []float64{0.5, 2, 1.25}[:max(arch.Outputs, 2)]
		params := InitParams(arch, InitGlorot, 3)
		ref := newRef64(arch, params)
		ref.weights = refRowWeights(weights, y, rows)
		want, _, _ := ref.lossGrad(f64(x), f64(y), rows)
		for _, batch := range []int{0, 1} {
			cfg := TrainConfig{Arch: arch, InitFrom: &params, Optim: OptimConfig{Kind: SGD, LR: 0}, BatchSize: batch,
				Steps: 1, Reduction: Sum, ClassWeights: weights, Seed: 1}
			if batch == 1 {
				cfg.Steps = rows
			}
			tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
			if err != nil {
				t.Fatal(err)
			}
			hist, err := tr.Run(nil)
			tr.Close()
			if err != nil {
				t.Fatal(err)
			}
			got := hist[0].Loss
			if batch == 1 {
				got = 0
				for _, p := range hist {
					got += p.Loss
				}
			}
			if math.Abs(got-want) > 1e-5*math.Abs(want) {
				t.Errorf("%s batch %d: weighted loss %v, float64 reference %v", arch, batch, got, want)
			}
		}
	}
}

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
	e.Hidden, e.Optim = []int{64}, OptimConfig{Kind: Adam, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	e.BatchSize, e.Reduction, e.ValSplit, e.Steps, e.Epochs = 32, Mean, 0.3, 0, 100
	return e
}

func TestEarlyStoppingRestoresTheBestWeights(t *testing.T) {
	ds, _ := data.Biodeg()
	e := overfitting()
	e.EarlyStopping = EarlyStopping{Patience: 3, MinDelta: 1e-4, RestoreBest: true}
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
		Loss:     func(p LossPoint) { order = append(order, "loss") },
		Progress: func(p Progress) { order = append(order, "record") },
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

// TestNonFiniteNamesTheTensor makes a gradient overflow: x = 1e20 gives a
// finite logit 1e20, an infinite squared error, and an infinite weight
// gradient x·2z. Both the default replay and --detect-anomaly name it.
func TestNonFiniteNamesTheTensor(t *testing.T) {
	arch := Arch{Inputs: 1, Outputs: 1, Loss: device.MSE}
	start := Params{W: [][]float32{{1}}, B: [][]float32{{0}}}
	for _, detect := range []bool{false, true} {
		cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 5, Reduction: Sum, CheckEvery: 3, DetectAnomaly: detect}
		tr, err := NewTrainer(cpu.New(), cfg, []float32{1e20}, []float32{0}, 1)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.Run(nil)
		tr.Close()
		var de *DivergenceError
		if !errors.As(err, &de) || de.Step != 0 || de.Anomaly == nil {
			t.Fatalf("detect %v: error %v, want divergence at step 0 naming a tensor", detect, err)
		}
		want := "layers.0.weight gradient became +Inf in the backward pass of update 1"
		if de.Anomaly.String() != want || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "training diverged at step 0: ") {
			t.Errorf("detect %v: %v; want it to say %q", detect, err, want)
		}
		t.Logf("detect %v: %v", detect, err)
	}
	// A forward overflow: x·w = 2·3e38.
	start.W[0][0] = 2
	cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 5, Reduction: Sum}
	tr, _ := NewTrainer(cpu.New(), cfg, []float32{3e38}, []float32{0}, 1)
	_, err := tr.Run(nil)
	tr.Close()
	if err == nil || !strings.Contains(err.Error(), "layers.0 input·weight became +Inf in the forward pass of update 1") {
		t.Errorf("forward overflow: %v", err)
	}
}

// TestDetectAnomalyChangesNothing checks that checking every operation
// leaves a finite run's result unchanged, bit for bit.
func TestDetectAnomalyChangesNothing(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(1)
	e.Steps, e.BatchSize, e.Dropout, e.ClassWeight = 20, 128, 0.2, "balanced"
	e.Optim = OptimConfig{Kind: Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
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
