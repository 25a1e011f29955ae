package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

func randomProblem(rng *rand.Rand, arch Arch, rows int) (x []float32, y []float32) {
	x = make([]float32, rows*arch.Inputs)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	switch arch.Loss {
	case device.SoftmaxCE:
		y = make([]float32, rows)
		for i := range y {
			y[i] = float32(rng.IntN(arch.Outputs))
		}
	case device.Logistic:
		y = make([]float32, rows*arch.Outputs)
		for i := range y {
			y[i] = float32(rng.IntN(2))
		}
	default:
		y = make([]float32, rows*arch.Outputs)
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
	}
	return x, y
}

// TestGradientsMatchFiniteDifferences checks the device's backpropagation
// (every activation, every loss, zero to two hidden layers, with and without
// a fixed dropout mask) against central finite differences of the
// independent float64 reference's loss, and the float64 reference's own
// analytic gradient against the same differences.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const rows = 7
	for _, loss := range []device.Loss{device.Logistic, device.SoftmaxCE, device.MSE} {
		for _, act := range []device.Activation{device.Identity, device.Tanh, device.ReLU, device.Sigmoid} {
			for _, hidden := range [][]int{nil, {5}, {6, 4}} {
				for _, dropout := range []float64{0, 0.3} {
					if hidden == nil && dropout > 0 {
						continue
					}
					outputs := 1
					if loss == device.SoftmaxCE {
						outputs = 3
					}
					arch := Arch{Inputs: 3, Hidden: hidden, Outputs: outputs, Activation: act, Loss: loss}
					name := fmt.Sprintf("%v/%v/hidden%v/dropout%v", loss, act, hidden, dropout)
					t.Run(name, func(t *testing.T) {
						checkGradients(t, rng, arch, rows, dropout)
					})
				}
			}
		}
	}
}

// deviceGradients runs one training forward and backward pass of a network
// on the CPU device and returns its gradients and summed loss.
func deviceGradients(t *testing.T, arch Arch, params Params, x, y []float32, rows int, dropout float64, seed uint64) (Params, []float32) {
	t.Helper()
	dev := cpu.New()
	net, err := NewNetwork(dev, arch, params, rows, dropout)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	xb, _ := dev.Alloc(len(x))
	yb, _ := dev.Alloc(len(y))
	lossBuf, _ := dev.Alloc(1)
	dev.Upload(xb, x)
	dev.Upload(yb, y)
	net.Forward(xb, rows, true, seed)
	net.LossGrad(yb, rows, 1, lossBuf, 0)
	net.Backward(xb, rows, true)
	got, err := net.Gradients()
	if err != nil {
		t.Fatal(err)
	}
	loss := make([]float32, 1)
	dev.Download(loss, lossBuf)
	return got, loss
}

func checkGradients(t *testing.T, rng *rand.Rand, arch Arch, rows int, dropout float64) {
	params := InitParams(arch, InitGlorot, rng.Uint64())
	for l := range params.B {
		for j := range params.B[l] {
			params.B[l][j] = float32(0.1 * rng.NormFloat64())
		}
	}
	x, y := randomProblem(rng, arch, rows)
	seed := rng.Uint64()
	got, deviceLoss := deviceGradients(t, arch, params, x, y, rows, dropout, seed)

	ref := newRef64(arch, params)
	ref.dropout, ref.seed = dropout, seed
	x64, y64 := f64(x), f64(y)
	refLoss, gw, gb := ref.lossGrad(x64, y64, rows)
	if math.Abs(float64(deviceLoss[0])-refLoss) > 1e-5*(1+math.Abs(refLoss)) {
		t.Errorf("loss: device %v, float64 reference %v", deviceLoss[0], refLoss)
	}
	const h = 1e-6
	for l := range ref.w {
		for _, pr := range []struct {
			name     string
			p        []float64
			analytic []float64
			device   []float32
		}{{"W", ref.w[l], gw[l], got.W[l]}, {"b", ref.b[l], gb[l], got.B[l]}} {
			for i := range pr.p {
				orig := pr.p[i]
				pr.p[i] = orig + h
				up, _, _ := ref.lossGrad(x64, y64, rows)
				pr.p[i] = orig - h
				down, _, _ := ref.lossGrad(x64, y64, rows)
				pr.p[i] = orig
				fd := (up - down) / (2 * h)
				// The float64 reference's analytic gradient must agree with
				// the differences to ~1e-6; the float32 device to ~1e-4.
				if math.Abs(pr.analytic[i]-fd) > 1e-6*(1+math.Abs(fd)) {
					t.Errorf("layer %d %s[%d]: float64 analytic %v, finite difference %v", l, pr.name, i, pr.analytic[i], fd)
				}
				if math.Abs(float64(pr.device[i])-fd) > 1e-4*(1+math.Abs(fd)) {
					t.Errorf("layer %d %s[%d]: device %v, finite difference %v", l, pr.name, i, pr.device[i], fd)
				}
			}
		}
	}
}
