package data

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Column kinds a preprocessing step gives a feature column.
const (
	Numeric     = "numeric"
	Categorical = "categorical"
)

// Imputation strategies for missing cells (PrepConfig.Impute).
const (
	ImputeDefault      = ""              // mean for numeric columns, a "missing" category for categorical ones
	ImputeMean         = "mean"          // numeric: the training rows' mean
	ImputeMedian       = "median"        // numeric: the training rows' median
	ImputeMostFrequent = "most-frequent" // numeric and categorical: the most frequent value of the training rows
)

// ParseImpute checks an imputation strategy: mean, median or most-frequent
// ("" for the default).
func ParseImpute(s string) (string, error) {
	switch s {
	case ImputeDefault, ImputeMean, ImputeMedian, ImputeMostFrequent:
		return s, nil
	}
	return "", fmt.Errorf("unknown imputation %q (want mean, median or most-frequent)", s)
}

// PrepConfig says how FitPrep turns raw columns into model inputs.
type PrepConfig struct {
	// Categorical names columns to treat as categorical even when every
	// cell is a number (integer codes).
	Categorical []string
	// MaxCategories keeps at most this many categories of a column (the
	// most frequent in the training rows) and pools the rest in an "other"
	// slot; 0: no limit.
	MaxCategories int
	// Impute is the strategy for missing cells (see the Impute constants).
	Impute string
	// MissingIndicator adds a 0/1 input per numeric column that has
	// missing cells in the training rows.
	MissingIndicator bool
}

// Prep is a preprocessing fitted on training rows: it maps a data set's raw
// feature columns (numbers with missing cells, text) to the network's
// inputs. Numeric columns pass through with missing cells imputed (and an
// optional 0/1 missing indicator after them); categorical columns become
// one-hot slots, one per category of the training rows, in the order of
// Categories, then "other" and "missing" slots where present. It is saved
// in model files so that prediction repeats it exactly.
type Prep struct {
	Columns []PrepColumn `json:"columns"`
}

// PrepColumn is the fitted preprocessing of one raw column.
type PrepColumn struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // Numeric or Categorical
	// Numeric: the value a missing cell takes, and whether a 0/1
	// missing-indicator input follows the value.
	Fill      float64 `json:"fill,omitempty"`
	Indicator bool    `json:"indicator,omitempty"`
	// Categorical: the categories with a slot of their own, whether an
	// "other" slot pools the rest of the training rows' categories, whether
	// a "missing" slot takes missing cells (else they take the category
	// Fill names, most-frequent imputation).
	Categories   []string `json:"categories,omitempty"`
	Other        bool     `json:"other,omitempty"`
	MissingSlot  bool     `json:"missing_slot,omitempty"`
	FillCategory string   `json:"fill_category,omitempty"`
	// Missing is the number of missing cells in the training rows (shown
	// by descriptions; not needed to transform).
	Missing int `json:"missing"`
}

// Width is the number of inputs the column becomes.
func (c *PrepColumn) Width() int {
	if c.Kind == Numeric {
		if c.Indicator {
			return 2
		}
		return 1
	}
	w := len(c.Categories)
	if c.Other {
		w++
	}
	if c.MissingSlot {
		w++
	}
	return w
}

// Check reports a preprocessing that cannot have been fitted (read from a
// damaged file).
func (p *Prep) Check() error {
	if len(p.Columns) == 0 {
		return fmt.Errorf("no columns")
	}
	for _, c := range p.Columns {
		switch c.Kind {
		case Numeric:
			if len(c.Categories) > 0 || math.IsNaN(c.Fill) || math.IsInf(c.Fill, 0) {
				return fmt.Errorf("numeric column %q has categories or a non-finite fill", c.Name)
			}
		case Categorical:
			if c.FillCategory != "" && !slices.Contains(c.Categories, c.FillCategory) {
				return fmt.Errorf("column %q imputes %q, which is not one of its categories", c.Name, c.FillCategory)
			}
		default:
			return fmt.Errorf("column %q has kind %q", c.Name, c.Kind)
		}
	}
	return nil
}

