package data

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// HeaderMode says whether the first row of a CSV file is a header.
type HeaderMode int

const (
	// HeaderAuto (the zero value) detects a header: the first row is one if
	// any of its cells, other than the label cell and a possibly empty first
	// cell, is not a number. An empty first cell (as pandas writes above an
	// index) also marks a header. When only the label cell is not a number,
	// the row is a header unless that text occurs again in the label column.
	HeaderAuto HeaderMode = iota
	// HeaderYes: the first row is a header.
	HeaderYes
	// HeaderNo: there is no header; every row is data.
	HeaderNo
)

// String returns "auto", "yes" or "no".
func (h HeaderMode) String() string {
	switch h {
	case HeaderAuto:
		return "auto"
	case HeaderYes:
		return "yes"
	case HeaderNo:
		return "no"
	}
	return fmt.Sprintf("HeaderMode(%d)", int(h))
}

// ParseHeaderMode parses "auto", "yes"/"true" or "no"/"false" (any case).
func ParseHeaderMode(s string) (HeaderMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return HeaderAuto, nil
	case "yes", "true":
		return HeaderYes, nil
	case "no", "false":
		return HeaderNo, nil
	}
	return HeaderAuto, fmt.Errorf("unknown header mode %q (want auto, yes or no)", s)
}

// IndexMode says whether the first column of a CSV file is an index column
// (row labels, as pandas writes them) to drop.
type IndexMode int

const (
	// IndexAuto (the zero value) detects an index column: with a header, the
	// first column is an index if its header cell is empty, "index" or
	// "Unnamed: 0" (any case). Without a header, it is one if its values are
	// exactly 0..n-1 or 1..n and at least two feature columns remain after
	// it. In a label file (LoadXY's y) with exactly two columns, the first
	// one is also taken as an index when its values are 0..n-1 or 1..n.
	IndexAuto IndexMode = iota
	// IndexYes: the first column is an index; drop it.
	IndexYes
	// IndexNo: there is no index column.
	IndexNo
)

// String returns "auto", "yes" or "no".
func (m IndexMode) String() string {
	switch m {
	case IndexAuto:
		return "auto"
	case IndexYes:
		return "yes"
	case IndexNo:
		return "no"
	}
	return fmt.Sprintf("IndexMode(%d)", int(m))
}

// ParseIndexMode parses "auto", "yes"/"true" or "no"/"false" (any case).
func ParseIndexMode(s string) (IndexMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return IndexAuto, nil
	case "yes", "true":
		return IndexYes, nil
	case "no", "false":
		return IndexNo, nil
	}
	return IndexAuto, fmt.Errorf("unknown index mode %q (want auto, yes or no)", s)
}

// ParseDelimiter parses a delimiter option: "" or "auto" gives 0 (detect);
// "tab" or `\t`, "comma", "semicolon", "pipe" and "space" name one; any
// other text must be a single character.
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return 0, nil
	case "tab", `\t`:
		return '\t', nil
	case "comma":
		return ',', nil
	case "semicolon":
		return ';', nil
	case "pipe":
		return '|', nil
	case "space":
		return ' ', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) || !validDelim(r) {
		return 0, fmt.Errorf("invalid delimiter %q (want one character other than a quote or line break, or auto, tab, comma, semicolon, pipe, space)", s)
	}
	return r, nil
}

// validDelim reports whether encoding/csv accepts r as a field delimiter.
func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// Options controls how a CSV file is read. The zero value detects
// everything.
type Options struct {
	// Delimiter separates fields. 0 detects it from the first non-blank line:
	// the most frequent of ',', ';', '\t', '|' outside quotes (',' when none
	// occurs).
	Delimiter rune
	// Header says whether the first row is a header.
	Header HeaderMode
	// IndexCol says whether the first column is an index column to drop.
	IndexCol IndexMode
	// NAValues are the cell texts that mean "missing", compared ignoring
	// case; nil means DefaultNAValues. Missing feature cells are NaN in X; a
	// row whose label is missing is skipped (counted in
	// Dataset.SkippedRows) unless Strict.
	NAValues []string
	// Strict makes a missing label an error instead of a skipped row.
	Strict bool
	// Format is the file format (detected from the first bytes by default).
	Format Format
}

// DefaultNAValues are the texts that mean a missing cell unless
// Options.NAValues says otherwise (as pandas' read_csv, less its rarer
// spellings).
var DefaultNAValues = []string{"", "NA", "N/A", "NaN", "null", "?"}

// naMatcher recognises missing-value texts, ignoring case.
type naMatcher struct {
	set   map[string]bool // lower-cased texts
	first [256]bool       // the lower-cased first bytes of the texts
}

// naMatcher returns the matcher for the options' missing-value texts.
func (o Options) naMatcher() *naMatcher {
	list := o.NAValues
	if list == nil {
		list = DefaultNAValues
	}
	m := &naMatcher{set: make(map[string]bool, len(list))}
	for _, s := range list {
		s = strings.ToLower(strings.TrimSpace(s))
		m.set[s] = true
		if s != "" {
			m.first[s[0]] = true
		}
	}
	return m
}

// is reports whether the trimmed cell c means a missing value. Most cells
// are numbers, which the first-byte test rules out without a map lookup.
func (m *naMatcher) is(c string) bool {
	if c == "" {
		return m.set[""]
	}
	b := c[0]
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	// Lower-casing may change the first byte of a non-ASCII letter.
	return (m.first[b] || b >= 0x80) && m.set[strings.ToLower(c)]
}
