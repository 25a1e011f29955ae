package nn

import (
	"math"
	"testing"
)

// TestComparisonOK: a comparison passes only when it compared at least one
// tensor and every tensor is within the tolerance; one that compared
// nothing has shown nothing and must not read as a pass.
func TestComparisonOK(t *testing.T) {
	in, out := TensorDiff{Name: "layers.0.weight", Excess: 1}, TensorDiff{Name: "layers.0.bias", Excess: math.Inf(1)}
	for _, tc := range []struct {
		diffs []TensorDiff
		want  bool
	}{
		{nil, false},
		{[]TensorDiff{}, false},
		{[]TensorDiff{in}, true},
		{[]TensorDiff{in, out}, false},
	} {
		if got := (Comparison{Name: "cpu", Diffs: tc.diffs}).OK(); got != tc.want {
			t.Errorf("%d tensors %v: OK() = %v, want %v", len(tc.diffs), tc.diffs, got, tc.want)
		}
	}
}
