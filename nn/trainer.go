package nn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/advice"
	"github.com/gputrain/gputrain/metrics"
)

// Reduction says how per-example losses combine into the training loss.
type Reduction string

// The reductions: Mean divides the summed loss (and its gradient) by the
// number of rows (for MSE and the logistic loss: by the number of output
// elements, as PyTorch's reduction="mean"); Sum uses the sum, as the
// workshop does.
const (
	Mean Reduction = "mean"
	Sum  Reduction = "sum"
)

// ParseReduction checks a loss reduction's name.
func ParseReduction(s string) (Reduction, error) {
	switch Reduction(s) {
	case Mean, Sum:
		return Reduction(s), nil
	}
	return "", invalidName(advice.Reduction, s, "mean or sum")
}

// TrainConfig is everything a training run needs besides the data.
type TrainConfig struct {
	Arch      Arch
	Init      Init
	InitFrom  *Params // when set, the run starts from these parameters instead of Init
	Optim     OptimConfig
	Schedule  Schedule // how the learning rate changes over the run (zero: constant)
	BatchSize int      // rows per update; 0 or ≥ the training rows means full batch
	Steps     int      // updates to make; when 0, Epochs passes over the data
	Epochs    int
	Dropout   float64 // probability of dropping a hidden unit in training
	Reduction Reduction
	Seed      uint64
	// CheckEvery is how many updates may pass between reads of the loss
	// history from the device (each read is a device→host copy and a
	// synchronisation). NaN/Inf is detected at the read and reported with
	// the exact step. 0 means 100.
	CheckEvery int
	// ClassWeights, when set, weights each row's loss (and gradient) by the
	// weight of its class (index = the target's class). Only for the
	// logistic loss with one output and softmax cross-entropy.
	ClassWeights []float64
	// Val, when set, is evaluated at every progress record.
	Val *ValidationSet
	// RecordEvery is how many updates pass between progress records
	// (validation, early stopping, log lines). 0 means once per epoch with
	// minibatches and, with full batches, about 200 records per run (see
	// defaultRecordEvery).
	RecordEvery int
	// EarlyStopping stops the run when the validation loss stops improving.
	EarlyStopping EarlyStopping
	// DetectAnomaly downloads and checks the output of every operation of
	// every update for NaN and ±Inf (slow; for debugging).
	DetectAnomaly bool
	// CheckpointEvery, when positive, calls OnCheckpoint with the trainer's
	// state every CheckpointEvery updates.
	CheckpointEvery int
	OnCheckpoint    func(*TrainerState) error
	// Resume, when set, continues the run from this state (see State).
	Resume *TrainerState
	// Restarts is how many independently initialised copies of the network
	// train side by side on the same data (0 or 1: one). Copy r starts from
	// RestartSeed(Seed, r); all copies step together, every operation
	// launched once for all of them. Not with ClassWeights or InitFrom.
	Restarts int
	// Variants, when set, trains one copy of the network per variant side
	// by side, instead of Restarts: every copy starts from the same
	// parameters (Init with Seed) and sees the same batches and dropout
	// draws, and copy v takes Variants[v]'s optimizer hyper-parameters
	// and dropout rate in place of Optim's and Dropout, each replica's
	// read by the update and dropout kernels from device vectors. Copy v
	// is then the run with Variants[v]'s settings alone: bit for bit where
	// the device sums each product's columns alike whatever its width (the
	// CPU; CUDA's split-k may split a wider product's sums otherwise). The
	// variants keep Optim's Kind and L1 (the tensors' shapes and the
	// launches are shared). Not with Restarts, ClassWeights, InitFrom,
	// EarlyStopping, checkpoints or Resume.
	Variants []Variant
}

// Variant is one copy's settings in a run of several side by side
// (TrainConfig.Variants): those that leave every tensor's shape alone.
type Variant struct {
	Optim   OptimConfig
	Dropout float64
}

// replicaCount is how many copies of the network cfg trains side by side.
func (cfg TrainConfig) replicaCount() int {
	if len(cfg.Variants) > 0 {
		return len(cfg.Variants)
	}
	return max(cfg.Restarts, 1)
}

// maxDropout is the highest dropout rate of any copy.
func (cfg TrainConfig) maxDropout() float64 {
	p := cfg.Dropout
	for _, v := range cfg.Variants {
		p = max(p, v.Dropout)
	}
	return p
}

