// Package vec holds the CPU backend's element-wise kernels: activations and
// their derivatives, bias addition, column sums, the logistic loss, and the
// optimizer updates. Each has an AVX2+FMA assembly version (vec_amd64.s,
// written by gen/main.go; used at levels AVX2 and AVX512) and a plain-Go
// version (level Generic). Functions here are single-threaded and allocate
// nothing; the caller splits large inputs over workers.
//
// The assembly handles whole groups of 8 elements; a tail of fewer than 8
// goes through the same assembly on a zero-padded copy, so every element of
// a call is computed by the same code. The optimizer updates instead finish
// their tail in Go, which therefore rounds as the assembly does: no fused
// multiply-add on either side (the float32 conversions keep the compiler
// from fusing at GOAMD64=v3 or on arm64), so an update is bit for bit the
// same at every level and wherever an element lies in the call.
//
//go:generate go run ./gen
package vec

import "math"

// kind names an assembly kernel for unary and grad3. (A switch rather
// than a func value keeps the padded tail arrays on the stack.)
type kind int

const (
	kTanh kind = iota
	kSigmoid
	kReLU
	kTanhGrad
	kSigmoidGrad
	kReLUGrad
	kMul
)

func call1(k kind, dst, src *float32, n int) {
	switch k {
	case kTanh:
		tanhAVX2(dst, src, n)
	case kSigmoid:
		sigmoidAVX2(dst, src, n)
	case kReLU:
		reluAVX2(dst, src, n)
	}
}

func call2(k kind, dz, o, dout *float32, n int) {
	switch k {
	case kTanhGrad:
		tanhGradAVX2(dz, o, dout, n)
	case kSigmoidGrad:
		sigmoidGradAVX2(dz, o, dout, n)
	case kReLUGrad:
		reluGradAVX2(dz, o, dout, n)
	case kMul:
		mulAVX2(dz, o, dout, n)
	}
}

// unary applies kernel kern to src, writing dst (which may be src).
func unary(dst, src []float32, kern kind) {
	n := len(dst)
	src = src[:n]
	n8 := n &^ 7
	if n8 > 0 {
		call1(kern, &dst[0], &src[0], n8)
	}
	if n8 < n {
		var a, b [8]float32
		copy(a[:], src[n8:])
		call1(kern, &b[0], &a[0], 8)
		copy(dst[n8:], b[:n-n8])
	}
}

// Tanh sets dst[i] = tanh(src[i]); dst may be src.
func Tanh(dst, src []float32) {
	if asm() {
		unary(dst, src, kTanh)
		return
	}
	for i, z := range src[:len(dst)] {
		dst[i] = float32(math.Tanh(float64(z)))
	}
}

// Sigmoid sets dst[i] = 1/(1+exp(−src[i])); dst may be src.
func Sigmoid(dst, src []float32) {
	if asm() {
		unary(dst, src, kSigmoid)
		return
	}
	for i, z := range src[:len(dst)] {
		dst[i] = SigmoidScalar(z)
	}
}

// SigmoidScalar is the plain-Go sigmoid, computed in float64 from the side
// where exp cannot overflow.
func SigmoidScalar(z float32) float32 {
	if z >= 0 {
		return float32(1 / (1 + math.Exp(-float64(z))))
	}
	e := math.Exp(float64(z))
	return float32(e / (1 + e))
}

// ReLU sets dst[i] = max(src[i], 0) (0 for NaN); dst may be src.
func ReLU(dst, src []float32) {
	if asm() {
		unary(dst, src, kReLU)
		return
	}
	for i, z := range src[:len(dst)] {
		if z > 0 {
			dst[i] = z
		} else {
			dst[i] = 0
		}
	}
}

// AddBias sets out[r*cols+c] = z[r*cols+c] + bias[c] for a rows×cols
// matrix; out may be z.
func AddBias(out, z, bias []float32, rows, cols int) {
	out, z, bias = out[:rows*cols], z[:rows*cols], bias[:cols]
	if asm() && cols >= 8 && rows > 0 {
		addBiasAVX2(&out[0], &z[0], &bias[0], rows, cols, cols)
		return
	}
	for r := 0; r < rows; r++ {
		o, zr := out[r*cols:(r+1)*cols], z[r*cols:(r+1)*cols]
		for c, b := range bias {
			o[c] = zr[c] + b
		}
	}
}

// ColSums adds Σ_r x[r*ld+c] to acc[c] for the rows×cols matrix with row
// stride ld at x, accumulating in float64 row by row.
func ColSums(acc []float64, x []float32, rows, cols, ld int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	acc, x = acc[:cols], x[:(rows-1)*ld+cols]
	c0 := 0
	if asm() && cols >= 4 {
		c0 = cols &^ 3
		colSumsAVX2(&acc[0], &x[0], rows, c0, ld)
		if c0 == cols {
			return
		}
	}
	for r := 0; r < rows; r++ {
		for c, v := range x[r*ld+c0 : r*ld+cols] {
			acc[c0+c] += float64(v)
		}
	}
}

// grad3 runs a derivative kernel over whole groups of 8 and a padded tail.
func grad3(dz, o, dout []float32, kern kind) {
	n := len(dz)
	o, dout = o[:n], dout[:n]
	n8 := n &^ 7
	if n8 > 0 {
		call2(kern, &dz[0], &o[0], &dout[0], n8)
	}
	if n8 < n {
		var a, b, d [8]float32
		copy(a[:], o[n8:])
		copy(b[:], dout[n8:])
		call2(kern, &d[0], &a[0], &b[0], 8)
		copy(dz[n8:], d[:n-n8])
	}
}

