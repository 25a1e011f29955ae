package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/atomicfile"
	"github.com/gputrain/gputrain/nn"
	"github.com/gputrain/gputrain/nn/job"
	"github.com/spf13/pflag"
)

// activationNames lists the activations' spellings, for --help.
func activationNames() string {
	var names []string
	for _, a := range device.AllActivations() {
		names = append(names, a.String())
	}
	return strings.Join(names, ", ")
}

const trainHelp = `Usage: gputrain [train] [flags]

Trains a fully connected network. With no data flags it trains the shipped
example, the workshop's network on the UCI QSAR biodegradation data
(1055 molecules × 41 descriptors): 41 → 20 (tanh) → 1 (logistic), N(0,1)
initialisation, summed logistic loss, full-batch gradient descent with step
1e-4 for 3000 steps. The defaults below are those settings (--preset
workshop).

With --data (your own table) the tabular preset starts from what a
practitioner would pick instead: --hidden 64 --activation relu --init he
(glorot for other activations) --optimizer adam --lr 1e-3 --loss-reduction
mean --batch-size 32 --epochs 200, and, unless --cv is given, --val-split 0.2
--patience 20 (early stopping with the best weights restored). Every flag you
give overrides its preset value; --preset workshop keeps the workshop's
settings for your data too. The run header says which preset is active.

On a terminal a progress bar shows the step, loss, validation metric, rate
and time left; otherwise the loss is printed at steps 0, 1, 10, 100, … (and
at least every 30 s). Ctrl-C (or SIGTERM, SIGHUP) stops at the next step,
saves a checkpoint and says how to continue it with --resume (exit code
130); the continued run is bit for bit the run that was not interrupted.
A checkpoint that cannot be written goes to the temporary directory; when
that fails too, or for --cv, the run says nothing was saved (exit code 1).

With --data, text columns are categories (one-hot), missing cells (empty,
NA, N/A, NaN, null, ?) are imputed, rows with a missing label are skipped,
and constant and identifier columns are dropped; all of it is fitted on the
training rows, shown in the header and saved in the model (see
"gputrain inspect" to look at a table first).

Examples:
  gputrain train
  gputrain train --test-split 0.2 --seed 7 --out biodeg.safetensors
  gputrain train --cv 5
  gputrain train --hidden "" --lr 1e-3                 # logistic regression
  gputrain train --val-split 0.2 --optimizer adam --lr 1e-2 --batch-size 32 \
                 --epochs 500 --patience 10 --plots plots --log run.jsonl
  gputrain train --steps 100000 --checkpoint-every 1000 --checkpoint run.ckpt
  gputrain train --resume run.ckpt                     # continue it
  gputrain train --data penguins.csv --label species --cv 5 --optimizer adam \
                 --lr 1e-2 --loss-reduction mean --init glorot --epochs 200 --batch-size 32
  gputrain train --data house.csv --label price --task regression \
                 --hidden 32 --activation relu --optimizer adam --lr 1e-3 \
                 --loss-reduction mean --batch-size 32 --epochs 100
`

// trainFlags holds every flag of "gputrain train". register adds those
// that describe the training (shared with bench and verify); registerRun
// adds those that only "gputrain train" has (outputs, checkpoints, early
// stopping).
type trainFlags struct {
	dataFlags
	columns                                                                      columnFlags
	device, task, hidden, activation, reduction, init, initFrom, optimizer, out  string
	lr, momentum, beta1, beta2, eps, alpha, weightDecay, l1, dropout, leakySlope float64
	valSplit, testSplit                                                          float64
	threshold                                                                    string
	batchSize, steps, epochs, cv, printEvery                                     int
	seed                                                                         uint64
	standardize, quiet                                                           bool
	lrSchedule, classWeight                                                      string
	warmup, lrStepSize                                                           int
	lrGamma, lrMin                                                               float64
	detectAnomaly, batchNorm                                                     bool
	restarts                                                                     int

	preset                                          string
	logPath, plotsDir, progress, checkpoint, resume string
	logEvery, patience, checkpointEvery             int
	minDelta                                        float64
	restoreBest                                     bool
}

