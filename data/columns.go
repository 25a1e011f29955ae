package data

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gputrain/gputrain/internal/advice"
)

// Columns returns a new data set with the feature columns idx of d, in that
// order; rows, labels and locations carry over.
func (d *Dataset) Columns(idx []int) *Dataset {
	out := d.describedLike()
	out.FeatureNames = make([]string, len(idx))
	out.Text = make([][]string, len(idx))
	out.featCols = nil
	if d.featCols != nil {
		out.featCols = make([]int, len(idx))
	}
	for k, j := range idx {
		out.FeatureNames[k] = d.FeatureNames[j]
		out.Text[k] = d.textOf(j)
		if out.featCols != nil {
			out.featCols[k] = d.featCols[j]
		}
	}
	out.Labels, out.labelAt, out.lines = d.Labels, d.labelAt, d.lines
	out.SkippedRows, out.skipLine = d.SkippedRows, d.skipLine
	n, c := d.Rows(), d.Cols()
	src := d.values()
	vals := make([]float64, n*len(idx))
	for i := 0; i < n; i++ {
		for k, j := range idx {
			vals[i*len(idx)+k] = src[i*c+j]
		}
	}
	out.X = newMatrix(vals, n, len(idx))
	return out
}

// ColumnText returns the cells of feature column j as text: as written
// for a column with text, the shortest spelling of each number otherwise,
// "" where missing.
func (d *Dataset) ColumnText(j int) []string {
	if txt := d.textOf(j); txt != nil {
		return append([]string(nil), txt...)
	}
	out := make([]string, d.Rows())
	vals, c := d.values(), d.Cols()
	for i := range out {
		if v := vals[i*c+j]; !math.IsNaN(v) {
			out[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	return out
}

// SkippedNote describes the rows skipped for a missing label ("" when
// none): "skipped 2 rows whose label is missing (the first on line 5; …)",
// naming the setting that refuses them instead with name.
func (d *Dataset) SkippedNote(name advice.Namer) string {
	if d.SkippedRows == 0 {
		return ""
	}
	rows := "rows"
	if d.SkippedRows == 1 {
		rows = "row"
	}
	file := d.labelFile
	if file == "" {
		file = d.file
	}
	return fmt.Sprintf("%s: skipped %d %s whose label is missing (the first on line %d; %s makes it an error)", file, d.SkippedRows, rows, d.skipLine, name(advice.Strict))
}

// ResolveColumns turns a column list as a user writes it (names, 1-based
// file column numbers, ranges "3-7", comma-separated) into feature column
// indices of d, in file order. what is the setting the list was given
// for, for error messages.
func (d *Dataset) ResolveColumns(what advice.Setting, list string) ([]int, error) {
	want := make([]bool, d.Cols())
	byFileCol := map[int]int{}
	for j := range d.FeatureNames {
		fc := j + 1
		if j < len(d.featCols) {
			fc = d.featCols[j]
		}
		byFileCol[fc] = j
	}
	bad := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		return &Error{File: d.file, Text: func(name advice.Namer) string { return name(what) + ": " + msg }}
	}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if j := d.columnByName(item); j >= 0 {
			want[j] = true
			continue
		}
		lo, hi, isRange := strings.Cut(item, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil {
			return nil, bad("no column %s (columns: %s)", quoteCell(item), nameList(d.FeatureNames, 10))
		}
		if a < 1 || b < a {
			return nil, bad("invalid column range %s (want 1-based column numbers such as 3 or 3-7)", quoteCell(item))
		}
		for fc := a; fc <= b; fc++ {
			j, ok := byFileCol[fc]
			if !ok {
				return nil, bad("column %d is not a feature column (it is the label or index column, or beyond the file's columns)", fc)
			}
			want[j] = true
		}
	}
	var idx []int
	for j, ok := range want {
		if ok {
			idx = append(idx, j)
		}
	}
	return idx, nil
}

// columnByName finds a feature column by exact name, then ignoring case
// (-1 if none).
func (d *Dataset) columnByName(name string) int {
	for j, s := range d.FeatureNames {
		if s == name {
			return j
		}
	}
	for j, s := range d.FeatureNames {
		if strings.EqualFold(s, name) {
			return j
		}
	}
	return -1
}

// SelectRoles keeps the feature columns features names (all when empty)
// minus those ignore names (d itself when both are empty); see
// ResolveColumns for the syntax. Naming a
// column that does not exist is an *Error naming the flag.
func (d *Dataset) SelectRoles(features, ignore string) (*Dataset, error) {
	if strings.TrimSpace(features) == "" && strings.TrimSpace(ignore) == "" {
		return d, nil
	}
	keep := make([]bool, d.Cols())
	if strings.TrimSpace(features) == "" {
		for j := range keep {
			keep[j] = true
		}
	} else {
		idx, err := d.ResolveColumns(advice.Features, features)
		if err != nil {
			return nil, err
		}
		for _, j := range idx {
			keep[j] = true
		}
	}
	if strings.TrimSpace(ignore) != "" {
		idx, err := d.ResolveColumns(advice.Ignore, ignore)
		if err != nil {
			return nil, err
		}
		for _, j := range idx {
			keep[j] = false
		}
	}
	var idx []int
	for j, ok := range keep {
		if ok {
			idx = append(idx, j)
		}
	}
	if len(idx) == 0 {
		return nil, &Error{File: d.file, Text: func(name advice.Namer) string {
			return name(advice.Features) + "/" + name(advice.Ignore) + " leave no feature column"
		}}
	}
	return d.Columns(idx), nil
}

// SelectByName matches d's columns to names (a model's columns): by name
// when d has a header, else by position, when the counts agree. It returns
// the matched data set, or the names d lacks; extra lists d's columns that
// were not asked for (with a header).
func (d *Dataset) SelectByName(names []string) (out *Dataset, missing, extra []string) {
	if !d.Layout.Header {
		if d.Cols() != len(names) {
			return nil, nil, nil
		}
		out = d.Columns(allRows(nil, d.Cols()))
		out.FeatureNames = append([]string(nil), names...)
		return out, nil, nil
	}
	idx := make([]int, len(names))
	used := make([]bool, d.Cols())
	for k, name := range names {
		j := -1
		for jj, s := range d.FeatureNames {
			if s == name && !used[jj] {
				j = jj
				break
			}
		}
		if j < 0 {
			missing = append(missing, name)
			continue
		}
		idx[k], used[j] = j, true
	}
	for j, ok := range used {
		if !ok {
			extra = append(extra, d.FeatureNames[j])
		}
	}
	if missing != nil {
		return nil, missing, extra
	}
	return d.Columns(idx), nil, extra
}

// numericDistinct counts the missing cells of all-numeric column j and
// returns up to two of its distinct values (all Uninformative needs).
func (d *Dataset) numericDistinct(j int) (seen map[string]int, missing int) {
	seen = map[string]int{}
	view := d.column(j)
	first, have := 0.0, false
	for i := 0; i < d.Rows(); i++ {
		v, _ := view.number(i)
		switch {
		case math.IsNaN(v):
			missing++
		case !have:
			first, have = v, true
			seen[cellKey("", v, false)]++
		case v != first && len(seen) < 2:
			seen[cellKey("", v, false)]++
		}
	}
	return seen, missing
}

// Dropped is a column left out because it cannot help a model.
type Dropped struct {
	Name, Why string
}

// Uninformative finds the columns that cannot help a model: constant ones
// (one value, or nothing but missing cells) and identifiers (text that
// differs on every row, in at least 10 rows). keep lists column indices
// the user asked for, which are never dropped.
func (d *Dataset) Uninformative(keep []int) (idx []int, dropped []Dropped) {
	kept := map[int]bool{}
	for _, j := range keep {
		kept[j] = true
	}
	n := d.Rows()
	all := allRows(nil, n)
	for j, name := range d.FeatureNames {
		if kept[j] {
			idx = append(idx, j)
			continue
		}
		txt := d.textOf(j)
		var seen map[string]int
		var missing int
		if txt == nil {
			seen, missing = d.numericDistinct(j)
		} else {
			seen, missing = d.categoryCounts(j, all)
		}
		switch {
		case len(seen) == 0:
			dropped = append(dropped, Dropped{name, "every cell is missing"})
		case len(seen) == 1 && missing == 0:
			dropped = append(dropped, Dropped{name, "constant"})
		case txt != nil && n >= 10 && len(seen) == n && !d.columnIsNumeric(j, all):
			dropped = append(dropped, Dropped{name, "an identifier: different text on every row"})
		default:
			idx = append(idx, j)
		}
	}
	return idx, dropped
}
