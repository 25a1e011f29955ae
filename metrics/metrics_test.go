package metrics

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// approxEqual reports whether got equals want to within a relative (or, near zero,
// absolute) tolerance of 1e-12; two NaNs compare equal.
func approxEqual(got, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))
}

// checkValues compares a Named() list with the expected values, in order.
func checkValues(t *testing.T, got []Value, names []string, want []float64) {
	t.Helper()
	if len(got) != len(names) {
		t.Fatalf("got %d values %v, want %d", len(got), got, len(names))
	}
	for i, v := range got {
		if v.Name != names[i] || !approxEqual(v.Value, want[i]) {
			t.Errorf("value %d = %s %v, want %s %v", i, v.Name, v.Value, names[i], want[i])
		}
	}
}

var binaryNames = []string{"accuracy", "balanced_accuracy", "precision", "recall", "f1", "mcc", "roc_auc"}

// nrbSamples builds samples with confusion matrix [[672,27],[38,318]] at
// threshold 0.5: 672 TN scored 0.1, 27 FP scored 0.9, 38 FN scored 0.2 and
// 318 TP scored 0.8.
func nrbSamples() (y []int, prob []float64) {
	add := func(n, label int, p float64) {
		for range n {
			y = append(y, label)
			prob = append(prob, p)
		}
	}
	add(672, 0, 0.1)
	add(27, 0, 0.9)
	add(38, 1, 0.2)
	add(318, 1, 0.8)
	return y, prob
}

func TestConfusionTable(t *testing.T) {
	tests := []struct {
		name    string
		classes []string
		counts  [][]int
		want    string
	}{
		{
			name:    "NRB/RB",
			classes: []string{"NRB", "RB"},
			counts:  [][]int{{672, 27}, {38, 318}},
			want: "         predicted\n" +
				"actual   NRB    RB\n" +
				"NRB      672    27\n" +
				"RB        38   318\n",
		},
		{
			name:    "long labels, wide counts",
			classes: []string{"a", "bb", "negative_class"},
			counts:  [][]int{{1, 0, 12345}, {0, 7, 0}, {3, 0, 0}},
			want: "                 predicted\n" +
				"actual                        a               bb   negative_class\n" +
				"a                             1                0            12345\n" +
				"bb                            0                7                0\n" +
				"negative_class                3                0                0\n",
		},
		{
			name:    "short labels, column width from counts",
			classes: []string{"x", "y"},
			counts:  [][]int{{1000, 2}, {3, 4}},
			want: "         predicted\n" +
				"actual      x      y\n" +
				"x        1000      2\n" +
				"y           3      4\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Confusion{Classes: tt.classes, Counts: tt.counts}
			if got := c.Table(); got != tt.want {
				t.Errorf("Table() =\n%s\nwant\n%s\n(got %q)", got, tt.want, got)
			}
		})
	}
}

func TestNewConfusion(t *testing.T) {
	tests := []struct {
		name              string
		classes           []string
		actual, predicted []int
		want              Confusion
	}{
		{
			name:    "3 classes",
			classes: []string{"a", "b", "c"},
			actual:  []int{0, 0, 1, 2, 2, 2}, predicted: []int{0, 1, 1, 2, 0, 2},
			want: Confusion{Classes: []string{"a", "b", "c"}, Counts: [][]int{{1, 1, 0}, {0, 1, 0}, {1, 0, 2}}},
		},
		{
			name:   "nil classes inferred from labels",
			actual: []int{0, 2}, predicted: []int{1, 0},
			want: Confusion{Classes: []string{"0", "1", "2"}, Counts: [][]int{{0, 1, 0}, {0, 0, 0}, {1, 0, 0}}},
		},
		{
			name:    "empty",
			classes: []string{"a", "b"},
			want:    Confusion{Classes: []string{"a", "b"}, Counts: [][]int{{0, 0}, {0, 0}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewConfusion(tt.classes, tt.actual, tt.predicted)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NewConfusion = %+v, want %+v", got, tt.want)
			}
			if got.Total() != len(tt.actual) {
				t.Errorf("Total() = %d, want %d", got.Total(), len(tt.actual))
			}
		})
	}
}

