package job

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/nn"
)

// sameBits reports the first parameter that differs bit for bit.
func sameBits(a, b nn.Params) error {
	for l := range a.W {
		for _, pair := range [][2][]float32{{a.W[l], b.W[l]}, {a.B[l], b.B[l]}} {
			for i := range pair[0] {
				if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
					return fmt.Errorf("layer %d element %d: %v vs %v", l, i, pair[0][i], pair[1][i])
				}
			}
		}
	}
	return nil
}

// interruptAt runs e until a checkpoint at step n, which it saves to a file
// and loads back, as "gputrain train" does on Ctrl-C.
func interruptAt(t *testing.T, ds *data.Dataset, e Experiment, n int) *Checkpoint {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.CheckpointEvery = n
	hooks := Hooks{Checkpoint: func(*Checkpoint) error { cancel(); return nil }}
	_, err := RunExperimentContext(ctx, cpu.New(), ds, e, hooks)
	var ie *InterruptedError
	if !errors.As(err, &ie) || ie.Step != n || ie.Checkpoint == nil {
		t.Fatalf("run interrupted at the checkpoint of step %d: error %v", n, err)
	}
	path := filepath.Join(t.TempDir(), "run.ckpt")
	if err := ie.Checkpoint.Save(path); err != nil {
		t.Fatal(err)
	}
	ck, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

// TestResumeIsBitIdentical checks that a run of 2N updates gives the same
// parameters, byte for byte, as a run stopped after N updates, saved to a
// checkpoint file, loaded and resumed for the rest: for gradient descent,
// minibatch SGD, momentum and Adam, each with and without dropout, and with
// the stop inside an epoch so that the resumed part crosses an epoch
// boundary. A last case adds everything else that carries state: class
// weights, a cosine schedule with warm-up, validation records and early
// stopping's bookkeeping.
func TestResumeIsBitIdentical(t *testing.T) {
	ds, err := data.Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name  string
		opt   nn.OptimConfig
		batch int
		n     int // stop after n of 2n updates
		more  func(*Experiment)
	}
	adam := nn.OptimConfig{Kind: nn.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	var cases []tc
	for _, dropout := range []float64{0, 0.3} {
		d := dropout
		withDropout := func(e *Experiment) { e.Dropout = d }
		cases = append(cases,
			tc{fmt.Sprintf("gd/dropout%v", d), nn.OptimConfig{Kind: nn.GD, LR: 1e-4}, 0, 12, withDropout},
			// 1055 rows in batches of 100: 11 per epoch; stopping at 16 is
			// inside epoch 2 and the resumed part crosses into epoch 3.
			tc{fmt.Sprintf("sgd/dropout%v", d), nn.OptimConfig{Kind: nn.SGD, LR: 1e-3}, 100, 16, withDropout},
			tc{fmt.Sprintf("momentum/dropout%v", d), nn.OptimConfig{Kind: nn.Momentum, LR: 1e-3, Momentum: 0.9}, 100, 16, withDropout},
			tc{fmt.Sprintf("adam/dropout%v", d), adam, 100, 16, withDropout},
			tc{fmt.Sprintf("adam-full-batch/dropout%v", d), adam, 0, 12, withDropout},
		)
	}
	cases = append(cases,
		// Stopping exactly at an epoch boundary: the resumed run draws the
		// next epoch's order from the saved generator.
		tc{"sgd/epoch-boundary", nn.OptimConfig{Kind: nn.SGD, LR: 1e-3}, 100, 11, nil},
		tc{"everything", adam, 64, 25, func(e *Experiment) {
			e.Dropout, e.ClassWeight, e.ValSplit = 0.2, "balanced", 0.2
			e.Schedule = nn.Schedule{Kind: nn.CosineLR, Warmup: 5}
			e.RecordEvery = 7
			e.EarlyStopping = nn.EarlyStopping{Patience: 100, RestoreBest: true}
			e.Optim.WeightDecay = 1e-3
		}},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := workshop(3)
			e.Optim, e.BatchSize, e.Steps, e.Reduction = c.opt, c.batch, 2*c.n, nn.Mean
			if c.more != nil {
				c.more(&e)
			}
			straight, err := RunExperiment(cpu.New(), ds, e, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			ck := interruptAt(t, ds, e, c.n)
			if ck.State.Step != c.n {
				t.Fatalf("checkpoint at step %d, want %d", ck.State.Step, c.n)
			}
			e.Resume = ck
			resumed, err := RunExperiment(cpu.New(), ds, e, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameBits(straight.Model.Params, resumed.Model.Params); err != nil {
				t.Fatalf("resumed run differs from the straight one: %v", err)
			}
			if len(straight.History) != len(resumed.History) {
				t.Fatalf("histories have %d and %d points", len(straight.History), len(resumed.History))
			}
			for i := range straight.History {
				if !reflect.DeepEqual(straight.History[i], resumed.History[i]) {
					t.Fatalf("history point %d: %+v straight, %+v resumed", i, straight.History[i], resumed.History[i])
				}
			}
			if len(straight.Records) != len(resumed.Records) {
				t.Fatalf("%d and %d progress records", len(straight.Records), len(resumed.Records))
			}
			for i := range straight.Records {
				a, b := straight.Records[i], resumed.Records[i]
				if a.Step != b.Step || a.Loss != b.Loss || a.ValLoss != b.ValLoss || a.LR != b.LR {
					t.Fatalf("record %d: %+v straight, %+v resumed", i, a, b)
				}
			}
		})
	}
}

// TestResumeRejectsOtherData resumes a checkpoint on different data.
func TestResumeRejectsOtherData(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(1)
	e.Steps = 10
	e.Resume = interruptAt(t, ds, e, 5)
	rows := make([]int, 1000)
	for i := range rows {
		rows[i] = i
	}
	_, err := RunExperiment(cpu.New(), ds.Subset(rows), e, nil, nil)
	var re *ResumeError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "not those the checkpoint was trained on") {
		t.Fatalf("resuming on other data: %v", err)
	}
}

