package job

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/gputrain/gputrain/internal/advice"
	"github.com/gputrain/gputrain/internal/atomicfile"
	"github.com/gputrain/gputrain/internal/safetensors"
	"github.com/gputrain/gputrain/metrics"
	"github.com/gputrain/gputrain/nn"
)

// CheckpointFormatTag identifies gputrain checkpoints in their safetensors
// metadata.
const CheckpointFormatTag = "gputrain-checkpoint/1"

// Checkpoint is a training run stopped between two updates, with everything
// needed to continue it bit for bit: the model parts (as in a model file:
// architecture, current parameters as layers.N.weight/bias, scaler, classes),
// the trainer's state, and the experiment's split of the data.
type Checkpoint struct {
	Model     *Model // parameters are the current ones; Info holds the run manifest
	Optimizer nn.Optimizer
	State     *nn.TrainerState
	Total     int // the run's number of updates
	// Restarts is the number of networks trained side by side (0 or 1:
	// one); State's parameters and optimizer state hold them all.
	Restarts int
	// Train, Val and Test are the row indices of the data split.
	Train, Val, Test []int
}

// Flags returns the command-line flags the run was started with.
func (c *Checkpoint) Flags() (map[string]string, error) {
	flags := map[string]string{}
	if s := c.Model.Info["flags"]; s != "" {
		if err := json.Unmarshal([]byte(s), &flags); err != nil {
			return nil, fmt.Errorf("damaged checkpoint: bad flags metadata: %v", err)
		}
	}
	return flags, nil
}

// checkpoint metadata keys beyond a model's.
var checkpointKeys = []string{"restarts", "step", "total", "optimizer", "shuffle_rng", "dropout_rng", "early_best", "early_best_step", "early_bad", "record_metrics"}

// Save writes the checkpoint as a safetensors file, atomically.
func (c *Checkpoint) Save(path string) error {
	b, err := c.encode()
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o644)
}

func f64s[T int | int32](xs []T) []float64 {
	out := make([]float64, len(xs))
	for i, v := range xs {
		out[i] = float64(v)
	}
	return out
}

func vec(v []float64) safetensors.Tensor {
	if v == nil {
		v = []float64{}
	}
	return safetensors.Tensor{Shape: []int{len(v)}, F64: v}
}

