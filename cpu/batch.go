package cpu

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/gputrain/gputrain/cpu/internal/pool"
	"github.com/gputrain/gputrain/cpu/internal/sgemm"
	"github.com/gputrain/gputrain/cpu/internal/vec"
	"github.com/gputrain/gputrain/device"
)

// This file holds the operations behind batch normalisation and random
// restarts trained side by side (issue 8): GemmStrided, LossGradGroups and
// the BatchNorm trio. Their contracts are devicetest.BatchOps's. Work is
// spread over goroutines only in ways that leave every result computed by
// one goroutine in a fixed order, so results are bit-identical run to run
// and whatever GOMAXPROCS is.

// parallelWork is the rough number of element operations below which
// parallelFor stays on the calling goroutine (starting goroutines costs a
// few microseconds).
const parallelWork = 1 << 15

// parallelFor calls fn on contiguous ranges that split [0, n), on up to
// GOMAXPROCS goroutines when work (an estimate of the element operations in
// all) is at least parallelWork, otherwise fn(0, n) on the calling
// goroutine. fn must compute each index's results from that index alone.
func parallelFor(n, work int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 || work < parallelWork {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { fn(w*n/workers, (w+1)*n/workers) })
	}
	fn(0, n/workers)
	wg.Wait()
}

// GemmStrided computes, for g < count, C_g = alpha·op(A_g)·op(B_g) + beta·C_g
// where X_g starts at element g·strideX of X and consecutive rows of A, B
// and C (as stored) are lda, ldb and ldc elements apart (op(A) m×k, op(B)
// k×n; A_g is stored k×m when transA, B_g n×k when transB). beta == 0
// ignores C's contents; a stride of 0 shares one A or B across the batch.
// The C_g must not overlap.
//
// Each product is one call of the sgemm Gemm uses, with the leading
// dimensions, so count 1 with the natural ones is Gemm bit for bit. When
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

// LossGradGroups is LossGrad for groups models side by side: logits and grad
// are rows × (groups·cols), group g's logits in columns g·cols … g·cols+cols−1;
// targets (rows×cols, or rows class indices for SoftmaxCE) are shared by
// every group, and lossOut[lossAt+g] receives group g's unscaled loss sum.
// LossGrad is its groups == 1 case. The logistic loss makes one vectorised
// pass over all groups (logisticGroups); the others run groups on separate
// goroutines when there is enough work. Each group's loss is summed in row
// order, as for the group alone.
func (d *Device) LossGradGroups(loss device.Loss, logits, targets, grad device.Buffer, rows, cols, groups int, gradScale float32, lossOut device.Buffer, lossAt int) {
	width := groups * cols
	zd, gd := f32(logits)[:rows*width], f32(grad)[:rows*width]
	var yd []float32
	switch loss {
	case device.Logistic, device.MSE:
		yd = f32(targets)[:rows*cols]
	case device.SoftmaxCE:
		yd = f32(targets)[:rows]
	default:
		panic(fmt.Sprintf("cpu: unknown loss %v", loss))
	}
	lo := f32(lossOut)[lossAt : lossAt+groups]
	if groups == 1 { // the common case (one restart): no closure, no allocation
		lo[0] = float32(lossGradGroup(loss, zd, yd, gd, rows, cols, width, gradScale))
		return
	}
	if loss == device.Logistic {
		if cap(d.acc) < groups {
			d.acc = make([]float64, groups)
		}
		sums := d.acc[:groups]
		logisticGroups(zd, yd, gd, cols, groups, gradScale, sums)
		for g, s := range sums {
			lo[g] = float32(s)
		}
		return
	}
	parallelFor(groups, 16*rows*width, func(g0, g1 int) {
		for g := g0; g < g1; g++ {
			lo[g] = float32(lossGradGroup(loss, zd[g*cols:], yd, gd[g*cols:], rows, cols, width, gradScale))
		}
	})
}

