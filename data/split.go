package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// pcgStream is the second PCG word; the seed is the first.
const pcgStream = 0x9e3779b97f4a7c15

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, pcgStream))
}

// groups returns the row indices grouped by class (distinct values of y in
// ascending order) when stratified, else a single group of all rows.
func groups(y []float64, stratified bool) ([][]int, []float64, error) {
	if !stratified {
		all := make([]int, len(y))
		for i := range all {
			all[i] = i
		}
		return [][]int{all}, nil, nil
	}
	pos := make(map[float64]int)
	var values []float64
	for i, v := range y {
		if math.IsNaN(v) {
			return nil, nil, fmt.Errorf("data: target %d is NaN; cannot stratify", i)
		}
		if _, ok := pos[v]; !ok {
			pos[v] = 0
			values = append(values, v)
		}
	}
	sort.Float64s(values)
	for k, v := range values {
		pos[v] = k
	}
	g := make([][]int, len(values))
	for i, v := range y {
		k := pos[v]
		g[k] = append(g[k], i)
	}
	return g, values, nil
}

// allocate picks counts c[g] in [lo[g], hi[g]] that add up to total as
// closely as the bounds allow, each near ideal[g]: it starts from the
// rounded-down ideals and moves one row at a time to or from the group
// furthest from its ideal (the lowest group on a tie).
func allocate(ideal []float64, lo, hi []int, total int) []int {
	c := make([]int, len(ideal))
	sum := 0
	for g := range c {
		c[g] = min(max(int(math.Floor(ideal[g])), lo[g]), hi[g])
		sum += c[g]
	}
	for sum < total {
		best := -1
		for g := range c {
			if c[g] < hi[g] && (best < 0 || ideal[g]-float64(c[g]) > ideal[best]-float64(c[best])) {
				best = g
			}
		}
		if best < 0 {
			break
		}
		c[best]++
		sum++
	}
	for sum > total {
		best := -1
		for g := range c {
			if c[g] > lo[g] && (best < 0 || float64(c[g])-ideal[g] > float64(c[best])-ideal[best]) {
				best = g
			}
		}
		if best < 0 {
			break
		}
		c[best]--
		sum--
	}
	return c
}

// Split partitions the row indices 0..len(y)-1 into training, validation
// and test sets holding about the fractions 1-val-test, val and test of
// the rows (val and test in [0, 1), val+test < 1). The validation and test
// sets have round(n*val) and round(n*test) rows as closely as the rules
// below allow; a zero fraction gives an empty set.
//
// With stratified true, y holds class indices (any values work: each
// distinct value is a class) and every class is shuffled and divided in
// proportion, so each part keeps the class balance; a class with at least
// 3 rows puts at least one row in every non-empty part, and every class
// keeps at least one row for training. With stratified false (regression)
// the rows are simply shuffled.
//
// The result is deterministic for a given seed; each index slice is sorted
// ascending. It is an error if a non-zero fraction would give an empty set.
func Split(y []float64, val, test float64, stratified bool, seed uint64) (train, valIdx, testIdx []int, err error) {
	if !(val >= 0 && val < 1) || !(test >= 0 && test < 1) || !(val+test < 1) {
		return nil, nil, nil, fmt.Errorf("data: split fractions val=%v test=%v: each must be in [0, 1) and their sum below 1", val, test)
	}
	n := len(y)
	if n == 0 {
		return nil, nil, nil, fmt.Errorf("data: no rows to split")
	}
	gs, _, err := groups(y, stratified)
	if err != nil {
		return nil, nil, nil, err
	}
	nVal := int(math.Round(float64(n) * val))
	nTest := int(math.Round(float64(n) * test))

	k := len(gs)
	idealT, idealV := make([]float64, k), make([]float64, k)
	loT, loV, hiT, hiV := make([]int, k), make([]int, k), make([]int, k), make([]int, k)
	for g, rows := range gs {
		m := len(rows)
		idealT[g] = float64(m) * test
		idealV[g] = float64(m) * val
		if stratified && m >= 3 {
			if nTest > 0 {
				loT[g] = 1
			}
			if nVal > 0 {
				loV[g] = 1
			}
		}
		// Keep one row for training and room for the validation minimum.
		hiT[g] = max(m-1-loV[g], 0)
	}
	cT := allocate(idealT, loT, hiT, nTest)
	for g, rows := range gs {
		hiV[g] = max(len(rows)-1-cT[g], 0)
	}
	cV := allocate(idealV, loV, hiV, nVal)

	rng := newRand(seed)
	for g, rows := range gs {
		p := append([]int(nil), rows...)
		rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		testIdx = append(testIdx, p[:cT[g]]...)
		valIdx = append(valIdx, p[cT[g]:cT[g]+cV[g]]...)
		train = append(train, p[cT[g]+cV[g]:]...)
	}
	if test > 0 && len(testIdx) == 0 {
		return nil, nil, nil, &SplitError{Part: TestPart, Msg: fmt.Sprintf("a fraction %v of %d rows gives an empty test set", test, n)}
	}
	if val > 0 && len(valIdx) == 0 {
		return nil, nil, nil, &SplitError{Part: ValPart, Msg: fmt.Sprintf("a fraction %v of %d rows gives an empty validation set", val, n)}
	}
	if len(train) == 0 {
		return nil, nil, nil, &SplitError{Part: TrainPart, Msg: fmt.Sprintf("the split of %d rows leaves no training rows", n)}
	}
	sort.Ints(train)
	sort.Ints(valIdx)
	sort.Ints(testIdx)
	return train, valIdx, testIdx, nil
}

