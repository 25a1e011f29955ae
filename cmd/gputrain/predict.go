package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/advice"
	"github.com/gputrain/gputrain/internal/atomicfile"
	"github.com/gputrain/gputrain/metrics"
	"github.com/gputrain/gputrain/nn"
	"github.com/gputrain/gputrain/nn/job"
)

const predictHelp = `Usage: gputrain predict --model MODEL --data FILE [--out FILE] [--id-col COL]

Applies a saved model to the rows of a CSV file and writes one CSV row per
input row: the probability of every class and the predicted class
(classification), or the prediction (regression).

With a header row the model's columns are found by name, in any order;
other columns (the label, an ID) are ignored and named once on standard
error, and a missing one is an error. Without a header the file must hold
exactly the model's columns in training order (optionally followed by the
label column). Text and missing cells get the preprocessing fitted on the
training rows; a category the training rows did not have is encoded as all
zeros and counted on standard error.

Examples:
  gputrain predict --model penguins.safetensors --data new.csv --id-col id
  gputrain predict --model biodeg.safetensors --data new.csv --out predictions.csv
`

const evalHelp = `Usage: gputrain eval --model MODEL --data FILE [--label COL | --labels FILE] [--json]

Scores a saved model on labelled data: the loss (mean and sum over rows),
the task's metrics and the confusion matrix. Columns are matched as
predict matches them.

Examples:
  gputrain eval --model biodeg.safetensors --data test.csv --label class
  gputrain eval --model biodeg.safetensors --json  # on the embedded biodeg data
`

// applyModel opens the device spec names, turns ds's columns into the
// model's inputs (preprocessing, scaler) and returns the model's outputs
// and what the preprocessing met that training had not.
func applyModel(spec string, m *job.Model, ds *data.Dataset) ([]float32, data.PrepStats, error) {
	in, stats, err := m.Inputs(ds)
	if err != nil {
		return nil, stats, err
	}
	dev, err := openDevice(spec)
	if err != nil {
		return nil, stats, err
	}
	defer dev.Close()
	x := make([]float32, 0, in.Rows()*in.Cols())
	for i := 0; i < in.Rows(); i++ {
		for _, v := range in.Row(i) {
			x = append(x, float32(v))
		}
	}
	out, err := nn.Infer(dev, m.Arch, m.Params, x, in.Rows())
	return out, stats, err
}

// modelColumns picks the model's raw columns out of ds: by name when ds
// has a header (columns in quiet are not named as ignored), else by
// position. Missing columns are one error naming them all.
func modelColumns(ds *data.Dataset, m *job.Model, stderr io.Writer, quiet ...string) (*data.Dataset, error) {
	names := m.Features
	if m.Prep != nil {
		names = m.Prep.RawNames()
	}
	sel, missing, extra := ds.SelectByName(names)
	if len(missing) == len(names) && ds.Cols() == len(names) {
		// The header names none of the model's columns (another spelling
		// of them all): go by position, and say so.
		fmt.Fprintf(stderr, "gputrain: note: no column of %s is named like the model's (%s …): matching them by position\n", ds.Source, names[0])
		sel, missing, extra = ds.Columns(allColumns(ds)), nil, nil
	}
	switch {
	case missing != nil:
		list := missing
		if len(list) > 10 {
			list = append(slices.Clip(list[:10]), fmt.Sprintf("… (%d in all)", len(missing)))
		}
		return nil, usageError{fmt.Errorf("%s lacks %d of the model's columns: %s", ds.Source, len(missing), strings.Join(list, ", "))}
	case sel == nil:
		return nil, usageError{fmt.Errorf("%s has no header row and %d feature columns, the model takes %d: give the columns in training order, or a header to match them by name", ds.Source, ds.Cols(), len(names))}
	}
	var ignored []string
	for _, name := range extra {
		if !slices.Contains(quiet, name) {
			ignored = append(ignored, name)
		}
	}
	if len(ignored) > 0 {
		fmt.Fprintf(stderr, "gputrain: note: ignoring %d column(s) of %s the model does not use: %s\n", len(ignored), ds.Source, strings.Join(ignored, ", "))
	}
	return sel, nil
}

// noteUnseen says on stderr how many cells had categories the training
// rows did not have.
func noteUnseen(stderr io.Writer, stats data.PrepStats) {
	if stats.Total() == 0 {
		return
	}
	var parts []string
	for name, n := range stats.Unseen {
		parts = append(parts, fmt.Sprintf("%s: %d", name, n))
	}
	slices.Sort(parts)
	fmt.Fprintf(stderr, "gputrain: note: %d cell(s) with a category the training rows did not have, encoded as all zeros (%s)\n", stats.Total(), strings.Join(parts, ", "))
}

