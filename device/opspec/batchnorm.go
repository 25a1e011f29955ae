package opspec

import (
	"math"
	"math/rand/v2"

	"github.com/gputrain/gputrain/device"
)

// PyTorch's batch-norm defaults, which the table uses.
const (
	bnEps      = 1e-5
	bnMomentum = 0.1
)

// BatchNormInput returns a rows×cols z whose columns have different means (up to
// ±3) and spreads (0.5 to 2), so a one-pass variance would lose digits.
func BatchNormInput(rng *rand.Rand, rows, cols int) []float32 {
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

// BatchStats64 is the float64 mean and biased variance of each column.
func BatchStats64(z []float32, rows, cols int) (mean, variance []float64) {
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

// BatchNormBackward64 is the float64 reference of BatchNormBackward from float32 saved
// statistics.
func BatchNormBackward64(z, dy, gamma, mean, invStd []float32, rows, cols int) (dz, dgamma, dbeta []float64) {
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

var batchNormOps = []Op{
	{
		// Training forward with ReLU, the running statistics updated in
		// place (inputs: z, gamma, beta, runMean, runVar; outputs: out,
		// saveMean, saveInvStd).
		Name: "bn_train", Family: "batchnorm", Dims: 2,
		Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
			return [][]float32{BatchNormInput(rng, s.M, s.N), random(rng, s.N), random(rng, s.N), random(rng, s.N), Positive(rng, s.N)}
		},
		Outputs: func(s Shape) []int { return []int{s.M * s.N, s.N, s.N} },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.BatchNormTrain(device.ReLU, b[0], b[1], b[2], b[5], b[6], b[7], b[3], b[4], s.M, s.N, bnEps, bnMomentum)
		},
		Check: []int{5, 6, 7, 3, 4},
		Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
			mean, variance := BatchStats64(in[0], s.M, s.N)
			out, invStd := make([]float64, s.M*s.N), make([]float64, s.N)
			runMean, runVar := make([]float64, s.N), make([]float64, s.N)
			unbias := float64(s.M) / float64(max(s.M-1, 1))
			for c := range s.N {
				invStd[c] = 1 / math.Sqrt(variance[c]+bnEps)
				runMean[c] = (1-bnMomentum)*float64(in[3][c]) + bnMomentum*mean[c]
				runVar[c] = (1-bnMomentum)*float64(in[4][c]) + bnMomentum*variance[c]*unbias
			}
			for i, z := range in[0] {
				c := i % s.N
				out[i] = Activate64(device.ReLU, float64(in[1][c])*(float64(z)-mean[c])*invStd[c]+float64(in[2][c]))
			}
			return [][]float64{out, mean, invStd, runMean, runVar}
		},
		Tol:   fixedTol(1e-4, 1e-5),
		Flops: perElement(8),
		Bytes: func(s Shape) float64 { return 8*float64(s.M)*float64(s.N) + 36*float64(s.N) },
	},
	{
		Name: "bn_eval", Family: "batchnorm", Dims: 2,
		Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
			return [][]float32{BatchNormInput(rng, s.M, s.N), random(rng, s.N), random(rng, s.N), random(rng, s.N), Positive(rng, s.N)}
		},
		Outputs: func(s Shape) []int { return []int{s.M * s.N} },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.BatchNormEval(device.ReLU, b[0], b[1], b[2], b[3], b[4], b[5], s.M, s.N, bnEps)
		},
		Check: []int{5},
		Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
			out := make([]float64, s.M*s.N)
			for i, z := range in[0] {
				c := i % s.N
				x := (float64(z) - float64(in[3][c])) / math.Sqrt(float64(in[4][c])+bnEps)
				out[i] = Activate64(device.ReLU, float64(in[1][c])*x+float64(in[2][c]))
			}
			return [][]float64{out}
		},
		Tol:   fixedTol(1e-5, 1e-6),
		Flops: perElement(4),
		Bytes: func(s Shape) float64 { return 8*float64(s.M)*float64(s.N) + 16*float64(s.N) },
	},
	{
		// Inputs: z, dy, gamma, and the statistics the forward pass saves
		// (computed here from z); outputs: dz, dgamma, dbeta.
		Name: "bn_backward", Family: "batchnorm", Dims: 2,
		Inputs: func(rng *rand.Rand, s Shape) [][]float32 {
			z := BatchNormInput(rng, s.M, s.N)
			mean, variance := BatchStats64(z, s.M, s.N)
			m32, inv32 := make([]float32, s.N), make([]float32, s.N)
			for c := range s.N {
				m32[c], inv32[c] = float32(mean[c]), float32(1/math.Sqrt(variance[c]+bnEps))
			}
			return [][]float32{z, random(rng, s.M*s.N), random(rng, s.N), m32, inv32}
		},
		Outputs: func(s Shape) []int { return []int{s.M * s.N, s.N, s.N} },
		Run: func(d device.Device, s Shape, b []device.Buffer, _ device.IndexBuffer) {
			d.BatchNormBackward(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], s.M, s.N)
		},
		Check: []int{5, 6, 7},
		Ref: func(s Shape, in [][]float32, _ []int32) [][]float64 {
			dz, dgamma, dbeta := BatchNormBackward64(in[0], in[1], in[2], in[3], in[4], s.M, s.N)
			return [][]float64{dz, dgamma, dbeta}
		},
		Tol:   func(s Shape) (float64, float64) { return 1e-4, 1e-6 * math.Sqrt(float64(s.M)) },
		Flops: perElement(10),
		Bytes: func(s Shape) float64 { return 12*float64(s.M)*float64(s.N) + 20*float64(s.N) },
	},
}
