// Package cpu is gputrain's pure-Go compute backend. It is always built, runs
// everywhere Go runs, and is the reference the CUDA backend is checked
// against. Matrix products go through a packed, cache-blocked sgemm and the
// element-wise operations through vectorised kernels, both with Go assembly
// for AVX-512 and AVX2+FMA chosen at run time and a plain-Go path for other
// CPUs (fast.go, internal/sgemm, internal/vec); large operations are split
// over a fixed pool of worker goroutines.
package cpu

import (
	"errors"
	"fmt"
	"math"

	"github.com/gputrain/gputrain/device"
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
type Device struct {
	closed bool
	fast   // scratch for the fast paths (fast.go)
}

// New returns a CPU device.
func New() *Device { return &Device{} }

// Name returns "cpu".
func (d *Device) Name() string { return "cpu" }

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

func sigmoid(z float32) float32 {
	if z >= 0 {
		return float32(1 / (1 + math.Exp(-float64(z))))
	}
	e := math.Exp(float64(z))
	return float32(e / (1 + e))
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
