//go:build cuda

package cuda

import (
	"os"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// BenchmarkLaunchOverhead is the host's cost of one kernel launch: a small
// Fill queued b.N times and one Synchronize, so each op is the caller's
// checks, the hand-off to the CUDA goroutine and the driver call. Run it on
// the emulator with the kernels stubbed to no-ops, so that only host work is
// timed:
//
//	FAKECUDA_NOOP=1 GPUTRAIN_LIBCUDA=$PWD/bin/fakecuda.so go test -tags cuda -run '^$' -bench LaunchOverhead ./cuda
func BenchmarkLaunchOverhead(b *testing.B) {
	d := openT(b)
	x, err := d.Alloc(256)
	if err != nil {
		b.Fatal(err)
	}
	if os.Getenv("FAKECUDA_NOOP") == "" {
		b.Log("FAKECUDA_NOOP is not set: kernel work is timed too")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Fill(x, 256, 1)
	}
	if err := d.Synchronize(); err != nil {
		b.Fatal(err)
	}
}

// TestLaunchAllocs: queuing a launch allocates nothing (the hand-off copies
// the arguments into a preallocated command; the cgo call builds the
// parameter array on the C stack).
func TestLaunchAllocs(t *testing.T) {
	d := openT(t)
	x, err := d.Alloc(256)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := d.Alloc(256)
	if n := testing.AllocsPerRun(1000, func() {
		d.Fill(x, 256, 1)
		d.Mul(x, x, y, 256)
		d.OptimStep("sgd_step", x, y, nil, 256, device.OptimArgs{0.1})
		d.Copy(y, x, 256)
	}); n != 0 {
		t.Errorf("queuing a Fill, a Mul, an sgd_step and a Copy allocates %v times, want 0", n)
	}
	if err := d.Synchronize(); err != nil {
		t.Fatal(err)
	}
}

// TestUploadStaging: uploads go through the page-locked staging area
// without synchronising; the caller may overwrite its slice at once; uploads
// past the area's end, and one larger than the area, synchronise and still
// deliver every value. On the emulator's asynchronous mode (FAKECUDA_ASYNC=1,
// as make cuda-emu-test runs it) the copies read the staging area only at
// the next synchronisation, so a part reused too early shows.
func TestUploadStaging(t *testing.T) {
	d := openT(t)
	const n = 1 << 18 // 1 MiB per upload: 4 fill the first area
	bufs := make([]device.Buffer, 6)
	src := make([]float32, n)
	syncs := d.Counts().Syncs
	for i := range bufs {
		bufs[i], _ = d.Alloc(n)
		for j := range src {
			src[j] = float32(i*n + j)
		}
		d.Upload(bufs[i], src)
		if i == 2 {
			if s := d.Counts().Syncs - syncs; s != 0 {
				t.Errorf("3 MiB of uploads synchronised %d times, want 0", s)
			}
		}
	}
	big := make([]float32, minStaging/4+n)
	for j := range big {
		big[j] = float32(-j)
	}
	bb, _ := d.Alloc(len(big))
	d.Upload(bb, big)
	for i, b := range bufs {
		got := mustDownload(t, d, b, n)
		for j, v := range got {
			if v != float32(i*n+j) {
				t.Fatalf("upload %d: element %d = %v, want %v", i, j, v, float32(i*n+j))
			}
		}
	}
	for j, v := range mustDownload(t, d, bb, len(big)) {
		if v != big[j] {
			t.Fatalf("upload larger than the staging area: element %d = %v, want %v", j, v, big[j])
		}
	}
}
