package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStepIsTheDifference: the per-step cost is MORE minus BASE per kernel,
// and the roofline estimate is hand-computed: 132 blocks of 1340 flops each
// (whole GPU) against 10 sectors; 1 block (1/132 of the peak) against 1e6 sectors.
func TestStepIsTheDifference(t *testing.T) {
	dir := t.TempDir()
	base := `{"kernel":"fill","grid":[1,1,1],"instructions":{"total":10},"flops":0,"global_load_sectors":0,"global_store_sectors":4,"shared_bank_conflicts":0,"barriers":0}
`
	stepLines := `{"kernel":"gemm_nn","grid":[132,1,1],"instructions":{"total":100},"flops":67e6,"global_load_sectors":10,"global_store_sectors":0,"shared_bank_conflicts":3,"barriers":2}
{"kernel":"mul","grid":[1,1,1],"instructions":{"total":7},"flops":67e4,"global_load_sectors":1e6,"global_store_sectors":0,"shared_bank_conflicts":0,"barriers":0}
`
	writeFile := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	b, err := read(writeFile("b.jsonl", base))
	if err != nil {
		t.Fatal(err)
	}
	m, err := read(writeFile("m.jsonl", base+stepLines+base))
	if err != nil {
		t.Fatal(err)
	}
	got := step(b, m)
	if len(got) != 3 || got["fill"].launches != 1 || got["gemm_nn"].conflicts != 3 || got["gemm_nn"].barriers != 2 {
		t.Fatalf("per-kernel difference wrong: %+v", got)
	}
	// gemm_nn: 67e6 flops at 67e12 flop/s = 1 µs; 320 bytes take 0.1 ns.
	if s := got["gemm_nn"].seconds; math.Abs(s-1e-6) > 1e-12 {
		t.Errorf("gemm_nn estimate %g s, want 1e-6", s)
	}
	// mul: one block gets 1/132 of the peak: 67e4·132/67e12 = 1.32 µs; 32e6 bytes at 3.35e12 B/s = 9.55 µs.
	if s, want := got["mul"].seconds, 32e6/3.35e12; math.Abs(s-want) > 1e-12 {
		t.Errorf("mul estimate %g s, want %g", s, want)
	}
	var sb strings.Builder
	write(&sb, got)
	if !strings.Contains(sb.String(), "ESTIMATE") {
		t.Errorf("the table does not say it is an estimate:\n%s", sb.String())
	}
}
