package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/metrics"
	"github.com/gputrain/gputrain/nn"
	"github.com/spf13/pflag"
)

const trainHelp = `Usage: gputrain [train] [flags]

Trains a fully connected network. With no data flags it trains the shipped
example, the workshop's network on the UCI QSAR biodegradation data
(1055 molecules × 41 descriptors): 41 → 20 (tanh) → 1 (logistic), N(0,1)
initialisation, summed logistic loss, full-batch gradient descent with step
1e-4 for 3000 steps. The defaults below are those settings.

Examples:
  gputrain train
  gputrain train --test-split 0.2 --seed 7 --out biodeg.safetensors
  gputrain train --cv 5
  gputrain train --hidden "" --lr 1e-3                 # logistic regression
  gputrain train --data house.csv --label price --task regression \
                 --hidden 32 --activation relu --optimizer adam --lr 1e-3 \
                 --loss-reduction mean --batch-size 32 --epochs 100
`

// trainFlags holds every flag of "gputrain train".
type trainFlags struct {
	dataFlags
	device, task, hidden, activation, reduction, init, initFrom, optimizer, out string
	lr, momentum, beta1, beta2, eps, weightDecay, dropout                       float64
	valSplit, testSplit, threshold                                              float64
	batchSize, steps, epochs, cv, printEvery                                    int
	seed                                                                        uint64
	standardize, quiet                                                          bool
}

func (f *trainFlags) register(fs *pflag.FlagSet) {
	f.dataFlags.register(fs, true)
	fs.StringVar(&f.device, "device", "auto", "compute device: auto, cpu, cuda or cuda:N")
	fs.StringVar(&f.task, "task", "auto", "auto, binary, multiclass or regression (auto: from the labels)")
	fs.StringVar(&f.hidden, "hidden", "20", `hidden layer widths, comma-separated; "" for none (linear/logistic regression)`)
	fs.StringVar(&f.activation, "activation", "tanh", "hidden activation: tanh, relu, sigmoid or identity")
	fs.StringVar(&f.reduction, "loss-reduction", "sum", "combine per-row losses by sum (the workshop) or mean (PyTorch's default)")
	fs.StringVar(&f.init, "init", "normal", "initialisation: normal (N(0,1) weights and biases), glorot or he")
	fs.StringVar(&f.initFrom, "init-from", "", "start from the parameters in this safetensors file (layers.N.weight [out,in], layers.N.bias)")
	fs.StringVar(&f.optimizer, "optimizer", "gd", "gd (full batch), sgd (minibatches), momentum or adam")
	fs.Float64Var(&f.lr, "lr", 1e-4, "learning rate (step size)")
	fs.Float64Var(&f.momentum, "momentum", 0.9, "momentum coefficient for --optimizer momentum")
	fs.Float64Var(&f.beta1, "beta1", 0.9, "Adam's first-moment decay")
	fs.Float64Var(&f.beta2, "beta2", 0.999, "Adam's second-moment decay")
	fs.Float64Var(&f.eps, "eps", 1e-8, "Adam's epsilon")
	fs.Float64Var(&f.weightDecay, "weight-decay", 0, "L2 penalty coefficient, added to every parameter's gradient")
	fs.Float64Var(&f.dropout, "dropout", 0, "probability of dropping each hidden unit during training")
	fs.IntVar(&f.batchSize, "batch-size", 0, "rows per update, shuffled each epoch (0: full batch; sgd defaults to 32)")
	fs.IntVar(&f.steps, "steps", 3000, "number of updates (ignored when --epochs is set)")
	fs.IntVar(&f.epochs, "epochs", 0, "passes over the training rows (overrides --steps)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed for initialisation, splits, shuffling and dropout (same seed, same machine: same run)")
	fs.BoolVar(&f.standardize, "standardize", true, "standardise features with mean and sd fitted on the training rows")
	fs.Float64Var(&f.valSplit, "val-split", 0, "fraction of rows held out for validation (stratified for classes)")
	fs.Float64Var(&f.testSplit, "test-split", 0, "fraction of rows held out for testing (stratified for classes)")
	fs.IntVar(&f.cv, "cv", 0, "k-fold cross-validation: train k models and report each metric's mean ± sd")
	fs.Float64Var(&f.threshold, "threshold", 0.5, "binary decision threshold on the probability of the second class")
	fs.StringVar(&f.out, "out", "", "save the trained model to this safetensors file")
	fs.IntVar(&f.printEvery, "print-every", 0, "print the loss every N steps (0: at steps 0, 1, 10, 100, … and the last)")
	fs.BoolVar(&f.quiet, "quiet", false, "print only the final metrics")
}

