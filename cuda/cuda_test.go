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

// TestCounts checks the launch, copy and synchronisation tallies the
// benchmarks report per step.
func TestCounts(t *testing.T) {
	d := openCUDA(t)
	defer d.Close()
	c, ok := d.(device.Counter)
	if !ok {
		t.Fatal("the CUDA device does not count its work")
	}
	a, _ := d.Alloc(6)
	b, _ := d.Alloc(6)
	out, _ := d.Alloc(4)
	before := c.Counts()
	d.Upload(a, []float32{1, 2, 3, 4, 5, 6})
	d.Upload(b, []float32{1, 0, 0, 1, 1, 1})
	device.Gemm(d, false, false, 2, 2, 3, 1, a, b, 0, out)
	got := make([]float32, 4)
	if err := d.Download(got, out); err != nil {
		t.Fatal(err)
	}
	after := c.Counts()
	if dl, dc, ds := after.Launches-before.Launches, after.Copies-before.Copies, after.Syncs-before.Syncs; dl != 1 || dc != 3 || ds != 1 {
		t.Errorf("one gemm with two uploads and a download counted %d launches, %d copies, %d syncs; want 1, 3, 1", dl, dc, ds)
	}
	if db := after.CopyBytes - before.CopyBytes; db != 4*(6+6+4) {
		t.Errorf("the copies moved %d bytes, want %d", db, 4*(6+6+4))
	}
	if want := []float32{4, 5, 10, 11}; got[0] != want[0] || got[3] != want[3] {
		t.Errorf("gemm = %v, want %v", got, want)
	}
}