// TanhGrad sets dz[i] = dout[i]·(1 − o[i]²); dz may be dout.
func TanhGrad(dz, o, dout []float32) {
	if asm() {
		grad3(dz, o, dout, kTanhGrad)
		return
	}
	for i, v := range o[:len(dz)] {
		dz[i] = dout[i] * (1 - v*v)
	}
}

// SigmoidGrad sets dz[i] = dout[i]·o[i]·(1 − o[i]); dz may be dout.
func SigmoidGrad(dz, o, dout []float32) {
	if asm() {
		grad3(dz, o, dout, kSigmoidGrad)
		return
	}
	for i, v := range o[:len(dz)] {
		dz[i] = dout[i] * (v * (1 - v))
	}
}

// ReLUGrad sets dz[i] = dout[i] where o[i] > 0 and 0 elsewhere; dz may be dout.
func ReLUGrad(dz, o, dout []float32) {
	if asm() {
		grad3(dz, o, dout, kReLUGrad)
		return
	}
	for i, v := range o[:len(dz)] {
		if v > 0 {
			dz[i] = dout[i]
		} else {
			dz[i] = 0
		}
	}
}

// Mul sets dst[i] = a[i]·b[i]; dst may be a or b.
func Mul(dst, a, b []float32) {
	if asm() {
		grad3(dst, a, b, kMul)
		return
	}
	for i, v := range a[:len(dst)] {
		dst[i] = v * b[i]
	}
}

// Logistic computes, for logits z and 0/1 targets y, grad[i] =
// scale·(sigmoid(z[i]) − y[i]) and the per-element loss
// loss[i] = max(z,0) − y·z + log1p(exp(−|z|)) (never overflowing).
func Logistic(z, y, grad, loss []float32, scale float32) {
	n := len(z)
	y, grad, loss = y[:n], grad[:n], loss[:n]
	if asm() {
		n8 := n &^ 7
		if n8 > 0 {
			logisticAVX2(&z[0], &y[0], &grad[0], &loss[0], n8, scale)
		}
		if n8 < n {
			var a, b, g, l [8]float32
			copy(a[:], z[n8:])
			copy(b[:], y[n8:])
			logisticAVX2(&a[0], &b[0], &g[0], &l[0], 8, scale)
			copy(grad[n8:], g[:n-n8])
			copy(loss[n8:], l[:n-n8])
		}
		return
	}
	for i, zi := range z {
		z64 := float64(zi)
		loss[i] = float32((math.Max(z64, 0) - float64(y[i])*z64) + math.Log1p(math.Exp(-math.Abs(z64))))
		grad[i] = scale * (SigmoidScalar(zi) - y[i])
	}
}

// SGD does p[i] −= lr·(g[i] + wd·p[i]).
func SGD(p, g []float32, lr, wd float32) {
	n := len(p)
	g = g[:n]
	if asm() {
		n8 := n &^ 7
		if n8 > 0 {
			sgdAVX2(&p[0], &g[0], n8, lr, wd)
		}
		p, g = p[n8:], g[n8:]
	}
	for i := range p {
		p[i] -= float32(lr * (g[i] + float32(wd*p[i])))
	}
}

// Momentum does v = mom·v + g + wd·p; p −= lr·v.
func Momentum(p, g, v []float32, lr, mom, wd float32) {
	n := len(p)
	g, v = g[:n], v[:n]
	if asm() {
		n8 := n &^ 7
		if n8 > 0 {
			momentumAVX2(&p[0], &g[0], &v[0], n8, lr, mom, wd)
		}
		p, g, v = p[n8:], g[n8:], v[n8:]
	}
	for i := range p {
		v[i] = float32(mom*v[i]) + g[i] + float32(wd*p[i])
		p[i] -= float32(lr * v[i])
	}
}

// AdamConsts are one Adam step's scalars: the learning rate, β1, 1−β1, β2,
// 1−β2, ε, the weight decay, and the reciprocal bias corrections
// 1/(1−β1^t) and 1/(1−β2^t).
type AdamConsts [9]float32

// NewAdamConsts computes the constants for update number step (1-based).
func NewAdamConsts(lr, beta1, beta2, eps, wd float32, step int) *AdamConsts {
	k := new(AdamConsts)
	k.Set(lr, beta1, beta2, eps, wd, step)
	return k
}

// Set fills k for update number step (1-based).
func (k *AdamConsts) Set(lr, beta1, beta2, eps, wd float32, step int) {
	bc1 := 1 - math.Pow(float64(beta1), float64(step))
	bc2 := 1 - math.Pow(float64(beta2), float64(step))
	*k = AdamConsts{lr, beta1, 1 - beta1, beta2, 1 - beta2, eps, wd, float32(1 / bc1), float32(1 / bc2)}
}

// Adam does PyTorch's Adam update (L2 weight decay added to the gradient):
// d = g + wd·p; m = β1·m + (1−β1)·d; v = β2·v + (1−β2)·d²;
// p −= lr·(m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + ε).
func Adam(p, g, m, v []float32, k *AdamConsts) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	if asm() {
		n8 := n &^ 7
		if n8 > 0 {
			adamAVX2(&p[0], &g[0], &m[0], &v[0], n8, (*[9]float32)(k))
		}
		p, g, m, v = p[n8:], g[n8:], m[n8:], v[n8:]
	}
	lr, b1, ob1, b2, ob2, eps, wd, r1, r2 := k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8]
	for i := range p {
		d := g[i] + float32(wd*p[i])
		m[i] = float32(b1*m[i]) + float32(ob1*d)
		v[i] = float32(b2*v[i]) + float32(ob2*(d*d))
		p[i] -= lr * (m[i] * r1) / (float32(math.Sqrt(float64(v[i]*r2))) + eps)
	}
}
