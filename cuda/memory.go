//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/gputrain/gputrain/device"
	"gorgonia.org/cu"
)

// FreeMemory returns the device memory the driver reports free plus the
// allocations this backend pools for reuse: see device.MemoryReporter.
func (d *Device) FreeMemory() (uint64, string, bool) {
	if d.closed {
		return 0, "", false
	}
	var free int64
	var err error
	var pooled int64
	d.call(func() {
		free, _, err = cu.MemInfo()
		for size, l := range d.pool {
			pooled += size * int64(len(l))
		}
	})
	if err != nil || free < 0 {
		return 0, "", false
	}
	return uint64(free) + uint64(pooled), "free device memory", true
}

// mem is a device allocation seen from the caller's side.
type mem struct {
	d     *Device
	ptr   cu.DevicePtr
	n     int   // elements
	bytes int64 // size of the allocation (pool key)
	freed bool
}

// Len is the number of elements.
func (m *mem) Len() int { return m.n }

// Buffer is a device array of float32.
type Buffer struct{ mem }

// IndexBuffer is a device array of int32.
type IndexBuffer struct{ mem }

// maxElems is the largest buffer, in elements, the backend allocates: the
// kernels take element counts as 32-bit ints.
const maxElems = math.MaxInt32

// allocBytes returns device memory of exactly bytes bytes, reusing a pooled
// allocation of that size when there is one (CUDA goroutine).
func (d *Device) allocBytes(bytes int64) (cu.DevicePtr, error) {
	if d.err != nil {
		return 0, d.err
	}
	if l := d.pool[bytes]; len(l) > 0 {
		p := l[len(l)-1]
		d.pool[bytes] = l[:len(l)-1]
		d.inUse += bytes
		return p, nil
	}
	p, err := cu.MemAlloc(bytes)
	if err != nil && d.drainPool() {
		p, err = cu.MemAlloc(bytes)
	}
	if err != nil {
		d.fail(fmt.Errorf("%s: allocating %d bytes (%.1f MiB in use): %w", d.name, bytes, float64(d.inUse)/(1<<20), err))
		return 0, d.err
	}
	d.allocs[p] = bytes
	d.inUse += bytes
	return p, nil
}

// drainPool frees the pooled allocations (to retry an allocation that ran out
// of memory) and reports whether there were any.
func (d *Device) drainPool() bool {
	any := false
	for size, l := range d.pool {
		for _, p := range l {
			if cu.MemFree(p) == nil {
				delete(d.allocs, p)
			}
			any = true
		}
		delete(d.pool, size)
	}
	return any
}

func (d *Device) allocMem(n int, what string) (mem, error) {
	if d.closed {
		return mem{}, fmt.Errorf("%s: %w", d.name, errClosed)
	}
	if n < 0 || n > maxElems {
		return mem{}, fmt.Errorf("%s: %s(%d): the size must be between 0 and %d elements", d.name, what, n, maxElems)
	}
	bytes := 4 * int64(max(n, 1))
	var p cu.DevicePtr
	var err error
	d.call(func() { p, err = d.allocBytes(bytes) })
	if err != nil {
		return mem{}, err
	}
	return mem{d: d, ptr: p, n: n, bytes: bytes}, nil
}

// Alloc returns a buffer of n float32s with unspecified contents, reusing a
// freed buffer of the same size when there is one.
func (d *Device) Alloc(n int) (device.Buffer, error) {
	m, err := d.allocMem(n, "Alloc")
	if err != nil {
		return nil, err
	}
	return &Buffer{m}, nil
}

// AllocIndex returns a buffer of n int32s with unspecified contents.
func (d *Device) AllocIndex(n int) (device.IndexBuffer, error) {
	m, err := d.allocMem(n, "AllocIndex")
	if err != nil {
		return nil, err
	}
	return &IndexBuffer{m}, nil
}

