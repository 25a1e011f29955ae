package cpu

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/sysmem"
)

// FreeMemory returns the host memory this process may still allocate (the
// CPU backend's buffers live there): see device.MemoryReporter.
func (d *Device) FreeMemory() (uint64, string, bool) { return sysmem.Available() }

// allocSlack is the readable room (in floats, zero and never written) that
// Alloc leaves past every buffer's end: sgemm's kernels read whole slivers
// of A and B in place, also past an operand's last row or column (lanes
// they never store), as far as its capacity allows; without the room the
// last slivers of the thin products nn runs (rows of 41 inputs, 20 units)
// are packed instead, which splits each product into phases.
const allocSlack = 1024

// Alloc returns a buffer of n elements.
func (d *Device) Alloc(n int) (device.Buffer, error) {
	if n < 0 {
		return nil, fmt.Errorf("cpu: negative allocation size %d", n)
	}
	return &Buffer{data: make([]float32, n, n+allocSlack)}, nil
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

// GatherRows copies dst[i,:] = src[idx[idxOffset+i],:].
func (d *Device) GatherRows(src device.Buffer, idx device.IndexBuffer, idxOffset int, dst device.Buffer, rows, cols int) {
	sd, dd, id := f32(src), f32(dst), idx.(*IndexBuffer).data[idxOffset:idxOffset+rows]
	for i, j := range id {
		copy(dd[i*cols:(i+1)*cols], sd[int(j)*cols:(int(j)+1)*cols])
	}
}
