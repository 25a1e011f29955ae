package bench

import (
	"testing"

	"github.com/gputrain/gputrain/cpu"
)

// TestAllKernelsValidate requires --kernels all to name every operation of
// the table in ParseKernel's syntax and each to pass its validation on the
// CPU, with nonzero napkin math (bytes for every op, flops for all but the
// pure moves).
func TestAllKernelsValidate(t *testing.T) {
	d := cpu.New()
	defer d.Close()
	for _, k := range AllKernels(false) {
		back, err := ParseKernel(k.Spec())
		if err != nil || back != k {
			t.Errorf("%s: round trip %+v, %v", k.Spec(), back, err)
		}
		if err := k.Validate(d); err != nil {
			t.Error(err)
		}
		moves := k.Op == "fill" || k.Op == "copy" || k.Op == "gather_rows"
		if k.MinBytes() <= 0 || (k.Flops() <= 0) != moves {
			t.Errorf("%s: %v flops, %v bytes", k.Name(), k.Flops(), k.MinBytes())
		}
	}
}
