package job

import (
	"fmt"
	"math"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/internal/advice"
)

// Training runs in float32, where the square of a value beyond about
// 1.8e19 (as the squared error of a regression target, or a product of a
// feature with a weight and itself) overflows. Data beyond that cannot be
// trained on; data beyond largeData, while representable, commonly makes
// gradient steps diverge at any usable learning rate.
const (
	maxData   = 1e19
	largeData = 1e3
)

// columnScale is the column with the largest magnitude the network sees.
type columnScale struct {
	name    string
	largest float64 // its largest |value| as trained on (NaN if not finite)
	raw     float64 // the same in the file, before standardisation
	label   bool
}

// widestColumn finds, among the training rows, the feature column of the
// (possibly standardised) data scaled with the largest magnitude and, for
// regression, compares the targets with it. raw is the network's input
// before standardisation (after any imputation and one-hot encoding), so
// its columns are scaled's.
func widestColumn(p *prepared, raw, scaled *data.Dataset, rows []int) columnScale {
	var best columnScale
	for j := 0; j < scaled.Cols(); j++ {
		c := columnScale{name: scaled.FeatureNames[j]}
		for _, r := range rows {
			c.largest = maxAbs(c.largest, scaled.Row(r)[j])
			c.raw = maxAbs(c.raw, raw.Row(r)[j])
		}
		if c.wider(best) {
			best = c
		}
	}
	if p.task == data.TaskRegression {
		c := columnScale{name: p.ds.LabelName, label: true}
		for _, r := range rows {
			c.largest = maxAbs(c.largest, p.y[r])
		}
		c.raw = c.largest
		if c.wider(best) {
			best = c
		}
	}
	return best
}

// wider reports whether c is wider than o; a column that is not finite is
// wider than any that is, and the first of two such stays.
func (c columnScale) wider(o columnScale) bool {
	if math.IsNaN(o.largest) {
		return false
	}
	return math.IsNaN(c.largest) || c.largest > o.largest
}

// maxAbs is max(m, |v|), NaN when v is not finite.
func maxAbs(m, v float64) float64 {
	if math.IsNaN(m) || math.IsNaN(v) || math.IsInf(v, 0) {
		return math.NaN()
	}
	return max(m, math.Abs(v))
}

// what names the column for messages.
func (c columnScale) what() string {
	if c.label {
		return fmt.Sprintf("the label column %q", c.name)
	}
	return fmt.Sprintf("column %q", c.name)
}

// check refuses data that float32 training cannot represent.
func (c columnScale) check(source string) error {
	if c.largest <= maxData {
		return nil
	}
	after := ""
	if c.largest != c.raw {
		after = " (standardising it overflows)"
	}
	return &data.Error{File: source, Msg: fmt.Sprintf("%s holds values up to %.3g%s, beyond what float32 training can represent: rescale it, e.g. divide it by a power of ten", c.what(), c.raw, after)}
}

// hint blames a divergence on the data's scale when it is large, instead
// of on the learning rate (nil when it is not).
func (c columnScale) hint() advice.Text {
	if !(c.largest > largeData) {
		return nil
	}
	return func(name advice.Namer) string {
		fix := "rescale it"
		if !c.label {
			fix += ", or " + name(advice.Standardize)
		}
		return fmt.Sprintf("the data's scale is the likely cause, not the learning rate: %s reaches %.3g as trained on; %s", c.what(), c.largest, fix)
	}
}
