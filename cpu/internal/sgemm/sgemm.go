// Package sgemm is the CPU backend's single-precision matrix product,
// C = alpha·op(A)·op(B) + beta·C on row-major matrices, written in the
// manner of BLIS: A and B are packed into slivers that a register-blocked
// micro-kernel (Go assembly for AVX-512 and AVX2+FMA, plain Go otherwise)
// streams through, the k dimension is cut into blocks whose slivers stay in
// the L1 and L2 caches, and the packing and the tiles of C are handed out
// to a fixed pool of worker goroutines. The AVX-512 kernel also reads A and
// an untransposed B in place, with masked edges, where packing would not
// pay (short or narrow blocks: the small-shape path); so does the AVX2
// kernel for products at most 256 columns wide (4×24 tiles, where the 6×16
// kernel would compute 32 columns of a width of 20). Products with a unit
// dimension (n == 1 or m == 1: matrix-vector; k == 1: rank-1) skip all of
// this for vector kernels of their own (thin.go).
//
// Results are bit-identical run to run and independent of the number of
// workers and of timing: every element of C is accumulated by one
// micro-kernel call per k block (or by one thin kernel), in the same order
// whoever computes it, and the blocking depends on the shape alone.
//
//go:generate go run ./gen
package sgemm

import (
	"sync"

	"github.com/gputrain/gputrain/cpu/internal/isa"
	"github.com/gputrain/gputrain/cpu/internal/pool"
)

// micro computes one tile: acc[i][j] = Σ_p A(i,p)·b[p*ldb+j] over kc
// steps, then c[i*ldc+j] = alpha·acc + beta·c[i*ldc+j] when load is set,
// alpha·acc otherwise (c is then never read), for i < rows, j < cols.
// A(i,p) is a[i*lda+p] when aRows is set, a[p*lda+i] otherwise (a packed
// sliver has lda = mr). Kernels without edges support only packed slivers
// (lda = mr, ldb = nr) and whole tiles (rows = mr, cols = nr).
type micro func(kc int, a []float32, lda int, aRows bool, b []float32, ldb int, c []float32, ldc, rows, cols int, alpha, beta float32, load bool)

// kernel describes a micro-kernel and the blocking that suits it.
type kernel struct {
	mr, nr int
	kcMax  int // k block: an A sliver (mr·kc) stays in L1
	ng     int // B slivers per L2-resident group (ng·nr·kc floats)
	fn     micro
	// edges: fn handles partial tiles and any strides itself, so A and an
	// untransposed B can be read in place instead of packed.
	edges bool
	// column, where set, is fn for slivers tiles down a column of C at
	// once: A sliver s at a[s·astep:], all but the last with mr rows (A
	// read in place only).
	column func(slivers, astep, kc int, a []float32, lda int, aRows bool, b []float32, ldb int, c []float32, ldc, rows, cols int, alpha, beta float32, load bool)
	// wideB: fn reads all nr columns of every k step of B, also past an
	// edge tile's columns (those feed lanes it never stores).
	wideB bool
}

// Block limits on the rows and columns packed at once (the packed panels
// then stay in the last-level cache).
const (
	mbMax = 2048
	nbMax = 2048
)

var kernels [isa.AVX512 + 1]*kernel

// narrow holds, per level, a kernel for products at most directANMaxCols
// wide, which reuse each A sliver for few B slivers: it reads A in place
// rather than pack it, and its tile suits widths that the level's kernel
// would pad much (nil: the level's kernel serves them too).
var narrow [isa.AVX512 + 1]*kernel

// kernelFor picks the kernel for a product n columns wide.
func kernelFor(n int) *kernel {
	l := isa.Current()
	if nk := narrow[l]; nk != nil && n <= directANMaxCols {
		return nk
	}
	return kernels[l]
}

func init() {
	kernels[isa.Generic] = &kernel{mr: 4, nr: 4, kcMax: 256, ng: 64, fn: genericMicro}
}