func TestEvalBinary(t *testing.T) {
	nrbY, nrbP := nrbSamples()
	nan := math.NaN()
	tests := []struct {
		name      string
		y         []int
		prob      []float64
		threshold float64
		counts    [][]int
		want      []float64 // in binaryNames order
	}{
		{
			// Derived from the confusion matrix TN=672, FP=27, FN=38, TP=318
			// (n=1055, 699 negatives, 356 positives, 345 positive
			// predictions). Every positive (score 0.2 or 0.8) beats the 672
			// negatives at 0.1 and loses to the 27 at 0.9, so ROC-AUC =
			// 356·672/(356·699) = 672/699.
			name: "NRB/RB", y: nrbY, prob: nrbP, threshold: 0.5,
			counts: [][]int{{672, 27}, {38, 318}},
			want: []float64{
				990.0 / 1055,                  // accuracy = 0.9383886255924171
				(672.0/699 + 318.0/356) / 2,   // balanced = 0.927315908762116
				318.0 / 345,                   // precision = 0.9217391304347826
				318.0 / 356,                   // recall = 0.8932584269662921
				2 * 318.0 / (2*318 + 27 + 38), // f1 = 636/701 = 0.9072753209700428
				(318.0*672 - 27*38) / math.Sqrt(345.0*356*699*710), // mcc = 0.8613981254259602
				672.0 / 699, // roc_auc = 0.9613733905579399
			},
		},
		{
			// scikit-learn's roc_auc_score docstring example, AUC 0.75.
			// At threshold 0.5 only 0.8 is predicted positive: TN=2, FN=1,
			// TP=1; MCC = (1·2−0)/sqrt(1·2·2·3) = 2/sqrt(12).
			name: "sklearn roc example", y: []int{0, 0, 1, 1}, prob: []float64{0.1, 0.4, 0.35, 0.8}, threshold: 0.5,
			counts: [][]int{{2, 0}, {1, 1}},
			want:   []float64{0.75, 0.75, 1, 0.5, 2.0 / 3, 2 / math.Sqrt(12), 0.75},
		},
		{
			// Tie between a positive and a negative at 0.4: pairs (pos, neg)
			// give 0.4>0.1 win, 0.4=0.4 half, 0.8 wins twice: 3.5/4.
			// Threshold 0.4 predicts 0.4, 0.4, 0.8 positive: TN=1, FP=1, TP=2;
			// MCC = (2·1−0)/sqrt(3·2·2·1) = 2/sqrt(12).
			name: "tie", y: []int{0, 0, 1, 1}, prob: []float64{0.1, 0.4, 0.4, 0.8}, threshold: 0.4,
			counts: [][]int{{1, 1}, {0, 2}},
			want:   []float64{0.75, 0.75, 2.0 / 3, 1, 0.8, 2 / math.Sqrt(12), 0.875},
		},
		{
			// Groups of ties: positives {0.9, 0.7, 0.7}, negatives
			// {0.9, 0.9, 0.7, 0.2}. The 0.9 positive ties two and beats two
			// (3 credits); each 0.7 positive loses two, ties one, beats one
			// (1.5 credits): AUC = 6/12. Threshold 0.8: TN=2, FP=2, FN=2, TP=1;
			// MCC = (1·2−2·2)/sqrt(3·3·4·4) = −2/12.
			name: "tie groups", y: []int{1, 0, 1, 0, 1, 0, 0}, prob: []float64{0.9, 0.9, 0.7, 0.7, 0.7, 0.2, 0.9}, threshold: 0.8,
			counts: [][]int{{2, 2}, {2, 1}},
			want:   []float64{3.0 / 7, (2.0/4 + 1.0/3) / 2, 1.0 / 3, 1.0 / 3, 1.0 / 3, -2.0 / 12, 0.5},
		},
		{
			// All scores equal: every pair is a tie, AUC = 0.5; all predicted
			// positive, so TN=FN=0 and the MCC denominator is 0.
			name: "all tied", y: []int{0, 1, 0, 1, 1, 0}, prob: []float64{0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, threshold: 0.5,
			counts: [][]int{{0, 3}, {0, 3}},
			want:   []float64{0.5, 0.5, 0.5, 1, 2.0 / 3, 0, 0.5},
		},
		{
			// No positive predictions: precision 0 (zero_division=0), recall
			// 0, F1 0, MCC 0 (TP+FP = 0). Positives 0.3, 0.2 outrank both
			// negatives 0.1, 0.05: AUC 1.
			name: "no positive predictions", y: []int{0, 1, 1, 0}, prob: []float64{0.1, 0.3, 0.2, 0.05}, threshold: 0.5,
			counts: [][]int{{2, 0}, {2, 0}},
			want:   []float64{0.5, 0.5, 0, 0, 0, 0, 1},
		},
		{
			// Only negatives: recall 0 (no positives), AUC NaN, balanced
			// accuracy is the recall of class 0 alone (2/3), as sklearn.
			name: "single class 0", y: []int{0, 0, 0}, prob: []float64{0.2, 0.7, 0.1}, threshold: 0.5,
			counts: [][]int{{2, 1}, {0, 0}},
			want:   []float64{2.0 / 3, 2.0 / 3, 0, 0, 0, 0, nan},
		},
		{
			// Only positives, all predicted positive: precision = recall =
			// F1 = 1, MCC 0 (TN+FP = 0), AUC NaN.
			name: "single class 1", y: []int{1, 1}, prob: []float64{0.9, 0.6}, threshold: 0.5,
			counts: [][]int{{0, 0}, {0, 2}},
			want:   []float64{1, 1, 1, 1, 1, 0, nan},
		},
		{
			name: "empty", threshold: 0.5,
			counts: [][]int{{0, 0}, {0, 0}},
			want:   []float64{nan, nan, nan, nan, nan, nan, nan},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := EvalBinary([]string{"neg", "pos"}, tt.y, tt.prob, tt.threshold)
			if !reflect.DeepEqual(b.Confusion.Counts, tt.counts) {
				t.Errorf("confusion = %v, want %v", b.Confusion.Counts, tt.counts)
			}
			checkValues(t, b.Named(), binaryNames, tt.want)
			fields := []float64{b.Accuracy, b.BalancedAccuracy, b.Precision, b.Recall, b.F1, b.MCC, b.ROCAUC}
			for i, f := range fields {
				if !approxEqual(f, tt.want[i]) {
					t.Errorf("field %s = %v, want %v", binaryNames[i], f, tt.want[i])
				}
			}
		})
	}
}

