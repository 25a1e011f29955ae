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
	"github.com/gputrain/gputrain/internal/advice"
	"github.com/gputrain/gputrain/nn"
	"github.com/gputrain/gputrain/nn/job"
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
	data, label, labels, delimiter, header, indexCol, naValues, format string
	strict                                                             bool
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
	fs.StringVar(&f.naValues, "na-values", strings.Join(data.DefaultNAValues, ","), `cell texts that mean a missing value, comma-separated, any case, replacing the default list (whose first entry is the empty cell); "" for none`)
	if withLabels {
		fs.BoolVar(&f.strict, "strict", false, "a row whose label is missing is an error (default: skipped and counted)")
	}
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
	opt.NAValues, opt.Strict = strings.Split(f.naValues, ","), f.strict
	if strings.TrimSpace(f.naValues) == "" {
		opt.NAValues = []string{}
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

// columnFlags choose and preprocess the feature columns of --data.
type columnFlags struct {
	features, ignore, categorical, impute string
	maxCategories                         int
	missingIndicator                      bool
}

func (f *columnFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.features, "features", "", "feature columns: names, 1-based numbers or ranges such as 2-5, comma-separated (default: every column but the label; also keeps constant and identifier columns)")
	fs.StringVar(&f.ignore, "ignore", "", "columns to leave out, as --features")
	fs.StringVar(&f.categorical, "categorical", "", "columns to treat as categories even though they hold numbers (integer codes), as --features")
	fs.IntVar(&f.maxCategories, "max-categories", 0, "one-hot at most N categories per column, the most frequent in the training rows; the rest share an \"other\" input (0: no limit)")
	fs.StringVar(&f.impute, "impute", "", "fill missing cells with the training rows' mean, median or most-frequent value (default: mean for numbers, a \"missing\" category for text)")
	fs.BoolVar(&f.missingIndicator, "missing-indicator", false, "add a 0/1 input per numeric column with missing cells in the training rows")
}

// apply selects ds's feature columns and returns the preprocessing to fit
// on the training rows. It drops constant and identifier columns (except
// those --features names) and says so on w, as well as rows skipped for a
// missing label.
func (f *columnFlags) apply(ds *data.Dataset, w io.Writer) (*data.Dataset, *data.PrepConfig, error) {
	if note := ds.SkippedNote(flagName); note != "" {
		fmt.Fprintln(w, "note:      "+note)
	}
	cfg := &data.PrepConfig{MaxCategories: f.maxCategories, MissingIndicator: f.missingIndicator}
	var err error
	if cfg.Impute, err = data.ParseImpute(f.impute); err != nil {
		return nil, nil, usageError{fmt.Errorf("invalid --impute: %v", err)}
	}
	if f.maxCategories < 0 {
		return nil, nil, usageError{errors.New("invalid --max-categories: want ≥ 0")}
	}
	if ds, err = ds.SelectRoles(f.features, f.ignore); err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(f.categorical) != "" {
		idx, err := ds.ResolveColumns(advice.Categorical, f.categorical)
		if err != nil {
			return nil, nil, err
		}
		for _, j := range idx {
			cfg.Categorical = append(cfg.Categorical, ds.FeatureNames[j])
		}
	}
	var keep []int
	if strings.TrimSpace(f.features) != "" {
		keep = allColumns(ds)
	}
	idx, dropped := ds.Uninformative(keep)
	if len(dropped) > 0 {
		var parts []string
		for _, d := range dropped {
			parts = append(parts, fmt.Sprintf("%s (%s)", d.Name, d.Why))
		}
		fmt.Fprintf(w, "dropped:   %s; --features keeps them\n", strings.Join(parts, ", "))
		if len(idx) == 0 {
			return nil, nil, &data.Error{File: ds.Source, Msg: "no feature column is left after dropping constant and identifier columns"}
		}
		ds = ds.Columns(idx)
	}
	return ds, cfg, nil
}

// allColumns lists every feature column of ds.
func allColumns(ds *data.Dataset) []int {
	idx := make([]int, ds.Cols())
	for j := range idx {
		idx[j] = j
	}
	return idx
}

// isInputError reports whether err is about the user's files or values.
func isInputError(err error) bool {
	var de *data.Error
	var fe *job.FileError
	var re *job.ResumeError
	var me *nn.MemoryError
	return errors.As(err, &de) || errors.As(err, &fe) || errors.As(err, &re) || errors.As(err, &me)
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
		if err != nil || !inRange(n, 1, maxWidth) {
			return nil, usageError{fmt.Errorf("invalid --hidden %q: want a comma list of layer widths from 1 to %d such as 20 or 64,32, or \"\" for none", s, maxWidth)}
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

// loadModel reads --model, marking failures as input errors; a model with
// a NaN or infinite parameter is one.
func loadModel(path string) (*job.Model, error) {
	if path == "" {
		return nil, usageError{errors.New("--model is required")}
	}
	m, err := job.LoadModel(path)
	if err != nil {
		return nil, err
	}
	if err := m.CheckFinite(); err != nil {
		return nil, &job.FileError{Path: path, Err: err}
	}
	return m, nil
}
