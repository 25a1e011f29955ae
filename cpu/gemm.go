package cpu

import (
	"fmt"

	"github.com/gputrain/gputrain/cpu/internal/pool"
	"github.com/gputrain/gputrain/cpu/internal/sgemm"
	"github.com/gputrain/gputrain/device"
)

// GemmStrided computes, for g < count, C_g = alpha·op(A_g)·op(B_g) + beta·C_g
// where X_g starts at element g·strideX of X and consecutive rows of A, B
// and C (as stored) are lda, ldb and ldc elements apart (op(A) m×k, op(B)
// k×n; A_g is stored k×m when transA, B_g n×k when transB). beta == 0
// ignores C's contents; a stride of 0 shares one A or B across the batch.
// The C_g must not overlap.
//
// Each product is one call of the packed, cache-blocked sgemm
// (cpu/internal/sgemm) with the leading dimensions. When
// count > 1 and each product is small the batch is spread over the worker
// pool (see stridedJob), each element of every C_g computed as the product
// alone would compute it.
func (d *Device) GemmStrided(transA, transB bool, m, n, k int, alpha float32, a device.Buffer, lda, strideA int, b device.Buffer, ldb, strideB int, beta float32, c device.Buffer, ldc, strideC int, count int) {
	if m < 0 || n < 0 || k < 0 || count < 0 || strideA < 0 || strideB < 0 || strideC < 0 {
		panic(fmt.Sprintf("cpu: GemmStrided: negative size or stride in m=%d n=%d k=%d count=%d strides %d %d %d", m, n, k, count, strideA, strideB, strideC))
	}
	if count > 1 && m > 0 && n > 0 && strideC < (m-1)*ldc+n && (strideC < n || (count-1)*strideC+n > ldc) {
		panic(fmt.Sprintf("cpu: GemmStrided: the %d matrices C_g (%d×%d, ldc %d, strideC %d) overlap", count, m, n, ldc, strideC))
	}
	if m == 0 || n == 0 || count == 0 {
		return
	}
	rowsA, widthA, rowsB, widthB := m, k, k, n
	if transA {
		rowsA, widthA = k, m
	}
	if transB {
		rowsB, widthB = n, k
	}
	ad, bd, cd := f32(a), f32(b), f32(c)
	if count == 1 { // the common case (one restart)
		sgemm.Sgemm(transA, transB, m, n, k, alpha, ad[:matSpan(rowsA, widthA, lda)], lda,
			bd[:matSpan(rowsB, widthB, ldb)], ldb, beta, cd[:matSpan(m, n, ldc)], ldc)
		return
	}
	j := &d.strided
	*j = stridedJob{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: ad, b: bd, c: cd, lda: lda, ldb: ldb, ldc: ldc, strideA: strideA, strideB: strideB, strideC: strideC,
		count: count, spanB: matSpan(rowsB, widthB, ldb)}
	matSpan(rowsA, widthA, lda) // checks lda
	matSpan(m, n, ldc)
	j.run()
	j.a, j.b, j.c = nil, nil, nil
}

// stridedSpreadFlops is the size (2·m·n·k) of one product below which
// GemmStrided spreads a batch over the pool. It is sgemm's own threshold
// for running a product on the calling goroutine: larger products are
// split over the pool inside sgemm, one after the other.
const stridedSpreadFlops = 1 << 19

// stridedPiece is the work (elements of C times k) of one piece of a
// batch split by rows.
const stridedPiece = 1 << 15

// stridedJob is one GemmStrided batch (count > 1). Products whose rows of
// C each depend on one row of op(A) alone, through a kernel that computes
// every row the same way in any block of rows (sgemm's thin paths for
// k == 1, and for n == 1 with A untransposed), are cut into blocks of rows,
// a piece being one block of every product: a piece then reads and writes
// whole cache lines of matrices whose rows interleave the batch (nn's
// replicas). Other batches go one product per piece. Either way each
// element is computed by one participant, as its product alone computes it.
//
// Thin products are memory-bound, and only the row dot products (n == 1)
// are spread over the pool: each core then reads its own rows. Spreading
// the rank-1 updates (k == 1), which write the batch's interleaved rows, or
// the other thin products, whose operand blocks share cache lines across
// the batch, moved more lines between the two cores' caches than it saved
// (the workshop network's 10 restarts trained 4 % slower on the 2-core
// development machine). Larger products run one after the other, each
// spread over the pool inside sgemm.
type stridedJob struct {
	transA, transB            bool
	m, n, k                   int
	alpha, beta               float32
	a, b, c                   []float32
	lda, ldb, ldc             int
	strideA, strideB, strideC int
	count, spanB              int
	rowsPer, pieces           int // rowsPer == 0: a piece is a product
	ctr                       pool.Counter
}

// run computes the batch, on the pool when it is worth it.
func (j *stridedJob) run() {
	flops := 2 * j.m * j.n * j.k
	if flops >= stridedSpreadFlops {
		for g := range j.count {
			j.product(g, 0, j.m)
		}
		return
	}
	j.rowsPer, j.pieces = 0, j.count
	rowDots := j.n == 1 && !j.transA && j.k > 1
	if j.k == 1 || rowDots {
		perRow := j.count * j.n * j.k
		j.rowsPer = min(max(stridedPiece/perRow, 16), j.m)
		j.pieces = (j.m + j.rowsPer - 1) / j.rowsPer
	}
	thin := j.k == 1 || j.n == 1 || j.m == 1
	j.ctr.Reset()
	if (thin && !rowDots) || j.count*flops < parallelWork || j.pieces == 1 {
		j.Do(0, 1)
		return
	}
	pool.Default().Run(j)
}

// Do computes pieces until none is left (participant 0 then waits for the
// others').
func (j *stridedJob) Do(w, workers int) {
	for {
		p, ok := j.ctr.Claim(j.pieces)
		if !ok {
			break
		}
		if j.rowsPer == 0 {
			j.product(p, 0, j.m)
		} else {
			r0 := p * j.rowsPer
			r1 := min(r0+j.rowsPer, j.m)
			for g := range j.count {
				j.product(g, r0, r1)
			}
		}
		j.ctr.Done()
	}
	if w == 0 {
		j.ctr.Wait(j.pieces)
	}
}

// product computes rows [r0, r1) of C_g.
func (j *stridedJob) product(g, r0, r1 int) {
	rows := r1 - r0
	var oa, spanA int
	if j.transA { // op(A)'s rows are columns of A
		oa, spanA = g*j.strideA+r0, matSpan(j.k, rows, j.lda)
	} else {
		oa, spanA = g*j.strideA+r0*j.lda, matSpan(rows, j.k, j.lda)
	}
	ob, oc := g*j.strideB, g*j.strideC+r0*j.ldc
	sgemm.Sgemm(j.transA, j.transB, rows, j.n, j.k, j.alpha, j.a[oa:oa+spanA], j.lda,
		j.b[ob:ob+j.spanB], j.ldb, j.beta, j.c[oc:oc+matSpan(rows, j.n, j.ldc)], j.ldc)
}

// matSpan is the number of elements a rows×cols matrix with leading
// dimension ld spans (rows·cols for the natural ld = cols, as Gemm slices).
func matSpan(rows, cols, ld int) int {
	if ld < cols {
		panic(fmt.Sprintf("cpu: GemmStrided: leading dimension %d is less than the %d stored columns", ld, cols))
	}
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}
