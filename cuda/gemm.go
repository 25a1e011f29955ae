//go:build cuda

package cuda

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
	"gorgonia.org/cu"
)

// stridedSpan is the number of elements a buffer must hold for count
// matrices stored rows×cols, rows ld apart, matrix g at g·stride; it panics
// when ld is less than the stored width.
func (d *Device) stridedSpan(op, arg string, rows, cols, ld, stride, count int) int {
	if ld < cols {
		panic(fmt.Sprintf("%s: %s: leading dimension %d of %s is less than its %d stored columns", d.name, op, ld, arg, cols))
	}
	if rows == 0 || cols == 0 || count == 0 {
		return 0
	}
	return (count-1)*stride + (rows-1)*ld + cols
}

// GemmStrided computes, for g < count, C_g = alpha·op(A_g)·op(B_g) + beta·C_g
// where X_g starts at element g·strideX of X and consecutive rows of A, B
// and C (as stored) are lda, ldb and ldc elements apart (op(A) m×k, op(B)
// k×n; A_g is stored k×m when transA, B_g n×k when transB). beta == 0
// ignores C's contents; a stride of 0 shares one A or B across the batch.
// The C_g must not overlap. One launch (gemm_strided_xx, blockIdx.z = g),
// or, when m×n is too small to fill the GPU and k is large (splitK), two:
// gemm_splitk_xx's partial products over k slices and gemm_splitk_reduce.
func (d *Device) GemmStrided(transA, transB bool, m, n, k int, alpha float32, a device.Buffer, lda, strideA int, b device.Buffer, ldb, strideB int, beta float32, c device.Buffer, ldc, strideC int, count int) {
	const op = "GemmStrided"
	nonNeg(op, m, n, k, lda, strideA, ldb, strideB, ldc, strideC, count)
	ra, ca := m, k
	if transA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if transB {
		rb, cb = n, k
	}
	xa := d.fbuf(op, "a", a, d.stridedSpan(op, "a", ra, ca, lda, strideA, count))
	xb := d.fbuf(op, "b", b, d.stridedSpan(op, "b", rb, cb, ldb, strideB, count))
	xc := d.fbuf(op, "c", c, d.stridedSpan(op, "c", m, n, ldc, strideC, count))
	if count > 1 && m > 0 && n > 0 && strideC < (m-1)*ldc+n && (strideC < n || (count-1)*strideC+n > ldc) {
		panic(fmt.Sprintf("%s: %s: the %d matrices C_g (%d×%d, ldc %d, strideC %d) overlap", d.name, op, count, m, n, ldc, strideC))
	}
	if m == 0 || n == 0 || count == 0 {
		return
	}
	if ceilDiv(n, gemmTile) > maxGridYZ {
		panic(fmt.Sprintf("%s: %s: n=%d is more than the %d columns the kernel's grid covers", d.name, op, n, maxGridYZ*gemmTile))
	}
	if splits, kslice := splitK(m, n, k, count); splits > 1 {
		ws, ok := d.workspace(4 * int64(splits) * int64(count) * int64(m) * int64(n))
		if !ok {
			return
		}
		partial := d.launchGemmSplitkNN
		switch {
		case transA && transB:
			partial = d.launchGemmSplitkTT
		case transA:
			partial = d.launchGemmSplitkTN
		case transB:
			partial = d.launchGemmSplitkNT
		}
		partial([3]int{ceilDiv(m, gemmTile), ceilDiv(n, gemmTile), min(count*splits, maxGridYZ)}, block1(threads),
			m, n, k, kslice, xa.ptr, lda, strideA, xb.ptr, ldb, strideB, ws, splits, count)
		d.launchGemmSplitkReduce(flatGrid(count*m*n), block1(threads), m, n, alpha, ws, splits, beta, xc.ptr, ldc, strideC, count)
		return
	}
	gemm := d.launchGemmStridedNN
	switch {
	case transA && transB:
		gemm = d.launchGemmStridedTT
	case transA:
		gemm = d.launchGemmStridedTN
	case transB:
		gemm = d.launchGemmStridedNT
	}
	gemm([3]int{ceilDiv(m, gemmTile), ceilDiv(n, gemmTile), min(count, maxGridYZ)}, block1(threads),
		m, n, k, alpha, xa.ptr, lda, strideA, xb.ptr, ldb, strideB, beta, xc.ptr, ldc, strideC, count)
}

// workspace returns device scratch memory of at least bytes for split-k's
// partial products and split column sums' partial sums, growing it (the first step of a run) when it is too
// small; ok is false when allocating failed (the error is recorded).
func (d *Device) workspace(bytes int64) (cu.DevicePtr, bool) {
	if bytes <= d.wsBytes {
		return d.ws, true
	}
	if d.closed {
		return 0, false
	}
	var p cu.DevicePtr
	var err error
	d.call(func() { p, err = d.allocBytes(bytes) })
	if err != nil {
		return 0, false
	}
	if d.ws != 0 {
		// Queued after every launch that uses the old workspace.
		c := d.push(cmdFree)
		c.args[0], c.args[1] = uint64(d.ws), uint64(d.wsBytes)
		d.pushed()
	}
	d.ws, d.wsBytes = p, bytes
	return p, true
}
