package job

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

// penguinish returns a small table like the Palmer penguins: three species
// told apart by a numeric column with gaps and a text column.
func penguinish(t *testing.T) *data.Dataset {
	t.Helper()
	var b strings.Builder
	b.WriteString("species,island,bill,mass\n")
	islands := []string{"Biscoe", "Dream", "Torgersen"}
	for i := 0; i < 60; i++ {
		k := i % 3
		bill := fmt.Sprintf("%.1f", 38+5*float64(k)+float64(i%7)/7)
		if i%11 == 4 {
			bill = "NA"
		}
		fmt.Fprintf(&b, "%s,%s,%s,%d\n", []string{"Adelie", "Chinstrap", "Gentoo"}[k], islands[(k+i/30)%3], bill, 3500+100*(i%5))
	}
	ds, err := data.ParseSingle(strings.NewReader(b.String()), "p.csv", "species", data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func prepExperiment() Experiment {
	return Experiment{
		Task: data.TaskAuto, Hidden: []int{8}, Activation: device.Tanh, Init: nn.InitGlorot,
		Optim: nn.OptimConfig{Kind: nn.Adam, LR: 3e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, Steps: 300,
		Reduction: nn.Mean, Seed: 3, Standardize: true, Threshold: 0.5, ValSplit: 0.25,
		Prep: &data.PrepConfig{MissingIndicator: true},
	}
}

// TestPrepModelRoundTrip trains on text and missing cells, checks that the
// preprocessing was fitted on the training rows only, saves the model and
// checks that the loaded one has the same preprocessing and predicts the
// same.
func TestPrepModelRoundTrip(t *testing.T) {
	ds := penguinish(t)
	e := prepExperiment()
	res, err := RunExperiment(cpu.New(), ds, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	if m.Prep == nil || m.Arch.Inputs != 6 || res.Arch.Inputs != 6 {
		t.Fatalf("prep %+v, %d inputs", m.Prep, m.Arch.Inputs)
	}
	wantNames := []string{"island=Biscoe", "island=Dream", "island=Torgersen", "bill", "bill (missing)", "mass"}
	if !reflect.DeepEqual(m.Features, wantNames) {
		t.Fatalf("features %v", m.Features)
	}
	y, _, _, _ := data.Encode(ds, data.TaskAuto)
	train, _, _, _ := data.Split(y, e.ValSplit, 0, true, e.Seed)
	onTrain, _ := data.FitPrep(ds, train, *e.Prep)
	onAll, _ := data.FitPrep(ds, nil, *e.Prep)
	if m.Prep.Columns[1].Fill != onTrain.Columns[1].Fill || m.Prep.Columns[1].Fill == onAll.Columns[1].Fill {
		t.Fatalf("bill fill %v: training rows %v, all rows %v", m.Prep.Columns[1].Fill, onTrain.Columns[1].Fill, onAll.Columns[1].Fill)
	}
	path := filepath.Join(t.TempDir(), "p.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded.Prep, m.Prep) || !reflect.DeepEqual(loaded.Features, m.Features) {
		t.Fatalf("preprocessing changed in the file:\n%+v\n%+v", loaded.Prep, m.Prep)
	}
	logits := func(m *Model) []float32 {
		in, _, err := m.Inputs(ds)
		if err != nil {
			t.Fatal(err)
		}
		x := matrix32(in, allRowsOf(in))
		out, err := nn.Infer(cpu.New(), m.Arch, m.Params, x, in.Rows())
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := logits(m), logits(loaded)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the loaded model predicts differently")
	}
	// The validation accuracy shows the columns reached the network.
	for _, ev := range res.Evals {
		if ev.Split == "validation" && metric(ev, "accuracy") < 0.8 {
			t.Fatalf("validation accuracy %v", metric(ev, "accuracy"))
		}
	}
}

func allRowsOf(ds *data.Dataset) []int {
	rows := make([]int, ds.Rows())
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// TestPrepPerFold checks that cross-validation fits the preprocessing in
// every fold, on that fold's training rows.
func TestPrepPerFold(t *testing.T) {
	ds := penguinish(t)
	e := prepExperiment()
	e.ValSplit, e.CV, e.Steps = 0, 3, 20
	var fills []float64
	hooks := Hooks{Prep: func(fold int, p *data.Prep) {
		if fold != len(fills)+1 {
			t.Errorf("fold %d after %d", fold, len(fills))
		}
		fills = append(fills, p.Columns[1].Fill)
	}}
	if _, err := RunExperimentContext(t.Context(), cpu.New(), ds, e, hooks); err != nil {
		t.Fatal(err)
	}
	y, _, _, _ := data.Encode(ds, data.TaskAuto)
	folds, _ := data.KFold(y, 3, true, e.Seed)
	for k, fold := range folds {
		p, _ := data.FitPrep(ds, data.Complement(ds.Rows(), fold), *e.Prep)
		if k >= len(fills) || math.Abs(fills[k]-p.Columns[1].Fill) > 0 {
			t.Fatalf("fold %d fill %v, want %v", k+1, fills, p.Columns[1].Fill)
		}
	}
	if fills[0] == fills[1] && fills[1] == fills[2] {
		t.Fatal("every fold imputes the same value: the test cannot tell")
	}
}