func (d *Device) freeMem(m *mem) {
	if m.d != d {
		panic(fmt.Sprintf("%s: Free of a buffer that belongs to another device", d.name))
	}
	if m.freed || d.closed {
		return
	}
	m.freed = true
	c := d.push(cmdFree)
	c.args[0], c.args[1] = uint64(m.ptr), uint64(m.bytes)
	d.pushed()
}

// Free returns b's memory to the device's pool.
func (d *Device) Free(b device.Buffer) { d.freeMem(&d.fbuf("Free", "b", b, 0).mem) }

// FreeIndex returns b's memory to the device's pool.
func (d *Device) FreeIndex(b device.IndexBuffer) {
	x, ok := b.(*IndexBuffer)
	if !ok {
		panic(fmt.Sprintf("%s: FreeIndex: %T is not a CUDA index buffer", d.name, b))
	}
	d.freeMem(&x.mem)
}

// fbuf checks that b is a live float32 buffer of this device holding at
// least need elements; a violation is a programming error and panics.
func (d *Device) fbuf(op, arg string, b device.Buffer, need int) *Buffer {
	x, ok := b.(*Buffer)
	if !ok || x == nil {
		panic(fmt.Sprintf("%s: %s: %s is %T, not a CUDA buffer", d.name, op, arg, b))
	}
	d.check(op, arg, &x.mem, need)
	return x
}

func (d *Device) ibuf(op, arg string, b device.IndexBuffer, need int) *IndexBuffer {
	x, ok := b.(*IndexBuffer)
	if !ok || x == nil {
		panic(fmt.Sprintf("%s: %s: %s is %T, not a CUDA index buffer", d.name, op, arg, b))
	}
	d.check(op, arg, &x.mem, need)
	return x
}

func (d *Device) check(op, arg string, m *mem, need int) {
	switch {
	case m.d != d:
		panic(fmt.Sprintf("%s: %s: %s belongs to another device", d.name, op, arg))
	case m.freed:
		panic(fmt.Sprintf("%s: %s: %s is used after Free", d.name, op, arg))
	case need > m.n:
		panic(fmt.Sprintf("%s: %s: %s needs %d elements, the buffer holds %d", d.name, op, arg, need, m.n))
	}
}

// Upload copies src into dst[0:len(src)]; it returns once src may be reused.
func (d *Device) Upload(dst device.Buffer, src []float32) {
	x := d.fbuf("Upload", "dst", dst, len(src))
	if len(src) > 0 {
		d.upload(x.ptr, unsafe.Pointer(&src[0]), 4*int64(len(src)))
	}
}

// UploadIndex copies src into dst[0:len(src)].
func (d *Device) UploadIndex(dst device.IndexBuffer, src []int32) {
	x := d.ibuf("UploadIndex", "dst", dst, len(src))
	if len(src) > 0 {
		d.upload(x.ptr, unsafe.Pointer(&src[0]), 4*int64(len(src)))
	}
}

// Uploads go through a page-locked staging area (cuMemHostAlloc): the caller
// copies src into it and queues the copy to the device, which the GPU then
// runs asynchronously, in stream order, without draining the stream. The
// area is filled front to back and starts over after each synchronisation
// (Download, Synchronize), when every queued copy has read its part; only an
// upload that does not fit in what is left synchronises first (and grows the
// area if it is too small for it). Without page-locked memory (cuMemHostAlloc
// refused), uploads copy from pageable memory, which the driver stages
// before returning.

// minStaging is the staging area's first size: every upload of a small
// network's training loop (a batch order per epoch) fits many times over.
const minStaging = 4 << 20

