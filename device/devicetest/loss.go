package devicetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// lossProblem draws logits (rows × width, large: a naive log(sigmoid) would
// overflow) and targets for loss with cols outputs per model: 0/1 or values
// (rows × cols), or class indices (rows).
func lossProblem(rng *rand.Rand, loss device.Loss, rows, width, cols int) (z, y []float32) {
	z = random(rng, rows*width)
	for i := range z {
		z[i] *= 30
	}
	switch loss {
	case device.Logistic:
		y = make([]float32, rows*cols)
		for i := range y {
			y[i] = float32(rng.IntN(2))
		}
	case device.SoftmaxCE:
		y = make([]float32, rows)
		for i := range y {
			y[i] = float32(rng.IntN(cols))
		}
	case device.MSE:
		y = random(rng, rows*cols)
	}
	return z, y
}

// targetRow returns row r's targets: cols values (logistic, MSE) or the
// one class index (softmax cross-entropy).
func targetRow(loss device.Loss, y []float32, r, cols int) []float32 {
	if loss == device.SoftmaxCE {
		return y[r : r+1]
	}
	return y[r*cols : (r+1)*cols]
}

// refLossRow is the float64 reference of one row's loss (returned) and its
// gradient scale·∂loss/∂z (written to grad), for logits z and targets y.
func refLossRow(loss device.Loss, z []float64, y []float32, scale float64, grad []float64) float64 {
	var l float64
	switch loss {
	case device.Logistic:
		for c, zz := range z {
			yy := float64(y[c])
			l += math.Max(zz, 0) + math.Log1p(math.Exp(-math.Abs(zz))) - yy*zz
			grad[c] = scale * (1/(1+math.Exp(-zz)) - yy)
		}
	case device.MSE:
		for c, zz := range z {
			res := zz - float64(y[c])
			l += res * res
			grad[c] = scale * 2 * res
		}
	case device.SoftmaxCE:
		mx := math.Inf(-1)
		for _, v := range z {
			mx = math.Max(mx, v)
		}
		var s float64
		for _, v := range z {
			s += math.Exp(v - mx)
		}
		label := int(y[0])
		l = math.Log(s) + mx - z[label]
		for c, v := range z {
			p := math.Exp(v-mx) / s
			if c == label {
				p--
			}
			grad[c] = scale * p
		}
	}
	return l
}

func testLossGrad(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(8, 1))
	for _, loss := range []device.Loss{device.Logistic, device.SoftmaxCE, device.MSE} {
		for _, rows := range Shapes {
			cols := 1
			if loss == device.SoftmaxCE {
				cols = 10
			}
			z, y := lossProblem(rng, loss, rows, cols, cols)
			zb, yb := upload(t, d, z), upload(t, d, y)
			grad := poisoned(t, d, rows*cols)
			lossOut := poisoned(t, d, 3)
			scale := float32(1) / float32(rows)
			device.LossGrad(d, loss, zb, yb, grad, rows, cols, scale, lossOut, 1)
			wantGrad := make([]float64, rows*cols)
			var wantLoss float64
			for r := 0; r < rows; r++ {
				wantLoss += refLossRow(loss, to64(z[r*cols:(r+1)*cols]), targetRow(loss, y, r, cols), float64(scale), wantGrad[r*cols:(r+1)*cols])
			}
			name := fmt.Sprintf("%v rows=%d", loss, rows)
			check(t, name+" grad", download(t, d, grad, rows*cols), wantGrad, 1e-4, 1e-7)
			lo := download(t, d, lossOut, 3)
			check(t, name+" loss", lo[1:2], []float64{wantLoss}, 1e-5, 1e-5)
			if !math.IsNaN(float64(lo[0])) || !math.IsNaN(float64(lo[2])) {
				t.Errorf("%s: LossGrad wrote outside lossOut[lossAt]: %v", name, lo)
			}
		}
	}
}

// testLossGradGroups checks every loss with 1 and 3 groups against a float64
// reference (gradient: 1e-4 relative + 1e-7; loss: 1e-5 relative + 1e-5, as
// LossGrad's test), that nothing outside lossOut[lossAt : lossAt+groups] is
// written.
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
					for _, x := range []device.Buffer{zb, yb, grad, lossOut} {
						d.Free(x)
					}
				}
			}
		}
	}
}
