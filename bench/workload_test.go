package bench

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

func TestSyntheticDeterministicAcrossThreads(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	x1, y1 := Synthetic(2500, 7, 4, 3)
	runtime.GOMAXPROCS(4)
	x2, y2 := Synthetic(2500, 7, 4, 3)
	if !slices.Equal(x1, x2) || !slices.Equal(y1, y2) {
		t.Fatal("Synthetic depends on the number of threads")
	}
	x3, _ := Synthetic(2500, 7, 4, 4)
	if slices.Equal(x1, x3) {
		t.Fatal("Synthetic ignores the seed")
	}
	seen := map[float32]int{}
	var sum, sq float64
	for _, v := range x1 {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	for _, c := range y1 {
		if c < 0 || c > 3 || c != float32(int(c)) {
			t.Fatalf("label %v out of range", c)
		}
		seen[c]++
	}
	if len(seen) != 4 {
		t.Fatalf("teacher uses %d of 4 classes", len(seen))
	}
	n := float64(len(x1))
	if mean, sd := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n)); math.Abs(mean) > 0.05 || math.Abs(sd-1) > 0.05 {
		t.Fatalf("features have mean %.3f, sd %.3f, want standard normal", mean, sd)
	}
}

func TestWorkloads(t *testing.T) {
	w1, err := Lookup("W1")
	if err != nil {
		t.Fatal(err)
	}
	if got := FlopsPerStep(w1.Arch, w1.BatchRows()); got != 5_317_200 {
		t.Fatalf("W1 flops per step %v, want 6·1055·840", got)
	}
	if got := MinBytesPerStep(w1.Arch, w1.BatchRows(), w1.Optim.Kind); got != 4*(1055*42+2*861) {
		t.Fatalf("W1 min bytes %v", got)
	}
	w2, _ := Lookup("w2")
	if got, want := MinBytesPerStep(w2.Arch, 128, nn.Adam), 4*(128*785+2*669_706*3.0); got != want {
		t.Fatalf("W2 min bytes %v, want %v", got, want)
	}
	if (w2.Rows+w2.Batch-1)/w2.Batch != w2.Steps {
		t.Fatalf("W2 is one epoch: %d steps", w2.Steps)
	}
	if _, err := Lookup("w9"); err == nil {
		t.Fatal("Lookup(w9) succeeded")
	}
	p, err := w1.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.X) != 1055*41 || len(p.Y) != 1055 {
		t.Fatalf("W1 data %d×?, %d labels", len(p.X), len(p.Y))
	}
	// Standardised over all rows: every column has mean 0.
	for j := 0; j < 41; j++ {
		var s float64
		for i := 0; i < 1055; i++ {
			s += float64(p.X[i*41+j])
		}
		if math.Abs(s/1055) > 1e-5 {
			t.Fatalf("column %d has mean %g", j, s/1055)
		}
	}
}