// checkVariants reports what keeps cfg's variants from training side by
// side.
func (cfg TrainConfig) checkVariants() error {
	if len(cfg.Variants) == 0 {
		return nil
	}
	switch {
	case cfg.Restarts > 1:
		return fmt.Errorf("variants side by side cannot be combined with restarts")
	case cfg.InitFrom != nil || cfg.ClassWeights != nil:
		return fmt.Errorf("variants side by side cannot be combined with initial parameters or class weights")
	case cfg.EarlyStopping.Patience > 0 || cfg.CheckpointEvery > 0 || cfg.Resume != nil:
		return fmt.Errorf("variants side by side cannot be combined with early stopping, checkpoints or resuming")
	}
	for i, v := range cfg.Variants {
		if v.Optim.Kind != cfg.Optim.Kind || v.Optim.L1 != cfg.Optim.L1 {
			return fmt.Errorf("variant %d: optimizer %s with L1 %g, the run's is %s with L1 %g", i, v.Optim.Kind, v.Optim.L1, cfg.Optim.Kind, cfg.Optim.L1)
		}
		if v.Dropout < 0 || v.Dropout >= 1 {
			return fmt.Errorf("variant %d: dropout %g outside [0,1)", i, v.Dropout)
		}
	}
	return nil
}

// defaultRecordEvery is the full-batch record interval for a run of total
// updates: about 200 records, at a round interval (1, 2, 5, 10, 20, 50 or
// 100 updates) so that steps 100, 1000, … always have one.
func defaultRecordEvery(total int) int {
	for _, n := range []int{1, 2, 5, 10, 20, 50} {
		if n*200 >= total {
			return n
		}
	}
	return 100
}

// ValidationSet is held-out data evaluated during training.
type ValidationSet struct {
	X    []float32 // Rows × Inputs, row-major
	Rows int
	// Score turns the network's logits on X into an evaluation.
	Score func(logits []float32) Evaluation
}

// EarlyStopping configures stopping on a validation loss that no longer
// improves. Patience 0 disables it.
type EarlyStopping struct {
	Patience    int     // progress records without improvement before stopping
	MinDelta    float64 // an improvement must lower the best loss by more than this
	RestoreBest bool    // end with the parameters of the best record
}

// LossPoint is one recorded training loss. For full-batch training, Loss is
// the loss of the whole training set after Step updates (Step 0 is the
// initial loss). For minibatches, Loss is the loss of the minibatch used by
// update Step, measured before that update. With class weights the loss is
// the weighted one the gradient descends.
type LossPoint struct {
	Step  int
	Epoch int
	Loss  float64 // with restarts, the mean over them
	// Restarts holds each restart's loss when several train side by side.
	Restarts []float64
}

// Progress is one progress record, made every RecordEvery updates and at
// the end: the training loss (full batch: at Step; minibatches: the mean
// batch loss since the previous record), the learning rate of the latest
// update and, with a validation set, its loss and metrics.
type Progress struct {
	Step       int
	Epoch      int // the epoch the latest update belonged to (0 before any)
	Loss       float64
	LR         float64
	HasVal     bool
	ValLoss    float64
	ValMetrics []metrics.Value
}

// Observer receives a run's progress. Either field may be nil. With full
// batches, the record for step s arrives before the loss point of step s.
type Observer struct {
	Loss     func(LossPoint)
	Progress func(Progress)
}

// DivergenceFactor is how many times its first recorded value the training
// loss may grow before the run is stopped as diverged.
const DivergenceFactor = 1e4

// DivergenceError reports a training loss that stopped being finite or grew
// more than DivergenceFactor times its first recorded value, or (with
// DetectAnomaly) a non-finite value in any tensor. Anomaly, when set, names
// the first tensor that became non-finite.
type DivergenceError struct {
	Step      int
	Loss      float64
	FirstLoss float64
	LR        float64
	Anomaly   *Anomaly
	// Detected is set when anomaly detection (TrainConfig.DetectAnomaly)
	// found the problem (Loss is then not known).
	Detected bool
	// DataScale, when set, names the data column whose scale more likely
	// caused the divergence than the learning rate did.
	DataScale advice.Text

	iter  int  // the loop iteration that computed the bad loss
	final bool // the bad loss is the full-batch loss after the last update
}

// Error names the step, the loss or the tensor, and the learning rate.
func (e *DivergenceError) Error() string { return e.Message(advice.Words) }

