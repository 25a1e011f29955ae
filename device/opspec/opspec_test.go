package opspec_test

import (
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/device/opspec"
)

// offByOne is a CPU device whose Mul writes one element one float32 ulp
// away from the correctly rounded product.
type offByOne struct{ device.Device }

func (d offByOne) Mul(a, b, out device.Buffer, n int) {
	d.Device.Mul(a, b, out, n)
	v := make([]float32, n)
	d.Download(v, out)
	v[n/2] *= 1 + 1.0/(1<<23)
	d.Upload(out, v)
}

// TestValidateCatchesOneUlp requires Validate to pass the CPU's Mul and to
// reject one element off by a single ulp, naming the op and the element.
func TestValidateCatchesOneUlp(t *testing.T) {
	op, ok := opspec.Lookup("mul")
	if !ok {
		t.Fatal("no mul in the table")
	}
	for _, c := range []struct {
		d    device.Device
		fail bool
	}{{cpu.New(), false}, {offByOne{cpu.New()}, true}} {
		x, err := opspec.New(c.d, op, opspec.Shape{M: 1001}, 1)
		if err != nil {
			t.Fatal(err)
		}
		err = x.Validate()
		x.Free()
		if c.fail != (err != nil) || (err != nil && !strings.Contains(err.Error(), "mul 1001: output 0: 1 of 1001 elements")) {
			t.Errorf("fail=%v: Validate() = %v", c.fail, err)
		}
	}
}

// TestTableComplete requires every op to have all its parts and a unique
// name, and every Check index to name a buffer.
func TestTableComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, op := range opspec.Ops {
		if seen[op.Name] || op.Family == "" || op.Dims < 1 || op.Dims > 3 || op.Inputs == nil || op.Outputs == nil ||
			op.Run == nil || op.Ref == nil || op.Tol == nil || op.Flops == nil || op.Bytes == nil || len(op.Check) == 0 {
			t.Errorf("%q: duplicate or incomplete entry", op.Name)
		}
		seen[op.Name] = true
	}
}
