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
	vals, c := d.values(), d.Cols()
	for j, name := range d.FeatureNames {
		s := ColumnSummary{Name: name, Kind: p.Columns[j].Kind, Min: math.Inf(1), Max: math.Inf(-1)}
		count := map[string]int{}
		txt := d.textOf(j)
		sum, n := 0.0, 0
		for i := 0; i < d.Rows(); i++ {
			v := vals[i*c+j]
			if math.IsNaN(v) {
				s.Missing++
				continue
			}
			var t string
			if txt != nil {
				t = txt[i]
			}
			count[cellKey(t, v, txt != nil)]++
			if s.Kind == Numeric {
				x, _ := d.numberAt(i, j)
				s.Min, s.Max = math.Min(s.Min, x), math.Max(s.Max, x)
				sum += x
				n++
			}
		}
		s.Distinct = len(count)
		if s.Kind == Numeric {
			s.Mean = sum / float64(n)
			if n == 0 {
				s.Min, s.Max = math.NaN(), math.NaN()
			}
		} else {
			s.Top = sortedCounts(count)
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
