// Package nn is gputrain's device-agnostic training engine: multilayer
// perceptrons, their initialisation, losses, optimizers, learning-rate
// schedules, the minibatch plan, the training loop with its resumable
// state, evaluation, and the float64 reference that checks them. It drives
// a device.Device and never touches a backend directly. What a training
// job adds around the engine (data splits and preprocessing, model and
// checkpoint files, provenance) lives in nn/job, which imports nn.
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/advice"
)

// Arch describes a fully connected network: Inputs → Hidden... → Outputs.
// Every hidden layer applies Activation; the output layer is linear and its
// logits feed Loss.
type Arch struct {
	Inputs     int
	Hidden     []int
	Outputs    int
	Activation device.Activation
	// ActivationParam is the activation's parameter (LeakyReLU's negative
	// slope; see device.ActivationSpec.Param), 0 for those without one.
	ActivationParam float64
	Loss            device.Loss
	// BatchNorm normalises every hidden layer's pre-activation over the
	// batch (Ioffe & Szegedy 2015), with a learnable scale and shift.
	BatchNorm bool
}

// Batch normalisation constants: PyTorch's BatchNorm1d defaults.
const (
	bnEps      = 1e-5
	bnMomentum = 0.1
)

// BatchNormEps is the ε batch normalisation adds to the variance, for
// exporting the layers to other frameworks.
const BatchNormEps = bnEps

// Sizes returns the layer widths from input to output.
func (a Arch) Sizes() []int {
	s := append([]int{a.Inputs}, a.Hidden...)
	return append(s, a.Outputs)
}

// ParamCount is the number of trainable scalar parameters.
func (a Arch) ParamCount() int {
	s, n := a.Sizes(), 0
	for l := 0; l+1 < len(s); l++ {
		n += (s[l] + 1) * s[l+1]
		if a.BatchNorm && l+2 < len(s) {
			n += 2 * s[l+1]
		}
	}
	return n
}

// Layers is the number of weight layers.
func (a Arch) Layers() int { return len(a.Hidden) + 1 }

// String renders the architecture as e.g. "41 → 20 (tanh) → 1 (logistic)".
func (a Arch) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", a.Inputs)
	act := a.Activation.String()
	if p := a.Activation.Spec().Param; p != "" {
		act += fmt.Sprintf(" %s %g", p, a.ActivationParam)
	}
	for _, h := range a.Hidden {
		if a.BatchNorm {
			fmt.Fprintf(&b, " → %d (batch norm, %s)", h, act)
		} else {
			fmt.Fprintf(&b, " → %d (%s)", h, act)
		}
	}
	fmt.Fprintf(&b, " → %d (%v)", a.Outputs, a.Loss)
	return b.String()
}

// Params holds a network's parameters on the host. W[l] is layer l's weight
// matrix stored row-major as fan_in × fan_out (so a layer computes x·W + b);
// B[l] is its bias of length fan_out. With batch normalisation, Gamma[l] and
// Beta[l] are hidden layer l's learnable scale and shift and RunMean[l],
// RunVar[l] its running statistics (used at evaluation; not trained by the
// optimizer); they are nil otherwise.
//
// Params may also hold several replicas of a network side by side (see
// TrainConfig.Restarts): every tensor is then the concatenation of the
// replicas' tensors, replica r's block being the r-th of equal parts.
type Params struct {
	W, B                         [][]float32
	Gamma, Beta, RunMean, RunVar [][]float32
}

// tensors lists every tensor of p in a fixed order: per layer W, B and,
// with batch normalisation, Gamma, Beta, RunMean, RunVar. trainable says
// which the optimizer updates.
func (p *Params) tensors() (ts []*[]float32, trainable []bool) {
	for l := range p.W {
		ts, trainable = append(ts, &p.W[l], &p.B[l]), append(trainable, true, true)
		if l < len(p.Gamma) {
			ts = append(ts, &p.Gamma[l], &p.Beta[l], &p.RunMean[l], &p.RunVar[l])
			trainable = append(trainable, true, true, false, false)
		}
	}
	return ts, trainable
}

// Count is the number of trainable scalar parameters.
func (p Params) Count() int {
	n := 0
	ts, trainable := p.tensors()
	for i, t := range ts {
		if trainable[i] {
			n += len(*t)
		}
	}
	return n
}

// Clone returns a deep copy.
func (p Params) Clone() Params {
	c := p.shell()
	src, _ := p.tensors()
	dst, _ := c.tensors()
	for i := range src {
		*dst[i] = append([]float32(nil), *src[i]...)
	}
	return c
}

// shell returns Params with p's structure and nil tensors.
func (p Params) shell() Params {
	c := Params{W: make([][]float32, len(p.W)), B: make([][]float32, len(p.B))}
	if p.Gamma != nil {
		n := len(p.Gamma)
		c.Gamma, c.Beta, c.RunMean, c.RunVar = make([][]float32, n), make([][]float32, n), make([][]float32, n), make([][]float32, n)
	}
	return c
}

// StackReplicas puts replicas side by side (see Params), the inverse of
// Replica.
func StackReplicas(replicas []Params) Params {
	c := replicas[0].shell()
	dst, _ := c.tensors()
	for _, r := range replicas {
		src, _ := r.tensors()
		for i := range src {
			*dst[i] = append(*dst[i], *src[i]...)
		}
	}
	return c
}

// Replica returns replica r of parameters that hold count replicas.
func (p Params) Replica(r, count int) Params {
	c := p.shell()
	src, _ := p.tensors()
	dst, _ := c.tensors()
	for i, t := range src {
		n := len(*t) / count
		*dst[i] = append([]float32(nil), (*t)[r*n:(r+1)*n]...)
	}
	return c
}

