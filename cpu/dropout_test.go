package cpu

import (
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// TestDropoutRunIsDropoutKeep checks the branch-free dropout against
// device.DropoutKeep element by element, at drop probabilities on the
// boundary (p equal to an element's u: kept; one step of 2⁻²⁴ above:
// dropped; half a step above, where rounding the threshold down would
// keep it) and at random ones, from a stream offset other than 0.
func TestDropoutRunIsDropoutKeep(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, first = 257, 1000
	for trial := 0; trial < 50; trial++ {
		seed := rng.Uint64()
		u := device.DropoutUniform(seed, first+rng.IntN(n))
		for _, p := range []float32{u, u + 1.0/(1<<24), u + 1.0/(1<<25), rng.Float32(), 0.5, 1.0 / (1 << 24)} {
			if p >= 1 {
				continue
			}
			x, m := make([]float32, n), make([]float32, n)
			for i := range x {
				x[i] = 1
			}
			dropoutRun(x, m, seed, first, p)
			for j := range m {
				want := float32(0)
				if device.DropoutKeep(seed, first+j, p) {
					want = 1 / (1 - p)
				}
				if m[j] != want || x[j] != want {
					t.Fatalf("seed %d p %v element %d: mask %v, x %v, want %v", seed, p, first+j, m[j], x[j], want)
				}
			}
		}
	}
}