func TestEvalBinaryTable(t *testing.T) {
	y, prob := nrbSamples()
	want := "         predicted\n" +
		"actual   NRB    RB\n" +
		"NRB      672    27\n" +
		"RB        38   318\n"
	if got := EvalBinary([]string{"NRB", "RB"}, y, prob, 0.5).Confusion.Table(); got != want {
		t.Errorf("Table() =\n%s\nwant\n%s", got, want)
	}
}

func TestEvalBinaryNilClasses(t *testing.T) {
	b := EvalBinary(nil, []int{0, 1}, []float64{0.2, 0.8}, 0.5)
	if want := []string{"0", "1"}; !reflect.DeepEqual(b.Confusion.Classes, want) {
		t.Errorf("classes = %v, want %v", b.Confusion.Classes, want)
	}
}

// TestROCAUCPairwise checks the rank formula against the O(P·N) definition
// on random scores drawn from a few values, so that ties are frequent.
func TestROCAUCPairwise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 2 + r.IntN(40)
		y := make([]int, n)
		s := make([]float64, n)
		for i := range n {
			y[i] = r.IntN(2)
			s[i] = float64(r.IntN(6)) / 5
		}
		var credit, pos, neg float64
		for i := range n {
			if y[i] == 1 {
				pos++
			} else {
				neg++
			}
			for j := range n {
				if y[i] == 1 && y[j] == 0 {
					switch {
					case s[i] > s[j]:
						credit++
					case s[i] == s[j]:
						credit += 0.5
					}
				}
			}
		}
		want := credit / (pos * neg) // NaN when one class is missing
		if got := rocAUC(y, s); !approxEqual(got, want) {
			t.Fatalf("trial %d: rocAUC(%v, %v) = %v, want %v", trial, y, s, got, want)
		}
	}
}

