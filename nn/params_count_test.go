package nn

import (
	"math"
	"testing"
)

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

// The initialisation schemes' ranges, for a 20 → 30 layer (600 weights):
// Glorot's weights within ±√(6/50) and reaching near its ends, He's and
// the normal scheme's sample deviation within 15 % of √(2/20) and 1 (the
// sampling error of 600 draws is about 3 %); only the normal scheme draws
// biases.
func TestInitRanges(t *testing.T) {
	arch := Arch{Inputs: 20, Outputs: 30}
	sd := func(v []float32) float64 {
		s := 0.0
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		return math.Sqrt(s / float64(len(v)))
	}
	zero := func(v []float32) bool {
		for _, x := range v {
			if x != 0 {
				return false
			}
		}
		return true
	}
	g := InitParams(arch, InitGlorot, 3)
	lim, top := math.Sqrt(6.0/50), 0.0
	for _, w := range g.W[0] {
		top = math.Max(top, math.Abs(float64(w)))
	}
	if top > lim || top < 0.9*lim || !zero(g.B[0]) {
		t.Errorf("glorot: largest |w| %v, want in [0.9, 1]·%v; biases zero %v", top, lim, zero(g.B[0]))
	}
	h := InitParams(arch, InitHe, 3)
	if s, want := sd(h.W[0]), math.Sqrt(2.0/20); math.Abs(s-want) > 0.15*want || !zero(h.B[0]) {
		t.Errorf("he: deviation %v, want %v; biases zero %v", s, want, zero(h.B[0]))
	}
	n := InitParams(arch, InitNormal, 3)
	if s := sd(n.W[0]); math.Abs(s-1) > 0.15 || zero(n.B[0]) {
		t.Errorf("normal: deviation %v, want 1; biases zero %v", s, zero(n.B[0]))
	}
}

// Restart seeds are reported with each restart's result, so a restart can
// be rerun alone: restart 0 is the run's own seed, restart r adds r times
// 0x9E3779B97F4A7C15 modulo 2⁶⁴ (the sums computed independently, in Python).
func TestRestartSeed(t *testing.T) {
	for r, want := range []uint64{5, 0x9e3779b97f4a7c1a, 0x3c6ef372fe94f82f} {
		if got := RestartSeed(5, r); got != want {
			t.Errorf("RestartSeed(5, %d) = %#x, want %#x", r, got, want)
		}
	}
}
