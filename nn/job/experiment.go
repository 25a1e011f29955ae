package job

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/metrics"
	"github.com/gputrain/gputrain/nn"
)

// Version is gputrain's version, recorded in every model file.
const Version = "0.1.0"

// Experiment is a whole training job as the CLI describes it: the model,
// how to train it, and how to split and evaluate the data.
type Experiment struct {
	Task       data.Task
	Hidden     []int
	Activation device.Activation
	// ActivationParam is the activation's parameter (nn.Arch.ActivationParam).
	ActivationParam float64
	Init            nn.Init
	InitFromPath    string // safetensors parameters to start from (--init-from)
	Optim           nn.OptimConfig
	Schedule        nn.Schedule
	BatchSize       int
	Steps           int
	Epochs          int
	Dropout         float64
	Reduction       nn.Reduction
	Seed            uint64
	Standardize     bool
	// Prep configures the preprocessing of raw columns (kinds, imputation,
	// one-hot), fitted on each run's or fold's training rows. nil: none,
	// unless the data have text or missing cells, which then get the
	// default preprocessing.
	Prep      *data.PrepConfig
	ValSplit  float64
	TestSplit float64
	CV        int     // k-fold cross-validation when ≥ 2
	Threshold float64 // binary decision threshold on the probability of class 1
	// AutoThreshold chooses the binary threshold that maximises balanced
	// accuracy (Youden's J) on the validation rows, after training.
	AutoThreshold bool
	// ClassWeight is "" (or "none") for an unweighted loss, or "balanced":
	// each class weighted by rows/(classes·rows of the class), counted on
	// the training rows (scikit-learn's and Keras' "balanced").
	ClassWeight   string
	CheckEvery    int
	RecordEvery   int              // see TrainConfig.RecordEvery
	EarlyStopping nn.EarlyStopping // monitored on the validation loss
	DetectAnomaly bool
	// CheckpointEvery asks for a checkpoint every this many updates
	// (delivered to Hooks.Checkpoint).
	CheckpointEvery int
	// Resume continues the run saved in this checkpoint; the experiment must
	// describe the same run (the CLI restores it from the checkpoint's flags).
	Resume *Checkpoint
	// BatchNorm normalises every hidden layer's pre-activation (--batch-norm).
	BatchNorm bool
	// Restarts trains this many independently initialised copies of the
	// model side by side (--restarts); metrics are reported for each, and
	// the best by validation loss (training loss without a validation
	// split) is the one kept. 0 or 1: one.
	Restarts int
	// Flags records the command line for the model file's metadata.
	Flags map[string]string

	// variants, set by RunVariants, trains one copy per variant side by
	// side (nn.TrainConfig.Variants).
	variants []nn.Variant
}

// Result is what RunExperiment produces.
type Result struct {
	Task    data.Task
	Arch    nn.Arch
	History []nn.LossPoint
	Records []nn.Progress // the progress records (validation losses, …)
	Evals   []nn.Evaluation
	// CV holds, with --cv, each fold's held-out evaluation and their summary.
	Folds     []nn.Evaluation
	CVSummary []metrics.Summary
	// Model is the trained model (nil when only cross-validation ran).
	Model *Model
	// EarlyStop says what early stopping did (nil when off).
	EarlyStop *nn.EarlyStop
	// Threshold is the binary decision threshold the evaluations used.
	Threshold float64
	// Manifest is the run's provenance (also in Model.Info).
	Manifest map[string]string
	// With several restarts: each restart's evaluations (Evals, History's
	// per-restart losses and Model are the best restart's, or of all), the
	// summary of every split's metrics over restarts, and the best restart.
	Restarts       []RestartResult
	RestartSummary []SplitSummary
	Best           int

	// params holds every copy's parameters when variants trained side by
	// side (RunVariants splits them).
	params nn.Params
}

// RestartResult is one restart's seed and evaluations.
type RestartResult struct {
	Seed  uint64
	Evals []nn.Evaluation
}

// SplitSummary summarises one split's loss and metrics over restarts.
type SplitSummary struct {
	Split   string
	Metrics []metrics.Summary // the loss first, then the task's metrics
}

