package device

// OptimArgs are an update kernel's scalar arguments, in the order the
// kernel documents (kernels/optim.cu); the optimizer rule in package nn
// that names the kernel fills them.
type OptimArgs [10]float32

// ReplicaArgs is the number of floats per replica in OptimStepReplicas'
// args: one OptimArgs.
const ReplicaArgs = len(OptimArgs{})

// Optimizers is the optimizer family. Every optimizer's update is one
// kernel of the same shape, named by its rule in package nn, so adding an
// optimizer adds a kernel and its CPU function but no method here.
type Optimizers interface {
	// OptimStep runs the update kernel named kernel (e.g. "adam_step") on
	// the parameters p[0:n], given their gradient g, the rule's state
	// tensors (at most two, each of n elements, updated in place) and the
	// kernel's scalar arguments (up to ten). An unknown kernel is a programming error.
	OptimStep(kernel string, p, g Buffer, state []Buffer, n int, args OptimArgs)
	// OptimStepReplicas is OptimStep for parameters of several replicas
	// trained side by side, each with its own scalars: p[0:n] (and g and
	// the state tensors alike) is a sequence of runs of run elements, run k
	// belonging to replica k mod replicas, and args holds replicas ×
	// ReplicaArgs floats, replica r's kernel scalars at
	// args[r·ReplicaArgs:]. Each element is updated exactly as OptimStep
	// updates it with its replica's scalars. Stacked tensors (replica r's
	// block r) have run = n/replicas; a wide matrix of rows × replicas·out
	// has run = out. n must be a multiple of run.
	OptimStepReplicas(kernel string, p, g Buffer, state []Buffer, n, run, replicas int, args Buffer)
	// AddL1 adds lambda·sign(p[i]) to g[i] for i < n, sign(0) = 0: the
	// gradient of the L1 penalty lambda·Σ|p|.
	AddL1(g, p Buffer, n int, lambda float32)
}
