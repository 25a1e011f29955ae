package cuda

import (
	"fmt"
	"testing"

	"github.com/gputrain/gputrain/bench"
)

// trainerGemms lists the products one training step of w issues, as
// nn/network.go issues them (one replica): per layer of fan-in in and
// fan-out out over B rows, the forward Z = X·W (B×out×in), the weight
// gradient dW = Xᵀ·dZ (in×out×B) and, above the first layer, dX = dZ·Wᵀ
// (B×in×out).
func trainerGemms(w bench.Workload) [][3]int {
	rows := w.Batch
	if rows == 0 {
		rows = w.Rows
	}
	sizes := append(append([]int{w.Arch.Inputs}, w.Arch.Hidden...), w.Arch.Outputs)
	var gemms [][3]int
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l], sizes[l+1]
		gemms = append(gemms, [3]int{rows, out, in}, [3]int{in, out, rows})
		if l > 0 {
			gemms = append(gemms, [3]int{rows, in, out})
		}
	}
	return gemms
}

// TestGemmGridsFillTheGPU walks every product the trainer issues in W1–W4
// and wants each launch grid to have a block for every SM of an H100 (132),
// or the product to be below 1 MFLOP (where a second launch would cost more
// than the idle SMs).
func TestGemmGridsFillTheGPU(t *testing.T) {
	for _, w := range bench.Workloads() {
		for _, g := range trainerGemms(w) {
			m, n, k := g[0], g[1], g[2]
			flops := 2 * float64(m) * float64(n) * float64(k)
			blocks := gemmBlocks(m, n, k, 1)
			splits, kslice := splitK(m, n, k, 1)
			t.Logf("%s: %d×%d×%d, %.3g MFLOP: %d blocks (k split %d ways of %d)", w.Name, m, n, k, flops/1e6, blocks, splits, kslice)
			if blocks < numSMs && flops >= splitKMinFlops {
				t.Errorf("%s: %d×%d×%d (%.3g MFLOP) launches %d blocks, want ≥ %d", w.Name, m, n, k, flops/1e6, blocks, numSMs)
			}
		}
	}
}

// TestColumnSumGridsFillTheGPU walks the bias gradients the trainer sums in
// W1–W4 (per layer, the batch's rows of fan-out columns, as nn/network.go's
// ColumnSums of dZ for one replica) and wants each first launch grid to have
// a block for every SM of an H100 (132), or the rows to be too few to split.
func TestColumnSumGridsFillTheGPU(t *testing.T) {
	for _, w := range bench.Workloads() {
		rows := w.Batch
		if rows == 0 {
			rows = w.Rows
		}
		for _, cols := range append(append([]int{}, w.Arch.Hidden...), w.Arch.Outputs) {
			blocks := colSumsBlocks(rows, cols)
			splits, rslice := colSumsSplit(rows, cols)
			t.Logf("%s: %d×%d: %d blocks (rows split %d ways of %d)", w.Name, rows, cols, blocks, splits, rslice)
			if blocks < numSMs && rows > colSumsMinRows {
				t.Errorf("%s: %d×%d column sums launch %d blocks, want ≥ %d", w.Name, rows, cols, blocks, numSMs)
			}
		}
	}
}

// TestColSumsSplitCoversRows checks the row split for many shapes: slices of
// rslice cover the rows exactly (the last one non-empty), the second grid
// dimension stays within the launch limit, and a split fills the GPU.
func TestColSumsSplitCoversRows(t *testing.T) {
	for _, rows := range []int{0, 1, 65, 132, 256, 257, 1000, 1055, 4097, 1 << 20} {
		for _, cols := range []int{1, 20, 33, 512, 4095, 4096, 4225, 100000} {
			splits, rslice := colSumsSplit(rows, cols)
			name := fmt.Sprintf("rows=%d cols=%d", rows, cols)
			if splits == 1 {
				if rslice != rows {
					t.Errorf("%s: unsplit with rslice %d", name, rslice)
				}
				if b := colSumsBlocks(rows, cols); b < numSMs && rows > colSumsMinRows {
					t.Errorf("%s: unsplit with only %d blocks", name, b)
				}
				continue
			}
			if rslice < 1 || rslice*(splits-1) >= rows || rslice*splits < rows {
				t.Errorf("%s: %d slices of %d do not cover the rows exactly", name, splits, rslice)
			}
			if splits > 65535 { // CUDA's limit on gridDim.y
				t.Errorf("%s: %d slices, more than a grid's 65535 in y", name, splits)
			}
			if b := colSumsBlocks(rows, cols); b < numSMs {
				t.Errorf("%s: split %d ways but only %d blocks", name, splits, b)
			}
		}
	}
}

// TestSplitKCoversK checks the split for many shapes: slices of kslice cover
// k exactly (the last one non-empty), and a product that is split fills the
// GPU.
func TestSplitKCoversK(t *testing.T) {
	for _, m := range []int{1, 20, 41, 64, 65, 300, 784, 2048, 9000} {
		for _, n := range []int{1, 10, 20, 64, 512, 4096} {
			for _, k := range []int{1, 8, 41, 128, 1000, 1055, 4096, 65536} {
				for _, count := range []int{1, 3, 200} {
					splits, kslice := splitK(m, n, k, count)
					name := fmt.Sprintf("m=%d n=%d k=%d count=%d", m, n, k, count)
					if splits == 1 {
						if kslice != k {
							t.Errorf("%s: unsplit with kslice %d", name, kslice)
						}
						continue
					}
					if kslice*(splits-1) >= k || kslice*splits < k {
						t.Errorf("%s: %d slices of %d do not cover k exactly", name, splits, kslice)
					}
					if b := gemmBlocks(m, n, k, count); b < numSMs && kslice > splitKMinSlice {
						t.Errorf("%s: split %d ways but only %d blocks", name, splits, b)
					}
				}
			}
		}
	}
}
