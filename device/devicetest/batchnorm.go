package devicetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/device/opspec"
)

// batchNormDevice is what this family's tests need of a device: the family,
// buffers, and the activation backward its gradient check chains.
type batchNormDevice interface {
	device.Memory
	device.BatchNorm
	device.Activations
}

// batchCols are the column counts: 1, 7, the workshop's 20 and 41.
var batchCols = []int{1, 7, 20, 41}

// PyTorch's batch-norm defaults, which the tests use.
const (
	bnEps      = 1e-5
	bnMomentum = 0.1
)

// testBatchNormTrain checks the saved statistics and running statistics
// against float64 batch statistics (two-pass) and the output against
// act(gamma·(z−mean)·invStd + beta) evaluated in float64 with the statistics
// the device saved (the float32 rounding of the mean is a relative error of
// the order of |mean|/std·2⁻²⁴ in x̂, inherent in float32 statistics, not the
// backend's). Tolerances: saveMean, saveInvStd, runMean, runVar 1e-6
// relative + 1e-7; out 1e-5 relative + 1e-6 (float32 activations).
func testBatchNormTrain(t *testing.T, d batchNormDevice) {
	rng := rand.New(rand.NewPCG(24, 1))
	i := 0
	for _, rows := range BatchRows {
		for _, cols := range batchCols {
			act := activations[i%len(activations)]
			i++
			z, gamma, beta := opspec.BatchNormInput(rng, rows, cols), random(rng, cols), random(rng, cols)
			rm0, rv0 := random(rng, cols), opspec.Positive(rng, cols)
			zb, gb, bb := upload(t, d, z), upload(t, d, gamma), upload(t, d, beta)
			rmb, rvb := upload(t, d, rm0), upload(t, d, rv0)
			out := poisoned(t, d, rows*cols)
			sm, si := poisoned(t, d, cols), poisoned(t, d, cols)
			d.BatchNormTrain(act, zb, gb, bb, out, sm, si, rmb, rvb, rows, cols, bnEps, bnMomentum)

			mean, variance := opspec.BatchStats64(z, rows, cols)
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
				want[i] = opspec.Activate64(act, float64(gamma[c])*xh+float64(beta[c]))
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
func testBatchNormEval(t *testing.T, d batchNormDevice) {
	rng := rand.New(rand.NewPCG(25, 1))
	i := 0
	for _, rows := range BatchRows {
		for _, cols := range batchCols {
			act := activations[i%len(activations)]
			i++
			z, gamma, beta := opspec.BatchNormInput(rng, rows, cols), random(rng, cols), random(rng, cols)
			rm, rv := random(rng, cols), opspec.Positive(rng, cols)
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
				want[i] = opspec.Activate64(act, float64(gamma[c])*xh+float64(beta[c]))
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

// testBatchNormBackward checks dz, dgamma and dbeta against the float64
// reference given the same saved statistics, into a separate dz and in place
// (dz = dy). Tolerances: dgamma, dbeta 1e-5 relative + 1e-6·rows (float64
// sums of rows terms); dz 1e-5 relative + 1e-6·max|dz| (the bracket cancels
// by design: Σ_r dz = 0).
func testBatchNormBackward(t *testing.T, d batchNormDevice) {
	rng := rand.New(rand.NewPCG(26, 1))
	for _, rows := range BatchRows {
		for _, cols := range batchCols {
			z, dy, gamma := opspec.BatchNormInput(rng, rows, cols), random(rng, rows*cols), random(rng, cols)
			mean64, var64 := opspec.BatchStats64(z, rows, cols)
			mean, invStd := make([]float32, cols), make([]float32, cols)
			for c := range cols {
				mean[c] = float32(mean64[c])
				invStd[c] = float32(1 / math.Sqrt(var64[c]+float64(float32(bnEps))))
			}
			wantDz, wantDg, wantDb := opspec.BatchNormBackward64(z, dy, gamma, mean, invStd, rows, cols)
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
			loss += w[i] * opspec.Activate64(act, gamma[c]*(z[i]-mean)*is+beta[c])
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
func testBatchNormGradient(t *testing.T, d batchNormDevice) {
	rng := rand.New(rand.NewPCG(27, 1))
	for _, tc := range []struct {
		act        device.Activation
		rows, cols int
	}{{device.Tanh, 7, 3}, {device.Sigmoid, 41, 2}, {device.Identity, 3, 3}, {device.Tanh, 20, 5}} {
		rows, cols := tc.rows, tc.cols
		n := rows * cols
		z, gamma, beta, w := opspec.BatchNormInput(rng, rows, cols), random(rng, cols), random(rng, cols), random(rng, n)
		zb, gb, bb, wb := upload(t, d, z), upload(t, d, gamma), upload(t, d, beta), upload(t, d, w)
		rmb, rvb := upload(t, d, make([]float32, cols)), upload(t, d, opspec.Positive(rng, cols))
		pre, out, sm, si := poisoned(t, d, n), poisoned(t, d, n), poisoned(t, d, cols), poisoned(t, d, cols)
		dy, dg, db := poisoned(t, d, n), poisoned(t, d, cols), poisoned(t, d, cols)
		// As a network does: the normalised pre-activation kept, then the
		// activation and its backward from it.
		d.BatchNormTrain(device.Identity, zb, gb, bb, pre, sm, si, rmb, rvb, rows, cols, bnEps, bnMomentum)
		d.BiasActivation(tc.act, testAlpha, pre, nil, out, rows, cols)
		d.ActivationBackward(tc.act, testAlpha, pre, out, wb, dy, n)
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
