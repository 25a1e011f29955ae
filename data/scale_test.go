package data

import (
	"math"
	"reflect"
	"testing"
)

func TestScaler(t *testing.T) {
	d, err := FromRows([][]float64{{1, 10, 5}, {2, 20, 5}, {3, 30, 5}, {100, -1, 7}}, []string{"a", "b", "a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	// Fit on the first three rows: means 2, 20, 5; sd (ddof 1) 1, 10, 0→1.
	s := FitScaler(d, []int{0, 1, 2})
	if !reflect.DeepEqual(s.Mean, []float64{2, 20, 5}) || !reflect.DeepEqual(s.Scale, []float64{1, 10, 1}) {
		t.Fatalf("mean %v scale %v", s.Mean, s.Scale)
	}
	z := s.Transform(d)
	want := [][]float64{{-1, -1, 0}, {0, 0, 0}, {1, 1, 0}, {98, -2.1, 2}}
	for i, w := range want {
		for j := range w {
			if math.Abs(z.Row(i)[j]-w[j]) > 1e-12 {
				t.Fatalf("row %d = %v, want %v", i, z.Row(i), w)
			}
		}
	}
	if !reflect.DeepEqual(z.Labels, d.Labels) || !reflect.DeepEqual(z.FeatureNames, d.FeatureNames) {
		t.Fatal("labels or names lost")
	}
	if d.Row(0)[0] != 1 {
		t.Fatal("Transform changed its input")
	}
	// All rows, hand-computed: column 0 = 1,2,3,100 → mean 26.5.
	all := FitScaler(d, nil)
	sd := math.Sqrt((25.5*25.5 + 24.5*24.5 + 23.5*23.5 + 73.5*73.5) / 3)
	if all.Mean[0] != 26.5 || math.Abs(all.Scale[0]-sd) > 1e-12 {
		t.Fatalf("all rows: mean %v scale %v (want sd %v)", all.Mean[0], all.Scale[0], sd)
	}
	// One row: sd undefined → 1.
	one := FitScaler(d, []int{3})
	if !reflect.DeepEqual(one.Scale, []float64{1, 1, 1}) || !reflect.DeepEqual(one.Mean, []float64{100, -1, 7}) {
		t.Fatalf("one row: %v %v", one.Mean, one.Scale)
	}
	// Label locations carry over.
	f := single(t, "a,y\n1,p\n2,inf\n", "", Options{})
	if _, _, _, err := Encode(FitScaler(f, nil).Transform(f), TaskAuto); err == nil || err.Error() != `x.csv:3:2: label "inf" is not a finite number` {
		t.Fatalf("location lost: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("column mismatch did not panic")
			}
		}()
		s.Transform(f)
	}()
}
