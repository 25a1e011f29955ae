package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gputrain/gputrain/data"
)

const inspectHelp = `Usage: gputrain inspect --data FILE [--label COL] [column flags]

Describes a table before training, as train would read it: per column the
type inferred (numeric or categorical), the missing cells, the distinct
values and the range or the most frequent categories; then the label's
class balance. Constant and identifier columns are named as train would
drop them. Kinds here come from every row; train infers them on its
training rows.

Examples:
  gputrain inspect --data penguins.csv --label species
  gputrain inspect --data house.csv --label price --ignore id --categorical zip
`

func inspectCommand(args []string, stdout io.Writer) error {
	fs := newFlagSet("inspect", inspectHelp, stdout)
	var df dataFlags
	var cf columnFlags
	df.register(fs, true)
	cf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if df.data == "" {
		return usageError{errors.New("--data is required")}
	}
	ds, err := df.loadLabelled()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "data:      %s, %d rows × %d feature columns, label %s\n", ds.Source, ds.Rows(), ds.Cols(), ds.LabelName)
	ds, cfg, err := cf.apply(ds, stdout)
	if err != nil {
		return err
	}
	p, err := data.FitPrep(ds, nil, *cfg)
	if err != nil {
		return usageError{err}
	}
	fmt.Fprintf(stdout, "inputs:    %s\n\n", p.Describe())
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "column\ttype\tmissing\tdistinct\tsummary")
	for _, s := range ds.Summaries(p) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", s.Name, s.Kind, s.Missing, s.Distinct, summaryText(s))
	}
	tw.Flush()
	counts := ds.LabelCounts()
	if _, classes, task, err := data.Encode(ds, data.TaskAuto); err != nil {
		fmt.Fprintf(stdout, "\nlabel %s: %s\n", ds.LabelName, oneLine(err.Error()))
	} else if task == data.TaskRegression {
		fmt.Fprintf(stdout, "\nlabel %s: numeric, %d distinct values (a regression target)\n", ds.LabelName, len(counts))
	} else {
		var parts []string
		for _, c := range counts {
			parts = append(parts, fmt.Sprintf("%s %d (%.1f%%)", c.Value, c.N, 100*float64(c.N)/float64(ds.Rows())))
		}
		fmt.Fprintf(stdout, "\nlabel %s: %d classes (%s): %s\n", ds.LabelName, len(classes), task, strings.Join(parts, ", "))
	}
	return nil
}

// summaryText is the range of a numeric column or the most frequent
// categories of a categorical one.
func summaryText(s data.ColumnSummary) string {
	if s.Kind == data.Numeric {
		return fmt.Sprintf("min %.4g, max %.4g, mean %.4g", s.Min, s.Max, s.Mean)
	}
	const top = 4
	var parts []string
	for k, c := range s.Top {
		if k == top {
			parts = append(parts, fmt.Sprintf("… %d more", len(s.Top)-top))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", c.Value, c.N))
	}
	return strings.Join(parts, ", ")
}
