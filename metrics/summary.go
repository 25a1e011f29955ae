package metrics

import (
	"fmt"
	"math"
	"strings"
)

// Value is one named metric value.
type Value struct {
	Name  string
	Value float64
}

// Summary aggregates one named metric across runs (folds or restarts).
type Summary struct {
	// Name is the metric's name.
	Name string
	// Mean is the mean over the runs.
	Mean float64
	// SD is the sample standard deviation (divisor N−1), 0 when N is 1.
	SD float64
	// Min and Max are the smallest and largest values.
	Min, Max float64
	// N is the number of runs aggregated (NaN values are not counted).
	N int
}

// Summarize aggregates the same named metrics across runs: runs[i] is one
// run's Named() list, and all lists must have the same names in the same
// order (Summarize panics otherwise). It returns one Summary per name, in
// that order, or nil if runs is empty.
//
// NaN values (such as the ROC-AUC of a fold holding a single class) are left
// out of a metric's summary and of its N; a metric that is NaN in every run
// has N = 0 and NaN statistics.
func Summarize(runs [][]Value) []Summary {
	if len(runs) == 0 {
		return nil
	}
	names := runs[0]
	for r, run := range runs {
		if len(run) != len(names) {
			panic(fmt.Sprintf("metrics: Summarize: run %d has %d metrics, run 0 has %d", r, len(run), len(names)))
		}
		for i, v := range run {
			if v.Name != names[i].Name {
				panic(fmt.Sprintf("metrics: Summarize: run %d metric %d is %q, run 0 has %q", r, i, v.Name, names[i].Name))
			}
		}
	}
	out := make([]Summary, len(names))
	for i, nv := range names {
		s := Summary{Name: nv.Name, Min: math.Inf(1), Max: math.Inf(-1)}
		var sum float64
		for _, run := range runs {
			v := run[i].Value
			if math.IsNaN(v) {
				continue
			}
			s.N++
			sum += v
			s.Min = math.Min(s.Min, v)
			s.Max = math.Max(s.Max, v)
		}
		if s.N == 0 {
			nan := math.NaN()
			s.Mean, s.SD, s.Min, s.Max = nan, nan, nan, nan
			out[i] = s
			continue
		}
		s.Mean = sum / float64(s.N)
		if s.N > 1 {
			var ss float64
			for _, run := range runs {
				if v := run[i].Value; !math.IsNaN(v) {
					ss += (v - s.Mean) * (v - s.Mean)
				}
			}
			s.SD = math.Sqrt(ss / float64(s.N-1))
		}
		out[i] = s
	}
	return out
}

// String formats the summary with three decimals, e.g.
// "accuracy 0.932 ± 0.008 (min 0.919, max 0.944, n=10)".
func (s Summary) String() string {
	return fmt.Sprintf("%s %.3f ± %.3f (min %.3f, max %.3f, n=%d)", s.Name, s.Mean, s.SD, s.Min, s.Max, s.N)
}

// FormatValues renders named metrics as aligned "name  value" lines, one per
// metric and each ending in a newline: names are left-aligned and padded to
// the longest name, followed by two spaces and the value with four decimals,
// right-aligned so that the decimal points line up.
func FormatValues(vals []Value) string {
	nw, vw := 0, 0
	formatted := make([]string, len(vals))
	for i, v := range vals {
		formatted[i] = fmt.Sprintf("%.4f", v.Value)
		nw = max(nw, len(v.Name))
		vw = max(vw, len(formatted[i]))
	}
	var b strings.Builder
	for i, v := range vals {
		fmt.Fprintf(&b, "%-*s  %*s\n", nw, v.Name, vw, formatted[i])
	}
	return b.String()
}
