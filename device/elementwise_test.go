package device

import "testing"

// TestDropoutUniformKnownValues checks the hash against SplitMix64 outputs
// computed outside Go: with seed 0, elements 1 and 2 are the generator's
// first two published outputs (0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4);
// the others were computed by hand with Python's integers.
func TestDropoutUniformKnownValues(t *testing.T) {
	for _, c := range []struct {
		seed  uint64
		i     int
		top24 uint32 // the hash's top 24 bits
	}{
		{0, 1, 0xe220a8},
		{0, 2, 0x6e789e},
		{1, 0, 5673494},
		{7, 3, 15112256},
		{12345, 10, 14554602},
		{1 << 63, 5, 821377},
	} {
		want := float32(c.top24) / (1 << 24)
		if got := DropoutUniform(c.seed, c.i); got != want {
			t.Errorf("DropoutUniform(%d, %d) = %v, want %v", c.seed, c.i, got, want)
		}
		// p just above and at u: dropped, then kept.
		if DropoutKeep(c.seed, c.i, want+1.0/(1<<24)) {
			t.Errorf("DropoutKeep(%d, %d, %v) keeps an element whose u is %v", c.seed, c.i, want+1.0/(1<<24), want)
		}
		if !DropoutKeep(c.seed, c.i, want) {
			t.Errorf("DropoutKeep(%d, %d, %v) drops an element whose u is %v", c.seed, c.i, want, want)
		}
	}
}

// TestDropoutMasksDependOnTheSeed checks that different seeds give
// different masks (each update of a run draws a new seed, so a mask that
// ignored it would drop the same units every step).
func TestDropoutMasksDependOnTheSeed(t *testing.T) {
	const n = 256
	mask := func(seed uint64) (m [n]bool) {
		for i := range m {
			m[i] = DropoutKeep(seed, i, 0.5)
		}
		return m
	}
	seen := map[[n]bool]uint64{}
	for seed := uint64(1); seed <= 8; seed++ {
		m := mask(seed)
		if s, dup := seen[m]; dup {
			t.Fatalf("seeds %d and %d give the same dropout mask", s, seed)
		}
		seen[m] = seed
	}
}
