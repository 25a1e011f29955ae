package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// forward64 is the network's output for one row, from the textbook
// formula: tanh hidden layers, an identity output layer, w[l] fan_in ×
// fan_out row-major.
func forward64(p Params, x []float32) []float64 {
	a := f64(x)
	for l := range p.W {
		in, out := len(a), len(p.B[l])
		z := make([]float64, out)
		for j := range z {
			z[j] = float64(p.B[l][j])
			for i := 0; i < in; i++ {
				z[j] += a[i] * float64(p.W[l][i*out+j])
			}
			if l < len(p.W)-1 {
				z[j] = math.Tanh(z[j])
			}
		}
		a = z
	}
	return a
}

// Logits in chunks of maxRows rows (the last short, or exact) and with two
// replicas side by side gives every row's outputs, replica r's in column
// block r, as the float64 forward pass computes them.
func TestLogitsChunksAndReplicas(t *testing.T) {
	arch := Arch{Inputs: 3, Hidden: []int{4}, Outputs: 2, Activation: device.Tanh, Loss: device.SoftmaxCE}
	reps := []Params{InitParams(arch, InitGlorot, 1), InitParams(arch, InitGlorot, 2)}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ replicas, rows int }{{1, 10}, {2, 10}, {2, 8}} {
		name := fmt.Sprintf("%d replicas, %d rows", c.replicas, c.rows)
		x := make([]float32, c.rows*arch.Inputs)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		net, err := newReplicas(cpu.New(), arch, StackReplicas(reps[:c.replicas]), c.replicas, 4, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := net.Logits(x, c.rows)
		net.Close()
		if err != nil {
			t.Fatal(err)
		}
		k := c.replicas * arch.Outputs
		if len(got) != c.rows*k {
			t.Fatalf("%s: %d logits, want %d", name, len(got), c.rows*k)
		}
		for i := 0; i < c.rows; i++ {
			for r := 0; r < c.replicas; r++ {
				want := forward64(reps[r], x[i*arch.Inputs:(i+1)*arch.Inputs])
				for j, w := range want {
					if g := got[i*k+r*arch.Outputs+j]; math.Abs(float64(g)-w) > 1e-5 {
						t.Fatalf("%s: row %d replica %d output %d = %v, float64 forward %v", name, i, r, j, g, w)
					}
				}
			}
		}
	}
}
