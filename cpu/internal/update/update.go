// Package update holds the CPU backend's parameter-update kernels, one
// per optimizer rule, by the name of its CUDA kernel. Every kernel has the
// same shape: the parameters p, their gradient g, up to two state tensors
// of the same length (nil when the rule keeps fewer) and up to ten
// scalar arguments, whose order each kernel documents (the rule in package
// nn fills them). Adding an optimizer to the CPU backend is adding its
// kernel here. Kernels are single-threaded and allocate nothing; the
// caller splits large inputs over workers.
package update

import "github.com/gputrain/gputrain/cpu/internal/vec"

// Args are a kernel's scalar arguments.
type Args [10]float32

// Kernel updates p in place from g, with the rule's state s0 and s1.
type Kernel func(p, g, s0, s1 []float32, a *Args)

// Kernels are the update kernels by name.
var Kernels = map[string]Kernel{
	// a = (lr, weight decay): p −= lr·(g + wd·p).
	"sgd_step": func(p, g, _, _ []float32, a *Args) { vec.SGD(p, g, a[0], a[1]) },
	// a = (lr, momentum, weight decay): v = momentum·v + g + wd·p; p −= lr·v.
	"momentum_step": func(p, g, v, _ []float32, a *Args) { vec.Momentum(p, g, v, a[0], a[1], a[2]) },
	// a = (lr, β1, 1−β1, β2, 1−β2, ε, weight decay, 1/(1−β1^t),
	// 1/(1−β2^t)): d = g + wd·p; m = β1·m + (1−β1)·d;
	// v = β2·v + (1−β2)·d²; p −= lr·(m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + ε).
	"adam_step": func(p, g, m, v []float32, a *Args) { vec.Adam(p, g, m, v, (*vec.AdamConsts)(a[:9])) },
}