func (d *Device) upload(dst cu.DevicePtr, src unsafe.Pointer, bytes int64) {
	if d.closed {
		return
	}
	if d.stageCap-d.stageUsed < bytes && !d.noPinned {
		d.call(func() {
			d.syncStream()
			d.growStaging(bytes)
		})
		d.stageUsed = 0
	}
	if d.noPinned || d.stage == nil {
		d.call(func() {
			if d.err != nil {
				return
			}
			d.counts.Copies++
			d.counts.CopyBytes += bytes
			if err := cu.MemcpyHtoDAsync(dst, src, bytes, d.stream); err != nil {
				d.fail(fmt.Errorf("%s: Upload of %d bytes: %w", d.name, bytes, err))
			}
		})
		return
	}
	at := unsafe.Add(d.stage, d.stageUsed)
	copy(unsafe.Slice((*byte)(at), bytes), unsafe.Slice((*byte)(src), bytes))
	d.stageUsed += (bytes + 63) &^ 63
	c := d.push(cmdUpload)
	c.args[0], c.args[2], c.host = uint64(dst), uint64(bytes), at
	d.pushed()
}

// growStaging makes the staging area hold at least bytes (CUDA goroutine,
// stream idle). When the driver refuses page-locked memory, uploads fall
// back to pageable copies for the device's lifetime.
func (d *Device) growStaging(bytes int64) {
	if d.stageCap >= bytes || d.err != nil {
		return
	}
	size := max(int64(minStaging), 2*d.stageCap, (bytes+minStaging-1)/minStaging*minStaging)
	if d.stage != nil {
		if err := memFreeHost(d.stage); err != nil {
			d.fail(fmt.Errorf("%s: freeing the upload staging area: %w", d.name, err))
			return
		}
		d.stage, d.stageCap = nil, 0
	}
	p, err := memHostAlloc(size)
	if err != nil {
		d.noPinned = true
		return
	}
	d.stage, d.stageCap = p, size
}

// Download waits for the queued work and copies src[0:len(dst)] into dst.
func (d *Device) Download(dst []float32, src device.Buffer) error {
	if d.closed {
		return fmt.Errorf("%s: %w", d.name, errClosed)
	}
	x := d.fbuf("Download", "src", src, len(dst))
	var err error
	d.call(func() {
		if d.err == nil && len(dst) > 0 {
			bytes := 4 * int64(len(dst))
			d.counts.Copies++
			d.counts.CopyBytes += bytes
			if e := cu.MemcpyDtoHAsync(unsafe.Pointer(&dst[0]), x.ptr, bytes, d.stream); e != nil {
				d.fail(fmt.Errorf("%s: Download of %d bytes: %w", d.name, bytes, e))
			}
		}
		d.syncStream()
		err = d.err
	})
	d.stageUsed = 0
	return err
}

// Fill sets dst[0:n] to v.
func (d *Device) Fill(dst device.Buffer, n int, v float32) {
	nonNeg("Fill", n)
	x := d.fbuf("Fill", "dst", dst, n)
	if n == 0 {
		return
	}
	d.launchFill(flatGrid(n), block1(threads), x.ptr, n, v)
}

// Copy copies src[0:n] to dst[0:n] on the device.
func (d *Device) Copy(dst, src device.Buffer, n int) {
	nonNeg("Copy", n)
	xd, xs := d.fbuf("Copy", "dst", dst, n), d.fbuf("Copy", "src", src, n)
	if n == 0 || d.closed {
		return
	}
	c := d.push(cmdCopy)
	c.args[0], c.args[1], c.args[2] = uint64(xd.ptr), uint64(xs.ptr), 4*uint64(n)
	d.pushed()
}

// GatherRows copies dst[i,:] = src[idx[idxOffset+i],:] for i < rows.
func (d *Device) GatherRows(src device.Buffer, idx device.IndexBuffer, idxOffset int, dst device.Buffer, rows, cols int) {
	const op = "GatherRows"
	nonNeg(op, idxOffset, rows, cols)
	xs := d.fbuf(op, "src", src, 0)
	xi := d.ibuf(op, "idx", idx, idxOffset+rows)
	xd := d.fbuf(op, "dst", dst, rows*cols)
	if rows*cols == 0 {
		return
	}
	srcRows := xs.n / cols // an index ≥ srcRows writes NaN rather than reading out of bounds
	d.launchGatherRows(flatGrid(rows*cols), block1(threads), xs.ptr, srcRows, xi.ptr, idxOffset, xd.ptr, rows, cols)
}