func TestEvalMulticlass(t *testing.T) {
	// onehot builds probability rows whose argmax is pred, with K classes.
	onehot := func(k int, pred ...int) []float64 {
		p := make([]float64, 0, k*len(pred))
		for _, c := range pred {
			row := make([]float64, k)
			for j := range row {
				row[j] = 0.1 / float64(k)
			}
			row[c] = 0.9
			p = append(p, row...)
		}
		return p
	}
	tests := []struct {
		name    string
		classes []string
		y       []int
		prob    []float64
		counts  [][]int
		acc, f1 float64
	}{
		{
			// scikit-learn's f1_score docstring example: y_true
			// [0,1,2,0,1,2], y_pred [0,2,1,0,0,1]; macro F1 0.26666666666666666
			// (class 0: TP 2, FP 1, FN 0 → 0.8; classes 1, 2: TP 0 → 0).
			name: "sklearn f1 example", classes: []string{"a", "b", "c"},
			y:      []int{0, 1, 2, 0, 1, 2},
			prob:   onehot(3, 0, 2, 1, 0, 0, 1),
			counts: [][]int{{2, 0, 0}, {1, 0, 1}, {0, 2, 0}},
			acc:    2.0 / 6, f1: 0.8 / 3,
		},
		{
			// By hand: class 0: TP 1, FP 1, FN 1 → 2/4; class 1: TP 2, FP 1,
			// FN 0 → 4/5; class 2: TP 2, FP 0, FN 1 → 4/5; macro 2.1/3 = 0.7.
			name: "3 classes", classes: []string{"a", "b", "c"},
			y:      []int{0, 0, 1, 1, 2, 2, 2},
			prob:   onehot(3, 0, 1, 1, 1, 2, 0, 2),
			counts: [][]int{{1, 1, 0}, {0, 2, 0}, {1, 0, 2}},
			acc:    5.0 / 7, f1: 0.7,
		},
		{
			// A fourth class that never occurs and is never predicted counts
			// as F1 0 in the average over all K (sklearn with labels=range(4)).
			// By hand: class 0 TP 1 → 1; class 1 TP 1, FP 1 → 2/3; class 2
			// TP 0, FN 1 → 0; class 3 → 0. K = 4 is inferred from the shape.
			name: "absent class", classes: nil,
			y:      []int{0, 1, 2},
			prob:   onehot(4, 0, 1, 1),
			counts: [][]int{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 1, 0, 0}, {0, 0, 0, 0}},
			acc:    2.0 / 3, f1: (1 + 2.0/3) / 4,
		},
		{
			// Argmax ties go to the first maximum, like numpy.argmax: rows
			// (0.4, 0.4, 0.2) → 0 and (0.1, 0.45, 0.45) → 1.
			name: "argmax ties", classes: []string{"a", "b", "c"},
			y:      []int{0, 2},
			prob:   []float64{0.4, 0.4, 0.2, 0.1, 0.45, 0.45},
			counts: [][]int{{1, 0, 0}, {0, 0, 0}, {0, 1, 0}},
			acc:    0.5, f1: 1.0 / 3, // class 0 F1 1; classes 1, 2 F1 0
		},
		{
			name: "empty", classes: []string{"a", "b", "c"},
			counts: [][]int{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}},
			acc:    math.NaN(), f1: math.NaN(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := EvalMulticlass(tt.classes, tt.y, tt.prob)
			if !reflect.DeepEqual(m.Confusion.Counts, tt.counts) {
				t.Errorf("confusion = %v, want %v", m.Confusion.Counts, tt.counts)
			}
			if len(m.Confusion.Classes) != len(tt.counts) {
				t.Errorf("classes = %v, want %d", m.Confusion.Classes, len(tt.counts))
			}
			checkValues(t, m.Named(), []string{"accuracy", "macro_f1"}, []float64{tt.acc, tt.f1})
		})
	}
}