// lossGradGroup computes one group's gradient (rows of z and grad ld apart;
// ld must be cols for the logistic loss) and returns its loss sum,
// accumulated in float64 in row-major order.
func lossGradGroup(loss device.Loss, z, y, grad []float32, rows, cols, ld int, gradScale float32) float64 {
	if loss == device.Logistic { // one group alone: one contiguous block
		return logisticAcc(0, z[:rows*cols], y[:rows*cols], grad[:rows*cols], gradScale)
	}
	var sum float64
	for r := range rows {
		zr, gr := z[r*ld:r*ld+cols], grad[r*ld:r*ld+cols]
		switch loss {
		case device.MSE:
			yr := y[r*cols : (r+1)*cols]
			for c, z := range zr {
				res := z - yr[c]
				sum += float64(res) * float64(res)
				gr[c] = gradScale * 2 * res
			}
		case device.SoftmaxCE:
			maxZ := zr[0]
			for _, z := range zr {
				maxZ = max(maxZ, z)
			}
			var s float64
			for _, z := range zr {
				s += math.Exp(float64(z - maxZ))
			}
			label := int(y[r])
			sum += math.Log(s) + float64(maxZ) - float64(zr[label])
			for c, z := range zr {
				p := float32(math.Exp(float64(z-maxZ)) / s)
				if c == label {
					p--
				}
				gr[c] = gradScale * p
			}
		}
	}
	return sum
}

// logisticGroups is LossGradGroups's logistic loss for several groups: one
// pass of the vectorised kernel over the whole rows × (groups·cols) block,
// with the targets repeated for every group, in chunks of at most 256
// logits (whole rows when they fit). It sets sums[g] to group g's loss,
// its terms added in the group's row-major order, so the bits are those of
// lossGradGroup on the group alone (the kernel computes every element
// alike wherever it falls in a chunk). It runs on the calling goroutine:
// split over this machine's two cores the pass got slower, the logits and
// gradients moving between the cores' caches.
func logisticGroups(z, y, grad []float32, cols, groups int, gradScale float32, sums []float64) {
	clear(sums)
	var ys, terms [256]float32
	width := cols * groups
	rows := len(z) / width
	if width > len(terms) { // long rows: chunks within each row
		for r := range rows {
			for lo := 0; lo < width; lo += len(terms) {
				yc, t := ys[:min(len(ys), width-lo)], terms[:min(len(ys), width-lo)]
				for i := range yc {
					yc[i] = y[r*cols+(lo+i)%cols] // rare long rows: a division is fine
				}
				at := r*width + lo
				vec.Logistic(z[at:at+len(t)], yc, grad[at:at+len(t)], t, gradScale)
				for i, l := range t {
					sums[(lo+i)/cols] += float64(l)
				}
			}
		}
		return
	}
	per := len(terms) / width // rows per chunk
	for r0 := 0; r0 < rows; r0 += per {
		n := min(per, rows-r0)
		yc, t := ys[:n*width], terms[:n*width]
		if cols == 1 {
			i := 0
			for _, v := range y[r0 : r0+n] {
				for range groups {
					yc[i] = v
					i++
				}
			}
		} else {
			for r := range n {
				yr := y[(r0+r)*cols : (r0+r+1)*cols]
				for g := range groups {
					copy(yc[r*width+g*cols:], yr)
				}
			}
		}
		at := r0 * width
		vec.Logistic(z[at:at+len(t)], yc, grad[at:at+len(t)], t, gradScale)
		if cols == 1 {
			for g := 0; g < groups; g += 8 {
				add8(sums[g:min(g+8, groups)], t[g:], width)
			}
			continue
		}
		for g := range groups {
			s := sums[g]
			for r := range n {
				for _, l := range t[r*width+g*cols : r*width+(g+1)*cols] {
					s += float64(l)
				}
			}
			sums[g] = s
		}
	}
}

