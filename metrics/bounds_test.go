package metrics

import (
	"math"
	"reflect"
	"testing"
)

// offset holds values a billion from zero, 0.1 apart: their squared
// deviations from the mean must be summed as such. Σv² − n·mean², equal in
// exact arithmetic, loses every digit here.
var offset = []float64{1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.3, 1e9 + 0.4}

// SS_tot of offset is 4·0.15²+… = 0.05 and SS_res of predictions 0.1 off
// is 0.04: R² = 1 − 0.04/0.05 = 0.2 (to the 1e-7 to which the values are
// represented).
func TestEvalRegressionFarFromZero(t *testing.T) {
	pred := make([]float64, len(offset))
	for i, v := range offset {
		pred[i] = v + 0.1*float64(1-2*(i%2))
	}
	r := EvalRegression(offset, pred)
	// Written as !(… <= tol) so that a NaN fails.
	if !(math.Abs(r.R2-0.2) <= 1e-5 && math.Abs(r.MSE-0.01) <= 1e-7 && math.Abs(r.MAE-0.1) <= 1e-7) {
		t.Fatalf("%+v, want R2 0.2, MSE 0.01, MAE 0.1", r)
	}
}

// The sample SD of offset is √(0.05/3).
func TestSummarizeFarFromZero(t *testing.T) {
	var runs [][]Value
	for _, v := range offset {
		runs = append(runs, []Value{{"x", v}})
	}
	s := Summarize(runs)[0]
	if want := math.Sqrt(0.05 / 3); !(math.Abs(s.SD-want) <= 1e-6) {
		t.Fatalf("SD %v, want %v", s.SD, want)
	}
}

// Without class names, K is one more than the largest label, actual or
// predicted.
func TestNewConfusionLargestLabel(t *testing.T) {
	want := []string{"0", "1", "2"}
	if c := NewConfusion(nil, []int{0, 2}, []int{0, 0}); !reflect.DeepEqual(c.Classes, want) {
		t.Errorf("largest actual: classes %v, want %v", c.Classes, want)
	}
	if c := NewConfusion(nil, []int{0, 0}, []int{0, 2}); !reflect.DeepEqual(c.Classes, want) {
		t.Errorf("largest predicted: classes %v, want %v", c.Classes, want)
	}
}
