package job

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/internal/safetensors"
	"github.com/gputrain/gputrain/nn"
)

// stateDict builds tensors named as given: a name ending in "weight" of a
// Linear gets a 2-D shape, a num_batches_tracked an int64 scalar, every
// other tensor a 1-D shape.
func stateDict(linear []string, other ...string) map[string]safetensors.Tensor {
	out := map[string]safetensors.Tensor{}
	for _, n := range linear {
		out[n] = safetensors.Tensor{Shape: []int{1, 1}, F32: []float32{1}}
	}
	for _, n := range other {
		if strings.HasSuffix(n, "num_batches_tracked") {
			out[n] = safetensors.Tensor{Shape: []int{}, I64: []int64{3}}
			continue
		}
		out[n] = safetensors.Tensor{Shape: []int{1}, F32: []float32{1}}
	}
	return out
}

func bnOf(prefix string) []string {
	return []string{prefix + "weight", prefix + "bias", prefix + "running_mean", prefix + "running_var"}
}

func TestRenameTorchStateDict(t *testing.T) {
	for _, c := range []struct {
		name string
		in   map[string]safetensors.Tensor
		want map[string]string // new name → name in the file
	}{
		{"bare nn.Sequential", stateDict([]string{"0.weight", "2.weight"}, "0.bias", "2.bias"),
			map[string]string{"layers.0.weight": "0.weight", "layers.0.bias": "0.bias", "layers.1.weight": "2.weight", "layers.1.bias": "2.bias"}},
		// Numbered by value, not as text: 10 comes after 2.
		{"numeric order", stateDict([]string{"0.weight", "10.weight", "2.weight"}),
			map[string]string{"layers.0.weight": "0.weight", "layers.1.weight": "2.weight", "layers.2.weight": "10.weight"}},
		{"module holding a Sequential", stateDict([]string{"model.net.0.weight", "model.net.2.weight"}),
			map[string]string{"layers.0.weight": "model.net.0.weight", "layers.1.weight": "model.net.2.weight"}},
		{"Sequential with BatchNorm1d", stateDict([]string{"0.weight", "4.weight", "8.weight"},
			append(append(bnOf("1."), bnOf("5.")...), "1.num_batches_tracked", "5.num_batches_tracked")...),
			map[string]string{"layers.0.weight": "0.weight", "layers.1.weight": "4.weight", "layers.2.weight": "8.weight",
				"bn.0.weight": "1.weight", "bn.0.bias": "1.bias", "bn.0.running_mean": "1.running_mean", "bn.0.running_var": "1.running_var",
				"bn.1.weight": "5.weight", "bn.1.bias": "5.bias", "bn.1.running_mean": "5.running_mean", "bn.1.running_var": "5.running_var"}},
		{"gputrain's own names", stateDict([]string{"layers.0.weight", "layers.1.weight"}, append(bnOf("bn.0."), "layers.0.bias", "layers.1.bias", "scaler.mean", "scaler.scale")...),
			map[string]string{"layers.0.weight": "layers.0.weight", "layers.1.weight": "layers.1.weight", "layers.0.bias": "layers.0.bias", "layers.1.bias": "layers.1.bias",
				"bn.0.weight": "bn.0.weight", "bn.0.bias": "bn.0.bias", "bn.0.running_mean": "bn.0.running_mean", "bn.0.running_var": "bn.0.running_var"}},
		// No Linear layer at all: renamed as it is (reading parameters from it
		// fails later on the missing weights); no first Linear to compare with.
		{"batch normalisation alone", stateDict(nil, bnOf("bn.0.")...),
			map[string]string{"bn.0.weight": "bn.0.weight", "bn.0.bias": "bn.0.bias", "bn.0.running_mean": "bn.0.running_mean", "bn.0.running_var": "bn.0.running_var"}},
	} {
		out, from, err := renameTorchStateDict(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(from, c.want) {
			t.Errorf("%s: renamed %v\nwant %v", c.name, from, c.want)
		}
		for canon, orig := range from {
			if !reflect.DeepEqual(out[canon], c.in[orig]) {
				t.Errorf("%s: %s is not the file's %s", c.name, canon, orig)
			}
		}
		if len(out) != len(c.want) {
			t.Errorf("%s: %d tensors, want %d", c.name, len(out), len(c.want))
		}
	}

	for _, c := range []struct {
		name string
		in   map[string]safetensors.Tensor
		want string
	}{
		{"unnumbered", stateDict([]string{"fc.weight"}), `tensor "fc.weight" is not a parameter of a numbered Linear or BatchNorm1d layer`},
		{"unknown field", stateDict([]string{"0.weight"}, "0.weight_g"), `tensor "0.weight_g" is not a parameter`},
		{"LayerNorm", stateDict([]string{"0.weight"}, "1.weight", "1.bias"), `tensor "1.weight" has shape [1]: a layer with a 1-D weight and no running statistics (LayerNorm?) is not supported`},
		{"two containers", stateDict([]string{"enc.0.weight", "dec.0.weight"}), `Linear layers under two names`},
		{"BatchNorm first", stateDict([]string{"1.weight"}, bnOf("0.")...), `BatchNorm1d "0" comes before the first Linear layer`},
		{"two BatchNorms", stateDict([]string{"0.weight"}, append(bnOf("1."), bnOf("2.")...)...), `two BatchNorm1d layers, 1 and 2, follow Linear layer 0`},
		{"bias alone", stateDict(nil, "0.bias"), `tensor "0.bias" has no weight beside it`},
	} {
		_, _, err := renameTorchStateDict(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}

// TestParamsFromStateDict: a PyTorch Sequential's weights ([out, in]) load
// transposed into gputrain's [in, out] layout, and a shape error names the
// tensor as the file does, even where the file's name is another tensor's
// gputrain name.
func TestParamsFromStateDict(t *testing.T) {
	arch := nn.Arch{Inputs: 2, Hidden: []int{3, 1}, Outputs: 1}
	tensors := map[string]safetensors.Tensor{
		"layers.0.weight": {Shape: []int{3, 2}, F32: []float32{1, 2, 3, 4, 5, 6}},
		"layers.0.bias":   {Shape: []int{3}, F32: []float32{7, 8, 9}},
		"layers.2.weight": {Shape: []int{1, 3}, F64: []float64{10, 11, 12}},
		"layers.2.bias":   {Shape: []int{1}, F32: []float32{13}},
		"layers.4.weight": {Shape: []int{1, 1}, F32: []float32{14}},
		"layers.4.bias":   {Shape: []int{1}, F32: []float32{15}},
	}
	p, err := paramsFromStateDict(arch, tensors)
	if err != nil {
		t.Fatal(err)
	}
	wantW := [][]float32{{1, 3, 5, 2, 4, 6}, {10, 11, 12}, {14}}
	wantB := [][]float32{{7, 8, 9}, {13}, {15}}
	if !reflect.DeepEqual(p.W, wantW) || !reflect.DeepEqual(p.B, wantB) {
		t.Errorf("W %v B %v, want %v %v", p.W, p.B, wantW, wantB)
	}
	arch.Hidden = []int{3, 2}
	_, err = paramsFromStateDict(arch, tensors)
	if err == nil || !strings.Contains(err.Error(), `tensor "layers.2.weight" has shape [1 3], want [2 3]`) {
		t.Errorf("wrong width: err %v", err)
	}
	bn := map[string]safetensors.Tensor{"0.weight": {Shape: []int{3, 2}, F32: make([]float32, 6)}}
	for _, n := range bnOf("1.") {
		bn[n] = safetensors.Tensor{Shape: []int{3}, F32: make([]float32, 3)}
	}
	if _, err := paramsFromStateDict(nn.Arch{Inputs: 2, Outputs: 3}, bn); err == nil || !strings.Contains(err.Error(), "add batch normalisation") {
		t.Errorf("batch norm for a network without: err %v", err)
	}
}

// FuzzStateDict feeds arbitrary safetensors files to --init-from's reader
// for a small network: a one-line error, or parameters of the network's
// shapes.
func FuzzStateDict(f *testing.F) {
	seq := stateDict([]string{"0.weight", "3.weight"}, append(bnOf("1."), "0.bias", "3.bias", "1.num_batches_tracked")...)
	seq["0.weight"] = safetensors.Tensor{Shape: []int{1, 2}, F32: []float32{1, 2}}
	for _, tensors := range []map[string]safetensors.Tensor{seq, stateDict([]string{"layers.0.weight"}, "layers.0.bias", "scaler.mean")} {
		b, err := safetensors.Encode(safetensors.File{Tensors: tensors})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	archs := []nn.Arch{{Inputs: 2, Hidden: []int{1}, Outputs: 1, BatchNorm: true}, {Inputs: 1, Outputs: 1}}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := safetensors.Decode(b)
		if err != nil {
			return
		}
		for _, arch := range archs {
			p, err := paramsFromStateDict(arch, file.Tensors)
			checkOneLine(t, err)
			if err != nil {
				continue
			}
			if p.Count() != arch.ParamCount() {
				t.Fatalf("%s: %d parameters loaded, want %d", arch, p.Count(), arch.ParamCount())
			}
		}
	})
}
