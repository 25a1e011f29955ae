package job

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/advice"
	"github.com/gputrain/gputrain/internal/atomicfile"
	"github.com/gputrain/gputrain/internal/safetensors"
	"github.com/gputrain/gputrain/nn"
)

// FormatTag identifies gputrain model files in their safetensors metadata.
const FormatTag = "gputrain-model/1"

// Model is a trained network with everything needed to apply it to new
// data: the architecture and parameters, the standardisation fitted on the
// training rows, the task and its class labels, and a record of how it was
// made.
type Model struct {
	Arch     nn.Arch
	Params   nn.Params
	Task     data.Task
	Classes  []string     // class labels by index (classification)
	Features []string     // feature names in input order
	Label    string       // the label column's name
	Prep     *data.Prep   // the raw columns' preprocessing (nil: the inputs are the columns)
	Scaler   *data.Scaler // nil when the inputs were not standardised
	Info     map[string]string
}

// archJSON is the architecture as stored in the file's metadata.
type archJSON struct {
	Inputs     int    `json:"inputs"`
	Hidden     []int  `json:"hidden"`
	Outputs    int    `json:"outputs"`
	Activation string `json:"activation"`
	// ActivationParam is Arch.ActivationParam, absent for the activations
	// without a parameter.
	ActivationParam float64 `json:"activation_param,omitempty"`
	Loss            string  `json:"loss"`
	BatchNorm       bool    `json:"batch_norm,omitempty"`
}

func parseLoss(s string) (device.Loss, error) {
	for _, l := range []device.Loss{device.Logistic, device.SoftmaxCE, device.MSE} {
		if l.String() == s {
			return l, nil
		}
	}
	return 0, fmt.Errorf("unknown loss %q", s)
}

// bnNames are the names of batch normalisation's tensors of hidden layer
// l, as PyTorch's BatchNorm1d names them, in the order of Params.tensors.
func bnNames(l int) [4]string {
	return [4]string{fmt.Sprintf("bn.%d.weight", l), fmt.Sprintf("bn.%d.bias", l), fmt.Sprintf("bn.%d.running_mean", l), fmt.Sprintf("bn.%d.running_var", l)}
}

// ParamTensors names parameters as PyTorch's nn.Sequential of nn.Linear
// does ("layers.L.weight" with shape [fan_out, fan_in], "layers.L.bias"), so
// that files can be exchanged with other frameworks; batch normalisation's
// tensors are "bn.L.weight", "bn.L.bias", "bn.L.running_mean" and
// "bn.L.running_var".
func ParamTensors(arch nn.Arch, p nn.Params) map[string]safetensors.Tensor {
	sizes := arch.Sizes()
	out := map[string]safetensors.Tensor{}
	for l := range p.W {
		in, o := sizes[l], sizes[l+1]
		wt := make([]float32, in*o)
		for i := 0; i < in; i++ {
			for j := 0; j < o; j++ {
				wt[j*in+i] = p.W[l][i*o+j]
			}
		}
		out[fmt.Sprintf("layers.%d.weight", l)] = safetensors.Tensor{Shape: []int{o, in}, F32: wt}
		out[fmt.Sprintf("layers.%d.bias", l)] = safetensors.Tensor{Shape: []int{o}, F32: append([]float32(nil), p.B[l]...)}
		if l < len(p.Gamma) {
			for i, v := range [][]float32{p.Gamma[l], p.Beta[l], p.RunMean[l], p.RunVar[l]} {
				out[bnNames(l)[i]] = safetensors.Tensor{Shape: []int{o}, F32: append([]float32(nil), v...)}
			}
		}
	}
	return out
}

