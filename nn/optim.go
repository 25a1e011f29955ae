package nn

import (
	"fmt"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/advice"
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

// ParseOptimizer checks an optimizer's name.
func ParseOptimizer(s string) (Optimizer, error) {
	switch Optimizer(s) {
	case GD, SGD, Momentum, Adam:
		return Optimizer(s), nil
	}
	return "", invalidName(advice.Optimizer, s, "gd, sgd, momentum or adam")
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
	cfg      OptimConfig
	dev      device.Device
	pg       []paramGrad
	state    [][2]device.Buffer
	replicas int             // copies of the network side by side
	step     int             // updates applied so far (Adam's bias correction uses step+1)
	an       *anomalyChecker // checks each updated tensor when set
}

// stateCount is how many state tensors the optimizer keeps per parameter.
func (c OptimConfig) stateCount() int {
	return map[Optimizer]int{Momentum: 1, Adam: 2}[c.Kind]
}

// StateNames names the optimizer's state tensors as PyTorch's optimizers
// do in their state dicts.
func (c OptimConfig) StateNames() []string {
	switch c.Kind {
	case Momentum:
		return []string{"momentum_buffer"}
	case Adam:
		return []string{"exp_avg", "exp_avg_sq"}
	}
	return nil
}

func newUpdater(dev device.Device, net *Network, cfg OptimConfig) (*updater, error) {
	u := &updater{cfg: cfg, dev: dev, pg: net.paramGrads(), replicas: net.replicas}
	nState := cfg.stateCount()
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

// apply updates every parameter from its gradient with learning rate lr.
func (u *updater) apply(lr float64) {
	u.step++
	c := u.cfg
	lr32, wd := float32(lr), float32(c.WeightDecay)
	for i, p := range u.pg {
		switch c.Kind {
		case Momentum:
			u.dev.MomentumStep(p.p, p.g, u.state[i][0], p.n, lr32, float32(c.Momentum), wd)
		case Adam:
			u.dev.AdamStep(p.p, p.g, u.state[i][0], u.state[i][1], p.n, lr32, float32(c.Beta1), float32(c.Beta2), float32(c.Eps), wd, u.step)
		default:
			u.dev.SGDStep(p.p, p.g, p.n, lr32, wd)
		}
		if u.an != nil {
			u.an.check(p.name, p.p, p.n)
			for s, name := range c.StateNames() {
				u.an.check(p.name+" "+name, u.state[i][s], p.n)
			}
		}
	}
}

// download copies the optimizer state to the host: one Params per state
// tensor kind (none for plain gradient descent), in the layout of the
// network's Params (untrained tensors, such as batch normalisation's
// running statistics, hold zeros).
func (u *updater) download(arch Arch) ([]Params, error) {
	out := make([]Params, u.cfg.stateCount())
	for s := range out {
		out[s] = zeroParams(arch, u.replicas)
		for i, t := range trainableTensors(&out[s]) {
			if err := u.dev.Download(*t, u.state[i][s]); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// trainableTensors lists p's trainable tensors, in the optimizer's order.
func trainableTensors(p *Params) []*[]float32 {
	ts, trainable := p.tensors()
	var out []*[]float32
	for i, t := range ts {
		if trainable[i] {
			out = append(out, t)
		}
	}
	return out
}

// upload restores optimizer state written by download.
func (u *updater) upload(arch Arch, state []Params, step int) error {
	if len(state) != u.cfg.stateCount() {
		return fmt.Errorf("optimizer state has %d tensors per parameter, %s keeps %d", len(state), u.cfg.Kind, u.cfg.stateCount())
	}
	for s := range state {
		if err := state[s].CheckShapes(arch, u.replicas); err != nil {
			return fmt.Errorf("optimizer state: %v", err)
		}
		for i, t := range trainableTensors(&state[s]) {
			u.dev.Upload(u.state[i][s], *t)
		}
	}
	if step < 0 {
		return fmt.Errorf("optimizer step count %d is negative", step)
	}
	u.step = step
	return u.dev.Err()
}
