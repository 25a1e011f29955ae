package sgemm

import (
	"sync"

	"github.com/gputrain/gputrain/cpu/internal/isa"
	"github.com/gputrain/gputrain/cpu/internal/pool"
)

// Thin products: those with a unit dimension. A single output column
// (n == 1) or row (m == 1) is a matrix-vector product and a single inner
// step (k == 1) a rank-1 update; on the blocked path they would use 1/nr
// (or 1/mr) of every micro-kernel tile and pay its packing and blocking
// besides. They run on kernels of their own instead, each reading its
// matrix in place:
//
//   - gemvN: y[i·incy] = alpha·Σ_p a[i·lda+p]·x[p], dot products of the
//     rows of a with a contiguous x;
//   - gemvT: y[i] = alpha·Σ_p x[p·incx]·a[p·lda+i], sums of scaled rows of
//     a into a contiguous y;
//   - outer: c[i·ldc+j] = alpha·(a[i·inca]·b[j]), with b contiguous;
//
// each plus beta times the old value when beta != 0 (C is not read when
// beta == 0). Strided vectors that a kernel wants contiguous are gathered
// into scratch space first (and a strided y scattered back).
//
// Every output element is computed by the same instructions in the same
// order whichever rows or columns share a kernel call with it, so splitting
// the work (fixed by the shape, whatever the worker count) never changes a
// bit. The sums' order differs from the blocked path's, so a thin product's
// last bits may differ from a blocked product's of the same values; the
// outer product rounds as the AVX-512 and plain-Go micro-kernels do for
// k = 1.

// thinKernels are one level's thin kernels (the vectors as above; rows,
// cols, k and n are at least 1; load selects the beta term).
type thinKernels struct {
	gemvN func(rows, k int, a []float32, lda int, x, y []float32, incy int, alpha, beta float32, load bool)
	gemvT func(cols, k int, a []float32, lda int, x []float32, incx int, y []float32, alpha, beta float32, load bool)
	outer func(rows, n int, a []float32, inca int, b, c []float32, ldc int, alpha, beta float32, load bool)
}

var thinKerns [isa.AVX512 + 1]*thinKernels

func init() {
	thinKerns[isa.Generic] = &thinKernels{gemvN: gemvNGeneric, gemvT: gemvTGeneric, outer: outerGeneric}
}

// thinOp names the kernel a thinJob runs.
type thinOp int

const (
	opGemvN thinOp = iota
	opGemvT
	opOuter
)

// Work limits of the thin products, in elements of the matrix read (gemv)
// or written (outer): from thinParallel on, a product is split over the
// pool in pieces of about thinPiece.
const (
	thinParallel = 1 << 18
	thinPiece    = 1 << 14
)

var thinJobs = sync.Pool{New: func() any { return new(thinJob) }}

// thinArgs is one thin product: units (rows for gemvN and outer, columns
// for gemvT) of width inner each (k; n for outer), on the vectors and
// strides of the thinKernels' descriptions (for outer, lda is inca, x is
// b and y is c with row stride incy).
type thinArgs struct {
	kern         *thinKernels
	op           thinOp
	units, inner int
	a, x, y      []float32
	lda, incx    int
	incy         int
	alpha, beta  float32
	load         bool
}

// set fills in the product's operation, sizes and operands.
func (t *thinArgs) set(op thinOp, units, inner int, a []float32, lda int, x []float32, incx int, y []float32, incy int) {
	t.op, t.units, t.inner = op, units, inner
	t.a, t.lda, t.x, t.incx, t.y, t.incy = a, lda, x, incx, y, incy
}

// piece computes units [u0, u1).
func (t *thinArgs) piece(u0, u1 int) {
	kr := t.kern
	switch t.op {
	case opGemvN:
		kr.gemvN(u1-u0, t.inner, t.a[u0*t.lda:], t.lda, t.x, t.y[u0*t.incy:], t.incy, t.alpha, t.beta, t.load)
	case opGemvT:
		kr.gemvT(u1-u0, t.inner, t.a[u0:], t.lda, t.x, t.incx, t.y[u0:], t.alpha, t.beta, t.load)
	case opOuter:
		kr.outer(u1-u0, t.inner, t.a[u0*t.lda:], t.lda, t.x, t.y[u0*t.incy:], t.incy, t.alpha, t.beta, t.load)
	}
}

// thinJob runs a large thin product on the pool, in pieces of per units
// that the participants claim; it also holds the scratch vectors of the
// gathers. It is reused through thinJobs.
type thinJob struct {
	thinArgs
	xbuf, ybuf  []float32
	pieces, per int
	ctr         pool.Counter
}

// useJob returns *j, taking a job from thinJobs first if it is nil.
func useJob(j **thinJob) *thinJob {
	if *j == nil {
		*j = thinJobs.Get().(*thinJob)
	}
	return *j
}