// ParamsFromTensors reads parameters for arch from PyTorch-named tensors
// (see ParamTensors), F32 or F64.
func ParamsFromTensors(arch nn.Arch, tensors map[string]safetensors.Tensor) (nn.Params, error) {
	sizes := arch.Sizes()
	var p nn.Params
	for l := 0; l < arch.Layers(); l++ {
		in, o := sizes[l], sizes[l+1]
		wName, bName := fmt.Sprintf("layers.%d.weight", l), fmt.Sprintf("layers.%d.bias", l)
		wt, ok := tensors[wName]
		if !ok {
			return nn.Params{}, fmt.Errorf("no tensor %q (the network %s needs layers.0 … layers.%d)", wName, arch, arch.Layers()-1)
		}
		bt, ok := tensors[bName]
		if !ok {
			return nn.Params{}, fmt.Errorf("no tensor %q", bName)
		}
		if len(wt.Shape) != 2 || wt.Shape[0] != o || wt.Shape[1] != in {
			return nn.Params{}, fmt.Errorf("tensor %q has shape %v, want [%d %d] for %s", wName, wt.Shape, o, in, arch)
		}
		if len(bt.Shape) != 1 || bt.Shape[0] != o {
			return nn.Params{}, fmt.Errorf("tensor %q has shape %v, want [%d]", bName, bt.Shape, o)
		}
		src := wt.Float32s()
		w := make([]float32, in*o)
		for i := 0; i < in; i++ {
			for j := 0; j < o; j++ {
				w[i*o+j] = src[j*in+i]
			}
		}
		p.W = append(p.W, w)
		p.B = append(p.B, append([]float32(nil), bt.Float32s()...))
		if arch.BatchNorm && l < arch.Layers()-1 {
			var vs [4][]float32
			for i, name := range bnNames(l) {
				t, ok := tensors[name]
				if !ok {
					return nn.Params{}, fmt.Errorf("no tensor %q (the network %s has batch normalisation)", name, arch)
				}
				if len(t.Shape) != 1 || t.Shape[0] != o {
					return nn.Params{}, fmt.Errorf("tensor %q has shape %v, want [%d]", name, t.Shape, o)
				}
				vs[i] = append([]float32(nil), t.Float32s()...)
			}
			p.Gamma, p.Beta = append(p.Gamma, vs[0]), append(p.Beta, vs[1])
			p.RunMean, p.RunVar = append(p.RunMean, vs[2]), append(p.RunVar, vs[3])
		}
	}
	if _, ok := tensors[fmt.Sprintf("layers.%d.weight", arch.Layers())]; ok {
		return nn.Params{}, fmt.Errorf("the file has more layers than the network %s", arch)
	}
	return p, nil
}

// encode returns the tensors and metadata describing the model (shared by
// model files and checkpoints, which add their own).
func (m *Model) encode() (map[string]safetensors.Tensor, map[string]string, error) {
	tensors := ParamTensors(m.Arch, m.Params)
	if m.Scaler != nil {
		tensors["scaler.mean"] = safetensors.Tensor{Shape: []int{len(m.Scaler.Mean)}, F64: m.Scaler.Mean}
		tensors["scaler.scale"] = safetensors.Tensor{Shape: []int{len(m.Scaler.Scale)}, F64: m.Scaler.Scale}
	}
	meta := map[string]string{}
	for k, v := range m.Info {
		meta[k] = v
	}
	a := archJSON{m.Arch.Inputs, m.Arch.Hidden, m.Arch.Outputs, m.Arch.Activation.String(), m.Arch.ActivationParam, m.Arch.Loss.String(), m.Arch.BatchNorm}
	if a.Hidden == nil {
		a.Hidden = []int{}
	}
	for k, v := range map[string]any{"arch": a, "classes": m.Classes, "features": m.Features} {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, nil, err
		}
		meta[k] = string(b)
	}
	if m.Prep != nil {
		b, err := json.Marshal(m.Prep)
		if err != nil {
			return nil, nil, err
		}
		meta["preprocessing"] = string(b)
	}
	meta["format"] = FormatTag
	meta["task"] = m.Task.String()
	meta["label"] = m.Label
	meta["standardized"] = strconv.FormatBool(m.Scaler != nil)
	return tensors, meta, nil
}

