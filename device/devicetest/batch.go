package devicetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// BatchRows are the batch sizes the batch-normalisation and restart tests use: 1 and 2 (the
// degenerate batch statistics), 7, 41, the biodeg rows and one past a power
// of two.
var BatchRows = []int{1, 2, 7, 41, 1055, 4097}

// batchCols are the column counts: 1, 7, the workshop's 20 and 41.
var batchCols = []int{1, 7, 20, 41}

// PyTorch's batch-norm defaults, which the tests use.
const (
	bnEps      = 1e-5
	bnMomentum = 0.1
)

// sameBits reports the elements where got and want differ in their bits
// (NaN included), naming at most five.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	bad := 0
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			if bad < 5 {
				t.Errorf("%s[%d] = %v (%#08x), want %v (%#08x) bit for bit", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d elements differ", what, bad, len(want))
	}
}

// nanVec is n NaNs.
func nanVec(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.NaN())
	}
	return x
}

// A matLayout places count matrices of rows×cols (as stored) in one buffer.
type matLayout int

const (
	packed  matLayout = iota // one after another, natural leading dimension
	padded                   // leading dimension cols+3 and a 5-element gap between matrices
	columns                  // the restarts' layout: column block g of a rows × (count·cols) matrix
	shared                   // stride 0: one matrix for the whole batch
)

func (l matLayout) String() string {
	return [...]string{"packed", "padded", "columns", "shared"}[l]
}

// place returns the leading dimension and stride of l, and the elements a
// buffer must hold.
func (l matLayout) place(rows, cols, count int) (ld, stride, span int) {
	switch l {
	case padded:
		ld, stride = cols+3, rows*(cols+3)+5
	case columns:
		ld, stride = count*cols, cols
	case shared:
		ld, stride = cols, 0
	default:
		ld, stride = cols, rows*cols
	}
	return ld, stride, (count-1)*stride + (rows-1)*ld + cols
}

// refGemmStrided returns the float64 reference for GemmStrided over the
// whole C buffer c, and which of its elements belong to some C_g (the rest
// must keep their old values).
func refGemmStrided(transA, transB bool, m, n, k int, alpha float64, a []float32, lda, sa int, b []float32, ldb, sb int, beta float64, c []float32, ldc, sc, count int) ([]float64, []bool) {
	want, inside := to64(c), make([]bool, len(c))
	for g := range count {
		for i := range m {
			for j := range n {
				var s float64
				for p := range k {
					ai, bi := g*sa+i*lda+p, g*sb+p*ldb+j
					if transA {
						ai = g*sa + p*lda + i
					}
					if transB {
						bi = g*sb + j*ldb + p
					}
					av, bv := a[ai], b[bi]
					s += float64(av) * float64(bv)
				}
				at := g*sc + i*ldc + j
				v := alpha * s
				if beta != 0 {
					v += beta * float64(c[at])
				}
				want[at], inside[at] = v, true
			}
		}
	}
	return want, inside
}

// stridedLayouts are the (A, B, C) layouts GemmStrided is tested with: plain
// batches, padded leading dimensions with gaps, and the restarts' patterns
// (shared X times per-restart weights into column blocks; column blocks on
// both sides of the backward products).
var stridedLayouts = [][3]matLayout{
	{packed, packed, packed},
	{padded, padded, padded},
	{shared, packed, columns},
	{columns, shared, padded},
	{columns, columns, columns},
}

var transCases = [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}}

