//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptSavesCheckpointAndResumes sends SIGINT to a long run, checks
// the one-line message and exit code 130, then resumes the checkpoint for a
// few more steps and compares with a run that was never interrupted.
func TestInterruptSavesCheckpointAndResumes(t *testing.T) {
	dir := t.TempDir()
	ckpt, log := filepath.Join(dir, "run.ckpt"), filepath.Join(dir, "run.jsonl")
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result)
	go func() {
		var out, errb bytes.Buffer
		code := run([]string{"train", "--hidden", "", "--lr", "1e-3", "--steps", "100000000", "--quiet", "--log", log, "--checkpoint", ckpt}, &out, &errb)
		done <- result{code, out.String(), errb.String()}
	}()
	// The log's first line is written once the run handles signals.
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(log)
		if bytes.Count(b, []byte("\n")) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run wrote no progress record")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not stop on SIGINT")
	}
	m := regexp.MustCompile(`^gputrain: interrupted at step (\d+) of 100000000; checkpoint saved to (.+); continue with: gputrain train --resume (.+)\n$`).FindStringSubmatch(r.stderr)
	if r.code != 130 || m == nil || m[2] != ckpt || m[3] != ckpt {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), `"type":"interrupted"`) {
		t.Errorf("the log does not record the interruption:\n%s", b)
	}
	stopped, _ := strconv.Atoi(m[1])
	total := strconv.Itoa(stopped + 25)
	straight, resumed := filepath.Join(dir, "a.safetensors"), filepath.Join(dir, "b.safetensors")
	if code, _, stderr := gputrain(t, "train", "--hidden", "", "--lr", "1e-3", "--steps", total, "--quiet", "--out", straight); code != 0 {
		t.Fatalf("straight run: %s", stderr)
	}
	code, _, stderr := gputrain(t, "train", "--resume", ckpt, "--steps", total, "--out", resumed)
	if code != 0 {
		t.Fatalf("resumed run: exit %d: %s", code, stderr)
	}
	sameModelParams(t, straight, resumed)
	t.Logf("interrupted at step %d, resumed to %s", stopped, total)
}
