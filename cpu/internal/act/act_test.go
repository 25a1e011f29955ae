package act

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// TestTableCoversDevice: every device activation has CPU functions.
func TestTableCoversDevice(t *testing.T) {
	if len(Table) != len(device.AllActivations()) {
		t.Fatalf("%d CPU activations, the device table has %d", len(Table), len(device.AllActivations()))
	}
	for _, a := range device.AllActivations() {
		if f := Table[a]; f.Forward == nil || f.Backward == nil || f.Cost < 1 {
			t.Errorf("%v: incomplete entry", a)
		}
	}
}

// TestAgainstReference: each entry's forward and backward match the
// device table's float64 reference within a few float32 ulp (forward: 4e-7
// relative, 1e-7 absolute near zero; backward: 1e-6 relative plus 3e-7
// times dout), in place and not, on lengths that are and are not multiples
// of the vector width.
func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, a := range device.AllActivations() {
		spec := a.Spec()
		for _, alpha := range []float32{0.01, 0.2} {
			for _, n := range []int{1, 7, 8, 41, 1055} {
				z, dout := make([]float32, n), make([]float32, n)
				for i := range z {
					z[i] = 8 * (2*rng.Float32() - 1)
					dout[i] = 2*rng.Float32() - 1
				}
				name := fmt.Sprintf("%v alpha=%v n=%d", a, alpha, n)
				out := make([]float32, n)
				Table[a].Forward(out, z, alpha)
				for i, v := range out {
					want := spec.Forward(float64(z[i]), float64(alpha))
					if math.Abs(float64(v)-want) > 4e-7*math.Abs(want)+1e-7 {
						t.Fatalf("%s: f(%v) = %v, reference %v", name, z[i], v, want)
					}
				}
				inPlace := append([]float32(nil), z...)
				Table[a].Forward(inPlace, inPlace, alpha)
				dz := make([]float32, n)
				Table[a].Backward(dz, z, out, dout, alpha)
				for i, v := range dz {
					if inPlace[i] != out[i] {
						t.Fatalf("%s: in place f(%v) = %v, not in place %v", name, z[i], inPlace[i], out[i])
					}
					want := float64(dout[i]) * spec.Derivative(float64(z[i]), float64(alpha))
					// 3e-7·|dout|: a derivative through the rounded output
					// (1 − out²) is off by up to 2 ulp(1)·|out|.
					if math.Abs(float64(v)-want) > 1e-6*math.Abs(want)+3e-7*math.Abs(float64(dout[i])) {
						t.Fatalf("%s: dout·f′(%v) = %v, reference %v", name, z[i], v, want)
					}
				}
				Table[a].Backward(dout, z, out, dout, alpha)
				for i := range dz {
					if dout[i] != dz[i] {
						t.Fatalf("%s: backward into dout gives %v, into dz %v", name, dout[i], dz[i])
					}
				}
			}
		}
	}
}
