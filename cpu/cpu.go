// Package cpu is gputrain's pure-Go compute backend. It is always built, runs
// everywhere Go runs, and is the reference the CUDA backend is checked
// against. Matrix products go through gonum's BLAS; every other operation is
// a plain loop over float32 slices.
package cpu

import (
	"errors"
	"fmt"
	"math"
	"runtime"

	"github.com/gputrain/gputrain/device"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

func init() {
	device.Register("cpu", 0, func(index int) (device.Device, error) {
		if index != 0 {
			return nil, fmt.Errorf("invalid device \"cpu:%d\": there is one CPU device, cpu", index)
		}
		return New(), nil
	}, func() ([]string, error) {
		return []string{New().Describe()}, nil
	})
}

// Buffer is a CPU-resident float32 array.
type Buffer struct{ data []float32 }

// Len returns the number of elements.
func (b *Buffer) Len() int { return len(b.data) }

// Data exposes the backing slice (for tests and host-side code on the CPU).
func (b *Buffer) Data() []float32 { return b.data }

// IndexBuffer is a CPU-resident int32 array.
type IndexBuffer struct{ data []int32 }

// Len returns the number of elements.
func (b *IndexBuffer) Len() int { return len(b.data) }

// Device is the pure-Go CPU backend. Its operations run synchronously.
type Device struct{ closed bool }

// New returns a CPU device.
func New() *Device { return &Device{} }

// Name returns "cpu".
func (d *Device) Name() string { return "cpu" }

// Describe names the CPU architecture and thread count.
func (d *Device) Describe() string {
	return fmt.Sprintf("cpu: pure Go, %s/%s, %d threads (GOMAXPROCS), gonum BLAS", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
}

func f32(b device.Buffer) []float32 { return b.(*Buffer).data }

// Alloc returns a buffer of n elements.
func (d *Device) Alloc(n int) (device.Buffer, error) {
	if n < 0 {
		return nil, fmt.Errorf("cpu: negative allocation size %d", n)
	}
	return &Buffer{data: make([]float32, n)}, nil
}

// AllocIndex returns an index buffer of n elements.
func (d *Device) AllocIndex(n int) (device.IndexBuffer, error) {
	if n < 0 {
		return nil, fmt.Errorf("cpu: negative allocation size %d", n)
	}
	return &IndexBuffer{data: make([]int32, n)}, nil
}

// Free drops the buffer's storage.
func (d *Device) Free(b device.Buffer) { b.(*Buffer).data = nil }

// FreeIndex drops the index buffer's storage.
func (d *Device) FreeIndex(b device.IndexBuffer) { b.(*IndexBuffer).data = nil }

// Upload copies src into dst.
func (d *Device) Upload(dst device.Buffer, src []float32) { copy(f32(dst)[:len(src)], src) }

// UploadIndex copies src into dst.
func (d *Device) UploadIndex(dst device.IndexBuffer, src []int32) {
	copy(dst.(*IndexBuffer).data[:len(src)], src)
}

// Download copies src's first len(dst) elements into dst.
func (d *Device) Download(dst []float32, src device.Buffer) error {
	copy(dst, f32(src)[:len(dst)])
	return nil
}

// Fill sets dst[0:n] to v.
func (d *Device) Fill(dst device.Buffer, n int, v float32) {
	x := f32(dst)[:n]
	for i := range x {
		x[i] = v
	}
}

// Copy copies src[0:n] to dst[0:n].
func (d *Device) Copy(dst, src device.Buffer, n int) { copy(f32(dst)[:n], f32(src)[:n]) }

// Gemm computes C = alpha·op(A)·op(B) + beta·C with gonum's Sgemm.
func (d *Device) Gemm(transA, transB bool, m, n, k int, alpha float32, a, b device.Buffer, beta float32, c device.Buffer) {
	if m == 0 || n == 0 {
		return
	}
	cd := f32(c)[:m*n]
	if beta == 0 {
		clear(cd)
	}
	if k == 0 {
		if beta != 0 && beta != 1 {
			for i := range cd {
				cd[i] *= beta
			}
		}
		return
	}
	ta, lda := blas.NoTrans, k
	if transA {
		ta, lda = blas.Trans, m
	}
	tb, ldb := blas.NoTrans, n
	if transB {
		tb, ldb = blas.Trans, k
	}
	blas32.Implementation().Sgemm(ta, tb, m, n, k, alpha, f32(a)[:m*k], lda, f32(b)[:k*n], ldb, beta, cd, n)
}

// Activate applies act to one value; it is the scalar reference used by the
// CPU backend.
func Activate(act device.Activation, z float32) float32 {
	switch act {
	case device.Tanh:
		return float32(math.Tanh(float64(z)))
	case device.ReLU:
		if z > 0 {
			return z
		}
		return 0
	case device.Sigmoid:
		return sigmoid(z)
	}
	return z
}

// ActivationDerivative returns act'(z) expressed through out = act(z).
func ActivationDerivative(act device.Activation, out float32) float32 {
	switch act {
	case device.Tanh:
		return 1 - out*out
	case device.ReLU:
		if out > 0 {
			return 1
		}
		return 0
	case device.Sigmoid:
		return out * (1 - out)
	}
	return 1
}

func sigmoid(z float32) float32 {
	if z >= 0 {
		return float32(1 / (1 + math.Exp(-float64(z))))
	}
	e := math.Exp(float64(z))
	return float32(e / (1 + e))
}

// BiasActivation computes out[r,c] = act(z[r,c] + bias[c]).
func (d *Device) BiasActivation(act device.Activation, z, bias, out device.Buffer, rows, cols int) {
	zd, bd, od := f32(z)[:rows*cols], f32(bias)[:cols], f32(out)[:rows*cols]
	for r := 0; r < rows; r++ {
		zr, or := zd[r*cols:(r+1)*cols], od[r*cols:(r+1)*cols]
		for c, b := range bd {
			or[c] = Activate(act, zr[c]+b)
		}
	}
}

// ActivationBackward computes dz = dout·act'(out).
func (d *Device) ActivationBackward(act device.Activation, out, dout, dz device.Buffer, n int) {
	od, gd, zd := f32(out)[:n], f32(dout)[:n], f32(dz)[:n]
	for i := range zd {
		zd[i] = gd[i] * ActivationDerivative(act, od[i])
	}
}

// ColumnSums computes out[c] = Σ_r x[r,c], accumulating in float64.
func (d *Device) ColumnSums(x device.Buffer, rows, cols int, out device.Buffer) {
	xd, od := f32(x)[:rows*cols], f32(out)[:cols]
	acc := make([]float64, cols)
	for r := 0; r < rows; r++ {
		for c, v := range xd[r*cols : (r+1)*cols] {
			acc[c] += float64(v)
		}
	}
	for c, v := range acc {
		od[c] = float32(v)
	}
}

// LossGrad computes the loss sum into lossOut[lossAt] and the scaled gradient.
func (d *Device) LossGrad(loss device.Loss, logits, targets, grad device.Buffer, rows, cols int, gradScale float32, lossOut device.Buffer, lossAt int) {
	zd, gd := f32(logits)[:rows*cols], f32(grad)[:rows*cols]
	var sum float64
	switch loss {
	case device.Logistic:
		yd := f32(targets)[:rows*cols]
		for i, z := range zd {
			z64 := float64(z)
			sum += math.Max(z64, 0) + math.Log1p(math.Exp(-math.Abs(z64))) - float64(yd[i])*z64
			gd[i] = gradScale * (sigmoid(z) - yd[i])
		}
	case device.MSE:
		yd := f32(targets)[:rows*cols]
		for i, z := range zd {
			r := z - yd[i]
			sum += float64(r) * float64(r)
			gd[i] = gradScale * 2 * r
		}
	case device.SoftmaxCE:
		yd := f32(targets)[:rows]
		for r := 0; r < rows; r++ {
			zr, gr := zd[r*cols:(r+1)*cols], gd[r*cols:(r+1)*cols]
			maxZ := zr[0]
			for _, z := range zr {
				maxZ = max(maxZ, z)
			}
			var s float64
			for _, z := range zr {
				s += math.Exp(float64(z - maxZ))
			}
			label := int(yd[r])
			sum += math.Log(s) + float64(maxZ) - float64(zr[label])
			for c, z := range zr {
				p := float32(math.Exp(float64(z-maxZ)) / s)
				if c == label {
					p--
				}
				gr[c] = gradScale * p
			}
		}
	default:
		panic(fmt.Sprintf("cpu: unknown loss %v", loss))
	}
	f32(lossOut)[lossAt] = float32(sum)
}

// GatherRows copies dst[i,:] = src[idx[idxOffset+i],:].
func (d *Device) GatherRows(src device.Buffer, idx device.IndexBuffer, idxOffset int, dst device.Buffer, rows, cols int) {
	sd, dd, id := f32(src), f32(dst), idx.(*IndexBuffer).data[idxOffset:idxOffset+rows]
	for i, j := range id {
		copy(dd[i*cols:(i+1)*cols], sd[int(j)*cols:(int(j)+1)*cols])
	}
}

// Dropout draws the mask from device.DropoutKeep and applies it to x.
func (d *Device) Dropout(x, mask device.Buffer, n int, p float32, seed uint64) {
	xd, md := f32(x)[:n], f32(mask)[:n]
	scale := 1 / (1 - p)
	for i := range xd {
		if device.DropoutKeep(seed, i, p) {
			md[i] = scale
		} else {
			md[i] = 0
		}
		xd[i] *= md[i]
	}
}

// Mul computes out = a·b element-wise.
func (d *Device) Mul(a, b, out device.Buffer, n int) {
	ad, bd, od := f32(a)[:n], f32(b)[:n], f32(out)[:n]
	for i := range od {
		od[i] = ad[i] * bd[i]
	}
}

// SGDStep does p -= lr·(g + weightDecay·p).
func (d *Device) SGDStep(p, g device.Buffer, n int, lr, weightDecay float32) {
	pd, gd := f32(p)[:n], f32(g)[:n]
	for i := range pd {
		pd[i] -= lr * (gd[i] + weightDecay*pd[i])
	}
}

// MomentumStep does PyTorch's SGD with momentum.
func (d *Device) MomentumStep(p, g, v device.Buffer, n int, lr, momentum, weightDecay float32) {
	pd, gd, vd := f32(p)[:n], f32(g)[:n], f32(v)[:n]
	for i := range pd {
		vd[i] = momentum*vd[i] + gd[i] + weightDecay*pd[i]
		pd[i] -= lr * vd[i]
	}
}

// AdamStep does PyTorch's Adam with L2 weight decay.
func (d *Device) AdamStep(p, g, m, v device.Buffer, n int, lr, beta1, beta2, eps, weightDecay float32, step int) {
	pd, gd, md, vd := f32(p)[:n], f32(g)[:n], f32(m)[:n], f32(v)[:n]
	bc1 := float32(1 - math.Pow(float64(beta1), float64(step)))
	bc2 := float32(1 - math.Pow(float64(beta2), float64(step)))
	for i := range pd {
		gi := gd[i] + weightDecay*pd[i]
		md[i] = beta1*md[i] + (1-beta1)*gi
		vd[i] = beta2*vd[i] + (1-beta2)*gi*gi
		mHat := md[i] / bc1
		vHat := vd[i] / bc2
		pd[i] -= lr * mHat / (float32(math.Sqrt(float64(vHat))) + eps)
	}
}

// Err always reports nil unless the device was closed.
func (d *Device) Err() error {
	if d.closed {
		return errors.New("cpu: device used after Close")
	}
	return nil
}

// Synchronize reports Err; CPU operations are synchronous.
func (d *Device) Synchronize() error { return d.Err() }

// Close marks the device closed.
func (d *Device) Close() error { d.closed = true; return nil }