// add8 adds Σ_r t[r*ld+i] to sums[i] (i < len(sums) ≤ 8) in row order:
// eight independent chains of adds (those past len(sums) repeat the last).
func add8(sums []float64, t []float32, ld int) {
	n := len(sums)
	o1, o2, o3, o4, o5, o6, o7 := min(1, n-1), min(2, n-1), min(3, n-1), min(4, n-1), min(5, n-1), min(6, n-1), min(7, n-1)
	s0, s1, s2, s3, s4, s5, s6, s7 := sums[0], sums[o1], sums[o2], sums[o3], sums[o4], sums[o5], sums[o6], sums[o7]
	for i := 0; i+n <= len(t); i += ld {
		q := t[i : i+n]
		s0 += float64(q[0])
		s1 += float64(q[o1])
		s2 += float64(q[o2])
		s3 += float64(q[o3])
		s4 += float64(q[o4])
		s5 += float64(q[o5])
		s6 += float64(q[o6])
		s7 += float64(q[o7])
	}
	all := [8]float64{s0, s1, s2, s3, s4, s5, s6, s7}
	copy(sums, all[:n])
}

// BatchNormTrain normalises each column c of the rows×cols matrix z with its
// batch mean and biased variance, then applies scale, shift and the
// activation: out = act(gamma[c]·(z−mean[c])·invStd[c] + beta[c]), invStd =
// 1/sqrt(var+eps). It saves mean and invStd (cols each) for the backward pass
// and updates the running statistics as PyTorch does (runVar with the
// unbiased variance var·rows/(rows−1), var itself when rows == 1). out must
// not alias z. rows == 0 does nothing.
//
// Statistics (two-pass), x̂ and the affine map are computed in float64; the
// normalisation uses the float32 mean and invStd it saves, so the backward
// pass sees the forward's x̂ exactly.
func (d *Device) BatchNormTrain(act device.Activation, z, gamma, beta, out, saveMean, saveInvStd, runMean, runVar device.Buffer, rows, cols int, eps, momentum float32) {
	if z == out {
		panic("cpu: BatchNormTrain: out must not alias z")
	}
	n := rows * cols
	zd, od := f32(z)[:n], f32(out)[:n]
	gd, bd := f32(gamma)[:cols], f32(beta)[:cols]
	sm, si, rm, rv := f32(saveMean)[:cols], f32(saveInvStd)[:cols], f32(runMean)[:cols], f32(runVar)[:cols]
	if rows == 0 || cols == 0 {
		return
	}
	mean, invStd := make([]float64, cols), make([]float64, cols)
	mom := float64(momentum)
	parallelFor(cols, 2*n, func(c0, c1 int) {
		mu, ss := mean[c0:c1], invStd[c0:c1] // sums first, then the statistics
		for r := range rows {
			for j, v := range zd[r*cols+c0 : r*cols+c1] {
				mu[j] += float64(v)
			}
		}
		for j := range mu {
			mu[j] /= float64(rows)
		}
		for r := range rows {
			for j, v := range zd[r*cols+c0 : r*cols+c1] {
				dev := float64(v) - mu[j]
				ss[j] += dev * dev
			}
		}
		for j := range mu {
			c := c0 + j
			v := ss[j] / float64(rows)
			unbiased := v
			if rows > 1 {
				unbiased = v * float64(rows) / float64(rows-1)
			}
			sm[c] = float32(mu[j])
			si[c] = float32(1 / math.Sqrt(v+float64(eps)))
			rm[c] = float32((1-mom)*float64(rm[c]) + mom*mu[j])
			rv[c] = float32((1-mom)*float64(rv[c]) + mom*unbiased)
			mu[j], ss[j] = float64(sm[c]), float64(si[c])
		}
	})
	bnApply(act, zd, gd, bd, mean, invStd, od, rows, cols)
}

