package device

// OptimArgs are an update kernel's scalar arguments, in the order the
// kernel documents (kernels/optim.cu); the optimizer rule in package nn
// that names the kernel fills them.
type OptimArgs [10]float32

// Optimizers is the optimizer family. Every optimizer's update is one
// kernel of the same shape, named by its rule in package nn, so adding an
// optimizer adds a kernel and its CPU function but no method here.
type Optimizers interface {
	// OptimStep runs the update kernel named kernel (e.g. "adam_step") on
	// the parameters p[0:n], given their gradient g, the rule's state
	// tensors (at most two, each of n elements, updated in place) and the
	// kernel's scalar arguments (up to ten). An unknown kernel is a programming error.
	OptimStep(kernel string, p, g Buffer, state []Buffer, n int, args OptimArgs)
	// AddL1 adds lambda·sign(p[i]) to g[i] for i < n, sign(0) = 0: the
	// gradient of the L1 penalty lambda·Σ|p|.
	AddL1(g, p Buffer, n int, lambda float32)
}
