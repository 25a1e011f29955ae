// Package device defines the small interface through which the device-agnostic
// trainer in package nn drives a compute backend (the pure-Go CPU backend in
// package cpu, the CUDA backend in package cuda).
//
// Conventions shared by every backend:
//   - All numeric buffers hold float32 elements; matrices are row-major.
//   - Operations do not return errors one by one. A backend records the first
//     failure (a failed launch, an out-of-memory) and reports it from Err and
//     Synchronize; after a failure the remaining operations are no-ops.
//   - Shapes passed to operations must fit the buffers; a mismatch is a
//     programming error of the caller and may panic.
//   - Operations may run asynchronously; Download and Synchronize wait for
//     everything queued before them.
package device

import "fmt"

// Buffer is a device-resident array of float32 values owned by one Device.
type Buffer interface {
	// Len is the number of float32 elements the buffer holds.
	Len() int
}

// IndexBuffer is a device-resident array of int32 row indices owned by one Device.
type IndexBuffer interface {
	// Len is the number of int32 elements the buffer holds.
	Len() int
}

// Loss names a loss function computed from the network's raw outputs (logits).
type Loss int

// The losses every backend implements. Per element (Logistic, MSE) or per row
// (SoftmaxCE), with z the logit(s) and y the target:
//
//	Logistic:  loss = softplus(z) − y·z            grad = sigmoid(z) − y
//	SoftmaxCE: loss = logsumexp(z) − z[y]          grad = softmax(z) − onehot(y)
//	MSE:       loss = (z − y)²                     grad = 2·(z − y)
//
// Logistic targets are 0/1 with the same shape as the logits; SoftmaxCE
// targets are one class index per row (stored as float32); MSE targets have
// the logits' shape.
const (
	Logistic Loss = iota
	SoftmaxCE
	MSE
)

// String returns the loss's name.
func (l Loss) String() string {
	switch l {
	case Logistic:
		return "logistic"
	case SoftmaxCE:
		return "softmax-ce"
	case MSE:
		return "mse"
	}
	return fmt.Sprintf("Loss(%d)", int(l))
}

