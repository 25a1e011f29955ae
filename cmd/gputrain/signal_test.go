//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gputrain/gputrain/nn/job"
)

// runUntilSignal starts "gputrain train args… --log LOG" in-process, waits
// until it has written a progress record (it handles signals from then
// on), calls before (if not nil), sends sig to the process and returns the
// exit code and stderr.
func runUntilSignal(t *testing.T, sig syscall.Signal, before func(), args ...string) (int, string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "run.jsonl")
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result)
	go func() {
		var out, errb bytes.Buffer
		code := run(append(append([]string{"train"}, args...), "--quiet", "--log", log), &out, &errb)
		done <- result{code, errb.String()}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(log)
		if bytes.Count(b, []byte("\n")) >= 2 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the run ended before the signal: exit %d: %s", r.code, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the run wrote no progress record")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if before != nil {
		before()
	}
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		return r.code, r.stderr
	case <-time.After(20 * time.Second):
		t.Fatalf("the run did not stop on %v", sig)
	}
	return 0, ""
}

var savedRE = regexp.MustCompile(`^gputrain: interrupted at step (\d+) of \d+; checkpoint saved to (\S+)( \(.*\))?; continue with: gputrain train --resume (\S+)\n$`)

// TestSignalsSaveRestarts stops a run of three restarts with SIGINT,
// SIGTERM and SIGHUP: each saves a checkpoint of all three networks, says
// so on one line and exits with 130; the checkpoint resumes.
func TestSignalsSaveRestarts(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			ckpt := filepath.Join(t.TempDir(), "run.ckpt")
			code, stderr := runUntilSignal(t, sig, nil, "--restarts", "3", "--steps", "100000000", "--checkpoint", ckpt)
			m := savedRE.FindStringSubmatch(stderr)
			if code != exitInterrupted || m == nil || m[2] != ckpt || m[4] != ckpt {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			ck, err := job.LoadCheckpoint(ckpt)
			if err != nil || ck.Restarts != 3 {
				t.Fatalf("checkpoint: %v, %+v", err, ck)
			}
			if code, _, stderr := gputrain(t, "train", "--resume", ckpt, "--steps", m[1], "--quiet"); code != 0 {
				t.Fatalf("resuming: exit %d: %s", code, stderr)
			}
		})
	}
}

// TestInterruptWhenCheckpointFolderIsUnwritable makes the checkpoint's
// folder unwritable during the run by replacing it with a file (which
// holds for every user, root included, unlike a read-only mode): the
// checkpoint goes to the temporary directory instead, and when that is
// unwritable too the run says it could not save and exits with 1, not
// 130.
func TestInterruptWhenCheckpointFolderIsUnwritable(t *testing.T) {
	for _, tmpWritable := range []bool{true, false} {
		name := "fallback"
		if !tmpWritable {
			name = "nothing-saved"
		}
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "ckpts")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			ckpt := filepath.Join(dir, "run.ckpt")
			tmp := filepath.Join(base, "tmp")
			os.Mkdir(tmp, 0o755)
			if !tmpWritable {
				tmp = filepath.Join(base, "a-file", "tmp")
				os.WriteFile(filepath.Join(base, "a-file"), nil, 0o644)
			}
			t.Setenv("TMPDIR", tmp)
			// The run's log line appears after the outputs were checked;
			// the folder is then swapped for a file before the signal.
			code, stderr := runUntilSignal(t, syscall.SIGINT, func() {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				os.WriteFile(dir, []byte("not a folder"), 0o644)
			}, "--steps", "100000000", "--checkpoint", ckpt)
			if tmpWritable {
				m := savedRE.FindStringSubmatch(stderr)
				if code != exitInterrupted || m == nil || filepath.Dir(m[2]) != tmp || !strings.Contains(m[3], ckpt+" could not be written") {
					t.Fatalf("exit %d, stderr %q", code, stderr)
				}
				if _, err := job.LoadCheckpoint(m[2]); err != nil {
					t.Fatal(err)
				}
				return
			}
			if code == exitInterrupted || code == exitOK || !regexp.MustCompile(`^gputrain: interrupted at step \d+ of \d+, and the checkpoint could not be saved, so the run cannot be resumed: .*run\.ckpt.*not a directory.*\n$`).MatchString(stderr) {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
		})
	}
}

// TestResumeWritesToTheFileResumed resumes a copy of a checkpoint whose
// original folder is gone: the copy is updated, and nothing else is
// written.
func TestResumeWritesToTheFileResumed(t *testing.T) {
	base := t.TempDir()
	orig := filepath.Join(base, "first", "base.ckpt")
	os.Mkdir(filepath.Dir(orig), 0o755)
	if code, _, stderr := gputrain(t, "train", "--steps", "20", "--checkpoint-every", "5", "--checkpoint", orig, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(base, "second", "copy.ckpt")
	os.Mkdir(filepath.Dir(moved), 0o755)
	os.WriteFile(moved, b, 0o644)
	os.RemoveAll(filepath.Dir(orig))
	code, _, stderr := gputrain(t, "train", "--resume", moved, "--steps", "40", "--quiet")
	if code != 0 {
		t.Fatalf("resuming a moved copy: exit %d: %s", code, stderr)
	}
	ck, err := job.LoadCheckpoint(moved)
	if err != nil || ck.State.Step != 35 {
		t.Fatalf("the copy was not updated to step 35: %v %+v", err, ck)
	}
	if _, err := os.Stat(filepath.Dir(orig)); err == nil {
		t.Fatalf("the original's folder was recreated")
	}
	entries, _ := os.ReadDir(filepath.Dir(moved))
	if len(entries) != 1 {
		t.Fatalf("the copy's folder holds %d entries, want 1", len(entries))
	}
}

// TestInterruptInReadOnlyFolder refuses outputs in a read-only folder up
// front, then interrupts a run started there with the default checkpoint
// path: the checkpoint goes to
// the temporary directory, and the message says where. Where the test
// runs as root, a read-only mode does not stop writes, so it is skipped
// (TestInterruptWhenCheckpointFolderIsUnwritable covers the same path for
// every user, with a folder that turns into a file).
func TestInterruptInReadOnlyFolder(t *testing.T) {
	base := t.TempDir()
	ro := filepath.Join(base, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(ro, 0o755)
	if f, err := os.CreateTemp(ro, "probe-*"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("a read-only folder is writable here (running as root); see TestInterruptWhenCheckpointFolderIsUnwritable")
	}
	// Outputs there are refused before training.
	for _, args := range [][]string{{"--out", filepath.Join(ro, "m.safetensors")}, {"--plots", ro}, {"--log", filepath.Join(ro, "run.jsonl")}} {
		code, stdout, stderr := gputrain(t, append([]string{"train", "--quiet"}, args...)...)
		if code != exitBadInput || stdout != "" || !strings.HasPrefix(stderr, "gputrain: "+args[0]+" ") || !strings.Contains(stderr, "permission denied") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	tmp := filepath.Join(base, "tmp")
	os.Mkdir(tmp, 0o755)
	t.Setenv("TMPDIR", tmp)
	t.Chdir(ro)
	code, stderr := runUntilSignal(t, syscall.SIGTERM, nil, "--steps", "100000000")
	m := savedRE.FindStringSubmatch(stderr)
	if code != exitInterrupted || m == nil || filepath.Dir(m[2]) != tmp || !strings.Contains(m[3], "gputrain.ckpt could not be written") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if _, err := job.LoadCheckpoint(m[2]); err != nil {
		t.Fatal(err)
	}
}