// Width is the number of network inputs.
func (p *Prep) Width() int {
	w := 0
	for i := range p.Columns {
		w += p.Columns[i].Width()
	}
	return w
}

// InputNames names the network inputs: a numeric column's name, NAME
// (missing) for its indicator, NAME=CATEGORY for one-hot slots and
// NAME=(other), NAME=(missing).
func (p *Prep) InputNames() []string {
	var out []string
	for _, c := range p.Columns {
		if c.Kind == Numeric {
			out = append(out, c.Name)
			if c.Indicator {
				out = append(out, c.Name+" (missing)")
			}
			continue
		}
		for _, v := range c.Categories {
			out = append(out, c.Name+"="+v)
		}
		if c.Other {
			out = append(out, c.Name+"=(other)")
		}
		if c.MissingSlot {
			out = append(out, c.Name+"=(missing)")
		}
	}
	return out
}

// RawNames lists the raw columns the preprocessing expects, in order.
func (p *Prep) RawNames() []string {
	out := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		out[i] = c.Name
	}
	return out
}

// Describe summarises the columns in one line: "5 numeric, 2 categorical
// (island: 3, sex: 2 + missing) → 12 inputs".
func (p *Prep) Describe() string {
	var num int
	var cats []string
	for _, c := range p.Columns {
		if c.Kind == Numeric {
			num++
			continue
		}
		s := fmt.Sprintf("%s: %d", c.Name, len(c.Categories))
		if c.Other {
			s += " + other"
		}
		if c.MissingSlot {
			s += " + missing"
		}
		cats = append(cats, s)
	}
	out := fmt.Sprintf("%d numeric", num)
	if len(cats) > 0 {
		out += fmt.Sprintf(", %d categorical (%s)", len(cats), strings.Join(cats, ", "))
	}
	return fmt.Sprintf("%s → %d inputs", out, p.Width())
}