func (f *trainFlags) register(fs *pflag.FlagSet) {
	f.dataFlags.register(fs, true)
	fs.StringVar(&f.device, "device", "auto", "compute device: auto, cpu, cuda or cuda:N")
	fs.StringVar(&f.task, "task", "auto", "auto, binary, multiclass or regression (auto: from the labels)")
	fs.StringVar(&f.hidden, "hidden", "20", `hidden layer widths, comma-separated; "" for none (linear/logistic regression)`)
	fs.StringVar(&f.activation, "activation", "tanh", "hidden activation: "+activationNames())
	fs.Float64Var(&f.leakySlope, "leaky-slope", 0.01, "--activation leaky-relu: the slope for negative inputs (PyTorch's negative_slope)")
	fs.StringVar(&f.reduction, "loss-reduction", "sum", "combine per-row losses by sum (the workshop) or mean (PyTorch's default)")
	fs.StringVar(&f.init, "init", "normal", "initialisation: normal (N(0,1) weights and biases), glorot or he")
	fs.StringVar(&f.initFrom, "init-from", "", "start from the parameters in this safetensors file: a PyTorch state_dict of Linear (and BatchNorm1d) layers named as nn.Sequential names them (0.weight [out,in], 0.bias, 2.weight, …; or layers.N.*), or a gputrain model; --hidden and --batch-norm default to the file's network")
	fs.StringVar(&f.optimizer, "optimizer", "gd", nn.OptimizerHelp())
	fs.Float64Var(&f.lr, "lr", 1e-4, "learning rate (step size)")
	fs.StringVar(&f.lrSchedule, "lr-schedule", "constant", "learning-rate schedule: constant, step (× --lr-gamma every --lr-step-size steps) or cosine (down to --lr-min)")
	fs.IntVar(&f.warmup, "warmup-steps", 0, "raise the learning rate linearly from lr/N to lr over the first N steps")
	fs.IntVar(&f.lrStepSize, "lr-step-size", 0, "--lr-schedule step: steps between decays")
	fs.Float64Var(&f.lrGamma, "lr-gamma", 0.1, "--lr-schedule step: factor applied at each decay")
	fs.Float64Var(&f.lrMin, "lr-min", 0, "--lr-schedule cosine: the learning rate it ends at")
	fs.Float64Var(&f.momentum, "momentum", 0.9, "momentum coefficient for --optimizer momentum, and for rmsprop when given (there PyTorch's default 0)")
	fs.Float64Var(&f.beta1, "beta1", 0.9, "Adam's first-moment decay")
	fs.Float64Var(&f.beta2, "beta2", 0.999, "Adam's second-moment decay")
	fs.Float64Var(&f.eps, "eps", 1e-8, "epsilon of adam, adamw, rmsprop and adagrad (PyTorch's Adagrad default is 1e-10)")
	fs.Float64Var(&f.alpha, "rmsprop-alpha", 0.99, "RMSprop's squared-gradient decay (PyTorch's alpha)")
	fs.Float64Var(&f.weightDecay, "weight-decay", 0, "L2 penalty coefficient, added to the gradient of every parameter, biases and batch-norm scales and shifts included (as PyTorch's weight_decay; --l1 is for the weights only)")
	fs.Float64Var(&f.l1, "l1", 0, "L1 penalty λ on the weights of the linear layers, not the biases nor batch-norm parameters (as Keras' regularizers.L1 on kernels): λ·sign(w) added to their gradient; the printed loss leaves the penalty out")
	fs.Float64Var(&f.dropout, "dropout", 0, "probability of dropping each hidden unit during training")
	fs.BoolVar(&f.batchNorm, "batch-norm", false, "batch normalisation after each hidden linear layer, before the activation (PyTorch's BatchNorm1d: momentum 0.1, eps 1e-5)")
	fs.IntVar(&f.restarts, "restarts", 1, "train N independently initialised copies side by side (seeds derived from --seed); report each metric's mean ± sd and keep the best by validation loss")
	fs.StringVar(&f.classWeight, "class-weight", "none", "none, or balanced: weight each class's rows by rows/(classes × rows of the class) in the training loss")
	fs.IntVar(&f.batchSize, "batch-size", 0, "rows per update, shuffled each epoch (0: full batch; sgd defaults to 32)")
	fs.IntVar(&f.steps, "steps", 3000, "number of updates (ignored when --epochs is set); 0 evaluates the initial parameters (see --init-from) without training")
	fs.IntVar(&f.epochs, "epochs", 0, "passes over the training rows (overrides --steps)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed for initialisation, splits, shuffling and dropout (same seed, same machine: same run)")
	fs.BoolVar(&f.standardize, "standardize", true, "standardise features with mean and sd fitted on the training rows")
	fs.Float64Var(&f.valSplit, "val-split", 0, "fraction of rows held out for validation (stratified for classes)")
	fs.Float64Var(&f.testSplit, "test-split", 0, "fraction of rows held out for testing (stratified for classes)")
	fs.IntVar(&f.cv, "cv", 0, "k-fold cross-validation: train k models and report each metric's mean ± sd")
	fs.StringVar(&f.threshold, "threshold", "0.5", "binary decision threshold on the probability of the second class, or auto: the best balanced accuracy on the validation rows")
	fs.StringVar(&f.out, "out", "", "save the trained model to this safetensors file")
	fs.IntVar(&f.printEvery, "print-every", 0, "print the loss every N steps (0: at steps 0, 1, 10, 100, … and the last)")
	fs.BoolVar(&f.quiet, "quiet", false, "print only the final metrics")
	fs.BoolVar(&f.detectAnomaly, "detect-anomaly", false, "check the output of every operation of every step for NaN/Inf and name the first (slow)")
}

