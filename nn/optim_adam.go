package nn

import (
	"math"

	"github.com/gputrain/gputrain/device"
)

// Adam is PyTorch's Adam, the L2 weight decay added to the gradient:
// d = g + weightDecay·p; m = β1·m + (1−β1)·d; v = β2·v + (1−β2)·d²;
// p -= lr·(m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + eps), t the 1-based step, as
//
//	torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=wd)
const Adam Optimizer = "adam"

var _ = register(&rule{
	name:   Adam,
	about:  "moments β1, β2, ε; L2 weight decay",
	state:  []string{"exp_avg", "exp_avg_sq"},
	kernel: "adam_step",
	args: func(u update) device.OptimArgs {
		a := adamArgs(u)
		a[6] = float32(u.WeightDecay)
		return a
	},
	ref: func(u update, p, g float64, s []float64) float64 {
		d := g + u.WeightDecay*p
		return adamRef(u, p, d, s)
	},
})

// adamRef is Adam's moment update and step for gradient d, in float64.
func adamRef(u update, p, d float64, s []float64) float64 {
	t := float64(u.step)
	s[0] = u.Beta1*s[0] + (1-u.Beta1)*d
	s[1] = u.Beta2*s[1] + (1-u.Beta2)*d*d
	mh := s[0] / (1 - math.Pow(u.Beta1, t))
	vh := s[1] / (1 - math.Pow(u.Beta2, t))
	return p - u.lr*mh/(math.Sqrt(vh)+u.Eps)
}

// adamArgs are the scalars of Adam's kernels: lr, β1, 1−β1, β2, 1−β2,
// eps, the weight decay (left 0 here) and the reciprocal bias corrections
// 1/(1−β^t), the differences computed in float64 as PyTorch computes them
// (in Python floats).
func adamArgs(u update) device.OptimArgs {
	t := float64(u.step)
	return device.OptimArgs{float32(u.lr), float32(u.Beta1), float32(1 - u.Beta1), float32(u.Beta2), float32(1 - u.Beta2),
		float32(u.Eps), 0, float32(1 / (1 - math.Pow(u.Beta1, t))), float32(1 / (1 - math.Pow(u.Beta2, t)))}
}