func TestEvalRegression(t *testing.T) {
	tests := []struct {
		name    string
		y, pred []float64
		want    []float64 // mse, mae, r2
	}{
		{
			// scikit-learn's r2_score / mean_squared_error /
			// mean_absolute_error docstring example.
			name: "sklearn example",
			y:    []float64{3, -0.5, 2, 7}, pred: []float64{2.5, 0, 2, 8},
			want: []float64{0.375, 0.5, 0.9486081370449679},
		},
		{
			// Predicting the mean gives R² 0: mean 2, SS_res = SS_tot = 2.
			name: "mean prediction",
			y:    []float64{1, 2, 3}, pred: []float64{2, 2, 2},
			want: []float64{2.0 / 3, 2.0 / 3, 0},
		},
		{
			// Worse than the mean: SS_res = 8, SS_tot = 2, R² = −3.
			name: "negative r2",
			y:    []float64{1, 2, 3}, pred: []float64{3, 2, 1},
			want: []float64{8.0 / 3, 4.0 / 3, -3},
		},
		{
			name: "constant y, perfect",
			y:    []float64{1, 1, 1}, pred: []float64{1, 1, 1},
			want: []float64{0, 0, 1},
		},
		{
			name: "constant y, imperfect",
			y:    []float64{1, 1, 1}, pred: []float64{1, 2, 1},
			want: []float64{1.0 / 3, 1.0 / 3, 0},
		},
		{
			name: "empty",
			want: []float64{math.NaN(), math.NaN(), math.NaN()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := EvalRegression(tt.y, tt.pred)
			checkValues(t, r.Named(), []string{"mse", "mae", "r2"}, tt.want)
		})
	}
}

func TestSummarize(t *testing.T) {
	runs := [][]Value{
		{{"accuracy", 0.9}, {"roc_auc", 0.8}, {"mcc", math.NaN()}},
		{{"accuracy", 0.95}, {"roc_auc", math.NaN()}, {"mcc", math.NaN()}},
		{{"accuracy", 0.85}, {"roc_auc", 0.6}, {"mcc", math.NaN()}},
	}
	// accuracy: mean 0.9, sample sd sqrt((0 + 0.05² + 0.05²)/2) = 0.05.
	// roc_auc: the NaN run is skipped; mean 0.7, sd sqrt((0.1² + 0.1²)/1).
	want := []Summary{
		{Name: "accuracy", Mean: 0.9, SD: 0.05, Min: 0.85, Max: 0.95, N: 3},
		{Name: "roc_auc", Mean: 0.7, SD: math.Sqrt(0.02), Min: 0.6, Max: 0.8, N: 2},
		{Name: "mcc", Mean: math.NaN(), SD: math.NaN(), Min: math.NaN(), Max: math.NaN(), N: 0},
	}
	got := Summarize(runs)
	if len(got) != len(want) {
		t.Fatalf("got %d summaries, want %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		if g.Name != w.Name || g.N != w.N || !approxEqual(g.Mean, w.Mean) || !approxEqual(g.SD, w.SD) || !approxEqual(g.Min, w.Min) || !approxEqual(g.Max, w.Max) {
			t.Errorf("summary %d = %+v, want %+v", i, g, w)
		}
	}
	if s, want := got[0].String(), "accuracy 0.900 ± 0.050 (min 0.850, max 0.950, n=3)"; s != want {
		t.Errorf("String() = %q, want %q", s, want)
	}

	// Four runs: mean 0.7625, sample sd 0.125 (statistics.stdev).
	four := Summarize([][]Value{{{"f1", 0.8}}, {{"f1", 0.6}}, {{"f1", 0.75}}, {{"f1", 0.9}}})
	if s := four[0]; !approxEqual(s.Mean, 0.7625) || !approxEqual(s.SD, 0.125) || s.N != 4 {
		t.Errorf("four runs = %+v, want mean 0.7625, sd 0.125, n 4", s)
	}

	one := Summarize([][]Value{{{"mse", 2.5}}})
	if w := (Summary{Name: "mse", Mean: 2.5, SD: 0, Min: 2.5, Max: 2.5, N: 1}); one[0] != w {
		t.Errorf("single run = %+v, want %+v", one[0], w)
	}
	if Summarize(nil) != nil {
		t.Errorf("Summarize(nil) != nil")
	}
}