// cellKey is the category of a cell: its text, or the shortest spelling of
// its value when it is a number, so that "1" and "1.0" are one category.
func cellKey(text string, v float64, isText bool) string {
	if isText {
		if x, ok, finite := parseNumber(text); ok && finite {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return text
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// categoryCounts counts the categories of column j over rows, and the
// missing cells.
func (d *Dataset) categoryCounts(j int, rows []int) (count map[string]int, missing int) {
	count = map[string]int{}
	col := d.column(j)
	if col.txt == nil {
		// Count the numbers first: formatting every cell is slow.
		byValue := map[float64]int{}
		for _, i := range rows {
			if v, _ := col.number(i); math.IsNaN(v) {
				missing++
			} else {
				byValue[v]++
			}
		}
		for v, n := range byValue {
			count[cellKey("", v, false)] += n
		}
		return count, missing
	}
	for _, i := range rows {
		if col.missing(i) {
			missing++
			continue
		}
		count[col.category(i)]++
	}
	return count, missing
}

// allRows returns rows, or 0..n-1 when rows is nil.
func allRows(rows []int, n int) []int {
	if rows != nil {
		return rows
	}
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// columnIsNumeric reports whether column j's non-missing cells in rows are
// all numbers.
func (d *Dataset) columnIsNumeric(j int, rows []int) bool {
	col := d.column(j)
	if col.txt == nil {
		return true
	}
	for _, i := range rows {
		if _, ok := col.number(i); !ok {
			return false
		}
	}
	return true
}

// textOf returns column j's texts, or nil for an all-numeric column.
func (d *Dataset) textOf(j int) []string {
	if j < len(d.Text) {
		return d.Text[j]
	}
	return nil
}

// column is a view of one feature column for reading its cells quickly.
type column struct {
	vals []float64 // the data set's row-major values
	c, j int       // columns per row, and this column
	txt  []string  // the column's texts (nil for an all-numeric column)
}

// column returns the view of feature column j.
func (d *Dataset) column(j int) column {
	return column{vals: d.values(), c: d.Cols(), j: j, txt: d.textOf(j)}
}

// missing reports whether cell i is missing.
func (col column) missing(i int) bool { return math.IsNaN(col.vals[i*col.c+col.j]) }

// number returns cell i as a number (NaN when missing); ok is false when
// it is text.
func (col column) number(i int) (v float64, ok bool) {
	v = col.vals[i*col.c+col.j]
	if col.txt == nil || math.IsNaN(v) {
		return v, true
	}
	x, isNum, finite := parseNumber(col.txt[i])
	return x, isNum && finite
}

// category is the category of the non-missing cell i (see cellKey).
func (col column) category(i int) string {
	if col.txt == nil {
		return cellKey("", col.vals[i*col.c+col.j], false)
	}
	return cellKey(col.txt[i], 0, true)
}

// FitPrep fits the preprocessing on the given rows of d (nil: all rows):
// each column's kind, imputation values and categories come from those
// rows only, so that validation and test rows stay unseen.
func FitPrep(d *Dataset, rows []int, cfg PrepConfig) (*Prep, error) {
	if _, err := ParseImpute(cfg.Impute); err != nil {
		return nil, err
	}
	rows = allRows(rows, d.Rows())
	forced := map[string]bool{}
	for _, name := range cfg.Categorical {
		forced[name] = true
	}
	p := &Prep{}
	for j, name := range d.FeatureNames {
		col := PrepColumn{Name: name, Kind: Numeric}
		if forced[name] || !d.columnIsNumeric(j, rows) {
			col.Kind = Categorical
		}
		if col.Kind == Numeric {
			col.Fill, col.Missing = numericFill(d.column(j), rows, cfg.Impute)
			col.Indicator = cfg.MissingIndicator && col.Missing > 0
		} else {
			var count map[string]int
			count, col.Missing = d.categoryCounts(j, rows)
			fitCategories(&col, count, cfg)
		}
		p.Columns = append(p.Columns, col)
	}
	return p, nil
}

// numericFill is the value imputed for a numeric column's missing cells
// in rows (0 when they have no value at all), and the number of them.
func numericFill(col column, rows []int, impute string) (fill float64, missing int) {
	var present []float64 // the values, for the median and the mode
	// A running mean cannot overflow where a sum of large values would.
	mean, n := 0.0, 0
	for _, i := range rows {
		v, _ := col.number(i)
		switch {
		case math.IsNaN(v):
			missing++
		case impute == ImputeMedian || impute == ImputeMostFrequent:
			present = append(present, v)
		default:
			n++
			mean += (v - mean) / float64(n)
		}
	}
	switch {
	case impute != ImputeMedian && impute != ImputeMostFrequent:
		return mean, missing
	case len(present) == 0:
		return 0, missing
	case impute == ImputeMedian:
		sort.Float64s(present)
		m := len(present) / 2
		if len(present)%2 == 1 {
			return present[m], missing
		}
		return (present[m-1] + present[m]) / 2, missing
	}
	count := map[float64]int{}
	best := math.Inf(1)
	for _, v := range present {
		count[v]++
	}
	for v, k := range count {
		// The most frequent value, the smallest on a tie (scikit-learn's rule).
		if k > count[best] || k == count[best] && v < best {
			best = v
		}
	}
	return best, missing
}

// fitCategories chooses a categorical column's slots from the category
// counts of the training rows.
func fitCategories(col *PrepColumn, count map[string]int, cfg PrepConfig) {
	cats := make([]string, 0, len(count))
	for s := range count {
		cats = append(cats, s)
	}
	// Most frequent first, then by name, to choose the kept categories and
	// the most frequent one.
	sort.Slice(cats, func(a, b int) bool {
		if count[cats[a]] != count[cats[b]] {
			return count[cats[a]] > count[cats[b]]
		}
		return cats[a] < cats[b]
	})
	if col.Missing > 0 {
		if cfg.Impute == ImputeMostFrequent && len(cats) > 0 {
			col.FillCategory = cats[0]
		} else {
			col.MissingSlot = true
		}
	}
	if cfg.MaxCategories > 0 && len(cats) > cfg.MaxCategories {
		cats, col.Other = cats[:cfg.MaxCategories], true
	}
	sort.Strings(cats)
	col.Categories = cats
}

// PrepStats counts what a transform met that training had not.
type PrepStats struct {
	// Unseen counts, per column name, cells whose category the training
	// rows did not have (encoded as all zeros).
	Unseen map[string]int
}

// Total is the number of unseen-category cells.
func (s PrepStats) Total() int {
	n := 0
	for _, v := range s.Unseen {
		n += v
	}
	return n
}

// Transform applies the preprocessing to d, whose columns must be the raw
// columns p was fitted on, in order (match them by name first with
// SelectByName). The result has p.Width() finite columns named by
// InputNames; labels, label locations and the source carry over. It is d
// itself when d is complete and every column numeric. A cell that is not
// a number in a numeric column is an *Error naming its file, line and
// column.
func (p *Prep) Transform(d *Dataset) (*Dataset, PrepStats, error) {
	stats := PrepStats{Unseen: map[string]int{}}
	if d.Cols() != len(p.Columns) {
		return nil, stats, &Error{File: d.file, Msg: fmt.Sprintf("has %d feature columns, the preprocessing expects %d", d.Cols(), len(p.Columns))}
	}
	if p.passesThrough() && !d.NeedsPrep() {
		// Every column numeric without an indicator, and nothing to fill:
		// the inputs are the columns (no copy of a large table).
		return d, stats, nil
	}
	n, w := d.Rows(), p.Width()
	out := make([]float64, n*w)
	cols := make([]column, len(p.Columns))
	slot := make([]map[string]int, len(p.Columns))
	for j, col := range p.Columns {
		cols[j] = d.column(j)
		if col.Kind == Categorical {
			slot[j] = make(map[string]int, len(col.Categories))
			for k, s := range col.Categories {
				slot[j][s] = k
			}
		}
	}
	for i := 0; i < n; i++ {
		row := out[i*w : (i+1)*w]
		o := 0
		for j := range p.Columns {
			col := &p.Columns[j]
			if col.Kind == Numeric {
				v, ok := cols[j].number(i)
				if !ok {
					return nil, stats, d.cellError(i, j, "is not a number (the column is numeric in the training rows)")
				}
				col.EncodeNumber(row[o:], v)
				o += col.Width()
				continue
			}
			k, missing := -1, cols[j].missing(i)
			if !missing {
				if s, ok := slot[j][cols[j].category(i)]; ok {
					k = s
				}
			}
			if !col.EncodeCategory(row[o:], k, missing) {
				stats.Unseen[col.Name]++
			}
			o += col.Width()
		}
	}
	res := &Dataset{
		X:            newMatrix(out, n, w),
		Labels:       d.Labels,
		FeatureNames: p.InputNames(),
		LabelName:    d.LabelName,
		Source:       d.Source,
		Layout:       d.Layout,
		SkippedRows:  d.SkippedRows,
		labelFile:    d.labelFile,
		labelAt:      d.labelAt,
		file:         d.file,
		lines:        d.lines,
		skipLine:     d.skipLine,
	}
	return res, stats, nil
}

// passesThrough reports whether every column is numeric without a
// missing indicator, so that complete numeric data need no change.
func (p *Prep) passesThrough() bool {
	for _, c := range p.Columns {
		if c.Kind != Numeric || c.Indicator {
			return false
		}
	}
	return true
}

// cellError locates a problem with feature cell (i, j).
func (d *Dataset) cellError(i, j int, what string) error {
	e := &Error{File: d.file}
	if d.file == "" {
		e.File = d.Source
	}
	if i < len(d.lines) {
		e.Line = d.lines[i]
	}
	if j < len(d.featCols) {
		e.Col = d.featCols[j]
	}
	cell := ""
	if txt := d.textOf(j); txt != nil {
		cell = txt[i]
	}
	e.Msg = fmt.Sprintf("cell %s in column %s %s", quoteCell(cell), quoteCell(d.FeatureNames[j]), what)
	if e.Line == 0 {
		e.Msg = fmt.Sprintf("row %d: %s", i+1, e.Msg)
	}
	return e
}
