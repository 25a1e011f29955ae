package job

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

// scaleData is 100 rows of two features in [0, 1) and a regression label
// in [0, labelScale), with column b multiplied by bScale.
func scaleData(t *testing.T, bScale, labelScale float64) *data.Dataset {
	t.Helper()
	var b strings.Builder
	b.WriteString("a,b,price\n")
	rng := nn.NewRand(3, 99)
	for range 100 {
		fmt.Fprintf(&b, "%g,%g,%g\n", rng.Float64(), rng.Float64()*bScale, rng.Float64()*labelScale)
	}
	ds, err := data.ParseSingle(strings.NewReader(b.String()), "s.csv", "", data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func regression(lr float64, standardize bool) Experiment {
	return Experiment{Task: data.TaskRegression, Hidden: []int{8}, Activation: device.ReLU, Init: nn.InitNormal,
		Optim: nn.OptimConfig{Kind: nn.GD, LR: lr}, Steps: 50, Reduction: nn.Sum, Seed: 1, Standardize: standardize}
}

// TestDataScale tells data whose scale float32 training cannot hold
// (refused before training, naming the column) and data whose scale makes
// training diverge (the divergence blames the column) from a learning
// rate that is simply too large (the divergence blames --lr).
func TestDataScale(t *testing.T) {
	cases := []struct {
		name    string
		ds      *data.Dataset
		e       Experiment
		refused string // a *data.Error's text
		blames  string // the divergence's advice
	}{
		{"feature of ±1e308, standardised", scaleData(t, 1e308, 1), regression(1e-4, true), `column "b" holds values up to 9.95e+307 (standardising it overflows)`, ""},
		{"feature of 1e300, raw", scaleData(t, 1e300, 1), regression(1e-4, false), `column "b" holds values up to 9.95e+299, beyond`, ""},
		{"labels near 1e30", scaleData(t, 1, 1e30), regression(1e-4, true), `the label column "price" holds values up to`, ""},
		{"labels near 1e8", scaleData(t, 1, 1e8), regression(1e-2, true), "", `the data's scale is the likely cause, not the learning rate: the label column "price" reaches`},
		{"raw feature near 1e6", scaleData(t, 1e6, 1), regression(1e-2, false), "", `column "b" reaches`},
		{"learning rate", scaleData(t, 1, 1), regression(10, true), "", "try a smaller learning rate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := RunExperiment(cpu.New(), c.ds, c.e, nil, nil)
			var de *data.Error
			var dv *nn.DivergenceError
			switch {
			case c.refused != "":
				if !errors.As(err, &de) || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("error %v, want a data error with %q", err, c.refused)
				}
			case !errors.As(err, &dv) || !strings.Contains(err.Error(), c.blames):
				t.Fatalf("error %v, want a divergence with %q", err, c.blames)
			}
		})
	}
}

// TestCheckFinite plants a NaN and an Inf in a model's parameters.
func TestCheckFinite(t *testing.T) {
	m := &Model{Arch: nn.Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}}
	m.Params = nn.InitParams(m.Arch, nn.InitNormal, 1)
	if err := m.CheckFinite(); err != nil {
		t.Fatal(err)
	}
	m.Params.B[1][0] = float32(math.Inf(-1))
	m.Params.W[0][4] = float32(math.NaN())
	// W[0] is stored in × out: element 4 is input 1, unit 1, which the file
	// stores as [out, in] element 1·2+1 = 3.
	if err := m.CheckFinite(); err == nil || !strings.HasPrefix(err.Error(), `tensor "layers.0.weight" holds NaN at element 3`) {
		t.Fatalf("NaN weight: %v", err)
	}
	m.Params.W[0][4] = 0
	if err := m.CheckFinite(); err == nil || !strings.HasPrefix(err.Error(), `tensor "layers.1.bias" holds -Inf at element 0`) {
		t.Fatalf("-Inf bias: %v", err)
	}
}