func TestSummarizeMismatchPanics(t *testing.T) {
	tests := []struct {
		name string
		runs [][]Value
	}{
		{"length", [][]Value{{{"a", 1}, {"b", 2}}, {{"a", 1}}}},
		{"name", [][]Value{{{"a", 1}, {"b", 2}}, {{"a", 1}, {"c", 2}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Summarize did not panic")
				}
			}()
			Summarize(tt.runs)
		})
	}
}

func TestFormatValues(t *testing.T) {
	tests := []struct {
		name string
		vals []Value
		want string
	}{
		{
			name: "aligned",
			vals: []Value{{"mse", 0.375}, {"mae", 12.5}, {"r2", -0.25}},
			want: "mse   0.3750\n" +
				"mae  12.5000\n" +
				"r2   -0.2500\n",
		},
		{
			name: "nan",
			vals: []Value{{"accuracy", 1}, {"roc_auc", math.NaN()}},
			want: "accuracy  1.0000\n" +
				"roc_auc      NaN\n",
		},
		{name: "empty", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatValues(tt.vals); got != tt.want {
				t.Errorf("FormatValues =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"confusion length", func() { NewConfusion([]string{"a", "b"}, []int{0}, nil) }},
		{"confusion label", func() { NewConfusion([]string{"a", "b"}, []int{2}, []int{0}) }},
		{"confusion predicted label", func() { NewConfusion([]string{"a", "b"}, []int{0}, []int{2}) }},
		{"binary length", func() { EvalBinary(nil, []int{0, 1}, []float64{0.5}, 0.5) }},
		{"binary label", func() { EvalBinary(nil, []int{0, 2}, []float64{0.5, 0.5}, 0.5) }},
		{"binary classes", func() { EvalBinary([]string{"a"}, []int{0}, []float64{0.5}, 0.5) }},
		{"multiclass shape", func() { EvalMulticlass([]string{"a", "b", "c"}, []int{0, 1}, make([]float64, 5)) }},
		// No classes and no samples: K cannot be inferred, and is 0.
		{"multiclass nothing", func() { EvalMulticlass(nil, nil, nil) }},
		{"multiclass label", func() { EvalMulticlass([]string{"a", "b"}, []int{2}, []float64{0.5, 0.5}) }},
		{"regression length", func() { EvalRegression([]float64{1}, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("no panic")
				} else if s, ok := r.(string); !ok || !strings.HasPrefix(s, "metrics: ") {
					t.Errorf("panic value %v lacks the metrics: prefix", r)
				}
			}()
			tt.f()
		})
	}
}
