//go:build amd64 && !purego

package sgemm

import "github.com/gputrain/gputrain/cpu/internal/isa"

// The assembly micro-kernels (kernel_amd64.s, written by gen/main.go). c
// points at the tile's top-left element; load is 0 or 1.
//
//go:noescape
func kernavx512(kc int, a, b, c *float32, ldc int, alpha, beta float32, load int, ldb, rows, mask, lda int)

//go:noescape
func kernavx512n(kc int, a, b, c *float32, ldc int, alpha, beta float32, load int, ldb, rows, mask, lda int)

//go:noescape
func kernavx2(kc int, a, b, c *float32, ldc int, alpha, beta float32, load int)

//go:noescape
func kernavx2e(kc int, a, b, c *float32, ldc int, alpha, beta float32, load, rows, full, rem, lda, ldb, slivers, astep int)

//go:noescape
func kernavx2en(kc int, a, b, c *float32, ldc int, alpha, beta float32, load, rows, full, rem, lda, ldb, slivers, astep int)

func init() {
	// kcMax: the A sliver (mr·kc floats) stays in L1 next to the streaming
	// B sliver; ng: a group of B slivers (ng·nr·kc floats) stays in L2.
	kernels[isa.AVX512] = &kernel{mr: 12, nr: 32, kcMax: 384, ng: 16, fn: avx512Micro, edges: true}
	kernels[isa.AVX2] = &kernel{mr: 6, nr: 16, kcMax: 256, ng: 16, fn: avx2Micro}
	narrow[isa.AVX2] = &kernel{mr: 4, nr: 24, kcMax: 128, ng: 16, fn: avx2EdgeMicro, column: avx2EdgeColumn, edges: true, wideB: true}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func avx512Micro(kc int, a []float32, lda int, aRows bool, b []float32, ldb int, c []float32, ldc, rows, cols int, alpha, beta float32, load bool) {
	_, _ = b[(kc-1)*ldb+cols-1], c[(rows-1)*ldc+cols-1]
	mask := 1<<cols - 1 // bits 0-15: the first vector's columns, 16-31: the second's
	if aRows {
		_ = a[11*lda+kc-1]
		kernavx512n(kc, &a[0], &b[0], &c[0], ldc, alpha, beta, b2i(load), ldb, rows, mask, lda)
		return
	}
	_ = a[(kc-1)*lda+11]
	kernavx512(kc, &a[0], &b[0], &c[0], ldc, alpha, beta, b2i(load), ldb, rows, mask, lda)
}

func avx2Micro(kc int, a []float32, _ int, _ bool, b []float32, _ int, c []float32, ldc, _, _ int, alpha, beta float32, load bool) {
	_, _, _ = a[6*kc-1], b[16*kc-1], c[5*ldc+15]
	kernavx2(kc, &a[0], &b[0], &c[0], ldc, alpha, beta, b2i(load))
}

// avx2EdgeMicro and avx2EdgeColumn read all 24 columns of every step of
// B: the caller leaves the tile's columns past cols readable (see
// job.bSliver).
func avx2EdgeMicro(kc int, a []float32, lda int, aRows bool, b []float32, ldb int, c []float32, ldc, rows, cols int, alpha, beta float32, load bool) {
	avx2EdgeColumn(1, 0, kc, a, lda, aRows, b, ldb, c, ldc, rows, cols, alpha, beta, load)
}

func avx2EdgeColumn(slivers, astep, kc int, a []float32, lda int, aRows bool, b []float32, ldb int, c []float32, ldc, rows, cols int, alpha, beta float32, load bool) {
	_, _ = b[(kc-1)*ldb+23], c[(4*(slivers-1)+rows-1)*ldc+cols-1]
	last := (slivers - 1) * astep
	if aRows {
		_ = a[last+3*lda+kc-1]
		kernavx2en(kc, &a[0], &b[0], &c[0], ldc, alpha, beta, b2i(load), rows, cols/8, cols%8, lda, ldb, slivers, 4*astep)
		return
	}
	_ = a[last+(kc-1)*lda+3]
	kernavx2e(kc, &a[0], &b[0], &c[0], ldc, alpha, beta, b2i(load), rows, cols/8, cols%8, lda, ldb, slivers, 4*astep)
}
