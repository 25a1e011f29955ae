package data

import (
	"reflect"
	"testing"
)

// The smallest k (2) and the largest (one row per fold) are allowed.
func TestKFoldBounds(t *testing.T) {
	y := []float64{0, 1, 0, 1}
	folds, err := KFold(y, 2, true, 1)
	if err != nil {
		t.Fatalf("k=2: %v", err)
	}
	checkPartition(t, len(y), folds...)
	for _, f := range folds {
		if count(y, f, 0) != 1 || count(y, f, 1) != 1 {
			t.Errorf("k=2 fold %v: want one row of each class", f)
		}
	}
	folds, err = KFold([]float64{5, 6, 7}, 3, false, 1)
	if err != nil {
		t.Fatalf("k=n: %v", err)
	}
	checkPartition(t, 3, folds...)
	for _, f := range folds {
		if len(f) != 1 {
			t.Errorf("k=n fold %v: want one row", f)
		}
	}
}

// Indices outside 0..n-1 are ignored, n itself included.
func TestComplementIgnoresOutOfRange(t *testing.T) {
	if got, want := Complement(3, []int{3, -1, 1}), []int{0, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("Complement(3, [3 -1 1]) = %v, want %v", got, want)
	}
}
