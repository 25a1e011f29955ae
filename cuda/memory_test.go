//go:build cuda

package cuda_test

import (
	"testing"

	"github.com/gputrain/gputrain/device"
)

// TestFreeMemory checks the device's free-memory report, which the
// trainer compares a run's estimate with before allocating: it drops by
// at least what a buffer takes, and a freed (pooled) buffer counts as
// free again.
func TestFreeMemory(t *testing.T) {
	d := openCUDA(t)
	defer d.Close()
	mr, ok := d.(device.MemoryReporter)
	if !ok {
		t.Fatal("the CUDA device does not report its free memory")
	}
	before, source, ok := mr.FreeMemory()
	if !ok || before == 0 {
		t.Fatalf("FreeMemory: %d bytes (%s), ok %v", before, source, ok)
	}
	const n = 16 << 20 // 64 MiB of float32
	b, err := d.Alloc(n)
	if err != nil {
		t.Fatal(err)
	}
	during, _, _ := mr.FreeMemory()
	if before-during < 4*n-(4<<20) {
		t.Errorf("free memory went from %d to %d bytes with a %d-byte buffer allocated", before, during, 4*n)
	}
	d.Free(b)
	after, _, _ := mr.FreeMemory()
	if after+(4<<20) < before {
		t.Errorf("free memory %d bytes after freeing the buffer, %d before allocating it", after, before)
	}
	t.Logf("free: %d bytes (%s); %d with a 64 MiB buffer; %d after freeing it", before, source, during, after)
}
