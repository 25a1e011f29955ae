//go:build cuda

package cuda

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cuda/preflight"
	"github.com/gputrain/gputrain/device"
	"gorgonia.org/cu"
)

// TestSoftmaxHugeLabel gives SoftmaxCE labels far outside [0, cols): the
// kernel converts a label with PTX's saturating conversion (3e9 → INT_MAX,
// NaN → 0), so such a row is invalid — a NaN loss and a gradient without the
// one-hot term — instead of a wrapped negative index read out of bounds (the
// emulator's plain C++ cast gave INT_MIN here and crashed). Tolerance: the
// softmax of a row against a float64 reference within 1e-6 absolute.
func TestSoftmaxHugeLabel(t *testing.T) {
	d := openT(t)
	const cols = 3
	z := []float32{0.5, -1, 2, 0.5, -1, 2, 0.5, -1, 2}
	labels := []float32{1, 3e9, -3e9}
	zb, yb := mustUpload(t, d, z), mustUpload(t, d, labels)
	grad, _ := d.Alloc(len(z))
	lossOut, _ := d.Alloc(1)
	device.LossGrad(d, device.SoftmaxCE, zb, yb, grad, len(labels), cols, 1, lossOut, 0)
	loss := mustDownload(t, d, lossOut, 1)[0]
	g := mustDownload(t, d, grad, len(z))
	if !math.IsNaN(float64(loss)) {
		t.Errorf("loss with labels %v = %v, want NaN (invalid labels)", labels, loss)
	}
	var s float64
	for _, v := range z[:cols] {
		s += math.Exp(float64(v))
	}
	for r := range labels {
		for c := 0; c < cols; c++ {
			want := math.Exp(float64(z[r*cols+c])) / s
			if r == 0 && c == 1 {
				want-- // the one valid label
			}
			if got := float64(g[r*cols+c]); math.Abs(got-want) > 1e-6 {
				t.Errorf("grad[%d,%d] (label %v) = %v, want %v", r, c, labels[r], got, want)
			}
		}
	}
}

// onEmulator skips t unless the driver library is the CPU emulator.
func onEmulator(t *testing.T) {
	t.Helper()
	if !strings.Contains(preflight.Library(), "fakecuda") {
		t.Skipf("needs the CPU emulator (GPUTRAIN_LIBCUDA=bin/fakecuda.so), not %s", preflight.Library())
	}
}

// runChild runs test name of this binary in a new process with env added
// (the emulator reads its FAKECUDA_* knobs once) and returns its output.
func runChild(t *testing.T, name string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^"+name+"$", "-test.v")
	cmd.Env = append(os.Environ(), append([]string{"GPUTRAIN_TEST_CHILD=1"}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, env, err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("%s %v did not run:\n%s", name, env, out)
	}
	return string(out)
}

// TestPlantedFault plants a fault in the second Mul of a three-launch step
// (FAKECUDA_FAULT) and checks, in both emulator modes, what a GPU does: the
// launches return at once, the fault shows at the next synchronising call
// and sticks. The error blames the last kernel queued and says to rerun with
// GPUTRAIN_CUDA_SYNC=1; with it, the error names the faulting kernel, its
// shape, its launch number and the training step.
func TestPlantedFault(t *testing.T) {
	onEmulator(t)
	for _, async := range []string{"0", "1"} {
		out := runChild(t, "TestPlantedFaultChild", "FAKECUDA_FAULT=mul:2", "FAKECUDA_ASYNC="+async)
		if want := "last kernel queued: fill(n=3;"; async == "1" && !strings.Contains(out, want) {
			t.Errorf("asynchronous mode: the error does not blame the last kernel queued (%q):\n%s", want, out)
		}
		if want := "rerun with GPUTRAIN_CUDA_SYNC=1"; async == "1" && !strings.Contains(out, want) {
			t.Errorf("the error does not say %q:\n%s", want, out)
		}
		out = runChild(t, "TestPlantedFaultChild", "FAKECUDA_FAULT=mul:2", "FAKECUDA_ASYNC="+async, "GPUTRAIN_CUDA_SYNC=1")
		if want := "kernel mul(n=3; grid 1x1x1, block 256x1x1) failed (launch 2 since Open, training step 7; found by GPUTRAIN_CUDA_SYNC=1)"; !strings.Contains(out, want) {
			t.Errorf("GPUTRAIN_CUDA_SYNC=1, FAKECUDA_ASYNC=%s: the error does not say %q:\n%s", async, want, out)
		}
	}
}

func TestPlantedFaultChild(t *testing.T) {
	if os.Getenv("GPUTRAIN_TEST_CHILD") == "" {
		t.Skip("run by TestPlantedFault")
	}
	d := openT(t)
	x := mustUpload(t, d, []float32{1, 2, 3})
	d.MarkStep(6)
	d.Mul(x, x, x, 3)
	d.MarkStep(7)
	d.Mul(x, x, x, 3) // faults
	d.Fill(x, 3, 0)
	err := d.Synchronize()
	if !errors.Is(err, cu.IllegalAddress) {
		t.Fatalf("Synchronize after a faulting launch: %v, want %v", err, cu.IllegalAddress)
	}
	t.Log(err)
	if err := d.Download(make([]float32, 3), x); !errors.Is(err, cu.IllegalAddress) {
		t.Errorf("Download after the fault: %v, want the fault again", err)
	}
}

// TestModuleLoadLog: a module the driver cannot compile is refused with the
// JIT compiler's error log in the error (cuModuleLoadDataEx's log buffer),
// not only an error code.
func TestModuleLoadLog(t *testing.T) {
	openT(t) // the driver is usable
	_, err := loadModule(".version 7.8\n.target sm_70\n.address_size 64\nbogus instruction;\n")
	if err == nil {
		t.Fatal("loading invalid PTX succeeded")
	}
	if !strings.Contains(err.Error(), "JIT log: ") {
		t.Errorf("the error carries no JIT log: %v", err)
	}
	t.Log(err)
}
