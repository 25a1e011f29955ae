package nn

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/advice"
)

// MemoryEstimate is the memory a training run needs, in bytes, by part.
// Figures that overflow saturate at math.MaxUint64.
type MemoryEstimate struct {
	Params      uint64 // parameters and their gradients (with batch norm, its statistics)
	Optimizer   uint64 // the optimizer's state (momentum: one copy of the parameters, Adam: two)
	Activations uint64 // per-batch activations and their gradients, dropout masks
	Data        uint64 // the training rows (and the current minibatch) on the device
	Host        uint64 // host copies of the parameters made while setting up
}

// Total is the sum of the parts.
func (m MemoryEstimate) Total() uint64 {
	return sum(m.Params, m.Optimizer, m.Activations, m.Data, m.Host)
}

// String renders the estimate on one line.
func (m MemoryEstimate) String() string {
	return fmt.Sprintf("%s (parameters and gradients %s, optimizer state %s, activations %s, data %s, host copies %s)",
		FormatBytes(m.Total()), FormatBytes(m.Params), FormatBytes(m.Optimizer), FormatBytes(m.Activations), FormatBytes(m.Data), FormatBytes(m.Host))
}

// FormatBytes renders a byte count with a binary unit.
func FormatBytes(b uint64) string {
	if b == math.MaxUint64 {
		return "more than 16 EiB"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, u := float64(b), 0
	for v >= 1024 && u+1 < len(units) {
		v, u = v/1024, u+1
	}
	if u == 0 {
		return fmt.Sprintf("%d B", b)
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

// mul multiplies, saturating at math.MaxUint64 (negative factors count as 0).
func mul(xs ...int) uint64 {
	p := uint64(1)
	for _, x := range xs {
		if x <= 0 {
			return 0
		}
		hi, lo := bits.Mul64(p, uint64(x))
		if hi != 0 {
			return math.MaxUint64
		}
		p = lo
	}
	return p
}

// scale multiplies x by n ≥ 0, saturating at math.MaxUint64.
func scale(x uint64, n int) uint64 {
	hi, lo := bits.Mul64(x, mul(n))
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// sum adds, saturating at math.MaxUint64.
func sum(xs ...uint64) uint64 {
	s := uint64(0)
	for _, x := range xs {
		var carry uint64
		if s, carry = bits.Add64(s, x, 0); carry != 0 {
			return math.MaxUint64
		}
	}
	return s
}

// bytes32 is the size of n float32 values.
func bytes32(n uint64) uint64 { return scale(n, 4) }

// estimateMemory estimates what NewTrainer will allocate for cfg on rows
// training rows with k target columns (see newReplicas, newUpdater and
// NewTrainer's buffers), before anything is.
func estimateMemory(cfg TrainConfig, rows, k int) MemoryEstimate {
	arch := cfg.Arch
	R := cfg.replicaCount()
	batch := cfg.BatchSize
	if batch <= 0 || batch > rows {
		batch = rows
	}
	sizes := arch.Sizes()
	var params, stats, acts uint64
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l], sizes[l+1]
		hidden := l+2 < len(sizes)
		params = sum(params, mul(R, in, out), mul(R, out))
		perAct := 2 // outputs and their gradients
		if hidden && arch.Activation != device.Identity {
			perAct++ // the activation's input, for the backward pass
		}
		if hidden && cfg.maxDropout() > 0 {
			perAct += 2 // the dropped outputs and the mask
		}
		if hidden && arch.BatchNorm {
			params = sum(params, mul(2, R, out)) // scale and shift
			stats = sum(stats, mul(4, R, out))   // running and batch statistics
			perAct++                             // the inputs of batch normalisation
		}
		acts = sum(acts, mul(perAct, batch, R, out))
	}
	d := arch.Inputs
	data := sum(mul(rows, d), mul(rows, k), mul(cfg.CheckEvery, R+len(cfg.ClassWeights)))
	if batch < rows {
		data = sum(data, mul(batch, d), mul(batch, k), mul(rows)) // the minibatch and the row order
	}
	if cfg.ClassWeights != nil {
		// newClassWeighting's buffers: every row's weights and the class
		// order index, the batch's logits, targets and gradient in class
		// order, and for minibatches the batch's weights.
		K := arch.Outputs
		data = sum(data, mul(rows, K), mul(rows), mul(2, batch, K), mul(batch, k))
		if batch < rows {
			data = sum(data, mul(batch, K))
		}
	}
	if v := cfg.Val; v != nil && v.Rows > 0 {
		data = sum(data, mul(min(v.Rows, batch), d))
	}
	if len(cfg.Variants) > 0 {
		data = sum(data, mul(R, device.ReplicaArgs)) // the update kernels' scalars per replica
		if cfg.maxDropout() > 0 {
			acts = sum(acts, mul(R)) // the dropout rates per replica
		}
	}
	return MemoryEstimate{
		Params:      bytes32(sum(params, params, stats)),
		Optimizer:   bytes32(scale(params, cfg.Optim.stateCount())),
		Activations: bytes32(acts),
		Data:        bytes32(data),
		Host:        bytes32(sum(params, params)),
	}
}

// MemoryError is a run refused before it allocates anything because its
// estimated needs exceed what the device has free.
type MemoryError struct {
	Need   MemoryEstimate
	Free   uint64
	Device string
	Source string // where the free figure comes from
}

// Error returns the one-line message.
func (e *MemoryError) Error() string { return e.Message(advice.Words) }

// Message is Error with the settings it advises on named by name.
func (e *MemoryError) Message(name advice.Namer) string {
	fix := fmt.Sprintf("use fewer %s, narrower %s layers or a smaller %s", name(advice.Restarts), name(advice.Hidden), name(advice.BatchSize))
	if e.Need.Total() == math.MaxUint64 {
		return fmt.Sprintf("the run needs %s of memory, more than any machine has: %s", e.Need, fix)
	}
	return fmt.Sprintf("the run needs about %s, more than the %s available on %s (%s): %s",
		e.Need, FormatBytes(e.Free), e.Device, e.Source, fix)
}

// checkMemory refuses an estimate beyond what dev reports free (or beyond
// counting).
func checkMemory(dev device.Device, need MemoryEstimate) error {
	total := need.Total()
	if total == math.MaxUint64 {
		return &MemoryError{Need: need, Free: 0, Device: dev.Name(), Source: "the estimate overflows"}
	}
	mr, ok := dev.(device.MemoryReporter)
	if !ok {
		return nil
	}
	free, source, ok := mr.FreeMemory()
	if ok && total > free {
		return &MemoryError{Need: need, Free: free, Device: dev.Name(), Source: source}
	}
	return nil
}
