package cpu_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/bench"
	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// Napkin math for this machine (2 cores, AVX-512, ~3.5 GHz): fp32 peak ≈
// 2 cores × 64 flop/cycle × 3.5 GHz ≈ 445 GFLOP/s; one core ≈ 224.
// The reference timings (numpy/OpenBLAS and PyTorch, same machine, same
// command) come from testdata/reference.py.

// benchWorkload times b.N training updates of a bench suite workload with
// an nn.Trainer on the CPU device (one loss read at the end).
func benchWorkload(b *testing.B, name string) {
	w, err := bench.Lookup(name)
	if err != nil {
		b.Fatal(err)
	}
	p, err := w.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range []string{"avx512", "avx2", "generic"} {
		if name != "w1" && l == "generic" {
			continue // minutes per step group; the generic path is for tests
		}
		b.Run(l, func(b *testing.B) {
			prev, err := cpu.SetKernelLevel(l)
			if err != nil {
				b.Skip(err)
			}
			defer cpu.SetKernelLevel(prev)
			sec := bench.TimeSteps(b, b.N, cpu.New(), p)
			b.ReportMetric(sec*1e6, "µs/step")
			b.ReportMetric(bench.FlopsPerStep(p.Arch, p.BatchRows())/sec/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkW1Step: biodeg 1055×41, 41→20 tanh→1, full batch GD.
// Flops: 6·1055·(41·20+20·1) = 5.3 MFLOP/step → 12 µs at peak; bytes
// ≈ 184 kB, all L2-resident. Target ≤ 0.5 × numpy's ~151 µs, so ≤ 75 µs:
// per-op overheads (≈ 15 device calls), the 21,100 tanh and the two
// 1055-deep products (n = 20, a 62 % full 32-wide tile) decide it.
func BenchmarkW1Step(b *testing.B) { benchWorkload(b, "w1") }

// BenchmarkW2Step: 784→512→512→10 ReLU, softmax CE, batch 128, Adam.
// Flops: 6·128·669,706 = 514 MFLOP/step (counted) → 1.16 ms at peak; Adam
// touches 4 × 2.7 MB. Target ≤ 0.8 × PyTorch (~3.7 ms): ≤ 2.96 ms, i.e.
// ≥ 174 GFLOP/s counted.
func BenchmarkW2Step(b *testing.B) { benchWorkload(b, "w2") }

// BenchmarkW3Step: 2048→2048→2048→10 ReLU, softmax CE, batch 1024, SGD.
// Flops: 6·1024·(2·2048²+20,480) = 51.7 GFLOP/step (counted) → 116 ms at
// peak; target ≥ PyTorch's throughput (~321 GFLOP/s, 72 % of peak), so
// ≤ 161 ms/step: the gemms must run near their own ~75 % ceiling.
func BenchmarkW3Step(b *testing.B) { benchWorkload(b, "w3") }

// BenchmarkSgemm2048 is C = A·B at 2048³ through device.Gemm: 17.2 GFLOP →
// 39 ms at peak; OpenBLAS's AVX-512 kernel (~313 GFLOP/s) needs 55 ms.
func BenchmarkSgemm2048(b *testing.B) {
	const n = 2048
	d := cpu.New()
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, n*n)
	for i := range x {
		x[i] = rng.Float32()
	}
	a, _ := d.Alloc(n * n)
	bb, _ := d.Alloc(n * n)
	c, _ := d.Alloc(n * n)
	d.Upload(a, x)
	d.Upload(bb, x)
	device.Gemm(d, false, false, n, n, n, 1, a, bb, 0, c)
	b.ResetTimer()
	for range b.N {
		device.Gemm(d, false, false, n, n, n, 1, a, bb, 0, c)
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
