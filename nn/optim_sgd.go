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

func sgdLaunch(dev device.Device, p, g device.Buffer, _ []device.Buffer, n int, u update) {
	dev.SGDStep(p, g, n, float32(u.lr), float32(u.WeightDecay))
}

func sgdRef(u update, p, g float64, _ []float64) float64 {
	return p - u.lr*(g+u.WeightDecay*p)
}

var (
	_ = register(&rule{name: GD, about: "full batch", launch: sgdLaunch, ref: sgdRef})
	_ = register(&rule{name: SGD, about: "minibatches", launch: sgdLaunch, ref: sgdRef})
)
