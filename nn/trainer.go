package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gputrain/gputrain/device"
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

// ParseReduction checks a --loss-reduction value.
func ParseReduction(s string) (Reduction, error) {
	switch Reduction(s) {
	case Mean, Sum:
		return Reduction(s), nil
	}
	return "", fmt.Errorf("invalid --loss-reduction %q: want mean or sum", s)
}

// TrainConfig is everything a training run needs besides the data.
type TrainConfig struct {
	Arch      Arch
	Init      Init
	InitFrom  *Params // when set, the run starts from these parameters instead of Init
	Optim     OptimConfig
	BatchSize int // rows per update; 0 or ≥ the training rows means full batch
	Steps     int // updates to make; when 0, Epochs passes over the data
	Epochs    int
	Dropout   float64 // probability of dropping a hidden unit in training
	Reduction Reduction
	Seed      uint64
	// CheckEvery is how many updates may pass between reads of the loss
	// history from the device (each read is a device→host copy and a
	// synchronisation). NaN/Inf is detected at the read and reported with
	// the exact step. 0 means 100.
	CheckEvery int
}

// LossPoint is one recorded training loss. For full-batch training, Loss is
// the loss of the whole training set after Step updates (Step 0 is the
// initial loss). For minibatches, Loss is the loss of the minibatch used by
// update Step, measured before that update.
type LossPoint struct {
	Step  int
	Epoch int
	Loss  float64
}

// DivergenceFactor is how many times its first recorded value the training
// loss may grow before the run is stopped as diverged.
const DivergenceFactor = 1e4

// DivergenceError reports a training loss that stopped being finite or grew
// more than DivergenceFactor times its first recorded value.
type DivergenceError struct {
	Step      int
	Loss      float64
	FirstLoss float64
	LR        float64
}

func (e *DivergenceError) Error() string {
	if math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0) {
		return fmt.Sprintf("training diverged at step %d: the loss is %v (lr %g); try a smaller --lr", e.Step, e.Loss, e.LR)
	}
	return fmt.Sprintf("training diverged at step %d: the loss grew from %.6g to %.6g, more than %g times (lr %g); try a smaller --lr", e.Step, e.FirstLoss, e.Loss, DivergenceFactor, e.LR)
}

// Trainer trains one network on one data set resident on a device.
type Trainer struct {
	cfg     TrainConfig
	dev     device.Device
	net     *Network
	upd     *updater
	n, d, k int // rows, features, target columns

	x, y         device.Buffer      // the whole training set
	xb, yb       device.Buffer      // the current minibatch (nil for full batch)
	perm         device.IndexBuffer // the epoch's shuffled row order
	lossHist     device.Buffer
	batch        int
	gradScale    float32
	history      []LossPoint
	pending      []LossPoint // recorded on the device, not yet read
	hostLosses   []float32
	firstLoss    float64
	shuffle, dro *rand.Rand
	permHost     []int32
}

// NewTrainer uploads the training data (x: n×d row-major, y: n×k targets as
// the loss expects them) and allocates everything the run needs.
func NewTrainer(dev device.Device, cfg TrainConfig, x []float32, y []float32, n int) (*Trainer, error) {
	if n < 1 {
		return nil, fmt.Errorf("no training rows")
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = 100
	}
	t := &Trainer{cfg: cfg, dev: dev, n: n, d: cfg.Arch.Inputs, k: len(y) / n}
	t.batch = cfg.BatchSize
	if t.batch <= 0 || t.batch > n {
		t.batch = n
	}
	params := InitParams(cfg.Arch, cfg.Init, cfg.Seed)
	if cfg.InitFrom != nil {
		params = cfg.InitFrom.Clone()
	}
	net, err := NewNetwork(dev, cfg.Arch, params, t.batch, cfg.Dropout)
	if err != nil {
		return nil, err
	}
	t.net = net
	fail := func(err error) (*Trainer, error) { net.Close(); return nil, err }
	if t.x, err = net.alloc(n * t.d); err != nil {
		return fail(err)
	}
	if t.y, err = net.alloc(n * t.k); err != nil {
		return fail(err)
	}
	dev.Upload(t.x, x)
	dev.Upload(t.y, y)
	if t.batch < n {
		if t.xb, err = net.alloc(t.batch * t.d); err != nil {
			return fail(err)
		}
		if t.yb, err = net.alloc(t.batch * t.k); err != nil {
			return fail(err)
		}
		if t.perm, err = dev.AllocIndex(n); err != nil {
			return fail(err)
		}
		t.permHost = make([]int32, n)
	}
	if t.lossHist, err = net.alloc(cfg.CheckEvery); err != nil {
		return fail(err)
	}
	if t.upd, err = newUpdater(dev, net, cfg.Optim); err != nil {
		return fail(err)
	}
	t.hostLosses = make([]float32, cfg.CheckEvery)
	t.shuffle = NewRand(cfg.Seed, streamShuffle)
	t.dro = NewRand(cfg.Seed, streamDropout)
	return t, dev.Err()
}

