package nn

import (
	"math"
	"slices"
	"testing"
)

// EpochsDone counts the epochs begun, worked by hand for 3 updates an
// epoch: updates 1–3 are in the first, 4–6 in the second.
func TestEpochsDone(t *testing.T) {
	p := NewBatchPlan(10, 4)
	for s, want := range []int{0, 1, 1, 1, 2, 2, 2, 3} {
		if got := p.EpochsDone(s); got != want {
			t.Errorf("EpochsDone(%d) = %d, want %d", s, got, want)
		}
	}
}

// The largest epoch count whose updates a step counter holds is accepted,
// one more is not.
func TestUpdatesLargestEpochCount(t *testing.T) {
	p := NewBatchPlan(10, 4) // 3 updates an epoch
	e := math.MaxInt / 3
	if n, err := p.Updates(0, e); err != nil || n != e*3 {
		t.Errorf("Updates(0, %d) = %d, %v; want %d", e, n, err, e*3)
	}
	if _, err := p.Updates(0, e+1); err == nil {
		t.Errorf("Updates(0, %d) accepted: %d updates overflow", e+1, p.PerEpoch)
	}
}

// Shuffle is Fisher–Yates drawing j from [0, i] for i = n−1 down to 1, the
// algorithm of the standard library's Rand.Shuffle: on the same stream,
// epoch after epoch, both give the same permutations (a draw too many
// would shift every later epoch).
func TestShuffleMatchesFisherYates(t *testing.T) {
	got, want := ShuffleRand(5), ShuffleRand(5)
	perm := make([]int32, 7)
	for epoch := 0; epoch < 3; epoch++ {
		Shuffle(got, perm)
		ref := []int32{0, 1, 2, 3, 4, 5, 6}
		want.Shuffle(len(ref), func(i, j int) { ref[i], ref[j] = ref[j], ref[i] })
		if !slices.Equal(perm, ref) {
			t.Fatalf("epoch %d: Shuffle gave %v, Rand.Shuffle %v", epoch, perm, ref)
		}
	}
}
