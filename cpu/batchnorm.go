package cpu

import (
	"math"

	"github.com/gputrain/gputrain/cpu/internal/act"
	"github.com/gputrain/gputrain/device"
)

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

// bnApply computes out = act(gamma·((z−mean)·invStd) + beta), the affine map
// in float64 and the activation with the vectorised kernels, rows split over
// goroutines. out may be z.
func bnApply(a device.Activation, z, gamma, beta []float32, mean, invStd []float64, out []float32, rows, cols int) {
	parallelFor(rows, 4*rows*cols, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			zr, or := z[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols]
			for c, v := range zr {
				or[c] = float32(float64(gamma[c])*((float64(v)-mean[c])*invStd[c]) + float64(beta[c]))
			}
		}
		x := out[r0*cols : r1*cols]
		act.Table[a].Forward(x, x, 0)
	})
}
