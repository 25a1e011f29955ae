package data

import (
	"fmt"
	"testing"
)

// TestSplitKeepsATrainingRowPerClass checks the promise that every class
// keeps a training row when the requested held-out fractions would take
// all of a small class: two classes of two rows with a test fraction of
// 0.7 ask for round(2.8) = 3 test rows, but each class can give only one.
func TestSplitKeepsATrainingRowPerClass(t *testing.T) {
	for _, c := range []struct {
		counts    []int
		val, test float64
		wantTest  int // rows the test set can have: each class keeps a training row
		wantVal   int
	}{
		{[]int{2, 2}, 0, 0.7, 2, 0},
		{[]int{2, 2}, 0.7, 0, 0, 2},
		{[]int{1, 2, 2}, 0, 0.9, 2, 0},
		{[]int{3, 3}, 0.4, 0.5, 2, 2},
		// The class of 3 gives its test minimum, then can give only one
		// validation row of the two asked for: its validation bound
		// counts the test row already taken.
		{[]int{3, 1}, 0.5, 0.25, 1, 1},
	} {
		for seed := uint64(0); seed < 10; seed++ {
			name := fmt.Sprintf("classes %v val %v test %v seed %d", c.counts, c.val, c.test, seed)
			y := classLabels(c.counts...)
			train, val, test, err := Split(y, c.val, c.test, true, seed)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkPartition(t, len(y), train, val, test)
			for cl := range c.counts {
				if count(y, train, float64(cl)) == 0 {
					t.Errorf("%s: class %d has no training row (train %v val %v test %v)", name, cl, train, val, test)
				}
			}
			if len(test) != c.wantTest || len(val) != c.wantVal {
				t.Errorf("%s: %d test and %d validation rows, want %d and %d", name, len(test), len(val), c.wantTest, c.wantVal)
			}
		}
	}
}
