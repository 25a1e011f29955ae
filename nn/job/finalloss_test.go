package job

import (
	"math"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/nn"
)

// TestFinalLossIsTrainingMode runs N and N+1 full-batch updates with batch
// norm and dropout: the loss the shorter run records after its last
// update is, bit for bit, the one the longer run records at that step (a
// training-mode loss like every other point), and computing it changes
// neither the parameters nor the running statistics the model keeps.
func TestFinalLossIsTrainingMode(t *testing.T) {
	ds, err := data.Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	e := workshop(2)
	e.BatchNorm, e.Dropout, e.Reduction = true, 0.3, nn.Mean
	e.Optim = nn.OptimConfig{Kind: nn.Adam, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	const n = 20
	runs := make([]*Result, 2)
	for k := range runs {
		e.Steps = n + k
		if runs[k], err = RunExperiment(cpu.New(), ds, e, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	lossAt := func(r *Result, step int) float64 {
		for _, p := range r.History {
			if p.Step == step {
				return p.Loss
			}
		}
		t.Fatalf("no loss at step %d", step)
		return 0
	}
	short, long := lossAt(runs[0], n), lossAt(runs[1], n)
	if math.Float64bits(short) != math.Float64bits(long) {
		t.Fatalf("loss at step %d: %v as the last point, %v mid-run", n, short, long)
	}
	// The evaluation-mode loss of the training rows is another number.
	var evalLoss float64
	for _, ev := range runs[0].Evals {
		if ev.Split == "train" {
			evalLoss = ev.Loss
		}
	}
	if evalLoss == short {
		t.Fatalf("the evaluation-mode loss equals the training-mode one (%v): the test does not tell them apart", short)
	}
	// A run of n updates whose last point were not computed would keep
	// the same parameters and running statistics: compare with the model
	// of the longer run's checkpoint at step n.
	ck := interruptAt(t, ds, e, n)
	if err := sameBits(runs[0].Model.Params, ck.State.Params); err != nil {
		t.Fatalf("the final loss changed the parameters: %v", err)
	}
	for l := range ck.State.Params.RunMean {
		for _, pair := range [][2][]float32{{runs[0].Model.Params.RunMean[l], ck.State.Params.RunMean[l]}, {runs[0].Model.Params.RunVar[l], ck.State.Params.RunVar[l]}} {
			for i := range pair[0] {
				if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
					t.Fatalf("layer %d running statistic %d: %v after the final loss, %v before", l, i, pair[0][i], pair[1][i])
				}
			}
		}
	}
}
