package job

import (
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/nn"
)

// TestBatchNormModelRoundTrip trains a network with batch normalisation,
// saves it, loads it back and checks every tensor, including the running
// statistics, and that the loaded model predicts the same.
func TestBatchNormModelRoundTrip(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(1)
	e.Steps, e.BatchNorm, e.Optim.LR = 20, true, 1e-3
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.Params.RunVar == nil || res.Model.Params.RunVar[0][0] == 1 {
		t.Fatalf("running variance not trained: %v", res.Model.Params.RunVar)
	}
	path := filepath.Join(t.TempDir(), "bn.safetensors")
	if err := res.Model.Save(path); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Arch.BatchNorm {
		t.Fatal("loaded model lost batch normalisation")
	}
	if d := paramsDiffer(res.Model.Arch, res.Model.Params, m.Params); d != "" {
		t.Fatalf("saved and loaded: %s", d)
	}
}

// TestOneRestartIsThePlainRun checks --restarts 1 against the run without
// the flag, bit for bit, with minibatches, dropout and Adam.
func TestOneRestartIsThePlainRun(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(3)
	e.Optim = nn.OptimConfig{Kind: nn.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	e.BatchSize, e.Steps, e.Dropout, e.Reduction, e.ValSplit = 64, 40, 0.2, nn.Mean, 0.2
	plain, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Restarts = 1
	one, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := paramsDiffer(plain.Model.Arch, plain.Model.Params, one.Model.Params); d != "" {
		t.Fatalf("plain run and one restart: %s", d)
	}
	for i := range plain.History {
		if plain.History[i].Loss != one.History[i].Loss {
			t.Fatalf("loss %d differs: %v vs %v", i, plain.History[i].Loss, one.History[i].Loss)
		}
	}
}

// TestRestartsMatchSeparateRuns trains 3 restarts side by side and checks
// each against a plain run from its seed (same result up to float32
// rounding: the batched kernels may sum in another order).
func TestRestartsMatchSeparateRuns(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(11)
	e.Steps = 200
	e.Restarts = 3
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Restarts) != 3 {
		t.Fatalf("%d restarts reported", len(res.Restarts))
	}
	for r := 0; r < 3; r++ {
		single := workshop(nn.RestartSeed(11, r))
		single.Steps = 200
		sr, err := RunExperiment(cpu.New(), ds, single, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, want := res.Restarts[r].Evals[0].Loss, sr.Evals[0].Loss
		if math.Abs(got-want) > 1e-4*want {
			t.Errorf("restart %d: training loss %v side by side, %v alone", r, got, want)
		}
		if last := res.History[len(res.History)-1]; math.Abs(last.Restarts[r]-want) > 1e-4*want {
			t.Errorf("restart %d: final history loss %v, alone %v", r, last.Restarts[r], want)
		}
	}
}

// TestTenRestartsOnTheWorkshop checks what restarts are for: ten restarts
// of the workshop network report a mean training accuracy in [0.915, 0.95]
// with a non-zero spread, and keep the best restart.
func TestTenRestartsOnTheWorkshop(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 10 networks for 3000 steps")
	}
	ds, _ := data.Biodeg()
	e := workshop(1)
	e.Restarts = 10
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var acc *struct{ mean, sd, min, max float64 }
	for _, s := range res.RestartSummary[0].Metrics {
		if s.Name == "accuracy" {
			acc = &struct{ mean, sd, min, max float64 }{s.Mean, s.SD, s.Min, s.Max}
			t.Logf("training %s", s)
		}
	}
	if acc == nil || acc.mean < 0.915 || acc.mean > 0.95 || acc.sd <= 0 {
		t.Fatalf("training accuracy over 10 restarts: %+v, want mean in [0.915, 0.95] and sd > 0", acc)
	}
	best := res.Restarts[res.Best].Evals[0].Loss
	for r, rr := range res.Restarts {
		if rr.Evals[0].Loss < best {
			t.Errorf("restart %d has training loss %v below the kept restart's %v", r, rr.Evals[0].Loss, best)
		}
	}
}

// paramsDiffer names the first tensor (as the model file names it) and
// element where a and b differ bit for bit, or returns "".
func paramsDiffer(arch nn.Arch, a, b nn.Params) string {
	ta, tb := ParamTensors(arch, a), ParamTensors(arch, b)
	if len(ta) != len(tb) {
		return fmt.Sprintf("%d tensors against %d", len(ta), len(tb))
	}
	for _, name := range slices.Sorted(maps.Keys(ta)) {
		va, vb := ta[name].F32, tb[name].F32
		if len(va) != len(vb) {
			return fmt.Sprintf("tensor %s has %d elements against %d", name, len(va), len(vb))
		}
		for j := range va {
			if math.Float32bits(va[j]) != math.Float32bits(vb[j]) {
				return fmt.Sprintf("tensor %s element %d: %v against %v", name, j, va[j], vb[j])
			}
		}
	}
	return ""
}
