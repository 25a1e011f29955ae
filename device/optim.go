package device

// Optimizers is the optimizer family: one in-place parameter update per
// optimizer, over n parameters with their gradient and state.
type Optimizers interface {
	// SGDStep updates p[i] -= lr·(g[i] + weightDecay·p[i]) for i < n.
	SGDStep(p, g Buffer, n int, lr, weightDecay float32)
	// MomentumStep does PyTorch's SGD with momentum for i < n:
	// d = g + weightDecay·p; v = momentum·v + d; p -= lr·v.
	MomentumStep(p, g, v Buffer, n int, lr, momentum, weightDecay float32)
	// AdamStep does Adam (PyTorch's torch.optim.Adam, L2 weight decay added
	// to the gradient) for i < n, where step is the 1-based update count:
	// d = g + weightDecay·p; m = β1·m + (1−β1)·d; v = β2·v + (1−β2)·d²;
	// p -= lr · (m/(1−β1^step)) / (sqrt(v/(1−β2^step)) + eps).
	AdamStep(p, g, m, v Buffer, n int, lr, beta1, beta2, eps, weightDecay float32, step int)
}
