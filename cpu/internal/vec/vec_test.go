package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu/internal/isa"
)

var sizes = []int{1, 7, 8, 9, 20, 41, 1055, 4097}

func forEachLevel(t *testing.T, f func(t *testing.T)) {
	for l := isa.Generic; l <= isa.AVX512; l++ {
		t.Run(l.String(), func(t *testing.T) {
			prev, err := isa.Set(l)
			if err != nil {
				t.Skipf("not run here: %v", err)
			}
			defer isa.Set(prev)
			f(t)
		})
	}
}

// randSlice returns n values uniform in (−scale, scale), as an unaligned
// sub-slice (offset by one element).
func randSlice(rng *rand.Rand, n int, scale float32) []float32 {
	x := make([]float32, n+1)
	for i := range x {
		x[i] = scale * (2*rng.Float32() - 1)
	}
	return x[1:]
}

func check(t *testing.T, name string, got []float32, want func(i int) float64, rtol, atol float64) {
	t.Helper()
	for i, g := range got {
		w := want(i)
		if math.IsNaN(w) != math.IsNaN(float64(g)) || math.Abs(float64(g)-w) > atol+rtol*math.Abs(w) {
			t.Fatalf("%s[%d] = %v, want %v", name, i, g, w)
		}
	}
}

func sig64(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func TestActivations(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 1))
		for _, n := range sizes {
			for _, scale := range []float32{0.5, 4, 100} {
				x := randSlice(rng, n, scale)
				x[0] = 1e-6 * scale // tiny arguments keep their relative accuracy
				dst := randSlice(rng, n, 1)
				name := fmt.Sprintf("n=%d scale=%v", n, scale)
				Tanh(dst, x)
				check(t, "tanh "+name, dst, func(i int) float64 { return math.Tanh(float64(x[i])) }, 4e-7, 1e-30)
				Sigmoid(dst, x)
				check(t, "sigmoid "+name, dst, func(i int) float64 { return sig64(float64(x[i])) }, 4e-7, 1e-30)
				ReLU(dst, x)
				check(t, "relu "+name, dst, func(i int) float64 { return math.Max(float64(x[i]), 0) }, 0, 0)
				// In place.
				y := append([]float32(nil), x...)
				Tanh(y, y)
				check(t, "tanh in place "+name, y, func(i int) float64 { return math.Tanh(float64(x[i])) }, 4e-7, 1e-30)
			}
		}
		special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, -0.0, 89, -89, 1e-30}
		dst := make([]float32, len(special))
		Tanh(dst, special)
		check(t, "tanh special", dst, func(i int) float64 { return math.Tanh(float64(special[i])) }, 4e-7, 1e-30)
		Sigmoid(dst, special)
		check(t, "sigmoid special", dst, func(i int) float64 { return sig64(float64(special[i])) }, 4e-7, 1e-30)
	})
}

func TestGradsAndElementwise(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(2, 1))
		for _, n := range sizes {
			o, d, dz := randSlice(rng, n, 1), randSlice(rng, n, 1), randSlice(rng, n, 1)
			name := fmt.Sprintf("n=%d", n)
			TanhGrad(dz, o, d)
			check(t, "tanh' "+name, dz, func(i int) float64 { return float64(d[i]) * (1 - float64(o[i])*float64(o[i])) }, 1e-6, 1e-7)
			SigmoidGrad(dz, o, d)
			check(t, "sigmoid' "+name, dz, func(i int) float64 { return float64(d[i]) * float64(o[i]) * (1 - float64(o[i])) }, 1e-6, 1e-7)
			ReLUGrad(dz, o, d)
			check(t, "relu' "+name, dz, func(i int) float64 {
				if o[i] > 0 {
					return float64(d[i])
				}
				return 0
			}, 0, 0)
			Mul(dz, o, d)
			check(t, "mul "+name, dz, func(i int) float64 { return float64(d[i]) * float64(o[i]) }, 1e-7, 0)
		}
	})
}

