package nn

import (
	"math"

	"github.com/gputrain/gputrain/device"
)

// ref64 is an independent float64 implementation of the MLP, its losses and
// backpropagation, written from the textbook formulas. It shares no code
// with the device path; tests compare the two.
type ref64 struct {
	arch    Arch
	w, b    [][]float64 // w[l] is fan_in × fan_out, row-major
	dropout float64
	seed    uint64 // dropout seed given to Network.Forward
}

func newRef64(arch Arch, p Params) *ref64 {
	r := &ref64{arch: arch}
	for l := range p.W {
		r.w = append(r.w, f64(p.W[l]))
		r.b = append(r.b, f64(p.B[l]))
	}
	return r
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func act64(a device.Activation, z float64) (f, df float64) {
	switch a {
	case device.Tanh:
		t := math.Tanh(z)
		return t, 1 - t*t
	case device.ReLU:
		if z > 0 {
			return z, 1
		}
		return 0, 0
	case device.Sigmoid:
		s := 1 / (1 + math.Exp(-z))
		return s, s * (1 - s)
	}
	return z, 1
}

// lossGrad returns the summed loss over all rows and its gradients with
// respect to every weight and bias.
func (r *ref64) lossGrad(x []float64, y []float64, rows int) (float64, [][]float64, [][]float64) {
	sizes := r.arch.Sizes()
	L := r.arch.Layers()
	hs := [][]float64{x}          // inputs to each layer (after dropout)
	ds := make([][]float64, L)    // activation derivatives
	masks := make([][]float64, L) // dropout masks (scale or 0)
	h := x
	for l := 0; l < L; l++ {
		in, out := sizes[l], sizes[l+1]
		z := make([]float64, rows*out)
		d := make([]float64, rows*out)
		for i := 0; i < rows; i++ {
			for j := 0; j < out; j++ {
				s := r.b[l][j]
				for k := 0; k < in; k++ {
					s += h[i*in+k] * r.w[l][k*out+j]
				}
				if l < L-1 {
					z[i*out+j], d[i*out+j] = act64(r.arch.Activation, s)
				} else {
					z[i*out+j], d[i*out+j] = s, 1
				}
			}
		}
		if l < L-1 && r.dropout > 0 {
			masks[l] = make([]float64, rows*out)
			for i := range z {
				if device.DropoutKeep(r.seed+uint64(l)*0x9E3779B97F4A7C15, i, float32(r.dropout)) {
					masks[l][i] = float64(float32(1) / float32(1-r.dropout))
				}
				z[i] *= masks[l][i]
			}
		}
		ds[l] = d
		h = z
		hs = append(hs, h)
	}
	// Loss and its gradient with respect to the logits h.
	k := sizes[L]
	g := make([]float64, rows*k)
	var loss float64
	for i := 0; i < rows; i++ {
		switch r.arch.Loss {
		case device.Logistic:
			for j := 0; j < k; j++ {
				zz, yy := h[i*k+j], y[i*k+j]
				p := 1 / (1 + math.Exp(-zz))
				loss += -yy*math.Log(p) - (1-yy)*math.Log(1-p)
				g[i*k+j] = p - yy
			}
		case device.MSE:
			for j := 0; j < k; j++ {
				res := h[i*k+j] - y[i*k+j]
				loss += res * res
				g[i*k+j] = 2 * res
			}
		case device.SoftmaxCE:
			var s float64
			for j := 0; j < k; j++ {
				s += math.Exp(h[i*k+j])
			}
			label := int(y[i])
			loss += -math.Log(math.Exp(h[i*k+label]) / s)
			for j := 0; j < k; j++ {
				g[i*k+j] = math.Exp(h[i*k+j]) / s
			}
			g[i*k+label]--
		}
	}
	gw, gb := make([][]float64, L), make([][]float64, L)
	for l := L - 1; l >= 0; l-- {
		in, out := sizes[l], sizes[l+1]
		if masks[l] != nil {
			for i := range g {
				g[i] *= masks[l][i]
			}
		}
		for i := range g {
			g[i] *= ds[l][i]
		}
		gw[l], gb[l] = make([]float64, in*out), make([]float64, out)
		prev := make([]float64, rows*in)
		for i := 0; i < rows; i++ {
			for j := 0; j < out; j++ {
				gb[l][j] += g[i*out+j]
				for c := 0; c < in; c++ {
					gw[l][c*out+j] += hs[l][i*in+c] * g[i*out+j]
					prev[i*in+c] += g[i*out+j] * r.w[l][c*out+j]
				}
			}
		}
		g = prev
	}
	return loss, gw, gb
}
