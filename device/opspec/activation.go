package opspec

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gputrain/gputrain/device"
)

// Activations lists every device.Activation, in value order.
func Activations() []device.Activation {
	var acts []device.Activation
	for a := device.Activation(0); !strings.HasPrefix(a.String(), "Activation("); a++ {
		acts = append(acts, a)
	}
	return acts
}

// Activate64 is the float64 reference of an activation.
func Activate64(act device.Activation, z float64) float64 {
	switch act {
	case device.Tanh:
		return math.Tanh(z)
	case device.ReLU:
		return math.Max(z, 0)
	case device.Sigmoid:
		return 1 / (1 + math.Exp(-z))
	}
	return z
}

// ActivationGrad64 is the float64 reference of the activation's derivative
// written through its output out = act(z), as ActivationBackward takes it.
func ActivationGrad64(act device.Activation, out float64) float64 {
	switch act {
	case device.Tanh:
		return 1 - out*out
	case device.ReLU:
		if out > 0 {
			return 1
		}
		return 0
	case device.Sigmoid:
		return out * (1 - out)
	}
	return 1
}

// activationCost is an activation's arithmetic per element, counting a
// transcendental function as one operation.
func activationCost(act device.Activation) float64 {
	if act == device.Identity {
		return 0
	}
	return 1
}

func activationOps() []Op {
	var ops []Op
	for _, act := range Activations() {
		ops = append(ops, Op{
			Name: "bias_act_" + act.String(), Family: "activation", Dims: 2,
			Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
				return [][]float32{random(rng, s.M*s.N), random(rng, s.N)}
			},
			Outputs: func(s Shape) []int { return []int{s.M * s.N} },
			Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
				d.BiasActivation(act, b[0], b[1], b[2], s.M, s.N)
			},
			Check: []int{2},
			Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
				out := make([]float64, s.M*s.N)
				for i := range out {
					out[i] = Activate64(act, float64(in[0][i])+float64(in[1][i%s.N]))
				}
				return [][]float64{out}
			},
			// tanhf/expf are within 2 ulp; the sum z+bias rounds once.
			Tol:   fixedTol(1e-5, 1e-6),
			Flops: perElement(1 + activationCost(act)),
			Bytes: func(s Shape) float64 { return 8*float64(s.M)*float64(s.N) + 4*float64(s.N) },
		}, Op{
			Name: "act_backward_" + act.String(), Family: "activation", Dims: 1,
			Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
				out := random(rng, s.M)
				for i, z := range out {
					out[i] = float32(Activate64(act, float64(z)))
				}
				return [][]float32{out, random(rng, s.M)}
			},
			Outputs: func(s Shape) []int { return []int{s.M} },
			Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
				d.ActivationBackward(act, b[0], b[1], b[2], s.M)
			},
			Check: []int{2},
			Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
				dz := make([]float64, s.M)
				for i := range dz {
					dz[i] = float64(in[1][i]) * ActivationGrad64(act, float64(in[0][i]))
				}
				return [][]float64{dz}
			},
			Tol: fixedTol(1e-6, 1e-7), Flops: perElement(2), Bytes: perElement(12),
		})
	}
	return ops
}