func TestAddBiasColSums(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 1))
		for _, rows := range []int{1, 7, 41, 1055} {
			for _, cols := range []int{1, 3, 4, 8, 20, 41, 64, 200} {
				z, b, out := randSlice(rng, rows*cols, 2), randSlice(rng, cols, 2), randSlice(rng, rows*cols, 1)
				name := fmt.Sprintf("%d×%d", rows, cols)
				AddBias(out, z, b, rows, cols)
				check(t, "addbias "+name, out, func(i int) float64 { return float64(z[i] + b[i%cols]) }, 0, 0)
				acc := make([]float64, cols+1)[1:]
				acc[0] = 0.5
				ColSums(acc, z, rows, cols, cols)
				want := make([]float64, cols)
				want[0] = 0.5
				for i, v := range z {
					want[i%cols] += float64(v)
				}
				// Each column is added row by row, as here: the same bits.
				for c := range acc {
					if acc[c] != want[c] {
						t.Fatalf("colsums %s: acc[%d] = %v, want %v", name, c, acc[c], want[c])
					}
				}
				// A range of columns of the same matrix (row stride cols), as
				// the CPU device's pieces sum them.
				if cols > 12 {
					part := make([]float64, cols)
					ColSums(part[8:cols-4], z[8:], rows, cols-12, cols)
					for c := 8; c < cols-4; c++ {
						if part[c] != want[c] {
							t.Fatalf("colsums %s, columns 8…%d: acc[%d] = %v, want %v", name, cols-5, c, part[c], want[c])
						}
					}
				}
			}
		}
	})
}

func TestLogistic(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(4, 1))
		for _, n := range sizes {
			for _, scale := range []float32{0.01, 3, 40} {
				z, y := randSlice(rng, n, scale), randSlice(rng, n, 1)
				for i := range y {
					y[i] = float32(rng.IntN(2))
				}
				grad, loss := randSlice(rng, n, 1), randSlice(rng, n, 1)
				Logistic(z, y, grad, loss, 0.25)
				name := fmt.Sprintf("n=%d scale=%v", n, scale)
				check(t, "logistic grad "+name, grad, func(i int) float64 { return 0.25 * (sig64(float64(z[i])) - float64(y[i])) }, 1e-6, 3e-8)
				check(t, "logistic loss "+name, loss, func(i int) float64 {
					zz := float64(z[i])
					return (math.Max(zz, 0) - float64(y[i])*zz) + math.Log1p(math.Exp(-math.Abs(zz)))
				}, 1e-6, 1e-30)
			}
		}
	})
}

func TestOptimizers(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 1))
		for _, n := range sizes {
			p0, g, v0, m0 := randSlice(rng, n, 1), randSlice(rng, n, 1), randSlice(rng, n, 1), randSlice(rng, n, 1)
			for i := range v0 {
				v0[i] *= v0[i]
			}
			name := fmt.Sprintf("n=%d", n)
			p := append([]float32(nil), p0...)
			SGD(p, g, 0.01, 0.1)
			check(t, "sgd "+name, p, func(i int) float64 { return float64(p0[i]) - 0.01*(float64(g[i])+0.1*float64(p0[i])) }, 1e-6, 1e-7)
			p, v := append([]float32(nil), p0...), append([]float32(nil), m0...)
			Momentum(p, g, v, 0.01, 0.9, 0.1)
			check(t, "momentum v "+name, v, func(i int) float64 { return 0.9*float64(m0[i]) + float64(g[i]) + 0.1*float64(p0[i]) }, 1e-6, 1e-7)
			check(t, "momentum p "+name, p, func(i int) float64 {
				return float64(p0[i]) - 0.01*(0.9*float64(m0[i])+float64(g[i])+0.1*float64(p0[i]))
			}, 1e-6, 1e-7)
			p, m, v := append([]float32(nil), p0...), append([]float32(nil), m0...), append([]float32(nil), v0...)
			Adam(p, g, m, v, NewAdamConsts(0.01, 0.9, 0.999, 1e-8, 0.1, 3))
			check(t, "adam p "+name, p, func(i int) float64 {
				d := float64(g[i]) + 0.1*float64(p0[i])
				mm := 0.9*float64(m0[i]) + 0.1*d
				vv := 0.999*float64(v0[i]) + 0.001*d*d
				return float64(p0[i]) - 0.01*(mm/(1-math.Pow(0.9, 3)))/(math.Sqrt(vv/(1-math.Pow(0.999, 3)))+1e-8)
			}, 1e-5, 1e-6)
		}
	})
}