// TestResumeRestartsIsBitIdentical stops a run of three restarts with
// Adam, batch norm and early-stopping records (every tensor kind a
// checkpoint holds, once per network), saves and reloads the checkpoint
// and checks that every network ends bit for bit as in the run that was
// not stopped.
func TestResumeRestartsIsBitIdentical(t *testing.T) {
	ds, err := data.Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	e := workshop(5)
	e.Restarts, e.BatchNorm, e.BatchSize, e.Steps, e.Reduction = 3, true, 100, 30, nn.Mean
	e.Optim = nn.OptimConfig{Kind: nn.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	e.ValSplit, e.RecordEvery = 0.2, 4
	e.EarlyStopping = nn.EarlyStopping{Patience: 100, RestoreBest: true}
	straight, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ck := interruptAt(t, ds, e, 13)
	if ck.Restarts != 3 {
		t.Fatalf("checkpoint holds %d networks, want 3", ck.Restarts)
	}
	if err := ck.State.Params.CheckShapes(ck.Model.Arch, 3); err != nil {
		t.Fatal(err)
	}
	e.Resume = ck
	resumed, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameBits(straight.Model.Params, resumed.Model.Params); err != nil {
		t.Fatalf("resumed run differs from the straight one: %v", err)
	}
	for r := range straight.Restarts {
		for i, ev := range straight.Restarts[r].Evals {
			if got := resumed.Restarts[r].Evals[i].Loss; math.Float64bits(got) != math.Float64bits(ev.Loss) {
				t.Fatalf("restart %d %s loss: %v resumed, %v straight", r, ev.Split, got, ev.Loss)
			}
		}
	}
	e.Restarts = 2
	if _, err := RunExperiment(cpu.New(), ds, e, nil, nil); err == nil || !strings.Contains(err.Error(), "3 networks") {
		t.Fatalf("resuming 3 networks as 2: %v", err)
	}
}