// testGemmStrided checks GemmStrided against a float64 reference at every
// transpose case, count 1, 3 and 10 and every layout, with beta 0 over a
// NaN-poisoned C and beta −0.5 over random C alternately. Elements of C's
// buffer outside every C_g must keep their bits. Tolerance as Gemm's:
// |err| ≤ 1e-5·|want| + 1e-6·k.
func testGemmStrided(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(21, 1))
	shapes := [][3]int{{1, 1, 1}, {7, 20, 41}, {20, 7, 1}, {33, 65, 17}, {1055, 20, 41}, {41, 20, 1055}}
	run := 0
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		big := m*n*k > 100000
		for _, count := range []int{1, 3, 10} {
			for _, tr := range transCases {
				for li, lay := range stridedLayouts {
					if big && count == 10 && li%2 == 1 {
						continue // keep the emulator's run short: the big shapes at count 10 get three of the five layouts
					}
					run++
					ra, ca, rb, cb := m, k, k, n
					if tr[0] {
						ra, ca = k, m
					}
					if tr[1] {
						rb, cb = n, k
					}
					lda, sa, spanA := lay[0].place(ra, ca, count)
					ldb, sb, spanB := lay[1].place(rb, cb, count)
					ldc, sc, spanC := lay[2].place(m, n, count)
					const guard = 3 // elements past the last C_g, which must stay untouched
					a, b := random(rng, spanA), random(rng, spanB)
					alpha, beta := float32(0.75), float32(-0.5)
					var c []float32
					if run%2 == 0 {
						beta, c = 0, nanVec(spanC+guard)
					} else {
						c = random(rng, spanC+guard)
					}
					ab, bb, cbuf := upload(t, d, a), upload(t, d, b), upload(t, d, c)
					d.GemmStrided(tr[0], tr[1], m, n, k, alpha, ab, lda, sa, bb, ldb, sb, beta, cbuf, ldc, sc, count)
					want, inside := refGemmStrided(tr[0], tr[1], m, n, k, float64(alpha), a, lda, sa, b, ldb, sb, float64(beta), c, ldc, sc, count)
					got := download(t, d, cbuf, len(c))
					name := fmt.Sprintf("m=%d n=%d k=%d count=%d tA=%v tB=%v A,B,C %v beta=%v", m, n, k, count, tr[0], tr[1], lay, beta)
					checkInside(t, name, got, want, inside, c, 1e-5, 1e-6*float64(k))
					d.Free(ab)
					d.Free(bb)
					d.Free(cbuf)
				}
			}
		}
	}
}

