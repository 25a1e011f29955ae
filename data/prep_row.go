package data

import (
	"math"
	"slices"
	"strings"
)

// CategoryKey is the category a categorical cell's text stands for: the
// text without surrounding space, or the shortest spelling of its value
// when it is a number, so that "1" and "1.0" are one category.
func CategoryKey(text string) string { return cellKey(strings.TrimSpace(text), 0, true) }

// EncodeNumber writes the inputs numeric column c gives the value v (NaN:
// missing) into dst[:c.Width()]: the value or the imputed fill, then the
// 0/1 missing indicator when c has one.
func (c *PrepColumn) EncodeNumber(dst []float64, v float64) {
	missing := math.IsNaN(v)
	if missing {
		v = c.Fill
	}
	dst[0] = v
	if c.Indicator {
		dst[1] = 0
		if missing {
			dst[1] = 1
		}
	}
}

// EncodeCategory writes categorical column c's one-hot inputs into
// dst[:c.Width()] for the cell whose category is Categories[slot] (slot
// -1: another category), or for a missing cell. It reports false when the
// training rows did not have the category (nor missing cells to fill), in
// which case the inputs are all zeros.
func (c *PrepColumn) EncodeCategory(dst []float64, slot int, missing bool) bool {
	clear(dst[:c.Width()])
	switch {
	case missing && c.FillCategory != "":
		k, _ := slices.BinarySearch(c.Categories, c.FillCategory)
		dst[k] = 1
	case missing && c.MissingSlot:
		dst[c.Width()-1] = 1
	case missing:
		return false
	case slot >= 0:
		dst[slot] = 1
	case c.Other:
		dst[len(c.Categories)] = 1
	default:
		return false
	}
	return true
}

// defaultNA recognises DefaultNAValues.
var defaultNA = Options{}.naMatcher()

// IsDefaultNA reports whether a cell's text is one of DefaultNAValues
// (ignoring case and surrounding space): a missing cell.
func IsDefaultNA(text string) bool { return defaultNA.is(strings.TrimSpace(text)) }

// ParseNumber parses a cell's text as CSV files are read: ok is false when
// it is not a number, finite is false for NaN, ±Inf and values that
// overflow float64.
func ParseNumber(text string) (v float64, ok, finite bool) {
	return parseNumber(strings.TrimSpace(text))
}
