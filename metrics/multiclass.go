package metrics

import (
	"fmt"
	"math"
)

// Multiclass holds the metrics of a K-class classification task.
type Multiclass struct {
	// Accuracy is the fraction of correctly classified samples.
	Accuracy float64
	// MacroF1 is the unweighted mean of the per-class F1 scores over all K
	// classes.
	MacroF1 float64
	// Confusion is the K×K confusion matrix of the argmax predictions.
	Confusion Confusion
}

// EvalMulticlass evaluates a K-class classifier. y holds the true classes in
// [0, K); prob holds len(y) rows of K class probabilities (or scores) as a
// row-major flat slice. The predicted class of a row is its argmax, the first
// one on ties (as numpy.argmax). K is len(classes), or len(prob)/len(y) if
// classes is nil, in which case the classes are named "0", "1", ….
//
// MacroF1 averages the per-class F1 = 2TP/(2TP+FP+FN), taken as 0 for a class
// that neither occurs nor is predicted, over all K classes: scikit-learn's
// f1_score(average="macro", zero_division=0, labels=range(K)). With empty
// input both metrics are NaN.
//
// It panics if len(prob) != len(y)·K, K is 0, or a label is outside [0, K).
func EvalMulticlass(classes []string, y []int, prob []float64) Multiclass {
	k := len(classes)
	if classes == nil && len(y) > 0 {
		k = len(prob) / len(y)
		classes = indexNames(k)
	}
	if k == 0 || len(prob) != len(y)*k {
		panic(fmt.Sprintf("metrics: EvalMulticlass: %d probabilities for %d samples and %d classes", len(prob), len(y), k))
	}
	pred := make([]int, len(y))
	for i := range y {
		row := prob[i*k : (i+1)*k]
		best := 0
		for j, p := range row {
			if p > row[best] {
				best = j
			}
		}
		pred[i] = best
	}
	m := Multiclass{Confusion: NewConfusion(classes, y, pred)}
	if len(y) == 0 {
		m.Accuracy, m.MacroF1 = math.NaN(), math.NaN()
		return m
	}
	cm := m.Confusion.Counts
	correct, f1Sum := 0, 0.0
	for c := range k {
		tp := cm[c][c]
		correct += tp
		fp, fn := -tp, -tp
		for j := range k {
			fp += cm[j][c]
			fn += cm[c][j]
		}
		f1Sum += safeDiv(float64(2*tp), float64(2*tp+fp+fn))
	}
	m.Accuracy = float64(correct) / float64(len(y))
	m.MacroF1 = f1Sum / float64(k)
	return m
}

// Named lists the metrics in the order accuracy, macro_f1.
func (m Multiclass) Named() []Value {
	return []Value{
		{"accuracy", m.Accuracy},
		{"macro_f1", m.MacroF1},
	}
}
