package update

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestKernels: the kernels with vectorised versions (sgd, momentum, adam),
// on lengths around the vector width, against
// its formula in float64 from the same inputs, within 1e-6 relative plus
// 1e-8 (a few float32 roundings, and the cancellation in the moments'
// β·m + (1−β)·d). Every kernel, these included, is also checked through
// its optimizer rule against the rule's float64 reference (package nn)
// and against PyTorch (nn/torchcheck).
func TestKernels(t *testing.T) {
	ref := map[string]func(a *Args, p, g float64, s []float64) float64{
		"sgd_step": func(a *Args, p, g float64, _ []float64) float64 {
			return p - float64(a[0])*(g+float64(a[1])*p)
		},
		"momentum_step": func(a *Args, p, g float64, s []float64) float64 {
			s[0] = float64(a[1])*s[0] + g + float64(a[2])*p
			return p - float64(a[0])*s[0]
		},
		"adam_step": func(a *Args, p, g float64, s []float64) float64 {
			d := g + float64(a[6])*p
			s[0] = float64(a[1])*s[0] + float64(a[2])*d
			s[1] = float64(a[3])*s[1] + float64(a[4])*d*d
			return p - float64(a[0])*s[0]*float64(a[7])/(math.Sqrt(s[1]*float64(a[8]))+float64(a[5]))
		},
	}
	args := map[string]Args{
		"sgd_step":      {0.1, 0.01},
		"momentum_step": {0.1, 0.9, 0.01},
		"adam_step":     {0.01, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.01, 1 / (1 - 0.9*0.9), 1 / (1 - 0.999*0.999)},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for name, r := range ref {
		k, a := Kernels[name], args[name]
		for _, n := range []int{1, 7, 8, 9, 41} {
			p, g, s0, s1 := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range p {
				p[i], g[i], s0[i], s1[i] = 2*rng.Float32()-1, 2*rng.Float32()-1, 0.1*(2*rng.Float32()-1), 0.01*rng.Float32()
			}
			want := make([]float64, n)
			wantS := make([][]float64, n)
			for i := range p {
				wantS[i] = []float64{float64(s0[i]), float64(s1[i])}
				want[i] = r(&a, float64(p[i]), float64(g[i]), wantS[i])
			}
			k(p, g, s0, s1, &a)
			for i := range p {
				for _, c := range [][2]float64{{float64(p[i]), want[i]}, {float64(s0[i]), wantS[i][0]}, {float64(s1[i]), wantS[i][1]}} {
					if math.Abs(c[0]-c[1]) > 1e-6*math.Abs(c[1])+1e-8 {
						t.Fatalf("%s n=%d [%d]: got %v, want %v (p, s0, s1 = %v, %v, %v)", name, n, i, c[0], c[1], p[i], s0[i], s1[i])
					}
				}
			}
		}
	}
}
