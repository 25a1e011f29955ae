package data

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// Regression labels that are text: the error names the first of them,
// also when it is the first row.
func TestRegressionTextLabelNamesTheFirst(t *testing.T) {
	_, err := EncodeWith(labelled(t, "abc", "def", "1"), nil, TaskRegression)
	checkErr(t, err, `x.csv:2:2: label "abc" in column "experimental_class" is not a number (regression needs numeric labels)`)
	// In memory there is no line to point at: the row number stands in.
	d, err := FromRows([][]float64{{1}, {2}}, []string{"a", "2"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = EncodeWith(d, nil, TaskRegression)
	if err == nil || !strings.Contains(err.Error(), `row 1: label "a" in column "y" is not a number`) {
		t.Fatalf("in memory: %v", err)
	}
}

// A class too small for stratified k-fold is named by its value as
// written: 12, not a rounding of it.
func TestKFoldNamesTheClass(t *testing.T) {
	_, err := KFold([]float64{12, 12, 3, 3, 3}, 3, true, 1)
	if err == nil || !strings.Contains(err.Error(), "class 12 has only 2 rows") {
		t.Fatalf("%v, want it to name class 12 with 2 rows", err)
	}
}

// Missing-value markers match whatever their case, also those beginning
// with the first and last capital letters, and a Greek one whose capital
// begins with another byte (Ω is CE A9, ω CF 89).
func TestNAValuesAnyCase(t *testing.T) {
	d := single(t, "a,class\nABSENT,x\nZilch,y\nΩmit,x\n1,y\n", "class", Options{NAValues: []string{"absent", "zilch", "ωmit"}})
	got := rows(d)
	if !math.IsNaN(got[0][0]) || !math.IsNaN(got[1][0]) || !math.IsNaN(got[2][0]) || got[3][0] != 1 {
		t.Fatalf("rows %v, want NaN, NaN, NaN, 1", got)
	}
}

// A category is the shortest exact spelling of a number: 12.0 and 12 are
// one, 12 and 13 are two.
func TestCellKey(t *testing.T) {
	for _, c := range []struct {
		text   string
		v      float64
		isText bool
		want   string
	}{{"12.0", 0, true, "12"}, {"13", 0, true, "13"}, {"", 12, false, "12"}, {"", 0.125, false, "0.125"}, {"red", 0, true, "red"}} {
		if got := cellKey(c.text, c.v, c.isText); got != c.want {
			t.Errorf("cellKey(%q, %v, %v) = %q, want %q", c.text, c.v, c.isText, got, c.want)
		}
	}
}

// The most frequent value imputed: the smallest of those tied for most
// frequent (scikit-learn's rule), missing cells counted apart.
func TestNumericFillMostFrequentTie(t *testing.T) {
	d := single(t, "a,class\n2,x\n1,x\nNA,x\n2,x\n3,x\n1,x\n", "class", Options{})
	// Repeated: the counts are in a map, whose order changes from run to
	// run; the answer must not.
	for range 20 {
		fill, missing := numericFill(d.column(0), []int{0, 1, 2, 3, 4, 5}, ImputeMostFrequent)
		if fill != 1 || missing != 1 {
			t.Fatalf("fill %v, %d missing; want 1, 1", fill, missing)
		}
	}
}

// Categories are ranked by count, then by name: the most frequent fills
// the missing cells, and MaxCategories keeps the first ones.
func TestFitCategoriesOrder(t *testing.T) {
	col := PrepColumn{Name: "c", Missing: 1}
	fitCategories(&col, map[string]int{"a": 1, "b": 3, "c": 3}, PrepConfig{Impute: ImputeMostFrequent, MaxCategories: 2})
	if col.FillCategory != "b" || !reflect.DeepEqual(col.Categories, []string{"b", "c"}) || !col.Other {
		t.Fatalf("fill %q, categories %v, other %v; want b, [b c], true", col.FillCategory, col.Categories, col.Other)
	}
}

// A numeric-only preprocessing says nothing of categories.
func TestDescribeNumericOnly(t *testing.T) {
	d := single(t, "a,b,class\n1,2,x\n3,4,y\n", "class", Options{})
	p, err := FitPrep(d, []int{0, 1}, PrepConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Describe(); got != "2 numeric → 2 inputs" {
		t.Fatalf("Describe() = %q", got)
	}
}

// The category of a numeric cell is read from its own row and column.
func TestNumericCategoryCell(t *testing.T) {
	d := single(t, "a,b,class\n1,2,x\n3,4,y\n5,6,x\n", "class", Options{})
	col := d.column(1)
	for i, want := range []string{"2", "4", "6"} {
		if got := col.category(i); got != want {
			t.Errorf("row %d: category %q, want %q", i, got, want)
		}
	}
	// In memory (no text at all) the cells read as numbers.
	m, err := FromRows([][]float64{{1.5}, {2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.ColumnText(0); !reflect.DeepEqual(got, []string{"1.5", "2"}) {
		t.Errorf("ColumnText = %q", got)
	}
}

// fitCategories on its bounds: a column with no category at all gets a
// missing slot even when imputing the most frequent, and MaxCategories
// categories are all kept without an "other" slot.
func TestFitCategoriesBounds(t *testing.T) {
	col := PrepColumn{Name: "c", Missing: 2}
	fitCategories(&col, map[string]int{}, PrepConfig{Impute: ImputeMostFrequent})
	if !col.MissingSlot || col.FillCategory != "" {
		t.Errorf("all missing: slot %v, fill %q; want a missing slot", col.MissingSlot, col.FillCategory)
	}
	col = PrepColumn{Name: "c"}
	fitCategories(&col, map[string]int{"a": 1, "b": 2, "c": 3}, PrepConfig{MaxCategories: 3})
	if col.Other || len(col.Categories) != 3 {
		t.Errorf("3 categories of at most 3: %v, other %v", col.Categories, col.Other)
	}
}

// A scaler fitted on no rows is the identity: mean 0, scale 1.
func TestFitScalerNoRows(t *testing.T) {
	d := single(t, "a,class\n5,x\n7,y\n", "class", Options{})
	s := FitScaler(d, []int{})
	if s.Mean[0] != 0 || s.Scale[0] != 1 {
		t.Fatalf("mean %v, scale %v; want 0, 1", s.Mean, s.Scale)
	}
}
