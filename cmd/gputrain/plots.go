package main

import (
	"strings"

	"github.com/gputrain/gputrain/charts"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/nn"
	"github.com/gputrain/gputrain/nn/job"
)

// writePlots draws --plots: loss.png/svg (training and validation loss),
// confusion_<split>.png/svg for classification, roc.png/svg for binary
// tasks. It returns the files written.
func writePlots(dir string, res *job.Result, e job.Experiment) ([]string, error) {
	red := e.Reduction
	var paths []string
	add := func(ps []string, err error) error {
		paths = append(paths, ps...)
		return err
	}
	// Loss curves on a per-row scale, so that training and validation
	// losses (summed over different numbers of rows) compare.
	rows := map[string]float64{}
	for _, ev := range res.Evals {
		rows[ev.Split] = float64(ev.Rows)
	}
	fullBatch := len(res.History) > 0 && res.History[0].Step == 0
	if !fullBatch && e.BatchSize > 0 {
		rows["train"] = min(rows["train"], float64(e.BatchSize)) // a batch's sum
	}
	perRow := func(split string) float64 {
		if red == nn.Sum && rows[split] > 0 {
			return 1 / rows[split]
		}
		return 1
	}
	train := charts.Series{Name: "training"}
	val := charts.Series{Name: "validation"}
	if fullBatch || len(res.Records) < 2 {
		for _, p := range res.History {
			train.X, train.Y = append(train.X, float64(p.Step)), append(train.Y, p.Loss*perRow("train"))
		}
		if !fullBatch {
			train.Name = "training (batch)"
		}
	} else {
		train.Name = "training (mean batch loss)"
		for _, r := range res.Records {
			train.X, train.Y = append(train.X, float64(r.Step)), append(train.Y, r.Loss*perRow("train"))
		}
	}
	for _, r := range res.Records {
		if r.HasVal {
			val.X, val.Y = append(val.X, float64(r.Step)), append(val.Y, r.ValLoss*perRow("validation"))
		}
	}
	series := []charts.Series{train}
	if len(val.X) > 0 {
		series = append(series, val)
	}
	label := "mean loss"
	if red == nn.Sum {
		label = "loss per row"
	}
	var marks []charts.Mark
	if es := res.EarlyStop; es != nil && es.Stopped && es.BestStep >= 0 {
		what := "best validation loss"
		if es.Restored {
			what += " (weights restored)"
		}
		marks = append(marks, charts.Mark{X: float64(es.BestStep), Label: what})
	}
	p, err := charts.LossCurves(series, "step", label+" ("+res.Arch.Loss.String()+")", false, marks...)
	if err != nil {
		return paths, err
	}
	if err := add(charts.Save(p, dir, "loss")); err != nil {
		return paths, err
	}
	if res.Task == data.TaskRegression {
		return paths, nil
	}
	var rocs []charts.ROCCurve
	for _, ev := range res.Evals {
		if ev.Confusion == nil {
			continue
		}
		p, err := charts.Confusion(*ev.Confusion, "confusion matrix ("+ev.Split+")")
		if err != nil {
			return paths, err
		}
		if err := add(charts.Save(p, dir, "confusion_"+strings.ReplaceAll(ev.Split, " ", "_"))); err != nil {
			return paths, err
		}
		if res.Task == data.TaskBinary {
			rocs = append(rocs, charts.ROCCurve{Name: ev.Split, Labels: ev.Labels, Scores: ev.Prob})
		}
	}
	if len(rocs) > 0 {
		// No curve when every part lacks a class: then there is no ROC to draw.
		if p, err := charts.ROC(rocs); err == nil {
			if err := add(charts.Save(p, dir, "roc")); err != nil {
				return paths, err
			}
		}
	}
	return paths, nil
}
