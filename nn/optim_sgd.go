package nn

import "github.com/gputrain/gputrain/device"

// GD and SGD share the update p -= lr·(g + weightDecay·p), PyTorch's
//
//	torch.optim.SGD(params, lr=lr, weight_decay=wd)
//
// They differ only in the default batch (GD: the full training set, SGD:
// minibatches).
const (
	GD  Optimizer = "gd"
	SGD Optimizer = "sgd"
)

func sgdArgs(u update) device.OptimArgs {
	return device.OptimArgs{float32(u.lr), float32(u.WeightDecay)}
}

func sgdRef(u update, p, g float64, _ []float64) float64 {
	return p - u.lr*(g+u.WeightDecay*p)
}

var (
	_ = register(&rule{name: GD, about: "full batch", kernel: "sgd_step", args: sgdArgs, ref: sgdRef})
	_ = register(&rule{name: SGD, about: "minibatches", kernel: "sgd_step", args: sgdArgs, ref: sgdRef})
)