// experiment validates the flags and turns them into an nn.Experiment.
func (f *trainFlags) experiment(fs *pflag.FlagSet) (nn.Experiment, error) {
	var e nn.Experiment
	var err error
	bad := func(err error) (nn.Experiment, error) { return nn.Experiment{}, usageError{err} }
	if e.Task, err = data.ParseTask(f.task); err != nil {
		return bad(fmt.Errorf("invalid --task: %v", err))
	}
	if e.Hidden, err = parseHidden(f.hidden); err != nil {
		return nn.Experiment{}, err
	}
	if e.Activation, err = nn.ParseActivation(f.activation); err != nil {
		return bad(err)
	}
	if e.Reduction, err = nn.ParseReduction(f.reduction); err != nil {
		return bad(err)
	}
	if e.Init, err = nn.ParseInit(f.init); err != nil {
		return bad(err)
	}
	kind, err := nn.ParseOptimizer(f.optimizer)
	if err != nil {
		return bad(err)
	}
	checks := []struct {
		ok   bool
		flag string
		want string
	}{
		{f.lr > 0 && !math.IsInf(f.lr, 0), "--lr", "a positive number"},
		{f.momentum >= 0 && f.momentum < 1, "--momentum", "in [0, 1)"},
		{f.beta1 >= 0 && f.beta1 < 1, "--beta1", "in [0, 1)"},
		{f.beta2 >= 0 && f.beta2 < 1, "--beta2", "in [0, 1)"},
		{f.eps > 0, "--eps", "a positive number"},
		{f.weightDecay >= 0, "--weight-decay", "≥ 0"},
		{f.dropout >= 0 && f.dropout < 1, "--dropout", "in [0, 1)"},
		{f.batchSize >= 0, "--batch-size", "≥ 0"},
		{f.steps >= 1, "--steps", "≥ 1"},
		{f.epochs >= 0, "--epochs", "≥ 0"},
		{f.valSplit >= 0 && f.valSplit < 1, "--val-split", "in [0, 1)"},
		{f.testSplit >= 0 && f.testSplit < 1, "--test-split", "in [0, 1)"},
		{f.valSplit+f.testSplit < 1, "--val-split + --test-split", "below 1"},
		{f.cv == 0 || f.cv >= 2, "--cv", "0 (off) or ≥ 2"},
		{f.threshold > 0 && f.threshold < 1, "--threshold", "in (0, 1)"},
		{f.printEvery >= 0, "--print-every", "≥ 0"},
	}
	for _, c := range checks {
		if !c.ok {
			return bad(fmt.Errorf("invalid %s: want %s", c.flag, c.want))
		}
	}
	if f.cv >= 2 && (f.valSplit > 0 || f.testSplit > 0) {
		return bad(errors.New("--cv cannot be combined with --val-split or --test-split"))
	}
	if f.cv >= 2 && f.out != "" {
		return bad(errors.New("--cv trains one model per fold and saves none: drop --out, or drop --cv to train and save one model"))
	}
	batch := f.batchSize
	if kind == nn.SGD && !fs.Changed("batch-size") {
		batch = 32
	}
	e.InitFromPath = f.initFrom
	e.Optim = nn.OptimConfig{Kind: kind, LR: f.lr, Momentum: f.momentum, Beta1: f.beta1, Beta2: f.beta2, Eps: f.eps, WeightDecay: f.weightDecay}
	e.BatchSize, e.Steps, e.Epochs, e.Dropout = batch, f.steps, f.epochs, f.dropout
	if f.epochs > 0 {
		e.Steps = 0
	}
	e.Seed, e.Standardize = f.seed, f.standardize
	e.ValSplit, e.TestSplit, e.CV, e.Threshold = f.valSplit, f.testSplit, f.cv, f.threshold
	e.Flags = map[string]string{}
	fs.Visit(func(fl *pflag.Flag) { e.Flags[fl.Name] = fl.Value.String() })
	return e, nil
}

func trainCommand(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", trainHelp, stdout)
	var f trainFlags
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	exp, err := f.experiment(fs)
	if err != nil {
		return err
	}
	ds, err := f.loadLabelled()
	if err != nil {
		return err
	}
	dev, err := openDevice(f.device)
	if err != nil {
		return err
	}
	defer dev.Close()

	p := &printer{w: stdout, quiet: f.quiet, every: f.printEvery}
	p.header(ds, exp, dev.Describe())
	start := time.Now()
	res, err := nn.RunExperiment(dev, ds, exp, p.loss, p.fold)
	if err != nil {
		return err
	}
	p.finish(res, time.Since(start))
	if f.out != "" && res.Model != nil {
		if err := res.Model.Save(f.out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "model saved to %s\n", f.out)
	}
	return nil
}

// printer writes training progress and results.
type printer struct {
	w     io.Writer
	quiet bool
	every int // print every this many steps (or epochs); 0: 0, 1, 10, 100, …

	last      *nn.LossPoint // the latest point, printed at the end if it was not yet
	printed   bool          // whether last was printed
	epochSum  float64       // minibatch: the running epoch's summed batch losses
	epochN    int
	epoch     int
	minibatch bool
	started   bool
	reduction nn.Reduction
}

