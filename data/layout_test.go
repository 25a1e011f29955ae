package data

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/internal/advice"
)

// TestHeaderRule checks which first rows are taken as headers and the
// rule each decision names.
func TestHeaderRule(t *testing.T) {
	// 200 headerless rows whose first label occurs only there: the first
	// row is data (its other cells are numbers, as everywhere below).
	var b strings.Builder
	b.WriteString("3.919,2.6909,0,once\n")
	for i := 1; i < 200; i++ {
		fmt.Fprintf(&b, "%d.5,%d,1,%s\n", i, i%7, []string{"RB", "NRB"}[i%2])
	}
	cases := []struct {
		name, text, label string
		opt               Options
		header            bool
		rule              string
		rows              int
	}{
		{"headerless, label once", b.String(), "", Options{}, false, "its cells besides the label are numbers", 200},
		{"numbers", "1,2,3\n4,5,6\n", "", Options{}, false, "its cells are numbers", 2},
		{"names", "a,b,c\n4,5,6\n", "", Options{}, true, `its cell "a" is not a number`, 1},
		{"text label over numeric labels", "1,2,class\n4,5,0\n7,8,1\n", "", Options{}, true, `its label cell "class" is not a number, the labels below are`, 2},
		{"pandas index header", ",a,b\n0,5,6\n1,7,8\n", "", Options{}, true, "its first cell is empty, as over an index column", 2},
		{"forced", "1,2,3\n4,5,6\n", "", Options{Header: HeaderYes}, true, "header setting yes", 1},
		{"refused", "a,b,c\n1,2,3\n", "3", Options{Header: HeaderNo, IndexCol: IndexNo}, false, "header setting no", 2},
		{"named label", "1,2,y\n4,5,6\n", "y", Options{}, true, "it names the label column", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseSingle(strings.NewReader(c.text), "f.csv", c.label, c.opt)
			if c.rows == 0 {
				if err == nil {
					t.Fatalf("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rule := d.Layout.HeaderRule(advice.Words)
			if d.Layout.Header != c.header || rule != c.rule || d.Rows() != c.rows {
				t.Fatalf("header %v (%q), %d rows; want %v (%q), %d", d.Layout.Header, rule, d.Rows(), c.header, c.rule, c.rows)
			}
			if want := strings.Count(strings.SplitN(c.text, "\n", 2)[0], ",") + 1; d.Layout.LabelColumn != want && c.label == "" {
				t.Fatalf("label column %d, want %d", d.Layout.LabelColumn, want)
			}
		})
	}
	// The layout survives Subset.
	d, _ := ParseSingle(strings.NewReader("a,b,c\n1,2,3\n4,5,6\n"), "f.csv", "", Options{})
	s := d.Subset([]int{1})
	if s.Layout.Header != d.Layout.Header || s.Layout.LabelColumn != d.Layout.LabelColumn || s.Layout.HeaderRule(advice.Words) != d.Layout.HeaderRule(advice.Words) {
		t.Fatalf("Subset's layout %+v, want %+v", s.Layout, d.Layout)
	}
}

// TestUnterminatedQuoteLocation opens a quote on line 100 of 200 that is
// never closed: the error names line 100, not the end of the file.
func TestUnterminatedQuoteLocation(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b,label\n")
	for i := 2; i <= 200; i++ {
		if i == 100 {
			b.WriteString("1,\"2,x\n")
			continue
		}
		fmt.Fprintf(&b, "%d,%d,%s\n", i, i, []string{"x", "y"}[i%2])
	}
	_, err := ParseSingle(strings.NewReader(b.String()), "q.csv", "", Options{})
	var de *Error
	if !errors.As(err, &de) || de.Line != 100 || !strings.HasPrefix(err.Error(), "q.csv:100: CSV syntax error: a quoted field of the row starting here is never closed") {
		t.Fatalf("error %v", err)
	}
}
