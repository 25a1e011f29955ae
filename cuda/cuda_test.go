//go:build cuda

package cuda_test

import (
	"testing"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/device/devicetest"

	_ "github.com/gputrain/gputrain/cuda" // registers "cuda"
)

// openCUDA opens cuda:0 through the registry, as --device cuda:0 would. (A
// binary built with -tags cuda exits with status 3 at start-up where no GPU
// is usable, so on such a machine this test binary never gets here; the skip
// covers a GPU that is visible but cannot be opened.)
func openCUDA(t *testing.T) device.Device {
	t.Helper()
	d, err := device.Open("cuda:0")
	if err != nil {
		t.Skipf("no usable CUDA device: %v", err)
	}
	return d
}

// TestConformance runs the shared device conformance suite (float64
// references, poisoned outputs, odd shapes) against the CUDA backend.
func TestConformance(t *testing.T) {
	devicetest.Run(t, openCUDA)
}

func TestListAndDescribe(t *testing.T) {
	lines, err := device.List("cuda")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, l := range lines {
		t.Log(l)
	}
	d := openCUDA(t)
	defer d.Close()
	if d.Name() != "cuda:0" {
		t.Errorf("Name() = %q, want cuda:0", d.Name())
	}
	t.Log(d.Describe())
	if _, err := device.Open("cuda:99"); err == nil {
		t.Error("Open(cuda:99) succeeded")
	}
}
