package nn

import (
	"math"

	"github.com/gputrain/gputrain/device"
)

// inferChunk is the most rows pushed through the network at once when
// computing outputs for a data set.
const inferChunk = 4096

// logitsInto is LogitsTo into a freshly allocated slice.
func (n *Network) logitsInto(scratch device.Buffer, x []float32, rows int) ([]float32, error) {
	out := make([]float32, rows*n.replicas*n.arch.Outputs)
	return out, n.LogitsTo(out, scratch, x, rows)
}

// LogitsTo runs the network in evaluation mode (no dropout) over x (rows
// rows of Inputs features) and writes the rows×Outputs logits into out. It
// uploads x chunk by chunk into scratch, a buffer of at least min(rows,
// maxRows)×Inputs elements, and allocates nothing itself. With several
// replicas the logits are rows × (replicas·Outputs), replica r's in column
// block r (see ReplicaLogits).
func (n *Network) LogitsTo(out []float32, scratch device.Buffer, x []float32, rows int) error {
	d, k := n.arch.Inputs, n.replicas*n.arch.Outputs
	for off := 0; off < rows; off += n.maxRows {
		m := min(n.maxRows, rows-off)
		n.dev.Upload(scratch, x[off*d:(off+m)*d])
		n.Forward(scratch, m, false, 0)
		if err := n.dev.Download(out[off*k:(off+m)*k], n.logitsBuf()); err != nil {
			return err
		}
	}
	return n.dev.Err()
}

// Logits runs the network in evaluation mode over x and returns the logits.
func (n *Network) Logits(x []float32, rows int) ([]float32, error) {
	scratch, err := n.dev.Alloc(min(rows, n.maxRows) * n.arch.Inputs)
	if err != nil {
		return nil, err
	}
	defer n.dev.Free(scratch)
	return n.logitsInto(scratch, x, rows)
}

// ReplicaLogits extracts replica r's rows×k logits from the rows ×
// (replicas·k) logits of a replicated network.
func ReplicaLogits(logits []float32, rows, k, replicas, r int) []float32 {
	if replicas == 1 {
		return logits
	}
	out := make([]float32, 0, rows*k)
	for i := 0; i < rows; i++ {
		row := logits[i*replicas*k:]
		out = append(out, row[r*k:(r+1)*k]...)
	}
	return out
}

// Infer computes the logits of params on x with a freshly allocated network.
func Infer(dev device.Device, arch Arch, params Params, x []float32, rows int) ([]float32, error) {
	net, err := NewNetwork(dev, arch, params, max(1, min(rows, inferChunk)), 0)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	return net.Logits(x, rows)
}

// Probabilities turns logits into what the loss models, in float64: for
// the logistic loss the probability of class 1 (one per row), for softmax
// the class probabilities (rows × K), for MSE the predictions themselves.
func Probabilities(loss device.Loss, logits []float32, k int) []float64 {
	p := make([]float64, len(logits))
	ProbabilitiesTo(p, loss, logits, k)
	return p
}

// ProbabilitiesTo is Probabilities into p (len(logits) elements), without
// allocating.
func ProbabilitiesTo(p []float64, loss device.Loss, logits []float32, k int) {
	switch loss {
	case device.Logistic:
		for i, z := range logits {
			p[i] = 1 / (1 + math.Exp(-float64(z)))
		}
	case device.SoftmaxCE:
		for r := 0; r < len(logits)/k; r++ {
			row := logits[r*k : (r+1)*k]
			mx := math.Inf(-1)
			for _, z := range row {
				mx = math.Max(mx, float64(z))
			}
			var s float64
			for c, z := range row {
				p[r*k+c] = math.Exp(float64(z) - mx)
				s += p[r*k+c]
			}
			for c := range row {
				p[r*k+c] /= s
			}
		}
	default:
		for i, z := range logits {
			p[i] = float64(z)
		}
	}
}
