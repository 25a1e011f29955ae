package nn

import "github.com/gputrain/gputrain/device"

// Momentum is PyTorch's SGD with momentum (dampening 0, not Nesterov):
// d = g + weightDecay·p; v = momentum·v + d; p -= lr·v, as
//
//	torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd)
const Momentum Optimizer = "momentum"

var _ = register(&rule{
	name:   Momentum,
	about:  "SGD with momentum",
	state:  []string{"momentum_buffer"},
	kernel: "momentum_step",
	args: func(u update) device.OptimArgs {
		return device.OptimArgs{float32(u.lr), float32(u.Momentum), float32(u.WeightDecay)}
	},
	ref: func(u update, p, g float64, s []float64) float64 {
		s[0] = u.Momentum*s[0] + g + u.WeightDecay*p
		return p - u.lr*s[0]
	},
})
