package nn

import (
	"fmt"
	"math"
	"slices"
)

// TrainerState is everything a run needs to continue exactly where it
// stopped, bit for bit: the parameters, the optimizer's state, the random
// number generators, the epoch's row order, and the records that printing,
// plots and early stopping look back on.
type TrainerState struct {
	Step       int      // updates done
	Params     Params   // the current parameters
	OptimState []Params // the optimizer's state tensors (momentum: 1, Adam: 2)
	ShuffleRNG []byte   // the PCG states (encoding.BinaryMarshaler)
	DropoutRNG []byte
	// Perm is the current epoch's row order when the run stopped inside an
	// epoch of minibatches (nil otherwise: the next update starts an epoch).
	Perm    []int32
	History []LossPoint
	Records []Progress
	Early   EarlyState
}

// EarlyState is early stopping's bookkeeping in a TrainerState.
type EarlyState struct {
	Best       float64 // the best validation loss so far (+Inf: none)
	BestStep   int     // its step (-1: none)
	Bad        int     // records since it without improvement
	BestParams *Params // its parameters (when they are to be restored)
}

// State drains the pending losses and returns the run's state, for a
// checkpoint. Variants side by side have none: a checkpoint describes one
// configuration's run.
func (t *Trainer) State() (*TrainerState, error) {
	if len(t.cfg.Variants) > 0 {
		return nil, fmt.Errorf("variants trained side by side cannot be checkpointed")
	}
	if err := t.drain(); err != nil {
		return nil, err
	}
	return t.capture(true)
}

// capture copies the state to the host; without full it leaves out the
// records (enough to replay updates).
func (t *Trainer) capture(full bool) (*TrainerState, error) {
	st := &TrainerState{Step: t.iter}
	var err error
	if st.Params, err = t.net.Params(); err != nil {
		return nil, err
	}
	if st.OptimState, err = t.upd.download(t.cfg.Arch); err != nil {
		return nil, err
	}
	if st.ShuffleRNG, err = t.shufflePCG.MarshalBinary(); err != nil {
		return nil, err
	}
	if st.DropoutRNG, err = t.dropPCG.MarshalBinary(); err != nil {
		return nil, err
	}
	if !t.fullBatch() && !t.plan.StartsEpoch(t.iter) {
		st.Perm = slices.Clone(t.permHost)
	}
	if full {
		st.History = slices.Clone(t.history)
		st.Records = slices.Clone(t.records)
		st.Early = EarlyState{Best: t.es.best, BestStep: t.es.bestStep, Bad: t.es.bad}
		if t.es.bestParams != nil {
			p := t.es.bestParams.Clone()
			st.Early.BestParams = &p
		}
	}
	return st, nil
}

// IsPermutation reports whether p is a permutation of 0…n−1, as a saved
// row order must be.
func IsPermutation(p []int32, n int) bool {
	if len(p) != n {
		return false
	}
	seen := make([]bool, n)
	for _, v := range p {
		if v < 0 || int(v) >= n || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

// restore sets the trainer to st; with full, also its history, records
// and early-stopping state.
func (t *Trainer) restore(st *TrainerState, full bool) error {
	if st.Step < 0 || st.Step > t.total {
		return fmt.Errorf("the checkpoint is at step %d, outside this run's %d steps", st.Step, t.total)
	}
	if err := t.net.SetParams(st.Params); err != nil {
		return err
	}
	if err := t.upd.upload(t.cfg.Arch, st.OptimState, st.Step); err != nil {
		return err
	}
	if err := t.shufflePCG.UnmarshalBinary(st.ShuffleRNG); err != nil {
		return fmt.Errorf("shuffle generator state: %v", err)
	}
	if err := t.dropPCG.UnmarshalBinary(st.DropoutRNG); err != nil {
		return fmt.Errorf("dropout generator state: %v", err)
	}
	if !t.fullBatch() && !t.plan.StartsEpoch(st.Step) {
		if !IsPermutation(st.Perm, t.n) {
			return fmt.Errorf("the saved row order is not a permutation of the %d training rows", t.n)
		}
		copy(t.permHost, st.Perm)
		t.dev.UploadIndex(t.perm, t.permHost)
		if t.cw != nil {
			t.cw.layout(t.permHost)
		}
	}
	t.iter = st.Step
	t.forwardDone = false
	t.pending = t.pending[:0]
	t.pendingProgress = nil
	if full {
		t.history = slices.Clone(st.History)
		t.records = slices.Clone(st.Records)
		t.lastRecord = -1
		if len(t.records) > 0 {
			t.lastRecord = t.records[len(t.records)-1].Step
		}
		t.es = earlyState{best: st.Early.Best, bestStep: st.Early.BestStep, bad: st.Early.Bad}
		if math.IsNaN(t.es.best) {
			t.es.best = math.Inf(1)
		}
		if bp := st.Early.BestParams; bp != nil {
			if err := bp.CheckShapes(t.cfg.Arch, t.replicas); err != nil {
				return fmt.Errorf("best parameters: %v", err)
			}
			p := bp.Clone()
			t.es.bestParams = &p
		}
	}
	return t.dev.Err()
}
