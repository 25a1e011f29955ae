package bench

// Go benchmarks of the suite's workloads and kernels on every device this
// build can open (cpu always; cuda in a -tags cuda build on a GPU machine).
// They call the same nn and device APIs as `gputrain bench`. Run them with
//
//	go test ./bench -run '^$' -bench . -benchtime 20x
//
// Each reports samples/s (training), GFLOP/s and GB/s of compulsory
// traffic next to ns/op; the napkin math is in the comments.

import (
	"sync"
	"testing"

	_ "github.com/gputrain/gputrain/cpu"
	_ "github.com/gputrain/gputrain/cuda"
	"github.com/gputrain/gputrain/device"
)

// eachDevice runs fn as a sub-benchmark on every device that opens.
func eachDevice(b *testing.B, fn func(b *testing.B, dev device.Device)) {
	for _, kind := range device.Kinds() {
		b.Run(kind, func(b *testing.B) {
			dev, err := device.Open(kind)
			if err != nil {
				b.Skipf("%s: %v", kind, err)
			}
			defer dev.Close()
			fn(b, dev)
		})
	}
}

var (
	problemsMu sync.Mutex
	problems   = map[string]*Problem{}
)

// problem loads (once) the named workload's data.
func problem(b *testing.B, name string) *Problem {
	problemsMu.Lock()
	defer problemsMu.Unlock()
	if p := problems[name]; p != nil {
		return p
	}
	w, err := Lookup(name)
	if err != nil {
		b.Fatal(err)
	}
	p, err := w.Load()
	if err != nil {
		b.Fatal(err)
	}
	problems[name] = p
	return p
}

// benchTraining times b.N updates of a workload: one op is one update.
func benchTraining(b *testing.B, name string) {
	eachDevice(b, func(b *testing.B, dev device.Device) {
		p := problem(b, name)
		if p.GPUOnly && dev.Name() == "cpu" {
			b.Skip("sized for a GPU")
		}
		sec := TimeSteps(b, b.N, dev, p)
		rows := p.BatchRows()
		b.ReportMetric(float64(rows)/sec, "samples/s")
		b.ReportMetric(FlopsPerStep(p.Arch, rows)/sec/1e9, "GFLOP/s")
		b.ReportMetric(MinBytesPerStep(p.Arch, rows, p.Optim.Kind)/sec/1e9, "GB/s")
	})
}

// W1: 6·1055·(41·20 + 20·1) = 5.32 MFLOP per step; compulsory traffic
// 4·(1055·42 + 2·861) B = 184 kB, 29 flop/B: compute-bound in principle,
// but every matrix is tiny (20 columns), so overheads dominate.
func BenchmarkW1(b *testing.B) { benchTraining(b, "w1") }

// W2: 6·128·(784·512 + 512·512 + 512·10) = 514 MFLOP per step; traffic
// 4·(128·785 + 2·669,706·3) B = 16.5 MB (Adam reads and writes two moment
// buffers), 31 flop/B.
func BenchmarkW2(b *testing.B) { benchTraining(b, "w2") }

// W3: 6·1024·(2048·2048·2 + 2048·10) = 51.7 GFLOP per step; traffic
// 4·(1024·2049 + 2·8.42 M) B = 75.8 MB, 681 flop/B: gemm-bound.
func BenchmarkW3(b *testing.B) { benchTraining(b, "w3") }

// W4 (GPU only): 6·4096·(4096²·4 + 4096·10) = 1.65 TFLOP per step; traffic
// 4·(4096·4097 + 2·67.2 M) B = 605 MB, 2.7 kflop/B.
func BenchmarkW4(b *testing.B) { benchTraining(b, "w4") }

// benchKernel times one kernel call per op.
func benchKernel(b *testing.B, k Kernel) {
	eachDevice(b, func(b *testing.B, dev device.Device) {
		if dev.Name() == "cpu" && k.Flops() > 1e11 {
			b.Skip("too slow on a CPU")
		}
		op, free, err := k.Prepare(dev)
		if err != nil {
			b.Fatal(err)
		}
		defer free()
		op() // warm-up
		if err := dev.Synchronize(); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			op()
		}
		if err := dev.Synchronize(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		sec := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(k.Flops()/sec/1e9, "GFLOP/s")
		b.ReportMetric(k.MinBytes()/sec/1e9, "GB/s")
	})
}

// BenchmarkGemm: 2·M·N·K flops per call over 4·(MK + KN + MN) bytes; the
// workloads' first-layer shapes (W1 1055×20×41: 1.7 MFLOP, 6.6 flop/B,
// bound by overheads; W2 128×512×784: 103 MFLOP, 45 flop/B; W3
// 1024×2048×2048: 8.6 GFLOP, 256 flop/B) and squares (n³·2 flops over
// 12·n² bytes: n/6 flop/B, so 1024² and up are compute-bound everywhere).
func BenchmarkGemm(b *testing.B) {
	for _, k := range DefaultKernels(true) {
		if k.Op != "gemm" {
			continue
		}
		b.Run(k.Name()[len("gemm "):], func(b *testing.B) { benchKernel(b, k) })
	}
}

// BenchmarkElementwise: mul (out = a·b) and sgd (p −= lr·g) move 12 bytes
// per element for 1 or 2 flops: 0.08–0.17 flop/B, bound by memory
// bandwidth once the arrays leave the caches (1e8 elements: 1.2 GB).
func BenchmarkElementwise(b *testing.B) {
	for _, k := range DefaultKernels(false) {
		if k.Op == "gemm" {
			continue
		}
		b.Run(k.Name(), func(b *testing.B) { benchKernel(b, k) })
	}
}

// BenchmarkFMAPeak runs the register-only FMA loop on one thread: the
// arithmetic limit of one core (FMAPeak uses every thread).
func BenchmarkFMAPeak(b *testing.B) {
	loop, flops, name := fmaKernel()
	if loop == nil {
		b.Skip("no FMA loop on this CPU")
	}
	const iters = 1 << 16
	for i := 0; i < b.N; i++ {
		loop(iters)
	}
	b.ReportMetric(flops*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.Log(name)
}

// BenchmarkCopy measures one thread's copy of 64 MiB: 2·64 MiB of traffic per op.
func BenchmarkCopy(b *testing.B) {
	src, dst := make([]byte, 64<<20), make([]byte, 64<<20)
	copy(dst, src)
	b.SetBytes(2 * int64(len(src)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(dst, src)
	}
}
