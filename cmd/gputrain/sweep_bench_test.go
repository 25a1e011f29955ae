package main

import (
	"bytes"
	"io"
	"testing"
)

// The acceptance grid of the sweep: 4 learning rates × 3 weight decays × 2
// dropout rates of the workshop network, 3000 full-batch GD steps each,
// ranked on a 20% validation split. BenchmarkSweepGrid24 ÷
// BenchmarkSweepPlainRun is what the sweep costs against one train run
// (README, Hyper-parameter sweeps). The 24 configurations train side by
// side as one group of replicas; on a CPU the ratio stays far above 6
// because the grid is compute-bound (24 networks' gemms).
var grid24 = []string{"--lr", "1e-4,3e-4,1e-3,3e-3", "--weight-decay", "0,1e-3,1e-2", "--dropout", "0,0.2"}

func benchCLI(b *testing.B, args ...string) {
	for i := 0; i < b.N; i++ {
		var stderr bytes.Buffer
		if code := run(args, io.Discard, &stderr); code != exitOK {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
}

func BenchmarkSweepGrid24(b *testing.B) {
	benchCLI(b, append([]string{"sweep", "--quiet", "--val-split", "0.2"}, grid24...)...)
}

func BenchmarkSweepPlainRun(b *testing.B) {
	benchCLI(b, "train", "--quiet", "--val-split", "0.2")
}
