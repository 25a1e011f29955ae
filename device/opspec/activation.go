package opspec

import (
	"math/rand/v2"

	"github.com/gputrain/gputrain/device"
)

// Alpha is the parameter the activation entries give every activation
// (LeakyReLU's slope; the others ignore it).
const Alpha = 0.1

// Activate64 is the float64 reference of an activation (the device table's
// Forward) at parameter Alpha.
func Activate64(act device.Activation, z float64) float64 { return act.Spec().Forward(z, Alpha) }

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
	for _, act := range device.AllActivations() {
		ops = append(ops, Op{
			Name: "bias_act_" + act.String(), Family: "activation", Dims: 2,
			Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
				return [][]float32{random(rng, s.M*s.N), random(rng, s.N)}
			},
			Outputs: func(s Shape) []int { return []int{s.M * s.N} },
			Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
				d.BiasActivation(act, Alpha, b[0], b[1], b[2], s.M, s.N)
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
			// z, out = act(z) rounded to float32 (the forward's output, which
			// tanh′ and sigmoid′ read) and dout.
			Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
				z := random(rng, s.M)
				out := make([]float32, s.M)
				for i := range z {
					z[i] *= 4 // the saturated parts of tanh and sigmoid
					out[i] = float32(Activate64(act, float64(z[i])))
				}
				return [][]float32{z, out, random(rng, s.M)}
			},
			Outputs: func(s Shape) []int { return []int{s.M} },
			Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
				d.ActivationBackward(act, Alpha, b[0], b[1], b[2], b[3], s.M)
			},
			Check: []int{3},
			Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
				dz := make([]float64, s.M)
				for i := range dz {
					dz[i] = float64(in[2][i]) * act.Spec().Derivative(float64(in[0][i]), Alpha)
				}
				return [][]float64{dz}
			},
			// The derivatives that read out see it rounded once: 1e-5 relative.
			Tol: fixedTol(1e-5, 1e-6), Flops: perElement(2 + activationCost(act)), Bytes: perElement(16),
		})
	}
	return ops
}