// Save writes the model as a safetensors file, atomically.
func (m *Model) Save(path string) error {
	b, err := m.marshal()
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o644)
}

// marshal returns the bytes of the model file.
func (m *Model) marshal() ([]byte, error) {
	tensors, meta, err := m.encode()
	if err != nil {
		return nil, err
	}
	return safetensors.Encode(safetensors.File{Tensors: tensors, Metadata: meta})
}

// LoadModel reads a model written by Save. Every error is one line naming
// the file.
func LoadModel(path string) (*Model, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	m, err := decodeModel(b)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	return m, nil
}

func decodeModel(b []byte) (*Model, error) {
	f, err := safetensors.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("not a gputrain model: %v", err)
	}
	switch f.Metadata["format"] {
	case FormatTag:
	case CheckpointFormatTag:
		return nil, advice.New(func(name advice.Namer) string {
			return fmt.Sprintf("not a gputrain model but a training checkpoint: continue it with %s (%s is the model)", name(advice.Resume), name(advice.Output))
		})
	default:
		return nil, fmt.Errorf("not a gputrain model: its metadata has no %q format tag", FormatTag)
	}
	m, err := modelFromFile(f)
	if err != nil {
		return nil, fmt.Errorf("damaged model: %v", err)
	}
	return m, nil
}

// modelKeys are the metadata keys modelFromFile interprets.
var modelKeys = []string{"format", "arch", "classes", "features", "task", "label", "standardized", "preprocessing"}

// modelFromFile reads the model parts of a decoded model or checkpoint
// file; Info receives the metadata it does not interpret.
func modelFromFile(f safetensors.File) (*Model, error) {
	meta := f.Metadata
	m := &Model{Label: meta["label"], Info: map[string]string{}}
	var a archJSON
	if err := json.Unmarshal([]byte(meta["arch"]), &a); err != nil {
		return nil, fmt.Errorf("bad arch metadata: %v", err)
	}
	if a.Inputs < 1 || a.Outputs < 1 || a.Inputs > maxWidth || a.Outputs > maxWidth || len(a.Hidden) > maxWidth {
		return nil, fmt.Errorf("arch %+v", a)
	}
	for _, h := range a.Hidden {
		if h < 1 || h > maxWidth {
			return nil, fmt.Errorf("arch %+v", a)
		}
	}
	m.Arch = nn.Arch{Inputs: a.Inputs, Hidden: a.Hidden, Outputs: a.Outputs, ActivationParam: a.ActivationParam, BatchNorm: a.BatchNorm}
	var err error
	if m.Arch.Activation, err = nn.ParseActivation(a.Activation); err != nil {
		return nil, err
	}
	if m.Arch.Loss, err = parseLoss(a.Loss); err != nil {
		return nil, err
	}
	if m.Task, err = data.ParseTask(meta["task"]); err != nil {
		return nil, err
	}
	for k, dst := range map[string]*[]string{"classes": &m.Classes, "features": &m.Features} {
		if err := json.Unmarshal([]byte(meta[k]), dst); err != nil {
			return nil, fmt.Errorf("bad %s metadata: %v", k, err)
		}
	}
	if len(m.Features) != m.Arch.Inputs {
		return nil, fmt.Errorf("%d feature names for %d inputs", len(m.Features), m.Arch.Inputs)
	}
	switch m.Task {
	case data.TaskBinary:
		if len(m.Classes) != 2 || m.Arch.Loss != device.Logistic || m.Arch.Outputs != 1 {
			return nil, fmt.Errorf("binary task with %d classes and %d %v outputs", len(m.Classes), m.Arch.Outputs, m.Arch.Loss)
		}
	case data.TaskMulticlass:
		if len(m.Classes) != m.Arch.Outputs || m.Arch.Loss != device.SoftmaxCE {
			return nil, fmt.Errorf("multiclass task with %d classes and %d %v outputs", len(m.Classes), m.Arch.Outputs, m.Arch.Loss)
		}
	case data.TaskRegression:
		if m.Arch.Loss != device.MSE {
			return nil, fmt.Errorf("regression task with a %v loss", m.Arch.Loss)
		}
	default:
		return nil, fmt.Errorf("task %q", meta["task"])
	}
	if m.Params, err = ParamsFromTensors(m.Arch, f.Tensors); err != nil {
		return nil, err
	}
	if js, ok := meta["preprocessing"]; ok {
		m.Prep = &data.Prep{}
		if err := json.Unmarshal([]byte(js), m.Prep); err != nil {
			return nil, fmt.Errorf("bad preprocessing metadata: %v", err)
		}
		if err := m.Prep.Check(); err != nil {
			return nil, fmt.Errorf("bad preprocessing metadata: %v", err)
		}
		if m.Prep.Width() != m.Arch.Inputs {
			return nil, fmt.Errorf("the preprocessing gives %d inputs, the network takes %d", m.Prep.Width(), m.Arch.Inputs)
		}
	}
	if meta["standardized"] == "true" {
		mean, ok1 := f.Tensors["scaler.mean"]
		scale, ok2 := f.Tensors["scaler.scale"]
		if !ok1 || !ok2 || len(mean.F64) != m.Arch.Inputs || len(scale.F64) != m.Arch.Inputs {
			return nil, fmt.Errorf("scaler tensors missing or of the wrong size")
		}
		m.Scaler = &data.Scaler{Mean: mean.F64, Scale: scale.F64}
	}
	for k, v := range meta {
		if !slices.Contains(modelKeys, k) {
			m.Info[k] = v
		}
	}
	return m, nil
}

