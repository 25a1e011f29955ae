package device

import (
	"fmt"
	"math"
)

// Activation names an element-wise activation function. Its value is the
// index of its entry in the activation table and the code the backends'
// kernels switch on.
type Activation int

// The activations every backend implements. Adding one is a constant here,
// its entry in activations (name, PyTorch module, float64 reference), and
// the function of each backend.
const (
	Identity  Activation = iota // f(z) = z
	Tanh                        // f(z) = tanh(z)
	ReLU                        // f(z) = max(z, 0)
	Sigmoid                     // f(z) = 1 / (1 + exp(-z))
	GELU                        // f(z) = z·Φ(z), in PyTorch's tanh approximation
	SiLU                        // f(z) = z·sigmoid(z)
	LeakyReLU                   // f(z) = z for z > 0, alpha·z otherwise
	ELU                         // f(z) = z for z > 0, e^z − 1 otherwise
)

// ActivationSpec is an activation's table entry. Forward and Derivative
// are the float64 reference every backend is checked against, written
// from PyTorch's formulas; alpha is the activation's parameter (see Param),
// ignored by the activations without one.
type ActivationSpec struct {
	// Name is the activation's flag and model-file spelling.
	Name string
	// Torch is the PyTorch module computing it, a format taking alpha
	// when Param is set.
	Torch string
	// Param names the activation's parameter, "" when it has none.
	Param string
	// Forward is f(z) and Derivative f′(z), in float64.
	Forward, Derivative func(z, alpha float64) float64
}

func sigmoid64(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

var activations = [...]ActivationSpec{
	Identity: {
		Name: "identity", Torch: "Identity()",
		Forward:    func(z, _ float64) float64 { return z },
		Derivative: func(float64, float64) float64 { return 1 },
	},
	Tanh: {
		Name: "tanh", Torch: "Tanh()",
		Forward:    func(z, _ float64) float64 { return math.Tanh(z) },
		Derivative: func(z, _ float64) float64 { t := math.Tanh(z); return 1 - t*t },
	},
	ReLU: {
		// PyTorch's relu′(0) is 0.
		Name: "relu", Torch: "ReLU()",
		Forward:    func(z, _ float64) float64 { return math.Max(z, 0) },
		Derivative: func(z, _ float64) float64 { return step(z > 0) },
	},
	Sigmoid: {
		Name: "sigmoid", Torch: "Sigmoid()",
		Forward:    func(z, _ float64) float64 { return sigmoid64(z) },
		Derivative: func(z, _ float64) float64 { s := sigmoid64(z); return s * (1 - s) },
	},
	GELU: {
		// 0.5·z·(1 + tanh(u)), u = √(2/π)·(z + 0.044715·z³), as
		// torch.nn.functional.gelu(approximate="tanh").
		Name: "gelu", Torch: "GELU(approximate='tanh')",
		Forward: func(z, _ float64) float64 {
			return 0.5 * z * (1 + math.Tanh(math.Sqrt2/math.SqrtPi*(z+0.044715*z*z*z)))
		},
		Derivative: func(z, _ float64) float64 {
			t := math.Tanh(math.Sqrt2 / math.SqrtPi * (z + 0.044715*z*z*z))
			return 0.5*(1+t) + 0.5*z*(1-t*t)*math.Sqrt2/math.SqrtPi*(1+3*0.044715*z*z)
		},
	},
	SiLU: {
		// z·σ(z); f′ = σ(z)·(1 + z·(1 − σ(z))).
		Name: "silu", Torch: "SiLU()",
		Forward:    func(z, _ float64) float64 { return z * sigmoid64(z) },
		Derivative: func(z, _ float64) float64 { s := sigmoid64(z); return s * (1 + z*(1-s)) },
	},
	LeakyReLU: {
		// PyTorch's leaky_relu′(0) is the slope.
		Name: "leaky-relu", Torch: "LeakyReLU(negative_slope=%g)", Param: "negative slope",
		Forward: func(z, alpha float64) float64 {
			if z > 0 {
				return z
			}
			return alpha * z
		},
		Derivative: func(z, alpha float64) float64 {
			if z > 0 {
				return 1
			}
			return alpha
		},
	},
	ELU: {
		// α = 1, PyTorch's default (nn.ELU(), Keras' 'elu'): the model
		// files and flags carry one activation parameter, LeakyReLU's
		// slope. f′ = e^z for z ≤ 0, from z as PyTorch's elu_backward;
		// elu′(0) = α·e^0 = 1 on both sides.
		Name: "elu", Torch: "ELU()",
		Forward: func(z, _ float64) float64 {
			if z > 0 {
				return z
			}
			return math.Expm1(z)
		},
		Derivative: func(z, _ float64) float64 { return math.Exp(min(z, 0)) },
	},
}

// step is 1 when b holds, else 0.
func step(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// AllActivations lists every activation, in code order.
func AllActivations() []Activation {
	out := make([]Activation, len(activations))
	for i := range out {
		out[i] = Activation(i)
	}
	return out
}

// Spec returns the activation's table entry; it panics for a value
// outside the table.
func (a Activation) Spec() ActivationSpec { return activations[a] }

// String returns the activation's flag spelling.
func (a Activation) String() string {
	if a < 0 || int(a) >= len(activations) {
		return fmt.Sprintf("Activation(%d)", int(a))
	}
	return activations[a].Name
}

// Activations is the activation family: the bias-plus-activation of a
// dense layer's forward pass and the activation's backward pass. alpha is
// the activation's parameter (ActivationSpec.Param), ignored by those
// without one.
//
// The backward pass takes the pre-activation z, not only the output: the
// derivatives of GELU and SiLU cannot be written through their output. So
// the forward pass leaves z in place for it, and a network keeps one more
// rows×width buffer per hidden layer (its activations' memory grows by
// half: z besides the output and its gradient).
type Activations interface {
	// BiasActivation adds bias[c] to z[r,c] in place, so that z holds the
	// pre-activation, and writes out[r,c] = act(z[r,c]), for a rows×cols
	// matrix. A nil bias adds nothing. out may be z (the pre-activation is
	// then not kept).
	BiasActivation(act Activation, alpha float32, z, bias, out Buffer, rows, cols int)
	// ActivationBackward computes dz[i] = dout[i]·act′(z[i]) for i < n,
	// given the pre-activation z and the output out = act(z): each
	// activation reads whichever gives its derivative more cheaply
	// (tanh′ = 1 − out², without a second tanh; gelu′ from z). dz may be
	// dout.
	ActivationBackward(act Activation, alpha float32, z, out, dout, dz Buffer, n int)
}