// Init names a parameter initialisation scheme.
type Init string

// The initialisation schemes.
const (
	// InitNormal draws every weight and bias from N(0, 1), as the workshop does.
	InitNormal Init = "normal"
	// InitGlorot draws weights from U(±√(6/(fan_in+fan_out))) (Keras'
	// glorot_uniform) and sets biases to 0.
	InitGlorot Init = "glorot"
	// InitHe draws weights from N(0, 2/fan_in) (He et al. 2015) and sets
	// biases to 0.
	InitHe Init = "he"
)

// ParseInit checks an initialisation scheme's name.
func ParseInit(s string) (Init, error) {
	switch Init(s) {
	case InitNormal, InitGlorot, InitHe:
		return Init(s), nil
	}
	return "", invalidName(advice.Init, s, "normal, glorot or he")
}

// ParseActivation checks a hidden-layer activation's name.
func ParseActivation(s string) (device.Activation, error) {
	var names []string
	for _, a := range device.AllActivations() {
		if a.String() == s {
			return a, nil
		}
		names = append(names, a.String())
	}
	return 0, invalidName(advice.Activation, s, strings.Join(names, ", "))
}

// NewRand returns the generator for a seed and a purpose; each purpose (init,
// shuffling, dropout, splits) gets its own stream so that changing one does
// not move the others.
func NewRand(seed uint64, stream uint64) *rand.Rand {
	return rand.New(newPCG(seed, stream))
}

// newPCG returns the PCG source behind NewRand, whose state can be saved
// (MarshalBinary) and restored for resumable runs.
func newPCG(seed uint64, stream uint64) *rand.PCG {
	return rand.NewPCG(seed, 0x6770757472616e00^stream)
}

// Random-number streams.
const (
	streamInit uint64 = iota + 1
	streamShuffle
	streamDropout
)

// InitParams draws parameters for arch from the given seed.
func InitParams(arch Arch, scheme Init, seed uint64) Params {
	rng := NewRand(seed, streamInit)
	sizes := arch.Sizes()
	p := Params{}
	for l := 0; l < arch.Layers(); l++ {
		in, out := sizes[l], sizes[l+1]
		w, b := make([]float32, in*out), make([]float32, out)
		switch scheme {
		case InitGlorot:
			lim := math.Sqrt(6 / float64(in+out))
			for i := range w {
				w[i] = float32((2*rng.Float64() - 1) * lim)
			}
		case InitHe:
			sd := math.Sqrt(2 / float64(in))
			for i := range w {
				w[i] = float32(rng.NormFloat64() * sd)
			}
		default:
			for i := range w {
				w[i] = float32(rng.NormFloat64())
			}
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
		}
		p.W = append(p.W, w)
		p.B = append(p.B, b)
		if arch.BatchNorm && l < arch.Layers()-1 {
			// PyTorch's BatchNorm1d starts with scale 1, shift 0 and
			// running statistics 0 and 1.
			p.Gamma = append(p.Gamma, filled(out, 1))
			p.Beta = append(p.Beta, filled(out, 0))
			p.RunMean = append(p.RunMean, filled(out, 0))
			p.RunVar = append(p.RunVar, filled(out, 1))
		}
	}
	return p
}

// zeroParams returns count replicas of arch's parameters, all zero.
func zeroParams(arch Arch, count int) Params {
	sizes := arch.Sizes()
	var p Params
	for l := 0; l < arch.Layers(); l++ {
		in, out := sizes[l], sizes[l+1]
		p.W, p.B = append(p.W, make([]float32, count*in*out)), append(p.B, make([]float32, count*out))
		if arch.BatchNorm && l < arch.Layers()-1 {
			p.Gamma, p.Beta = append(p.Gamma, make([]float32, count*out)), append(p.Beta, make([]float32, count*out))
			p.RunMean, p.RunVar = append(p.RunMean, make([]float32, count*out)), append(p.RunVar, make([]float32, count*out))
		}
	}
	return p
}

func filled(n int, v float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = v
	}
	return x
}

// RestartSeed is the seed of restart r of a run seeded with seed: restart 0
// uses the seed itself, so one restart is the plain run.
func RestartSeed(seed uint64, r int) uint64 {
	if r == 0 {
		return seed
	}
	return seed + uint64(r)*0x9E3779B97F4A7C15
}

// CheckShapes reports whether p holds count replicas of arch's parameters
// (count 1: one network).
func (p Params) CheckShapes(arch Arch, count int) error {
	sizes := arch.Sizes()
	if len(p.W) != arch.Layers() || len(p.B) != arch.Layers() {
		return fmt.Errorf("parameters have %d layers, the network %s has %d", len(p.W), arch, arch.Layers())
	}
	for l := range p.W {
		in, out := sizes[l], sizes[l+1]
		if len(p.W[l]) != count*in*out || len(p.B[l]) != count*out {
			return fmt.Errorf("layer %d parameters have %d weights and %d biases, want %d×%d and %d", l, len(p.W[l]), len(p.B[l]), out, in, out)
		}
	}
	hidden := 0
	if arch.BatchNorm {
		hidden = arch.Layers() - 1
	}
	for _, t := range [][][]float32{p.Gamma, p.Beta, p.RunMean, p.RunVar} {
		if len(t) != hidden {
			return fmt.Errorf("parameters have batch normalisation for %d layers, the network %s for %d", len(t), arch, hidden)
		}
		for l, v := range t {
			if len(v) != count*sizes[l+1] {
				return fmt.Errorf("batch normalisation of layer %d has %d values, want %d", l, len(v), sizes[l+1])
			}
		}
	}
	return nil
}
