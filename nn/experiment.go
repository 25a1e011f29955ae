package nn

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/metrics"
)

// Version is gputrain's version, recorded in every model file.
const Version = "0.1.0"

// Experiment is a whole training job as the CLI describes it: the model,
// how to train it, and how to split and evaluate the data.
type Experiment struct {
	Task         data.Task
	Hidden       []int
	Activation   device.Activation
	Init         Init
	InitFromPath string // safetensors parameters to start from (--init-from)
	Optim        OptimConfig
	BatchSize    int
	Steps        int
	Epochs       int
	Dropout      float64
	Reduction    Reduction
	Seed         uint64
	Standardize  bool
	ValSplit     float64
	TestSplit    float64
	CV           int     // k-fold cross-validation when ≥ 2
	Threshold    float64 // binary decision threshold on the probability of class 1
	CheckEvery   int
	// Flags records the command line for the model file's metadata.
	Flags map[string]string
}

// Evaluation is the model's performance on one part of the data.
type Evaluation struct {
	Split     string // "train", "validation", "test", "fold 3"
	Rows      int
	Loss      float64 // reduced as the experiment's Reduction says
	Metrics   []metrics.Value
	Confusion *metrics.Confusion // nil for regression
}

// Result is what RunExperiment produces.
type Result struct {
	Task    data.Task
	Arch    Arch
	History []LossPoint
	Evals   []Evaluation
	// CV holds, with --cv, each fold's held-out evaluation and their summary.
	Folds     []Evaluation
	CVSummary []metrics.Summary
	// Model is the trained model (nil when only cross-validation ran).
	Model *Model
}

// prepared is the labelled data set in the form training needs.
type prepared struct {
	ds      *data.Dataset
	y       []float64
	classes []string
	task    data.Task
	arch    Arch
}

