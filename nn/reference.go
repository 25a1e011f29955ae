package nn

import (
	"math"

	"github.com/gputrain/gputrain/device"
)

// ref64 is an independent float64 implementation of the MLP, its losses and
// backpropagation, written from the textbook formulas. It shares no code
// with the device path: refTrain takes only the initial parameters, the
// random streams (dropout seeds) and the BatchPlan (which rows each update
// uses) from the package, and works out the dropout masks, class weights,
// loss scale and learning rates itself, so a bug in the trainer's helpers
// cannot move the reference with it. The tests compare the two, and
// "gputrain verify" trains with it to check every device.
type ref64 struct {
	arch    Arch
	w, b    [][]float64 // w[l] is fan_in × fan_out, row-major
	dropout float64
	seed    uint64    // dropout seed given to Network.Forward
	weights []float64 // per-row loss weights (class weights); nil: all 1
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

// act64 is arch's activation and its derivative at z, from the float64
// reference in the activation table.
func act64(arch Arch, z float64) (f, df float64) {
	s := arch.Activation.Spec()
	return s.Forward(z, arch.ActivationParam), s.Derivative(z, arch.ActivationParam)
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
					z[i*out+j], d[i*out+j] = act64(r.arch, s)
				} else {
					z[i*out+j], d[i*out+j] = s, 1
				}
			}
		}
		if l < L-1 && r.dropout > 0 {
			masks[l] = make([]float64, rows*out)
			for i := range z {
				if refKeep(r.seed+uint64(l)*0x9E3779B97F4A7C15, i, r.dropout) {
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
		var rl float64 // this row's loss
		switch r.arch.Loss {
		case device.Logistic:
			for j := 0; j < k; j++ {
				zz, yy := h[i*k+j], y[i*k+j]
				p := 1 / (1 + math.Exp(-zz))
				rl += -yy*math.Log(p) - (1-yy)*math.Log(1-p)
				g[i*k+j] = p - yy
			}
		case device.MSE:
			for j := 0; j < k; j++ {
				res := h[i*k+j] - y[i*k+j]
				rl += res * res
				g[i*k+j] = 2 * res
			}
		case device.SoftmaxCE:
			var s float64
			for j := 0; j < k; j++ {
				s += math.Exp(h[i*k+j])
			}
			label := int(y[i])
			rl = -math.Log(math.Exp(h[i*k+label]) / s)
			for j := 0; j < k; j++ {
				g[i*k+j] = math.Exp(h[i*k+j]) / s
			}
			g[i*k+label]--
		}
		if r.weights != nil {
			rl *= r.weights[i]
			for j := 0; j < k; j++ {
				g[i*k+j] *= r.weights[i]
			}
		}
		loss += rl
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

// refTrain runs the training cfg describes in float64 with the reference
// implementation: the same initial parameters, minibatch order, dropout
// masks, learning rates and class weights as the Trainer, every product and
// update in float64. It returns the final weights and biases (layout as
// Params). Validation, early stopping and checkpoints do not apply.
func refTrain(cfg TrainConfig, x, y []float32, n int) (w, b [][]float64, err error) {
	params := InitParams(cfg.Arch, cfg.Init, cfg.Seed)
	if cfg.InitFrom != nil {
		params = cfg.InitFrom.Clone()
	}
	r := newRef64(cfg.Arch, params)
	r.dropout = cfg.Dropout
	d, k := cfg.Arch.Inputs, len(y)/n
	plan := NewBatchPlan(n, cfg.BatchSize)
	total, err := plan.Updates(cfg.Steps, cfg.Epochs)
	if err != nil {
		return nil, nil, err
	}
	shuffle, dro := ShuffleRand(cfg.Seed), NewRand(cfg.Seed, streamDropout)
	perm := make([]int32, n)
	rowW := refRowWeights(cfg.ClassWeights, y, n)
	x64, y64 := f64(x), f64(y)
	// Optimizer state: per parameter tensor (W0, b0, W1, b1, …), one slice
	// per state tensor the rule keeps.
	var ps [][]float64
	for l := range r.w {
		ps = append(ps, r.w[l], r.b[l])
	}
	c := cfg.Optim
	rl := c.rule()
	state := make([][][]float64, len(ps))
	for i, p := range ps {
		for range rl.state {
			state[i] = append(state[i], make([]float64, len(p)))
		}
	}
	s := make([]float64, len(rl.state))
	for step := 0; step < total; step++ {
		xb, yb, rows := x64, y64, n
		r.weights = rowW
		if !plan.FullBatch() {
			if plan.StartsEpoch(step) {
				Shuffle(shuffle, perm)
			}
			var off int
			_, off, rows = plan.Batch(step)
			xb, yb = make([]float64, 0, rows*d), make([]float64, 0, rows*k)
			var wb []float64
			for _, row := range perm[off : off+rows] {
				xb = append(xb, x64[int(row)*d:(int(row)+1)*d]...)
				yb = append(yb, y64[int(row)*k:(int(row)+1)*k]...)
				if rowW != nil {
					wb = append(wb, rowW[row])
				}
			}
			r.weights = wb
		}
		if cfg.Dropout > 0 {
			r.seed = dro.Uint64()
		}
		_, gw, gb := r.lossGrad(xb, yb, rows)
		scale := refScale(cfg, rows, k)
		var gs [][]float64
		for l := range gw {
			gs = append(gs, gw[l], gb[l])
		}
		u := update{OptimConfig: c, lr: refLR(cfg.Schedule, c.LR, step, total), step: step + 1}
		for i, p := range ps {
			for j := range p {
				for q := range s {
					s[q] = state[i][q][j]
				}
				g := scale * gs[i][j]
				if i%2 == 0 && p[j] != 0 { // a weight (ps alternates W, b)
					g += c.L1 * math.Copysign(1, p[j])
				}
				p[j] = rl.ref(u, p[j], g, s)
				for q := range s {
					state[i][q][j] = s[q]
				}
			}
		}
	}
	return r.w, r.b, nil
}

// refKeep is the dropout rule every device follows, written out on its
// own: element i is kept when the top 24 bits of the SplitMix64 finaliser
// of seed + i·φ, as a fraction of 2²⁴, are at least p (compared in
// float32, as the devices do).
func refKeep(seed uint64, i int, p float64) bool {
	z := seed + uint64(i)*0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	z ^= z >> 31
	u := float64(z>>40) / (1 << 24)
	return float32(u) >= float32(p)
}

// refRowWeights is each row's class weight (nil without class weights):
// the target of a weighted loss is one class index per row.
func refRowWeights(classWeights []float64, y []float32, n int) []float64 {
	if classWeights == nil {
		return nil
	}
	out := make([]float64, n)
	k := len(y) / n
	for r := range out {
		if c := int(math.Round(float64(y[r*k]))); c >= 0 && c < len(classWeights) {
			out[r] = classWeights[c]
		}
	}
	return out
}

// refScale turns a summed loss gradient over rows rows of k targets into
// the reduced one: the mean divides by every loss term (rows, or rows × k
// for the element-wise losses), the sum by nothing.
func refScale(cfg TrainConfig, rows, k int) float64 {
	switch {
	case cfg.Reduction != Mean:
		return 1
	case cfg.Arch.Loss == device.SoftmaxCE:
		return 1 / float64(rows)
	}
	return 1 / (float64(rows) * float64(k))
}

// refLR is the learning rate of update i of total: a linear warm-up to
// base over the first s.Warmup updates, then base times γ^⌊j/step⌋ (step)
// or MinLR + (base − MinLR)·(1 + cos πj/span)/2 (cosine), j counting the
// updates after warm-up and span their number.
func refLR(s Schedule, base float64, i, total int) float64 {
	if i < s.Warmup {
		return base * float64(i+1) / float64(s.Warmup)
	}
	j := float64(i - s.Warmup)
	span := float64(total - s.Warmup)
	switch s.Kind {
	case StepLR:
		lr := base
		for d := s.StepSize; d <= i-s.Warmup; d += s.StepSize {
			lr *= s.Gamma
		}
		return lr
	case CosineLR:
		if span >= 1 {
			return s.MinLR + (base-s.MinLR)*(1+math.Cos(math.Pi*j/span))/2
		}
	}
	return base
}