// checkInside compares got with want where inside is set (|got−want| ≤
// atol + rtol·|want|) and with old, bit for bit, elsewhere.
func checkInside(t *testing.T, what string, got []float32, want []float64, inside []bool, old []float32, rtol, atol float64) {
	t.Helper()
	bad := 0
	for i, w := range want {
		g := float64(got[i])
		var ok bool
		if inside[i] {
			ok = !math.IsNaN(g) && math.Abs(g-w) <= atol+rtol*math.Abs(w)
		} else {
			ok = math.Float32bits(got[i]) == math.Float32bits(old[i])
		}
		if !ok {
			if bad < 5 {
				if inside[i] {
					t.Errorf("%s: C[%d] = %v, want %v (rtol %g, atol %g)", what, i, g, w, rtol, atol)
				} else {
					t.Errorf("%s: C[%d] = %v outside every C_g, want it untouched (%v)", what, i, g, old[i])
				}
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d elements wrong", what, bad, len(want))
	}
}

// testGemmStridedIsGemm requires GemmStrided with count 1 and the natural
// leading dimensions to give Gemm's results bit for bit (one restart must be
// a plain run), for every transpose case and beta 0 and non-zero.
func testGemmStridedIsGemm(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(22, 1))
	for _, s := range [][3]int{{1, 1, 1}, {7, 20, 41}, {1055, 20, 41}, {41, 20, 1055}, {1055, 1, 20}, {65, 63, 129}} {
		m, n, k := s[0], s[1], s[2]
		for _, tr := range transCases {
			for _, beta := range []float32{0, 0.5} {
				a, b, c := random(rng, m*k), random(rng, k*n), random(rng, m*n)
				lda, ldb := k, n
				if tr[0] {
					lda = m
				}
				if tr[1] {
					ldb = k
				}
				ab, bb := upload(t, d, a), upload(t, d, b)
				c1, c2 := upload(t, d, c), upload(t, d, c)
				d.Gemm(tr[0], tr[1], m, n, k, 1.25, ab, bb, beta, c1)
				d.GemmStrided(tr[0], tr[1], m, n, k, 1.25, ab, lda, m*k, bb, ldb, k*n, beta, c2, n, m*n, 1)
				name := fmt.Sprintf("m=%d n=%d k=%d tA=%v tB=%v beta=%v: GemmStrided vs Gemm", m, n, k, tr[0], tr[1], beta)
				sameBits(t, name, download(t, d, c2, m*n), download(t, d, c1, m*n))
				for _, x := range []device.Buffer{ab, bb, c1, c2} {
					d.Free(x)
				}
			}
		}
	}
}

// testLossGradGroups checks every loss with 1 and 3 groups against a float64
// reference (gradient: 1e-4 relative + 1e-7; loss: 1e-5 relative + 1e-5, as
// LossGrad's test), that nothing outside lossOut[lossAt : lossAt+groups] is
// written, and that one group gives LossGrad's gradient and loss bit for bit.
func testLossGradGroups(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(23, 1))
	// One logit per model (the workshop's restarts), several per model (the
	// group's columns interleave with the others'), and a 10-class softmax.
	colsOf := map[device.Loss][]int{device.Logistic: {1}, device.MSE: {7}, device.SoftmaxCE: {10}}
	for _, loss := range []device.Loss{device.Logistic, device.SoftmaxCE, device.MSE} {
		for _, rows := range BatchRows {
			for _, cols := range colsOf[loss] {
				for _, groups := range []int{1, 3} {
					width := groups * cols
					z, y := lossProblem(rng, loss, rows, width, cols)
					zb, yb := upload(t, d, z), upload(t, d, y)
					grad := poisoned(t, d, rows*width)
					const lossAt = 1
					lossOut := poisoned(t, d, lossAt+groups+1)
					scale := float32(1) / float32(rows)
					d.LossGradGroups(loss, zb, yb, grad, rows, cols, groups, scale, lossOut, lossAt)

					wantGrad, wantLoss := make([]float64, rows*width), make([]float64, groups)
					for g := range groups {
						for r := range rows {
							zr := to64(z[r*width+g*cols : r*width+g*cols+cols])
							gr := wantGrad[r*width+g*cols : r*width+g*cols+cols]
							wantLoss[g] += refLossRow(loss, zr, targetRow(loss, y, r, cols), float64(scale), gr)
						}
					}
					name := fmt.Sprintf("%v rows=%d cols=%d groups=%d", loss, rows, cols, groups)
					gotGrad := download(t, d, grad, rows*width)
					check(t, name+" grad", gotGrad, wantGrad, 1e-4, 1e-7)
					lo := download(t, d, lossOut, lossAt+groups+1)
					check(t, name+" loss", lo[lossAt:lossAt+groups], wantLoss, 1e-5, 1e-5)
					if !math.IsNaN(float64(lo[0])) || !math.IsNaN(float64(lo[lossAt+groups])) {
						t.Errorf("%s: LossGradGroups wrote outside lossOut[lossAt : lossAt+groups]: %v", name, lo)
					}
					if groups == 1 {
						grad1 := poisoned(t, d, rows*width)
						lossOut1 := poisoned(t, d, lossAt+2)
						d.LossGrad(loss, zb, yb, grad1, rows, cols, scale, lossOut1, lossAt)
						sameBits(t, name+" grad vs LossGrad", gotGrad, download(t, d, grad1, rows*width))
						sameBits(t, name+" loss vs LossGrad", lo[lossAt:lossAt+1], download(t, d, lossOut1, lossAt+2)[lossAt:lossAt+1])
						d.Free(grad1)
						d.Free(lossOut1)
					}
					for _, x := range []device.Buffer{zb, yb, grad, lossOut} {
						d.Free(x)
					}
				}
			}
		}
	}
}

// bnInput returns a rows×cols z whose columns have different means (up to
// ±3) and spreads (0.5 to 2), so a one-pass variance would lose digits.
func bnInput(rng *rand.Rand, rows, cols int) []float32 {
	z := random(rng, rows*cols)
	off, scale := random(rng, cols), make([]float64, cols)
	for c := range scale {
		scale[c] = 0.5 + 1.5*rng.Float64()
	}
	for i := range z {
		c := i % cols
		z[i] = float32(3*float64(off[c]) + scale[c]*float64(z[i]))
	}
	return z
}