// maxWidth bounds layer widths and depth read from files, so that a
// damaged file cannot ask for absurd allocations.
const maxWidth = 1 << 20

// LoadParams reads initial parameters for arch from a safetensors file
// (--init-from): a PyTorch state_dict of Linear and BatchNorm1d layers, F32
// or F64, named as nn.Sequential names them or as ParamTensors writes (see
// renameTorchStateDict).
func LoadParams(path string, arch nn.Arch) (nn.Params, error) {
	b, err := readFile(path)
	if err != nil {
		return nn.Params{}, err
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		return nn.Params{}, &FileError{Path: path, Err: err}
	}
	p, err := paramsFromStateDict(arch, f.Tensors)
	if err != nil {
		return nn.Params{}, &FileError{Path: path, Err: err}
	}
	return p, nil
}

// readFile reads a whole file, with a one-line error naming it once.
func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &FileError{Path: path, Err: fmt.Errorf("cannot read: %w", err)}
	}
	return b, nil
}

// FileError is a problem with a file the user gave (a model, parameters):
// missing, unreadable, not ours, damaged, or of the wrong shape.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// Inputs turns raw columns (those the model was trained on, in order: see
// data.Dataset.SelectByName) into the network's inputs: the saved
// preprocessing, then the scaler. The statistics count categories the
// training rows did not have.
func (m *Model) Inputs(ds *data.Dataset) (*data.Dataset, data.PrepStats, error) {
	var stats data.PrepStats
	if m.Prep != nil {
		var err error
		if ds, stats, err = m.Prep.Transform(ds); err != nil {
			return nil, stats, err
		}
	} else if ds.NeedsPrep() {
		return nil, stats, &data.Error{File: ds.Source, Msg: "has text or missing cells, and the model was trained without preprocessing for them"}
	}
	if ds.Cols() != m.Arch.Inputs {
		return nil, stats, &data.Error{File: ds.Source, Msg: fmt.Sprintf("has %d feature columns, the model takes %d", ds.Cols(), m.Arch.Inputs)}
	}
	if m.Scaler != nil {
		ds = m.Scaler.Transform(ds)
	}
	return ds, stats, nil
}
