package data

import (
	"reflect"
	"testing"
)

// A subset of the columns keeps each column's place in the file: the
// label is the file's first column here, so feature "b" is file column 3,
// and --columns-style numbers still name it after Columns.
func TestColumnsKeepFileColumns(t *testing.T) {
	d := single(t, "class,a,b\nx,1,2\ny,3,4\n", "class", Options{})
	sub := d.Columns([]int{1})
	checkConsistent(t, sub)
	idx, err := sub.ResolveColumns("--features", "3")
	if err != nil || len(idx) != 1 || idx[0] != 0 {
		t.Fatalf("file column 3 of the subset: %v, %v; want [0]", idx, err)
	}
}

// Columns picks and reorders the values of every row.
func TestColumnsValues(t *testing.T) {
	d := single(t, "a,b,c,class\n1,2,3,x\n4,5,6,y\n7,8,9,x\n", "class", Options{})
	sub := d.Columns([]int{2, 0})
	checkConsistent(t, sub)
	if got, want := rows(sub), [][]float64{{3, 1}, {6, 4}, {9, 7}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	if got, want := sub.FeatureNames, []string{"c", "a"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
}

// ResolveColumns on a data set with no file behind it (FromRows): column
// numbers count the features from 1; the first feature is found by name.
func TestResolveColumnsInMemory(t *testing.T) {
	d, err := FromRows([][]float64{{1, 2, 3}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		list string
		want []int
	}{{"1", []int{0}}, {"2-3", []int{1, 2}}, {"x1", []int{0}}, {"x3,1", []int{0, 2}}} {
		got, err := d.ResolveColumns("--categorical", c.list)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %v, %v; want %v", c.list, got, err, c.want)
		}
	}
}