// Hooks receive a run's progress; every field may be nil.
type Hooks struct {
	// Start is called once the data are split, before the first update.
	Start func(RunStart)
	// Loss sees every recorded training loss of the main run (not of the CV folds).
	Loss func(nn.LossPoint)
	// Progress sees every progress record of the main run.
	Progress func(nn.Progress)
	// Fold sees each cross-validation fold's evaluation as it finishes.
	Fold func(nn.Evaluation)
	// Checkpoint receives a checkpoint every Experiment.CheckpointEvery updates.
	Checkpoint func(*Checkpoint) error
	// Prep sees the preprocessing fitted on the training rows of the main
	// run (fold 0) or of cross-validation fold k (1-based).
	Prep func(fold int, p *data.Prep)
}

// RunStart describes a run about to train.
type RunStart struct {
	Manifest           map[string]string
	Step, Total        int            // updates already done (resumed runs) and in all
	History            []nn.LossPoint // a resumed run's earlier losses
	Records            []nn.Progress  // and progress records
	TrainRows, ValRows int
}

// InterruptedError is a run stopped by its context at an update boundary,
// with the checkpoint that continues it (nil for a cross-validation fold,
// which is not resumable).
type InterruptedError struct {
	*nn.InterruptedError
	Checkpoint *Checkpoint
}

// Unwrap returns the trainer's error.
func (e *InterruptedError) Unwrap() error { return e.InterruptedError }

// ResumeError says a checkpoint does not fit the run it is resumed with.
type ResumeError struct{ Msg string }

// Error returns the one-line message.
func (e *ResumeError) Error() string { return "cannot resume: " + e.Msg }

// prepared is the labelled data set in the form training needs.
type prepared struct {
	ds      *data.Dataset
	y       []float64
	classes []string
	task    data.Task
	arch    nn.Arch
}

func (e *Experiment) prepare(ds *data.Dataset) (*prepared, error) {
	y, classes, task, err := data.Encode(ds, e.Task)
	if err != nil {
		return nil, err
	}
	inputs := ds.Cols()
	if e.Resume != nil && e.Resume.Model.Prep != nil {
		inputs = e.Resume.Model.Prep.Width()
	}
	arch := nn.Arch{Inputs: inputs, Hidden: e.Hidden, Outputs: 1, Activation: e.Activation, ActivationParam: e.ActivationParam, BatchNorm: e.BatchNorm && len(e.Hidden) > 0}
	switch task {
	case data.TaskBinary:
		arch.Loss = device.Logistic
	case data.TaskMulticlass:
		arch.Loss, arch.Outputs = device.SoftmaxCE, len(classes)
	default:
		arch.Loss = device.MSE
	}
	return &prepared{ds: ds, y: y, classes: classes, task: task, arch: arch}, nil
}

// split holds the row indices of the data's parts.
type split struct{ train, val, test []int }

// RunExperiment trains and evaluates on dev as e describes. onLoss, if not
// nil, sees every recorded training loss of the main run (not of the CV
// folds); onFold, if not nil, sees each fold's evaluation as it finishes.
func RunExperiment(dev device.Device, ds *data.Dataset, e Experiment, onLoss func(nn.LossPoint), onFold func(nn.Evaluation)) (*Result, error) {
	return RunExperimentContext(context.Background(), dev, ds, e, Hooks{Loss: onLoss, Fold: onFold})
}

