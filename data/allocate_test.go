package data

import (
	"reflect"
	"testing"
)

// allocate's rules on hand-worked cases: from the rounded-down ideals,
// rows go to (or come from) the group furthest from its ideal, the lowest
// on a tie, within each group's bounds.
func TestAllocate(t *testing.T) {
	for _, c := range []struct {
		name   string
		ideal  []float64
		lo, hi []int
		total  int
		want   []int
	}{
		// Floors 1, 2, 1 make 4; group 0 is 0.6 short, group 1 0.4.
		{"one up", []float64{1.6, 2.4, 1.0}, []int{0, 0, 0}, []int{5, 5, 5}, 5, []int{2, 2, 1}},
		// Both 0.5 short: the lower group gets the row.
		{"tie up", []float64{1.5, 1.5}, []int{0, 0}, []int{5, 5}, 3, []int{2, 1}},
		// Group 0 is furthest but at its upper bound.
		{"bounded up", []float64{1.9, 1.1}, []int{0, 0}, []int{1, 5}, 3, []int{1, 2}},
		// Lower bounds 2 and 2 make 4 of 3: group 1 is further above its
		// ideal (1.0 against 0.5).
		{"one down", []float64{1.5, 1.0}, []int{2, 2}, []int{5, 5}, 3, []int{2, 2}},
		// Lower bound 1 lifts group 0 to make 3 of 2: of the groups above
		// their lower bounds, group 2 is further above its ideal (−0.2
		// against −0.6).
		{"down", []float64{0.2, 1.6, 1.2}, []int{1, 0, 0}, []int{5, 5, 5}, 2, []int{1, 1, 0}},
		// Floors 1, 2 make 3 of 4: group 1 is further short (0.9 against
		// 0.4) although it already holds more rows.
		{"later up", []float64{1.4, 2.9}, []int{0, 0}, []int{10, 10}, 4, []int{1, 3}},
		// Lower bound 2 lifts group 2 to make 5 of 4: of the groups above
		// their lower bounds, group 0 is further above its ideal (−0.2
		// against −0.9) although it holds fewer rows.
		{"earlier down", []float64{1.2, 2.9, 0.1}, []int{0, 0, 2}, []int{5, 5, 5}, 4, []int{0, 2, 2}},
		// Both 0.5 below their ideals on the way down: the lower group
		// gives the row.
		{"tie down", []float64{1.5, 1.5, 0}, []int{0, 0, 2}, []int{5, 5, 5}, 3, []int{0, 1, 2}},
		// Bounds that cannot reach the total: as close as they allow.
		{"unreachable", []float64{3, 3}, []int{0, 0}, []int{1, 1}, 6, []int{1, 1}},
	} {
		if got := allocate(c.ideal, c.lo, c.hi, c.total); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: allocate = %v, want %v", c.name, got, c.want)
		}
	}
}