// batchStats is the float64 mean and biased variance of each column.
func batchStats(z []float32, rows, cols int) (mean, variance []float64) {
	mean, variance = make([]float64, cols), make([]float64, cols)
	for i, v := range z {
		mean[i%cols] += float64(v)
	}
	for c := range mean {
		mean[c] /= float64(rows)
	}
	for i, v := range z {
		dev := float64(v) - mean[i%cols]
		variance[i%cols] += dev * dev
	}
	for c := range variance {
		variance[c] /= float64(rows)
	}
	return mean, variance
}

// positive returns n values in [0.1, 2).
func positive(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 0.1 + 1.9*rng.Float32()
	}
	return x
}

// testBatchNormTrain checks the saved statistics and running statistics
// against float64 batch statistics (two-pass) and the output against
// act(gamma·(z−mean)·invStd + beta) evaluated in float64 with the statistics
// the device saved (the float32 rounding of the mean is a relative error of
// the order of |mean|/std·2⁻²⁴ in x̂, inherent in float32 statistics, not the
// backend's). Tolerances: saveMean, saveInvStd, runMean, runVar 1e-6
// relative + 1e-7; out 1e-5 relative + 1e-6 (float32 activations).
func testBatchNormTrain(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(24, 1))
	i := 0
	for _, rows := range BatchRows {
		for _, cols := range batchCols {
			act := activations[i%len(activations)]
			i++
			z, gamma, beta := bnInput(rng, rows, cols), random(rng, cols), random(rng, cols)
			rm0, rv0 := random(rng, cols), positive(rng, cols)
			zb, gb, bb := upload(t, d, z), upload(t, d, gamma), upload(t, d, beta)
			rmb, rvb := upload(t, d, rm0), upload(t, d, rv0)
			out := poisoned(t, d, rows*cols)
			sm, si := poisoned(t, d, cols), poisoned(t, d, cols)
			d.BatchNormTrain(act, zb, gb, bb, out, sm, si, rmb, rvb, rows, cols, bnEps, bnMomentum)

			mean, variance := batchStats(z, rows, cols)
			eps, mom := float64(float32(bnEps)), float64(float32(bnMomentum))
			wantIS, wantRM, wantRV := make([]float64, cols), make([]float64, cols), make([]float64, cols)
			for c := range cols {
				wantIS[c] = 1 / math.Sqrt(variance[c]+eps)
				unbiased := variance[c]
				if rows > 1 {
					unbiased *= float64(rows) / float64(rows-1)
				}
				wantRM[c] = (1-mom)*float64(rm0[c]) + mom*mean[c]
				wantRV[c] = (1-mom)*float64(rv0[c]) + mom*unbiased
			}
			name := fmt.Sprintf("%v rows=%d cols=%d", act, rows, cols)
			gotMean, gotIS := download(t, d, sm, cols), download(t, d, si, cols)
			check(t, name+" saveMean", gotMean, mean, 1e-6, 1e-7)
			check(t, name+" saveInvStd", gotIS, wantIS, 1e-6, 1e-7)
			check(t, name+" runMean", download(t, d, rmb, cols), wantRM, 1e-6, 1e-7)
			check(t, name+" runVar", download(t, d, rvb, cols), wantRV, 1e-6, 1e-7)
			want := make([]float64, rows*cols)
			for i, v := range z {
				c := i % cols
				xh := (float64(v) - float64(gotMean[c])) * float64(gotIS[c])
				want[i] = refActivate(act, float64(gamma[c])*xh+float64(beta[c]))
			}
			check(t, name+" out", download(t, d, out, rows*cols), want, 1e-5, 1e-6)
			for _, x := range []device.Buffer{zb, gb, bb, rmb, rvb, out, sm, si} {
				d.Free(x)
			}
		}
	}
}

