package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
)

// bnLoss64 is an independent float64 forward pass of an MLP with batch
// normalisation in training mode (batch statistics, biased variance, eps
// 1e-5) after every hidden linear layer, returning the summed loss. The
// gradient check differentiates it numerically.
func bnLoss64(arch Arch, w, b, gamma, beta [][]float64, x, y []float64, rows int) float64 {
	sizes := arch.Sizes()
	h := x
	for l := 0; l < arch.Layers(); l++ {
		in, out := sizes[l], sizes[l+1]
		z := make([]float64, rows*out)
		for i := 0; i < rows; i++ {
			for j := 0; j < out; j++ {
				s := b[l][j]
				for k := 0; k < in; k++ {
					s += h[i*in+k] * w[l][k*out+j]
				}
				z[i*out+j] = s
			}
		}
		if l < arch.Layers()-1 {
			for j := 0; j < out; j++ {
				var mean, v float64
				for i := 0; i < rows; i++ {
					mean += z[i*out+j]
				}
				mean /= float64(rows)
				for i := 0; i < rows; i++ {
					v += (z[i*out+j] - mean) * (z[i*out+j] - mean)
				}
				v /= float64(rows)
				for i := 0; i < rows; i++ {
					xhat := (z[i*out+j] - mean) / math.Sqrt(v+1e-5)
					z[i*out+j], _ = act64(arch, gamma[l][j]*xhat+beta[l][j])
				}
			}
		}
		h = z
	}
	var loss float64
	k := sizes[len(sizes)-1]
	for i := 0; i < rows; i++ {
		switch arch.Loss {
		case device.Logistic:
			zz := h[i]
			loss += math.Max(zz, 0) + math.Log1p(math.Exp(-math.Abs(zz))) - y[i]*zz
		case device.MSE:
			loss += (h[i] - y[i]) * (h[i] - y[i])
		case device.SoftmaxCE:
			var s float64
			for j := 0; j < k; j++ {
				s += math.Exp(h[i*k+j])
			}
			loss += math.Log(s) - h[i*k+int(y[i])]
		}
	}
	return loss
}

// TestBatchNormGradients checks the device's gradients of a network with
// batch normalisation (every weight, bias, scale and shift) against central
// finite differences of bnLoss64, for every activation and loss.
func TestBatchNormGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const rows = 9
	for _, loss := range []device.Loss{device.Logistic, device.SoftmaxCE, device.MSE} {
		for _, act := range []device.Activation{device.Identity, device.Tanh, device.ReLU, device.Sigmoid} {
			for _, hidden := range [][]int{{5}, {6, 4}} {
				outputs := 1
				if loss == device.SoftmaxCE {
					outputs = 3
				}
				arch := Arch{Inputs: 3, Hidden: hidden, Outputs: outputs, Activation: act, Loss: loss, BatchNorm: true}
				t.Run(fmt.Sprintf("%v/%v/hidden%v", loss, act, hidden), func(t *testing.T) {
					params := InitParams(arch, InitGlorot, rng.Uint64())
					for l := range params.Gamma {
						for j := range params.Gamma[l] {
							params.Gamma[l][j] = float32(0.5 + rng.Float64())
							params.Beta[l][j] = float32(0.2 * rng.NormFloat64())
						}
					}
					x, y := randomProblem(rng, arch, rows)
					got, deviceLoss := deviceGradients(t, arch, params, x, y, rows, 0, 0)
					var w, b, gamma, beta [][]float64
					for l := range params.W {
						w, b = append(w, f64(params.W[l])), append(b, f64(params.B[l]))
					}
					for l := range params.Gamma {
						gamma, beta = append(gamma, f64(params.Gamma[l])), append(beta, f64(params.Beta[l]))
					}
					x64, y64 := f64(x), f64(y)
					if ref := bnLoss64(arch, w, b, gamma, beta, x64, y64, rows); math.Abs(float64(deviceLoss[0])-ref) > 1e-4*(1+math.Abs(ref)) {
						t.Errorf("loss: device %v, float64 reference %v", deviceLoss[0], ref)
					}
					const h = 1e-6
					check := func(name string, p [][]float64, dev [][]float32) {
						for l := range p {
							for i := range p[l] {
								orig := p[l][i]
								p[l][i] = orig + h
								up := bnLoss64(arch, w, b, gamma, beta, x64, y64, rows)
								p[l][i] = orig - h
								down := bnLoss64(arch, w, b, gamma, beta, x64, y64, rows)
								p[l][i] = orig
								fd := (up - down) / (2 * h)
								if math.Abs(float64(dev[l][i])-fd) > 2e-4*(1+math.Abs(fd)) {
									t.Errorf("%s[%d][%d]: device %v, finite difference %v", name, l, i, dev[l][i], fd)
								}
							}
						}
					}
					check("W", w, got.W)
					check("b", b, got.B)
					check("gamma", gamma, got.Gamma)
					check("beta", beta, got.Beta)
				})
			}
		}
	}
}

// TestBatchNormRunningStatistics checks PyTorch's running-statistics update
// after one training step and that evaluation uses them, not the batch's.
func TestBatchNormRunningStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	arch := Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.MSE, BatchNorm: true}
	const rows = 6
	params := InitParams(arch, InitGlorot, 5)
	x, _ := randomProblem(rng, arch, rows)
	dev := cpu.New()
	net, err := NewNetwork(dev, arch, params, rows, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	xb, _ := dev.Alloc(len(x))
	dev.Upload(xb, x)
	net.Forward(xb, rows, true, 0)
	p, _ := net.Params()
	// The batch statistics of the first layer's pre-activation x·W + b.
	for j := 0; j < 3; j++ {
		var mean, ss float64
		z := make([]float64, rows)
		for i := 0; i < rows; i++ {
			z[i] = float64(params.B[0][j])
			for k := 0; k < 2; k++ {
				z[i] += float64(x[i*2+k]) * float64(params.W[0][k*3+j])
			}
			mean += z[i] / rows
		}
		for i := range z {
			ss += (z[i] - mean) * (z[i] - mean)
		}
		wantMean, wantVar := 0.1*mean, 0.9+0.1*ss/(rows-1)
		if math.Abs(float64(p.RunMean[0][j])-wantMean) > 1e-6 || math.Abs(float64(p.RunVar[0][j])-wantVar) > 1e-5 {
			t.Errorf("unit %d: running mean %v, var %v; want %v, %v", j, p.RunMean[0][j], p.RunVar[0][j], wantMean, wantVar)
		}
	}
	// Evaluation: with running statistics set by hand, one row's output
	// must follow them (a batch of one row would normalise to beta alone).
	for j := 0; j < 3; j++ {
		p.RunMean[0][j], p.RunVar[0][j] = 0.25, 4
	}
	if err := net.SetParams(p); err != nil {
		t.Fatal(err)
	}
	got, err := net.Logits(x[:2], 1)
	if err != nil {
		t.Fatal(err)
	}
	want := float64(p.B[1][0])
	for j := 0; j < 3; j++ {
		z := float64(p.B[0][j])
		for k := 0; k < 2; k++ {
			z += float64(x[k]) * float64(p.W[0][k*3+j])
		}
		a := math.Tanh(float64(p.Gamma[0][j])*(z-0.25)/math.Sqrt(4+1e-5) + float64(p.Beta[0][j]))
		want += a * float64(p.W[1][j])
	}
	if math.Abs(float64(got[0])-want) > 1e-5 {
		t.Errorf("evaluation output %v, want %v from the running statistics", got[0], want)
	}
}
