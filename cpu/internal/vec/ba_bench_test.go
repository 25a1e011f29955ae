package vec

import (
	"testing"

	"github.com/gputrain/gputrain/cpu/internal/isa"
)

// BenchmarkBiasAct: the workshop's hidden layer, 1055×20 tanh (21,100
// elements, ≈ 1,320 vectors of 16 at ~25 cycles each ≈ 10 µs at 3.5 GHz).
func BenchmarkBiasAct(b *testing.B) {
	z, out, bias := make([]float32, 1055*20), make([]float32, 1055*20), make([]float32, 20)
	for i := range z {
		z[i] = float32(i%7) * 0.1
	}
	for _, l := range isa.Available() {
		b.Run(l.String(), func(b *testing.B) {
			prev, _ := isa.Set(l)
			defer isa.Set(prev)
			for range b.N {
				BiasAct(TanhAct, out, z, bias, 1055, 20)
			}
		})
	}
}