// testBatchNormEval checks the output against act(gamma·(z−runMean)/
// sqrt(runVar+eps) + beta) in float64 (1e-5 relative + 1e-6), into a
// separate buffer and in place.
func testBatchNormEval(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(25, 1))
	i := 0
	for _, rows := range BatchRows {
		for _, cols := range batchCols {
			act := activations[i%len(activations)]
			i++
			z, gamma, beta := bnInput(rng, rows, cols), random(rng, cols), random(rng, cols)
			rm, rv := random(rng, cols), positive(rng, cols)
			for c := range rm {
				rm[c] *= 3
			}
			zb, gb, bb := upload(t, d, z), upload(t, d, gamma), upload(t, d, beta)
			rmb, rvb := upload(t, d, rm), upload(t, d, rv)
			out := poisoned(t, d, rows*cols)
			d.BatchNormEval(act, zb, gb, bb, rmb, rvb, out, rows, cols, bnEps)
			want := make([]float64, rows*cols)
			eps := float64(float32(bnEps))
			for i, v := range z {
				c := i % cols
				xh := (float64(v) - float64(rm[c])) / math.Sqrt(float64(rv[c])+eps)
				want[i] = refActivate(act, float64(gamma[c])*xh+float64(beta[c]))
			}
			name := fmt.Sprintf("%v rows=%d cols=%d", act, rows, cols)
			check(t, name+" out", download(t, d, out, rows*cols), want, 1e-5, 1e-6)
			d.BatchNormEval(act, zb, gb, bb, rmb, rvb, zb, rows, cols, bnEps)
			check(t, name+" out in place", download(t, d, zb, rows*cols), want, 1e-5, 1e-6)
			for _, x := range []device.Buffer{zb, gb, bb, rmb, rvb, out} {
				d.Free(x)
			}
		}
	}
}

// refBatchNormBackward is the float64 backward pass from float32 saved
// statistics.
func refBatchNormBackward(z, dy, gamma, mean, invStd []float32, rows, cols int) (dz, dgamma, dbeta []float64) {
	dz, dgamma, dbeta = make([]float64, rows*cols), make([]float64, cols), make([]float64, cols)
	xhat := func(i int) float64 {
		c := i % cols
		return (float64(z[i]) - float64(mean[c])) * float64(invStd[c])
	}
	for i, v := range dy {
		dbeta[i%cols] += float64(v)
		dgamma[i%cols] += float64(v) * xhat(i)
	}
	n := float64(rows)
	for i, v := range dy {
		c := i % cols
		dz[i] = float64(gamma[c]) * float64(invStd[c]) / n * (n*float64(v) - dbeta[c] - xhat(i)*dgamma[c])
	}
	return dz, dgamma, dbeta
}

// testBatchNormBackward checks dz, dgamma and dbeta against the float64
// reference given the same saved statistics, into a separate dz and in place
// (dz = dy). Tolerances: dgamma, dbeta 1e-5 relative + 1e-6·rows (float64
// sums of rows terms); dz 1e-5 relative + 1e-6·max|dz| (the bracket cancels
// by design: Σ_r dz = 0).
func testBatchNormBackward(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(26, 1))
	for _, rows := range BatchRows {
		for _, cols := range batchCols {
			z, dy, gamma := bnInput(rng, rows, cols), random(rng, rows*cols), random(rng, cols)
			mean64, var64 := batchStats(z, rows, cols)
			mean, invStd := make([]float32, cols), make([]float32, cols)
			for c := range cols {
				mean[c] = float32(mean64[c])
				invStd[c] = float32(1 / math.Sqrt(var64[c]+float64(float32(bnEps))))
			}
			wantDz, wantDg, wantDb := refBatchNormBackward(z, dy, gamma, mean, invStd, rows, cols)
			var maxDz float64
			for _, v := range wantDz {
				maxDz = math.Max(maxDz, math.Abs(v))
			}
			zb, dyb, gb := upload(t, d, z), upload(t, d, dy), upload(t, d, gamma)
			mb, sb := upload(t, d, mean), upload(t, d, invStd)
			for _, inPlace := range []bool{false, true} {
				dz := dyb
				if !inPlace {
					dz = poisoned(t, d, rows*cols)
				}
				dg, db := poisoned(t, d, cols), poisoned(t, d, cols)
				d.BatchNormBackward(zb, dyb, gb, mb, sb, dz, dg, db, rows, cols)
				name := fmt.Sprintf("rows=%d cols=%d in place=%v", rows, cols, inPlace)
				check(t, name+" dz", download(t, d, dz, rows*cols), wantDz, 1e-5, 1e-6*maxDz)
				check(t, name+" dgamma", download(t, d, dg, cols), wantDg, 1e-5, 1e-6*float64(rows))
				check(t, name+" dbeta", download(t, d, db, cols), wantDb, 1e-5, 1e-6*float64(rows))
				if !inPlace {
					d.Free(dz)
				}
				d.Free(dg)
				d.Free(db)
			}
			for _, x := range []device.Buffer{zb, dyb, gb, mb, sb} {
				d.Free(x)
			}
		}
	}
}

