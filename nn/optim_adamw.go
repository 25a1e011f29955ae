package nn

import "github.com/gputrain/gputrain/device"

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter): the
// parameters shrink by the factor 1 − lr·weightDecay, then take Adam's
// step computed from the plain gradient, as
//
//	torch.optim.AdamW(params, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=wd)
const AdamW Optimizer = "adamw"

var _ = register(&rule{
	name:   AdamW,
	about:  "Adam with decoupled weight decay",
	state:  []string{"exp_avg", "exp_avg_sq"},
	kernel: "adamw_step",
	args: func(u update) device.OptimArgs {
		a := adamArgs(u)
		a[6] = float32(1 - u.lr*u.WeightDecay) // in float64, as PyTorch's
		return a
	},
	ref: func(u update, p, g float64, s []float64) float64 {
		return adamRef(u, p*(1-u.lr*u.WeightDecay), g, s)
	},
})
