package data

import (
	"reflect"
	"strings"
	"testing"
)

// Integer codes forced categorical are counted by value: with one kept
// category it is the most frequent code (1: three rows, against one each
// for 2 and 3), which is also the fill of the missing cell.
func TestNumericCategoriesByCount(t *testing.T) {
	d := single(t, "x,y\n2,a\n1,b\n3,a\n1,b\n,a\n1,b\n", "", Options{})
	if d.Text != nil && d.Text[0] != nil {
		t.Fatalf("column x kept as text: the numeric counting path is not taken")
	}
	p, err := FitPrep(d, nil, PrepConfig{Categorical: []string{"x"}, MaxCategories: 1, Impute: ImputeMostFrequent})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Columns[0]
	if c.Kind != Categorical || !reflect.DeepEqual(c.Categories, []string{"1"}) || !c.Other || c.FillCategory != "1" || c.Missing != 1 {
		t.Errorf("column %+v: want the one category 1, an other slot, 1 as the fill and 1 missing cell", c)
	}
}

// A cell error of features read from two files names the feature file
// (where the cell is), not the pair.
func TestCellErrorNamesTheFeatureFile(t *testing.T) {
	d, err := ParseXY(strings.NewReader("a,b\n1,2\n3,4\n5,x\n"), "x.csv", strings.NewReader("y\np\nq\np\n"), "y.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := FitPrep(d, []int{0, 1}, PrepConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Transform(d); err == nil || !strings.HasPrefix(err.Error(), `x.csv:4:2: cell "x" in column "b"`) {
		t.Errorf("text in a numeric column of x.csv: %v", err)
	}
}
