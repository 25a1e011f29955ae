package nn

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
)

// Optimizer names an update rule.
type Optimizer string

// The optimizers. GD and SGD share the update p -= lr·g; they differ only in
// the default batch (GD: the full training set, SGD: minibatches).
const (
	GD       Optimizer = "gd"
	SGD      Optimizer = "sgd"
	Momentum Optimizer = "momentum"
	Adam     Optimizer = "adam"
)

// ParseOptimizer checks an --optimizer value.
func ParseOptimizer(s string) (Optimizer, error) {
	switch Optimizer(s) {
	case GD, SGD, Momentum, Adam:
		return Optimizer(s), nil
	}
	return "", fmt.Errorf("invalid --optimizer %q: want gd, sgd, momentum or adam", s)
}

// OptimConfig holds an optimizer and its hyperparameters.
type OptimConfig struct {
	Kind        Optimizer
	LR          float64
	Momentum    float64 // for Momentum (PyTorch's default 0.9 here)
	Beta1       float64 // Adam
	Beta2       float64 // Adam
	Eps         float64 // Adam
	WeightDecay float64 // L2 penalty added to the gradient, all parameters
}

// updater applies one optimizer step to every parameter of a network, with
// its state (velocities, moments) allocated once on the device.
type updater struct {
	cfg   OptimConfig
	dev   device.Device
	pg    []paramGrad
	state [][2]device.Buffer
	step  int
}

func newUpdater(dev device.Device, net *Network, cfg OptimConfig) (*updater, error) {
	u := &updater{cfg: cfg, dev: dev, pg: net.paramGrads()}
	nState := map[Optimizer]int{Momentum: 1, Adam: 2}[cfg.Kind]
	for _, p := range u.pg {
		var s [2]device.Buffer
		for i := 0; i < nState; i++ {
			b, err := net.alloc(p.n)
			if err != nil {
				return nil, err
			}
			dev.Fill(b, p.n, 0)
			s[i] = b
		}
		u.state = append(u.state, s)
	}
	return u, nil
}

// apply updates every parameter from its gradient.
func (u *updater) apply() {
	u.step++
	c := u.cfg
	lr, wd := float32(c.LR), float32(c.WeightDecay)
	for i, p := range u.pg {
		switch c.Kind {
		case Momentum:
			u.dev.MomentumStep(p.p, p.g, u.state[i][0], p.n, lr, float32(c.Momentum), wd)
		case Adam:
			u.dev.AdamStep(p.p, p.g, u.state[i][0], u.state[i][1], p.n, lr, float32(c.Beta1), float32(c.Beta2), float32(c.Eps), wd, u.step)
		default:
			u.dev.SGDStep(p.p, p.g, p.n, lr, wd)
		}
	}
}