func TestBlockTimer(t *testing.T) {
	// Full batch, 10 steps, blocks of 2: points 0…10 arrive in reads of
	// 2 (and a last read of 1: the final loss). Blocks 2…5 are timed.
	bt := NewBlockTimer(2, 10)
	for i := 0; i <= 10; i++ {
		bt.OnLoss(nn.LossPoint{Step: i, Loss: float64(10 - i)})
	}
	if len(bt.StepSeconds) != 4 || bt.Final.Step != 10 || bt.Final.Loss != 0 {
		t.Fatalf("got %d samples, final %+v", len(bt.StepSeconds), bt.Final)
	}
	// Minibatch, 7 steps, blocks of 3: two full blocks (one timed), a partial one.
	bt = NewBlockTimer(3, 7)
	for i := 1; i <= 7; i++ {
		bt.OnLoss(nn.LossPoint{Step: i, Loss: 1})
	}
	if len(bt.StepSeconds) != 1 {
		t.Fatalf("got %d samples, want 1", len(bt.StepSeconds))
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{5, 1, 3, 2, 4})
	if s != (Summary{N: 5, Median: 3, Min: 1, Max: 5, Q1: 2, Q3: 4}) {
		t.Fatalf("%+v", s)
	}
	if s := Summarize([]float64{1, 2}); s.Median != 1.5 || s.Q1 != 1.25 {
		t.Fatalf("%+v", s)
	}
	if s := Summarize(nil); s.N != 0 {
		t.Fatalf("%+v", s)
	}
	if !math.IsNaN(Quantile(nil, 0.5)) {
		t.Fatal("Quantile of nothing is not NaN")
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{0, "0"}, {0.012345, "0.0123"}, {1.2345, "1.23"}, {123.4, "123"}, {1234.6, "1,235"}, {0.9997, "1.00"}, {9.996, "10.0"}, {-1234567, "-1,234,567"}} {
		if got := FormatNumber(c.v); got != c.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		v    float64
		want string
	}{{5_317_200, "5.32M"}, {513_540_096, "514M"}, {1.65e12, "1.65T"}, {999.7, "1.00k"}, {12, "12.0"}} {
		if got := FormatSI(c.v, ""); got != c.want {
			t.Errorf("FormatSI(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	if got := FormatSI(184_128, "B"); got != "184 kB" {
		t.Errorf("FormatSI with a unit: %q", got)
	}
}

func TestParseKernel(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Kernel
		name string
	}{
		{"gemm:1024", Kernel{Op: "gemm", M: 1024, N: 1024, K: 1024}, "gemm 1024x1024x1024"},
		{"gemm:128x512x784", Kernel{Op: "gemm", M: 128, N: 512, K: 784}, "gemm 128x512x784"},
		{"mul:1e6", Kernel{Op: "mul", Size: 1_000_000}, "mul 1e6"},
		{" sgd:1234", Kernel{Op: "sgd", Size: 1234}, "sgd 1234"},
		{"bias_act_relu:64x8", Kernel{Op: "bias_act_relu", M: 64, N: 8}, "bias_act_relu 64x8"},
	} {
		k, err := ParseKernel(c.in)
		if err != nil || k != c.want || k.Name() != c.name {
			t.Errorf("ParseKernel(%q) = %+v (%q), %v", c.in, k, k.Name(), err)
		}
		if back, err := ParseKernel(k.Spec()); err != nil || back != k {
			t.Errorf("Spec round trip of %+v: %+v, %v", k, back, err)
		}
	}
	for _, bad := range []string{"", "gemm", "gemm:0", "gemm:1x2", "mul:-5", "mul:1.5", "add:10", "gemm:axbxc", "bias_act_relu:64", "mul:2x3", "sgd:1e6x1"} {
		if _, err := ParseKernel(bad); err == nil {
			t.Errorf("ParseKernel(%q) succeeded", bad)
		}
	}
	if k := (Kernel{Op: "gemm", M: 2, N: 3, K: 4}); k.Flops() != 48 || k.MinBytes() != 4*(8+12+6) {
		t.Errorf("gemm napkin math: %v flops, %v bytes", k.Flops(), k.MinBytes())
	}
	specs := map[string]bool{}
	for _, k := range DefaultKernels(true) {
		if specs[k.Spec()] {
			t.Errorf("DefaultKernels lists %s twice", k.Spec())
		}
		specs[k.Spec()] = true
	}
}

// tiny is a small minibatch problem for tests.
func tiny() *Problem {
	w := Workload{
		Name: "tiny", Title: "tiny", Rows: 10,
		Arch: nn.Arch{Inputs: 3, Hidden: []int{4}, Outputs: 2, Activation: device.ReLU, Loss: device.SoftmaxCE},
		Init: nn.InitHe, Optim: nn.OptimConfig{Kind: nn.SGD, LR: 0.1}, Batch: 4, Steps: 6, Reduction: nn.Mean, Seed: 5,
	}
	p := &Problem{Workload: w, Init: nn.InitParams(w.Arch, w.Init, w.Seed)}
	p.X, p.Y = Synthetic(w.Rows, w.Arch.Inputs, w.Arch.Outputs, w.Seed)
	return p
}

func TestExport(t *testing.T) {
	p := tiny()
	dir := t.TempDir()
	h, err := p.Export(dir, 6)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "tiny.bin"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "tiny.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Header
	if err := json.Unmarshal(js, &back); err != nil || back.Format != ExportFormat || back.Batch != 4 || back.FullBatch {
		t.Fatalf("header %+v, %v", back, err)
	}
	read := func(name string) []uint32 {
		for _, tn := range h.Tensors {
			if tn.Name == name {
				n := 1
				for _, s := range tn.Shape {
					n *= s
				}
				out := make([]uint32, n)
				for i := range out {
					out[i] = binary.LittleEndian.Uint32(raw[tn.Offset+4*int64(i):])
				}
				return out
			}
		}
		t.Fatalf("no tensor %s", name)
		return nil
	}
	for i, v := range read("x") {
		if math.Float32frombits(v) != p.X[i] {
			t.Fatalf("x[%d] differs", i)
		}
	}
	// layers.0.weight is PyTorch's [out, in]: element (o, i) is W[i][o].
	w := read("layers.0.weight")
	if math.Float32frombits(w[1*3+2]) != p.Init.W[0][2*4+1] {
		t.Fatal("layers.0.weight is not in [out, in] layout")
	}
	// 6 steps of 3 per epoch: two epochs, each a permutation of the rows.
	order := read("order")
	if len(order) != 20 {
		t.Fatalf("order has %d entries, want 2 epochs of 10", len(order))
	}
	for e := 0; e < 2; e++ {
		perm := make([]int, 10)
		for i := range perm {
			perm[i] = int(order[e*10+i])
		}
		slices.Sort(perm)
		for i, v := range perm {
			if v != i {
				t.Fatalf("epoch %d order is not a permutation: %v", e, order[e*10:e*10+10])
			}
		}
	}
	again := p.BatchOrder(6)
	for i, v := range again {
		if uint32(v) != order[i] {
			t.Fatal("BatchOrder is not deterministic")
		}
	}
	if _, err := p.Export(filepath.Join(dir, "missing", "dir"), 6); err == nil {
		t.Fatal("Export to a missing directory succeeded")
	}
}

// TestBatchOrderIsTheTrainers checks that the exported order is the one the
// trainer uses: training the problem with the order applied by hand (one
// full-batch step per minibatch, on exactly those rows) gives the trainer's
// minibatch losses.
func TestBatchOrderIsTheTrainers(t *testing.T) {
	p := tiny()
	order := p.BatchOrder(p.Steps)
	dev := cpu.New()
	tr, err := nn.NewTrainer(dev, p.Config(p.Steps, 1), p.X, p.Y, p.Rows)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hist, err := tr.Run(nil)
	if err != nil {
		t.Fatal(err)
	}
	params := p.Init.Clone()
	perEpoch := (p.Rows + p.Batch - 1) / p.Batch
	for j := 0; j < p.Steps; j++ {
		e, i := j/perEpoch, j%perEpoch
		// The order's documented layout, not the plan's own arithmetic.
		rows := order[e*p.Rows+i*p.Batch : e*p.Rows+min((i+1)*p.Batch, p.Rows)]
		var x, y []float32
		for _, r := range rows {
			x = append(x, p.X[int(r)*3:int(r)*3+3]...)
			y = append(y, p.Y[r])
		}
		cfg := p.Config(1, 1)
		cfg.BatchSize, cfg.InitFrom = 0, &params
		one, err := nn.NewTrainer(dev, cfg, x, y, len(rows))
		if err != nil {
			t.Fatal(err)
		}
		h, err := one.Run(nil)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(h[0].Loss-hist[j].Loss) > 1e-6*math.Abs(hist[j].Loss) {
			t.Fatalf("step %d: loss %v on the exported rows, %v in the trainer", j+1, h[0].Loss, hist[j].Loss)
		}
		if params, err = one.Params(); err != nil {
			t.Fatal(err)
		}
		one.Close()
	}
}

func TestTimeTrainingAndKernel(t *testing.T) {
	p := tiny()
	r, err := TimeTraining(cpu.New(), p, 6, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Impl != "gputrain" || r.Kind != "train" || r.Steps != 6 || len(r.Samples) != 2 || r.Seconds.N != 2 ||
		r.FinalStep != 6 || r.FinalLoss <= 0 || r.Flops != FlopsPerStep(p.Arch, 4) || r.Batch != 4 {
		t.Fatalf("%+v", r)
	}
	if r.LaunchesPerStep != 0 || r.GraphLaunchesPerStep != 0 || r.SyncsPerStep != 0 || r.CopiesPerStep != 0 {
		t.Fatalf("the CPU device counts nothing, yet the result has counts: %+v", r)
	}
	// A device that counts: its tally grows by 600 launches, 3 graph
	// launches, 12 syncs and 18 copies over the run, so 100, 0.5, 2 and 3
	// per update of the 6.
	c := &countingDevice{Device: cpu.New(), step: device.Counts{Launches: 600, GraphLaunches: 3, Syncs: 12, Copies: 18}}
	r, err = TimeTraining(c, p, 6, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.LaunchesPerStep != 100 || r.GraphLaunchesPerStep != 0.5 || r.SyncsPerStep != 2 || r.CopiesPerStep != 3 || c.calls != 2 {
		t.Fatalf("counts per step %v launches, %v graph launches, %v syncs, %v copies from %d reads of the tally; want 100, 0.5, 2, 3 from 2",
			r.LaunchesPerStep, r.GraphLaunchesPerStep, r.SyncsPerStep, r.CopiesPerStep, c.calls)
	}
	k, err := TimeKernel(cpu.New(), Kernel{Op: "mul", Size: 1000}, 2, 1e-4)
	if err != nil {
		t.Fatal(err)
	}
	if k.Kind != "kernel" || k.Case != "mul 1e3" || len(k.Samples) != 2 || k.Seconds.N != 2 || k.MinBytes != 12000 || k.GBS != k.MinBytes/k.Seconds.Median/1e9 {
		t.Fatalf("%+v", k)
	}
}

// countingDevice is a device whose tally (device.Counter) grows by step at
// every read after the first.
type countingDevice struct {
	device.Device
	step  device.Counts
	calls int
}

func (d *countingDevice) Counts() device.Counts {
	n := int64(d.calls)
	d.calls++
	return device.Counts{Launches: n * d.step.Launches, GraphLaunches: n * d.step.GraphLaunches, Syncs: n * d.step.Syncs, Copies: n * d.step.Copies}
}