func prefixed(dst map[string]safetensors.Tensor, prefix string, src map[string]safetensors.Tensor) {
	for k, v := range src {
		dst[prefix+k] = v
	}
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// replicaPrefix is the tensor name prefix of network r of a checkpoint
// that holds several: the first is stored under the model's own names, so
// that a checkpoint of restarts reads like one of a single run.
func replicaPrefix(r int) string {
	if r == 0 {
		return ""
	}
	return "restart." + strconv.Itoa(r) + "."
}

// replicaTensors adds the tensors of each of the count networks in p.
func replicaTensors(dst map[string]safetensors.Tensor, prefix string, arch nn.Arch, p nn.Params, count int) {
	for r := range count {
		prefixed(dst, replicaPrefix(r)+prefix, ParamTensors(arch, p.Replica(r, count)))
	}
}

// replicaParams reads back what replicaTensors wrote.
func replicaParams(f safetensors.File, prefix string, arch nn.Arch, count int) (nn.Params, error) {
	reps := make([]nn.Params, count)
	for r := range reps {
		var err error
		if reps[r], err = ParamsFromTensors(arch, subTensors(f, replicaPrefix(r)+prefix)); err != nil {
			if count > 1 {
				err = fmt.Errorf("network %d of %d: %v", r+1, count, err)
			}
			return nn.Params{}, err
		}
	}
	return nn.StackReplicas(reps), nil
}

// subTensors returns the tensors whose names start with prefix, under
// their names without it.
func subTensors(f safetensors.File, prefix string) map[string]safetensors.Tensor {
	if prefix == "" {
		return f.Tensors
	}
	out := map[string]safetensors.Tensor{}
	for k, v := range f.Tensors {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out
}

// MaxRestarts bounds the number of networks trained side by side, and so
// those a checkpoint may claim (a damaged file cannot ask for absurd
// allocations).
const MaxRestarts = 1 << 16

// MaxWidth is the widest layer model files and checkpoints may hold.
const MaxWidth = maxWidth

func (c *Checkpoint) encode() ([]byte, error) {
	m, st := c.Model, c.State
	R := max(c.Restarts, 1)
	if err := st.Params.CheckShapes(m.Arch, R); err != nil {
		return nil, fmt.Errorf("checkpoint of %d networks: %v", R, err)
	}
	model := *m
	model.Params = st.Params.Replica(0, R)
	tensors, meta, err := model.encode()
	if err != nil {
		return nil, err
	}
	for r := 1; r < R; r++ {
		prefixed(tensors, replicaPrefix(r), ParamTensors(m.Arch, st.Params.Replica(r, R)))
	}
	meta["format"] = CheckpointFormatTag
	meta["restarts"] = strconv.Itoa(R)
	meta["step"] = strconv.Itoa(st.Step)
	meta["total"] = strconv.Itoa(c.Total)
	meta["optimizer"] = string(c.Optimizer)
	meta["shuffle_rng"] = base64.StdEncoding.EncodeToString(st.ShuffleRNG)
	meta["dropout_rng"] = base64.StdEncoding.EncodeToString(st.DropoutRNG)
	meta["early_best"] = fmtFloat(st.Early.Best)
	meta["early_best_step"] = strconv.Itoa(st.Early.BestStep)
	meta["early_bad"] = strconv.Itoa(st.Early.Bad)
	names := nn.OptimConfig{Kind: c.Optimizer}.StateNames()
	if len(names) != len(st.OptimState) {
		return nil, fmt.Errorf("checkpoint: %d optimizer state tensors per parameter for %s", len(st.OptimState), c.Optimizer)
	}
	for i, name := range names {
		replicaTensors(tensors, "optimizer."+name+".", m.Arch, st.OptimState[i], R)
	}
	if st.Early.BestParams != nil {
		replicaTensors(tensors, "best.", m.Arch, *st.Early.BestParams, R)
	}
	if st.Perm != nil {
		tensors["perm"] = vec(f64s(st.Perm))
	}
	tensors["split.train"] = vec(f64s(c.Train))
	tensors["split.validation"] = vec(f64s(c.Val))
	tensors["split.test"] = vec(f64s(c.Test))
	h := st.History
	hs, he, hl := make([]float64, len(h)), make([]float64, len(h)), make([]float64, len(h))
	for i, p := range h {
		hs[i], he[i], hl[i] = float64(p.Step), float64(p.Epoch), p.Loss
	}
	tensors["history.step"], tensors["history.epoch"], tensors["history.loss"] = vec(hs), vec(he), vec(hl)
	r := st.Records
	cols := map[string][]float64{}
	for _, name := range []string{"step", "epoch", "loss", "lr", "has_val", "val_loss"} {
		cols[name] = make([]float64, len(r))
	}
	var metricNames []string
	for _, p := range r {
		for _, v := range p.ValMetrics {
			if !slices.Contains(metricNames, v.Name) {
				metricNames = append(metricNames, v.Name)
			}
		}
	}
	for _, name := range metricNames {
		cols["val."+name] = make([]float64, len(r))
	}
	for i, p := range r {
		cols["step"][i], cols["epoch"][i], cols["loss"][i], cols["lr"][i] = float64(p.Step), float64(p.Epoch), p.Loss, p.LR
		if p.HasVal {
			cols["has_val"][i], cols["val_loss"][i] = 1, p.ValLoss
		}
		for _, name := range metricNames {
			cols["val."+name][i] = math.NaN()
		}
		for _, v := range p.ValMetrics {
			cols["val."+v.Name][i] = v.Value
		}
	}
	for name, col := range cols {
		tensors["records."+name] = vec(col)
	}
	b, err := json.Marshal(metricNames)
	if err != nil {
		return nil, err
	}
	meta["record_metrics"] = string(b)
	return safetensors.Encode(safetensors.File{Tensors: tensors, Metadata: meta})
}

// LoadCheckpoint reads a checkpoint written by Save. Every error is one
// line naming the file.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	c, err := decodeCheckpoint(b)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	return c, nil
}

// decodeCheckpoint parses and checks a checkpoint: whatever the bytes,
// either a checkpoint whose parts fit together or a one-line error.
func decodeCheckpoint(b []byte) (*Checkpoint, error) {
	f, err := safetensors.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("not a gputrain checkpoint: %v", err)
	}
	switch f.Metadata["format"] {
	case CheckpointFormatTag:
	case FormatTag:
		return nil, advice.New(func(name advice.Namer) string {
			return fmt.Sprintf("not a checkpoint but a gputrain model (to start a new run from its parameters use %s)", name(advice.InitFrom))
		})
	default:
		return nil, fmt.Errorf("not a gputrain checkpoint: its metadata has no %q format tag", CheckpointFormatTag)
	}
	c, err := checkpointFromFile(f)
	if err != nil {
		return nil, fmt.Errorf("damaged checkpoint: %v", err)
	}
	return c, nil
}

