package nn

import (
	"fmt"
	"math"

	"github.com/gputrain/gputrain/device"
)

// Tolerance bounds the difference allowed between a device's tensor a and
// the reference r, element by element: |a − r| ≤ ATol + RTol·|r|.
type Tolerance struct {
	RTol, ATol float64
}

// String writes the tolerance as the bound it puts on each element.
func (t Tolerance) String() string {
	return fmt.Sprintf("|Δ| ≤ %g + %g·|ref| per element", t.ATol, t.RTol)
}

// TensorDiff is how far one tensor is from its reference.
type TensorDiff struct {
	Name   string
	MaxAbs float64 // the largest |a − r|
	MaxRel float64 // MaxAbs relative to the tensor's largest |r|
	// Excess is the largest |a − r| / (ATol + RTol·|r|): at most 1 within
	// the tolerance. Non-finite values give +Inf.
	Excess float64
}

// OK reports whether the tensor is within the tolerance.
func (d TensorDiff) OK() bool { return d.Excess <= 1 }

// Comparison is one trained copy of the network compared with a baseline.
type Comparison struct {
	Name     string // the device, e.g. "cpu"
	Describe string // its one-line description
	Baseline string // what it is compared with
	Diffs    []TensorDiff
}

// OK reports whether at least one tensor was compared and every tensor is
// within the tolerance: a comparison of nothing shows nothing.
func (c Comparison) OK() bool {
	if len(c.Diffs) == 0 {
		return false
	}
	for _, d := range c.Diffs {
		if !d.OK() {
			return false
		}
	}
	return true
}

// Worst returns the tensor furthest outside (or least inside) the tolerance.
func (c Comparison) Worst() TensorDiff {
	var w TensorDiff
	for i, d := range c.Diffs {
		if i == 0 || d.Excess > w.Excess {
			w = d
		}
	}
	return w
}

// ReferenceName names the float64 reference implementation in reports.
const ReferenceName = "float64 reference"

// diffTensor compares a with r.
func diffTensor(name string, a, r []float64, tol Tolerance) TensorDiff {
	d := TensorDiff{Name: name}
	var maxRef float64
	for i := range r {
		diff := math.Abs(a[i] - r[i])
		if math.IsNaN(diff) {
			diff = math.Inf(1)
		}
		d.MaxAbs = math.Max(d.MaxAbs, diff)
		maxRef = math.Max(maxRef, math.Abs(r[i]))
		d.Excess = math.Max(d.Excess, diff/(tol.ATol+tol.RTol*math.Abs(r[i])))
	}
	if maxRef > 0 {
		d.MaxRel = d.MaxAbs / maxRef
	} else if d.MaxAbs > 0 {
		d.MaxRel = math.Inf(1)
	}
	return d
}

// named64 lists parameters as named float64 tensors (layers.L.weight in
// the internal fan_in × fan_out layout, layers.L.bias).
func named64(w, b [][]float64) (names []string, vals [][]float64) {
	for l := range w {
		names = append(names, fmt.Sprintf("layers.%d.weight", l), fmt.Sprintf("layers.%d.bias", l))
		vals = append(vals, w[l], b[l])
	}
	return names, vals
}

func params64(p Params) (w, b [][]float64) {
	for l := range p.W {
		w, b = append(w, f64(p.W[l])), append(b, f64(p.B[l]))
	}
	return w, b
}

// compare diffs every tensor of got against ref.
func compare(got, ref [2][][]float64, tol Tolerance) []TensorDiff {
	names, a := named64(got[0], got[1])
	_, r := named64(ref[0], ref[1])
	out := make([]TensorDiff, len(names))
	for i, name := range names {
		out[i] = diffTensor(name, a[i], r[i], tol)
	}
	return out
}

// Verify trains the configuration on each device from the same initial
// parameters (same minibatches, dropout masks and learning rates) and, in
// float64, with the reference implementation, then compares each device's
// parameters with the reference and, with several devices, each device
// after the first with the first. Validation, early stopping and
// checkpoints do not apply.
func Verify(devs []device.Device, cfg TrainConfig, x, y []float32, n int, tol Tolerance) ([]Comparison, error) {
	cfg.Val, cfg.EarlyStopping, cfg.CheckpointEvery, cfg.OnCheckpoint, cfg.Resume = nil, EarlyStopping{}, 0, nil, nil
	if cfg.ClassWeights != nil {
		if err := checkClassWeights(cfg.Arch, cfg.ClassWeights); err != nil {
			return nil, err
		}
	}
	rw, rb, err := refTrain(cfg, x, y, n)
	if err != nil {
		return nil, err
	}
	ref := [2][][]float64{rw, rb}
	var out []Comparison
	var first [2][][]float64
	for i, dev := range devs {
		t, err := NewTrainer(dev, cfg, x, y, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dev.Name(), err)
		}
		_, err = t.Run(nil)
		var p Params
		if err == nil {
			p, err = t.Params()
		}
		t.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dev.Name(), err)
		}
		w, b := params64(p)
		got := [2][][]float64{w, b}
		out = append(out, Comparison{Name: dev.Name(), Describe: dev.Describe(), Baseline: ReferenceName, Diffs: compare(got, ref, tol)})
		if i == 0 {
			first = got
		} else {
			out = append(out, Comparison{Name: dev.Name(), Describe: dev.Describe(), Baseline: devs[0].Name(), Diffs: compare(got, first, tol)})
		}
	}
	return out, nil
}

// DefaultTolerance is "gputrain verify"'s tolerance: float32 training on
// the CPU stays within about 5e-7 of the float64 reference (relative to
// each tensor's largest value) over 100 updates of the reference
// experiment, 200 times inside this bound, while a 1 % error in any one
// operation moves the parameters far outside it.
var DefaultTolerance = Tolerance{RTol: 1e-4, ATol: 1e-5}