// directBMaxRows is the block height up to which an untransposed B is not
// packed (for kernels that can read it in place).
const directBMaxRows = 256

// directANMaxCols is the block width up to which A is read in place.
const directANMaxCols = 256

// pieceFlops is the least work of a piece that the participants claim.
const pieceFlops = 1 << 17

// parallelFlops is the product size (2·m·n·k) below which Sgemm does not
// wake the pool's workers.
const parallelFlops = 1 << 22

// Sgemm computes C = alpha·op(A)·op(B) + beta·C where op(A) is m×k, op(B)
// is k×n and C is m×n with row stride ldc. op(X) is Xᵀ when the trans flag
// is set: A is then stored k×m (row stride lda ≥ m), B n×k. When beta is 0
// C is only written (NaN in C does not propagate). Thin products (k, n or
// m equal to 1) take the thin kernels; the rest the blocked path.
//
// The kernels that read A and B in place may read past len(a) and len(b),
// up to their capacities, into lanes whose results are never stored: room
// there (any values) spares the packing of the last slivers.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if thin(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		return
	}
	a, b = a[:cap(a)], b[:cap(b)]
	j := jobs.Get().(*job)
	j.kern = kernelFor(n)
	j.transA, j.transB = transA, transB
	j.m, j.n, j.k = m, n, k
	j.alpha, j.beta = alpha, beta
	j.a, j.lda, j.b, j.ldb, j.c, j.ldc = a, lda, b, ldb, c, ldc
	j.plan()
	if 2*m*n*k < parallelFlops {
		j.Do(0, 1)
	} else {
		j.pool = pool.Default()
		j.pool.Run(j)
	}
	j.a, j.b, j.c, j.pool = nil, nil, nil, nil
	jobs.Put(j)
}

// scaleC sets C = beta·C (C = 0 when beta is 0).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

var jobs = sync.Pool{New: func() any { return new(job) }}

// job is one Sgemm call, run by the workers of the pool that join it. It
// is reused (through jobs) together with its packing buffers.
type job struct {
	kern           *kernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	pool           *pool.Pool

	mb, nb, kc int  // block sizes (the last block of each may be smaller)
	per, ng    int  // A slivers and B slivers per piece of work
	directB    bool // B is read in place (see plan)
	directA    bool // A slivers are read in place where aInPlace allows (see plan)
	unpacked   bool // every sliver is read in place: no packing phases (see plan)

	apack, bpack []float32      // packed panels
	tiles        [][]float32    // per-worker scratch tile for edges
	ctrs         []pool.Counter // one per phase of Do
	totals       []int          // pieces per phase
}

// plan fixes the block sizes from the shape alone (never from the worker
// count) and sizes the buffers.
func (j *job) plan() {
	kr := j.kern
	j.kc = balanced(j.k, kr.kcMax, 1)
	j.mb = balanced(j.m, mbMax, kr.mr)
	j.nb = balanced(j.n, nbMax, kr.nr)
	// B packing costs about as much per element as 32 flops of the
	// kernel, and each packed element serves 2·mb flops: for short blocks
	// (few A slivers) the kernel reads an untransposed B in place.
	j.directB = kr.edges && !j.transB && j.mb <= directBMaxRows
	// Likewise A, packed for reuse across many B slivers; in place, an
	// untransposed A's 12 rows must not share L1 sets (ld a multiple of
	// 512 floats puts them all in one set).
	j.directA = kr.edges && (j.nb <= directANMaxCols || (!j.transA && j.lda%512 != 0))
	// A piece of work (per A slivers times a group of ng B slivers) is
	// worth at least pieceFlops, so that claiming it costs little next to
	// computing it.
	j.ng = kr.ng
	j.per = max(1, pieceFlops/(2*kr.mr*min(j.nb, kr.ng*kr.nr)*j.kc))
	// When nothing needs packing, a piece runs its tiles over every k
	// block (see doUnpacked), down a column of C: one B sliver against
	// half of the block's A slivers, so that each k block of the B sliver
	// is loaded into L1 once for many tiles (these blocks are at most
	// directBMaxRows high: the pieces are then large).
	if j.unpacked = j.directB && j.lastInPlace(); j.unpacked {
		j.ng = 1
		j.per = (j.mb/kr.mr + 1) / 2
	}
	aLen := roundUp(j.mb, kr.mr) * j.kc
	bLen := roundUp(j.nb, kr.nr) * j.kc
	j.apack = grow(j.apack, aLen)
	j.bpack = grow(j.bpack, bLen)
	j.phases()
	workers := pool.Default().Workers()
	for len(j.tiles) < workers {
		j.tiles = append(j.tiles, nil)
	}
	for w := range j.tiles {
		j.tiles[w] = grow(j.tiles[w], kr.mr*kr.nr)
	}
}

