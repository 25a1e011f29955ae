package sweep

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// Integer ranges may reach int32's ends.
func TestIntegerRangeEnds(t *testing.T) {
	for _, s := range []string{"-2147483648:0", "0:2147483647"} {
		if _, err := parseRange("batch-size", s, Integer); err != nil {
			t.Errorf("range %s: %v", s, err)
		}
	}
}

// A random plan of one trial is valid.
func TestOneRandomTrial(t *testing.T) {
	p := Plan{Params: []Param{{Flag: "lr", Range: &Range{Lo: 1e-3, Hi: 1e-1, Log: true}}}, Trials: 1, Seed: 1}
	if trials, err := p.Expand(); err != nil || len(trials) != 1 {
		t.Errorf("one trial: %d, %v", len(trials), err)
	}
}

// The draws' distributions against the ranges' definitions, over 4000
// draws (sampling error of a frequency about 0.008): a log-uniform integer
// in 2…6 is ⌊2·3.5^u⌋, so k comes with probability log((k+1)/k)/log 3.5
// (0.324, 0.230, 0.178, 0.146, 0.123); a uniform real in [1, 3] falls in
// each quarter a quarter of the time.
func TestDrawDistributions(t *testing.T) {
	const n = 4000
	rng := rand.New(rand.NewPCG(1, 2))
	counts := map[int]int{}
	for i := 0; i < n; i++ {
		v, err := strconv.Atoi(Range{Lo: 2, Hi: 6, Log: true, Int: true}.draw(rng))
		if err != nil || v < 2 || v > 6 {
			t.Fatalf("log integer draw %d (%v) outside 2…6", v, err)
		}
		counts[v]++
	}
	for k := 2; k <= 6; k++ {
		want := math.Log(float64(k+1)/float64(k)) / math.Log(3.5)
		if got := float64(counts[k]) / n; math.Abs(got-want) > 0.03 {
			t.Errorf("log integer draws: %d in %.3f of them, want %.3f", k, got, want)
		}
	}
	quarters := make([]int, 4)
	for i := 0; i < n; i++ {
		v, err := strconv.ParseFloat(Range{Lo: 1, Hi: 3}.draw(rng), 64)
		if err != nil || v < 1 || v > 3 {
			t.Fatalf("real draw %v (%v) outside [1, 3]", v, err)
		}
		quarters[min(int((v-1)*2), 3)]++
	}
	for q, c := range quarters {
		if got := float64(c) / n; math.Abs(got-0.25) > 0.03 {
			t.Errorf("real draws: quarter %d holds %.3f of them, want 0.25", q, got)
		}
	}
}