func checkpointFromFile(f safetensors.File) (*Checkpoint, error) {
	meta := f.Metadata
	m, err := modelFromFile(f)
	if err != nil {
		return nil, err
	}
	for _, k := range checkpointKeys {
		delete(m.Info, k)
	}
	c := &Checkpoint{Model: m, State: &nn.TrainerState{Params: m.Params}}
	st := c.State
	atoi := func(key string, lo int) (int, error) {
		v, err := strconv.Atoi(meta[key])
		if err != nil || v < lo {
			return 0, fmt.Errorf("bad %s %q", key, meta[key])
		}
		return v, nil
	}
	c.Restarts = 1
	if meta["restarts"] != "" {
		if c.Restarts, err = atoi("restarts", 1); err != nil || c.Restarts > MaxRestarts {
			return nil, fmt.Errorf("bad restarts %q", meta["restarts"])
		}
	}
	if c.Restarts > 1 {
		if st.Params, err = replicaParams(f, "", m.Arch, c.Restarts); err != nil {
			return nil, err
		}
		m.Params = st.Params.Replica(0, c.Restarts)
	}
	if st.Step, err = atoi("step", 0); err != nil {
		return nil, err
	}
	if c.Total, err = atoi("total", st.Step); err != nil {
		return nil, err
	}
	if c.Optimizer, err = nn.ParseOptimizer(meta["optimizer"]); err != nil {
		return nil, err
	}
	for key, dst := range map[string]*[]byte{"shuffle_rng": &st.ShuffleRNG, "dropout_rng": &st.DropoutRNG} {
		if *dst, err = base64.StdEncoding.DecodeString(meta[key]); err != nil {
			return nil, fmt.Errorf("bad %s: %v", key, err)
		}
		if err := new(rand.PCG).UnmarshalBinary(*dst); err != nil {
			return nil, fmt.Errorf("bad %s: %v", key, err)
		}
	}
	if st.Early.Best, err = strconv.ParseFloat(meta["early_best"], 64); err != nil {
		return nil, fmt.Errorf("bad early_best %q", meta["early_best"])
	}
	if st.Early.BestStep, err = atoi("early_best_step", -1); err != nil {
		return nil, err
	}
	if st.Early.Bad, err = atoi("early_bad", 0); err != nil {
		return nil, err
	}
	for _, name := range (nn.OptimConfig{Kind: c.Optimizer}).StateNames() {
		p, err := replicaParams(f, "optimizer."+name+".", m.Arch, c.Restarts)
		if err != nil {
			return nil, fmt.Errorf("optimizer %s: %v", name, err)
		}
		st.OptimState = append(st.OptimState, p)
	}
	if best := subTensors(f, "best."); len(best) > 0 {
		p, err := replicaParams(f, "best.", m.Arch, c.Restarts)
		if err != nil {
			return nil, fmt.Errorf("best parameters: %v", err)
		}
		st.Early.BestParams = &p
	}
	ints := func(name string, required bool) ([]int, error) {
		t, ok := f.Tensors[name]
		if !ok {
			if required {
				return nil, fmt.Errorf("no tensor %q", name)
			}
			return nil, nil
		}
		if len(t.Shape) != 1 {
			return nil, fmt.Errorf("tensor %q has shape %v, want a vector", name, t.Shape)
		}
		vals := t.Float64s()
		out := make([]int, len(vals))
		for i, v := range vals {
			if v != math.Trunc(v) || v < -1 || v >= 1<<31 {
				return nil, fmt.Errorf("tensor %q holds %v, not an index", name, v)
			}
			out[i] = int(v)
		}
		return out, nil
	}
	floats := func(name string, n int) ([]float64, error) {
		t, ok := f.Tensors[name]
		if !ok || len(t.Shape) != 1 || t.Shape[0] != n {
			return nil, fmt.Errorf("tensor %q missing or not of length %d", name, n)
		}
		return t.Float64s(), nil
	}
	seen := map[int]bool{}
	for name, dst := range map[string]*[]int{"split.train": &c.Train, "split.validation": &c.Val, "split.test": &c.Test} {
		if *dst, err = ints(name, true); err != nil {
			return nil, err
		}
		for _, r := range *dst {
			if r < 0 || seen[r] {
				return nil, fmt.Errorf("split indices are not distinct row numbers")
			}
			seen[r] = true
		}
	}
	if len(c.Train) == 0 {
		return nil, fmt.Errorf("no training rows in the split")
	}
	perm, err := ints("perm", false)
	if err != nil {
		return nil, err
	}
	if perm != nil {
		st.Perm = make([]int32, len(perm))
		for i, v := range perm {
			st.Perm[i] = int32(v)
		}
		if !nn.IsPermutation(st.Perm, len(c.Train)) {
			return nil, fmt.Errorf("the saved row order is not a permutation of the %d training rows", len(c.Train))
		}
	}
	hs, err := ints("history.step", true)
	if err != nil {
		return nil, err
	}
	he, err := ints("history.epoch", true)
	if err != nil {
		return nil, err
	}
	hl, err := floats("history.loss", len(hs))
	if err != nil {
		return nil, err
	}
	if len(he) != len(hs) {
		return nil, fmt.Errorf("history tensors differ in length")
	}
	for i := range hs {
		st.History = append(st.History, nn.LossPoint{Step: hs[i], Epoch: he[i], Loss: hl[i]})
	}
	rs, err := ints("records.step", true)
	if err != nil {
		return nil, err
	}
	cols := map[string][]float64{}
	for _, name := range []string{"epoch", "loss", "lr", "has_val", "val_loss"} {
		if cols[name], err = floats("records."+name, len(rs)); err != nil {
			return nil, err
		}
	}
	var metricNames []string
	if err := json.Unmarshal([]byte(meta["record_metrics"]), &metricNames); err != nil {
		return nil, fmt.Errorf("bad record_metrics: %v", err)
	}
	for _, name := range metricNames {
		if cols["val."+name], err = floats("records.val."+name, len(rs)); err != nil {
			return nil, err
		}
	}
	for i, s := range rs {
		p := nn.Progress{Step: s, Epoch: int(cols["epoch"][i]), Loss: cols["loss"][i], LR: cols["lr"][i], HasVal: cols["has_val"][i] == 1}
		if p.HasVal {
			p.ValLoss = cols["val_loss"][i]
			for _, name := range metricNames {
				if v := cols["val."+name][i]; !math.IsNaN(v) {
					p.ValMetrics = append(p.ValMetrics, metrics.Value{Name: name, Value: v})
				}
			}
		}
		st.Records = append(st.Records, p)
	}
	return c, nil
}
