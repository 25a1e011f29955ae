//go:build cuda

package main

import (
	"os"
	"strings"
	"testing"
)

// TestSweepOverTwoDevices spreads a sweep over two CUDA devices (on this
// machine: the emulator with FAKECUDA_DEVICES=2, make sweep-emu-test) and
// checks that the leaderboard is the one-device sweep's, each device having
// trained some of the trials: two widths, so two groups of configurations
// side by side (learning rates and dropout rates), one for each device.
func TestSweepOverTwoDevices(t *testing.T) {
	if os.Getenv("GPUTRAIN_SWEEP_DEVICES") != "2" {
		t.Skip("needs two CUDA devices: make sweep-emu-test (the emulator with two), or GPUTRAIN_SWEEP_DEVICES=2 on a machine with two GPUs")
	}
	common := []string{"sweep", "--steps", "5", "--val-split", "0.2", "--lr", "1e-4,1e-3", "--dropout", "0,0.2", "--hidden", "10;20"}
	code, one, stderr := gputrain(t, append(common, "--quiet", "--device", "cuda:0")...)
	if code != exitOK {
		t.Fatalf("--device cuda:0: exit %d: %s", code, stderr)
	}
	code, all, stderr := gputrain(t, append(common, "--device", "all")...)
	if code != exitOK {
		t.Fatalf("--device all: exit %d: %s", code, stderr)
	}
	for _, dev := range []string{"on cuda:0", "on cuda:1"} {
		if !strings.Contains(all, dev) {
			t.Errorf("no trial ran %s:\n%s", dev, all)
		}
	}
	if i := strings.Index(all, "leaderboard:"); i < 0 || all[i:] != one {
		t.Fatalf("--device all:\n%s\nwant the leaderboard of --device cuda:0:\n%s", all, one)
	}
}
