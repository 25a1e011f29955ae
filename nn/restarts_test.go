package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// Restarts train side by side, every layer's products strided over the
// replicas: each replica must end where a run of its own from the same
// start ends, forward and backward through two hidden layers, its loss
// curve (the mean reduction's scale included) that run's.
func TestRestartsTrainLikeSeparateRuns(t *testing.T) {
	arch := Arch{Inputs: 3, Hidden: []int{5, 4}, Outputs: 2, Activation: device.Tanh, Loss: device.SoftmaxCE}
	const rows, replicas = 17, 3
	x, y := randomProblem(rand.New(rand.NewPCG(21, 22)), arch, rows)
	cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 4, Reduction: Mean, Seed: 6, Restarts: replicas}
	tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
	if err != nil {
		t.Fatal(err)
	}
	start, err := tr.Params()
	if err != nil {
		t.Fatal(err)
	}
	histTogether, err := tr.Run(nil)
	if err != nil {
		t.Fatal(err)
	}
	together, err := tr.Params()
	tr.Close()
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < replicas; r++ {
		from := start.Replica(r, replicas)
		one := cfg
		one.Restarts, one.InitFrom = 0, &from
		tr, err := NewTrainer(cpu.New(), one, x, y, rows)
		if err != nil {
			t.Fatal(err)
		}
		histAlone, err := tr.Run(nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range histAlone {
			if q := histTogether[i]; len(q.Restarts) != replicas || math.Abs(q.Restarts[r]-p.Loss) > 1e-5*(1+math.Abs(p.Loss)) {
				t.Fatalf("step %d: restart %d's loss %v side by side, %v alone", p.Step, r, q.Restarts, p.Loss)
			}
		}
		alone, err := tr.Params()
		tr.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := together.Replica(r, replicas)
		for l := range alone.W {
			for _, c := range []struct {
				name      string
				got, want []float32
			}{{"W", got.W[l], alone.W[l]}, {"B", got.B[l], alone.B[l]}} {
				for i := range c.want {
					if math.Abs(float64(c.got[i]-c.want[i])) > 1e-5 {
						t.Fatalf("replica %d %s[%d][%d] = %v side by side, %v alone", r, c.name, l, i, c.got[i], c.want[i])
					}
				}
			}
		}
	}
}
