// Package update holds the CPU backend's parameter-update kernels, one
// per optimizer rule, by the name of its CUDA kernel. Every kernel has the
// same shape: the parameters p, their gradient g, up to two state tensors
// of the same length (nil when the rule keeps fewer) and up to ten
// scalar arguments, whose order each kernel documents (the rule in package
// nn fills them). Adding an optimizer to the CPU backend is adding its
// kernel here. Kernels are single-threaded and allocate nothing; the
// caller splits large inputs over workers.
package update

import (
	"math"

	"github.com/gputrain/gputrain/cpu/internal/vec"
)

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
	// a = Adam's with the decay factor 1 − lr·wd in the weight-decay slot:
	// p ← p·(1 − lr·wd), then Adam's step with d = g (decoupled decay).
	"adamw_step": func(p, g, m, v []float32, a *Args) {
		lr, b1, ob1, b2, ob2, eps, decay, r1, r2 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]
		for i := range p {
			d := g[i]
			m[i] = b1*m[i] + ob1*d
			v[i] = b2*v[i] + ob2*(d*d)
			p[i] = p[i]*decay - lr*(m[i]*r1)/(sqrt32(v[i]*r2)+eps)
		}
	},
	// a = (lr, α, 1−α, ε, weight decay, momentum): d = g + wd·p;
	// s = α·s + (1−α)·d²; b = momentum·b + d/(sqrt(s) + ε); p −= lr·b.
	"rmsprop_step": func(p, g, s, b []float32, a *Args) {
		lr, alpha, oalpha, eps, wd, mom := a[0], a[1], a[2], a[3], a[4], a[5]
		for i := range p {
			d := g[i] + wd*p[i]
			s[i] = alpha*s[i] + oalpha*d*d // PyTorch's addcmul order
			b[i] = mom*b[i] + d/(sqrt32(s[i])+eps)
			p[i] -= lr * b[i]
		}
	},
	// a = (lr, ε, weight decay): d = g + wd·p; s += d²;
	// p −= (lr·d) / (sqrt(s) + ε), PyTorch's addcdiv order.
	"adagrad_step": func(p, g, s, _ []float32, a *Args) {
		lr, eps, wd := a[0], a[1], a[2]
		for i := range p {
			d := g[i] + wd*p[i]
			s[i] += d * d
			p[i] -= lr * d / (sqrt32(s[i]) + eps)
		}
	},
}

// sqrt32 is the correctly rounded float32 square root (CUDA's sqrtf).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
