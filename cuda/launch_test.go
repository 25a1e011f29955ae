//go:build cuda

package cuda

import (
	"os"
	"testing"

	"github.com/gputrain/gputrain/bench"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
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

// TestW1StepCounts trains W1 (full batch), reading the loss every 10 steps,
// and checks what the GPU step budget assumes: from one loss read to the
// next, 10 steps make no synchronisation and no host↔device copy besides the
// read itself (one download, one synchronisation), and every step makes the
// same launches (logged; bench/README.md's budget uses them).
func TestW1StepCounts(t *testing.T) {
	d := openT(t)
	w, err := bench.Lookup("w1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.Load()
	if err != nil {
		t.Fatal(err)
	}
	const block = 10
	tr, err := nn.NewTrainer(d, p.Config(3*block, block), p.X, p.Y, p.Rows)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var at []device.Counts // at each loss read
	if _, err := tr.Run(func(lp nn.LossPoint) {
		if lp.Step%block == 0 {
			at = append(at, d.Counts())
		}
	}); err != nil {
		t.Fatal(err)
	}
	if len(at) < 3 {
		t.Fatalf("%d loss reads seen, want 3", len(at))
	}
	at = at[:3] // the run's final loss read evaluates the model afresh
	var launches int64
	for i := 1; i < len(at); i++ {
		l, s, c := at[i].Launches-at[i-1].Launches, at[i].Syncs-at[i-1].Syncs, at[i].Copies-at[i-1].Copies
		t.Logf("loss read %d to %d: %d launches (%.3g per step), %d synchronisations, %d copies (%d bytes)",
			i-1, i, l, float64(l)/block, s, c, at[i].CopyBytes-at[i-1].CopyBytes)
		if s != 1 || c != 1 {
			t.Errorf("from loss read %d to %d (%d steps): %d synchronisations and %d copies, want 1 and 1 (the read)", i-1, i, block, s, c)
		}
		if i > 1 && l != launches {
			t.Errorf("%d launches from read %d to %d, %d before: steps differ", l, i-1, i, launches)
		}
		launches = l
	}
}
