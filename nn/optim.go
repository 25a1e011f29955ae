package nn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/advice"
)

// Optimizer names an update rule.
type Optimizer string

// OptimConfig holds an optimizer and its hyperparameters. Each rule reads
// the ones it documents and ignores the others.
type OptimConfig struct {
	Kind     Optimizer
	LR       float64
	Momentum float64 // momentum, rmsprop
	Beta1    float64 // adam, adamw
	Beta2    float64 // adam, adamw
	Eps      float64 // adam, adamw, rmsprop
	Alpha    float64 // rmsprop's squared-gradient decay
	// WeightDecay is the rule's weight decay on every parameter, biases
	// included (as PyTorch's weight_decay): an L2 term added to the
	// gradient, except where the rule decouples it (adamw).
	WeightDecay float64
	// L1 is the L1 penalty on the weights of the linear layers, not the
	// biases nor batch normalisation's parameters (as Keras'
	// regularizers.L1 on kernels): L1·sign(w) is added to each weight's
	// gradient before the rule's update. The reported loss leaves the
	// penalty out.
	L1 float64
}

// rule is one optimizer: the state it keeps per parameter tensor, its
// update on the device and the same update written in float64 for the
// reference implementation. Each rule lives in its own optim_*.go file and
// registers itself, so adding an optimizer touches only its file (and its
// device kernel).
type rule struct {
	name  Optimizer
	about string // one phrase for --help
	// state names the state tensors kept per parameter, as PyTorch's
	// optimizer names them in its state dict.
	state []string
	// kernel names the device's update kernel (kernels/optim.cu and
	// cpu/internal/update) and args gives its scalar arguments for one
	// step, in the kernel's order.
	kernel string
	args   func(u update) device.OptimArgs
	// ref applies the same update to one parameter value p with gradient g
	// and state s (one value per state tensor), in float64, and returns the
	// new value.
	ref func(u update, p, g float64, s []float64) float64
}

// update is what one optimizer step needs besides the tensors: the
// hyperparameters, this step's learning rate and the 1-based step count
// (for bias corrections).
type update struct {
	OptimConfig
	lr   float64
	step int
}

// rules holds every registered optimizer by name.
var rules = map[Optimizer]*rule{}

// register adds r to the optimizers; the rule files call it at package
// initialisation.
func register(r *rule) *rule {
	rules[r.name] = r
	return r
}

// Optimizers lists every optimizer, in alphabetical order.
func Optimizers() []Optimizer {
	var names []Optimizer
	for n := range rules {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// optimizerNames lists the optimizers' names, in alphabetical order.
func optimizerNames() []string {
	var names []string
	for _, n := range Optimizers() {
		names = append(names, string(n))
	}
	return names
}

// ParseOptimizer checks an optimizer's name.
func ParseOptimizer(s string) (Optimizer, error) {
	if _, ok := rules[Optimizer(s)]; ok {
		return Optimizer(s), nil
	}
	return "", invalidName(advice.Optimizer, s, strings.Join(optimizerNames(), ", "))
}

// OptimizerHelp describes every optimizer in one line, for --help.
func OptimizerHelp() string {
	var parts []string
	for _, n := range optimizerNames() {
		parts = append(parts, n+" ("+rules[Optimizer(n)].about+")")
	}
	return strings.Join(parts, ", ")
}

// StateTensors is how many state tensors the optimizer keeps per parameter
// tensor (each the size of the parameters): 0 for plain gradient descent,
// 1 for momentum, 2 for Adam.
func StateTensors(kind Optimizer) int { return len(rules[kind].state) }

// rule returns the configuration's rule.
func (c OptimConfig) rule() *rule { return rules[c.Kind] }

// stateCount is how many state tensors the optimizer keeps per parameter.
func (c OptimConfig) stateCount() int { return len(c.rule().state) }

// StateNames names the optimizer's state tensors as PyTorch's optimizers
// do in their state dicts.
func (c OptimConfig) StateNames() []string { return c.rule().state }

// updater applies one optimizer step to every parameter of a network, with
// its state (velocities, moments) allocated once on the device.
type updater struct {
	cfg      OptimConfig
	rule     *rule
	dev      device.Device
	pg       []paramGrad
	state    [][]device.Buffer
	replicas int             // copies of the network side by side
	step     int             // updates applied so far (bias corrections use step+1)
	an       *anomalyChecker // checks each updated tensor when set
	// variants holds each replica's hyper-parameters when they differ
	// (TrainConfig.Variants), nil otherwise; table is the host copy of
	// their kernel scalars for one step and args the device's.
	variants []OptimConfig
	table    []float32
	args     device.Buffer
}

func newUpdater(dev device.Device, net *Network, cfg OptimConfig, variants []Variant) (*updater, error) {
	u := &updater{cfg: cfg, rule: cfg.rule(), dev: dev, pg: net.paramGrads(), replicas: net.replicas}
	if len(variants) > 0 {
		for _, v := range variants {
			u.variants = append(u.variants, v.Optim)
		}
		u.table = make([]float32, len(variants)*device.ReplicaArgs)
		var err error
		if u.args, err = net.alloc(len(u.table)); err != nil {
			return nil, err
		}
	}
	for _, p := range u.pg {
		s := make([]device.Buffer, len(u.rule.state))
		for i := range s {
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

// apply makes update at of total: every parameter from its gradient, with
// the learning rate sched gives the configuration's (each variant's own,
// its scalars computed as for a run of its own and uploaded once for every
// tensor).
func (u *updater) apply(sched Schedule, at, total int) {
	u.step++
	args := u.rule.args(update{OptimConfig: u.cfg, lr: sched.LR(u.cfg.LR, at, total), step: u.step})
	for r, c := range u.variants {
		a := u.rule.args(update{OptimConfig: c, lr: sched.LR(c.LR, at, total), step: u.step})
		copy(u.table[r*device.ReplicaArgs:], a[:])
	}
	if u.variants != nil {
		u.dev.Upload(u.args, u.table)
	}
	for i, p := range u.pg {
		if u.cfg.L1 > 0 && p.weight {
			u.dev.AddL1(p.g, p.p, p.n, float32(u.cfg.L1))
		}
		if u.variants != nil {
			u.dev.OptimStepReplicas(u.rule.kernel, p.p, p.g, u.state[i], p.n, p.run, u.replicas, u.args)
		} else {
			u.dev.OptimStep(u.rule.kernel, p.p, p.g, u.state[i], p.n, args)
		}
		if u.an != nil {
			u.an.check(p.name, p.p, p.n)
			for s, name := range u.rule.state {
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
	out := make([]Params, len(u.rule.state))
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
	if len(state) != len(u.rule.state) {
		return fmt.Errorf("optimizer state has %d tensors per parameter, %s keeps %d", len(state), u.cfg.Kind, len(u.rule.state))
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
