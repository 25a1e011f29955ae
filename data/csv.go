package data

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gputrain/gputrain/internal/advice"
)

// LoadSingle reads a CSV file holding the features and the label column.
// label names the label column: a header name (exact match first, then
// case-insensitive) or a 1-based column number ("42") counted over all the
// file's columns, an index column included. An empty label means the last
// column. Every other column, except a dropped index column, is a feature.
// Feature cells are numbers, missing (see Options.NAValues; NaN in X) or
// text (see Dataset.Text); a non-finite number is an error. A row whose
// label is missing is skipped and counted, or an error with Options.Strict.
func LoadSingle(path, label string, opt Options) (*Dataset, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseSingle(f, path, label, opt)
}

// LoadXY reads the features from xPath and the labels from yPath. The label
// file holds one label column, after an optional index column. Both files
// must have the same number of data rows; when both have an index column,
// the index values must agree row by row.
func LoadXY(xPath, yPath string, opt Options) (*Dataset, error) {
	xf, err := open(xPath)
	if err != nil {
		return nil, err
	}
	defer xf.Close()
	yf, err := open(yPath)
	if err != nil {
		return nil, err
	}
	defer yf.Close()
	return ParseXY(xf, xPath, yf, yPath, opt)
}

// LoadFeatures reads a CSV file of features only (for prediction): every
// column except a dropped index column is a feature. The result has no
// labels.
func LoadFeatures(path string, opt Options) (*Dataset, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseFeatures(f, path, opt)
}

// open opens path, reporting failure as an *Error without repeating the path.
func open(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		cause := err
		if errors.As(err, &pe) {
			cause = pe.Err
		}
		return nil, &Error{File: path, Msg: "cannot open: " + cause.Error(), Err: err}
	}
	return f, nil
}

// ParseSingle is LoadSingle reading from r; name is the file name used in
// error messages and Source.
func ParseSingle(r io.Reader, name, label string, opt Options) (*Dataset, error) {
	t, err := parseTable(r, displayFile(name), opt, specSingle, label)
	if err != nil {
		return nil, err
	}
	return t.dataset(t, t.name), nil
}

// ParseXY is LoadXY reading the features from xr and the labels from yr;
// xName and yName are the file names used in error messages and Source.
func ParseXY(xr io.Reader, xName string, yr io.Reader, yName string, opt Options) (*Dataset, error) {
	xName, yName = displayFile(xName), displayFile(yName)
	tx, err := parseTable(xr, xName, opt, specFeatures, "")
	if err != nil {
		return nil, err
	}
	ty, err := parseTable(yr, yName, opt, specLabelOnly, "")
	if err != nil {
		return nil, err
	}
	if tx.n != ty.n {
		return nil, &Error{Msg: fmt.Sprintf("%s has %d rows but %s has %d", xName, tx.n, yName, ty.n)}
	}
	if tx.index != nil && ty.index != nil {
		for i := range tx.index {
			if !sameIndex(tx.index[i], ty.index[i]) {
				return nil, &Error{File: yName, Line: ty.lines[i], Msg: fmt.Sprintf(
					"index %s does not match %s:%d, which has index %s on the same data row",
					quoteCell(ty.index[i]), xName, tx.lines[i], quoteCell(tx.index[i]))}
			}
		}
	}
	return skipMissingLabels(tx.dataset(ty, xName+" + "+yName), ty, opt)
}

// skipMissingLabels leaves out the rows of d whose label (read from lt) is
// missing, counting them, or reports the first with opt.Strict.
func skipMissingLabels(d *Dataset, lt *table, opt Options) (*Dataset, error) {
	na := opt.naMatcher()
	var keep []int
	skipped, first := 0, -1
	for i, l := range d.Labels {
		if !na.is(l) {
			keep = append(keep, i)
			continue
		}
		if opt.Strict {
			return nil, &Error{File: lt.name, Line: lt.lines[i], Col: lt.labelCol, Text: missingLabel(l)}
		}
		if first < 0 {
			first = i
		}
		skipped++
	}
	if skipped == 0 {
		return d, nil
	}
	if len(keep) == 0 {
		return nil, &Error{File: lt.name, Msg: fmt.Sprintf("every data row (%d) has a missing label", skipped)}
	}
	out := d.Subset(keep)
	out.SkippedRows, out.skipLine = skipped, lt.lines[first]
	return out, nil
}