// RunExperimentContext is RunExperiment with a context that interrupts the
// run at an update boundary (the error is then an *InterruptedError
// carrying a checkpoint) and hooks that observe it.
func RunExperimentContext(ctx context.Context, dev device.Device, ds *data.Dataset, e Experiment, hooks Hooks) (*Result, error) {
	p, err := e.prepare(ds)
	if err != nil {
		return nil, err
	}
	if e.ClassWeight != "" && e.ClassWeight != "none" && e.ClassWeight != "balanced" {
		return nil, fmt.Errorf("unknown class weighting %q (want none or balanced)", e.ClassWeight)
	}
	if e.ClassWeight == "balanced" && p.task == data.TaskRegression {
		return nil, fmt.Errorf("class weights need a classification task, and this one is a regression")
	}
	if e.AutoThreshold && (p.task != data.TaskBinary || e.ValSplit <= 0 || e.CV >= 2) {
		return nil, fmt.Errorf("choosing the threshold needs a binary task and a validation split")
	}
	if e.Restarts > 1 && (e.ClassWeight == "balanced" || e.InitFromPath != "" || e.AutoThreshold) {
		return nil, fmt.Errorf("restarts cannot be combined with class weights, initial parameters or an automatic threshold")
	}
	res := &Result{Task: p.task, Arch: p.arch, Threshold: e.Threshold}
	stratified := p.task != data.TaskRegression
	if e.CV >= 2 {
		if e.Resume != nil || e.CheckpointEvery > 0 || e.EarlyStopping.Patience > 0 {
			return nil, fmt.Errorf("cross-validation cannot be combined with checkpoints or early stopping")
		}
		folds, err := data.KFold(p.y, e.CV, stratified, e.Seed)
		if err != nil {
			return nil, err
		}
		var runs [][]metrics.Value
		for k, fold := range folds {
			evs, arch, err := e.trainFold(ctx, dev, p, data.Complement(len(p.y), fold), fold, k+1, hooks)
			if err != nil {
				return nil, fmt.Errorf("fold %d: %w", k+1, err)
			}
			res.Arch = arch
			for _, ev := range evs {
				res.Folds = append(res.Folds, ev)
				runs = append(runs, lossAndMetrics(ev))
				if hooks.Fold != nil {
					hooks.Fold(ev)
				}
			}
		}
		res.CVSummary = metrics.Summarize(runs)
		return res, nil
	}
	var sp split
	if ck := e.Resume; ck != nil {
		if err := e.checkResume(p, ds); err != nil {
			return nil, err
		}
		sp = split{ck.Train, ck.Val, ck.Test}
	} else if sp.train, sp.val, sp.test, err = data.Split(p.y, e.ValSplit, e.TestSplit, stratified, e.Seed); err != nil {
		return nil, err
	}
	if e.EarlyStopping.Patience > 0 && len(sp.val) == 0 {
		return nil, fmt.Errorf("early stopping monitors the validation loss: it needs a validation split")
	}
	res.Manifest = e.Manifest(dev, ds, sp.train, sp.val, sp.test)
	tr, err := e.train(ctx, dev, p, sp, res.Manifest, hooks, 0)
	if err != nil {
		return nil, err
	}
	defer tr.trainer.Close()
	res.Arch = tr.arch
	res.History, res.Records, res.EarlyStop = tr.history, tr.trainer.Records(), tr.trainer.EarlyStop()
	if e.AutoThreshold {
		val, err := e.evaluate(tr, p, sp.val, "validation", e.Threshold)
		if err != nil {
			return nil, err
		}
		res.Threshold = ChooseThreshold(val.Labels, val.Prob)
	}
	R := tr.trainer.Network().Replicas()
	res.Restarts = make([]RestartResult, R)
	for r := range res.Restarts {
		res.Restarts[r].Seed = nn.RestartSeed(e.Seed, r)
		if len(e.variants) > 0 {
			res.Restarts[r].Seed = e.Seed
		}
	}
	for _, part := range []struct {
		name string
		idx  []int
	}{{"train", sp.train}, {"validation", sp.val}, {"test", sp.test}} {
		if len(part.idx) == 0 {
			continue
		}
		evs, err := e.evaluateAll(tr, p, part.idx, part.name, res.Threshold)
		if err != nil {
			return nil, err
		}
		for r, ev := range evs {
			res.Restarts[r].Evals = append(res.Restarts[r].Evals, ev)
		}
	}
	res.Best = bestRestart(res.Restarts)
	res.Evals = res.Restarts[res.Best].Evals
	if R > 1 {
		res.RestartSummary = summarizeRestarts(res.Restarts)
	} else {
		res.Restarts = nil
	}
	params, err := tr.trainer.Params()
	if err != nil {
		return nil, err
	}
	if len(e.variants) > 0 {
		res.params = params
	}
	res.Model = &Model{
		Arch: tr.arch, Params: params.Replica(res.Best, R), Task: p.task, Classes: p.classes,
		Features: tr.ds.FeatureNames, Label: ds.LabelName, Prep: tr.prep, Scaler: tr.scaler,
		Info: e.info(res),
	}
	return res, nil
}

