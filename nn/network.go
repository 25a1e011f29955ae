package nn

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
)

// layer is one fully connected layer resident on a device, for every
// replica of the network, with its activations and gradients sized for up
// to maxRows rows.
//
// Replicas sit side by side: parameters are stacked (replica r's weight
// matrix is the r-th in×out block of w), activations are "wide" matrices of
// rows × (replicas·out) whose column block r belongs to replica r. So one
// strided gemm, one bias-activation, one loss and one optimizer launch per
// tensor run every replica at once, and one replica is exactly the plain
// network. The first layer's weights, whose input x every replica shares,
// are kept wide on the device (in × replicas·out, replica r's columns in
// block r), so its products are single plain gemms over all replicas.
type layer struct {
	in, out int
	act     device.Activation // Identity for the output layer
	alpha   float32           // the activation's parameter
	w, b    device.Buffer     // parameters: replicas × in×out and replicas × out
	dw, db  device.Buffer     // their gradients
	z       device.Buffer     // x·W + b before batch normalisation (nil without)
	// pre is the activation's input (x·W + b, or the batch normalisation's
	// output), kept for the backward pass, which takes it (see
	// device.Activations); nil when the activation is the identity.
	pre     device.Buffer
	a       device.Buffer // the layer's output, maxRows × replicas·out
	dropped device.Buffer // a·mask when dropout is on (the next layer's input)
	mask    device.Buffer // dropout mask
	da      device.Buffer // ∂loss/∂(this layer's output)
	bn      *batchNorm    // nil without batch normalisation
}

// batchNorm is one hidden layer's batch normalisation on the device.
type batchNorm struct {
	gamma, beta, dgamma, dbeta device.Buffer // replicas × out
	runMean, runVar            device.Buffer // running statistics
	mean, invStd               device.Buffer // the batch's, saved for backward
}

// Network is an MLP — or several replicas of one, trained side by side —
// whose parameters and per-step buffers live on a device. All buffers are
// allocated once, by NewNetwork.
type Network struct {
	dev      device.Device
	arch     Arch
	replicas int
	maxRows  int
	dropout  float32
	// dropRates, when set, holds each replica's dropout probability
	// (replicas with their own settings, TrainConfig.Variants), read by the
	// dropout kernel in place of dropout.
	dropRates device.Buffer
	layers    []*layer
	bufs      []device.Buffer // every buffer, for Close
	an        *anomalyChecker // checks every operation's output when set
}

// NewNetwork allocates a network for arch on dev, able to process up to
// maxRows rows at a time, and uploads params. dropout (in [0,1)) is the
// probability of dropping each hidden unit during training.
func NewNetwork(dev device.Device, arch Arch, params Params, maxRows int, dropout float64) (*Network, error) {
	return newReplicas(dev, arch, params, 1, maxRows, dropout)
}