// TestUpdatesLayoutFree checks that an update kernel computes an element
// bit for bit the same whether it falls in an 8-element vector block or in
// the scalar tail: each element of an n = 8k+r update is redone alone (a
// one-element call, all tail), so replicas side by side and a single run
// train alike whatever their widths. At every level, the generic one
// included, the results must also equal the generic level's.
func TestUpdatesLayoutFree(t *testing.T) {
	const n = 1003
	rng := rand.New(rand.NewPCG(9, 4))
	p0, g, s0 := randSlice(rng, n, 1), randSlice(rng, n, 1), randSlice(rng, n, 1)
	v0 := randSlice(rng, n, 1)
	for i := range v0 {
		v0[i] *= v0[i]
	}
	k := NewAdamConsts(0.01, 0.9, 0.999, 1e-8, 0.1, 3)
	// Each rule updates p, s and v in place from g.
	rules := map[string]func(p, g, s, v []float32){
		"sgd":      func(p, g, _, _ []float32) { SGD(p, g, 0.01, 0.1) },
		"momentum": func(p, g, s, _ []float32) { Momentum(p, g, s, 0.01, 0.9, 0.1) },
		"adam":     func(p, g, s, v []float32) { Adam(p, g, s, v, k) },
	}
	run := func(rule func(p, g, s, v []float32)) (p, s, v []float32) {
		p, s, v = append([]float32(nil), p0...), append([]float32(nil), s0...), append([]float32(nil), v0...)
		rule(p, g, s, v)
		return p, s, v
	}
	want := map[string][3][]float32{}
	prev, _ := isa.Set(isa.Generic)
	for name, rule := range rules {
		p, s, v := run(rule)
		want[name] = [3][]float32{p, s, v}
	}
	isa.Set(prev)
	forEachLevel(t, func(t *testing.T) {
		for name, rule := range rules {
			p, s, v := run(rule)
			for i := range p {
				pi, si, vi := []float32{p0[i]}, []float32{s0[i]}, []float32{v0[i]}
				rule(pi, g[i:i+1], si, vi)
				w := want[name]
				for j, got := range [][3]float32{{p[i], s[i], v[i]}, {pi[0], si[0], vi[0]}} {
					if got != [3]float32{w[0][i], w[1][i], w[2][i]} {
						t.Fatalf("%s element %d (%s): p, s, v = %v, generic level %v", name, i, []string{"in the call of 1003", "alone"}[j], got, [3]float32{w[0][i], w[1][i], w[2][i]})
					}
				}
			}
		}
	})
}

// TestAllocs: the kernels allocate nothing.
func TestAllocs(t *testing.T) {
	x, y, z := make([]float32, 1055), make([]float32, 1055), make([]float32, 1055)
	acc := make([]float64, 20)
	k := NewAdamConsts(0.01, 0.9, 0.999, 1e-8, 0, 1)
	got := testing.AllocsPerRun(10, func() {
		Tanh(x, y)
		Sigmoid(x, y)
		TanhGrad(x, y, z)
		AddBias(x, y, z[:20], 52, 20)
		ColSums(acc, x, 52, 20, 20)
		Logistic(x, y, z, x, 1)
		Adam(x, y, z, z, k)
	})
	if got != 0 {
		t.Errorf("%v allocations per call", got)
	}
}