// lossAndMetrics lists an evaluation's loss and metrics as named values.
func lossAndMetrics(ev nn.Evaluation) []metrics.Value {
	return append([]metrics.Value{{Name: "loss", Value: ev.Loss}}, ev.Metrics...)
}

// selectionSplit is the split restarts are compared on: the validation
// split when there is one, else the training rows.
func selectionSplit(rs []RestartResult) string {
	for _, ev := range rs[0].Evals {
		if ev.Split == "validation" {
			return ev.Split
		}
	}
	return "train"
}

// bestRestart picks the restart with the lowest loss on selectionSplit (the
// first wins ties).
func bestRestart(rs []RestartResult) int {
	split := selectionSplit(rs)
	lossOf := func(rr RestartResult) float64 {
		for _, ev := range rr.Evals {
			if ev.Split == split {
				return ev.Loss
			}
		}
		return math.Inf(1)
	}
	best := 0
	for r := range rs {
		if lossOf(rs[r]) < lossOf(rs[best]) {
			best = r
		}
	}
	return best
}

// summarizeRestarts summarises each split's loss and metrics over restarts.
func summarizeRestarts(rs []RestartResult) []SplitSummary {
	var out []SplitSummary
	for i, ev := range rs[0].Evals {
		runs := make([][]metrics.Value, len(rs))
		for r, rr := range rs {
			runs[r] = lossAndMetrics(rr.Evals[i])
		}
		out = append(out, SplitSummary{Split: ev.Split, Metrics: metrics.Summarize(runs)})
	}
	return out
}

// checkResume checks that the checkpoint e resumes fits the data and the
// network.
func (e *Experiment) checkResume(p *prepared, ds *data.Dataset) error {
	ck := e.Resume
	m := ck.Model
	bad := func(format string, args ...any) error { return &ResumeError{Msg: fmt.Sprintf(format, args...)} }
	if h := DataHash(ds); m.Info["data_sha256"] != h {
		return bad("the data (%s, sha256 %.12s…) are not those the checkpoint was trained on (sha256 %.12s…)", ds.Source, h, m.Info["data_sha256"])
	}
	if m.Arch.String() != p.arch.String() || m.Task != p.task || !slices.Equal(m.Classes, p.classes) {
		return bad("the checkpoint holds %s (%v, classes %v), the run describes %s (%v, classes %v)", m.Arch, m.Task, m.Classes, p.arch, p.task, p.classes)
	}
	if max(ck.Restarts, 1) != max(e.Restarts, 1) {
		return bad("the checkpoint holds %d networks trained side by side, the run asks for %d", max(ck.Restarts, 1), max(e.Restarts, 1))
	}
	if ck.Optimizer != e.Optim.Kind {
		return bad("the checkpoint was trained with %s, the run asks for %s", ck.Optimizer, e.Optim.Kind)
	}
	if (m.Scaler != nil) != e.Standardize {
		return bad("the checkpoint's standardisation (%v) differs from the run's (%v)", m.Scaler != nil, e.Standardize)
	}
	for _, part := range [][]int{ck.Train, ck.Val, ck.Test} {
		for _, r := range part {
			if r >= ds.Rows() {
				return bad("the checkpoint's split names row %d of %d", r, ds.Rows())
			}
		}
	}
	return nil
}

// trained is a finished training run with what evaluation needs.
type trained struct {
	trainer *nn.Trainer
	arch    nn.Arch    // p.arch with the inputs the preprocessing gives
	prep    *data.Prep // nil without preprocessing
	scaler  *data.Scaler
	ds      *data.Dataset // preprocessed and standardised (or the input as is)
	history []nn.LossPoint
}

// BalancedClassWeights returns rows/(classes·rows of class c) for each of
// the classes, counted over rows of the class indices y (a class with no
// row gets 0).
func BalancedClassWeights(y []float64, rows []int, classes int) []float64 {
	count := make([]int, classes)
	for _, r := range rows {
		if c := int(y[r]); c >= 0 && c < classes {
			count[c]++
		}
	}
	w := make([]float64, classes)
	for c, n := range count {
		if n > 0 {
			w[c] = float64(len(rows)) / float64(classes*n)
		}
	}
	return w
}