// newReplicas allocates count replicas of a network side by side; params
// holds count replicas (see Params).
func newReplicas(dev device.Device, arch Arch, params Params, count, maxRows int, dropout float64) (*Network, error) {
	if err := params.CheckShapes(arch, count); err != nil {
		return nil, err
	}
	n := &Network{dev: dev, arch: arch, replicas: count, maxRows: maxRows, dropout: float32(dropout)}
	sizes := arch.Sizes()
	for l := 0; l < arch.Layers(); l++ {
		ly := &layer{in: sizes[l], out: sizes[l+1], act: arch.Activation, alpha: float32(arch.ActivationParam)}
		hidden := l < arch.Layers()-1
		if !hidden {
			ly.act = device.Identity
		}
		wide := maxRows * count * ly.out
		bufs := []*device.Buffer{&ly.a, &ly.da}
		sizes := []int{wide, wide}
		add := func(b *device.Buffer, size int) { bufs, sizes = append(bufs, b), append(sizes, size) }
		add(&ly.w, count*ly.in*ly.out)
		add(&ly.b, count*ly.out)
		add(&ly.dw, count*ly.in*ly.out)
		add(&ly.db, count*ly.out)
		if ly.act != device.Identity {
			add(&ly.pre, wide)
		}
		if hidden && dropout > 0 {
			add(&ly.dropped, wide)
			add(&ly.mask, wide)
		}
		if hidden && arch.BatchNorm {
			ly.bn = &batchNorm{}
			add(&ly.z, wide)
			for _, b := range []*device.Buffer{&ly.bn.gamma, &ly.bn.beta, &ly.bn.dgamma, &ly.bn.dbeta, &ly.bn.runMean, &ly.bn.runVar, &ly.bn.mean, &ly.bn.invStd} {
				add(b, count*ly.out)
			}
		}
		for i, b := range bufs {
			buf, err := n.alloc(sizes[i])
			if err != nil {
				n.Close()
				return nil, err
			}
			*b = buf
		}
		n.layers = append(n.layers, ly)
	}
	if err := n.upload(params); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// setDropoutRates gives each replica its own dropout probability: replica
// r then drops what a network of its own with rates[r] drops.
func (n *Network) setDropoutRates(rates []float32) error {
	b, err := n.alloc(len(rates))
	if err != nil {
		return err
	}
	n.dev.Upload(b, rates)
	n.dropRates = b
	return n.dev.Err()
}

// keepRunningStats saves the batch-norm running statistics, which a
// training-mode forward pass updates, and returns the function that puts
// them back (and frees the copies).
func (n *Network) keepRunningStats() (restore func(), err error) {
	type saved struct{ dst, copy device.Buffer }
	var kept []saved
	restore = func() {
		for _, k := range kept {
			n.dev.Copy(k.dst, k.copy, k.dst.Len())
			n.dev.Free(k.copy)
		}
	}
	for _, ly := range n.layers {
		if ly.bn == nil {
			continue
		}
		for _, b := range []device.Buffer{ly.bn.runMean, ly.bn.runVar} {
			c, err := n.dev.Alloc(b.Len())
			if err != nil {
				restore()
				return nil, fmt.Errorf("allocating %d floats on %s: %w", b.Len(), n.dev.Name(), err)
			}
			n.dev.Copy(c, b, b.Len())
			kept = append(kept, saved{b, c})
		}
	}
	return restore, nil
}

func (n *Network) alloc(size int) (device.Buffer, error) {
	b, err := n.dev.Alloc(size)
	if err != nil {
		return nil, fmt.Errorf("allocating %d floats on %s: %w", size, n.dev.Name(), err)
	}
	n.bufs = append(n.bufs, b)
	return b, nil
}

// Close frees the network's device buffers.
func (n *Network) Close() {
	for _, b := range n.bufs {
		n.dev.Free(b)
	}
	n.bufs = nil
}

// Arch returns the network's architecture.
func (n *Network) Arch() Arch { return n.arch }

// Replicas is the number of copies of the network trained side by side.
func (n *Network) Replicas() int { return n.replicas }

// logitsBuf returns the buffer holding the output layer's logits after
// Forward: rows × (replicas·Outputs).
func (n *Network) logitsBuf() device.Buffer { return n.layers[len(n.layers)-1].a }

// logitsGradBuf returns the buffer that LossGrad fills with the gradient
// of the loss with respect to the logits.
func (n *Network) logitsGradBuf() device.Buffer { return n.layers[len(n.layers)-1].da }

// check reports a non-finite value in b[0:size] when anomaly checks are
// on. The tensor's name is format with the layer index l (format as is
// when l < 0), built only when checking, so that a step allocates nothing.
func (n *Network) check(format string, l int, b device.Buffer, size int) {
	if n.an == nil {
		return
	}
	name := format
	if l >= 0 {
		name = fmt.Sprintf(format, l)
	}
	n.an.check(name, b, size)
}

// gemmLayer runs one strided gemm over the replicas of layer ly:
// for each replica r, C_r = op(A_r)·op(B_r) where the operands are given by
// their buffer, leading dimension and per-replica stride.
func (n *Network) gemmLayer(transA, transB bool, m, nn, k int, a device.Buffer, lda, sa int, b device.Buffer, ldb, sb int, c device.Buffer, ldc, sc int) {
	n.dev.GemmStrided(transA, transB, m, nn, k, 1, a, lda, sa, b, ldb, sb, 0, c, ldc, sc, n.replicas)
}

// input returns layer l's input as the forward pass left it, with its
// leading dimension and per-replica stride (the data x is shared by every
// replica).
func (n *Network) input(x device.Buffer, l int, train bool) (device.Buffer, int, int) {
	if l == 0 {
		return x, n.arch.Inputs, 0
	}
	prev := n.layers[l-1]
	in := prev.a
	if train && prev.mask != nil {
		in = prev.dropped
	}
	return in, n.replicas * prev.out, prev.out
}

// Forward runs x (rows×Inputs, rows ≤ maxRows) through the network. With
// train set, batch normalisation uses the batch's statistics (and updates
// the running ones) and, with dropout on, hidden outputs are dropped with
// masks drawn from dropoutSeed (one stream per layer).
func (n *Network) Forward(x device.Buffer, rows int, train bool, dropoutSeed uint64) {
	R := n.replicas
	for l, ly := range n.layers {
		in, ldIn, strideIn := n.input(x, l, train)
		wide := R * ly.out
		m := rows * wide
		// pre is where the activation's input goes: its own buffer when
		// the backward pass needs it, else the output itself.
		pre := ly.a
		if ly.pre != nil {
			pre = ly.pre
		}
		lin := pre // x·W
		if ly.bn != nil {
			lin = ly.z
		}
		if l == 0 {
			device.Gemm(n.dev, false, false, rows, wide, ly.in, 1, in, ly.w, 0, lin)
		} else {
			n.gemmLayer(false, false, rows, ly.out, ly.in, in, ldIn, strideIn, ly.w, ly.out, ly.in*ly.out, lin, wide, ly.out)
		}
		n.check("layers.%d input·weight", l, lin, m)
		switch {
		case ly.bn == nil:
			n.dev.BiasActivation(ly.act, ly.alpha, pre, ly.b, ly.a, rows, wide)
		default:
			bn := ly.bn
			n.dev.BiasActivation(device.Identity, 0, ly.z, ly.b, ly.z, rows, wide)
			if train {
				n.dev.BatchNormTrain(device.Identity, ly.z, bn.gamma, bn.beta, pre, bn.mean, bn.invStd, bn.runMean, bn.runVar, rows, wide, bnEps, bnMomentum)
			} else {
				n.dev.BatchNormEval(device.Identity, ly.z, bn.gamma, bn.beta, bn.runMean, bn.runVar, pre, rows, wide, bnEps)
			}
			if ly.pre != nil {
				n.dev.BiasActivation(ly.act, ly.alpha, ly.pre, nil, ly.a, rows, wide)
			}
		}
		if l == len(n.layers)-1 {
			n.check("logits", -1, ly.a, m)
		} else {
			n.check("layers.%d activation", l, ly.a, m)
		}
		if train && ly.mask != nil {
			n.dev.Copy(ly.dropped, ly.a, m)
			seed := dropoutSeed + uint64(l)*0x9E3779B97F4A7C15
			if n.dropRates != nil {
				n.dev.DropoutReplicas(ly.dropped, ly.mask, rows, ly.out, R, n.dropRates, seed)
			} else {
				n.dev.Dropout(ly.dropped, ly.mask, m, n.dropout, seed)
			}
			n.check("layers.%d dropout output", l, ly.dropped, m)
		}
	}
}

// Backward computes the parameter gradients from the gradient of the loss
// with respect to the logits, which must already be in the output layer's
// da buffer (LossGrad writes it there). x is the input given to Forward.
func (n *Network) Backward(x device.Buffer, rows int, train bool) {
	R := n.replicas
	for l := len(n.layers) - 1; l >= 0; l-- {
		ly := n.layers[l]
		wide := R * ly.out
		m := rows * wide
		if train && ly.mask != nil {
			n.dev.Mul(ly.da, ly.mask, ly.da, m)
			n.check("layers.%d dropout gradient", l, ly.da, m)
		}
		if ly.pre != nil {
			n.dev.ActivationBackward(ly.act, ly.alpha, ly.pre, ly.a, ly.da, ly.da, m)
			n.check("layers.%d pre-activation gradient", l, ly.da, m)
		}
		if bn := ly.bn; bn != nil {
			n.dev.BatchNormBackward(ly.z, ly.da, bn.gamma, bn.mean, bn.invStd, ly.da, bn.dgamma, bn.dbeta, rows, wide)
			n.check("bn.%d gradient", l, ly.da, m)
		}
		in, ldIn, strideIn := n.input(x, l, train)
		// dW_r = in_rᵀ·dZ_r (for the first layer, all replicas in one product)
		if l == 0 {
			device.Gemm(n.dev, true, false, ly.in, wide, rows, 1, in, ly.da, 0, ly.dw)
		} else {
			n.gemmLayer(true, false, ly.in, ly.out, rows, in, ldIn, strideIn, ly.da, wide, ly.out, ly.dw, ly.out, ly.in*ly.out)
		}
		n.check("layers.%d.weight gradient", l, ly.dw, R*ly.in*ly.out)
		n.dev.ColumnSums(ly.da, rows, wide, ly.db)
		n.check("layers.%d.bias gradient", l, ly.db, wide)
		if l > 0 {
			// dIn_r = dZ_r·W_rᵀ
			prev := n.layers[l-1]
			n.gemmLayer(false, true, rows, ly.in, ly.out, ly.da, wide, ly.out, ly.w, ly.out, ly.in*ly.out, prev.da, R*prev.out, prev.out)
			n.check("layers.%d activation gradient", l-1, prev.da, rows*R*prev.out)
		}
	}
}

// LossGrad computes the loss of the current logits against targets
// (shared by every replica), leaving replica r's sum in lossOut[lossAt+r]
// and gradScale·∂loss/∂logits ready for Backward.
func (n *Network) LossGrad(targets device.Buffer, rows int, gradScale float32, lossOut device.Buffer, lossAt int) {
	out := n.layers[len(n.layers)-1]
	n.dev.LossGradGroups(n.arch.Loss, out.a, targets, out.da, rows, out.out, n.replicas, gradScale, lossOut, lossAt)
	n.check("logits gradient", -1, out.da, rows*n.replicas*out.out)
}

// tensorBufs lists the device buffers matching Params.tensors, in order.
func (n *Network) tensorBufs() []device.Buffer {
	var bs []device.Buffer
	for _, ly := range n.layers {
		bs = append(bs, ly.w, ly.b)
		if bn := ly.bn; bn != nil {
			bs = append(bs, bn.gamma, bn.beta, bn.runMean, bn.runVar)
		}
	}
	return bs
}

// upload copies p (holding every replica) into the network.
func (n *Network) upload(p Params) error {
	if err := p.CheckShapes(n.arch, n.replicas); err != nil {
		return err
	}
	ts, _ := p.tensors()
	for i, b := range n.tensorBufs() {
		v := *ts[i]
		if i == 0 {
			v = n.firstLayerWide(v, true)
		}
		n.dev.Upload(b, v)
	}
	return n.dev.Err()
}

// firstLayerWide converts the first layer's weights between the stacked
// host layout (replica blocks of in×out) and the wide device layout (in ×
// replicas·out); toWide picks the direction. One replica needs no change.
func (n *Network) firstLayerWide(w []float32, toWide bool) []float32 {
	R, in, out := n.replicas, n.arch.Inputs, n.layers[0].out
	if R == 1 {
		return w
	}
	c := make([]float32, len(w))
	for r := 0; r < R; r++ {
		for i := 0; i < in; i++ {
			stacked := w[r*in*out+i*out : r*in*out+(i+1)*out]
			wide := i*R*out + r*out
			if toWide {
				copy(c[wide:wide+out], stacked)
			} else {
				copy(c[r*in*out+i*out:r*in*out+(i+1)*out], w[wide:wide+out])
			}
		}
	}
	return c
}

// SetParams uploads params (holding every replica; see Params) into the
// network.
func (n *Network) SetParams(p Params) error { return n.upload(p) }

// Params downloads the current parameters (every replica) to the host.
func (n *Network) Params() (Params, error) {
	return n.download(n.tensorBufs())
}

// Gradients downloads the gradients computed by the last Backward, in the
// layout of Params (batch normalisation's running statistics have no
// gradient: their places hold zeros).
func (n *Network) Gradients() (Params, error) {
	var bs []device.Buffer
	for _, ly := range n.layers {
		bs = append(bs, ly.dw, ly.db)
		if bn := ly.bn; bn != nil {
			bs = append(bs, bn.dgamma, bn.dbeta, nil, nil)
		}
	}
	return n.download(bs)
}

// download copies buffers laid out as Params.tensors to the host (nil
// buffers give zeros).
func (n *Network) download(bs []device.Buffer) (Params, error) {
	p := zeroParams(n.arch, n.replicas)
	ts, _ := p.tensors()
	for i, b := range bs {
		if b != nil {
			if err := n.dev.Download(*ts[i], b); err != nil {
				return Params{}, err
			}
		}
	}
	p.W[0] = n.firstLayerWide(p.W[0], false)
	return p, nil
}

// paramGrads lists each trainable parameter buffer with its gradient and
// size, in the order of Params.tensors, for the optimizers.
func (n *Network) paramGrads() []paramGrad {
	var pg []paramGrad
	R := n.replicas
	for l, ly := range n.layers {
		wRun := ly.in * ly.out
		if l == 0 && R > 1 {
			wRun = ly.out // kept wide: replica r's columns in every row's block r
		}
		pg = append(pg, paramGrad{ly.w, ly.dw, R * ly.in * ly.out, wRun, fmt.Sprintf("layers.%d.weight", l), true},
			paramGrad{ly.b, ly.db, R * ly.out, ly.out, fmt.Sprintf("layers.%d.bias", l), false})
		if bn := ly.bn; bn != nil {
			pg = append(pg, paramGrad{bn.gamma, bn.dgamma, R * ly.out, ly.out, fmt.Sprintf("bn.%d.weight", l), false},
				paramGrad{bn.beta, bn.dbeta, R * ly.out, ly.out, fmt.Sprintf("bn.%d.bias", l), false})
		}
	}
	return pg
}

type paramGrad struct {
	p, g device.Buffer
	n    int
	// run is the length of the runs of one replica's values in p, which
	// cycle over the replicas (device.Optimizers.OptimStepReplicas).
	run    int
	name   string // the tensor's name in model files
	weight bool   // a linear layer's weights (the L1 penalty's scope)
}
