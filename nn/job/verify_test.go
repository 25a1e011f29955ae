package job

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

// verifyCases are configurations "gputrain verify" is checked with: every
// optimizer, minibatches, dropout, two hidden layers, class weights and a
// learning-rate schedule.
var verifyCases = []struct {
	name string
	f    func(*Experiment)
}{
	{"gd", func(e *Experiment) {}},
	{"adam-minibatch-dropout", func(e *Experiment) {
		e.Optim = nn.OptimConfig{Kind: nn.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-3}
		e.BatchSize, e.Dropout, e.Reduction = 64, 0.2, nn.Mean
	}},
	{"momentum-relu-two-layers", func(e *Experiment) {
		e.Optim = nn.OptimConfig{Kind: nn.Momentum, LR: 1e-2, Momentum: 0.9}
		e.BatchSize, e.Reduction, e.Hidden, e.Activation = 32, nn.Mean, []int{16, 8}, device.ReLU
	}},
	{"sgd-class-weights-cosine", func(e *Experiment) {
		e.Optim = nn.OptimConfig{Kind: nn.SGD, LR: 1e-2}
		e.BatchSize, e.Reduction, e.ClassWeight = 32, nn.Mean, "balanced"
		e.Schedule = nn.Schedule{Kind: nn.CosineLR, Warmup: 5}
	}},
}

func TestVerifyCPUMatchesFloat64Reference(t *testing.T) {
	ds, _ := data.Biodeg()
	for _, c := range verifyCases {
		e := workshop(1)
		c.f(&e)
		cfg, x, y, n, err := e.VerifyConfig(ds, 30)
		if err != nil {
			t.Fatal(err)
		}
		res, err := nn.Verify([]device.Device{cpu.New()}, cfg, x, y, n, nn.DefaultTolerance)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Baseline != nn.ReferenceName || len(res[0].Diffs) != 2*cfg.Arch.Layers() {
			t.Fatalf("%s: comparisons %+v", c.name, res)
		}
		for _, d := range res[0].Diffs {
			t.Logf("%s: %s max |Δ| %.3g, relative %.3g, %.3g of the tolerance", c.name, d.Name, d.MaxAbs, d.MaxRel, d.Excess)
			if !d.OK() || d.Excess > 0.1 {
				t.Errorf("%s: %s is %.3g of the tolerance away from the float64 reference", c.name, d.Name, d.Excess)
			}
		}
	}
}

// skewedDevice is the CPU backend with a 1 % error in its SGD step.
type skewedDevice struct{ device.Device }

func (d skewedDevice) Name() string { return "skewed" }

func (d skewedDevice) OptimStep(kernel string, p, g device.Buffer, state []device.Buffer, n int, args device.OptimArgs) {
	if kernel == "sgd_step" {
		args[0] *= 1.01 // the learning rate
	}
	d.Device.OptimStep(kernel, p, g, state, n, args)
}

// TestVerifyCatchesAWrongDevice checks that a device whose update is off by
// 1 % fails against the reference and against the correct device.
func TestVerifyCatchesAWrongDevice(t *testing.T) {
	ds, _ := data.Biodeg()
	e := workshop(1)
	cfg, x, y, n, err := e.VerifyConfig(ds, 30)
	if err != nil {
		t.Fatal(err)
	}
	res, err := nn.Verify([]device.Device{cpu.New(), skewedDevice{cpu.New()}}, cfg, x, y, n, nn.DefaultTolerance)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("%d comparisons, want cpu/ref, skewed/ref, skewed/cpu", len(res))
	}
	if !res[0].OK() {
		t.Errorf("cpu fails: worst %+v", res[0].Worst())
	}
	for _, c := range res[1:] {
		if c.OK() || c.Name != "skewed" {
			t.Errorf("%s against %s passes: worst %+v", c.Name, c.Baseline, c.Worst())
		}
		if w := c.Worst(); !strings.HasPrefix(w.Name, "layers.") || w.Excess < 10 {
			t.Errorf("%s against %s: worst %+v", c.Name, c.Baseline, w)
		}
	}
}

// TestEveryRuleAndActivationMatchesReference runs every optimizer rule
// (with weight decay and the L1 penalty, which every rule combines with
// its update) and every activation of the device table through verify on
// the CPU, so that a new entry is checked against its float64 reference
// without a test of its own.
func TestEveryRuleAndActivationMatchesReference(t *testing.T) {
	ds, _ := data.Biodeg()
	var cases []func(*Experiment)
	for _, kind := range nn.Optimizers() {
		cases = append(cases, func(e *Experiment) {
			e.Optim = nn.OptimConfig{Kind: kind, LR: 1e-2, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-2, L1: 1e-3}
		})
	}
	for _, a := range device.AllActivations() {
		cases = append(cases, func(e *Experiment) { e.Activation, e.ActivationParam = a, 0.1 })
	}
	for _, f := range cases {
		e := workshop(1)
		e.Optim = nn.OptimConfig{Kind: nn.SGD, LR: 1e-2}
		e.BatchSize, e.Reduction, e.Hidden = 64, nn.Mean, []int{8}
		f(&e)
		name := fmt.Sprintf("%s/%v", e.Optim.Kind, e.Activation)
		cfg, x, y, n, err := e.VerifyConfig(ds, 20)
		if err != nil {
			t.Fatal(err)
		}
		res, err := nn.Verify([]device.Device{cpu.New()}, cfg, x, y, n, nn.DefaultTolerance)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range res[0].Diffs {
			// Half the tolerance: RMSprop's d/sqrt(s) magnifies float32
			// rounding (0.12 of the tolerance with momentum here).
			if !d.OK() || d.Excess > 0.5 {
				t.Errorf("%s: %s is %.3g of the tolerance away from the float64 reference", name, d.Name, d.Excess)
			}
		}
	}
}
