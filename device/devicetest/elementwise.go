package devicetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// keep is the dropout rule written out independently of
// device.DropoutKeep, so that a device and the expected mask cannot share
// a bug: the top 24 bits of the SplitMix64 finaliser of seed + i·φ, as a
// fraction of 2²⁴, compared with p.
func keep(seed uint64, i int, p float32) bool {
	z := seed + uint64(i)*0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	z ^= z >> 31
	return float32(z>>40)/(1<<24) >= p
}

func testDropout(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(10, 1))
	for _, p := range []float32{0.1, 0.5} {
		for _, n := range Shapes {
			x := random(rng, n)
			xb := upload(t, d, x)
			mask := poisoned(t, d, n)
			seed := rng.Uint64()
			d.Dropout(xb, mask, n, p, seed)
			wantMask, wantX := make([]float64, n), make([]float64, n)
			scale := float64(float32(1) / (1 - p))
			for i := range wantMask {
				if keep(seed, i, p) {
					wantMask[i] = scale
				}
				wantX[i] = float64(x[i]) * wantMask[i]
			}
			name := fmt.Sprintf("dropout p=%v n=%d", p, n)
			check(t, name+" mask", download(t, d, mask, n), wantMask, 0, 0)
			check(t, name+" x", download(t, d, xb, n), wantX, 1e-7, 0)
		}
	}
	// The mask itself: about p of a large vector dropped.
	n, p := 100000, float32(0.3)
	kept := 0
	for i := 0; i < n; i++ {
		if keep(12345, i, p) {
			kept++
		}
	}
	if frac := 1 - float64(kept)/float64(n); math.Abs(frac-0.3) > 0.01 {
		t.Errorf("DropoutKeep drops %.4f of elements, want 0.3 ± 0.01", frac)
	}
}

func testMul(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(11, 1))
	for _, n := range Shapes {
		a, b := random(rng, n), random(rng, n)
		ab, bb := upload(t, d, a), upload(t, d, b)
		out := poisoned(t, d, n)
		d.Mul(ab, bb, out, n)
		want := make([]float64, n)
		for i := range want {
			want[i] = float64(a[i]) * float64(b[i])
		}
		check(t, fmt.Sprintf("mul n=%d", n), download(t, d, out, n), want, 1e-7, 0)
	}
}