// Message is Error with the settings it advises on named by name.
func (e *DivergenceError) Message(name advice.Namer) string {
	var what string
	switch {
	case e.Detected:
		return fmt.Sprintf("training diverged at step %d: %v (found by %s, lr %g); %s", e.Step, e.Anomaly, name(advice.AnomalyCheck), e.LR, e.advice(name))
	case math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0):
		what = fmt.Sprintf("the loss is %v", e.Loss)
		if e.Anomaly != nil {
			what += "; the first non-finite tensor: " + e.Anomaly.String()
		}
	default:
		what = fmt.Sprintf("the loss grew from %.6g to %.6g, more than %g times", e.FirstLoss, e.Loss, DivergenceFactor)
	}
	return fmt.Sprintf("training diverged at step %d: %s (lr %g); %s", e.Step, what, e.LR, e.advice(name))
}

// advice says what to change: the data's scale when it is the likely
// cause, else the learning rate.
func (e *DivergenceError) advice(name advice.Namer) string {
	if e.DataScale != nil {
		return e.DataScale(name)
	}
	return "try a smaller " + name(advice.LearningRate)
}

// InterruptedError reports a run stopped by its context (Ctrl-C) at an
// update boundary; State then gives what a checkpoint needs.
type InterruptedError struct {
	Step, Total int
}

// Error says where the run stopped.
func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted at step %d of %d", e.Step, e.Total)
}

// pendingLoss is a loss recorded on the device and not yet read.
type pendingLoss struct {
	p      LossPoint
	slot   int     // first slot in the loss history buffer
	scale  float64 // reported loss = scale · device sum
	absent []int   // classes with no row in the batch (their slots were not written)
}

// Trainer trains one network on one data set resident on a device.
type Trainer struct {
	cfg      TrainConfig
	dev      device.Device
	net      *Network
	upd      *updater
	n, d, k  int // rows, features, target columns
	replicas int // restarts trained side by side
	plan     BatchPlan
	total    int

	x, y     device.Buffer      // the whole training set
	xb, yb   device.Buffer      // the current minibatch (nil for full batch)
	perm     device.IndexBuffer // the epoch's shuffled row order
	permHost []int32
	lossHist device.Buffer
	slotsPer int // loss history slots per recorded loss
	cw       *classWeighting

	shufflePCG, dropPCG *rand.PCG
	shuffle, dro        *rand.Rand

	iter        int // updates done
	forwardDone bool
	curX        device.Buffer // the input of the current update
	curRows     int

	history    []LossPoint
	pending    []pendingLoss
	hostLosses []float32
	obs        Observer

	valScratch      device.Buffer
	records         []Progress
	pendingProgress *Progress // full batch: waits for its step's loss
	lastRecord      int       // step of the latest record, -1 before the first

	es earlyState

	an   *anomalyChecker
	snap *TrainerState // the state the run started from, for replays

	// capt is the device's block recorder (nil when it has none); inBlock
	// says a block of steps is open on it (see beginBlock).
	capt    device.StepCapturer
	inBlock bool
	// verified is the latest update whose input state a finite loss read
	// vouched for: a replay runs the updates before it unchecked.
	verified int
}

// earlyState is early stopping's bookkeeping.
type earlyState struct {
	best       float64
	bestStep   int
	bad        int
	bestParams *Params
	stopped    bool
}