// bnLoss64 is Σ w·act(gamma·(z−mean)/sqrt(var+eps) + beta) with batch
// statistics, all in float64: the function the finite differences probe.
func bnLoss64(act device.Activation, z, gamma, beta, w []float64, rows, cols int) float64 {
	var loss float64
	for c := range cols {
		var mean, v float64
		for r := range rows {
			mean += z[r*cols+c]
		}
		mean /= float64(rows)
		for r := range rows {
			dev := z[r*cols+c] - mean
			v += dev * dev
		}
		v /= float64(rows)
		is := 1 / math.Sqrt(v+float64(float32(bnEps)))
		for r := range rows {
			i := r*cols + c
			loss += w[i] * refActivate(act, gamma[c]*(z[i]-mean)*is+beta[c])
		}
	}
	return loss
}

// testBatchNormGradient checks the backward pass against the forward one:
// for L = Σ w·out with out from BatchNormTrain, the device's dz, dgamma and
// dbeta (through ActivationBackward and BatchNormBackward) must match
// central differences of L computed in float64 (step 1e-5), within 1e-3
// relative + 1e-4·max|∂L|. A wrong term of the backward formula is off by
// O(1).
func testBatchNormGradient(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(27, 1))
	for _, tc := range []struct {
		act        device.Activation
		rows, cols int
	}{{device.Tanh, 7, 3}, {device.Sigmoid, 41, 2}, {device.Identity, 3, 3}, {device.Tanh, 20, 5}} {
		rows, cols := tc.rows, tc.cols
		n := rows * cols
		z, gamma, beta, w := bnInput(rng, rows, cols), random(rng, cols), random(rng, cols), random(rng, n)
		zb, gb, bb, wb := upload(t, d, z), upload(t, d, gamma), upload(t, d, beta), upload(t, d, w)
		rmb, rvb := upload(t, d, make([]float32, cols)), upload(t, d, positive(rng, cols))
		out, sm, si := poisoned(t, d, n), poisoned(t, d, cols), poisoned(t, d, cols)
		dy, dg, db := poisoned(t, d, n), poisoned(t, d, cols), poisoned(t, d, cols)
		d.BatchNormTrain(tc.act, zb, gb, bb, out, sm, si, rmb, rvb, rows, cols, bnEps, bnMomentum)
		d.ActivationBackward(tc.act, out, wb, dy, n)
		d.BatchNormBackward(zb, dy, gb, sm, si, dy, dg, db, rows, cols)

		z64, g64, b64, w64 := to64(z), to64(gamma), to64(beta), to64(w)
		const h = 1e-5
		grad := func(x []float64, i int) float64 {
			old := x[i]
			x[i] = old + h
			up := bnLoss64(tc.act, z64, g64, b64, w64, rows, cols)
			x[i] = old - h
			down := bnLoss64(tc.act, z64, g64, b64, w64, rows, cols)
			x[i] = old
			return (up - down) / (2 * h)
		}
		fd := func(x []float64) []float64 {
			g := make([]float64, len(x))
			for i := range x {
				g[i] = grad(x, i)
			}
			return g
		}
		name := fmt.Sprintf("%v rows=%d cols=%d", tc.act, rows, cols)
		for _, p := range []struct {
			what string
			got  []float32
			fd   []float64
		}{
			{"dz", download(t, d, dy, n), fd(z64)},
			{"dgamma", download(t, d, dg, cols), fd(g64)},
			{"dbeta", download(t, d, db, cols), fd(b64)},
		} {
			var scale float64
			for _, v := range p.fd {
				scale = math.Max(scale, math.Abs(v))
			}
			check(t, name+" "+p.what+" vs finite differences", p.got, p.fd, 1e-3, 1e-4*scale)
		}
	}
}
