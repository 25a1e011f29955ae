package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/bench"
)

// TestBenchBadInput: every bad bench command line is one line on stderr
// and exit code 2.
func TestBenchBadInput(t *testing.T) {
	dir := t.TempDir()
	csv := write(t, dir, "d.csv", "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--workload", "w9"}, `invalid --workload: unknown workload "w9"`},
		{[]string{"--workload", "w1", "--steps", "1"}, "at least 2"},
		{[]string{"--workload", "w1", "--steps", "0"}, "invalid --steps"},
		{[]string{"--workload", "w1", "--steps", "10", "--block", "6"}, "at least twice --block"},
		{[]string{"--block", "-1"}, "invalid --block"},
		{[]string{"--workload", "w1", "--hidden", "8"}, "--hidden sets up your own data's training"},
		{[]string{"--workload", "w2", "--lr", "0.5"}, "--lr sets up your own data's training"},
		{[]string{"--workload", "w1", "--data", csv}, "either --workload or --data"},
		{[]string{"--cv", "5"}, "--cv does not apply"},
		{[]string{"--epochs", "3"}, "--epochs does not apply"},
		{[]string{"--out", "m.safetensors"}, "--out does not apply"},
		{[]string{"--data", csv, "--val-split", "0.2"}, "--val-split does not apply"},
		{[]string{"--kernels", "gemm:64"}, "--kernels needs --workload kernels"},
		{[]string{"--kernel-time", "0.5"}, "--kernel-time needs --workload kernels"},
		{[]string{"--workload", "kernels", "--kernel-blocks", "0"}, "invalid --kernel-blocks"},
		{[]string{"--workload", "kernels", "--kernel-time", "0"}, "invalid --kernel-blocks or --kernel-time"},
		{[]string{"--workload", "kernels", "--kernels", "gemm:0"}, "invalid kernel"},
		{[]string{"--workload", "kernels", "--steps", "5"}, "--steps does not apply"},
		{[]string{"--workload", "kernels", "--export", dir}, "--export writes a suite workload"},
		{[]string{"--data", csv, "--export", dir}, "--export writes a suite workload"},
		{[]string{"--workload", "w1", "--export", filepath.Join(dir, "no", "such", "dir")}, "--export:"},
		{[]string{"--workload", "w1", "--steps", "4", "--device", "tpu"}, "--device tpu"},
		{[]string{"--data", csv, "--steps", "4", "--lr", "-1"}, "invalid --lr"},
		{[]string{"--data", filepath.Join(dir, "missing.csv"), "--steps", "4"}, "missing.csv"},
		{[]string{"--frobnicate"}, "unknown flag"},
		{[]string{"stray"}, "unexpected argument"},
	}
	for _, c := range cases {
		code, _, stderr := gputrain(t, append([]string{"bench"}, c.args...)...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", c.args, code, stderr)
			continue
		}
		if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: stderr %q, want one line containing %q", c.args, stderr, c.want)
		}
	}
}

func TestBenchRuns(t *testing.T) {
	code, out, stderr := gputrain(t, "bench", "--workload", "w1", "--steps", "4", "--block", "2", "--device", "cpu", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r bench.Result
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &r); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if r.Impl != "gputrain" || r.Case != "w1" || r.Steps != 4 || r.Block != 2 || r.Batch != 1055 || len(r.Samples) != 1 ||
		r.FinalStep != 4 || r.FinalLoss <= 0 || r.Flops != 5_317_200 || r.GFLOPS != r.Flops/r.Seconds.Median/1e9 || r.SamplesPerSecond != float64(r.Batch)/r.Seconds.Median {
		t.Fatalf("%+v", r)
	}

	// Text output, every available device (cpu here; cuda is skipped with a note).
	code, out, _ = gputrain(t, "bench", "--steps", "4", "--block", "2")
	if code != 0 || !strings.Contains(out, "W1 seed") || !strings.Contains(out, "final loss") {
		t.Fatalf("exit %d: %s", code, out)
	}

	// Own data: the train flags apply.
	dir := t.TempDir()
	csv := write(t, dir, "d.csv", "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n2,2,x\n4,4,y\n")
	code, out, stderr = gputrain(t, "bench", "--data", csv, "--hidden", "3", "--optimizer", "adam", "--lr", "0.01",
		"--batch-size", "2", "--steps", "6", "--block", "3", "--device", "cpu", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &r); err != nil || r.Case != "data" || r.Batch != 2 || r.Steps != 6 {
		t.Fatalf("%+v, %v", r, err)
	}

	code, out, _ = gputrain(t, "bench", "--workload", "kernels", "--kernels", "gemm:16,mul:1e3", "--kernel-blocks", "2", "--kernel-time", "0.01", "--device", "cpu")
	if code != 0 || !strings.Contains(out, "gemm 16x16x16") || !strings.Contains(out, "mul 1e3") {
		t.Fatalf("exit %d: %s", code, out)
	}

	code, out, _ = gputrain(t, "bench", "--list")
	if code != 0 || !strings.Contains(out, "w4") || !strings.Contains(out, "kernels (gpu)") {
		t.Fatalf("exit %d: %s", code, out)
	}

	code, out, stderr = gputrain(t, "bench", "--workload", "w1", "--export", dir)
	if code != 0 || !strings.Contains(out, "w1.json") {
		t.Fatalf("exit %d: %s %s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "w1.bin")); err != nil {
		t.Fatal(err)
	}
}
