package bench

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"

	"github.com/gputrain/gputrain/internal/atomicfile"
	"github.com/gputrain/gputrain/nn/job"
)

// ExportFormat identifies the export's JSON header.
const ExportFormat = "gputrain-bench-1"

// Tensor locates one array in an export's .bin file.
type Tensor struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"` // "float32" or "int32", little-endian
	Shape  []int  `json:"shape"`
	Offset int64  `json:"offset"` // bytes from the start of the .bin file
}

// Header is the JSON description written next to an export's raw data.
// Parameters are in PyTorch's layout, as job.ParamTensors names them:
// "layers.L.weight" is fan_out × fan_in, "layers.L.bias" fan_out.
type Header struct {
	Format     string      `json:"format"`
	Workload   string      `json:"workload"`
	Title      string      `json:"title"`
	Rows       int         `json:"rows"`
	Inputs     int         `json:"inputs"`
	Hidden     []int       `json:"hidden"`
	Outputs    int         `json:"outputs"`
	Activation string      `json:"activation"`
	Loss       string      `json:"loss"`
	Reduction  string      `json:"reduction"`
	Optimizer  ExportOptim `json:"optimizer"`
	Batch      int         `json:"batch"` // rows per update (Rows for full batch)
	Steps      int         `json:"steps"` // updates the batch order covers
	FullBatch  bool        `json:"full_batch"`
	Flops      float64     `json:"flops_per_step"`
	MinBytes   float64     `json:"min_bytes_per_step"`
	Tensors    []Tensor    `json:"tensors"`
	Notes      []string    `json:"notes"`
}

// ExportOptim is the optimizer in an export header.
type ExportOptim struct {
	Kind        string  `json:"kind"`
	LR          float64 `json:"lr"`
	Momentum    float64 `json:"momentum"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
}

// BatchOrder returns the row order in which gputrain's trainer visits the
// problem's rows during steps minibatch updates: the workload's
// nn.BatchPlan's per-epoch permutations for its seed, concatenated. Update
// j uses, in epoch e = j / perEpoch, rows order[e·Rows + i·Batch : e·Rows + min((i+1)·Batch, Rows)]
// with i = j mod perEpoch. It returns nil for full-batch workloads.
func (p *Problem) BatchOrder(steps int) []int32 { return p.Plan().Order(p.Seed, steps) }

// Export writes the problem for other implementations to train on: dir/NAME.bin
// holds the features, targets, batch order (for steps updates) and initial
// parameters as raw little-endian arrays, and dir/NAME.json the Header
// describing them. Both files are written atomically.
func (p *Problem) Export(dir string, steps int) (*Header, error) {
	order := p.BatchOrder(steps)
	h := &Header{
		Format: ExportFormat, Workload: p.Name, Title: p.Title, Rows: p.Rows,
		Inputs: p.Arch.Inputs, Hidden: append([]int{}, p.Arch.Hidden...), Outputs: p.Arch.Outputs,
		Activation: p.Arch.Activation.String(), Loss: p.Arch.Loss.String(), Reduction: string(p.Reduction),
		Optimizer: ExportOptim{
			Kind: string(p.Optim.Kind), LR: p.Optim.LR, Momentum: p.Optim.Momentum,
			Beta1: p.Optim.Beta1, Beta2: p.Optim.Beta2, Eps: p.Optim.Eps, WeightDecay: p.Optim.WeightDecay,
		},
		Batch: p.BatchRows(), Steps: steps, FullBatch: order == nil,
		Flops:    FlopsPerStep(p.Arch, p.BatchRows()),
		MinBytes: MinBytesPerStep(p.Arch, p.BatchRows(), p.Optim.Kind),
		Notes: []string{
			"x: rows × inputs features; y: targets (0/1 for logistic, the class index for softmax-ce)",
			"order: gputrain's row order for the first `steps` minibatch updates (absent for full batch); see bench.Problem.BatchOrder",
			"layers.L.weight is fan_out × fan_in (PyTorch nn.Linear layout); a layer computes x·Wᵀ + b",
			"loss of a minibatch update is measured before the update; for full batch the final loss is measured after the last update",
		},
	}
	type array struct {
		t   Tensor
		f32 []float32
		i32 []int32
	}
	arrays := []array{
		{t: Tensor{Name: "x", DType: "float32", Shape: []int{p.Rows, p.Arch.Inputs}}, f32: p.X},
		{t: Tensor{Name: "y", DType: "float32", Shape: []int{p.Rows}}, f32: p.Y},
	}
	if order != nil {
		arrays = append(arrays, array{t: Tensor{Name: "order", DType: "int32", Shape: []int{len(order)}}, i32: order})
	}
	tensors := job.ParamTensors(p.Arch, p.Init)
	for l := 0; l < p.Arch.Layers(); l++ {
		for _, kind := range []string{"weight", "bias"} {
			name := fmt.Sprintf("layers.%d.%s", l, kind)
			arrays = append(arrays, array{t: Tensor{Name: name, DType: "float32", Shape: tensors[name].Shape}, f32: tensors[name].F32})
		}
	}
	var size int64
	for i := range arrays {
		arrays[i].t.Offset = size
		size += 4 * int64(len(arrays[i].f32)+len(arrays[i].i32))
	}
	raw := make([]byte, size)
	for _, a := range arrays {
		b := raw[a.t.Offset:]
		for i, v := range a.f32 {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		for i, v := range a.i32 {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
		}
		h.Tensors = append(h.Tensors, a.t)
	}
	js, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, p.Name+".bin"), raw, 0o644); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, p.Name+".json"), append(js, '\n'), 0o644); err != nil {
		return nil, err
	}
	return h, nil
}