// balanced cuts n into the fewest blocks of at most limit and returns the
// (equal, rounded up to a multiple of unit) block size.
func balanced(n, limit, unit int) int {
	blocks := (n + limit - 1) / limit
	return roundUp((n+blocks-1)/blocks, unit)
}

func roundUp(n, unit int) int { return (n + unit - 1) / unit * unit }

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// Do runs one participant's part of the product. The work is a sequence of
// phases, for every block of C and of k: pack the A and B slivers, then
// compute the tiles. A phase starts when the previous one is done; its
// pieces (a sliver to pack; one A sliver times a group of B slivers to
// compute) are claimed dynamically, and each tile of C is always computed
// by one kernel call per k block in the same order, so the result does not
// depend on who computes what.
func (j *job) Do(w, workers int) {
	if j.unpacked {
		j.doUnpacked(w)
		return
	}
	kr := j.kern
	ph := 0
	for m0 := 0; m0 < j.m; m0 += j.mb {
		mb := min(j.mb, j.m-m0)
		mt := (mb + kr.mr - 1) / kr.mr
		ac := (mt + j.per - 1) / j.per // pieces of per A slivers
		for n0 := 0; n0 < j.n; n0 += j.nb {
			nb := min(j.nb, j.n-n0)
			nt := (nb + kr.nr - 1) / kr.nr
			groups := (nt + j.ng - 1) / j.ng
			for p0 := 0; p0 < j.k; p0 += j.kc {
				kc := min(j.kc, j.k-p0)
				ap, bp := j.apack, j.bpack
				j.waitPhase(ph)
				c := &j.ctrs[ph]
				for {
					t, ok := c.Claim(ac + nt)
					if !ok {
						break
					}
					if t < ac {
						for i := t * j.per; i < min((t+1)*j.per, mt); i++ {
							if !j.aInPlace(m0+i*kr.mr, p0, kc) {
								j.packA(ap[i*kr.mr*kc:(i+1)*kr.mr*kc], m0+i*kr.mr, min(kr.mr, mb-i*kr.mr), p0, kc)
							}
						}
					} else if t -= ac; !j.directB || j.bOverrun(n0+t*kr.nr, p0, kc) {
						j.packB(bp[t*kr.nr*kc:(t+1)*kr.nr*kc], n0+t*kr.nr, min(kr.nr, nb-t*kr.nr), p0, kc)
					}
					c.Done()
				}
				ph++
				j.waitPhase(ph)
				c = &j.ctrs[ph]
				for {
					t, ok := c.Claim(groups * ac)
					if !ok {
						break
					}
					g, t := t/ac, t%ac
					j.compute(w, ap, bp, m0, mb, n0, nb, p0, kc, p0 == 0, t*j.per, min((t+1)*j.per, mt), g*j.ng, min((g+1)*j.ng, nt))
					c.Done()
				}
				ph++
			}
		}
	}
	if w == 0 {
		j.waitPhase(ph)
	}
}

