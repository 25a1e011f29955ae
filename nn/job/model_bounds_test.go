package job

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

// TestModelArchAtTheBounds: a model file whose widths are exactly 1 or
// exactly maxWidth is valid and decodes to the same network; only the
// widths beyond those bounds (TestDecodeModelErrors) are refused.
func TestModelArchAtTheBounds(t *testing.T) {
	for _, c := range []struct {
		name            string
		inputs, outputs int
		hidden          []int
	}{
		{"all widths 1", 1, 1, []int{1}},
		{"widest input", maxWidth, 1, nil},
		{"widest output", 1, maxWidth, nil},
		{"widest hidden layer", 1, 1, []int{maxWidth}},
	} {
		arch := nn.Arch{Inputs: c.inputs, Hidden: c.hidden, Outputs: c.outputs, Activation: device.Tanh, Loss: device.MSE}
		features := make([]string, c.inputs)
		for i := range features {
			features[i] = fmt.Sprintf("f%d", i)
		}
		m := &Model{Arch: arch, Params: nn.InitParams(arch, nn.InitGlorot, 1), Task: data.TaskRegression, Features: features, Label: "y"}
		b, err := m.marshal()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := decodeModel(b)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got.Arch.Inputs != c.inputs || got.Arch.Outputs != c.outputs || fmt.Sprint(got.Arch.Hidden) != fmt.Sprint(arch.Sizes()[1:len(arch.Sizes())-1]) {
			t.Errorf("%s: decoded arch %v, want %v", c.name, got.Arch, arch)
		}
	}
}

// TestCheckFiniteNamesTheFirstLayer: with non-finite values in layers 2
// and 10, the error names layer 2, the first in the network's order (a
// sort by the names' text would put layers.10 first).
func TestCheckFiniteNamesTheFirstLayer(t *testing.T) {
	hidden := make([]int, 11)
	for i := range hidden {
		hidden[i] = 2
	}
	arch := nn.Arch{Inputs: 2, Hidden: hidden, Outputs: 1, Activation: device.Tanh, Loss: device.MSE}
	p := nn.InitParams(arch, nn.InitGlorot, 1)
	p.W[10][0] = float32(math.NaN())
	p.B[2][1] = float32(math.Inf(1))
	p.W[3][0] = float32(math.NaN())
	m := &Model{Arch: arch, Params: p}
	err := m.CheckFinite()
	if err == nil || !strings.HasPrefix(err.Error(), `tensor "layers.2.bias" holds +Inf at element 1:`) {
		t.Errorf("CheckFinite: %v, want the error to name layers.2.bias, element 1", err)
	}
}

// TestParamsFromTensorsNamesTheLastLayer: a missing weight's message
// names the layers the network needs, the last being Layers()−1.
func TestParamsFromTensorsNamesTheLastLayer(t *testing.T) {
	arch := nn.Arch{Inputs: 2, Hidden: []int{3, 4}, Outputs: 1, Activation: device.Tanh, Loss: device.MSE}
	tensors := ParamTensors(arch, nn.InitParams(arch, nn.InitGlorot, 1))
	delete(tensors, "layers.1.weight")
	_, err := ParamsFromTensors(arch, tensors)
	if err == nil || !strings.HasSuffix(err.Error(), "needs layers.0 … layers.2)") {
		t.Errorf("ParamsFromTensors: %v, want it to name layers.0 … layers.2", err)
	}
}

// TestModelInputsStandardise: Inputs standardises the rows with the
// model's scaler, (x − mean) / scale worked by hand, and leaves them as
// they are for a model without one.
func TestModelInputsStandardise(t *testing.T) {
	arch := nn.Arch{Inputs: 2, Outputs: 1, Activation: device.Tanh, Loss: device.MSE}
	rows := [][]float64{{1, 10}, {4, -2}}
	for _, c := range []struct {
		name   string
		scaler *data.Scaler
		want   [][]float64
	}{
		{"scaler", &data.Scaler{Mean: []float64{1, 2}, Scale: []float64{3, 4}}, [][]float64{{0, 2}, {1, -1}}},
		{"no scaler", nil, rows},
	} {
		ds, err := data.FromRows(rows, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := &Model{Arch: arch, Scaler: c.scaler}
		got, _, err := m.Inputs(ds)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, want := range c.want {
			if r := got.Row(i); fmt.Sprint(r) != fmt.Sprint(want) {
				t.Errorf("%s: row %d is %v, want %v", c.name, i, r, want)
			}
		}
	}
}
