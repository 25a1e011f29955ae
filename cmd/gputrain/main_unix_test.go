//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gputrain/gputrain/nn/job"
)

// TestMain lets a test run this test binary as gputrain itself (in a
// child process it can kill): with GPUTRAIN_AS_MAIN set, the arguments
// after "--" are gputrain's.
func TestMain(m *testing.M) {
	if os.Getenv("GPUTRAIN_AS_MAIN") != "" {
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		os.Exit(run(args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// gputrainProcess starts gputrain as a child process in dir.
func gputrainProcess(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "GPUTRAIN_AS_MAIN=1")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// tempFiles lists the temporary files of atomic writes in dir.
func tempFiles(dir string) []string {
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestKilledRunsLeaveNoTemporaryFiles kills runs that spend most of their
// time writing a checkpoint (one every step) with SIGKILL at varied
// moments after their first checkpoint, for about three seconds, then
// starts a run in the same folder: it removes what the killed runs left,
// and the checkpoint there is whole.
func TestKilledRunsLeaveNoTemporaryFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes for about three seconds")
	}
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "run.ckpt")
	args := []string{"train", "--hidden", "1024,1024", "--optimizer", "sgd", "--batch-size", "1", "--steps", "1000000",
		"--checkpoint-every", "1", "--checkpoint", "run.ckpt", "--quiet"}
	kills, left, lastPID := 0, 0, 0
	for start := time.Now(); time.Since(start) < 3*time.Second; {
		cmd := gputrainProcess(t, dir, args...)
		// Every other run is killed the moment a temporary file shows,
		// the others a varied time after their first checkpoint.
		var before time.Time
		if st, err := os.Stat(ckpt); err == nil {
			before = st.ModTime()
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Microsecond) {
			if kills%2 == 0 && len(tempFiles(dir)) > 0 {
				break
			}
			if st, err := os.Stat(ckpt); kills%2 == 1 && err == nil && st.ModTime() != before {
				time.Sleep(time.Duration(kills*7%25) * time.Millisecond)
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		lastPID = cmd.Process.Pid
		kills++
		left = max(left, len(tempFiles(dir)))
	}
	t.Logf("%d runs killed; up to %d temporary files left behind at a time", kills, left)
	// One more, certain, leftover: a killed run's file of the same name
	// pattern (the kills above land inside a write only most of the time).
	stale := filepath.Join(dir, ".run.ckpt.tmp-"+strconv.Itoa(lastPID)+"-1")
	if err := os.WriteFile(stale, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := gputrainProcess(t, dir, "train", "--steps", "1", "--checkpoint", "run.ckpt", "--checkpoint-every", "1", "--quiet")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the run after the kills: %v", err)
	}
	if tf := tempFiles(dir); len(tf) != 0 {
		t.Fatalf("temporary files remain after a new run started: %v", tf)
	}
	if _, err := job.LoadCheckpoint(ckpt); err != nil {
		t.Fatalf("the checkpoint is torn: %v", err)
	}
}
