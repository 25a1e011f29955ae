package job

import (
	"context"
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/nn"
)

// TestVariantsMatchSeparateRuns trains four hyper-parameter settings of
// the workshop network side by side (learning rate, weight decay, dropout)
// and checks each result against the experiment run alone, bit for bit:
// evaluations, loss history, parameters and the model file's provenance.
func TestVariantsMatchSeparateRuns(t *testing.T) {
	ds, _ := data.Biodeg()
	var exps []Experiment
	for _, v := range []struct{ lr, wd, dropout float64 }{{1e-3, 0, 0}, {3e-3, 1e-2, 0.2}, {1e-2, 1e-3, 0}, {1e-4, 0, 0.5}} {
		e := workshop(5)
		e.Steps, e.ValSplit = 120, 0.2
		e.Optim.LR, e.Optim.WeightDecay, e.Dropout = v.lr, v.wd, v.dropout
		e.Flags = map[string]string{"lr": strconv.FormatFloat(v.lr, 'g', -1, 64)}
		exps = append(exps, e)
	}
	key, ok := VariantKey(exps[0])
	if !ok {
		t.Fatal("the workshop experiment cannot train side by side")
	}
	for _, e := range exps[1:] {
		if k, _ := VariantKey(e); k != key {
			t.Fatalf("keys differ:\n%s\n%s", key, k)
		}
	}
	got, err := RunVariants(context.Background(), cpu.New(), ds, exps, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	for r, e := range exps {
		want, err := RunExperiment(cpu.New(), ds, e, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		g := got[r]
		if !reflect.DeepEqual(g.Evals, want.Evals) {
			t.Errorf("variant %d: evaluations %+v side by side, %+v alone", r, g.Evals, want.Evals)
		}
		if len(g.History) != len(want.History) {
			t.Fatalf("variant %d: %d loss points, alone %d", r, len(g.History), len(want.History))
		}
		for i, pt := range want.History {
			if math.Float64bits(g.History[i].Loss) != math.Float64bits(pt.Loss) {
				t.Fatalf("variant %d: loss at step %d is %v side by side, %v alone", r, pt.Step, g.History[i].Loss, pt.Loss)
			}
		}
		if d := paramsDiffer(want.Model.Arch, want.Model.Params, g.Model.Params); d != "" {
			t.Errorf("variant %d: %s", r, d)
		}
		if !reflect.DeepEqual(g.Model.Info, want.Model.Info) {
			t.Errorf("variant %d: model info %v side by side, %v alone", r, g.Model.Info, want.Model.Info)
		}
	}
}

// TestVariantKeySeparates checks that what changes a tensor's shape or
// the run's course gives another key, and what trains alone gives none.
func TestVariantKeySeparates(t *testing.T) {
	base := workshop(5)
	key, _ := VariantKey(base)
	for name, change := range map[string]func(*Experiment){
		"hidden":     func(e *Experiment) { e.Hidden = []int{7} },
		"batch size": func(e *Experiment) { e.BatchSize = 32 },
		"optimizer":  func(e *Experiment) { e.Optim.Kind = nn.Momentum },
		"l1":         func(e *Experiment) { e.Optim.L1 = 1e-3 },
		"seed":       func(e *Experiment) { e.Seed = 6 },
	} {
		e := workshop(5)
		change(&e)
		if k, ok := VariantKey(e); !ok || k == key {
			t.Errorf("%s: same key as the base (%v)", name, ok)
		}
	}
	for name, change := range map[string]func(*Experiment){
		"restarts":       func(e *Experiment) { e.Restarts = 2 },
		"cv":             func(e *Experiment) { e.CV = 3 },
		"early stopping": func(e *Experiment) { e.EarlyStopping.Patience = 3 },
		"class weights":  func(e *Experiment) { e.ClassWeight = "balanced" },
	} {
		e := workshop(5)
		change(&e)
		if _, ok := VariantKey(e); ok {
			t.Errorf("%s: trains side by side", name)
		}
	}
}
