package metrics

import (
	"fmt"
	"strconv"
	"strings"
)

// Confusion is a K×K confusion matrix: Counts[actual][predicted] is the number
// of samples whose true class is actual and whose predicted class is predicted.
// Classes holds the K class labels, in class-index order.
type Confusion struct {
	Classes []string
	Counts  [][]int
}

// NewConfusion counts the (actual, predicted) pairs into a K×K confusion
// matrix, where K = len(classes). If classes is nil, K is one more than the
// largest label seen and the classes are named "0", "1", ….
//
// It panics if actual and predicted differ in length or a label is outside
// [0, K).
func NewConfusion(classes []string, actual, predicted []int) Confusion {
	if len(actual) != len(predicted) {
		panic(fmt.Sprintf("metrics: NewConfusion: %d actual labels but %d predicted", len(actual), len(predicted)))
	}
	if classes == nil {
		k := 0
		for i := range actual {
			k = max(k, actual[i]+1, predicted[i]+1)
		}
		classes = indexNames(k)
	}
	k := len(classes)
	c := Confusion{Classes: classes, Counts: make([][]int, k)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, k)
	}
	for i, a := range actual {
		p := predicted[i]
		if a < 0 || a >= k || p < 0 || p >= k {
			panic(fmt.Sprintf("metrics: NewConfusion: sample %d has label (actual %d, predicted %d) outside [0, %d)", i, a, p, k))
		}
		c.Counts[a][p]++
	}
	return c
}

// indexNames returns the class names "0", "1", …, strconv(k-1).
func indexNames(k int) []string {
	names := make([]string, k)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	return names
}

// Total returns the number of samples counted in the matrix.
func (c Confusion) Total() int {
	n := 0
	for _, row := range c.Counts {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// tableGap is the number of spaces before each count column of Table.
const tableGap = 3

// Table renders the matrix as a labelled table, one line per actual class,
// each line ending in a newline and without trailing spaces. For classes NRB
// and RB:
//
//	         predicted
//	actual   NRB    RB
//	NRB      672    27
//	RB        38   318
//
// The row-label column is left-aligned and as wide as the longest of "actual"
// and the class labels; every count column is right-aligned, as wide as the
// longest class label or count, and preceded by three spaces.
func (c Confusion) Table() string {
	lw := len("actual")
	cw := 0
	for _, name := range c.Classes {
		lw = max(lw, len(name))
		cw = max(cw, len(name))
	}
	for _, row := range c.Counts {
		for _, v := range row {
			cw = max(cw, len(strconv.Itoa(v)))
		}
	}
	var b strings.Builder
	line := func(label string, cells []string) {
		var l strings.Builder
		fmt.Fprintf(&l, "%-*s", lw, label)
		for _, cell := range cells {
			fmt.Fprintf(&l, "%*s%*s", tableGap, "", cw, cell)
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	line(strings.Repeat(" ", lw+tableGap)+"predicted", nil)
	line("actual", c.Classes)
	for i, row := range c.Counts {
		cells := make([]string, len(row))
		for j, v := range row {
			cells[j] = strconv.Itoa(v)
		}
		label := ""
		if i < len(c.Classes) {
			label = c.Classes[i]
		}
		line(label, cells)
	}
	return b.String()
}