// BatchNormEval applies the running statistics: out = act(gamma·(z−runMean)
// /sqrt(runVar+eps) + beta), column by column; out may be z.
func (d *Device) BatchNormEval(act device.Activation, z, gamma, beta, runMean, runVar, out device.Buffer, rows, cols int, eps float32) {
	n := rows * cols
	zd, od := f32(z)[:n], f32(out)[:n]
	gd, bd := f32(gamma)[:cols], f32(beta)[:cols]
	rm, rv := f32(runMean)[:cols], f32(runVar)[:cols]
	mean, invStd := make([]float64, cols), make([]float64, cols)
	for c := range cols {
		mean[c] = float64(rm[c])
		invStd[c] = 1 / math.Sqrt(float64(rv[c])+float64(eps))
	}
	bnApply(act, zd, gd, bd, mean, invStd, od, rows, cols)
}

// bnApply computes out = act(gamma·((z−mean)·invStd) + beta), the affine map
// in float64 and the activation with the vectorised kernels, rows split over
// goroutines. out may be z.
func bnApply(act device.Activation, z, gamma, beta []float32, mean, invStd []float64, out []float32, rows, cols int) {
	parallelFor(rows, 4*rows*cols, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			zr, or := z[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols]
			for c, v := range zr {
				or[c] = float32(float64(gamma[c])*((float64(v)-mean[c])*invStd[c]) + float64(beta[c]))
			}
		}
		activateInPlace(act, out[r0*cols:r1*cols])
	})
}

// activateInPlace applies act to x with the vectorised kernels, as
// BiasActivation does.
func activateInPlace(act device.Activation, x []float32) {
	switch act {
	case device.Tanh:
		vec.Tanh(x, x)
	case device.Sigmoid:
		vec.Sigmoid(x, x)
	case device.ReLU:
		vec.ReLU(x, x)
	}
}

// BatchNormBackward takes dy = ∂loss/∂(gamma·x̂+beta) (the gradient after
// ActivationBackward), z and the statistics BatchNormTrain saved, and
// computes x̂ = (z−mean)·invStd, dgamma[c] = Σ_r dy·x̂, dbeta[c] = Σ_r dy and
// dz = gamma·invStd/rows·(rows·dy − dbeta − x̂·dgamma), in float64. dz may
// alias dy.
func (d *Device) BatchNormBackward(z, dy, gamma, saveMean, saveInvStd, dz, dgamma, dbeta device.Buffer, rows, cols int) {
	n := rows * cols
	zd, dyd, dzd := f32(z)[:n], f32(dy)[:n], f32(dz)[:n]
	gd, sm, si := f32(gamma)[:cols], f32(saveMean)[:cols], f32(saveInvStd)[:cols]
	dg, db := f32(dgamma)[:cols], f32(dbeta)[:cols]
	if rows == 0 || cols == 0 {
		return
	}
	sdy, sdyx := make([]float64, cols), make([]float64, cols)
	parallelFor(cols, 2*n, func(c0, c1 int) {
		for r := range rows {
			at := r*cols + c0
			for j, v := range dyd[at : r*cols+c1] {
				c := c0 + j
				sdy[c] += float64(v)
				sdyx[c] += float64(v) * ((float64(zd[at+j]) - float64(sm[c])) * float64(si[c]))
			}
		}
		for c := c0; c < c1; c++ {
			db[c], dg[c] = float32(sdy[c]), float32(sdyx[c])
		}
	})
	nr := float64(rows)
	scale := make([]float64, cols) // gamma·invStd/rows
	for c := range cols {
		scale[c] = float64(gd[c]) * float64(si[c]) / nr
	}
	parallelFor(rows, 4*n, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			at := r * cols
			zr, dyr, dzr := zd[at:at+cols], dyd[at:at+cols], dzd[at:at+cols]
			for c, v := range zr {
				xh := (float64(v) - float64(sm[c])) * float64(si[c])
				dzr[c] = float32(scale[c] * (nr*float64(dyr[c]) - sdy[c] - xh*sdyx[c]))
			}
		}
	})
}