func (p *printer) header(ds *data.Dataset, e nn.Experiment, dev string) {
	p.reduction = e.Reduction
	if p.quiet {
		return
	}
	fmt.Fprintf(p.w, "data:      %s, %d rows × %d features\n", ds.Source, ds.Rows(), ds.Cols())
	fmt.Fprintf(p.w, "device:    %s\n", dev)
	batch := "full batch"
	if e.BatchSize > 0 && e.BatchSize < ds.Rows() {
		batch = fmt.Sprintf("batch %d", e.BatchSize)
	}
	length := fmt.Sprintf("%d steps", e.Steps)
	if e.Epochs > 0 {
		length = fmt.Sprintf("%d epochs", e.Epochs)
	}
	fmt.Fprintf(p.w, "training:  %s, lr %g, %s, %s, loss %s, seed %d\n", e.Optim.Kind, e.Optim.LR, batch, length, e.Reduction, e.Seed)
	if e.CV >= 2 {
		fmt.Fprintf(p.w, "validation: %d-fold cross-validation\n", e.CV)
	}
}

// milestone reports whether step n is one to print: every p.every, or 0, 1,
// 10, 100, … when p.every is 0.
func (p *printer) milestone(n int) bool {
	if p.every > 0 {
		return n%p.every == 0
	}
	for n >= 10 && n%10 == 0 {
		n /= 10
	}
	return n <= 1
}

// loss receives every recorded training loss.
func (p *printer) loss(pt nn.LossPoint) {
	if p.quiet {
		return
	}
	if !p.started {
		p.started = true
		p.minibatch = pt.Step == 1 // full batch starts at step 0
		if p.minibatch {
			fmt.Fprintf(p.w, "%8s %8s %14s\n", "epoch", "step", "mean batch loss")
		} else {
			fmt.Fprintf(p.w, "%8s %14s\n", "step", "loss")
		}
	}
	if p.minibatch {
		if pt.Epoch != p.epoch && p.epochN > 0 {
			p.flushEpoch(false)
		}
		p.epoch = pt.Epoch
		p.epochSum += pt.Loss
		p.epochN++
		p.last = &pt
		return
	}
	p.last, p.printed = &pt, p.milestone(pt.Step)
	if p.printed {
		fmt.Fprintf(p.w, "%8d %14.6g\n", pt.Step, pt.Loss)
	}
}

// flushEpoch prints the finished epoch's mean batch loss when it is a
// milestone (or always, at the end).
func (p *printer) flushEpoch(final bool) {
	if p.epochN > 0 && (final || p.milestone(p.epoch)) {
		fmt.Fprintf(p.w, "%8d %8d %14.6g\n", p.epoch, p.last.Step, p.epochSum/float64(p.epochN))
	}
	p.epochSum, p.epochN = 0, 0
}

func (p *printer) fold(ev nn.Evaluation) {
	if p.quiet {
		return
	}
	fmt.Fprintf(p.w, "%-8s %d rows: loss %.6g", ev.Split, ev.Rows, ev.Loss)
	for _, v := range ev.Metrics {
		if v.Name == "accuracy" || v.Name == "r2" {
			fmt.Fprintf(p.w, ", %s %.4f", v.Name, v.Value)
		}
	}
	fmt.Fprintln(p.w)
}

// finish prints the last loss, the model and the evaluations.
func (p *printer) finish(res *nn.Result, elapsed time.Duration) {
	if !p.quiet && p.last != nil {
		if p.minibatch {
			p.flushEpoch(true)
		} else if !p.printed {
			fmt.Fprintf(p.w, "%8d %14.6g\n", p.last.Step, p.last.Loss)
		}
	}
	params := 0
	sizes := res.Arch.Sizes()
	for l := 0; l+1 < len(sizes); l++ {
		params += (sizes[l] + 1) * sizes[l+1]
	}
	fmt.Fprintf(p.w, "model:     %s, %d parameters, task %s, trained in %s\n", res.Arch, params, res.Task, elapsed.Round(time.Millisecond))
	if len(res.CVSummary) > 0 {
		fmt.Fprintf(p.w, "\ncross-validation (%d folds, mean ± sd over folds):\n", len(res.Folds))
		for _, s := range res.CVSummary {
			fmt.Fprintf(p.w, "  %s\n", s)
		}
		return
	}
	for _, ev := range res.Evals {
		fmt.Fprintf(p.w, "\n%s (%d rows): loss %.6g (%s, %s)\n", ev.Split, ev.Rows, ev.Loss, res.Arch.Loss, p.reduction)
		for _, line := range strings.Split(strings.TrimRight(metrics.FormatValues(ev.Metrics), "\n"), "\n") {
			fmt.Fprintf(p.w, "  %s\n", line)
		}
		if ev.Confusion != nil {
			fmt.Fprintf(p.w, "  confusion matrix (%s):\n", ev.Split)
			for _, line := range strings.Split(strings.TrimRight(ev.Confusion.Table(), "\n"), "\n") {
				fmt.Fprintf(p.w, "    %s\n", line)
			}
		}
	}
}
