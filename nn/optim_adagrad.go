package nn

import (
	"math"

	"github.com/gputrain/gputrain/device"
)

// Adagrad is PyTorch's Adagrad, the L2 weight decay added to the gradient:
// d = g + weightDecay·p; s += d²; p -= lr·d/(sqrt(s) + eps), the sum s
// starting at 0, as
//
//	torch.optim.Adagrad(params, lr=lr, eps=eps, weight_decay=wd)
//
// with PyTorch's lr_decay and initial_accumulator_value, both 0 (the
// learning rate's schedule is the trainer's). PyTorch's default eps is
// 1e-10, not Adam's 1e-8: the rule takes the configuration's.
const Adagrad Optimizer = "adagrad"

var _ = register(&rule{
	name:   Adagrad,
	about:  "ε; L2 weight decay; no lr decay",
	state:  []string{"sum"},
	kernel: "adagrad_step",
	args: func(u update) device.OptimArgs {
		return device.OptimArgs{float32(u.lr), float32(u.Eps), float32(u.WeightDecay)}
	},
	ref: func(u update, p, g float64, s []float64) float64 {
		d := g + u.WeightDecay*p
		s[0] += d * d
		return p - u.lr*d/(math.Sqrt(s[0])+u.Eps)
	},
})