func (e *Experiment) prepare(ds *data.Dataset) (*prepared, error) {
	y, classes, task, err := data.Encode(ds, e.Task)
	if err != nil {
		return nil, err
	}
	arch := Arch{Inputs: ds.Cols(), Hidden: e.Hidden, Outputs: 1, Activation: e.Activation}
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

// RunExperiment trains and evaluates on dev as e describes. onLoss, if not
// nil, sees every recorded training loss of the main run (not of the CV
// folds); onFold, if not nil, sees each fold's evaluation as it finishes.
func RunExperiment(dev device.Device, ds *data.Dataset, e Experiment, onLoss func(LossPoint), onFold func(Evaluation)) (*Result, error) {
	p, err := e.prepare(ds)
	if err != nil {
		return nil, err
	}
	res := &Result{Task: p.task, Arch: p.arch}
	stratified := p.task != data.TaskRegression
	if e.CV >= 2 {
		folds, err := data.KFold(p.y, e.CV, stratified, e.Seed)
		if err != nil {
			return nil, err
		}
		var runs [][]metrics.Value
		for k, fold := range folds {
			ev, err := e.trainFold(dev, p, data.Complement(len(p.y), fold), fold, fmt.Sprintf("fold %d", k+1))
			if err != nil {
				return nil, fmt.Errorf("fold %d: %w", k+1, err)
			}
			res.Folds = append(res.Folds, ev)
			runs = append(runs, append([]metrics.Value{{Name: "loss", Value: ev.Loss}}, ev.Metrics...))
			if onFold != nil {
				onFold(ev)
			}
		}
		res.CVSummary = metrics.Summarize(runs)
		return res, nil
	}
	train, val, test, err := data.Split(p.y, e.ValSplit, e.TestSplit, stratified, e.Seed)
	if err != nil {
		return nil, err
	}
	tr, err := e.train(dev, p, train, onLoss)
	if err != nil {
		return nil, err
	}
	defer tr.trainer.Close()
	res.History = tr.history
	for _, part := range []struct {
		name string
		idx  []int
	}{{"train", train}, {"validation", val}, {"test", test}} {
		if len(part.idx) == 0 {
			continue
		}
		ev, err := e.evaluate(tr, p, part.idx, part.name)
		if err != nil {
			return nil, err
		}
		res.Evals = append(res.Evals, ev)
	}
	params, err := tr.trainer.Params()
	if err != nil {
		return nil, err
	}
	res.Model = &Model{
		Arch: p.arch, Params: params, Task: p.task, Classes: p.classes,
		Features: ds.FeatureNames, Label: ds.LabelName, Scaler: tr.scaler,
		Info: e.info(dev, ds, res.Evals),
	}
	return res, nil
}

// trained is a finished training run with what evaluation needs.
type trained struct {
	trainer *Trainer
	scaler  *data.Scaler
	ds      *data.Dataset // standardised with scaler (or the input as is)
	history []LossPoint
}

func (e *Experiment) train(dev device.Device, p *prepared, rows []int, onLoss func(LossPoint)) (*trained, error) {
	ds := p.ds
	var scaler *data.Scaler
	if e.Standardize {
		scaler = data.FitScaler(ds, rows)
		ds = scaler.Transform(ds)
	}
	x, y := matrix32(ds, rows), targets32(p.y, rows)
	cfg := TrainConfig{
		Arch: p.arch, Init: e.Init, Optim: e.Optim, BatchSize: e.BatchSize,
		Steps: e.Steps, Epochs: e.Epochs, Dropout: e.Dropout, Reduction: e.Reduction,
		Seed: e.Seed, CheckEvery: e.CheckEvery,
	}
	if e.InitFromPath != "" {
		params, err := LoadParams(e.InitFromPath, p.arch)
		if err != nil {
			return nil, err
		}
		cfg.InitFrom = &params
	}
	t, err := NewTrainer(dev, cfg, x, y, len(rows))
	if err != nil {
		return nil, err
	}
	history, err := t.Run(onLoss)
	if err != nil {
		t.Close()
		return nil, err
	}
	return &trained{trainer: t, scaler: scaler, ds: ds, history: history}, nil
}

func (e *Experiment) trainFold(dev device.Device, p *prepared, train, test []int, name string) (Evaluation, error) {
	tr, err := e.train(dev, p, train, nil)
	if err != nil {
		return Evaluation{}, err
	}
	defer tr.trainer.Close()
	return e.evaluate(tr, p, test, name)
}

// evaluate computes the loss and metrics of the trained network on rows.
func (e *Experiment) evaluate(tr *trained, p *prepared, rows []int, name string) (Evaluation, error) {
	logits, err := tr.trainer.Network().Logits(matrix32(tr.ds, rows), len(rows))
	if err != nil {
		return Evaluation{}, err
	}
	y := make([]float64, len(rows))
	for i, r := range rows {
		y[i] = p.y[r]
	}
	return Evaluate(p.arch, p.task, p.classes, logits, y, e.Reduction, e.Threshold, name), nil
}

// Evaluate scores logits (rows × arch.Outputs) against targets y, computing
// the loss in float64 from the logits and the task's metrics.
func Evaluate(arch Arch, task data.Task, classes []string, logits []float32, y []float64, red Reduction, threshold float64, name string) Evaluation {
	ev := Evaluation{Split: name, Rows: len(y)}
	k := arch.Outputs
	prob := Probabilities(arch.Loss, logits, k)
	var loss float64
	count := float64(len(y))
	switch task {
	case data.TaskBinary:
		cls := make([]int, len(y))
		for i, z := range logits {
			z := float64(z)
			loss += math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z))) - y[i]*z
			cls[i] = int(y[i])
		}
		b := metrics.EvalBinary(classes, cls, prob, threshold)
		ev.Metrics, ev.Confusion = b.Named(), &b.Confusion
	case data.TaskMulticlass:
		cls := make([]int, len(y))
		for i := range y {
			cls[i] = int(y[i])
			loss -= math.Log(math.Max(prob[i*k+cls[i]], math.SmallestNonzeroFloat64))
		}
		m := metrics.EvalMulticlass(classes, cls, prob)
		ev.Metrics, ev.Confusion = m.Named(), &m.Confusion
	default:
		for i := range y {
			r := prob[i] - y[i]
			loss += r * r
		}
		ev.Metrics = metrics.EvalRegression(y, prob).Named()
	}
	if red == Mean && count > 0 {
		loss /= count
	}
	ev.Loss = loss
	return ev
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
	return hex.EncodeToString(h.Sum(nil))
}

// info is the provenance recorded in the model file.
func (e *Experiment) info(dev device.Device, ds *data.Dataset, evals []Evaluation) map[string]string {
	m := map[string]string{
		"gputrain_version": Version,
		"go_version":       runtime.Version(),
		"device":           dev.Describe(),
		"seed":             strconv.FormatUint(e.Seed, 10),
		"data_source":      ds.Source,
		"data_sha256":      DataHash(ds),
	}
	if flags, err := json.Marshal(e.Flags); err == nil && len(e.Flags) > 0 {
		m["flags"] = string(flags)
	}
	type evalJSON struct {
		Loss    float64            `json:"loss"`
		Rows    int                `json:"rows"`
		Metrics map[string]float64 `json:"metrics"`
	}
	all := map[string]evalJSON{}
	for _, ev := range evals {
		j := evalJSON{Loss: ev.Loss, Rows: ev.Rows, Metrics: map[string]float64{}}
		for _, v := range ev.Metrics {
			if !math.IsNaN(v.Value) {
				j.Metrics[v.Name] = v.Value
			}
		}
		all[ev.Split] = j
	}
	if b, err := json.Marshal(all); err == nil {
		m["metrics"] = string(b)
	}
	return m
}
