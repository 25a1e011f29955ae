// Package torchcheck repeats short PyTorch training runs on a device and
// compares them step by step: the same network, data and parameters (as
// --init-from gives them), every activation of the device table with SGD
// and every optimizer with tanh. The runs were made in float32 by
// testdata/trajectories.py (and the L1 penalty with SGD and Adam); a device passes when its losses and final
// parameters agree within float32 rounding (see Run). The CPU backend's
// test and the CUDA backend's (on a GPU or the emulator) call Run.
package torchcheck

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

//go:embed testdata/trajectories.json
var fixture []byte

// trajectories is testdata/trajectories.json.
type trajectories struct {
	Torch          string
	Steps          int
	Alpha          float64 // the parameter of the activations that take one
	X, Y           []float32
	Inputs, Hidden int
	Cases          []struct {
		Activation, Optimizer string
		L1                    float64
		Hyper                 struct{ LR, Momentum, Beta1, Beta2, Eps, WD, Alpha float64 }
		Run                   struct {
			Init, Final struct{ W, B [][]float32 }
			Losses      []float64
		}
	}
}

// tol is how far a loss or parameter may be from PyTorch's, relative to
// max(1, |value|): 5e-6, about 40 float32 ulp. Ten updates of a 3-4-1
// network in float32 round differently from PyTorch's kernels (other
// summation orders, fused multiply-adds, tanh and exp within a few ulp);
// on the CPU the largest difference was 6e-7 (Adam's parameters). A wrong
// formula moves them by orders of magnitude more: one update changes a
// parameter by about lr·g ≈ 1e-2, weight decay alone by lr·wd·p ≈ 5e-4.
const tol = 5e-6

// Run trains every case of the fixture on dev and compares it with
// PyTorch's run.
func Run(t *testing.T, dev device.Device) {
	var tr trajectories
	if err := json.Unmarshal(fixture, &tr); err != nil {
		t.Fatal(err)
	}
	n := len(tr.Y)
	for _, c := range tr.Cases {
		name := fmt.Sprintf("%s/%s", c.Activation, c.Optimizer)
		if c.Hyper.Momentum > 0 {
			name += fmt.Sprintf("/momentum=%g", c.Hyper.Momentum)
		}
		if c.L1 > 0 {
			name += fmt.Sprintf("/l1=%g", c.L1)
		}
		t.Run(name, func(t *testing.T) {
			act, err := nn.ParseActivation(c.Activation)
			if err != nil {
				t.Fatal(err)
			}
			kind, err := nn.ParseOptimizer(c.Optimizer)
			if err != nil {
				t.Fatal(err)
			}
			arch := nn.Arch{Inputs: tr.Inputs, Hidden: []int{tr.Hidden}, Outputs: 1, Activation: act, Loss: device.Logistic}
			if act.Spec().Param != "" {
				arch.ActivationParam = tr.Alpha
			}
			init := nn.Params{W: c.Run.Init.W, B: c.Run.Init.B}
			h := c.Hyper
			cfg := nn.TrainConfig{
				Arch: arch, InitFrom: &init, Steps: tr.Steps, Reduction: nn.Mean, Seed: 1,
				Optim: nn.OptimConfig{Kind: kind, LR: h.LR, Momentum: h.Momentum, Beta1: h.Beta1, Beta2: h.Beta2, Eps: h.Eps, Alpha: h.Alpha, WeightDecay: h.WD, L1: c.L1},
			}
			trainer, err := nn.NewTrainer(dev, cfg, tr.X, tr.Y, n)
			if err != nil {
				t.Fatal(err)
			}
			defer trainer.Close()
			hist, err := trainer.Run(nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != len(c.Run.Losses) {
				t.Fatalf("%d losses, PyTorch has %d", len(hist), len(c.Run.Losses))
			}
			worstLoss := 0.0
			for i, p := range hist {
				d := math.Abs(p.Loss-c.Run.Losses[i]) / max(1, math.Abs(c.Run.Losses[i]))
				worstLoss = max(worstLoss, d)
				if d > tol {
					t.Errorf("step %d: loss %.9g, PyTorch %.9g", p.Step, p.Loss, c.Run.Losses[i])
				}
			}
			got, err := trainer.Params()
			if err != nil {
				t.Fatal(err)
			}
			worstParam := 0.0
			for l := range got.W {
				for _, pair := range []struct {
					what      string
					got, want []float32
				}{{"weight", got.W[l], c.Run.Final.W[l]}, {"bias", got.B[l], c.Run.Final.B[l]}} {
					for i := range pair.want {
						g, w := float64(pair.got[i]), float64(pair.want[i])
						d := math.Abs(g-w) / max(1, math.Abs(w))
						worstParam = max(worstParam, d)
						if d > tol {
							t.Errorf("layers.%d.%s[%d] after %d steps: %.9g, PyTorch %.9g", l, pair.what, i, tr.Steps, g, w)
						}
					}
				}
			}
			t.Logf("largest difference from PyTorch %s: loss %.2g, parameters %.2g (relative)", tr.Torch, worstLoss, worstParam)
		})
	}
}