// doUnpacked is Do for a product that packs nothing: one phase per block
// of C, each piece (per A slivers times ng B slivers) computed over every
// k block in order by the participant that claims it. A tile gets the
// kernel calls of the phased Do in the same order, so the same bits, and
// no participant waits for the others between k blocks.
func (j *job) doUnpacked(w int) {
	kr := j.kern
	ph := 0
	for m0 := 0; m0 < j.m; m0 += j.mb {
		mb := min(j.mb, j.m-m0)
		mt := (mb + kr.mr - 1) / kr.mr
		ac := (mt + j.per - 1) / j.per
		for n0 := 0; n0 < j.n; n0 += j.nb {
			nb := min(j.nb, j.n-n0)
			nt := (nb + kr.nr - 1) / kr.nr
			groups := (nt + j.ng - 1) / j.ng
			c := &j.ctrs[ph]
			for {
				t, ok := c.Claim(groups * ac)
				if !ok {
					break
				}
				g, t := t/ac, t%ac
				for p0 := 0; p0 < j.k; p0 += j.kc {
					j.compute(w, j.apack, j.bpack, m0, mb, n0, nb, p0, min(j.kc, j.k-p0), p0 == 0, t*j.per, min((t+1)*j.per, mt), g*j.ng, min((g+1)*j.ng, nt))
				}
				c.Done()
			}
			ph++
		}
	}
	if w == 0 {
		for p := range ph {
			j.ctrs[p].Wait(j.totals[p])
		}
	}
}

// waitPhase waits until the phase before ph is done.
func (j *job) waitPhase(ph int) {
	if ph > 0 {
		j.ctrs[ph-1].Wait(j.totals[ph-1])
	}
}

// phases counts Do's phases and sets their piece totals.
func (j *job) phases() {
	kr := j.kern
	j.totals = j.totals[:0]
	for m0 := 0; m0 < j.m; m0 += j.mb {
		mt := (min(j.mb, j.m-m0) + kr.mr - 1) / kr.mr
		ac := (mt + j.per - 1) / j.per
		for n0 := 0; n0 < j.n; n0 += j.nb {
			nt := (min(j.nb, j.n-n0) + kr.nr - 1) / kr.nr
			groups := (nt + j.ng - 1) / j.ng
			if j.unpacked {
				j.totals = append(j.totals, groups*ac)
				continue
			}
			for p0 := 0; p0 < j.k; p0 += j.kc {
				j.totals = append(j.totals, ac+nt, groups*ac)
			}
		}
	}
	for len(j.ctrs) < len(j.totals) {
		j.ctrs = append(j.ctrs, pool.Counter{})
	}
	for i := range j.totals {
		j.ctrs[i].Reset()
	}
}

// lastInPlace reports whether the last A sliver (the furthest down) and
// the last B sliver (the furthest right) are read in place in the last k
// block: the reads furthest into A and B, so then every sliver is.
func (j *job) lastInPlace() bool {
	kr := j.kern
	p0 := (j.k - 1) / j.kc * j.kc
	kc := j.k - p0
	return j.aInPlace((j.m-1)/kr.mr*kr.mr, p0, kc) && !j.bOverrun((j.n-1)/kr.nr*kr.nr, p0, kc)
}

// bOverrun reports whether a kernel that reads whole B slivers in place
// (wideB) would read past B's end for the sliver at column c0 and k steps
// [p0, p0+kc): such a sliver is packed even when B is read in place.
func (j *job) bOverrun(c0, p0, kc int) bool {
	return j.kern.wideB && (p0+kc-1)*j.ldb+c0+j.kern.nr > len(j.b)
}

