package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Binary holds the metrics of a binary classification task whose positive
// class has index 1.
type Binary struct {
	// Accuracy is the fraction of correctly classified samples.
	Accuracy float64
	// BalancedAccuracy is the mean recall over the classes present in y
	// (scikit-learn's balanced_accuracy_score).
	BalancedAccuracy float64
	// Precision is TP/(TP+FP), 0 if there are no positive predictions.
	Precision float64
	// Recall is TP/(TP+FN), 0 if there are no positive samples.
	Recall float64
	// F1 is the harmonic mean of Precision and Recall, 0 if both are 0.
	F1 float64
	// MCC is the Matthews correlation coefficient, 0 when its denominator is 0.
	MCC float64
	// ROCAUC is the area under the ROC curve, NaN if y holds only one class.
	ROCAUC float64
	// Confusion is the 2×2 confusion matrix at the decision threshold.
	Confusion Confusion
}

// EvalBinary evaluates a binary classifier. y holds the true classes (0 or 1),
// prob the predicted probability (or any score) of class 1; a sample is
// predicted as class 1 when prob >= threshold. classes names the two classes;
// nil means {"0", "1"}.
//
// The conventions are those of scikit-learn with zero_division=0: precision
// is 0 if there are no positive predictions, recall is 0 if there are no
// positive samples, F1 is 0 if precision+recall is 0, and MCC is 0 when its
// denominator is 0. ROC-AUC is computed by the rank (Mann–Whitney) formula,
// giving tied positive/negative pairs half credit, and is NaN if y holds only
// one class. With empty input every metric is NaN.
//
// It panics if y and prob differ in length, a label is not 0 or 1, or classes
// is non-nil and does not have two entries.
func EvalBinary(classes []string, y []int, prob []float64, threshold float64) Binary {
	if len(y) != len(prob) {
		panic(fmt.Sprintf("metrics: EvalBinary: %d labels but %d probabilities", len(y), len(prob)))
	}
	if classes == nil {
		classes = indexNames(2)
	}
	if len(classes) != 2 {
		panic(fmt.Sprintf("metrics: EvalBinary: %d classes, want 2", len(classes)))
	}
	pred := make([]int, len(y))
	for i, p := range prob {
		if y[i] != 0 && y[i] != 1 {
			panic(fmt.Sprintf("metrics: EvalBinary: label %d of sample %d is not 0 or 1", y[i], i))
		}
		if p >= threshold {
			pred[i] = 1
		}
	}
	b := Binary{Confusion: NewConfusion(classes, y, pred)}
	if len(y) == 0 {
		nan := math.NaN()
		b.Accuracy, b.BalancedAccuracy, b.Precision, b.Recall, b.F1, b.MCC, b.ROCAUC = nan, nan, nan, nan, nan, nan, nan
		return b
	}
	cm := b.Confusion.Counts
	tn, fp := float64(cm[0][0]), float64(cm[0][1])
	fn, tp := float64(cm[1][0]), float64(cm[1][1])

	b.Accuracy = (tp + tn) / float64(len(y))
	b.BalancedAccuracy = balancedAccuracy(cm)
	b.Precision = safeDiv(tp, tp+fp)
	b.Recall = safeDiv(tp, tp+fn)
	b.F1 = safeDiv(2*tp, 2*tp+fp+fn)
	b.MCC = safeDiv(tp*tn-fp*fn, math.Sqrt((tp+fp)*(tp+fn)*(tn+fp)*(tn+fn)))
	b.ROCAUC = rocAUC(y, prob)
	return b
}

// safeDiv returns num/den, or 0 if den is 0 (scikit-learn's zero_division=0).
func safeDiv(num, den float64) float64 {
	if den == 0 {
		return 0
	}
	return num / den
}

// balancedAccuracy returns the mean per-class recall over the classes that
// occur among the actual labels, as scikit-learn's balanced_accuracy_score.
func balancedAccuracy(cm [][]int) float64 {
	sum, n := 0.0, 0
	for i, row := range cm {
		support := 0
		for _, v := range row {
			support += v
		}
		if support > 0 {
			sum += float64(row[i]) / float64(support)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// rocAUC returns the probability that a random positive sample scores higher
// than a random negative one, counting ties as one half (the Mann–Whitney U
// statistic divided by P·N). It is NaN unless both classes occur in y.
func rocAUC(y []int, score []float64) float64 {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	// cmp.Compare orders NaN before all other values, so the order is total.
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(score[a], score[b]) })

	// Walk groups of equal scores in ascending order. Each positive in a group
	// beats every negative seen in earlier groups and ties with the negatives
	// of its own group. Counts stay integral until the final division.
	var negBelow, pos, neg, wins, ties float64
	for start := 0; start < len(idx); {
		end := start
		var gp, gn float64
		for end < len(idx) && cmp.Compare(score[idx[end]], score[idx[start]]) == 0 {
			if y[idx[end]] == 1 {
				gp++
			} else {
				gn++
			}
			end++
		}
		wins += gp * negBelow
		ties += gp * gn
		negBelow += gn
		pos += gp
		neg += gn
		start = end
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (wins + ties/2) / (pos * neg)
}

// Named lists the metrics in the order accuracy, balanced_accuracy,
// precision, recall, f1, mcc, roc_auc.
func (b Binary) Named() []Value {
	return []Value{
		{"accuracy", b.Accuracy},
		{"balanced_accuracy", b.BalancedAccuracy},
		{"precision", b.Precision},
		{"recall", b.Recall},
		{"f1", b.F1},
		{"mcc", b.MCC},
		{"roc_auc", b.ROCAUC},
	}
}
