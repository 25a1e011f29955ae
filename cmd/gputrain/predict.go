package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/atomicfile"
	"github.com/gputrain/gputrain/metrics"
	"github.com/gputrain/gputrain/nn"
)

const predictHelp = `Usage: gputrain predict --model MODEL --data FILE [--out FILE]

Applies a saved model to the rows of a CSV file (the same columns it was
trained on, in the same order; a column named like the model's label is
ignored) and writes one CSV row per input row: the probability of each class
and the predicted class (classification), or the prediction (regression).

Examples:
  gputrain predict --model biodeg.safetensors --data new.csv
  gputrain predict --model biodeg.safetensors --data new.csv --out predictions.csv
`

const evalHelp = `Usage: gputrain eval --model MODEL --data FILE [--label COL | --labels FILE]

Scores a saved model on labelled data: the loss, the task's metrics and the
confusion matrix.

Examples:
  gputrain eval --model biodeg.safetensors --data test.csv --label class
  gputrain eval --model biodeg.safetensors        # on the embedded biodeg data
`

// applyModel opens the device spec names, standardises ds with the model's
// scaler and returns the model's outputs.
func applyModel(spec string, m *nn.Model, ds *data.Dataset) ([]float32, error) {
	dev, err := openDevice(spec)
	if err != nil {
		return nil, err
	}
	defer dev.Close()
	if ds.Cols() != m.Arch.Inputs {
		return nil, usageError{fmt.Errorf("%s has %d feature columns, the model takes %d (%s …)", ds.Source, ds.Cols(), m.Arch.Inputs, m.Features[0])}
	}
	if m.Scaler != nil {
		ds = m.Scaler.Transform(ds)
	}
	x := make([]float32, 0, ds.Rows()*ds.Cols())
	for i := 0; i < ds.Rows(); i++ {
		for _, v := range ds.Row(i) {
			x = append(x, float32(v))
		}
	}
	return nn.Infer(dev, m.Arch, m.Params, x, ds.Rows())
}

func predictCommand(args []string, stdout io.Writer) error {
	fs := newFlagSet("predict", predictHelp, stdout)
	var df dataFlags
	var modelPath, out, dev string
	fs.StringVar(&modelPath, "model", "", "model file written by gputrain train --out")
	df.register(fs, false)
	fs.StringVar(&out, "out", "", "write the predictions to this CSV file (default: standard output)")
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
	logits, err := applyModel(dev, m, ds)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := writePredictions(&buf, m, logits); err != nil {
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

// loadFeatures reads the rows to predict: a file of exactly the model's
// features, or one that also holds a label column (named like the model's
// label, or last), which is then ignored.
func loadFeatures(path string, m *nn.Model, opt data.Options) (*data.Dataset, error) {
	ds, err := data.LoadFeatures(path, opt)
	if err == nil && ds.Cols() == m.Arch.Inputs {
		return ds, nil
	}
	for _, label := range []string{m.Label, ""} {
		if withLabel, err2 := data.LoadSingle(path, label, opt); err2 == nil && withLabel.Cols() == m.Arch.Inputs {
			return withLabel, nil
		}
	}
	return ds, err
}

// modelThreshold is the binary decision threshold saved with the model
// (--threshold, or the one --threshold auto chose), 0.5 for older files.
func modelThreshold(m *nn.Model) float64 {
	if v, err := strconv.ParseFloat(m.Info["threshold"], 64); err == nil && v > 0 && v < 1 {
		return v
	}
	return 0.5
}

// writePredictions writes the predictions CSV: for binary tasks the class
// follows the model's decision threshold.
func writePredictions(w io.Writer, m *nn.Model, logits []float32) error {
	cw := csv.NewWriter(w)
	k := m.Arch.Outputs
	prob := nn.Probabilities(m.Arch.Loss, logits, k)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
	switch m.Task {
	case data.TaskBinary:
		threshold := modelThreshold(m)
		cw.Write([]string{"prob_" + m.Classes[1], "predicted"})
		for _, p := range prob {
			cls := m.Classes[0]
			if p >= threshold {
				cls = m.Classes[1]
			}
			cw.Write([]string{f(p), cls})
		}
	case data.TaskMulticlass:
		header := []string{}
		for _, c := range m.Classes {
			header = append(header, "prob_"+c)
		}
		cw.Write(append(header, "predicted"))
		for r := 0; r < len(prob)/k; r++ {
			row, best := []string{}, 0
			for c := 0; c < k; c++ {
				row = append(row, f(prob[r*k+c]))
				if prob[r*k+c] > prob[r*k+best] {
					best = c
				}
			}
			cw.Write(append(row, m.Classes[best]))
		}
	default:
		cw.Write([]string{"predicted_" + m.Label})
		for _, p := range prob {
			cw.Write([]string{f(p)})
		}
	}
	cw.Flush()
	return cw.Error()
}

func evalCommand(args []string, stdout io.Writer) error {
	fs := newFlagSet("eval", evalHelp, stdout)
	var df dataFlags
	var modelPath, dev string
	var threshold float64
	fs.StringVar(&modelPath, "model", "", "model file written by gputrain train --out")
	df.register(fs, true)
	fs.StringVar(&dev, "device", "auto", "compute device: auto, cpu, cuda or cuda:N")
	fs.Float64Var(&threshold, "threshold", 0.5, "binary decision threshold on the probability of the second class (default: the model's)")
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
	y, err := data.EncodeWith(ds, m.Classes, m.Task)
	if err != nil {
		return err
	}
	logits, err := applyModel(dev, m, ds)
	if err != nil {
		return err
	}
	ev := nn.Evaluate(m.Arch, m.Task, m.Classes, logits, y, nn.Mean, threshold, "eval")
	fmt.Fprintf(stdout, "%s: %d rows, mean %s loss %.6g\n", ds.Source, ev.Rows, m.Arch.Loss, ev.Loss)
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
