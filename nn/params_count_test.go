package nn

import "testing"

// ParamCount worked by hand for 3 → 4 → 5 → 2: weights and biases
// (3+1)·4 + (4+1)·5 + (5+1)·2 = 53, and batch normalisation's scale and
// shift on the two hidden layers 2·4 + 2·5 = 18 more.
func TestParamCount(t *testing.T) {
	a := Arch{Inputs: 3, Hidden: []int{4, 5}, Outputs: 2}
	if got := a.ParamCount(); got != 53 {
		t.Errorf("%v: ParamCount = %d, want 53", a, got)
	}
	a.BatchNorm = true
	if got := a.ParamCount(); got != 71 {
		t.Errorf("%v with batch norm: ParamCount = %d, want 71", a, got)
	}
}
