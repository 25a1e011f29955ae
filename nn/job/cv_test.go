package job

import (
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/nn"
)

// TestCrossValidationHoldsOutEachFold checks that every fold is scored by
// a model trained on the other folds only. The single feature is constant,
// so a linear model can only learn a constant, and gradient descent on the
// mean squared error drives it to the mean of the labels it trains on:
// each fold's loss must then be the mean of (y − mean of the other folds'
// labels)², worked out here by hand. A model that saw the fold would
// predict the fold's own mean and score lower.
func TestCrossValidationHoldsOutEachFold(t *testing.T) {
	labels := []float64{0, 1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121}
	rows := make([][]float64, len(labels))
	text := make([]string, len(labels))
	for i, v := range labels {
		rows[i] = []float64{0}
		text[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	ds, err := data.FromRows(rows, text)
	if err != nil {
		t.Fatal(err)
	}
	const k = 3
	e := Experiment{
		Task: data.TaskRegression, Init: nn.InitGlorot, Optim: nn.OptimConfig{Kind: nn.GD, LR: 0.25},
		Steps: 200, Reduction: nn.Mean, Seed: 5, CV: k,
	}
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	folds, err := data.KFold(labels, k, false, e.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Folds) != k {
		t.Fatalf("%d fold evaluations, want %d", len(res.Folds), k)
	}
	for f, fold := range folds {
		in := map[int]bool{}
		for _, r := range fold {
			in[r] = true
		}
		var mean float64
		for r, v := range labels {
			if !in[r] {
				mean += v
			}
		}
		mean /= float64(len(labels) - len(fold))
		var want float64
		for _, r := range fold {
			want += (labels[r] - mean) * (labels[r] - mean)
		}
		want /= float64(len(fold))
		ev := res.Folds[f]
		if ev.Split != fmt.Sprintf("fold %d", f+1) || ev.Rows != len(fold) {
			t.Fatalf("evaluation %d is %q with %d rows, want fold %d with %d", f, ev.Split, ev.Rows, f+1, len(fold))
		}
		if math.Abs(ev.Loss-want) > 1e-4*want {
			t.Errorf("fold %d (rows %v): loss %v, want %v (the model trained on the other folds predicts their mean %v)", f+1, fold, ev.Loss, want, mean)
		}
	}
}
