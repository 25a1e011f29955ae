// Package data loads tabular training data for gputrain: CSV files (one file
// holding features and labels, or separate feature and label files), the
// embedded example data set (Biodeg), label encoding for the task at hand,
// deterministic train/validation/test splits and k-fold partitions, the
// preprocessing of raw columns fitted on training rows (column kinds,
// imputation of missing cells, one-hot encoding: Prep), and per-column
// standardisation.
//
// Other table formats enter through RecordSource and ParseRecords, so
// that they share the CSV path's header, index, missing-value and text
// handling.
//
// Every problem with an input file is reported as an *Error, a one-line
// message that names the file and, where it applies, the line and column.
package data

import (
	"fmt"
	"math"
	"strings"

	"github.com/gputrain/gputrain/internal/advice"
	"gorgonia.org/tensor"
)

// Dataset holds n rows of d float64 features together with the raw label text
// of every row.
type Dataset struct {
	// X has shape (n, d), a contiguous row-major float64 backing
	// (gorgonia.org/tensor). It is nil only for a data set without rows,
	// which the loaders never return (gorgonia tensors cannot be empty).
	X *tensor.Dense
	// Labels holds the n raw label cells, as written in the file with
	// surrounding spaces removed. It is nil for data loaded without labels
	// (LoadFeatures, ParseFeatures).
	Labels []string
	// FeatureNames holds the d column names: from the header row, or
	// "x1".."xd" when the file has none (or a header cell is empty).
	FeatureNames []string
	// LabelName is the label column's name ("y" when it has none).
	LabelName string
	// Source describes where the data came from (file names).
	Source string
	// Text holds, for each feature column, nil when every cell of the
	// column is a number or missing; otherwise the text of every cell of
	// the column (n entries, "" where missing), and X's values of the
	// column only mark missing cells. Preprocessing (FitPrep) decides, on
	// the training rows, whether such a column is categorical.
	Text [][]string
	// Missing cells (empty, NA, … see Options.NAValues) are NaN in X.
	// SkippedRows counts the rows left out because their label is missing.
	SkippedRows int
	// Layout says how the file was read (zero for the embedded data).
	Layout Layout

	// labelFile and labelAt locate each label cell for error messages.
	// labelAt is either nil or has one entry per row.
	labelFile string
	labelAt   []cellPos
	// file, lines and featCols locate feature cells for error messages:
	// the file, each row's first line (nil if unknown) and each feature's
	// 1-based file column (nil if unknown).
	file     string
	lines    []int
	featCols []int
	skipLine int // the line of the first skipped row
}

// cellPos is the 1-based physical line and column (field number) of a cell.
type cellPos struct {
	line, col int
}

// Rows returns the number of rows n.
func (d *Dataset) Rows() int {
	if d.X == nil {
		return 0
	}
	return d.X.Shape()[0]
}

// Cols returns the number of feature columns d.
func (d *Dataset) Cols() int {
	if d.X == nil {
		return len(d.FeatureNames)
	}
	return d.X.Shape()[1]
}