func predictCommand(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", predictHelp, stdout)
	var df dataFlags
	var modelPath, out, dev, idCol string
	fs.StringVar(&modelPath, "model", "", "model file written by gputrain train --out")
	df.register(fs, false)
	fs.StringVar(&out, "out", "", "write the predictions to this CSV file (default: standard output)")
	fs.StringVar(&idCol, "id-col", "", "copy this column of --data (name or 1-based number) into the predictions, first")
	fs.StringVar(&dev, "device", "auto", "compute device: auto, cpu, cuda or cuda:N")
	if err := parse(fs, args); err != nil {
		return err
	}
	if df.data == "" {
		return usageError{errors.New("--data is required")}
	}
	m, err := loadModel(modelPath)
	if err != nil {
		return err
	}
	opt, err := df.options()
	if err != nil {
		return err
	}
	ds, err := loadFeatures(df.data, m, opt)
	if err != nil {
		return err
	}
	// Notes reach stderr only when the command succeeds, so that an error
	// stays the one line there.
	var notes bytes.Buffer
	var ids []string
	if idCol != "" {
		idx, err := ds.ResolveColumns(advice.IDColumn, idCol)
		if err != nil {
			return err
		}
		if len(idx) != 1 {
			return usageError{fmt.Errorf("--id-col %s: name one column", idCol)}
		}
		ids = ds.ColumnText(idx[0])
		idCol = ds.FeatureNames[idx[0]]
		if !ds.Layout.Header {
			rest := slices.DeleteFunc(allColumns(ds), func(j int) bool { return j == idx[0] })
			ds = ds.Columns(rest)
		}
	}
	if ds, err = modelColumns(ds, m, &notes, m.Label, idCol); err != nil {
		return err
	}
	logits, stats, err := applyModel(dev, m, ds)
	if err != nil {
		return err
	}
	noteUnseen(&notes, stats)
	defer stderr.Write(notes.Bytes())
	var buf bytes.Buffer
	if err := writePredictions(&buf, m, logits, idCol, ids); err != nil {
		return err
	}
	if out == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	if err := atomicfile.Write(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d predictions to %s\n", ds.Rows(), out)
	return nil
}

// loadFeatures reads the rows to predict. A file without a header that
// holds one column more than the model takes is read as the training file
// was, its last column the label (ignored).
func loadFeatures(path string, m *job.Model, opt data.Options) (*data.Dataset, error) {
	ds, err := data.LoadFeatures(path, opt)
	if err != nil {
		return nil, err
	}
	names := m.Features
	if m.Prep != nil {
		names = m.Prep.RawNames()
	}
	want := len(names)
	if ds.Layout.Header && opt.Header == data.HeaderAuto && !slices.ContainsFunc(ds.FeatureNames, func(s string) bool { return slices.Contains(names, s) }) {
		// Text cells made the first row look like a header, but it names
		// none of the model's columns: it is data.
		opt.Header = data.HeaderNo
		if ds, err = data.LoadFeatures(path, opt); err != nil {
			return nil, err
		}
	}
	if !ds.Layout.Header && ds.Cols() == want+1 {
		if withLabel, err := data.LoadSingle(path, "", opt); err == nil && withLabel.Cols() == want {
			return withLabel, nil
		}
	}
	return ds, nil
}

// modelThreshold is the binary decision threshold saved with the model.
func modelThreshold(m *job.Model) float64 { return m.Threshold() }

// writePredictions writes the predictions CSV: the ID column (when ids is
// not nil), the probability of every class and the predicted class, or
// the predicted value. For binary tasks the class follows the model's
// decision threshold.
func writePredictions(w io.Writer, m *job.Model, logits []float32, idName string, ids []string) error {
	cw := csv.NewWriter(w)
	k := m.Arch.Outputs
	prob := nn.Probabilities(m.Arch.Loss, logits, k)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
	write := func(r int, cells ...string) {
		if ids != nil {
			id := idName
			if r >= 0 {
				id = ids[r]
			}
			cells = append([]string{id}, cells...)
		}
		cw.Write(cells)
	}
	switch m.Task {
	case data.TaskBinary:
		threshold := modelThreshold(m)
		write(-1, "prob_"+m.Classes[0], "prob_"+m.Classes[1], "predicted")
		for r, p := range prob {
			write(r, f(1-p), f(p), m.Classes[m.Decide(prob[r:r+1], threshold)])
		}
	case data.TaskMulticlass:
		header := []string{}
		for _, c := range m.Classes {
			header = append(header, "prob_"+c)
		}
		write(-1, append(header, "predicted")...)
		for r := 0; r < len(prob)/k; r++ {
			row := []string{}
			for c := 0; c < k; c++ {
				row = append(row, f(prob[r*k+c]))
			}
			write(r, append(row, m.Classes[m.Decide(prob[r*k:(r+1)*k], 0)])...)
		}
	default:
		write(-1, "predicted_"+m.Label)
		for r, p := range prob {
			write(r, f(p))
		}
	}
	cw.Flush()
	return cw.Error()
}

// evalJSON is eval's --json output.
type evalJSON struct {
	Source    string             `json:"source"`
	Rows      int                `json:"rows"`
	Loss      string             `json:"loss"`
	LossMean  float64            `json:"loss_mean"`
	LossSum   float64            `json:"loss_sum"`
	Metrics   map[string]float64 `json:"metrics"`
	Classes   []string           `json:"classes,omitempty"`
	Confusion [][]int            `json:"confusion,omitempty"`
	Threshold float64            `json:"threshold,omitempty"`
	Unseen    map[string]int     `json:"unseen_categories,omitempty"`
}

func evalCommand(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", evalHelp, stdout)
	var df dataFlags
	var modelPath, dev string
	var threshold float64
	var asJSON bool
	fs.StringVar(&modelPath, "model", "", "model file written by gputrain train --out")
	df.register(fs, true)
	fs.StringVar(&dev, "device", "auto", "compute device: auto, cpu, cuda or cuda:N")
	fs.Float64Var(&threshold, "threshold", 0.5, "binary decision threshold on the probability of the second class (default: the model's)")
	fs.BoolVar(&asJSON, "json", false, "print the loss, every metric and the confusion matrix as one JSON object")
	if err := parse(fs, args); err != nil {
		return err
	}
	m, err := loadModel(modelPath)
	if err != nil {
		return err
	}
	if !fs.Changed("threshold") {
		threshold = modelThreshold(m)
	} else if !(threshold > 0 && threshold < 1) {
		return usageError{errors.New("invalid --threshold: want in (0, 1)")}
	}
	guessLabel := df.data != "" && df.label == "" && df.labels == ""
	if guessLabel {
		df.label = m.Label // the column the model was trained on; failing that, the last
	}
	ds, err := df.loadLabelled()
	if err != nil && guessLabel {
		// A file without a header cannot name the column: the last one is
		// taken, as in training. A file with a header that lacks the
		// model's label column is an error, not a cue to use a feature.
		df.label = ""
		if last, err2 := df.loadLabelled(); err2 == nil && !last.Layout.Header {
			ds, err = last, nil
		} else if err2 == nil {
			err = usageError{fmt.Errorf("%v: the model's label column %q is not in the file; name the file's label column with --label", err, m.Label)}
		}
	}
	if err != nil {
		return err
	}
	var notes bytes.Buffer // written only on success: an error stays one line
	if note := ds.SkippedNote(flagName); note != "" {
		fmt.Fprintln(&notes, "gputrain: note: "+note)
	}
	if ds, err = modelColumns(ds, m, &notes); err != nil {
		return err
	}
	y, err := data.EncodeWith(ds, m.Classes, m.Task)
	if err != nil {
		return err
	}
	logits, stats, err := applyModel(dev, m, ds)
	if err != nil {
		return err
	}
	noteUnseen(&notes, stats)
	defer stderr.Write(notes.Bytes())
	ev := nn.Evaluate(m.Arch, m.Task, m.Classes, logits, y, nn.Sum, threshold, "eval")
	sum, mean := ev.Loss, ev.Loss/float64(max(ev.Rows, 1))
	if asJSON {
		out := evalJSON{Source: ds.Source, Rows: ev.Rows, Loss: m.Arch.Loss.String(), LossMean: mean, LossSum: sum,
			Metrics: map[string]float64{}, Unseen: stats.Unseen}
		for _, v := range ev.Metrics {
			if !math.IsNaN(v.Value) && !math.IsInf(v.Value, 0) {
				out.Metrics[v.Name] = v.Value
			}
		}
		if ev.Confusion != nil {
			out.Classes, out.Confusion = ev.Confusion.Classes, ev.Confusion.Counts
		}
		if m.Task == data.TaskBinary {
			out.Threshold = threshold
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	fmt.Fprintf(stdout, "%s: %d rows, %s loss %.6g (mean over rows; sum %.6g)\n", ds.Source, ev.Rows, m.Arch.Loss, mean, sum)
	fmt.Fprint(stdout, metrics.FormatValues(ev.Metrics))
	if ev.Confusion != nil {
		fmt.Fprint(stdout, "confusion matrix:\n", ev.Confusion.Table())
	}
	return nil
}

const devicesHelp = `Usage: gputrain devices

Lists the compute devices this build of gputrain can use.
`

func devicesCommand(args []string, stdout io.Writer) error {
	fs := newFlagSet("devices", devicesHelp, stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, kind := range device.Kinds() {
		list, err := device.List(kind)
		if err != nil {
			fmt.Fprintf(stdout, "%s: unavailable: %v\n", kind, err)
			continue
		}
		for _, line := range list {
			fmt.Fprintln(stdout, line)
		}
	}
	return nil
}
