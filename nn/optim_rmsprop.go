package nn

import (
	"math"

	"github.com/gputrain/gputrain/device"
)

// RMSprop is PyTorch's RMSprop (not centred), the L2 weight decay added to
// the gradient: d = g + weightDecay·p; s = α·s + (1−α)·d²;
// b = momentum·b + d/(sqrt(s) + eps); p -= lr·b, as
//
//	torch.optim.RMSprop(params, lr=lr, alpha=alpha, eps=eps, weight_decay=wd, momentum=momentum)
//
// With momentum 0 (PyTorch's default) b is d/(sqrt(s) + eps) exactly, and
// the update PyTorch's p -= lr·d/(sqrt(s) + eps); the momentum buffer is
// kept whatever the momentum, so that the state does not depend on it.
const RMSprop Optimizer = "rmsprop"

var _ = register(&rule{
	name:   RMSprop,
	about:  "α, ε, momentum 0 unless given; L2 weight decay",
	state:  []string{"square_avg", "momentum_buffer"},
	kernel: "rmsprop_step",
	args: func(u update) device.OptimArgs {
		return device.OptimArgs{float32(u.lr), float32(u.Alpha), float32(1 - u.Alpha), float32(u.Eps), float32(u.WeightDecay), float32(u.Momentum)}
	},
	ref: func(u update, p, g float64, s []float64) float64 {
		d := g + u.WeightDecay*p
		s[0] = u.Alpha*s[0] + (1-u.Alpha)*d*d
		s[1] = u.Momentum*s[1] + d/(math.Sqrt(s[0])+u.Eps)
		return p - u.lr*s[1]
	},
})
