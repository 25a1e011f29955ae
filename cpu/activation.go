package cpu

import (
	"math"

	"github.com/gputrain/gputrain/cpu/internal/vec"
	"github.com/gputrain/gputrain/device"
)

// Activate applies act to one value; it is the scalar reference used by the
// CPU backend.
func Activate(act device.Activation, z float32) float32 {
	switch act {
	case device.Tanh:
		return float32(math.Tanh(float64(z)))
	case device.ReLU:
		if z > 0 {
			return z
		}
		return 0
	case device.Sigmoid:
		return sigmoid(z)
	}
	return z
}

func sigmoid(z float32) float32 {
	if z >= 0 {
		return float32(1 / (1 + math.Exp(-float64(z))))
	}
	e := math.Exp(float64(z))
	return float32(e / (1 + e))
}

// biasAct computes out = act(z + bias) for a rows×cols block.
func biasAct(act device.Activation, out, z, bias []float32, rows, cols int) {
	va := vec.Identity
	switch act {
	case device.Tanh:
		va = vec.TanhAct
	case device.ReLU:
		va = vec.ReLUAct
	case device.Sigmoid:
		va = vec.SigmoidAct
	}
	vec.BiasAct(va, out, z, bias, rows, cols)
}

// actGrad computes dz = dout·act'(out).
func actGrad(act device.Activation, dz, out, dout []float32) {
	switch act {
	case device.Tanh:
		vec.TanhGrad(dz, out, dout)
	case device.Sigmoid:
		vec.SigmoidGrad(dz, out, dout)
	case device.ReLU:
		vec.ReLUGrad(dz, out, dout)
	default:
		copy(dz, dout)
	}
}

// actCost is an activation's cost relative to an add, for ewParallelWork.
func actCost(act device.Activation) int {
	if act == device.Tanh || act == device.Sigmoid {
		return 8
	}
	return 1
}

// BiasActivation computes out[r,c] = act(z[r,c] + bias[c]).
func (d *Device) BiasActivation(act device.Activation, z, bias, out device.Buffer, rows, cols int) {
	n := rows * cols
	j := &d.job
	*j = ewJob{op: opBiasAct, act: act, a: f32(z)[:n], b: f32(bias)[:cols], c: f32(out)[:n], rows: rows, cols: cols}
	j.run(n * actCost(act))
}

// ActivationBackward computes dz = dout·act'(out).
func (d *Device) ActivationBackward(act device.Activation, out, dout, dz device.Buffer, n int) {
	j := &d.job
	*j = ewJob{op: opActGrad, act: act, a: f32(out)[:n], b: f32(dout)[:n], c: f32(dz)[:n], n: n}
	j.run(n)
}

// activateInPlace applies act to x with the vectorised kernels, as
// BiasActivation does.
func activateInPlace(act device.Activation, x []float32) {
	switch act {
	case device.Tanh:
		vec.Tanh(x, x)
	case device.Sigmoid:
		vec.Sigmoid(x, x)
	case device.ReLU:
		vec.ReLU(x, x)
	}
}