// Close frees the trainer's device buffers.
func (t *Trainer) Close() {
	if t.perm != nil {
		t.dev.FreeIndex(t.perm)
	}
	t.net.Close()
}

// Network returns the network being trained.
func (t *Trainer) Network() *Network { return t.net }

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
func (t *Trainer) TotalSteps() int {
	if t.cfg.Steps > 0 {
		return t.cfg.Steps
	}
	perEpoch := (t.n + t.batch - 1) / t.batch
	return t.cfg.Epochs * perEpoch
}

// Run trains for the configured number of updates, calling onLoss (if not
// nil) for every recorded loss in order, and returns the loss history.
func (t *Trainer) Run(onLoss func(LossPoint)) ([]LossPoint, error) {
	total := t.TotalSteps()
	perEpoch := (t.n + t.batch - 1) / t.batch
	for step := 0; step < total; step++ {
		epoch, inEpoch := step/perEpoch, step%perEpoch
		x, y, rows := t.x, t.y, t.n
		if t.batch < t.n {
			if inEpoch == 0 {
				t.shuffleEpoch()
			}
			off := inEpoch * t.batch
			rows = min(t.batch, t.n-off)
			t.dev.GatherRows(t.x, t.perm, off, t.xb, rows, t.d)
			t.dev.GatherRows(t.y, t.perm, off, t.yb, rows, t.k)
			x, y = t.xb, t.yb
		}
		s := t.scale(rows)
		dropSeed := uint64(0)
		if t.cfg.Dropout > 0 {
			dropSeed = t.dro.Uint64()
		}
		t.net.Forward(x, rows, true, dropSeed)
		t.net.LossGrad(y, rows, float32(s), t.lossHist, len(t.pending))
		pointStep := step // full batch: the loss after `step` updates
		if t.batch < t.n {
			pointStep = step + 1 // minibatch: the batch of update step+1
		}
		t.pending = append(t.pending, LossPoint{Step: pointStep, Epoch: epoch + 1, Loss: s})
		t.net.Backward(x, rows, true)
		t.upd.apply()
		if len(t.pending) == t.cfg.CheckEvery {
			if err := t.drain(onLoss); err != nil {
				return t.history, err
			}
		}
	}
	if t.batch == t.n {
		// One more forward pass gives the loss after the last update.
		t.net.Forward(t.x, t.n, false, 0)
		t.net.LossGrad(t.y, t.n, 1, t.lossHist, len(t.pending))
		t.pending = append(t.pending, LossPoint{Step: total, Epoch: (total + perEpoch - 1) / perEpoch, Loss: t.scale(t.n)})
	}
	err := t.drain(onLoss)
	return t.history, err
}

// drain reads the pending losses from the device, checks them, and records them.
func (t *Trainer) drain(onLoss func(LossPoint)) error {
	if len(t.pending) == 0 {
		return nil
	}
	if err := t.dev.Download(t.hostLosses[:len(t.pending)], t.lossHist); err != nil {
		return err
	}
	for i, p := range t.pending {
		p.Loss *= float64(t.hostLosses[i])
		if len(t.history) == 0 && i == 0 {
			t.firstLoss = p.Loss
		}
		if math.IsNaN(p.Loss) || math.IsInf(p.Loss, 0) || (t.firstLoss > 0 && p.Loss > DivergenceFactor*t.firstLoss) {
			t.pending = t.pending[:0]
			return &DivergenceError{Step: p.Step, Loss: p.Loss, FirstLoss: t.firstLoss, LR: t.cfg.Optim.LR}
		}
		t.history = append(t.history, p)
		if onLoss != nil {
			onLoss(p)
		}
	}
	t.pending = t.pending[:0]
	return nil
}

func (t *Trainer) shuffleEpoch() {
	for i := range t.permHost {
		t.permHost[i] = int32(i)
	}
	for i := len(t.permHost) - 1; i > 0; i-- {
		j := t.shuffle.IntN(i + 1)
		t.permHost[i], t.permHost[j] = t.permHost[j], t.permHost[i]
	}
	t.dev.UploadIndex(t.perm, t.permHost)
}

// Params downloads the trained parameters.
func (t *Trainer) Params() (Params, error) { return t.net.Params() }
