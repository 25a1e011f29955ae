package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// trainAlone trains cfg on the CPU and returns its parameters (every
// replica) and loss history.
func trainAlone(t *testing.T, cfg TrainConfig, x, y []float32, rows int) (Params, []LossPoint) {
	t.Helper()
	tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hist, err := tr.Run(nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tr.Network().Params()
	if err != nil {
		t.Fatal(err)
	}
	return p, hist
}

// sameBits reports the first element where a and b differ in any bit.
func sameBits(t *testing.T, what string, a, b Params) {
	t.Helper()
	ta, _ := a.tensors()
	tb, _ := b.tensors()
	for i := range ta {
		for j, v := range *ta[i] {
			if w := (*tb[i])[j]; math.Float32bits(v) != math.Float32bits(w) {
				t.Fatalf("%s: tensor %d element %d is %v side by side, %v alone", what, i, j, v, w)
			}
		}
	}
}

// TestVariantsMatchSeparateRuns trains several hyper-parameter variants
// side by side and checks each against the run with its settings alone,
// bit for bit: every parameter and every recorded loss. The cases cover
// the update rules (with and without state), per-variant learning rates,
// weight decays, momenta and dropout rates (0 among them), a learning-rate
// schedule, minibatches and a first layer whose width is not a multiple of
// the CPU's vector length.
func TestVariantsMatchSeparateRuns(t *testing.T) {
	gd := func(lr, wd float64) OptimConfig { return OptimConfig{Kind: GD, LR: lr, WeightDecay: wd} }
	mom := func(lr, m, wd float64) OptimConfig {
		return OptimConfig{Kind: Momentum, LR: lr, Momentum: m, WeightDecay: wd}
	}
	adam := func(lr, wd float64) OptimConfig {
		return OptimConfig{Kind: Adam, LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: wd}
	}
	cases := []struct {
		name     string
		hidden   []int
		batch    int
		schedule Schedule
		variants []Variant
	}{
		{"gd", []int{10}, 0, Schedule{}, []Variant{{gd(1e-3, 0), 0}, {gd(3e-3, 1e-2), 0.2}, {gd(1e-2, 1e-3), 0}, {gd(1e-3, 0), 0.2}}},
		{"momentum-minibatch", []int{7, 5}, 64, Schedule{}, []Variant{{mom(1e-3, 0.9, 0), 0.5}, {mom(3e-3, 0.5, 1e-2), 0}, {mom(1e-2, 0, 0), 0.1}}},
		{"adam-cosine", []int{16}, 0, Schedule{Kind: CosineLR}, []Variant{{adam(1e-3, 0), 0}, {adam(1e-2, 1e-3), 0.2}}},
		{"one", []int{10}, 0, Schedule{}, []Variant{{gd(3e-3, 1e-2), 0.2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			arch := Arch{Inputs: 3, Hidden: c.hidden, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
			const rows = 200
			x, y := randomProblem(rand.New(rand.NewPCG(5, 6)), arch, rows)
			base := TrainConfig{Arch: arch, Init: InitNormal, Optim: c.variants[0].Optim, Schedule: c.schedule,
				BatchSize: c.batch, Steps: 150, Reduction: Mean, Seed: 7, RecordEvery: 10}
			together := base
			together.Variants = c.variants
			got, hist := trainAlone(t, together, x, y, rows)
			R := len(c.variants)
			for r, v := range c.variants {
				alone := base
				alone.Optim, alone.Dropout = v.Optim, v.Dropout
				want, wantHist := trainAlone(t, alone, x, y, rows)
				sameBits(t, "variant "+string(rune('0'+r)), got.Replica(r, R), want)
				for i, pt := range wantHist {
					loss := hist[i].Loss
					if R > 1 {
						loss = hist[i].Restarts[r]
					}
					if math.Float64bits(loss) != math.Float64bits(pt.Loss) {
						t.Fatalf("variant %d: loss at step %d is %v side by side, %v alone", r, pt.Step, loss, pt.Loss)
					}
				}
			}
		})
	}
}

// TestVariantsRefused checks what cannot train side by side: another
// optimizer or L1 than the run's, a dropout rate outside [0,1), restarts
// or early stopping; and that variants have no checkpoint state.
func TestVariantsRefused(t *testing.T) {
	arch := Arch{Inputs: 3, Hidden: []int{4}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	const rows = 20
	x, y := randomProblem(rand.New(rand.NewPCG(1, 2)), arch, rows)
	gd := OptimConfig{Kind: GD, LR: 1e-3}
	base := TrainConfig{Arch: arch, Init: InitNormal, Optim: gd, Steps: 2, Reduction: Mean, Seed: 1,
		Variants: []Variant{{Optim: gd}, {Optim: OptimConfig{Kind: GD, LR: 1e-2}, Dropout: 0.5}}}
	for name, change := range map[string]func(*TrainConfig){
		"optimizer":      func(c *TrainConfig) { c.Variants[1].Optim.Kind = Momentum },
		"l1":             func(c *TrainConfig) { c.Variants[1].Optim.L1 = 1e-3 },
		"dropout":        func(c *TrainConfig) { c.Variants[1].Dropout = 1 },
		"restarts":       func(c *TrainConfig) { c.Restarts = 2 },
		"early stopping": func(c *TrainConfig) { c.EarlyStopping.Patience = 2 },
	} {
		cfg := base
		cfg.Variants = append([]Variant(nil), base.Variants...)
		change(&cfg)
		tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
		if err == nil {
			tr.Close()
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "variant") {
			t.Errorf("%s: %v", name, err)
		}
	}
	tr, err := NewTrainer(cpu.New(), base, x, y, rows)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.State(); err == nil {
		t.Error("variants side by side gave a checkpoint state")
	}
}
