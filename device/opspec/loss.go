package opspec

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gputrain/gputrain/device"
)

// Losses lists every device.Loss, in value order.
func Losses() []device.Loss {
	var ls []device.Loss
	for l := device.Loss(0); !strings.HasPrefix(l.String(), "Loss("); l++ {
		ls = append(ls, l)
	}
	return ls
}

// LossRow64 is the float64 reference of one row of a loss: it returns the
// row's loss for logits z against the row's targets y (one class index for
// SoftmaxCE) and sets grad = scale·∂loss/∂z.
func LossRow64(loss device.Loss, z []float64, y []float32, scale float64, grad []float64) float64 {
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

// LossTargets returns targets for a rows×cols problem: 0/1 for the
// logistic loss, one class index per row for SoftmaxCE, values for MSE.
func LossTargets(rng *rand.Rand, loss device.Loss, rows, cols int) []float32 {
	switch loss {
	case device.Logistic:
		y := make([]float32, rows*cols)
		for i := range y {
			y[i] = float32(rng.IntN(2))
		}
		return y
	case device.SoftmaxCE:
		y := make([]float32, rows)
		for i := range y {
			y[i] = float32(rng.IntN(cols))
		}
		return y
	}
	return random(rng, rows*cols)
}

func lossOps() []Op {
	var ops []Op
	for _, loss := range Losses() {
		ops = append(ops, Op{
			// One model's loss and gradient (LossGradGroups with one
			// group), gradient scaled by 1/rows as the trainer does.
			Name: "loss_" + strings.ReplaceAll(loss.String(), "-", "_"), Family: "loss", Dims: 2,
			Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
				z := random(rng, s.M*s.N)
				for i := range z {
					z[i] *= 4
				}
				return [][]float32{z, LossTargets(rng, loss, s.M, s.N)}
			},
			Outputs: func(s Shape) []int { return []int{s.M * s.N, 1} },
			Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
				device.LossGrad(d, loss, b[0], b[1], b[2], s.M, s.N, 1/float32(s.M), b[3], 0)
			},
			Check: []int{2, 3},
			Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
				grad, sum := make([]float64, s.M*s.N), 0.0
				for r := range s.M {
					var y []float32
					if loss == device.SoftmaxCE {
						y = in[1][r : r+1]
					} else {
						y = in[1][r*s.N : (r+1)*s.N]
					}
					sum += LossRow64(loss, to64(in[0][r*s.N:(r+1)*s.N]), y, 1/float64(s.M), grad[r*s.N:(r+1)*s.N])
				}
				return [][]float64{grad, {sum}}
			},
			Tol:   fixedTol(1e-4, 1e-7),
			Flops: perElement(4),
			Bytes: func(s Shape) float64 {
				targets := float64(s.M) * float64(s.N)
				if loss == device.SoftmaxCE {
					targets = float64(s.M)
				}
				return 4 * (2*float64(s.M)*float64(s.N) + targets)
			},
		})
	}
	return ops
}