// NewTrainer uploads the training data (x: n×d row-major, y: n×k targets as
// the loss expects them) and allocates everything the run needs. With
// cfg.Resume it continues from a saved state.
func NewTrainer(dev device.Device, cfg TrainConfig, x []float32, y []float32, n int) (*Trainer, error) {
	if n < 1 {
		return nil, fmt.Errorf("no training rows")
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = 100
	}
	if err := cfg.Schedule.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{cfg: cfg, dev: dev, n: n, d: cfg.Arch.Inputs, k: len(y) / n, lastRecord: -1}
	t.capt, _ = dev.(device.StepCapturer)
	t.plan = NewBatchPlan(n, cfg.BatchSize)
	var err error
	if t.total, err = t.plan.Updates(cfg.Steps, cfg.Epochs); err != nil {
		return nil, err
	}
	if cfg.RecordEvery <= 0 {
		t.cfg.RecordEvery = defaultRecordEvery(t.total)
		if !t.fullBatch() {
			t.cfg.RecordEvery = t.plan.PerEpoch
		}
	}
	t.replicas = cfg.replicaCount()
	if cfg.Restarts > 1 && (cfg.InitFrom != nil || cfg.ClassWeights != nil) {
		return nil, fmt.Errorf("restarts cannot be combined with initial parameters or class weights")
	}
	if err := cfg.checkVariants(); err != nil {
		return nil, err
	}
	// With variants the dropout draws (one seed per update) are made when
	// any copy drops units, each copy's rate applied by the kernel.
	t.cfg.Dropout = cfg.maxDropout()
	if err := checkMemory(dev, estimateMemory(t.cfg, n, t.k)); err != nil {
		return nil, err
	}
	inits := make([]Params, t.replicas)
	for r := range inits {
		seed := RestartSeed(cfg.Seed, r)
		if len(cfg.Variants) > 0 {
			seed = cfg.Seed // every variant starts where its run alone starts
		}
		inits[r] = InitParams(cfg.Arch, cfg.Init, seed)
	}
	params := StackReplicas(inits)
	if cfg.InitFrom != nil {
		params = cfg.InitFrom.Clone()
	}
	if cfg.Resume != nil {
		params = cfg.Resume.Params
	}
	net, err := newReplicas(dev, cfg.Arch, params, t.replicas, t.plan.Size, t.cfg.Dropout)
	if err != nil {
		return nil, err
	}
	t.net = net
	fail := func(err error) (*Trainer, error) { t.Close(); return nil, err }
	if len(cfg.Variants) > 0 && t.cfg.Dropout > 0 {
		rates := make([]float32, t.replicas)
		for r, v := range cfg.Variants {
			rates[r] = float32(v.Dropout)
		}
		if err := net.setDropoutRates(rates); err != nil {
			return fail(err)
		}
	}
	if t.x, err = net.alloc(n * t.d); err != nil {
		return fail(err)
	}
	if t.y, err = net.alloc(n * t.k); err != nil {
		return fail(err)
	}
	dev.Upload(t.x, x)
	dev.Upload(t.y, y)
	if !t.fullBatch() {
		if t.xb, err = net.alloc(t.plan.Size * t.d); err != nil {
			return fail(err)
		}
		if t.yb, err = net.alloc(t.plan.Size * t.k); err != nil {
			return fail(err)
		}
		if t.perm, err = dev.AllocIndex(n); err != nil {
			return fail(err)
		}
		t.permHost = make([]int32, n)
	}
	t.slotsPer = t.replicas
	if cfg.ClassWeights != nil {
		if t.cw, err = newClassWeighting(t, y); err != nil {
			return fail(err)
		}
		t.slotsPer = 1 + len(cfg.ClassWeights)
	}
	if t.lossHist, err = net.alloc(cfg.CheckEvery * t.slotsPer); err != nil {
		return fail(err)
	}
	if t.upd, err = newUpdater(dev, net, cfg.Optim, cfg.Variants); err != nil {
		return fail(err)
	}
	if v := cfg.Val; v != nil && v.Rows > 0 {
		if t.valScratch, err = net.alloc(min(v.Rows, t.plan.Size) * t.d); err != nil {
			return fail(err)
		}
	}
	t.hostLosses = make([]float32, cfg.CheckEvery*t.slotsPer)
	t.shufflePCG, t.dropPCG = newPCG(cfg.Seed, streamShuffle), newPCG(cfg.Seed, streamDropout)
	t.shuffle, t.dro = rand.New(t.shufflePCG), rand.New(t.dropPCG)
	t.es = earlyState{best: math.Inf(1), bestStep: -1}
	if cfg.DetectAnomaly {
		t.setChecker(newAnomalyChecker(dev))
	}
	if cfg.Resume != nil {
		if err := t.restore(cfg.Resume, true); err != nil {
			return fail(err)
		}
	}
	return t, dev.Err()
}

// setChecker turns per-operation checks on (or off, with nil).
func (t *Trainer) setChecker(a *anomalyChecker) {
	t.an, t.net.an, t.upd.an = a, a, a
}

// Close frees the trainer's device buffers.
func (t *Trainer) Close() {
	if t.perm != nil {
		t.dev.FreeIndex(t.perm)
	}
	if t.cw != nil && t.cw.idx != nil {
		t.dev.FreeIndex(t.cw.idx)
	}
	t.net.Close()
}

// Network returns the network being trained.
func (t *Trainer) Network() *Network { return t.net }

// Step returns the number of updates done so far.
func (t *Trainer) Step() int { return t.iter }

// Records returns the progress records made so far.
func (t *Trainer) Records() []Progress { return t.records }

