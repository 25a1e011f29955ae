package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
	"github.com/spf13/pflag"
)

// newFlagSet returns a flag set that reports errors instead of exiting and
// prints help (usage text plus flag defaults) on --help.
func newFlagSet(name, help string, stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(stdout, help)
		fmt.Fprintf(stdout, "\nFlags:\n%s", fs.FlagUsages())
	}
	return fs
}

// parse parses args, turning pflag's errors into usage errors (pflag itself
// shows the help on --help and returns ErrHelp).
func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (flags start with --)", fs.Arg(0))}
	}
	return nil
}

// dataFlags are the flags that say where labelled or unlabelled data come from.
type dataFlags struct {
	data, label, labels, delimiter, header, indexCol, format string
}

func (f *dataFlags) register(fs *pflag.FlagSet, withLabels bool) {
	fs.StringVar(&f.data, "data", "", "CSV or Parquet file of features (and the label column, see --label), gzip-compressed or not; default: the embedded biodeg data")
	if withLabels {
		fs.StringVar(&f.label, "label", "", "label column in --data: header name or 1-based index (default: the last column)")
		fs.StringVar(&f.labels, "labels", "", "separate CSV file of labels, row for row with --data")
	}
	fs.StringVar(&f.delimiter, "delimiter", "", `field delimiter: ",", ";", "\t" (or "tab"), "|" (default: detected)`)
	fs.StringVar(&f.header, "header", "auto", "first row is a header: auto, yes or no")
	fs.StringVar(&f.indexCol, "index-col", "auto", "first column is a row index to drop: auto, yes or no")
	fs.StringVar(&f.format, "format", "auto", "file format of --data (and --labels): auto (Parquet by its magic bytes, else CSV), csv or parquet")
}

func (f *dataFlags) options() (data.Options, error) {
	var opt data.Options
	var err error
	if f.delimiter != "" {
		if opt.Delimiter, err = data.ParseDelimiter(f.delimiter); err != nil {
			return opt, usageError{fmt.Errorf("invalid --delimiter: %v", err)}
		}
	}
	if opt.Header, err = data.ParseHeaderMode(f.header); err != nil {
		return opt, usageError{fmt.Errorf("invalid --header: %v", err)}
	}
	if opt.IndexCol, err = data.ParseIndexMode(f.indexCol); err != nil {
		return opt, usageError{fmt.Errorf("invalid --index-col: %v", err)}
	}
	if opt.Format, err = data.ParseFormat(f.format); err != nil {
		return opt, usageError{fmt.Errorf("invalid --format: %v", err)}
	}
	return opt, nil
}

// loadLabelled loads the data set the flags name, or the embedded example.
func (f *dataFlags) loadLabelled() (*data.Dataset, error) {
	defer tightGC()()
	opt, err := f.options()
	if err != nil {
		return nil, err
	}
	switch {
	case f.data == "" && (f.labels != "" || f.label != ""):
		return nil, usageError{errors.New("--label and --labels need --data")}
	case f.data == "":
		return data.Biodeg()
	case f.labels != "" && f.label != "":
		return nil, usageError{errors.New("give either --label (a column of --data) or --labels (a separate file), not both")}
	case f.labels != "":
		return data.LoadXY(f.data, f.labels, opt)
	default:
		return data.LoadSingle(f.data, f.label, opt)
	}
}

// isInputError reports whether err is about the user's files or values.
func isInputError(err error) bool {
	var de *data.Error
	var fe *nn.FileError
	var re *nn.ResumeError
	return errors.As(err, &de) || errors.As(err, &fe) || errors.As(err, &re)
}

// unwrapPathError drops the *fs.PathError wrapper so that messages name the
// path once.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseThreshold parses --threshold: a probability in (0, 1), or auto.
func parseThreshold(s string) (threshold float64, auto bool, err error) {
	if strings.TrimSpace(s) == "auto" {
		return 0.5, true, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(v > 0 && v < 1) {
		return 0, false, usageError{fmt.Errorf("invalid --threshold %q: want a number in (0, 1) or auto", s)}
	}
	return v, false, nil
}

// parseClassWeight parses --class-weight: none or balanced.
func parseClassWeight(s string) (string, error) {
	switch s {
	case "none", "":
		return "", nil
	case "balanced":
		return s, nil
	}
	return "", usageError{fmt.Errorf("invalid --class-weight %q: want none or balanced", s)}
}

// parseHidden parses --hidden: a comma list of positive widths, or empty.
func parseHidden(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, usageError{fmt.Errorf("invalid --hidden %q: want a comma list of positive layer widths such as 20 or 64,32, or \"\" for none", s)}
		}
		out = append(out, n)
	}
	return out, nil
}

// openDevice opens --device, with a usage error for bad names.
func openDevice(spec string) (device.Device, error) {
	d, err := device.Open(spec)
	if err != nil {
		return nil, usageError{fmt.Errorf("--device %s: %v", spec, err)}
	}
	return d, nil
}

// loadModel reads --model, marking failures as input errors.
func loadModel(path string) (*nn.Model, error) {
	if path == "" {
		return nil, usageError{errors.New("--model is required")}
	}
	return nn.LoadModel(path)
}
