package nn

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
)

// layer is one fully connected layer resident on a device, with its
// activations and gradients sized for up to maxRows rows.
type layer struct {
	in, out int
	act     device.Activation // Identity for the output layer
	w, b    device.Buffer     // parameters: in×out and out
	dw, db  device.Buffer     // their gradients
	a       device.Buffer     // act(x·W + b), maxRows×out
	dropped device.Buffer     // a·mask when dropout is on (the next layer's input)
	mask    device.Buffer     // dropout mask, maxRows×out
	da      device.Buffer     // ∂loss/∂(this layer's output), maxRows×out
}

// Network is an MLP whose parameters and per-step buffers live on a device.
// All buffers are allocated once, by NewNetwork.
type Network struct {
	dev     device.Device
	arch    Arch
	maxRows int
	dropout float32
	layers  []*layer
	bufs    []device.Buffer // every buffer, for Close
	an      *anomalyChecker // checks every operation's output when set
}

// NewNetwork allocates a network for arch on dev, able to process up to
// maxRows rows at a time, and uploads params. dropout (in [0,1)) is the
// probability of dropping each hidden unit during training.
func NewNetwork(dev device.Device, arch Arch, params Params, maxRows int, dropout float64) (*Network, error) {
	if err := params.CheckShapes(arch); err != nil {
		return nil, err
	}
	n := &Network{dev: dev, arch: arch, maxRows: maxRows, dropout: float32(dropout)}
	sizes := arch.Sizes()
	for l := 0; l < arch.Layers(); l++ {
		ly := &layer{in: sizes[l], out: sizes[l+1], act: arch.Activation}
		hidden := l < arch.Layers()-1
		if !hidden {
			ly.act = device.Identity
		}
		allocs := []struct {
			dst  *device.Buffer
			size int
		}{
			{&ly.w, ly.in * ly.out}, {&ly.b, ly.out}, {&ly.dw, ly.in * ly.out}, {&ly.db, ly.out},
			{&ly.a, maxRows * ly.out}, {&ly.da, maxRows * ly.out},
		}
		if hidden && dropout > 0 {
			allocs = append(allocs, struct {
				dst  *device.Buffer
				size int
			}{&ly.dropped, maxRows * ly.out}, struct {
				dst  *device.Buffer
				size int
			}{&ly.mask, maxRows * ly.out})
		}
		for _, a := range allocs {
			b, err := n.alloc(a.size)
			if err != nil {
				n.Close()
				return nil, err
			}
			*a.dst = b
		}
		dev.Upload(ly.w, params.W[l])
		dev.Upload(ly.b, params.B[l])
		n.layers = append(n.layers, ly)
	}
	return n, dev.Err()
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

// logitsBuf returns the buffer holding the output layer's logits after Forward.
func (n *Network) logitsBuf() device.Buffer { return n.layers[len(n.layers)-1].a }

// logitsGradBuf returns the buffer that LossGrad fills with the gradient
// of the loss with respect to the logits.
func (n *Network) logitsGradBuf() device.Buffer { return n.layers[len(n.layers)-1].da }

// outputName names layer l's output for anomaly reports.
func (n *Network) outputName(l int) string {
	if l == len(n.layers)-1 {
		return "logits"
	}
	return fmt.Sprintf("layers.%d activation", l)
}

// Forward runs x (rows×Inputs, rows ≤ maxRows) through the network. With
// train set and dropout on, hidden outputs are dropped with masks drawn from
// dropoutSeed (one stream per layer).
func (n *Network) Forward(x device.Buffer, rows int, train bool, dropoutSeed uint64) {
	in := x
	for l, ly := range n.layers {
		n.dev.Gemm(false, false, rows, ly.out, ly.in, 1, in, ly.w, 0, ly.a)
		if n.an != nil {
			n.an.check(fmt.Sprintf("layers.%d input·weight", l), ly.a, rows*ly.out)
		}
		n.dev.BiasActivation(ly.act, ly.a, ly.b, ly.a, rows, ly.out)
		if n.an != nil {
			n.an.check(n.outputName(l), ly.a, rows*ly.out)
		}
		in = ly.a
		if train && ly.mask != nil {
			n.dev.Copy(ly.dropped, ly.a, rows*ly.out)
			n.dev.Dropout(ly.dropped, ly.mask, rows*ly.out, n.dropout, dropoutSeed+uint64(l)*0x9E3779B97F4A7C15)
			if n.an != nil {
				n.an.check(fmt.Sprintf("layers.%d dropout output", l), ly.dropped, rows*ly.out)
			}
			in = ly.dropped
		}
	}
}

// Backward computes the parameter gradients from the gradient of the loss
// with respect to the logits, which must already be in the output layer's
// da buffer (LossGrad writes it there). x is the input given to Forward.
func (n *Network) Backward(x device.Buffer, rows int, train bool) {
	for l := len(n.layers) - 1; l >= 0; l-- {
		ly := n.layers[l]
		m := rows * ly.out
		if ly.act != device.Identity || (train && ly.mask != nil) {
			if train && ly.mask != nil {
				n.dev.Mul(ly.da, ly.mask, ly.da, m)
				if n.an != nil {
					n.an.check(fmt.Sprintf("layers.%d dropout gradient", l), ly.da, m)
				}
			}
			n.dev.ActivationBackward(ly.act, ly.a, ly.da, ly.da, m)
			if n.an != nil {
				n.an.check(fmt.Sprintf("layers.%d pre-activation gradient", l), ly.da, m)
			}
		}
		in := x
		if l > 0 {
			prev := n.layers[l-1]
			in = prev.a
			if train && prev.mask != nil {
				in = prev.dropped
			}
		}
		n.dev.Gemm(true, false, ly.in, ly.out, rows, 1, in, ly.da, 0, ly.dw)
		if n.an != nil {
			n.an.check(fmt.Sprintf("layers.%d.weight gradient", l), ly.dw, ly.in*ly.out)
		}
		n.dev.ColumnSums(ly.da, rows, ly.out, ly.db)
		if n.an != nil {
			n.an.check(fmt.Sprintf("layers.%d.bias gradient", l), ly.db, ly.out)
		}
		if l > 0 {
			n.dev.Gemm(false, true, rows, ly.in, ly.out, 1, ly.da, ly.w, 0, n.layers[l-1].da)
			if n.an != nil {
				n.an.check(fmt.Sprintf("layers.%d activation gradient", l-1), n.layers[l-1].da, rows*ly.in)
			}
		}
	}
}

// LossGrad computes the loss of the current logits against targets, leaving
// its sum in lossOut[lossAt] and gradScale·∂loss/∂logits ready for Backward.
func (n *Network) LossGrad(targets device.Buffer, rows int, gradScale float32, lossOut device.Buffer, lossAt int) {
	out := n.layers[len(n.layers)-1]
	n.dev.LossGrad(n.arch.Loss, out.a, targets, out.da, rows, out.out, gradScale, lossOut, lossAt)
	if n.an != nil {
		n.an.check("logits gradient", out.da, rows*out.out)
	}
}

// SetParams uploads params (which must fit the architecture) into the
// network.
func (n *Network) SetParams(p Params) error {
	if err := p.CheckShapes(n.arch); err != nil {
		return err
	}
	for l, ly := range n.layers {
		n.dev.Upload(ly.w, p.W[l])
		n.dev.Upload(ly.b, p.B[l])
	}
	return n.dev.Err()
}

// Params downloads the current parameters to the host.
func (n *Network) Params() (Params, error) {
	var p Params
	for _, ly := range n.layers {
		w, b := make([]float32, ly.in*ly.out), make([]float32, ly.out)
		if err := n.dev.Download(w, ly.w); err != nil {
			return Params{}, err
		}
		if err := n.dev.Download(b, ly.b); err != nil {
			return Params{}, err
		}
		p.W, p.B = append(p.W, w), append(p.B, b)
	}
	return p, nil
}

// Gradients downloads the gradients computed by the last Backward.
func (n *Network) Gradients() (Params, error) {
	var p Params
	for _, ly := range n.layers {
		w, b := make([]float32, ly.in*ly.out), make([]float32, ly.out)
		if err := n.dev.Download(w, ly.dw); err != nil {
			return Params{}, err
		}
		if err := n.dev.Download(b, ly.db); err != nil {
			return Params{}, err
		}
		p.W, p.B = append(p.W, w), append(p.B, b)
	}
	return p, nil
}

// paramGrads lists each parameter buffer with its gradient and size, in a
// fixed order (layer 0 weight, layer 0 bias, layer 1 weight, …), for the
// optimizers.
func (n *Network) paramGrads() []paramGrad {
	var pg []paramGrad
	for l, ly := range n.layers {
		pg = append(pg, paramGrad{ly.w, ly.dw, ly.in * ly.out, fmt.Sprintf("layers.%d.weight", l)},
			paramGrad{ly.b, ly.db, ly.out, fmt.Sprintf("layers.%d.bias", l)})
	}
	return pg
}

type paramGrad struct {
	p, g device.Buffer
	n    int
	name string // the tensor's name in model files
}
