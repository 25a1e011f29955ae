//go:build amd64 && !purego

package sgemm

import "github.com/gputrain/gputrain/cpu/internal/isa"

// The thin-product kernels (thin_amd64.s, written by gen/thin.go). The
// AVX-512 ones take the lanes of their last (masked) vector as a bit mask,
// the AVX2 ones as a count; load is 0 or 1. Row and column counts are at
// least 1.

//go:noescape
func gemvnAVX512(rows, k int, a *float32, lda int, x, y *float32, incy int, alpha, beta float32, load, mask int)

//go:noescape
func gemvt1xAVX512(k int, a *float32, lda int, x *float32, incx int, y *float32, alpha, beta float32, load, mask int)

//go:noescape
func gemvt2xAVX512(k int, a *float32, lda int, x *float32, incx int, y *float32, alpha, beta float32, load, mask int)

//go:noescape
func gemvt3xAVX512(k int, a *float32, lda int, x *float32, incx int, y *float32, alpha, beta float32, load, mask int)

//go:noescape
func gemvt4xAVX512(k int, a *float32, lda int, x *float32, incx int, y *float32, alpha, beta float32, load, mask int)

//go:noescape
func outerAVX512(rows, n int, a *float32, inca int, b, c *float32, ldc int, alpha, beta float32, load, mask int)

//go:noescape
func gemvnAVX2(rows, k int, a *float32, lda int, x, y *float32, incy int, alpha, beta float32, load, rem int)

//go:noescape
func gemvt1xAVX2(k int, a *float32, lda int, x *float32, incx int, y *float32, alpha, beta float32, load, rem int)

//go:noescape
func gemvt2xAVX2(k int, a *float32, lda int, x *float32, incx int, y *float32, alpha, beta float32, load, rem int)

//go:noescape
func gemvt3xAVX2(k int, a *float32, lda int, x *float32, incx int, y *float32, alpha, beta float32, load, rem int)

//go:noescape
func outerAVX2(rows, n int, a *float32, inca int, b, c *float32, ldc int, alpha, beta float32, load, rem int)

func init() {
	thinKerns[isa.AVX512] = &thinKernels{gemvN: gemvN512, gemvT: gemvT512, outer: outer512}
	thinKerns[isa.AVX2] = &thinKernels{gemvN: gemvN2, gemvT: gemvT2, outer: outer2}
}

// The wrappers check that every element the kernels touch lies inside the
// slices (the kernels' masked loads never touch the lanes past a tail).

func gemvN512(rows, k int, a []float32, lda int, x, y []float32, incy int, alpha, beta float32, load bool) {
	_, _, _ = a[(rows-1)*lda+k-1], x[k-1], y[(rows-1)*incy]
	gemvnAVX512(rows, k, &a[0], lda, &x[0], &y[0], incy, alpha, beta, b2i(load), 1<<(k%16)-1)
}

func gemvN2(rows, k int, a []float32, lda int, x, y []float32, incy int, alpha, beta float32, load bool) {
	_, _, _ = a[(rows-1)*lda+k-1], x[k-1], y[(rows-1)*incy]
	gemvnAVX2(rows, k, &a[0], lda, &x[0], &y[0], incy, alpha, beta, b2i(load), k%8)
}

// gemvT512 runs chunks of up to 64 columns (four vectors).
func gemvT512(cols, k int, a []float32, lda int, x []float32, incx int, y []float32, alpha, beta float32, load bool) {
	_, _, _ = a[(k-1)*lda+cols-1], x[(k-1)*incx], y[cols-1]
	ld := b2i(load)
	for c0 := 0; c0 < cols; c0 += 64 {
		w := min(64, cols-c0)
		v := (w + 15) / 16
		mask := 1<<(w-16*(v-1)) - 1
		ap, yp := &a[c0], &y[c0]
		switch v {
		case 1:
			gemvt1xAVX512(k, ap, lda, &x[0], incx, yp, alpha, beta, ld, mask)
		case 2:
			gemvt2xAVX512(k, ap, lda, &x[0], incx, yp, alpha, beta, ld, mask)
		case 3:
			gemvt3xAVX512(k, ap, lda, &x[0], incx, yp, alpha, beta, ld, mask)
		default:
			gemvt4xAVX512(k, ap, lda, &x[0], incx, yp, alpha, beta, ld, mask)
		}
	}
}

// gemvT2 runs chunks of up to 24 columns (three vectors).
func gemvT2(cols, k int, a []float32, lda int, x []float32, incx int, y []float32, alpha, beta float32, load bool) {
	_, _, _ = a[(k-1)*lda+cols-1], x[(k-1)*incx], y[cols-1]
	ld := b2i(load)
	for c0 := 0; c0 < cols; c0 += 24 {
		w := min(24, cols-c0)
		v := (w + 7) / 8
		rem := w - 8*(v-1)
		ap, yp := &a[c0], &y[c0]
		switch v {
		case 1:
			gemvt1xAVX2(k, ap, lda, &x[0], incx, yp, alpha, beta, ld, rem)
		case 2:
			gemvt2xAVX2(k, ap, lda, &x[0], incx, yp, alpha, beta, ld, rem)
		default:
			gemvt3xAVX2(k, ap, lda, &x[0], incx, yp, alpha, beta, ld, rem)
		}
	}
}

func outer512(rows, n int, a []float32, inca int, b, c []float32, ldc int, alpha, beta float32, load bool) {
	_, _, _ = a[(rows-1)*inca], b[n-1], c[(rows-1)*ldc+n-1]
	outerAVX512(rows, n, &a[0], inca, &b[0], &c[0], ldc, alpha, beta, b2i(load), 1<<(n%16)-1)
}

func outer2(rows, n int, a []float32, inca int, b, c []float32, ldc int, alpha, beta float32, load bool) {
	_, _, _ = a[(rows-1)*inca], b[n-1], c[(rows-1)*ldc+n-1]
	outerAVX2(rows, n, &a[0], inca, &b[0], &c[0], ldc, alpha, beta, b2i(load), n%8)
}