// Device is a compute backend. A Device is used from one goroutine at a time.
type Device interface {
	// Name is the device's spelling in --device, e.g. "cpu" or "cuda:0".
	Name() string
	// Describe is a one-line human description (model, memory, driver).
	Describe() string

	// Alloc returns a buffer of n float32 elements with unspecified contents.
	Alloc(n int) (Buffer, error)
	// AllocIndex returns a buffer of n int32 elements with unspecified contents.
	AllocIndex(n int) (IndexBuffer, error)
	// Free releases a buffer; using it afterwards is an error.
	Free(b Buffer)
	// FreeIndex releases an index buffer.
	FreeIndex(b IndexBuffer)

	// Upload copies len(src) values from the host into dst[0:len(src)].
	Upload(dst Buffer, src []float32)
	// UploadIndex copies len(src) indices from the host into dst[0:len(src)].
	UploadIndex(dst IndexBuffer, src []int32)
	// Download waits for queued work and copies src[0:len(dst)] to the host.
	Download(dst []float32, src Buffer) error
	// Fill sets dst[0:n] to v.
	Fill(dst Buffer, n int, v float32)
	// Copy copies src[0:n] to dst[0:n] on the device.
	Copy(dst, src Buffer, n int)

	// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices
	// where op(A) is m×k, op(B) is k×n and C is m×n. op(X) is Xᵀ when the
	// matching trans flag is set (A is then stored k×m, B n×k). When beta is
	// 0, C's previous contents are ignored (NaN in C does not propagate).
	Gemm(transA, transB bool, m, n, k int, alpha float32, a, b Buffer, beta float32, c Buffer)
	// BiasActivation computes out[r,c] = act(z[r,c] + bias[c]) for a
	// rows×cols matrix; out may be z.
	BiasActivation(act Activation, z, bias, out Buffer, rows, cols int)
	// ActivationBackward computes dz[i] = dout[i]·act'(z[i]) for i < n, with
	// the derivative expressed through the activation's output out[i] =
	// act(z[i]): tanh' = 1−out², sigmoid' = out·(1−out), relu' = [out>0],
	// identity' = 1. dz may be dout.
	ActivationBackward(act Activation, out, dout, dz Buffer, n int)
	// ColumnSums computes out[c] = Σ_r x[r,c] for a rows×cols matrix.
	ColumnSums(x Buffer, rows, cols int, out Buffer)
	// GemmStrided computes, for g < count, C_g = alpha·op(A_g)·op(B_g) +
	// beta·C_g, where matrix X_g starts at element g·strideX of buffer X and
	// consecutive rows of A, B and C are lda, ldb and ldc elements apart
	// (row-major with leading dimensions; when transA, A_g is stored k×m,
	// likewise B). A stride of 0 shares one matrix across the batch. With
	// count 1 and natural leading dimensions it equals Gemm bit for bit.
	// This is how nn runs many independently initialised copies of a
	// network (restarts) side by side in one set of launches.
	GemmStrided(transA, transB bool, m, n, k int, alpha float32, a Buffer, lda, strideA int, b Buffer, ldb, strideB int, beta float32, c Buffer, ldc, strideC int, count int)
	// LossGradGroups is LossGrad for groups independent models side by
	// side: logits and grad are rows × (groups·cols), group g's logits in
	// columns g·cols … g·cols+cols−1; targets are shared by every group;
	// lossOut[lossAt+g] receives group g's unscaled loss sum. With groups 1
	// it equals LossGrad bit for bit.
	LossGradGroups(loss Loss, logits, targets, grad Buffer, rows, cols, groups int, gradScale float32, lossOut Buffer, lossAt int)
	// BatchNormTrain normalises each column c of the rows×cols matrix z with
	// its batch mean and biased variance and applies scale, shift and the
	// activation: out = act(gamma[c]·(z−mean[c])·invStd[c] + beta[c]), with
	// invStd = 1/sqrt(var+eps). It saves mean and invStd for the backward
	// pass and updates the running statistics as PyTorch does: runMean =
	// (1−momentum)·runMean + momentum·mean; runVar = (1−momentum)·runVar +
	// momentum·var·rows/(rows−1). out must not alias z.
	BatchNormTrain(act Activation, z, gamma, beta, out, saveMean, saveInvStd, runMean, runVar Buffer, rows, cols int, eps, momentum float32)
	// BatchNormEval applies the running statistics: out =
	// act(gamma·(z−runMean)/sqrt(runVar+eps) + beta).
	BatchNormEval(act Activation, z, gamma, beta, runMean, runVar, out Buffer, rows, cols int, eps float32)
	// BatchNormBackward takes dy = ∂loss/∂(gamma·x̂+beta) and z with the
	// saved statistics and computes x̂ = (z−mean)·invStd, dgamma[c] =
	// Σ_r dy·x̂, dbeta[c] = Σ_r dy and dz = gamma·invStd/rows·(rows·dy −
	// dbeta − x̂·dgamma). dz may alias dy.
	BatchNormBackward(z, dy, gamma, saveMean, saveInvStd, dz, dgamma, dbeta Buffer, rows, cols int)
	// LossGrad computes the loss of logits (rows×cols) against targets (see
	// Loss), writes grad = gradScale·∂loss/∂logits (rows×cols), and stores
	// the unscaled sum of the loss over all rows in lossOut[lossAt].
	LossGrad(loss Loss, logits, targets, grad Buffer, rows, cols int, gradScale float32, lossOut Buffer, lossAt int)
	// GatherRows copies dst[i,:] = src[idx[idxOffset+i],:] for i < rows,
	// with cols columns per row. (The offset lets a whole epoch's shuffled
	// order be uploaded once and consumed one minibatch at a time.)
	GatherRows(src Buffer, idx IndexBuffer, idxOffset int, dst Buffer, rows, cols int)
	// Dropout sets mask[i] = 1/(1−p) when DropoutKeep(seed, i, p) and 0
	// otherwise, and multiplies x[i] by mask[i], for i < n.
	Dropout(x, mask Buffer, n int, p float32, seed uint64)
	// Mul computes out[i] = a[i]·b[i] for i < n; out may be a or b.
	Mul(a, b, out Buffer, n int)

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

	// Err reports the first error recorded by an operation, if any.
	Err() error
	// Synchronize waits for all queued work and reports Err.
	Synchronize() error
	// Close releases the device and every buffer allocated from it.
	Close() error
}

// DropoutKeep reports whether element i survives dropout with probability p
// of being dropped, for the given seed. Every backend uses this exact
// counter-based hash (SplitMix64 finaliser over seed and index), so masks are
// identical across devices. The top 24 bits of the hash give a uniform value
// u in [0,1); the element is kept when u >= p.
func DropoutKeep(seed uint64, i int, p float32) bool {
	return DropoutUniform(seed, i) >= p
}

// DropoutUniform is the uniform value in [0,1) that DropoutKeep compares
// against p: hash(seed, i) >> 40, scaled by 2⁻²⁴.
func DropoutUniform(seed uint64, i int) float32 {
	x := seed + uint64(i)*0x9E3779B97F4A7C15
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return float32(x>>40) * (1.0 / (1 << 24))
}

// Counts is a device's running tally of the work that costs it time
// besides arithmetic: kernel launches, host↔device copies, and waits for
// the device (synchronisations).
type Counts struct {
	Launches, Copies, Syncs int64
}

// Counter is implemented by devices that keep Counts (the CUDA backend);
// benchmarks report them per training step.
type Counter interface {
	Counts() Counts
}

// MemoryReporter is implemented by a Device that can tell how much memory
// new buffers may still take. The trainer compares a run's estimated needs
// with it before allocating anything, so that a run that cannot fit is
// refused up front instead of failing (or being killed) part way.
type MemoryReporter interface {
	// FreeMemory returns the bytes still available for buffers and where
	// the figure comes from (e.g. "cgroup limit"); ok is false when the
	// device cannot tell.
	FreeMemory() (bytes uint64, source string, ok bool)
}