// trainConfig turns the experiment into a trainer configuration for the
// training rows (x, y in the form the loss expects).
func (e *Experiment) trainConfig(p *prepared, rows []int) (nn.TrainConfig, error) {
	cfg := nn.TrainConfig{
		Arch: p.arch, Init: e.Init, Optim: e.Optim, Schedule: e.Schedule, BatchSize: e.BatchSize,
		Steps: e.Steps, Epochs: e.Epochs, Dropout: e.Dropout, Reduction: e.Reduction,
		Seed: e.Seed, CheckEvery: e.CheckEvery, RecordEvery: e.RecordEvery, Restarts: e.Restarts,
		EarlyStopping: e.EarlyStopping, DetectAnomaly: e.DetectAnomaly, CheckpointEvery: e.CheckpointEvery,
		Variants: e.variants,
	}
	if e.ClassWeight == "balanced" {
		cfg.ClassWeights = BalancedClassWeights(p.y, rows, len(p.classes))
	}
	if e.InitFromPath != "" && e.Resume == nil {
		params, err := LoadParams(e.InitFromPath, p.arch)
		if err != nil {
			return cfg, err
		}
		cfg.InitFrom = &params
	}
	return cfg, nil
}

// train trains on sp.train, validating on sp.val. A nil manifest marks a
// cross-validation fold, which is not resumable.
func (e *Experiment) train(ctx context.Context, dev device.Device, p *prepared, sp split, manifest map[string]string, hooks Hooks, fold int) (*trained, error) {
	ds := p.ds
	var prep *data.Prep
	switch cfg := e.prepConfig(ds); {
	case e.Resume != nil:
		prep = e.Resume.Model.Prep
	case cfg != nil:
		var err error
		if prep, err = data.FitPrep(ds, sp.train, *cfg); err != nil {
			return nil, err
		}
	}
	if prep != nil {
		var err error
		if ds, _, err = prep.Transform(ds); err != nil {
			return nil, err
		}
		if hooks.Prep != nil {
			hooks.Prep(fold, prep)
		}
	}
	run := *p
	run.arch.Inputs = ds.Cols()
	p = &run
	var scaler *data.Scaler
	switch {
	case e.Resume != nil && e.Resume.Model.Scaler != nil:
		scaler = e.Resume.Model.Scaler
	case e.Resume == nil && e.Standardize:
		scaler = data.FitScaler(ds, sp.train)
	}
	unscaled := ds
	if scaler != nil {
		ds = scaler.Transform(ds)
	}
	scale := widestColumn(p, unscaled, ds, sp.train)
	if err := scale.check(p.ds.Source); err != nil {
		return nil, err
	}
	x, y := matrix32(ds, sp.train), targets32(p.y, sp.train)
	cfg, err := e.trainConfig(p, sp.train)
	if err != nil {
		return nil, err
	}
	if len(sp.val) > 0 {
		yv := make([]float64, len(sp.val))
		for i, r := range sp.val {
			yv[i] = p.y[r]
		}
		cfg.Val = &nn.ValidationSet{X: matrix32(ds, sp.val), Rows: len(sp.val), Score: func(logits []float32) nn.Evaluation {
			return nn.Evaluate(p.arch, p.task, p.classes, logits, yv, e.Reduction, e.Threshold, "validation")
		}}
	}
	if e.Resume != nil {
		cfg.Resume = e.Resume.State
	}
	var t *nn.Trainer
	checkpoint := func(st *nn.TrainerState) *Checkpoint {
		return &Checkpoint{
			Model: &Model{Arch: p.arch, Task: p.task, Classes: p.classes, Features: ds.FeatureNames,
				Label: p.ds.LabelName, Prep: prep, Scaler: scaler, Info: manifest},
			Optimizer: e.Optim.Kind, State: st, Total: t.TotalSteps(), Restarts: max(e.Restarts, 1),
			Train: sp.train, Val: sp.val, Test: sp.test,
		}
	}
	if hooks.Checkpoint != nil {
		cfg.OnCheckpoint = func(st *nn.TrainerState) error { return hooks.Checkpoint(checkpoint(st)) }
	}
	if t, err = nn.NewTrainer(dev, cfg, x, y, len(sp.train)); err != nil {
		if e.Resume != nil {
			return nil, &ResumeError{Msg: err.Error()}
		}
		return nil, err
	}
	if hooks.Start != nil {
		hooks.Start(RunStart{Manifest: manifest, Step: t.Step(), Total: t.TotalSteps(), History: t.History(),
			Records: t.Records(), TrainRows: len(sp.train), ValRows: len(sp.val)})
	}
	history, err := t.RunContext(ctx, nn.Observer{Loss: hooks.Loss, Progress: hooks.Progress})
	if de, ok := err.(*nn.DivergenceError); ok {
		de.DataScale = scale.hint()
	}
	if err != nil {
		if ie, ok := err.(*nn.InterruptedError); ok {
			iie := &InterruptedError{InterruptedError: ie}
			if manifest != nil {
				if st, err2 := t.State(); err2 == nil {
					iie.Checkpoint = checkpoint(st)
				}
			}
			err = iie
		}
		t.Close()
		return nil, err
	}
	return &trained{trainer: t, arch: p.arch, prep: prep, scaler: scaler, ds: ds, history: history}, nil
}

