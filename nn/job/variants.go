package job

import (
	"context"
	"fmt"
	"maps"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

// VariantKey returns the key under which experiments train side by side
// (RunVariants): experiments with equal keys differ at most in their
// optimizer's hyper-parameters (not its kind nor L1), dropout rate and
// recorded flags, so their tensors have the same shapes and their launches
// can be shared. ok is false for an experiment that trains alone: with
// restarts, cross-validation, class weights, initial parameters, an
// automatic threshold, early stopping, checkpoints or a resumed run.
func VariantKey(e Experiment) (key string, ok bool) {
	if e.Restarts > 1 || e.CV >= 2 || (e.ClassWeight != "" && e.ClassWeight != "none") || e.InitFromPath != "" ||
		e.AutoThreshold || e.EarlyStopping.Patience > 0 || e.CheckpointEvery > 0 || e.Resume != nil {
		return "", false
	}
	e.Optim = nn.OptimConfig{Kind: e.Optim.Kind, L1: e.Optim.L1}
	e.Dropout, e.Flags = 0, nil
	return fmt.Sprintf("%+v", e), true
}

// RunVariants trains experiments of one VariantKey side by side on dev, as
// replicas of one network with each experiment's hyper-parameters held
// per replica on the device, and returns each experiment's result: its
// evaluations, loss history and model are those of RunExperimentContext
// on the experiment alone, bit for bit on the CPU (see
// nn.TrainConfig.Variants); its progress records are left out (they hold
// the mean over the replicas). One experiment runs as
// RunExperimentContext. hooks see the group's run.
func RunVariants(ctx context.Context, dev device.Device, ds *data.Dataset, exps []Experiment, hooks Hooks) ([]*Result, error) {
	if len(exps) == 1 {
		res, err := RunExperimentContext(ctx, dev, ds, exps[0], hooks)
		return []*Result{res}, err
	}
	key, ok := VariantKey(exps[0])
	if !ok {
		return nil, fmt.Errorf("the experiment cannot train side by side with others")
	}
	group := exps[0]
	for i, e := range exps {
		if k, _ := VariantKey(e); k != key {
			return nil, fmt.Errorf("experiment %d differs from the first in more than its hyper-parameters", i)
		}
		group.variants = append(group.variants, nn.Variant{Optim: e.Optim, Dropout: e.Dropout})
	}
	res, err := RunExperimentContext(ctx, dev, ds, group, hooks)
	if err != nil {
		return nil, err
	}
	R := len(exps)
	out := make([]*Result, R)
	for r := range exps {
		one := &Result{Task: res.Task, Arch: res.Arch, Evals: res.Restarts[r].Evals, Threshold: res.Threshold,
			Manifest: maps.Clone(res.Manifest)}
		setFlags(one.Manifest, exps[r].Flags)
		for _, pt := range res.History {
			one.History = append(one.History, nn.LossPoint{Step: pt.Step, Epoch: pt.Epoch, Loss: pt.Restarts[r]})
		}
		m := *res.Model
		m.Params = res.params.Replica(r, R)
		m.Info = exps[r].info(one)
		one.Model = &m
		out[r] = one
	}
	return out, nil
}
