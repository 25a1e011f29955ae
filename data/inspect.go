package data

import (
	"math"
	"sort"
)

// Count is how often a value occurs.
type Count struct {
	Value string
	N     int
}

// ColumnSummary describes one feature column, as pandas' describe and
// value_counts would.
type ColumnSummary struct {
	Name     string
	Kind     string // Numeric or Categorical
	Missing  int
	Distinct int // distinct non-missing values
	// Numeric columns: the smallest, largest and mean value (NaN when
	// every cell is missing).
	Min, Max, Mean float64
	// Categorical columns: every category, the most frequent first.
	Top []Count
}

// Summaries describes d's feature columns with the kinds p gives them (p
// fitted on d, so that it knows every column).
func (d *Dataset) Summaries(p *Prep) []ColumnSummary {
	out := make([]ColumnSummary, d.Cols())
	all := allRows(nil, d.Rows())
	for j, name := range d.FeatureNames {
		s := ColumnSummary{Name: name, Kind: p.Columns[j].Kind, Min: math.NaN(), Max: math.NaN(), Mean: math.NaN()}
		count, missing := d.categoryCounts(j, all)
		s.Missing, s.Distinct = missing, len(count)
		if s.Kind != Numeric {
			s.Top = sortedCounts(count)
			out[j] = s
			continue
		}
		sum, n := 0.0, 0
		view := d.column(j)
		for _, i := range all {
			if x, _ := view.number(i); !math.IsNaN(x) {
				if n == 0 || x < s.Min {
					s.Min = x
				}
				if n == 0 || x > s.Max {
					s.Max = x
				}
				sum += x
				n++
			}
		}
		if n > 0 {
			s.Mean = sum / float64(n)
		}
		out[j] = s
	}
	return out
}

// LabelCounts counts the label values, the most frequent first.
func (d *Dataset) LabelCounts() []Count {
	count := map[string]int{}
	for _, l := range d.Labels {
		count[l]++
	}
	return sortedCounts(count)
}

// sortedCounts lists counts, the most frequent first, then by value.
func sortedCounts(count map[string]int) []Count {
	out := make([]Count, 0, len(count))
	for v, n := range count {
		out = append(out, Count{v, n})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].N != out[b].N {
			return out[a].N > out[b].N
		}
		return out[a].Value < out[b].Value
	})
	return out
}