// prepConfig is the preprocessing the run applies: e.Prep, or the default
// when the data need one (text or missing cells), else none.
func (e *Experiment) prepConfig(ds *data.Dataset) *data.PrepConfig {
	if e.Prep != nil {
		return e.Prep
	}
	if ds.NeedsPrep() {
		return &data.PrepConfig{}
	}
	return nil
}

// trainFold trains fold k (1-based) on train and evaluates every restart
// on test; it returns the evaluations and the fold's network shape.
func (e *Experiment) trainFold(ctx context.Context, dev device.Device, p *prepared, train, test []int, k int, hooks Hooks) ([]nn.Evaluation, nn.Arch, error) {
	tr, err := e.train(ctx, dev, p, split{train: train}, nil, Hooks{Prep: hooks.Prep}, k)
	if err != nil {
		return nil, nn.Arch{}, err
	}
	defer tr.trainer.Close()
	name := fmt.Sprintf("fold %d", k)
	evs, err := e.evaluateAll(tr, p, test, name, e.Threshold)
	if len(evs) > 1 {
		for r := range evs {
			evs[r].Split = fmt.Sprintf("%s restart %d", name, r+1)
		}
	}
	return evs, tr.arch, err
}

// evaluate computes the loss and metrics of the trained network (its first
// restart) on rows.
func (e *Experiment) evaluate(tr *trained, p *prepared, rows []int, name string, threshold float64) (nn.Evaluation, error) {
	evs, err := e.evaluateAll(tr, p, rows, name, threshold)
	if err != nil {
		return nn.Evaluation{}, err
	}
	return evs[0], nil
}

// evaluateAll computes the loss and metrics of every restart on rows.
func (e *Experiment) evaluateAll(tr *trained, p *prepared, rows []int, name string, threshold float64) ([]nn.Evaluation, error) {
	net := tr.trainer.Network()
	logits, err := net.Logits(matrix32(tr.ds, rows), len(rows))
	if err != nil {
		return nil, err
	}
	y := make([]float64, len(rows))
	for i, r := range rows {
		y[i] = p.y[r]
	}
	evs := make([]nn.Evaluation, net.Replicas())
	for r := range evs {
		evs[r] = nn.Evaluate(p.arch, p.task, p.classes, nn.ReplicaLogits(logits, len(rows), p.arch.Outputs, len(evs), r), y, e.Reduction, threshold, name)
	}
	return evs, nil
}