// thin computes the product when it is thin (k, n or m is 1; k first,
// then n) and reports whether it was. A small product whose vectors are
// as the kernel wants them runs directly on the caller's goroutine.
func thin(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	if k != 1 && n != 1 && m != 1 {
		return false
	}
	t := thinArgs{kern: thinKerns[isa.Current()], alpha: alpha, beta: beta, load: beta != 0}
	var j *thinJob
	var scatter []float32 // gemvT's y, to be copied to C's column
	switch {
	case k == 1: // C(i,j) = A(i,0)·B(0,j)
		inca := lda // A's column
		if transA {
			inca = 1
		}
		bv := b // B's row
		if transB && ldb != 1 {
			bv = gather(&useJob(&j).xbuf, b, ldb, n)
		}
		t.set(opOuter, m, n, a, inca, bv, 0, c, ldc)
	case n == 1: // C(i,0) = Σ_p A(i,p)·B(p,0)
		incx := ldb // B's column
		if transB {
			incx = 1
		}
		if !transA {
			x := b
			if incx != 1 {
				x = gather(&useJob(&j).xbuf, b, incx, k)
			}
			t.set(opGemvN, m, k, a, lda, x, 0, c, ldc)
			break
		}
		y := c
		if ldc != 1 {
			if t.load {
				y = gather(&useJob(&j).ybuf, c, ldc, m)
			} else {
				y = grow(useJob(&j).ybuf, m)
				j.ybuf = y
			}
			scatter = y
		}
		t.set(opGemvT, m, k, a, lda, b, incx, y, 1)
	default: // m == 1: C(0,j) = Σ_p A(0,p)·B(p,j)
		incx := 1 // A's row
		if transA {
			incx = lda
		}
		if transB {
			x := a
			if incx != 1 {
				x = gather(&useJob(&j).xbuf, a, incx, k)
			}
			t.set(opGemvN, n, k, b, ldb, x, 0, c, 1)
			break
		}
		t.set(opGemvT, n, k, b, ldb, a, incx, c, 1)
	}
	if t.units*t.inner < thinParallel {
		t.piece(0, t.units)
	} else {
		useJob(&j).runPool(&t)
	}
	for i, v := range scatter {
		c[i*ldc] = v
	}
	if j != nil {
		j.thinArgs = thinArgs{}
		thinJobs.Put(j)
	}
	return true
}

// gather copies the n elements src[i·inc] into *buf (grown as needed) and
// returns them.
func gather(buf *[]float32, src []float32, inc, n int) []float32 {
	*buf = grow(*buf, n)
	dst := *buf
	for i := range dst {
		dst[i] = src[i*inc]
	}
	return dst
}

// runPool computes t's product on the pool.
func (j *thinJob) runPool(t *thinArgs) {
	j.thinArgs = *t
	j.per = max(thinPiece/t.inner, 1)
	if t.op == opGemvT {
		j.per = roundUp(j.per, 64) // whole AVX-512 column chunks
	}
	j.pieces = (t.units + j.per - 1) / j.per
	j.ctr.Reset()
	pool.Default().Run(j)
}

// Do claims pieces until none is left (participant 0 then waits for the
// others' pieces).
func (j *thinJob) Do(w, workers int) {
	for {
		p, ok := j.ctr.Claim(j.pieces)
		if !ok {
			break
		}
		j.piece(p*j.per, min((p+1)*j.per, j.units))
		j.ctr.Done()
	}
	if w == 0 {
		j.ctr.Wait(j.pieces)
	}
}

// gemvNGeneric is the plain-Go gemvN: four partial sums per row, over
// p ≡ 0, 1, 2, 3 mod 4 (the last k mod 4 steps in the first), added as
// (s0+s1)+(s2+s3).
func gemvNGeneric(rows, k int, a []float32, lda int, x, y []float32, incy int, alpha, beta float32, load bool) {
	x = x[:k]
	k4 := k &^ 3
	for i := range rows {
		row := a[i*lda : i*lda+k]
		var s0, s1, s2, s3 float32
		for p := 0; p < k4; p += 4 {
			r, xv := row[p:p+4:p+4], x[p:p+4:p+4]
			s0 += r[0] * xv[0]
			s1 += r[1] * xv[1]
			s2 += r[2] * xv[2]
			s3 += r[3] * xv[3]
		}
		for p := k4; p < k; p++ {
			s0 += row[p] * x[p]
		}
		s := (s0 + s1) + (s2 + s3)
		if load {
			y[i*incy] = alpha*s + beta*y[i*incy]
		} else {
			y[i*incy] = alpha * s
		}
	}
}

// gemvTGeneric is the plain-Go gemvT: chunks of 64 columns accumulated
// step by step in a local array.
func gemvTGeneric(cols, k int, a []float32, lda int, x []float32, incx int, y []float32, alpha, beta float32, load bool) {
	var acc [64]float32
	for c0 := 0; c0 < cols; c0 += len(acc) {
		s := acc[:min(len(acc), cols-c0)]
		clear(s)
		for p := range k {
			xp := x[p*incx]
			for i, v := range a[p*lda+c0:][:len(s)] {
				s[i] += xp * v
			}
		}
		out := y[c0 : c0+len(s)]
		for i, v := range s {
			if load {
				out[i] = alpha*v + beta*out[i]
			} else {
				out[i] = alpha * v
			}
		}
	}
}

// outerGeneric is the plain-Go outer product.
func outerGeneric(rows, n int, a []float32, inca int, b, c []float32, ldc int, alpha, beta float32, load bool) {
	b = b[:n]
	for i := range rows {
		ai := a[i*inca]
		row := c[i*ldc : i*ldc+n]
		for j, bj := range b {
			if load {
				row[j] = alpha*(ai*bj) + beta*row[j]
			} else {
				row[j] = alpha * (ai * bj)
			}
		}
	}
}