// History returns the training losses recorded so far.
func (t *Trainer) History() []LossPoint { return t.history }

// scale returns the factor turning a loss sum over rows rows into the
// reported loss (and the gradient scale).
func (t *Trainer) scale(rows int) float64 {
	if t.cfg.Reduction != Mean {
		return 1
	}
	if t.cfg.Arch.Loss == device.SoftmaxCE {
		return 1 / float64(rows)
	}
	return 1 / float64(rows*t.k)
}

// TotalSteps is the number of updates the configuration asks for.
func (t *Trainer) TotalSteps() int { return t.total }

// fullBatch reports whether every update uses all training rows.
func (t *Trainer) fullBatch() bool { return t.plan.FullBatch() }

// lr is the learning rate of update i (0-based).
func (t *Trainer) lr(i int) float64 { return t.cfg.Schedule.LR(t.cfg.Optim.LR, i, t.total) }

// pointStep is the step a loss computed in iteration i is recorded under.
func (t *Trainer) pointStep(i int) int {
	if t.fullBatch() {
		return i // the loss after i updates
	}
	return i + 1 // the batch of update i+1
}

// Run trains for the configured number of updates, calling onLoss (if not
// nil) for every recorded loss in order, and returns the loss history.
func (t *Trainer) Run(onLoss func(LossPoint)) ([]LossPoint, error) {
	return t.RunContext(context.Background(), Observer{Loss: onLoss})
}

// RunContext trains until the configured number of updates, early stopping,
// divergence or the end of ctx, which stops the run at the next update
// boundary with an *InterruptedError (State then gives a checkpoint). It
// returns the loss history, including that of a resumed run's earlier part.
func (t *Trainer) RunContext(ctx context.Context, obs Observer) ([]LossPoint, error) {
	t.obs = obs
	if t.iter > t.total {
		return t.history, fmt.Errorf("the run is already at step %d, beyond the %d steps asked for", t.iter, t.total)
	}
	if err := t.snapshot(); err != nil {
		return t.history, err
	}
	t.verified = t.iter
	err := t.loop(ctx)
	if de, ok := err.(*DivergenceError); ok && !de.Detected {
		t.locate(de)
	}
	return t.history, err
}

// stepMarker is a device that names the training step in its fault reports
// (the CUDA backend, whose faults surface steps after the kernel that made
// them).
type stepMarker interface{ MarkStep(step int) }

func (t *Trainer) loop(ctx context.Context) error {
	marker, _ := t.dev.(stepMarker)
	defer t.endBlock()
	for t.iter < t.total && !t.es.stopped {
		i := t.iter
		if marker != nil {
			marker.MarkStep(i)
		}
		if ctx.Err() != nil {
			if err := t.drain(); err != nil {
				return err
			}
			return &InterruptedError{Step: i, Total: t.total}
		}
		if t.recording() && t.recordDue(i) {
			stop, err := t.record(i, false)
			if err != nil {
				return err
			}
			if stop {
				break
			}
		}
		t.beginBlock()
		if !t.forwardDone {
			t.forwardLoss(i)
		}
		t.forwardDone = false
		if err := t.anomalyError(i); err != nil {
			return err
		}
		t.backwardUpdate(i)
		if err := t.anomalyError(i); err != nil {
			return err
		}
		t.iter++
		if len(t.pending) >= t.cfg.CheckEvery {
			if err := t.drain(); err != nil {
				return err
			}
		}
		if n := t.cfg.CheckpointEvery; n > 0 && t.iter%n == 0 && t.iter < t.total && t.cfg.OnCheckpoint != nil {
			st, err := t.State()
			if err != nil {
				return err
			}
			if err := t.cfg.OnCheckpoint(st); err != nil {
				return err
			}
		}
	}
	switch {
	case t.es.stopped:
	case t.recording():
		if _, err := t.record(t.total, true); err != nil {
			return err
		}
	case t.fullBatch():
		if err := t.finalLoss(t.total); err != nil {
			return err
		}
	}
	if err := t.drain(); err != nil {
		return err
	}
	if t.es.stopped && t.cfg.EarlyStopping.RestoreBest && t.es.bestParams != nil {
		return t.net.SetParams(*t.es.bestParams)
	}
	return nil
}

// finalLoss records the full-batch loss after the last update (step s).
func (t *Trainer) finalLoss(s int) error {
	if err := t.finalForward(); err != nil {
		return err
	}
	t.lossGrad(t.y, t.n, 0, 0, LossPoint{Step: s, Epoch: max(t.plan.EpochsDone(s), 1)})
	return nil
}

