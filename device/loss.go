package device

import "fmt"

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

// Losses is the loss family: loss and gradient of the network's outputs in
// one pass.
type Losses interface {
	// LossGradGroups computes the loss of logits against targets (see Loss)
	// for groups independent models side by side: logits and grad are rows
	// × (groups·cols), group g's logits in columns g·cols … g·cols+cols−1;
	// targets (rows×cols, or rows class indices for SoftmaxCE) are shared
	// by every group. It writes grad = gradScale·∂loss/∂logits and stores
	// group g's unscaled loss sum over all rows in lossOut[lossAt+g].
	LossGradGroups(loss Loss, logits, targets, grad Buffer, rows, cols, groups int, gradScale float32, lossOut Buffer, lossAt int)
}

// LossGrad computes the loss of one model's logits (rows×cols) against
// targets, writes grad = gradScale·∂loss/∂logits and stores the unscaled
// loss sum in lossOut[lossAt]: LossGradGroups with one group.
func LossGrad(d Losses, loss Loss, logits, targets, grad Buffer, rows, cols int, gradScale float32, lossOut Buffer, lossAt int) {
	d.LossGradGroups(loss, logits, targets, grad, rows, cols, 1, gradScale, lossOut, lossAt)
}