// aInPlace reports whether the kernel reads the A sliver starting at row r0
// for k steps [p0, p0+kc) in place: with directA, when all mr rows it reads
// lie inside A (the rows past a short edge sliver are read but not used).
func (j *job) aInPlace(r0, p0, kc int) bool {
	if !j.directA {
		return false
	}
	mr := j.kern.mr
	if j.transA {
		return (p0+kc-1)*j.lda+r0+mr <= len(j.a)
	}
	return (r0+mr-1)*j.lda+p0+kc <= len(j.a)
}

// compute runs the micro-kernel for A slivers [i0, i1) of the block at
// (m0, n0) against B slivers [t0, t1): each A sliver is reused from L1
// across the group, whose B slivers stay in L2. A kernel with a column
// entry computes all the slivers' tiles of one B sliver in one call when
// they are all read in place.
func (j *job) compute(w int, ap, bp []float32, m0, mb, n0, nb, p0, kc int, first bool, i0, i1, t0, t1 int) {
	kr := j.kern
	alpha, beta, load := j.alpha, float32(1), true
	if first {
		beta, load = j.beta, j.beta != 0
	}
	if kr.column != nil && i1-i0 > 1 && j.aInPlace(m0+(i1-1)*kr.mr, p0, kc) {
		r0 := m0 + i0*kr.mr
		a, lda, aRows, astep := j.inPlaceA(r0, p0)
		rows := min(kr.mr, mb-(i1-1)*kr.mr) // the last sliver's
		for t := t0; t < t1; t++ {
			c0 := n0 + t*kr.nr
			b, ldb := j.bSliver(bp, c0, t, p0, kc)
			kr.column(i1-i0, astep, kc, a, lda, aRows, b, ldb, j.c[r0*j.ldc+c0:], j.ldc, rows, min(kr.nr, nb-t*kr.nr), alpha, beta, load)
		}
		return
	}
	tile := j.tiles[w]
	for i := i0; i < i1; i++ {
		r0 := m0 + i*kr.mr
		rows := min(kr.mr, mb-i*kr.mr)
		a, lda, aRows := ap[i*kr.mr*kc:(i+1)*kr.mr*kc], kr.mr, false
		if j.aInPlace(r0, p0, kc) {
			a, lda, aRows, _ = j.inPlaceA(r0, p0)
		}
		for t := t0; t < t1; t++ {
			c0 := n0 + t*kr.nr
			cols := min(kr.nr, nb-t*kr.nr)
			b, ldb := j.bSliver(bp, c0, t, p0, kc)
			off := r0*j.ldc + c0
			if kr.edges || (rows == kr.mr && cols == kr.nr) {
				kr.fn(kc, a, lda, aRows, b, ldb, j.c[off:], j.ldc, rows, cols, alpha, beta, load)
				continue
			}
			kr.fn(kc, a, kr.mr, false, b, kr.nr, tile, kr.nr, kr.mr, kr.nr, 1, 0, false)
			for r := 0; r < rows; r++ {
				dst := j.c[off+r*j.ldc : off+r*j.ldc+cols]
				src := tile[r*kr.nr : r*kr.nr+cols]
				if load {
					for x, v := range src {
						dst[x] = alpha*v + beta*dst[x]
					}
				} else {
					for x, v := range src {
						dst[x] = alpha * v
					}
				}
			}
		}
	}
}

// inPlaceA returns the A sliver starting at row r0 and k step p0 as the
// kernels read it in place, and the distance to the next sliver's start.
func (j *job) inPlaceA(r0, p0 int) (a []float32, lda int, aRows bool, astep int) {
	if j.transA {
		return j.a[p0*j.lda+r0:], j.lda, false, j.kern.mr
	}
	return j.a[r0*j.lda+p0:], j.lda, true, j.kern.mr * j.lda
}

// bSliver returns B sliver t (at column c0, k steps from p0) as the kernel
// reads it: in place with directB, else packed.
func (j *job) bSliver(bp []float32, c0, t, p0, kc int) ([]float32, int) {
	kr := j.kern
	if j.directB && !j.bOverrun(c0, p0, kc) {
		return j.b[p0*j.ldb+c0:], j.ldb
	}
	return bp[t*kr.nr*kc : (t+1)*kr.nr*kc], kr.nr
}