// finalForward runs the forward pass of the loss after the last update in
// training mode, like every earlier point of the curve (with batch norm or
// dropout an evaluation-mode loss differs; evaluation reports that one):
// the dropout draw an update after the last would make, and batch
// statistics, without changing the generator or the running statistics
// the model keeps.
func (t *Trainer) finalForward() error {
	seed := uint64(0)
	if t.cfg.Dropout > 0 {
		state, err := t.dropPCG.MarshalBinary()
		if err != nil {
			return err
		}
		seed = t.dro.Uint64()
		if err := t.dropPCG.UnmarshalBinary(state); err != nil {
			return err
		}
	}
	restore, err := t.net.keepRunningStats()
	if err != nil {
		return err
	}
	t.net.Forward(t.x, t.n, true, seed)
	restore()
	return nil
}

// recording reports whether the run makes progress records: when
// something consumes them (a validation set, early stopping, an observer).
// Without, the run reads the device only every CheckEvery updates.
func (t *Trainer) recording() bool {
	return t.cfg.Val != nil || t.obs.Progress != nil || t.cfg.EarlyStopping.Patience > 0
}

// recordDue reports whether a progress record is due before update i.
func (t *Trainer) recordDue(i int) bool {
	if i%t.cfg.RecordEvery != 0 {
		return false
	}
	return t.fullBatch() || i > 0
}

// forwardLoss runs the forward pass and the loss of update i (0-based),
// recording the loss.
func (t *Trainer) forwardLoss(i int) {
	x, y := t.x, t.y
	inEpoch, off, rows := t.plan.Batch(i)
	if !t.fullBatch() {
		if t.plan.StartsEpoch(i) {
			t.shuffleEpoch()
		}
		t.dev.GatherRows(t.x, t.perm, off, t.xb, rows, t.d)
		t.dev.GatherRows(t.y, t.perm, off, t.yb, rows, t.k)
		if t.an != nil {
			t.an.at("forward pass", i)
			t.an.check("batch inputs", t.xb, rows*t.d)
			t.an.check("batch targets", t.yb, rows*t.k)
		}
		x, y = t.xb, t.yb
	}
	dropSeed := uint64(0)
	if t.cfg.Dropout > 0 {
		dropSeed = t.dro.Uint64()
	}
	t.an.at("forward pass", i)
	t.net.Forward(x, rows, true, dropSeed)
	t.an.at("loss", i)
	t.lossGrad(y, rows, inEpoch, off, LossPoint{Step: t.pointStep(i), Epoch: t.plan.Epoch(i)})
	t.curX, t.curRows = x, rows
}

// lossGrad computes the loss and its gradient for the current forward pass
// and queues the loss for reading. batchIdx and off locate the batch in
// the epoch (for class weights).
func (t *Trainer) lossGrad(y device.Buffer, rows, batchIdx, off int, pt LossPoint) {
	s := t.scale(rows)
	pl := pendingLoss{p: pt, slot: len(t.pending) * t.slotsPer, scale: s}
	t.net.LossGrad(y, rows, float32(s), t.lossHist, pl.slot)
	if t.cw != nil {
		pl.absent = t.cw.apply(y, rows, batchIdx, off, pl.slot)
	}
	t.pending = append(t.pending, pl)
}

// backwardUpdate backpropagates the current loss and applies update i.
func (t *Trainer) backwardUpdate(i int) {
	t.an.at("backward pass", i)
	t.net.Backward(t.curX, t.curRows, true)
	t.an.at("optimizer step", i)
	t.upd.apply(t.cfg.Schedule, i, t.total)
}

// anomalyError reports what --detect-anomaly found in update i.
func (t *Trainer) anomalyError(i int) error {
	if t.an == nil || !t.cfg.DetectAnomaly {
		return nil
	}
	if t.an.err != nil {
		return t.an.err
	}
	if t.an.found == nil {
		return nil
	}
	return &DivergenceError{Step: t.pointStep(i), Loss: math.NaN(), LR: t.lr(i), Anomaly: t.an.found, Detected: true}
}

