package nn

import (
	"math"
	"slices"
	"testing"
)

// TestBatchPlanCoversEveryRowOncePerEpoch checks the plan's batches: each
// epoch's batches tile its row order exactly, the last one shorter, and
// Order gives one permutation per epoch begun.
func TestBatchPlanCoversEveryRowOncePerEpoch(t *testing.T) {
	p := NewBatchPlan(10, 4)
	if p.PerEpoch != 3 || p.FullBatch() {
		t.Fatalf("plan %+v", p)
	}
	var sizes []int
	next := 0
	for i := 0; i < 2*p.PerEpoch; i++ {
		index, off, rows := p.Batch(i)
		if p.StartsEpoch(i) {
			next = 0
		}
		if off != next || index != i%3 || p.Epoch(i) != i/3+1 {
			t.Fatalf("update %d: batch %d at %d, want at %d", i, index, off, next)
		}
		next += rows
		sizes = append(sizes, rows)
	}
	if !slices.Equal(sizes, []int{4, 4, 2, 4, 4, 2}) {
		t.Errorf("batch sizes %v", sizes)
	}
	order := p.Order(7, 4) // updates 0…3 begin two epochs
	if len(order) != 20 || !IsPermutation(order[:10], 10) || !IsPermutation(order[10:], 10) || slices.Equal(order[:10], order[10:]) {
		t.Errorf("order %v", order)
	}
	if !NewBatchPlan(10, 0).FullBatch() || !NewBatchPlan(10, 11).FullBatch() || NewBatchPlan(10, 0).Order(7, 4) != nil {
		t.Error("a batch of 0 or more than the rows is not a full batch")
	}
	if n, err := p.Updates(0, 5); n != 15 || err != nil {
		t.Errorf("5 epochs: %d updates, %v", n, err)
	}
	if _, err := p.Updates(0, math.MaxInt/2); err == nil {
		t.Error("an epoch count whose updates overflow is accepted")
	}
}
