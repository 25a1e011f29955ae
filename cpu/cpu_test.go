package cpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/bench"
	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/device/devicetest"
	"github.com/gputrain/gputrain/nn"
)

// eachLevel runs f in a subtest per kernel level, slowest first, with the
// kernels forced to it; a level this machine or build cannot run is
// skipped with the reason.
func eachLevel(t *testing.T, f func(t *testing.T)) {
	for _, l := range []string{"generic", "avx2", "avx512"} {
		t.Run(l, func(t *testing.T) {
			prev, err := cpu.SetKernelLevel(l)
			if err != nil {
				t.Skipf("not run here: %v", err)
			}
			defer cpu.SetKernelLevel(prev)
			f(t)
		})
	}
}

// TestConformanceEachLevel runs the whole conformance suite with the
// kernels forced to each level: AVX-512, AVX2 and plain Go all pass on this
// machine.
func TestConformanceEachLevel(t *testing.T) {
	open := func(t *testing.T) device.Device { return cpu.New() }
	eachLevel(t, func(t *testing.T) { devicetest.Run(t, open) })
}

// w1Like builds the workshop network's buffers on a CPU device and returns
// one training step's worth of device operations (forward, loss, backward,
// update), exactly the calls nn makes.
func stepOps(t testing.TB, d *cpu.Device, rows int, sizes []int, act device.Activation, loss device.Loss, adam bool) func() {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := func(n int, scale float32) device.Buffer {
		b, err := d.Alloc(n)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, n)
		for i := range x {
			x[i] = scale * (2*rng.Float32() - 1)
		}
		d.Upload(b, x)
		return b
	}
	L := len(sizes) - 1
	x := buf(rows*sizes[0], 1)
	outs := sizes[L]
	y := buf(rows*outs, 0)
	if loss == device.SoftmaxCE {
		y = buf(rows, 0)
		d.Fill(y, rows, 3)
	}
	lossOut := buf(8, 0)
	type layer struct{ w, b, dw, db, z, a, da, m, v, mb, vb device.Buffer }
	ls := make([]layer, L)
	for l := range ls {
		in, out := sizes[l], sizes[l+1]
		ls[l] = layer{w: buf(in*out, 0.3), b: buf(out, 0.1), dw: buf(in*out, 0), db: buf(out, 0),
			z: buf(rows*out, 0), a: buf(rows*out, 0), da: buf(rows*out, 0), m: buf(in*out, 0), v: buf(in*out, 0), mb: buf(out, 0), vb: buf(out, 0)}
	}
	// Adam's state per tensor, built once: a step allocates nothing.
	wState, bState := make([][]device.Buffer, L), make([][]device.Buffer, L)
	for l := range ls {
		wState[l], bState[l] = []device.Buffer{ls[l].m, ls[l].v}, []device.Buffer{ls[l].mb, ls[l].vb}
	}
	step := 0
	return func() {
		in := x
		for l := range ls {
			a := act
			if l == L-1 {
				a = device.Identity
			}
			device.Gemm(d, false, false, rows, sizes[l+1], sizes[l], 1, in, ls[l].w, 0, ls[l].z)
			d.BiasActivation(a, 0, ls[l].z, ls[l].b, ls[l].a, rows, sizes[l+1])
			in = ls[l].a
		}
		device.LossGrad(d, loss, ls[L-1].a, y, ls[L-1].da, rows, outs, 1/float32(rows), lossOut, 1)
		for l := L - 1; l >= 0; l-- {
			if l < L-1 {
				d.ActivationBackward(act, 0, ls[l].z, ls[l].a, ls[l].da, ls[l].da, rows*sizes[l+1])
			}
			prev := x
			if l > 0 {
				prev = ls[l-1].a
			}
			device.Gemm(d, true, false, sizes[l], sizes[l+1], rows, 1, prev, ls[l].da, 0, ls[l].dw)
			d.ColumnSums(ls[l].da, rows, sizes[l+1], ls[l].db)
			if l > 0 {
				device.Gemm(d, false, true, rows, sizes[l], sizes[l+1], 1, ls[l].da, ls[l].w, 0, ls[l-1].da)
			}
		}
		step++
		for l := range ls {
			n := sizes[l] * sizes[l+1]
			if adam {
				a := device.OptimArgs{1e-3, 0.9, 0.1, 0.999, 0.001, 1e-8, 0,
					float32(1 / (1 - math.Pow(0.9, float64(step)))), float32(1 / (1 - math.Pow(0.999, float64(step))))}
				d.OptimStep("adam_step", ls[l].w, ls[l].dw, wState[l], n, a)
				d.OptimStep("adam_step", ls[l].b, ls[l].db, bState[l], sizes[l+1], a)
			} else {
				d.OptimStep("sgd_step", ls[l].w, ls[l].dw, nil, n, device.OptimArgs{0.01})
				d.OptimStep("sgd_step", ls[l].b, ls[l].db, nil, sizes[l+1], device.OptimArgs{0.01})
			}
		}
	}
}

// TestStepAllocs checks that the device operations of a training step
// allocate nothing once warm, for the W1 and W2 shapes, at every level.
func TestStepAllocs(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		d := cpu.New()
		w1 := stepOps(t, d, 1055, []int{41, 20, 1}, device.Tanh, device.Logistic, false)
		w2 := stepOps(t, d, 128, []int{784, 512, 512, 10}, device.ReLU, device.SoftmaxCE, true)
		w1()
		w2()
		if got := testing.AllocsPerRun(5, w1); got != 0 {
			t.Errorf("a W1 step's device ops allocate %v times", got)
		}
		if got := testing.AllocsPerRun(3, w2); got != 0 {
			t.Errorf("a W2 step's device ops allocate %v times", got)
		}
	})
}

// TestTrainingBitIdentical trains the workshop network twice at each level
// and checks the parameters agree bit for bit (the --seed promise).
func TestTrainingBitIdentical(t *testing.T) {
	w, err := bench.Lookup("w1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.Load()
	if err != nil {
		t.Fatal(err)
	}
	train := func(t *testing.T) nn.Params {
		tr, err := nn.NewTrainer(cpu.New(), p.Config(30, 10), p.X, p.Y, p.Rows)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if _, err := tr.Run(nil); err != nil {
			t.Fatal(err)
		}
		ps, err := tr.Params()
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	eachLevel(t, func(t *testing.T) {
		a, b := train(t), train(t)
		for i := range a.W {
			for j := range a.W[i] {
				if math.Float32bits(a.W[i][j]) != math.Float32bits(b.W[i][j]) {
					t.Fatalf("W[%d][%d] differs between runs: %v vs %v", i, j, a.W[i][j], b.W[i][j])
				}
			}
		}
	})
}

func TestConformance(t *testing.T) {
	devicetest.Run(t, func(t *testing.T) device.Device { return cpu.New() })
}

func TestOpenViaRegistry(t *testing.T) {
	d, err := device.Open("cpu")
	if err != nil || d.Name() != "cpu" {
		t.Fatalf("Open(cpu) = %v, %v", d, err)
	}
	if _, err := device.Open("cpu:1"); err == nil {
		t.Fatal("Open(cpu:1) succeeded, want an error")
	}
	if _, err := device.Open("tpu"); err == nil {
		t.Fatal("Open(tpu) succeeded, want an error")
	}
}
