package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// After one Adam step from zero moments, the state a checkpoint captures
// holds m = (1−β1)·g and v = (1−β2)·g² for every weight and bias, g the
// float64 reference's gradient at the starting parameters.
func TestStateHoldsAdamMoments(t *testing.T) {
	arch := Arch{Inputs: 3, Hidden: []int{4}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	const rows, b1, b2 = 9, 0.9, 0.99
	x, y := randomProblem(rand.New(rand.NewPCG(25, 26)), arch, rows)
	start := InitParams(arch, InitGlorot, 7)
	_, gw, gb := newRef64(arch, start).lossGrad(f64(x), f64(y), rows)
	cfg := TrainConfig{Arch: arch, InitFrom: &start, Optim: OptimConfig{Kind: Adam, LR: 1e-3, Beta1: b1, Beta2: b2, Eps: 1e-8},
		Steps: 1, Reduction: Sum, Seed: 1}
	tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Run(nil); err != nil {
		t.Fatal(err)
	}
	st, err := tr.State()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.OptimState) != 2 {
		t.Fatalf("%d optimizer state tensors, want 2 (Adam's moments)", len(st.OptimState))
	}
	near := func(got float32, want float64) bool { return math.Abs(float64(got)-want) <= 1e-5*(1+math.Abs(want)) }
	for l := range gw {
		for _, c := range []struct {
			name string
			g    []float64
			m, v []float32
		}{{"W", gw[l], st.OptimState[0].W[l], st.OptimState[1].W[l]}, {"B", gb[l], st.OptimState[0].B[l], st.OptimState[1].B[l]}} {
			for i, g := range c.g {
				if !near(c.m[i], (1-b1)*g) || !near(c.v[i], (1-b2)*g*g) {
					t.Fatalf("%s[%d][%d]: moments %v, %v; want %v, %v", c.name, l, i, c.m[i], c.v[i], (1-b1)*g, (1-b2)*g*g)
				}
			}
		}
	}
}