// ChooseThreshold returns the decision threshold on prob (the probability
// of class 1) that maximises balanced accuracy — Youden's J, TPR − FPR —
// over labels y: the midpoint between two neighbouring distinct
// probabilities, ties going to the threshold nearest 0.5. It returns 0.5
// when y lacks a class.
func ChooseThreshold(y []int, prob []float64) float64 {
	var pos, neg float64
	for _, c := range y {
		if c == 1 {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return 0.5
	}
	idx := make([]int, len(prob))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(prob[b], prob[a]) }) // descending
	// Predicting "1" for the first j rows (the highest probabilities).
	best, bestJ := 0.5, math.Inf(-1)
	var tp, fp float64
	consider := func(thr float64) {
		j := tp/pos - fp/neg
		if j > bestJ+1e-12 || (math.Abs(j-bestJ) <= 1e-12 && math.Abs(thr-0.5) < math.Abs(best-0.5)) {
			best, bestJ = thr, j
		}
	}
	first := 1.0
	if len(idx) > 0 {
		first = (1 + prob[idx[0]]) / 2
	}
	consider(first) // nothing predicted positive
	for k, i := range idx {
		if y[i] == 1 {
			tp++
		} else {
			fp++
		}
		if k+1 < len(idx) && prob[idx[k+1]] == prob[i] {
			continue
		}
		next := 0.0
		if k+1 < len(idx) {
			next = prob[idx[k+1]]
		}
		consider((prob[i] + next) / 2)
	}
	return math.Min(math.Max(best, 1e-9), 1-1e-9)
}

// matrix32 gathers rows of ds into a row-major float32 matrix.
func matrix32(ds *data.Dataset, rows []int) []float32 {
	d := ds.Cols()
	out := make([]float32, 0, len(rows)*d)
	for _, r := range rows {
		for _, v := range ds.Row(r) {
			out = append(out, float32(v))
		}
	}
	return out
}

func targets32(y []float64, rows []int) []float32 {
	out := make([]float32, len(rows))
	for i, r := range rows {
		out[i] = float32(y[r])
	}
	return out
}

// DataHash is the SHA-256 of a data set's values and labels, recorded in
// model files so a model can be traced to its data.
func DataHash(ds *data.Dataset) string {
	h := sha256.New()
	var buf [8]byte
	for i := 0; i < ds.Rows(); i++ {
		for _, v := range ds.Row(i) {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
			h.Write(buf[:])
		}
	}
	for _, l := range ds.Labels {
		h.Write([]byte(l))
		h.Write([]byte{0})
	}
	for _, txt := range ds.Text {
		for _, s := range txt {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// info is the provenance recorded in the model file: the manifest, the
// evaluations, the decision threshold and what early stopping did.
func (e *Experiment) info(res *Result) map[string]string {
	m := map[string]string{}
	for k, v := range res.Manifest {
		m[k] = v
	}
	type evalJSON struct {
		Loss    float64            `json:"loss"`
		Rows    int                `json:"rows"`
		Metrics map[string]float64 `json:"metrics"`
	}
	all := map[string]evalJSON{}
	for _, ev := range res.Evals {
		j := evalJSON{Loss: ev.Loss, Rows: ev.Rows, Metrics: map[string]float64{}}
		for _, v := range ev.Metrics {
			if !math.IsNaN(v.Value) && !math.IsInf(v.Value, 0) {
				j.Metrics[v.Name] = v.Value
			}
		}
		all[ev.Split] = j
	}
	if b, err := json.Marshal(all); err == nil {
		m["metrics"] = string(b)
	}
	if res.Task == data.TaskBinary {
		m["threshold"] = strconv.FormatFloat(res.Threshold, 'g', -1, 64)
	}
	if es := res.EarlyStop; es != nil && es.Stopped {
		m["early_stopping"] = fmt.Sprintf("stopped at step %d; best validation loss %.6g at step %d; restored: %v", es.Step, es.BestLoss, es.BestStep, es.Restored)
	}
	if len(res.Restarts) > 1 {
		m["restarts"] = strconv.Itoa(len(res.Restarts))
		m["restart_kept"] = fmt.Sprintf("restart %d of %d (seed %d), the lowest %s loss", res.Best+1, len(res.Restarts), res.Restarts[res.Best].Seed, selectionSplit(res.Restarts))
	}
	if ck := e.Resume; ck != nil {
		m["resumed_at_step"] = strconv.Itoa(ck.State.Step)
	}
	return m
}