// NeedsPrep reports whether the data have text or missing cells, which a
// network can only take after preprocessing (FitPrep).
func (d *Dataset) NeedsPrep() bool {
	for _, txt := range d.Text {
		if txt != nil {
			return true
		}
	}
	for _, v := range d.values() {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}

// values returns the row-major backing slice of X (nil when X is nil).
func (d *Dataset) values() []float64 {
	if d.X == nil {
		return nil
	}
	return d.X.Data().([]float64)
}

// Row returns row i of X as a view into the backing slice: writing to it
// changes the data set. It panics if i is out of range.
func (d *Dataset) Row(i int) []float64 {
	c := d.Cols()
	return d.values()[i*c : (i+1)*c : (i+1)*c]
}

// Subset returns a new data set holding copies of the rows idx, in that
// order (an index may repeat). Feature names, label name, source and label
// locations carry over. An empty idx gives a data set without rows (X nil).
// It panics if an index is out of range.
func (d *Dataset) Subset(idx []int) *Dataset {
	c := d.Cols()
	out := d.describedLike()
	if d.Labels != nil {
		out.Labels = make([]string, len(idx))
	}
	if d.labelAt != nil {
		out.labelAt = make([]cellPos, len(idx))
	}
	if d.lines != nil {
		out.lines = make([]int, len(idx))
	}
	for j, txt := range d.Text {
		if txt != nil {
			out.Text[j] = make([]string, len(idx))
		}
	}
	src := d.values()
	vals := make([]float64, len(idx)*c)
	n := d.Rows()
	for k, i := range idx {
		if i < 0 || i >= n {
			panic(fmt.Sprintf("data: Subset index %d out of range [0, %d)", i, n))
		}
		copy(vals[k*c:(k+1)*c], src[i*c:(i+1)*c])
		if out.Labels != nil {
			out.Labels[k] = d.Labels[i]
		}
		if out.labelAt != nil {
			out.labelAt[k] = d.labelAt[i]
		}
		if out.lines != nil {
			out.lines[k] = d.lines[i]
		}
		for j, txt := range out.Text {
			if txt != nil {
				txt[k] = d.Text[j][i]
			}
		}
	}
	out.X = newMatrix(vals, len(idx), c)
	return out
}

// describedLike returns a data set without rows that carries d's feature
// names, label name, source, header flag, files and feature columns (and
// Text with a nil entry per column).
func (d *Dataset) describedLike() *Dataset {
	out := &Dataset{
		FeatureNames: append([]string(nil), d.FeatureNames...),
		LabelName:    d.LabelName,
		Source:       d.Source,
		Layout:       d.Layout,
		labelFile:    d.labelFile,
		file:         d.file,
		featCols:     d.featCols,
	}
	if d.Text != nil {
		out.Text = make([][]string, len(d.Text))
	}
	return out
}

// newMatrix wraps vals as an (n, c) tensor, or returns nil when it would be
// empty (gorgonia tensors cannot have a zero dimension).
func newMatrix(vals []float64, n, c int) *tensor.Dense {
	if n == 0 || c == 0 {
		return nil
	}
	return tensor.New(tensor.WithShape(n, c), tensor.WithBacking(vals))
}

// FromRows builds a data set from in-memory rows (all of the same length,
// at least one row and one column, finite values). labels may be nil (every
// label is then empty) or must hold one label per row. Features are named
// "x1".."xd", the label "y", and Source is "memory".
func FromRows(rows [][]float64, labels []string) (*Dataset, error) {
	if len(rows) == 0 {
		return nil, &Error{Msg: "data: FromRows needs at least one row"}
	}
	c := len(rows[0])
	if c == 0 {
		return nil, &Error{Msg: "data: FromRows needs at least one column"}
	}
	if labels != nil && len(labels) != len(rows) {
		return nil, &Error{Msg: fmt.Sprintf("data: FromRows got %d rows but %d labels", len(rows), len(labels))}
	}
	vals := make([]float64, 0, len(rows)*c)
	for i, r := range rows {
		if len(r) != c {
			return nil, &Error{Msg: fmt.Sprintf("data: FromRows row %d has %d values, want %d", i, len(r), c)}
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, &Error{Msg: fmt.Sprintf("data: FromRows row %d column %d is not a finite number (%v)", i, j, v)}
			}
		}
		vals = append(vals, r...)
	}
	if labels == nil {
		labels = make([]string, len(rows))
	} else {
		labels = append([]string(nil), labels...)
	}
	return &Dataset{
		X:            newMatrix(vals, len(rows), c),
		Labels:       labels,
		FeatureNames: defaultNames(c),
		LabelName:    "y",
		Source:       "memory",
	}, nil
}

// defaultNames returns "x1".."xc".
func defaultNames(c int) []string {
	names := make([]string, c)
	for j := range names {
		names[j] = fmt.Sprintf("x%d", j+1)
	}
	return names
}

// Error is a problem with an input file, located as precisely as known.
type Error struct {
	// File is the file's name as given by the caller ("" if none).
	File string
	// Line is the 1-based physical line in the file (0 if not known). For a
	// row it is the line on which the row starts.
	Line int
	// Col is the 1-based column: the field number for a cell, or the
	// character position in the line for a CSV syntax error (0 if not known).
	Col int
	// Msg says what is wrong.
	Msg string
	// Text, when set, says it instead of Msg, naming the settings it
	// advises on as it is told.
	Text advice.Text
	// Err is the underlying error, if any (for example from the os package).
	Err error
}

// Error formats the error as "FILE:LINE:COL: MSG", leaving out ":COL" when
// Col is 0 and ":LINE:COL" when Line is 0 (and "FILE: " when File is empty).
func (e *Error) Error() string { return e.Message(advice.Words) }

// Message is Error with the settings it advises on named by name.
func (e *Error) Message(name advice.Namer) string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Col > 0 {
				fmt.Fprintf(&b, ":%d", e.Col)
			}
		}
		b.WriteString(": ")
	}
	if e.Text != nil {
		b.WriteString(e.Text(name))
	} else {
		b.WriteString(e.Msg)
	}
	return b.String()
}

// Unwrap returns the underlying error, so that errors.Is(err, fs.ErrNotExist)
// works for a missing file.
func (e *Error) Unwrap() error { return e.Err }