// record makes the progress record for step s (before update s; final: at
// the end of the run) and applies early stopping; stop reports that the
// run should end.
func (t *Trainer) record(s int, final bool) (stop bool, err error) {
	if err := t.drain(); err != nil {
		return false, err
	}
	pr := Progress{Step: s, Epoch: t.plan.EpochsDone(s), LR: t.lr(max(s-1, 0))}
	if v := t.cfg.Val; v != nil && v.Rows > 0 {
		logits, err := t.net.logitsInto(t.valScratch, v.X, v.Rows)
		if err != nil {
			return false, err
		}
		ev := t.scoreReplicas(v, logits)
		pr.HasVal, pr.ValLoss, pr.ValMetrics = true, ev.Loss, ev.Metrics
	}
	if t.fullBatch() {
		if final {
			if err := t.finalLoss(s); err != nil {
				return false, err
			}
		} else {
			t.forwardLoss(s)
			t.forwardDone = true
		}
		t.pendingProgress = &pr
		if err := t.drain(); err != nil {
			return false, err
		}
	} else {
		var sum float64
		var count int
		for j := len(t.history) - 1; j >= 0 && t.history[j].Step > t.lastRecord; j-- {
			sum += t.history[j].Loss
			count++
		}
		pr.Loss = math.NaN()
		if count > 0 {
			pr.Loss = sum / float64(count)
		}
		t.emitProgress(pr)
	}
	t.records = append(t.records, pr)
	t.lastRecord = s
	es := t.cfg.EarlyStopping
	if !pr.HasVal || es.Patience <= 0 || final {
		return false, nil
	}
	if pr.ValLoss < t.es.best-es.MinDelta {
		t.es.best, t.es.bestStep, t.es.bad = pr.ValLoss, s, 0
		if es.RestoreBest {
			p, err := t.net.Params()
			if err != nil {
				return false, err
			}
			t.es.bestParams = &p
		}
		return false, nil
	}
	t.es.bad++
	t.es.stopped = t.es.bad >= es.Patience
	return t.es.stopped, nil
}

// scoreReplicas scores the validation logits of every replica and returns
// their mean loss and metrics.
func (t *Trainer) scoreReplicas(v *ValidationSet, logits []float32) Evaluation {
	k := t.cfg.Arch.Outputs
	var mean Evaluation
	for r := 0; r < t.replicas; r++ {
		ev := v.Score(ReplicaLogits(logits, v.Rows, k, t.replicas, r))
		if r == 0 {
			mean = ev
			mean.Metrics = slices.Clone(ev.Metrics)
			continue
		}
		mean.Loss += ev.Loss
		for i := range mean.Metrics {
			mean.Metrics[i].Value += ev.Metrics[i].Value
		}
	}
	if t.replicas > 1 {
		mean.Loss /= float64(t.replicas)
		for i := range mean.Metrics {
			mean.Metrics[i].Value /= float64(t.replicas)
		}
	}
	return mean
}

func (t *Trainer) emitProgress(pr Progress) {
	if t.obs.Progress != nil {
		t.obs.Progress(pr)
	}
}

// EarlyStop describes how early stopping ended a run.
type EarlyStop struct {
	Stopped  bool    // the run stopped before its last update
	Step     int     // the step it stopped at
	BestStep int     // the step of the best validation loss (-1: none)
	BestLoss float64 // that loss
	Restored bool    // the parameters are those of BestStep
}

// EarlyStop reports what early stopping did (nil when it is off).
func (t *Trainer) EarlyStop() *EarlyStop {
	if t.cfg.EarlyStopping.Patience <= 0 {
		return nil
	}
	return &EarlyStop{
		Stopped: t.es.stopped, Step: t.iter, BestStep: t.es.bestStep, BestLoss: t.es.best,
		Restored: t.es.stopped && t.cfg.EarlyStopping.RestoreBest && t.es.bestParams != nil,
	}
}

// beginBlock tells a device that records blocks of steps (CUDA graphs) that
// one begins, unless one is open. A block runs from here to the next loss
// read (drain), so that every block of CheckEvery steps queues the same
// operations, losses into the same history slots, and the device can replay
// one recording of them. Anomaly detection downloads inside every step, so
// it runs without blocks.
func (t *Trainer) beginBlock() {
	if t.capt != nil && !t.inBlock && t.an == nil {
		t.capt.BeginCapture()
		t.inBlock = true
	}
}

// endBlock closes the open block, if any.
func (t *Trainer) endBlock() {
	if t.inBlock {
		t.capt.EndCapture()
		t.inBlock = false
	}
}

