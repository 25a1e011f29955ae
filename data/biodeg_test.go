package data

import (
	"math"
	"strings"
	"testing"
)

func TestBiodegShape(t *testing.T) {
	d, err := Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows() != 1055 || d.Cols() != 41 {
		t.Fatalf("shape %d×%d, want 1055×41", d.Rows(), d.Cols())
	}
	if s := d.X.Shape(); s[0] != 1055 || s[1] != 41 {
		t.Fatalf("X shape %v", s)
	}
	if len(d.FeatureNames) != 41 || d.FeatureNames[0] != "SpMax_L" || d.FeatureNames[1] != "J_Dz(e)" || d.FeatureNames[40] != "nX" {
		t.Fatalf("feature names %v", d.FeatureNames)
	}
	if !strings.Contains(d.Source, "1055×41") {
		t.Errorf("source %q", d.Source)
	}
	y, classes, task, err := Encode(d, TaskAuto)
	if err != nil {
		t.Fatal(err)
	}
	if task != TaskBinary || len(classes) != 2 || classes[0] != "NRB" || classes[1] != "RB" {
		t.Fatalf("task %v classes %v", task, classes)
	}
	pos := 0
	for _, v := range y {
		if v == 1 {
			pos++
		}
	}
	if pos != 356 {
		t.Fatalf("%d positives, want 356", pos)
	}
	// First row of the raw file: 3.919;2.6909;0;... ;RB
	if r := d.Row(0); r[0] != 3.919 || r[1] != 2.6909 || d.Labels[0] != "RB" {
		t.Fatalf("row 0 = %v..., label %q", r[:2], d.Labels[0])
	}
	// Each call returns an independent copy.
	d2, _ := Biodeg()
	d2.Row(0)[0] = 99
	if d.Row(0)[0] == 99 {
		t.Fatal("Biodeg shares data between calls")
	}
}

// The shipped biodeg_X.csv is the full-data ddof-1 standardisation of
// biodeg.csv, and biodeg_y.csv its labels as 0/1.
func TestBiodegMatchesWorkshopPreprocessing(t *testing.T) {
	d, err := Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	xy, err := LoadXY("biodeg/biodeg_X.csv", "biodeg/biodeg_y.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if xy.Rows() != 1055 || xy.Cols() != 41 {
		t.Fatalf("biodeg_X shape %d×%d", xy.Rows(), xy.Cols())
	}
	if xy.LabelName != "experimental_class" || xy.FeatureNames[0] != "spmax_l" || xy.FeatureNames[40] != "nx" {
		t.Fatalf("names %q %v", xy.LabelName, xy.FeatureNames)
	}
	// The workshop's names are cleaned, lower-case versions of ours.
	clean := strings.NewReplacer("-", "_", "(", "_", ")", "_")
	for j, name := range d.FeatureNames {
		if got := clean.Replace(strings.ToLower(name)); got != xy.FeatureNames[j] {
			t.Errorf("column %d: %q cleans to %q, biodeg_X has %q", j, name, got, xy.FeatureNames[j])
		}
	}
	s := FitScaler(d, nil)
	z := s.Transform(d)
	worst := 0.0
	for i := 0; i < z.Rows(); i++ {
		a, b := z.Row(i), xy.Row(i)
		for j := range a {
			worst = math.Max(worst, math.Abs(a[j]-b[j]))
		}
	}
	if worst > 1e-12 {
		t.Fatalf("max |standardised - biodeg_X| = %g", worst)
	}
	y1, _, _, err := Encode(d, TaskAuto)
	if err != nil {
		t.Fatal(err)
	}
	y2, classes, task, err := Encode(xy, TaskAuto)
	if err != nil {
		t.Fatal(err)
	}
	if task != TaskBinary || classes[0] != "0" || classes[1] != "1" {
		t.Fatalf("biodeg_y task %v classes %v", task, classes)
	}
	for i := range y1 {
		if y1[i] != y2[i] {
			t.Fatalf("row %d: label %v from biodeg.csv, %v from biodeg_y.csv", i, y1[i], y2[i])
		}
	}
}

func TestBiodegSplit(t *testing.T) {
	d, err := Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	y, _, _, err := Encode(d, TaskAuto)
	if err != nil {
		t.Fatal(err)
	}
	train, val, test, err := Split(y, 0, 0.2, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(test) != 211 || len(val) != 0 || len(train) != 844 {
		t.Fatalf("sizes %d/%d/%d", len(train), len(val), len(test))
	}
	for name, part := range map[string][]int{"train": train, "test": test} {
		pos := 0
		for _, i := range part {
			pos += int(y[i])
		}
		if f := float64(pos) / float64(len(part)); math.Abs(f-356.0/1055) > 0.005 {
			t.Errorf("%s: %.4f positive, want about 0.337", name, f)
		}
	}
	train2, val2, test2, err := Split(y, 0.1, 0.2, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(test2) != 211 || len(val2) != 106 || len(train2) != 738 {
		t.Fatalf("sizes %d/%d/%d", len(train2), len(val2), len(test2))
	}
}
