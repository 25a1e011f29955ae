package data

import (
	"math"
	"reflect"
	"sort"
	"testing"
)

// classes returns n class indices: counts[c] rows of class c, interleaved.
func classLabels(counts ...int) []float64 {
	var y []float64
	left := append([]int(nil), counts...)
	for more := true; more; {
		more = false
		for c := range left {
			if left[c] > 0 {
				y = append(y, float64(c))
				left[c]--
				more = true
			}
		}
	}
	return y
}

// checkPartition checks that the parts are sorted, disjoint and cover 0..n-1.
func checkPartition(t *testing.T, n int, parts ...[]int) {
	t.Helper()
	seen := make([]int, n)
	for _, p := range parts {
		if !sort.IntsAreSorted(p) {
			t.Fatalf("part not sorted: %v", p)
		}
		for _, i := range p {
			if i < 0 || i >= n {
				t.Fatalf("index %d out of range", i)
			}
			seen[i]++
		}
	}
	for i, k := range seen {
		if k != 1 {
			t.Fatalf("row %d appears %d times", i, k)
		}
	}
}

func count(y []float64, idx []int, class float64) int {
	k := 0
	for _, i := range idx {
		if y[i] == class {
			k++
		}
	}
	return k
}

func TestSplitStratified(t *testing.T) {
	y := classLabels(70, 30)
	train, val, test, err := Split(y, 0.1, 0.2, true, 7)
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, 100, train, val, test)
	if len(test) != 20 || len(val) != 10 || len(train) != 70 {
		t.Fatalf("sizes %d/%d/%d", len(train), len(val), len(test))
	}
	if count(y, test, 1) != 6 || count(y, val, 1) != 3 || count(y, train, 1) != 21 {
		t.Fatalf("class 1 counts %d/%d/%d", count(y, train, 1), count(y, val, 1), count(y, test, 1))
	}
	// Deterministic for a seed, different for another.
	tr2, v2, te2, _ := Split(y, 0.1, 0.2, true, 7)
	if !reflect.DeepEqual(train, tr2) || !reflect.DeepEqual(val, v2) || !reflect.DeepEqual(test, te2) {
		t.Fatal("same seed, different split")
	}
	_, _, te3, _ := Split(y, 0.1, 0.2, true, 8)
	if reflect.DeepEqual(test, te3) {
		t.Fatal("different seed, same split")
	}
	// Zero fractions give empty parts.
	train, val, test, err = Split(y, 0, 0, true, 1)
	if err != nil || len(train) != 100 || len(val) != 0 || len(test) != 0 {
		t.Fatalf("no split: %d/%d/%d %v", len(train), len(val), len(test), err)
	}
}

func TestSplitSmallClasses(t *testing.T) {
	// A 3-row class still gets a row in each of val and test, and keeps one
	// for training; a 1-row class stays in training.
	y := classLabels(50, 3, 1)
	train, val, test, err := Split(y, 0.1, 0.1, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, len(y), train, val, test)
	if count(y, val, 1) != 1 || count(y, test, 1) != 1 || count(y, train, 1) != 1 {
		t.Fatalf("class 1: %d/%d/%d", count(y, train, 1), count(y, val, 1), count(y, test, 1))
	}
	if count(y, train, 2) != 1 {
		t.Fatal("singleton class left training")
	}
	if len(val) != 5 || len(test) != 5 {
		t.Fatalf("sizes val %d test %d, want round(54*0.1) = 5", len(val), len(test))
	}
	// Proportions hold over many seeds and shapes.
	for seed := uint64(0); seed < 20; seed++ {
		y := classLabels(int(40+seed*7), int(5+seed), int(3+seed%4))
		n := len(y)
		train, val, test, err := Split(y, 0.15, 0.25, true, seed)
		if err != nil {
			t.Fatal(err)
		}
		checkPartition(t, n, train, val, test)
		if len(test) != int(math.Round(float64(n)*0.25)) || len(val) != int(math.Round(float64(n)*0.15)) {
			t.Errorf("seed %d n %d: test %d val %d", seed, n, len(test), len(val))
		}
		for c := 0.0; c < 3; c++ {
			if count(y, train, c) == 0 || count(y, val, c) == 0 || count(y, test, c) == 0 {
				t.Errorf("seed %d: class %v missing from a part", seed, c)
			}
		}
	}
}

func TestSplitRegression(t *testing.T) {
	y := make([]float64, 50)
	for i := range y {
		y[i] = float64(i) * 0.37
	}
	train, val, test, err := Split(y, 0.2, 0.2, false, 11)
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, 50, train, val, test)
	if len(train) != 30 || len(val) != 10 || len(test) != 10 {
		t.Fatalf("sizes %d/%d/%d", len(train), len(val), len(test))
	}
	tr2, _, _, _ := Split(y, 0.2, 0.2, false, 11)
	if !reflect.DeepEqual(train, tr2) {
		t.Fatal("not deterministic")
	}
}

func TestSplitErrors(t *testing.T) {
	y := classLabels(10, 10)
	bad := [][2]float64{{-0.1, 0.2}, {0.2, 1}, {0.5, 0.5}, {math.NaN(), 0.1}, {0.1, math.Inf(1)}}
	for _, f := range bad {
		if _, _, _, err := Split(y, f[0], f[1], true, 1); err == nil {
			t.Errorf("fractions %v accepted", f)
		}
	}
	if _, _, _, err := Split(y, 0, 0.01, true, 1); err == nil {
		t.Error("empty test set accepted")
	}
	if _, _, _, err := Split(y, 0.01, 0, false, 1); err == nil {
		t.Error("empty validation set accepted")
	}
	if _, _, _, err := Split(nil, 0.1, 0.1, false, 1); err == nil {
		t.Error("no rows accepted")
	}
	if _, _, _, err := Split([]float64{0, 1}, 0.45, 0.45, false, 1); err == nil {
		t.Error("split leaving no training/validation rows accepted")
	}
}

func TestKFold(t *testing.T) {
	y := classLabels(23, 9)
	for _, strat := range []bool{true, false} {
		folds, err := KFold(y, 5, strat, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(folds) != 5 {
			t.Fatalf("%d folds", len(folds))
		}
		checkPartition(t, len(y), folds...)
		for _, f := range folds {
			if len(f) < 6 || len(f) > 7 {
				t.Errorf("fold size %d", len(f))
			}
			if strat && (count(y, f, 1) < 1 || count(y, f, 1) > 2) {
				t.Errorf("stratified fold has %d of class 1", count(y, f, 1))
			}
		}
		again, _ := KFold(y, 5, strat, 2)
		if !reflect.DeepEqual(folds, again) {
			t.Error("not deterministic")
		}
		other, _ := KFold(y, 5, strat, 3)
		if reflect.DeepEqual(folds, other) {
			t.Error("seed ignored")
		}
		train := Complement(len(y), folds[0])
		checkPartition(t, len(y), train, folds[0])
	}
	if _, err := KFold(y, 1, false, 1); err == nil {
		t.Error("k=1 accepted")
	}
	if _, err := KFold(y, 33, false, 1); err == nil {
		t.Error("k>n accepted")
	}
	_, err := KFold(y, 10, true, 1)
	if err == nil || err.Error() != "data: k=10 folds but class 1 has only 9 rows: stratified k-fold needs at least k rows in every class" {
		t.Errorf("k > smallest class: %v", err)
	}
	if _, err := KFold(y, 10, false, 1); err != nil {
		t.Errorf("unstratified k=10: %v", err)
	}
}
