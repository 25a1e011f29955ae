package bench

import "testing"

// TestResultRates checks the rates derived from the median time per step
// with hand-picked samples (the measured times themselves belong to the
// benchmarks).
func TestResultRates(t *testing.T) {
	r := Result{Kind: "train", Batch: 1000, Flops: 6e9, MinBytes: 3e9, Samples: []float64{4, 0.5, 2}}
	r.finish()
	if r.Seconds.Median != 2 || r.Seconds.Min != 0.5 || r.Seconds.Max != 4 || r.Seconds.N != 3 {
		t.Fatalf("summary %+v", r.Seconds)
	}
	if r.GFLOPS != 3 || r.GBS != 1.5 || r.SamplesPerSecond != 500 {
		t.Fatalf("GFLOPS %v, GB/s %v, samples/s %v; want 3, 1.5, 500", r.GFLOPS, r.GBS, r.SamplesPerSecond)
	}
	k := Result{Kind: "kernel", Batch: 1000, Flops: 1e9, MinBytes: 4e9, Samples: []float64{0.25}}
	k.finish()
	if k.GFLOPS != 4 || k.GBS != 16 || k.SamplesPerSecond != 0 {
		t.Fatalf("kernel: GFLOPS %v, GB/s %v, samples/s %v; want 4, 16, 0", k.GFLOPS, k.GBS, k.SamplesPerSecond)
	}
	var none Result
	none.finish()
	if none.GFLOPS != 0 || none.GBS != 0 {
		t.Fatalf("no samples: %+v", none)
	}
}

// BenchmarkPeaks runs the machine-limit measurements the suite's table
// shows beside the results: the FMA peak and the copy bandwidth on every
// thread.
func BenchmarkPeaks(b *testing.B) {
	if _, _, name := fmaKernel(); name == "" {
		b.Skip("no FMA loop on this CPU: no arithmetic peak to measure")
	}
	for b.Loop() {
		p, err := FMAPeak(0.05)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(p.Value, "peak-GFLOP/s")
		b.ReportMetric(CopyBandwidth(4).Value, "copy-GB/s")
	}
}