func (f *trainFlags) registerRun(fs *pflag.FlagSet) {
	fs.StringVar(&f.preset, "preset", presetAuto, "starting values of the training flags: auto (tabular with --data, else workshop), workshop (the defaults shown here) or tabular (see above); flags you give override it")
	f.columns.register(fs)
	fs.StringVar(&f.progress, "progress", progressAuto, "progress display: auto (a bar on a terminal, lines otherwise), bar or lines")
	fs.StringVar(&f.logPath, "log", "", "write a JSON Lines log to this file: the run's manifest, a record per --log-every steps (losses, metrics, lr, elapsed), the result")
	fs.IntVar(&f.logEvery, "log-every", 0, "steps between progress records (validation loss, log lines, early-stopping checks); 0: every epoch with minibatches; with full batches 1, 2, 5, 10, 20, 50 or 100 steps, about 200 records a run")
	fs.StringVar(&f.plotsDir, "plots", "", "write PNG and SVG charts to this directory: loss curves, confusion matrices, ROC curve (binary)")
	fs.IntVar(&f.patience, "patience", 0, "early stopping: stop after N progress records without a better validation loss (needs --val-split; 0: off)")
	fs.Float64Var(&f.minDelta, "min-delta", 0, "early stopping: the least decrease of the validation loss that counts as better")
	fs.BoolVar(&f.restoreBest, "restore-best", true, "early stopping: end with the weights of the best validation loss")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "checkpoint file written every --checkpoint-every steps and on Ctrl-C/SIGTERM (default gputrain.ckpt, or the --resume file)")
	fs.IntVar(&f.checkpointEvery, "checkpoint-every", 0, "write a checkpoint every N steps (0: only when interrupted)")
	fs.StringVar(&f.resume, "resume", "", "continue the run saved in this checkpoint, with its settings (only outputs, device, data location and length may change)")
}

// The ranges of the integer flags. Their products (epochs × batches per
// epoch, widths × restarts × rows) fit an int64, and what they allocate is
// checked against the device's memory before training (nn.MemoryError).
const (
	maxSteps    = 1_000_000_000_000 // updates, and intervals counted in updates
	maxEpochs   = 1_000_000_000
	maxRows     = math.MaxInt32 // --batch-size, --cv: row counts
	maxRestarts = job.MaxRestarts
	maxWidth    = job.MaxWidth // a hidden layer's width
)

// inRange reports whether lo ≤ v ≤ hi.
func inRange(v, lo, hi int) bool { return v >= lo && v <= hi }

// itoa formats an int.
func itoa(v int) string { return strconv.Itoa(v) }

