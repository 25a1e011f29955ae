package device

import "fmt"

// Activation names an element-wise activation function.
type Activation int

// The activations every backend implements.
const (
	Identity Activation = iota // f(z) = z
	Tanh                       // f(z) = tanh(z)
	ReLU                       // f(z) = max(z, 0)
	Sigmoid                    // f(z) = 1 / (1 + exp(-z))
)

// String returns the activation's flag spelling.
func (a Activation) String() string {
	switch a {
	case Identity:
		return "identity"
	case Tanh:
		return "tanh"
	case ReLU:
		return "relu"
	case Sigmoid:
		return "sigmoid"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// Activations is the activation family: the fused bias-plus-activation of a
// dense layer's forward pass and the activation's backward pass.
type Activations interface {
	// BiasActivation computes out[r,c] = act(z[r,c] + bias[c]) for a
	// rows×cols matrix; out may be z.
	BiasActivation(act Activation, z, bias, out Buffer, rows, cols int)
	// ActivationBackward computes dz[i] = dout[i]·act'(z[i]) for i < n, with
	// the derivative expressed through the activation's output out[i] =
	// act(z[i]): tanh' = 1−out², sigmoid' = out·(1−out), relu' = [out>0],
	// identity' = 1. dz may be dout.
	ActivationBackward(act Activation, out, dout, dz Buffer, n int)
}