// packA writes rows [r0, r0+rows) × k range [p0, p0+kc) of op(A) into dst
// as dst[p*mr+i], padding rows up to mr with zeros.
func (j *job) packA(dst []float32, r0, rows, p0, kc int) {
	mr := j.kern.mr
	if j.transA { // op(A)[r][p] = a[p*lda+r]: each k step is a contiguous run.
		copyRuns(dst, j.a[p0*j.lda+r0:], j.lda, rows, mr, kc)
		return
	}
	packRows(dst, j.a, r0*j.lda+p0, j.lda, rows, mr, kc)
}

// packRows transposes rows [0, rows) of the row-major block at src[off:]
// (row stride ld, kc columns) into dst[p*width+i], zero-padding rows up to
// width. Four rows go at a time: four sequential reads, stores close together.
func packRows(dst, src []float32, off, ld, rows, width, kc int) {
	dst = dst[:width*kc]
	i := 0
	for ; i+4 <= rows; i += 4 {
		s0 := src[off+i*ld:][:kc]
		s1 := src[off+(i+1)*ld:][:kc]
		s2 := src[off+(i+2)*ld:][:kc]
		s3 := src[off+(i+3)*ld:][:kc]
		for p, v := range s0 {
			d := dst[p*width+i : p*width+i+4 : p*width+i+4]
			d[0], d[1], d[2], d[3] = v, s1[p], s2[p], s3[p]
		}
	}
	for ; i < rows; i++ {
		for p, v := range src[off+i*ld:][:kc] {
			dst[p*width+i] = v
		}
	}
	for ; i < width; i++ {
		for p := 0; p < kc; p++ {
			dst[p*width+i] = 0
		}
	}
}

// packB writes k range [p0, p0+kc) × columns [c0, c0+cols) of op(B) into dst
// as dst[p*nr+j], padding columns up to nr with zeros.
func (j *job) packB(dst []float32, c0, cols, p0, kc int) {
	nr := j.kern.nr
	if !j.transB { // op(B)[p][c] = b[p*ldb+c]: each k step is a contiguous run.
		copyRuns(dst, j.b[p0*j.ldb+c0:], j.ldb, cols, nr, kc)
		return
	}
	packRows(dst, j.b, c0*j.ldb+p0, j.ldb, cols, nr, kc)
}

// copyRuns copies kc runs of n contiguous floats, ld apart in src, to
// dst[p*width:], zero-padding each to width. Full runs of the kernels'
// widths are fixed-size array copies (inline moves, no memmove call).
func copyRuns(dst, src []float32, ld, n, width, kc int) {
	dst = dst[:width*kc]
	if n == width {
		switch width {
		case 32:
			for p := 0; p < kc; p++ {
				*(*[32]float32)(dst[p*32:]) = *(*[32]float32)(src[p*ld:])
			}
			return
		case 16:
			for p := 0; p < kc; p++ {
				*(*[16]float32)(dst[p*16:]) = *(*[16]float32)(src[p*ld:])
			}
			return
		case 12:
			for p := 0; p < kc; p++ {
				*(*[12]float32)(dst[p*12:]) = *(*[12]float32)(src[p*ld:])
			}
			return
		case 6:
			for p := 0; p < kc; p++ {
				*(*[6]float32)(dst[p*6:]) = *(*[6]float32)(src[p*ld:])
			}
			return
		case 4:
			for p := 0; p < kc; p++ {
				*(*[4]float32)(dst[p*4:]) = *(*[4]float32)(src[p*ld:])
			}
			return
		}
	}
	for p := 0; p < kc; p++ {
		d := dst[p*width : p*width+width]
		copy(d[:n], src[p*ld:p*ld+n])
		clear(d[n:])
	}
}
