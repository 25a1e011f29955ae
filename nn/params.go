// Package nn is gputrain's device-agnostic core: multilayer perceptrons,
// their initialisation, losses, optimizers, the training loop and
// evaluation. It drives a device.Device and never touches a backend
// directly.
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gputrain/gputrain/device"
)

// Arch describes a fully connected network: Inputs → Hidden... → Outputs.
// Every hidden layer applies Activation; the output layer is linear and its
// logits feed Loss.
type Arch struct {
	Inputs     int
	Hidden     []int
	Outputs    int
	Activation device.Activation
	Loss       device.Loss
}

// Sizes returns the layer widths from input to output.
func (a Arch) Sizes() []int {
	s := append([]int{a.Inputs}, a.Hidden...)
	return append(s, a.Outputs)
}

// paramCount is the number of scalar parameters.
func (a Arch) paramCount() int {
	s, n := a.Sizes(), 0
	for l := 0; l+1 < len(s); l++ {
		n += (s[l] + 1) * s[l+1]
	}
	return n
}

// Layers is the number of weight layers.
func (a Arch) Layers() int { return len(a.Hidden) + 1 }

// String renders the architecture as e.g. "41 → 20 (tanh) → 1 (logistic)".
func (a Arch) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", a.Inputs)
	for _, h := range a.Hidden {
		fmt.Fprintf(&b, " → %d (%v)", h, a.Activation)
	}
	fmt.Fprintf(&b, " → %d (%v)", a.Outputs, a.Loss)
	return b.String()
}

// Params holds a network's parameters on the host. W[l] is layer l's weight
// matrix stored row-major as fan_in × fan_out (so a layer computes x·W + b);
// B[l] is its bias of length fan_out.
type Params struct {
	W [][]float32
	B [][]float32
}

// Count is the number of scalar parameters.
func (p Params) Count() int {
	n := 0
	for l := range p.W {
		n += len(p.W[l]) + len(p.B[l])
	}
	return n
}

// Clone returns a deep copy.
func (p Params) Clone() Params {
	c := Params{W: make([][]float32, len(p.W)), B: make([][]float32, len(p.B))}
	for l := range p.W {
		c.W[l] = append([]float32(nil), p.W[l]...)
		c.B[l] = append([]float32(nil), p.B[l]...)
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

// ParseInit checks an --init value.
func ParseInit(s string) (Init, error) {
	switch Init(s) {
	case InitNormal, InitGlorot, InitHe:
		return Init(s), nil
	}
	return "", fmt.Errorf("invalid --init %q: want normal, glorot or he", s)
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
	}
	return p
}

// CheckShapes reports whether p fits arch.
func (p Params) CheckShapes(arch Arch) error {
	sizes := arch.Sizes()
	if len(p.W) != arch.Layers() || len(p.B) != arch.Layers() {
		return fmt.Errorf("parameters have %d layers, the network %s has %d", len(p.W), arch, arch.Layers())
	}
	for l := range p.W {
		in, out := sizes[l], sizes[l+1]
		if len(p.W[l]) != in*out || len(p.B[l]) != out {
			return fmt.Errorf("layer %d parameters have %d weights and %d biases, want %d×%d and %d", l, len(p.W[l]), len(p.B[l]), out, in, out)
		}
	}
	return nil
}