// experiment validates the flags and turns them into a job.Experiment.
func (f *trainFlags) experiment(fs *pflag.FlagSet) (job.Experiment, error) {
	var e job.Experiment
	var err error
	bad := func(err error) (job.Experiment, error) { return job.Experiment{}, usageError{err} }
	if e.Task, err = data.ParseTask(f.task); err != nil {
		return bad(fmt.Errorf("invalid --task: %v", err))
	}
	if e.Hidden, err = parseHidden(f.hidden); err != nil {
		return job.Experiment{}, err
	}
	if e.Activation, err = nn.ParseActivation(f.activation); err != nil {
		return bad(err)
	}
	if e.Activation == device.LeakyReLU {
		e.ActivationParam = f.leakySlope
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
	if e.Schedule.Kind, err = nn.ParseSchedule(f.lrSchedule); err != nil {
		return bad(err)
	}
	if e.ClassWeight, err = parseClassWeight(f.classWeight); err != nil {
		return job.Experiment{}, err
	}
	if e.Threshold, e.AutoThreshold, err = parseThreshold(f.threshold); err != nil {
		return job.Experiment{}, err
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
		{f.alpha >= 0 && f.alpha < 1, "--rmsprop-alpha", "in [0, 1)"},
		{f.weightDecay >= 0, "--weight-decay", "≥ 0"},
		{f.l1 >= 0 && !math.IsInf(f.l1, 0), "--l1", "a finite number ≥ 0"},
		{f.dropout >= 0 && f.dropout < 1, "--dropout", "in [0, 1)"},
		{!math.IsNaN(f.leakySlope) && !math.IsInf(f.leakySlope, 0), "--leaky-slope", "a finite number"},
		{inRange(f.batchSize, 0, maxRows), "--batch-size", "from 0 to " + itoa(maxRows)},
		{inRange(f.steps, 0, maxSteps), "--steps", "from 0 to " + itoa(maxSteps) + " (0: evaluate the initial parameters without training)"},
		{inRange(f.epochs, 0, maxEpochs), "--epochs", "from 0 to " + itoa(maxEpochs)},
		{f.valSplit >= 0 && f.valSplit < 1, "--val-split", "in [0, 1)"},
		{f.testSplit >= 0 && f.testSplit < 1, "--test-split", "in [0, 1)"},
		{f.valSplit+f.testSplit < 1, "--val-split + --test-split", "below 1"},
		{f.cv == 0 || inRange(f.cv, 2, maxRows), "--cv", "0 (off) or from 2 to " + itoa(maxRows)},
		{inRange(f.printEvery, 0, maxSteps), "--print-every", "from 0 to " + itoa(maxSteps)},
		{inRange(f.warmup, 0, maxSteps), "--warmup-steps", "from 0 to " + itoa(maxSteps)},
		{inRange(f.lrStepSize, 0, maxSteps), "--lr-step-size", "from 0 to " + itoa(maxSteps)},
		{f.lrGamma > 0 && !math.IsInf(f.lrGamma, 0), "--lr-gamma", "a positive number"},
		{f.lrMin >= 0 && !math.IsInf(f.lrMin, 0), "--lr-min", "≥ 0"},
		{inRange(f.logEvery, 0, maxSteps), "--log-every", "from 0 to " + itoa(maxSteps)},
		{inRange(f.patience, 0, maxSteps), "--patience", "from 0 to " + itoa(maxSteps)},
		{f.minDelta >= 0 && !math.IsInf(f.minDelta, 0), "--min-delta", "≥ 0"},
		{inRange(f.checkpointEvery, 0, maxSteps), "--checkpoint-every", "from 0 to " + itoa(maxSteps)},
		{inRange(f.restarts, 1, maxRestarts), "--restarts", "from 1 to " + itoa(maxRestarts)},
	}
	for _, c := range checks {
		if !c.ok {
			return bad(fmt.Errorf("invalid %s: want %s", c.flag, c.want))
		}
	}
	changed := func(name string) bool { return fs.Lookup(name) != nil && fs.Changed(name) }
	if f.cv >= 2 && (f.valSplit > 0 || f.testSplit > 0) {
		return bad(errors.New("--cv cannot be combined with --val-split or --test-split"))
	}
	if f.cv >= 2 && f.out != "" {
		return bad(errors.New("--cv trains one model per fold and saves none: drop --out, or drop --cv to train and save one model"))
	}
	if f.cv >= 2 && (f.checkpointEvery > 0 || f.resume != "" || f.plotsDir != "") {
		return bad(errors.New("--cv trains one model per fold: --checkpoint-every, --resume and --plots need a single run (drop --cv)"))
	}
	if f.restarts > 1 && (f.classWeight == "balanced" || f.initFrom != "" || e.AutoThreshold) {
		return bad(errors.New("--restarts trains several models side by side: it cannot be combined with --class-weight, --init-from or --threshold auto"))
	}
	if f.patience > 0 && f.valSplit == 0 {
		return bad(errors.New("--patience stops on the validation loss: it needs --val-split"))
	}
	if (changed("min-delta") || changed("restore-best")) && f.patience == 0 {
		return bad(errors.New("--min-delta and --restore-best configure early stopping: give --patience too"))
	}
	if e.AutoThreshold && f.valSplit == 0 {
		return bad(errors.New("--threshold auto chooses the threshold on the validation rows: it needs --val-split"))
	}
	if e.Schedule.Kind == nn.StepLR && f.lrStepSize == 0 {
		return bad(errors.New("--lr-schedule step needs --lr-step-size (steps between decays)"))
	}
	if changed("lr-step-size") && e.Schedule.Kind != nn.StepLR || changed("lr-min") && e.Schedule.Kind != nn.CosineLR {
		return bad(errors.New("--lr-step-size goes with --lr-schedule step, --lr-min with --lr-schedule cosine"))
	}
	batch := f.batchSize
	if kind == nn.SGD && !fs.Changed("batch-size") {
		batch = 32
	}
	e.InitFromPath = f.initFrom
	momentum := f.momentum
	if kind == nn.RMSprop && !fs.Changed("momentum") {
		momentum = 0
	}
	e.Optim = nn.OptimConfig{Kind: kind, LR: f.lr, Momentum: momentum, Beta1: f.beta1, Beta2: f.beta2, Eps: f.eps, Alpha: f.alpha, WeightDecay: f.weightDecay, L1: f.l1}
	e.Schedule.Warmup, e.Schedule.StepSize, e.Schedule.Gamma, e.Schedule.MinLR = f.warmup, f.lrStepSize, f.lrGamma, f.lrMin
	e.BatchSize, e.Steps, e.Epochs, e.Dropout = batch, f.steps, f.epochs, f.dropout
	e.BatchNorm, e.Restarts = f.batchNorm, f.restarts
	if f.epochs > 0 {
		e.Steps = 0
	}
	e.Seed, e.Standardize = f.seed, f.standardize
	e.ValSplit, e.TestSplit, e.CV = f.valSplit, f.testSplit, f.cv
	e.DetectAnomaly, e.RecordEvery, e.CheckpointEvery = f.detectAnomaly, f.logEvery, f.checkpointEvery
	e.EarlyStopping = nn.EarlyStopping{Patience: f.patience, MinDelta: f.minDelta, RestoreBest: f.restoreBest}
	e.Flags = map[string]string{}
	fs.Visit(func(fl *pflag.Flag) {
		if fl.Name != "resume" {
			e.Flags[fl.Name] = fl.Value.String()
		}
	})
	return e, nil
}

// resumeMay lists the flags that may differ when a run is resumed: where
// its outputs go, how it is shown, the device, where the data are (their
// hash is checked) and how long it runs. Every other flag describes the
// run and is taken from the checkpoint.
var resumeMay = map[string]bool{
	"device": true, "out": true, "log": true, "plots": true, "quiet": true, "progress": true,
	"print-every": true, "checkpoint": true, "checkpoint-every": true, "detect-anomaly": true,
	"steps": true, "epochs": true, "data": true, "label": true, "labels": true,
	"delimiter": true, "header": true, "index-col": true, "format": true, "resume": true,
}

// notCarried are the flags not carried over from a checkpoint's run: how
// the run is shown, and the checkpoint file, which is the one resumed from
// (wherever it was moved or copied) unless --checkpoint says otherwise.
var notCarried = map[string]bool{"quiet": true, "progress": true, "print-every": true, "checkpoint": true}

// resumeFlags rebuilds the flags of the run saved in ck, then applies the
// command line's flags that may change (and checks that the others, if
// given, agree with the checkpoint).
func resumeFlags(cmd *pflag.FlagSet, ck *job.Checkpoint, path string, stdout io.Writer) (*pflag.FlagSet, *trainFlags, error) {
	stored, err := ck.Flags()
	if err != nil {
		return nil, nil, &job.FileError{Path: path, Err: err}
	}
	fs := newFlagSet("train", trainHelp, stdout)
	f := &trainFlags{}
	f.register(fs)
	f.registerRun(fs)
	for name, value := range stored {
		if notCarried[name] {
			continue
		}
		if fs.Lookup(name) == nil {
			return nil, nil, &job.FileError{Path: path, Err: fmt.Errorf("the checkpoint's run used --%s, which this gputrain does not know", name)}
		}
		if err := fs.Set(name, value); err != nil {
			return nil, nil, &job.FileError{Path: path, Err: fmt.Errorf("damaged checkpoint: flag --%s: %v", name, err)}
		}
	}
	var conflict error
	cmd.Visit(func(fl *pflag.Flag) {
		if conflict != nil {
			return
		}
		if resumeMay[fl.Name] {
			conflict = fs.Set(fl.Name, fl.Value.String())
			return
		}
		if was := fs.Lookup(fl.Name).Value.String(); was != fl.Value.String() {
			conflict = usageError{fmt.Errorf("--%s %s differs from the checkpoint's run (%s): a resumed run keeps its settings; only the outputs, device, data location and --steps/--epochs may change", fl.Name, fl.Value.String(), was)}
		}
	})
	if conflict != nil {
		return nil, nil, conflict
	}
	return fs, f, nil
}

// interruptedError is a run stopped by Ctrl-C, SIGTERM or SIGHUP whose
// checkpoint was saved (exit code 130).
type interruptedError struct{ msg string }

// Error returns the one-line message.
func (e interruptedError) Error() string { return e.msg }

func trainCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", trainHelp, stdout)
	f := &trainFlags{}
	f.register(fs)
	f.registerRun(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	var ck *job.Checkpoint
	if f.resume != "" {
		var err error
		if ck, err = job.LoadCheckpoint(f.resume); err != nil {
			return err
		}
		if fs, f, err = resumeFlags(fs, ck, f.resume, stdout); err != nil {
			return err
		}
	}
	preset := ""
	if f.resume == "" {
		// A resumed run's flags already hold its preset's values.
		var err error
		if err = f.layersFromInitFile(fs); err != nil {
			return err
		}
		if preset, err = f.applyPreset(fs); err != nil {
			return err
		}
	}
	switch f.progress {
	case progressAuto, progressBar, progressLines:
	default:
		return usageError{fmt.Errorf("invalid --progress %q: want auto, bar or lines", f.progress)}
	}
	exp, err := f.experiment(fs)
	if err != nil {
		return err
	}
	exp.Resume = ck
	ckPath := f.checkpoint
	if ckPath == "" {
		ckPath = "gputrain.ckpt"
		if f.resume != "" {
			ckPath = f.resume
		}
	}
	// Every output is checked before the data are read and the network
	// trained, so that no run's result is lost to an unwritable path. The
	// default checkpoint, written only on an interrupt, is not required:
	// an interrupt falls back to the temporary directory (see interrupted).
	if f.checkpoint != "" || f.checkpointEvery > 0 {
		if err := checkOutput("--checkpoint", ckPath); err != nil {
			return err
		}
	} else {
		atomicfile.CleanStale(ckPath)
	}
	if err := f.checkRunOutputs(); err != nil {
		return err
	}
	ds, prep, err := f.loadPrepared(stdout)
	if err != nil {
		return err
	}
	exp.Prep = prep
	dev, err := openDevice(f.device)
	if err != nil {
		return err
	}
	defer dev.Close()
	var log *jsonLog
	if f.logPath != "" {
		if log, err = openLog(f.logPath, dev.Name(), f.resume != ""); err != nil {
			return err
		}
		defer log.Close()
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	p := newPrinter(stdout, f.quiet, f.printEvery, f.progress)
	p.labelDefault = f.label == "" && f.labels == ""
	p.preset = preset
	p.header(ds, exp, dev.Describe())
	hooks := job.Hooks{
		Start: func(rs job.RunStart) {
			p.begin(rs, f.resume)
			log.manifest(rs, f.resume)
		},
		Loss: p.loss,
		Progress: func(pr nn.Progress) {
			p.progress(pr)
			log.progress(pr)
		},
		Fold: p.fold,
		Prep: p.prep,
		Checkpoint: func(c *job.Checkpoint) error {
			if err := c.Save(ckPath); err != nil {
				return err
			}
			p.note("checkpoint: step %d saved to %s", c.State.Step, ckPath)
			log.event("checkpoint", map[string]any{"step": c.State.Step, "path": ckPath})
			return nil
		},
	}
	start := time.Now()
	res, err := job.RunExperimentContext(ctx, dev, ds, exp, hooks)
	if err != nil {
		p.stopBar()
		var ie *job.InterruptedError
		if errors.As(err, &ie) {
			return interrupted(ie, ckPath, exp.CV >= 2, log)
		}
		log.event("error", map[string]any{"error": errText(err)})
		var se *data.SplitError
		if errors.As(err, &se) {
			return splitFlagError(fs, se)
		}
		var re *job.ResumeError
		if errors.As(err, &re) {
			return usageError{fmt.Errorf("--resume %s: %v", f.resume, err)}
		}
		return err
	}
	p.finish(res, time.Since(start), exp.AutoThreshold)
	log.result(res)
	if f.plotsDir != "" {
		paths, err := writePlots(f.plotsDir, res, exp)
		if err != nil {
			return err
		}
		if !f.quiet {
			fmt.Fprintf(stdout, "\nplots:     %d charts (PNG and SVG) in %s\n", len(paths)/2, f.plotsDir)
		}
	}
	if f.out != "" && res.Model != nil {
		if err := res.Model.Save(f.out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "model saved to %s\n", f.out)
	}
	return log.Close()
}

// splitFlagError names the flag behind a split the data cannot give.
func splitFlagError(fs *pflag.FlagSet, se *data.SplitError) error {
	name := map[data.SplitPart]string{data.ValPart: "val-split", data.TestPart: "test-split", data.FoldsPart: "cv"}[se.Part]
	if name == "" {
		return usageError{fmt.Errorf("--val-split %s with --test-split %s: %s", fs.Lookup("val-split").Value, fs.Lookup("test-split").Value, se.Msg)}
	}
	return usageError{fmt.Errorf("--%s %s: %s", name, fs.Lookup(name).Value, se.Msg)}
}

// interrupted saves the checkpoint of a stopped run and returns the
// one-line message saying how to continue it.
func interrupted(ie *job.InterruptedError, path string, cv bool, log *jsonLog) error {
	log.event("interrupted", map[string]any{"step": ie.Step, "checkpoint": path})
	if ie.Checkpoint == nil {
		why := "the run's state could not be read back from the device"
		if cv {
			why = "cross-validation runs are not checkpointed"
		}
		return fmt.Errorf("interrupted at step %d of %d; %s, so nothing was saved", ie.Step, ie.Total, why)
	}
	saved, err := saveInterrupted(ie.Checkpoint.Save, path)
	if err != nil {
		log.event("error", map[string]any{"error": "checkpoint not saved: " + oneLine(err.Error())})
		return fmt.Errorf("interrupted at step %d of %d, and the checkpoint could not be saved, so the run cannot be resumed: %v", ie.Step, ie.Total, err)
	}
	note := ""
	if saved != path {
		note = fmt.Sprintf(" (%s could not be written)", path)
	}
	return interruptedError{fmt.Sprintf("interrupted at step %d of %d; checkpoint saved to %s%s; continue with: gputrain train --resume %s", ie.Step, ie.Total, saved, note, saved)}
}

// checkRunOutputs checks, before anything is trained, that the files and
// directory a run writes (--out, --log, --plots) can be written, so that no
// result is lost to an unwritable path.
func (f *trainFlags) checkRunOutputs() error {
	if err := checkOutput("--out", f.out); err != nil {
		return err
	}
	if err := checkOutput("--log", f.logPath); err != nil {
		return err
	}
	return checkOutputDir("--plots", f.plotsDir)
}

// loadPrepared loads the labelled data set and, for --data, selects its
// feature columns and returns the preprocessing to fit (the column notes go
// to stdout unless --quiet).
func (f *trainFlags) loadPrepared(stdout io.Writer) (*data.Dataset, *data.PrepConfig, error) {
	ds, err := f.loadLabelled()
	if err != nil || f.data == "" {
		return ds, nil, err
	}
	w := stdout
	if f.quiet {
		w = io.Discard
	}
	return f.columns.apply(ds, w)
}
