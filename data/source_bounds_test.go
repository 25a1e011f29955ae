package data

import (
	"math"
	"testing"
)

// estimateRows from a sample whose rows after the header average 3 bytes:
// a 300-byte file holds about 100 rows, reserved with 10% and 16 to spare.
func TestEstimateRows(t *testing.T) {
	for _, c := range []struct {
		sample string
		size   int64
		want   int
	}{
		{"h\nab\ncd\n", 300, int(300.0/3*1.1) + 16},
		{"header only\n", 300, 0},
		{"no line break", 300, 0},
		// One row after the header: 4 bytes a row.
		{"h\nabc\n", 40, int(40.0/4*1.1) + 16},
	} {
		if got := estimateRows([]byte(c.sample), c.size); got != c.want {
			t.Errorf("estimateRows(%q, %d) = %d, want %d", c.sample, c.size, got, c.want)
		}
	}
}

// capacityHint reserves rows × width values, at most half the file's
// bytes, and nothing for an unknown or overflowing count.
func TestCapacityHintBounds(t *testing.T) {
	for _, c := range []struct {
		src  RecordSource
		w    int
		want int
	}{
		{sizedRecords{rows: 10, size: 1000}, 3, 30},
		{sizedRecords{rows: 10, size: 40}, 3, 20},
		{sizedRecords{rows: 0, size: 1000}, 3, 0},
		{sizedRecords{rows: math.MaxInt / 3, size: 1 << 62}, 3, 1 << 61},
		{sizedRecords{rows: math.MaxInt/3 + 1, size: 1 << 62}, 3, 0},
		{nil, 3, 0},
	} {
		if got := capacityHint(c.src, c.w); got != c.want {
			t.Errorf("capacityHint(%+v, %d) = %d, want %d", c.src, c.w, got, c.want)
		}
	}
}
