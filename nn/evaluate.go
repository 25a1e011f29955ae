package nn

import (
	"math"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/metrics"
)

// Evaluation is the model's performance on one part of the data.
type Evaluation struct {
	Split     string // "train", "validation", "test", "fold 3"
	Rows      int
	Loss      float64 // reduced as the experiment's Reduction says
	Metrics   []metrics.Value
	Confusion *metrics.Confusion // nil for regression
	// Labels and Prob are the true class of each row and the predicted
	// probabilities (binary: of class 1, one per row; multiclass: rows × K),
	// for classification tasks.
	Labels []int
	Prob   []float64
}

// Evaluate scores logits (rows × arch.Outputs) against targets y, computing
// the loss in float64 from the logits and the task's metrics.
func Evaluate(arch Arch, task data.Task, classes []string, logits []float32, y []float64, red Reduction, threshold float64, name string) Evaluation {
	ev := Evaluation{Split: name, Rows: len(y)}
	k := arch.Outputs
	prob := Probabilities(arch.Loss, logits, k)
	var loss float64
	count := float64(len(y))
	switch task {
	case data.TaskBinary:
		cls := make([]int, len(y))
		for i, z := range logits {
			z := float64(z)
			loss += math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z))) - y[i]*z
			cls[i] = int(y[i])
		}
		b := metrics.EvalBinary(classes, cls, prob, threshold)
		ev.Metrics, ev.Confusion = b.Named(), &b.Confusion
		ev.Labels, ev.Prob = cls, prob
	case data.TaskMulticlass:
		cls := make([]int, len(y))
		for i := range y {
			cls[i] = int(y[i])
			loss -= math.Log(math.Max(prob[i*k+cls[i]], math.SmallestNonzeroFloat64))
		}
		m := metrics.EvalMulticlass(classes, cls, prob)
		ev.Metrics, ev.Confusion = m.Named(), &m.Confusion
		ev.Labels, ev.Prob = cls, prob
	default:
		for i := range y {
			r := prob[i] - y[i]
			loss += r * r
		}
		ev.Metrics = metrics.EvalRegression(y, prob).Named()
	}
	if red == Mean && count > 0 {
		loss /= count
	}
	ev.Loss = loss
	return ev
}
