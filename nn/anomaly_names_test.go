package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// poisonDevice writes a NaN into the last element of the output of one
// operation: the n-th BiasActivation, GemmStrided (device.Gemm calls it
// too) or LossGradGroups since it was made.
type poisonDevice struct {
	device.Device
	op                   string // "bias", "gemm" or "loss"
	n, gemms, bias, loss int
}

func (d *poisonDevice) poison(b device.Buffer, last int) {
	v := make([]float32, b.Len())
	if err := d.Download(v, b); err != nil {
		panic(err)
	}
	v[last] = float32(math.NaN())
	d.Upload(b, v)
}

func (d *poisonDevice) BiasActivation(act device.Activation, alpha float32, z, bias, out device.Buffer, rows, cols int) {
	d.Device.BiasActivation(act, alpha, z, bias, out, rows, cols)
	if d.bias++; d.op == "bias" && d.bias == d.n {
		d.poison(out, rows*cols-1)
	}
}

func (d *poisonDevice) GemmStrided(transA, transB bool, m, n, k int, alpha float32, a device.Buffer, lda, strideA int, b device.Buffer, ldb, strideB int, beta float32, c device.Buffer, ldc, strideC int, count int) {
	d.Device.GemmStrided(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, count)
	if d.gemms++; d.op == "gemm" && d.gemms == d.n {
		d.poison(c, (count-1)*strideC+(m-1)*ldc+n-1)
	}
}

func (d *poisonDevice) LossGradGroups(loss device.Loss, logits, targets, grad device.Buffer, rows, cols, groups int, gradScale float32, lossOut device.Buffer, lossAt int) {
	d.Device.LossGradGroups(loss, logits, targets, grad, rows, cols, groups, gradScale, lossOut, lossAt)
	if d.loss++; d.op == "loss" && d.loss == d.n {
		d.poison(grad, rows*cols*groups-1)
	}
}

// --detect-anomaly names the tensor that holds a NaN in its very last
// element (so a scan of too few values misses it), in a network of two
// layers with three replicas side by side. One update's operations, in
// order: products 1–2 and bias-activations 1–2 forward (layer 0, then
// the logits), the loss and its gradient, then backward layer 1's weight
// gradient (product 3), the gradient into layer 0's activations (4) and
// layer 0's weight gradient (5).
func TestAnomalyNamesTheLastElement(t *testing.T) {
	arch := Arch{Inputs: 3, Hidden: []int{4}, Outputs: 2, Activation: device.Tanh, Loss: device.SoftmaxCE}
	const rows = 5
	x, y := randomProblem(rand.New(rand.NewPCG(23, 24)), arch, rows)
	for _, c := range []struct {
		op   string
		n    int
		want string
	}{
		{"bias", 1, "layers.0 activation became NaN in the forward pass of update 1"},
		{"bias", 2, "logits became NaN in the forward pass of update 1"},
		{"gemm", 2, "layers.1 input·weight became NaN in the forward pass of update 1"},
		{"loss", 1, "logits gradient became NaN in the loss of update 1"},
		{"gemm", 3, "layers.1.weight gradient became NaN in the backward pass of update 1"},
		{"gemm", 4, "layers.0 activation gradient became NaN in the backward pass of update 1"},
		{"gemm", 5, "layers.0.weight gradient became NaN in the backward pass of update 1"},
	} {
		dev := &poisonDevice{Device: cpu.New(), op: c.op, n: c.n}
		cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: GD, LR: 0.1}, Steps: 1, Reduction: Mean,
			Seed: 2, Restarts: 3, DetectAnomaly: true}
		tr, err := NewTrainer(dev, cfg, x, y, rows)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.Run(nil)
		tr.Close()
		var de *DivergenceError
		if !errors.As(err, &de) || de.Anomaly == nil || de.Anomaly.String() != c.want {
			t.Errorf("NaN after %s %d: %v; want %q", c.op, c.n, err, c.want)
		}
	}
}

// With minibatches, --detect-anomaly scans the whole gathered batch: a NaN
// in the last row of the first batch (found from the run's first epoch
// order), last column, is named as a batch input or target.
func TestAnomalyNamesTheBatch(t *testing.T) {
	arch := Arch{Inputs: 3, Hidden: []int{4}, Outputs: 2, Activation: device.Tanh, Loss: device.MSE}
	const rows, batch, seed = 10, 4, 5
	perm := make([]int32, rows)
	Shuffle(ShuffleRand(seed), perm)
	last := int(perm[batch-1])
	for _, c := range []struct {
		targets bool
		want    string
	}{
		{false, "batch inputs became NaN in the forward pass of update 1"},
		{true, "batch targets became NaN in the forward pass of update 1"},
	} {
		x, y := randomProblem(rand.New(rand.NewPCG(27, 28)), arch, rows)
		if c.targets {
			y[last*arch.Outputs+arch.Outputs-1] = float32(math.NaN())
		} else {
			x[last*arch.Inputs+arch.Inputs-1] = float32(math.NaN())
		}
		cfg := TrainConfig{Arch: arch, Init: InitGlorot, Optim: OptimConfig{Kind: SGD, LR: 0.1}, BatchSize: batch, Steps: 1,
			Reduction: Mean, Seed: seed, DetectAnomaly: true}
		tr, err := NewTrainer(cpu.New(), cfg, x, y, rows)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.Run(nil)
		tr.Close()
		var de *DivergenceError
		if !errors.As(err, &de) || de.Anomaly == nil || de.Anomaly.String() != c.want {
			t.Errorf("NaN in row %d: %v; want %q", last, err, c.want)
		}
	}
}