// SplitPart names the part of a split a SplitError is about.
type SplitPart int

// The parts of a split.
const (
	TrainPart SplitPart = iota
	ValPart
	TestPart
	FoldsPart // the number of cross-validation folds
)

// SplitError is a split the data cannot give: a fraction too small to
// hold a row, or more folds than rows (of a class). Part says which
// request it was, so that callers can name the setting to change.
type SplitError struct {
	Part SplitPart
	Msg  string
}

// Error returns the one-line message.
func (e *SplitError) Error() string { return "data: " + e.Msg }

// KFold partitions the row indices 0..len(y)-1 into k folds (each a sorted
// test index set) that cover every row exactly once. The rows are shuffled;
// when stratified, each class (distinct value of y) is shuffled and dealt
// round-robin into the folds, so every fold keeps the class balance. It is
// an error if k < 2, k > len(y), or, when stratified, k exceeds the number
// of rows of the smallest class. Deterministic for a given seed.
func KFold(y []float64, k int, stratified bool, seed uint64) ([][]int, error) {
	n := len(y)
	if k < 2 {
		return nil, fmt.Errorf("data: k-fold needs k >= 2, got %d", k)
	}
	if k > n {
		return nil, &SplitError{Part: FoldsPart, Msg: fmt.Sprintf("k=%d folds but only %d rows", k, n)}
	}
	gs, values, err := groups(y, stratified)
	if err != nil {
		return nil, err
	}
	if stratified {
		for g, rows := range gs {
			if len(rows) < k {
				return nil, &SplitError{Part: FoldsPart, Msg: fmt.Sprintf("k=%d folds but class %s has only %d rows: stratified k-fold needs at least k rows in every class",
					k, formatValue(values[g]), len(rows))}
			}
		}
	}
	folds := make([][]int, k)
	rng := newRand(seed)
	next := 0
	for _, rows := range gs {
		p := append([]int(nil), rows...)
		rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		for _, i := range p {
			folds[next] = append(folds[next], i)
			next = (next + 1) % k
		}
	}
	for _, f := range folds {
		sort.Ints(f)
	}
	return folds, nil
}

// Complement returns the indices in 0..n-1 that are not in idx, ascending
// (for example the training rows of a k-fold test fold).
func Complement(n int, idx []int) []int {
	in := make([]bool, n)
	for _, i := range idx {
		if i >= 0 && i < n {
			in[i] = true
		}
	}
	out := make([]int, 0, max(n-len(idx), 0))
	for i, ok := range in {
		if !ok {
			out = append(out, i)
		}
	}
	return out
}