// ParseFeatures is LoadFeatures reading from r; name is the file name used
// in error messages and Source.
func ParseFeatures(r io.Reader, name string, opt Options) (*Dataset, error) {
	t, err := parseTable(r, displayFile(name), opt, specFeatures, "")
	if err != nil {
		return nil, err
	}
	return t.dataset(nil, t.name), nil
}

func displayFile(name string) string {
	if name == "" {
		return "input"
	}
	return name
}

// sameIndex compares two index cells as text, or as numbers when both are.
func sameIndex(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

// tableSpec says which columns of a file are wanted.
type tableSpec int

const (
	specFeatures  tableSpec = iota // features only
	specSingle                     // features and a label column
	specLabelOnly                  // a label column only (after an optional index)
)

// table is a parsed CSV file.
type table struct {
	name      string
	n, d      int
	x         []float64 // n*d row-major features
	names     []string  // d feature names
	labelName string
	labels    []string    // n label texts (nil without a label column)
	labelCol  int         // 1-based file column of the label (0 if none)
	lines     []int       // n physical lines where the data rows start
	index     []string    // n texts of a dropped index column (nil if none)
	text      [][]string  // per feature: every cell's text, or nil (see Dataset.Text)
	cols      []int       // d 1-based file columns of the features
	header    bool        // the first row is a header
	rule      advice.Text // why it was taken as one, or not
	skipped   int         // rows skipped because their label is missing
	skipLine  int         // the line of the first of them
}

// dataset builds a Dataset from t's features and lt's labels (lt may be t,
// or nil for no labels).
func (t *table) dataset(lt *table, source string) *Dataset {
	d := &Dataset{
		X:            newMatrix(t.x, t.n, t.d),
		FeatureNames: t.names,
		Source:       source,
		Text:         t.text,
		file:         t.name,
		featCols:     t.cols,
		lines:        t.lines,
	}
	if lt != nil {
		d.SkippedRows, d.skipLine = lt.skipped, lt.skipLine
	}
	d.Layout = Layout{Header: t.header, HeaderRule: t.rule}
	if lt != nil {
		d.Layout.LabelColumn = lt.labelCol
		d.Labels = lt.labels
		d.LabelName = lt.labelName
		d.labelFile = lt.name
		d.labelAt = make([]cellPos, lt.n)
		for i, l := range lt.lines {
			d.labelAt[i] = cellPos{line: l, col: lt.labelCol}
		}
	}
	return d
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// detectDelimiter picks the most frequent of ',', ';', '\t', '|' outside
// quotes on the first non-blank line of buf (',' on a tie or when none
// occurs).
func detectDelimiter(buf []byte) rune {
	cands := []byte{',', ';', '\t', '|'}
	var counts [4]int
	inQuote, seen := false, false
scan:
	for _, c := range buf {
		switch {
		case c == '"':
			inQuote = !inQuote
			seen = true
		case inQuote:
		case c == '\n':
			if seen {
				break scan
			}
			counts = [4]int{}
		default:
			if k := bytes.IndexByte(cands, c); k >= 0 {
				counts[k]++
			}
			if c != ' ' && c != '\t' && c != '\r' {
				seen = true
			}
		}
	}
	best := 0
	for k := 1; k < len(cands); k++ {
		if counts[k] > counts[best] {
			best = k
		}
	}
	return rune(cands[best])
}

// headerState is what is known about the first row.
type headerState int

const (
	hdrNo headerState = iota
	hdrYes
	hdrUndecided // only the label cell is not a number: decided after reading
)

// indexState is what is known about the first column.
type indexState int

const (
	idxNo indexState = iota
	idxYes
	idxPending // decided from the values (0..n-1 or 1..n) after reading
)

// rowReader reads non-blank CSV records, converting errors to *Error.
type rowReader struct {
	name string
	cr   *csv.Reader
}

// Next returns the next record with at least one non-blank cell and the
// line it starts on; io.EOF at the end.
func (rr *rowReader) Next() ([]string, int, error) {
	for {
		rec, err := rr.cr.Read()
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine != pe.Line {
				// The reader only notices a quote left open where the
				// file (or the quoted text) ends; what needs fixing is
				// where it opened, in the record that starts here.
				return nil, 0, &Error{File: rr.name, Line: pe.StartLine,
					Msg: fmt.Sprintf("CSV syntax error: a quoted field of the row starting here is never closed (the quote runs on to line %d)", pe.Line), Err: err}
			}
			if errors.As(err, &pe) {
				return nil, 0, &Error{File: rr.name, Line: pe.Line, Col: pe.Column,
					Msg: "CSV syntax error: " + pe.Err.Error(), Err: err}
			}
			return nil, 0, &Error{File: rr.name, Msg: "cannot read: " + err.Error(), Err: err}
		}
		blank := true
		for _, c := range rec {
			if strings.TrimSpace(c) != "" {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		line, _ := rr.cr.FieldPos(0)
		return rec, line, nil
	}
}

// FieldLine returns the line on which field j of the last record starts.
func (rr *rowReader) FieldLine(j int) int {
	line, _ := rr.cr.FieldPos(j)
	return line
}

// parseNumber parses a trimmed cell. ok is false when it is not a number;
// finite is false for NaN, ±Inf and values that overflow float64.
func parseNumber(s string) (v float64, ok, finite bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return v, true, !math.IsInf(v, 0)
		}
		return 0, false, false
	}
	return v, true, !math.IsNaN(v) && !math.IsInf(v, 0)
}

func isNumber(s string) bool {
	_, ok, _ := parseNumber(s)
	return ok
}

// isIndexName reports whether a header cell names an index column.
func isIndexName(s string) bool {
	return s == "" || strings.EqualFold(s, "index") || strings.EqualFold(s, "Unnamed: 0")
}

// parseTable reads a whole CSV (or Parquet) file as described by spec.
func parseTable(r io.Reader, name string, opt Options, spec tableSpec, label string) (*table, error) {
	rr, err := openRecords(r, name, &opt)
	if err != nil {
		return nil, err
	}
	return parseRecords(rr, name, opt, spec, label)
}

// RecordSource is where the rows of a table enter the parser: a reader of
// another file format (Parquet, compressed CSV) implements it to get the
// same header and index detection, missing values, text columns and label
// handling as CSV files. Cells are the text as written (surrounding spaces
// are trimmed by the parser); the parser clones what it keeps, so a source
// may reuse the record's slice on the next call.
type RecordSource interface {
	// Next returns the next record with at least one non-blank cell and the
	// 1-based line (or row number) it starts on; io.EOF after the last.
	// Errors must be *Error.
	Next() (rec []string, line int, err error)
	// FieldLine returns the line on which field j of the last record
	// starts (the record's line when the format has no lines).
	FieldLine(j int) int
}

// ParseRecords is ParseSingle reading its rows from src instead of CSV
// text.
func ParseRecords(src RecordSource, name, label string, opt Options) (*Dataset, error) {
	t, err := parseRecords(src, displayFile(name), opt, specSingle, label)
	if err != nil {
		return nil, err
	}
	return t.dataset(t, t.name), nil
}

// parseRecords reads a whole table from rr as described by spec.
func parseRecords(rr RecordSource, name string, opt Options, spec tableSpec, label string) (*table, error) {
	row0, line0, err := rr.Next()
	if err == io.EOF {
		return nil, &Error{File: name, Msg: "file is empty"}
	}
	if err != nil {
		return nil, err
	}
	row0 = slices.Clone(row0) // kept while later records reuse the slice
	ncols := len(row0)
	h := make([]string, ncols) // trimmed first-row cells
	line0Of := make([]int, ncols)
	for j, c := range row0 {
		h[j] = strings.Clone(strings.TrimSpace(c))
		line0Of[j] = rr.FieldLine(j)
	}

	// Label column and header.
	labelCol := -1
	forceHeader := false
	switch spec {
	case specLabelOnly:
		if ncols > 2 || (ncols == 2 && opt.IndexCol == IndexNo) {
			return nil, labelFileColumnsError(name, ncols)
		}
		labelCol = ncols - 1
	case specSingle:
		labelCol, forceHeader, err = resolveLabel(name, h, label, opt.Header)
		if err != nil {
			return nil, err
		}
	}
	var hdr headerState
	var rule string
	var given advice.Text // the rule, when a setting decided
	switch opt.Header {
	case HeaderYes:
		hdr, given = hdrYes, func(name advice.Namer) string { return name(advice.Header) + " yes" }
	case HeaderNo:
		hdr, given = hdrNo, func(name advice.Namer) string { return name(advice.Header) + " no" }
	default:
		if forceHeader {
			hdr, given = hdrYes, func(name advice.Namer) string { return "it names the " + name(advice.Label) + " column" }
		} else {
			hdr, rule = autoHeader(h, labelCol)
		}
	}

	// Index column.
	var idx indexState
	nonLabel := ncols
	if labelCol >= 0 {
		nonLabel--
	}
	switch opt.IndexCol {
	case IndexNo:
		idx = idxNo
	case IndexYes:
		if labelCol == 0 {
			return nil, &Error{File: name, Msg: "the label column is the first column, so there is no index column to drop"}
		}
		if ncols < 2 {
			return nil, &Error{File: name, Msg: "the file has a single column, so there is no index column to drop"}
		}
		idx = idxYes
	default:
		switch {
		case labelCol == 0 || ncols < 2:
			idx = idxNo
		case hdr == hdrYes && isIndexName(h[0]):
			idx = idxYes
		case spec == specLabelOnly:
			idx = idxPending
		case hdr != hdrYes && nonLabel-1 >= 2:
			idx = idxPending
		default:
			idx = idxNo
		}
	}

	// Feature columns (file indices), excluding the label and column 0 when
	// it is or may be an index. A pending index column is stored first.
	var featCols []int
	if spec != specLabelOnly {
		for j := 0; j < ncols; j++ {
			if j == labelCol || (j == 0 && idx != idxNo) {
				continue
			}
			featCols = append(featCols, j)
		}
	}
	w := len(featCols)
	if idx == idxPending && spec != specLabelOnly {
		w++
	}

	colName := func(j int) string {
		if hdr == hdrYes {
			return h[j]
		}
		return ""
	}
	t := &table{name: name, text: make([][]string, w)}
	vals := make([]float64, 0, capacityHint(rr, w))
	na := opt.naMatcher()
	// store appends feature cell c as stored column k of the current row:
	// a number, NaN for a missing cell, or text (see Dataset.Text).
	store := func(k int, c string, line, j int) error {
		if na.is(c) {
			vals = append(vals, math.NaN())
			if t.text[k] != nil {
				t.text[k] = append(t.text[k], "")
			}
			return nil
		}
		v, ok, finite := parseNumber(c)
		switch {
		case ok && !finite:
			return cellError(name, line, j, c, colName(j), true)
		case ok:
			vals = append(vals, v)
			if t.text[k] != nil {
				t.text[k] = append(t.text[k], strings.Clone(c))
			}
			return nil
		}
		if t.text[k] == nil {
			t.text[k] = backfillText(vals, len(t.lines), w, k)
		}
		t.text[k] = append(t.text[k], strings.Clone(c))
		vals = append(vals, 0)
		return nil
	}
	// addRow appends one data row; lineOf gives the line of each field.
	addRow := func(rec []string, line int, lineOf func(int) int) error {
		if len(rec) != ncols {
			return &Error{File: name, Line: line, Msg: fmt.Sprintf("row has %d fields, want %d (as in line %d)", len(rec), ncols, line0)}
		}
		if labelCol >= 0 && spec == specSingle && na.is(strings.TrimSpace(rec[labelCol])) {
			if opt.Strict {
				return &Error{File: name, Line: lineOf(labelCol), Col: labelCol + 1, Text: missingLabel(strings.TrimSpace(rec[labelCol]))}
			}
			if t.skipped == 0 {
				t.skipLine = line
			}
			t.skipped++
			return nil
		}
		k := 0
		if idx == idxPending {
			c := strings.TrimSpace(rec[0])
			if spec == specLabelOnly {
				if v, ok, finite := parseNumber(c); !ok || !finite || math.IsNaN(v) {
					return labelFileColumnsError(name, ncols)
				}
			} else {
				if err := store(0, c, lineOf(0), 0); err != nil {
					return err
				}
				k++
			}
		}
		for _, j := range featCols {
			if err := store(k, strings.TrimSpace(rec[j]), lineOf(j), j); err != nil {
				return err
			}
			k++
		}
		if labelCol >= 0 {
			t.labels = append(t.labels, strings.Clone(strings.TrimSpace(rec[labelCol])))
		}
		if idx != idxNo {
			t.index = append(t.index, strings.Clone(strings.TrimSpace(rec[0])))
		}
		t.lines = append(t.lines, line)
		return nil
	}
	row0Lines := func(j int) int { return line0Of[j] }
	if hdr == hdrNo {
		if err := addRow(row0, line0, row0Lines); err != nil {
			return nil, err
		}
	}
	for {
		rec, line, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := addRow(rec, line, rr.FieldLine); err != nil {
			return nil, err
		}
	}

	if hdr == hdrUndecided {
		// Only the label cell is not a number. With other cells (all
		// numbers), the row is a header when the labels below are numbers,
		// else data. A row of just the label is data if its text occurs
		// again in the label column, else a header.
		hdr, rule = hdrNo, "it is the only row"
		switch {
		case len(t.labels) == 0:
		case spec != specLabelOnly && len(h) > 1:
			hdr, rule = hdrYes, fmt.Sprintf("its label cell %s is not a number, the labels below are", quoteCell(h[labelCol]))
			for _, l := range t.labels {
				if !isNumber(l) {
					hdr, rule = hdrNo, "its cells besides the label are numbers"
					break
				}
			}
		default:
			hdr, rule = hdrYes, fmt.Sprintf("its %s occurs nowhere below", quoteCell(h[labelCol]))
			if slices.Contains(t.labels, h[labelCol]) {
				hdr, rule = hdrNo, fmt.Sprintf("its %s occurs again below", quoteCell(h[labelCol]))
			}
		}
		if hdr == hdrNo {
			// Row 0 is data: parse it into a fresh table, then append the
			// rows read so far.
			rest, restVals := t, vals
			t, vals = &table{name: name, text: make([][]string, w), skipped: rest.skipped, skipLine: rest.skipLine}, make([]float64, 0, len(restVals)+w)
			if err := addRow(row0, line0, row0Lines); err != nil {
				return nil, err
			}
			for k, txt := range rest.text {
				if txt != nil {
					if t.text[k] == nil {
						t.text[k] = backfillText(vals, len(t.lines), w, k)
					}
					t.text[k] = append(t.text[k], txt...)
				}
			}
			vals = append(vals, restVals...)
			t.labels = append(t.labels, rest.labels...)
			t.index = append(t.index, rest.index...)
			t.lines = append(t.lines, rest.lines...)
		}
	}
	n := len(t.lines)
	if n == 0 && t.skipped > 0 {
		return nil, &Error{File: name, Msg: fmt.Sprintf("every data row (%d) has a missing label", t.skipped)}
	}
	if n == 0 {
		return nil, &Error{File: name, Msg: "no data rows after the header"}
	}

	// Resolve a pending index column from its values.
	if idx == idxPending {
		idx = idxNo
		if n >= 2 && (hdr == hdrNo || spec == specLabelOnly) && isSequence(t.index) {
			idx = idxYes
		}
		if idx == idxYes {
			if spec != specLabelOnly {
				// Drop the first stored value of every row.
				for i := 0; i < n; i++ {
					copy(vals[i*(w-1):(i+1)*(w-1)], vals[i*w+1:(i+1)*w])
				}
				vals = vals[:n*(w-1)]
				w--
				t.text = t.text[1:]
			}
		} else {
			if spec == specLabelOnly {
				return nil, labelFileColumnsError(name, ncols)
			}
			featCols = append([]int{0}, featCols...)
		}
	}
	if idx != idxYes {
		t.index = nil
	}
	if spec != specLabelOnly && len(featCols) == 0 {
		return nil, &Error{File: name, Msg: "no feature columns (only a label or index column)"}
	}

	t.n = n
	t.header, t.rule = hdr == hdrYes, given
	if given == nil && rule != "" {
		t.rule = func(advice.Namer) string { return rule }
	}
	t.d = len(featCols)
	t.x = vals
	if spec == specLabelOnly {
		t.text = nil
	}
	t.names = make([]string, t.d)
	t.cols = make([]int, t.d)
	for k, j := range featCols {
		t.cols[k] = j + 1
		if hdr == hdrYes && h[j] != "" {
			t.names[k] = h[j]
		} else {
			t.names[k] = fmt.Sprintf("x%d", k+1)
		}
	}
	if labelCol >= 0 {
		t.labelCol = labelCol + 1
		t.labelName = "y"
		if hdr == hdrYes && h[labelCol] != "" {
			t.labelName = h[labelCol]
		}
	}
	return t, nil
}

// backfillText returns the texts of stored column k of the first rows
// rows of vals (w values a row), all numbers or missing so far: the column
// has just met its first text cell.
func backfillText(vals []float64, rows, w, k int) []string {
	out := make([]string, rows, rows+64)
	for i := range out {
		if v := vals[i*w+k]; !math.IsNaN(v) {
			out[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	return out
}

// Layout says how a CSV file was read.
type Layout struct {
	// Header reports whether the first row was taken as a header;
	// HeaderRule says why (or why not), e.g. "its cells are numbers", or
	// that the header setting decided, naming it as it is told. Both are
	// zero for data not read from a file.
	Header     bool
	HeaderRule advice.Text
	// LabelColumn is the 1-based column of the labels in the features
	// file (0 when they come from a separate file or there are none).
	LabelColumn int
}

// isSequence reports whether the texts are exactly the integers 0..n-1 or
// 1..n, in order.
func isSequence(texts []string) bool {
	if len(texts) == 0 {
		return false
	}
	v0, ok, _ := parseNumber(texts[0])
	if !ok || (v0 != 0 && v0 != 1) {
		return false
	}
	for i, s := range texts {
		v, ok, _ := parseNumber(s)
		if !ok || v != v0+float64(i) {
			return false
		}
	}
	return true
}

// autoHeader applies the HeaderAuto rule to the first row's cells h and
// says which rule decided. A row whose cells besides the label are all
// numbers is data unless its label cell is text over a column of numeric
// labels: a header of numbers over columns of numbers cannot be told from
// a row. That, and a row whose only cell is a label, is decided after
// reading (hdrUndecided).
func autoHeader(h []string, labelCol int) (headerState, string) {
	if len(h) >= 2 && h[0] == "" {
		return hdrYes, "its first cell is empty, as over an index column"
	}
	for j, c := range h {
		if j == labelCol || (j == 0 && c == "") {
			continue
		}
		if !isNumber(c) {
			return hdrYes, fmt.Sprintf("its cell %s is not a number", quoteCell(c))
		}
	}
	if labelCol >= 0 && !isNumber(h[labelCol]) {
		return hdrUndecided, ""
	}
	return hdrNo, "its cells are numbers"
}

// resolveLabel finds the label column among the first row's cells h. It
// returns the 0-based column and whether the match was by header name
// (which makes the first row a header).
func resolveLabel(name string, h []string, label string, mode HeaderMode) (int, bool, error) {
	if label == "" {
		return len(h) - 1, false, nil
	}
	lab := strings.TrimSpace(label)
	if mode != HeaderNo {
		// In auto mode a numeric first-row cell is no evidence of a header.
		usable := func(c string) bool { return mode == HeaderYes || !isNumber(c) }
		for j, c := range h {
			if c == lab && usable(c) {
				return j, true, nil
			}
		}
		for j, c := range h {
			if strings.EqualFold(c, lab) && usable(c) {
				return j, true, nil
			}
		}
	}
	if k, err := strconv.Atoi(lab); err == nil {
		if k >= 1 && k <= len(h) {
			return k - 1, false, nil
		}
		return 0, false, &Error{File: name, Msg: fmt.Sprintf("label column %d is out of range: the file has %d columns", k, len(h))}
	}
	if hdr, _ := autoHeader(h, -1); mode == HeaderNo || (mode == HeaderAuto && hdr == hdrNo) {
		return 0, false, &Error{File: name, Msg: fmt.Sprintf(
			"label column %s not found: the file has no header row, so give a column number 1..%d", quoteCell(lab), len(h))}
	}
	return 0, false, &Error{File: name, Msg: fmt.Sprintf("label column %s not found (columns: %s)", quoteCell(lab), nameList(h, 10))}
}

func labelFileColumnsError(name string, ncols int) error {
	return &Error{File: name, Msg: fmt.Sprintf(
		"has %d columns, want one label column (optionally after an index column)", ncols)}
}

// cellError reports a feature cell that is not a (finite) number.
func cellError(file string, line, j int, cell, col string, numeric bool) error {
	what := "is not a number"
	if numeric {
		what = "is not a finite number"
	}
	where := ""
	if col != "" {
		where = " in column " + quoteCell(col)
	}
	return &Error{File: file, Line: line, Col: j + 1, Msg: fmt.Sprintf("cell %s%s %s", quoteCell(cell), where, what)}
}

// quoteCell quotes s for a message, shortening long text, so that the
// message stays on one line.
func quoteCell(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		return strconv.Quote(string(r[:max])) + "..."
	}
	return strconv.Quote(s)
}

// nameList formats up to max column names for a message.
func nameList(names []string, max int) string {
	var b strings.Builder
	for j, s := range names {
		if j == max {
			fmt.Fprintf(&b, " ... (%d columns)", len(names))
			break
		}
		if j > 0 {
			b.WriteString(", ")
		}
		plain := s != "" && utf8.RuneCountInString(s) <= 40 && !strings.ContainsFunc(s, func(r rune) bool {
			return r == ',' || r == '"' || unicode.IsControl(r) || r == utf8.RuneError
		})
		if plain {
			b.WriteString(s)
		} else {
			b.WriteString(quoteCell(s))
		}
	}
	return b.String()
}

// missingLabel says that a row's label cell is missing, which strict
// reading refuses.
func missingLabel(cell string) advice.Text {
	return func(name advice.Namer) string {
		return fmt.Sprintf("label %s is missing (without %s such rows are skipped)", quoteCell(cell), name(advice.Strict))
	}
}