// drain reads the pending losses from the device, checks them, and records them.
func (t *Trainer) drain() error {
	t.endBlock()
	if len(t.pending) == 0 {
		return nil
	}
	slots := len(t.pending) * t.slotsPer
	if err := t.dev.Download(t.hostLosses[:slots], t.lossHist); err != nil {
		return err
	}
	// Every point's per-replica losses from one allocation per read, not
	// one per point.
	var replicaLosses []float64
	if t.replicas > 1 {
		replicaLosses = make([]float64, len(t.pending)*t.replicas)
	}
	for i, pl := range t.pending {
		p := pl.p
		sum := float64(t.hostLosses[pl.slot])
		if t.cw != nil {
			sum = t.cw.weightedSum(t.hostLosses[pl.slot+1:pl.slot+t.slotsPer], pl.absent)
		}
		p.Loss = pl.scale * sum
		if t.replicas > 1 {
			p.Restarts = replicaLosses[i*t.replicas : (i+1)*t.replicas : (i+1)*t.replicas]
			p.Loss = 0
			for r := range p.Restarts {
				p.Restarts[r] = pl.scale * float64(t.hostLosses[pl.slot+r])
				p.Loss += p.Restarts[r]
			}
			p.Loss /= float64(t.replicas)
		}
		first := p.Loss
		if len(t.history) > 0 {
			first = t.history[0].Loss
		}
		iter := p.Step // the iteration that computed the loss
		if !t.fullBatch() {
			iter = p.Step - 1
		}
		if math.IsNaN(p.Loss) || math.IsInf(p.Loss, 0) || (first > 0 && p.Loss > DivergenceFactor*first) {
			t.pending = t.pending[:0]
			final := t.fullBatch() && p.Step == t.total
			return &DivergenceError{Step: p.Step, Loss: p.Loss, FirstLoss: first, LR: t.lr(min(max(iter, 0), max(t.total-1, 0))), iter: iter, final: final}
		}
		t.history = append(t.history, p)
		t.verified = iter
		if pr := t.pendingProgress; pr != nil && pr.Step == p.Step {
			pr.Loss = p.Loss
			t.emitProgress(*pr)
			t.pendingProgress = nil
		}
		if t.obs.Loss != nil {
			t.obs.Loss(p)
		}
	}
	t.pending = t.pending[:0]
	return nil
}

// shuffleEpoch draws the next epoch's row order and uploads it.
func (t *Trainer) shuffleEpoch() {
	Shuffle(t.shuffle, t.permHost)
	t.dev.UploadIndex(t.perm, t.permHost)
	if t.cw != nil {
		t.cw.layout(t.permHost)
	}
}

// Params downloads the trained parameters.
func (t *Trainer) Params() (Params, error) { return t.net.Params() }

// snapshotLimit is the most parameter and optimizer-state values the
// trainer copies to the host at the start of a run so that a non-finite
// loss can be traced to its tensor by a replay; larger networks skip the
// copy (--detect-anomaly still names the tensor). The loss reads during
// the run copy only the losses: a divergence costs a replay of the run so
// far instead.
const snapshotLimit = 1 << 24

// snapshot keeps the starting state for locate.
func (t *Trainer) snapshot() error {
	if t.replicas*t.net.arch.ParamCount()*(1+t.cfg.Optim.stateCount()) > snapshotLimit {
		return nil
	}
	snap, err := t.capture(false)
	t.snap = snap
	return err
}

// locate replays the run from its starting state: unchecked up to the
// latest update a finite loss vouched for, then with every operation
// checked, to name the tensor that first became non-finite.
func (t *Trainer) locate(de *DivergenceError) {
	if t.snap == nil || !(math.IsNaN(de.Loss) || math.IsInf(de.Loss, 0)) {
		return
	}
	if err := t.restore(t.snap, false); err != nil {
		return
	}
	last := min(de.iter, t.total-1)
	for i := t.iter; i < min(t.verified, last); i++ {
		t.pending = t.pending[:0]
		t.forwardLoss(i)
		t.backwardUpdate(i)
	}
	an := newAnomalyChecker(t.dev)
	t.setChecker(an)
	defer t.setChecker(nil)
	for i := max(t.iter, min(t.verified, last)); i <= last && an.found == nil && an.err == nil; i++ {
		t.pending = t.pending[:0]
		t.forwardLoss(i)
		if an.found == nil {
			t.backwardUpdate(i)
		}
	}
	if de.final && an.found == nil {
		an.at("forward pass", t.total-1)
		t.finalForward()
	}
	t.pending = t.pending[:0]
	de.Anomaly = an.found
}
