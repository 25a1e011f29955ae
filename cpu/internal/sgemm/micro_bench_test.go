//go:build amd64 && !purego

package sgemm

import (
	"testing"

	"github.com/gputrain/gputrain/cpu/internal/isa"
)

// BenchmarkMicro runs one micro-kernel on L1/L2-resident slivers: the
// single-core ceiling (peak ≈ 2 FMA ports × 16 lanes × 2 = 64 flop/cycle,
// ≈ 224 GFLOP/s at 3.5 GHz for AVX-512; half that for AVX2).
func BenchmarkMicro(b *testing.B) {
	const kc = 384
	for _, l := range []isa.Level{isa.AVX2, isa.AVX512} {
		if l > isa.Best {
			continue
		}
		kr := kernels[l]
		a, bb := make([]float32, kr.mr*kc), make([]float32, kr.nr*kc)
		c := make([]float32, kr.mr*kr.nr)
		b.Run(l.String(), func(b *testing.B) {
			for range b.N {
				kr.fn(kc, a, kr.mr, false, bb, kr.nr, c, kr.nr, kr.mr, kr.nr, 1, 1, true)
			}
			b.ReportMetric(2*float64(kr.mr*kr.nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
