package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// countingDevice counts the bytes a trainer allocates and reports a fixed
// amount of free memory.
type countingDevice struct {
	device.Device
	bytes uint64
	free  uint64
}

func (d *countingDevice) Alloc(n int) (device.Buffer, error) {
	d.bytes += 4 * uint64(n)
	return d.Device.Alloc(n)
}

func (d *countingDevice) AllocIndex(n int) (device.IndexBuffer, error) {
	d.bytes += 4 * uint64(n)
	return d.Device.AllocIndex(n)
}

func (d *countingDevice) FreeMemory() (uint64, string, bool) { return d.free, "test", true }

// TestMemoryEstimateMatchesAllocations checks the estimate of the device
// buffers against what NewTrainer really allocates, for networks with and
// without minibatches, dropout, batch norm, Adam, restarts and a
// validation set.
func TestMemoryEstimateMatchesAllocations(t *testing.T) {
	arch := Arch{Inputs: 41, Hidden: []int{20}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	const rows = 1055
	x, yy := randomProblem(rand.New(rand.NewPCG(3, 4)), arch, rows)
	adam := OptimConfig{Kind: Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	for _, c := range []struct {
		name string
		cfg  func(*TrainConfig)
	}{
		{"workshop", func(*TrainConfig) {}},
		{"adam-minibatch-dropout", func(c *TrainConfig) { c.Optim, c.BatchSize, c.Dropout = adam, 100, 0.2 }},
		{"batchnorm-restarts-momentum", func(c *TrainConfig) {
			c.Arch.BatchNorm, c.Arch.Hidden, c.Restarts = true, []int{16, 8}, 3
			c.Optim = OptimConfig{Kind: Momentum, LR: 1e-3, Momentum: 0.9}
		}},
		{"class-weights", func(c *TrainConfig) { c.ClassWeights = []float64{1, 3} }},
		{"class-weights-minibatch", func(c *TrainConfig) { c.ClassWeights, c.BatchSize = []float64{1, 3}, 100 }},
		{"class-weights-multiclass", func(c *TrainConfig) {
			c.Arch.Outputs, c.Arch.Loss, c.ClassWeights, c.BatchSize = 3, device.SoftmaxCE, []float64{1, 2, 3}, 100
		}},
		{"variants-adam-dropout", func(c *TrainConfig) {
			c.Optim = adam
			c.Variants = []Variant{{Optim: adam, Dropout: 0.2}, {Optim: adam}, {Optim: adam, Dropout: 0.5}}
		}},
		{"validation", func(c *TrainConfig) {
			c.BatchSize = 64
			c.Val = &ValidationSet{X: x[:200*arch.Inputs], Rows: 200, Score: func([]float32) Evaluation { return Evaluation{} }}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := TrainConfig{Arch: arch,
				Init: InitNormal, Optim: OptimConfig{Kind: GD, LR: 1e-4}, Steps: 1, Reduction: Sum, Seed: 1}
			c.cfg(&cfg)
			dev := &countingDevice{Device: cpu.New(), free: math.MaxUint64}
			tr, err := NewTrainer(dev, cfg, x, yy, rows)
			if err != nil {
				t.Fatal(err)
			}
			tr.Close()
			cfg.CheckEvery = 100 // NewTrainer's default
			est := estimateMemory(cfg, rows, 1)
			if got := est.Total() - est.Host; got != dev.bytes {
				t.Fatalf("estimated %d bytes of device buffers (%s), allocated %d", got, est, dev.bytes)
			}
		})
	}
}

// TestMemoryRefusedBeforeAllocating gives the trainer less memory than a
// run needs: it is refused with the estimate, and nothing is allocated.
func TestMemoryRefusedBeforeAllocating(t *testing.T) {
	arch := Arch{Inputs: 41, Hidden: []int{20}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	const rows = 1055
	x, y := randomProblem(rand.New(rand.NewPCG(3, 4)), arch, rows)
	cfg := TrainConfig{Arch: arch, Init: InitNormal, Optim: OptimConfig{Kind: GD, LR: 1e-4}, Steps: 5, Reduction: Sum, Seed: 1, Restarts: 4}
	dev := &countingDevice{Device: cpu.New(), free: 100 << 10}
	_, err := NewTrainer(dev, cfg, x, y, rows)
	var me *MemoryError
	if !errors.As(err, &me) || me.Free != 100<<10 || !strings.Contains(err.Error(), "more than the 100.0 KiB available on cpu (test)") {
		t.Fatalf("error %v", err)
	}
	if dev.bytes != 0 {
		t.Fatalf("%d bytes allocated before the refusal", dev.bytes)
	}
	// Widths whose product overflows are refused whatever the memory.
	cfg.Arch.Hidden, cfg.Restarts = []int{1 << 40, 1 << 40}, 1
	dev.free = math.MaxUint64
	if _, err := NewTrainer(dev, cfg, x, y, rows); !errors.As(err, &me) || !strings.Contains(err.Error(), "more than any machine has") {
		t.Fatalf("overflowing estimate: %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for b, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 3 << 30: "3.0 GiB", math.MaxUint64: "more than 16 EiB"} {
		if got := FormatBytes(b); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", b, got, want)
		}
	}
}

// A run that needs exactly the memory free is allowed; one byte less is
// refused.
func TestMemoryExactlyEnough(t *testing.T) {
	arch := Arch{Inputs: 4, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	const rows = 50
	x, y := randomProblem(rand.New(rand.NewPCG(5, 6)), arch, rows)
	cfg := TrainConfig{Arch: arch, Init: InitNormal, Optim: OptimConfig{Kind: GD, LR: 1e-4}, Steps: 1, Reduction: Sum, Seed: 1, CheckEvery: 100}
	need := estimateMemory(cfg, rows, 1).Total()
	dev := &countingDevice{Device: cpu.New(), free: need}
	tr, err := NewTrainer(dev, cfg, x, y, rows)
	if err != nil {
		t.Fatalf("%d bytes free for an estimate of %d: %v", need, need, err)
	}
	tr.Close()
	dev.free = need - 1
	var me *MemoryError
	if _, err := NewTrainer(dev, cfg, x, y, rows); !errors.As(err, &me) {
		t.Fatalf("%d bytes free for an estimate of %d: %v, want a MemoryError", need-1, need, err)
	}
}
