package job

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/safetensors"
	"github.com/gputrain/gputrain/nn"
)

// TestSequentialTensorsRoundTrip writes parameters as an nn.Sequential
// state_dict and reads them back with the --init-from reader, written
// independently from PyTorch's naming rules: they must be the same.
func TestSequentialTensorsRoundTrip(t *testing.T) {
	for _, arch := range []nn.Arch{
		{Inputs: 5, Hidden: []int{4, 3}, Outputs: 2, Activation: device.ReLU, Loss: device.SoftmaxCE, BatchNorm: true},
		{Inputs: 3, Hidden: []int{6}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic},
		{Inputs: 4, Outputs: 1, Activation: device.Tanh, Loss: device.MSE},
	} {
		p := nn.InitParams(arch, nn.InitGlorot, 7)
		if arch.BatchNorm {
			for l := range p.RunMean {
				for j := range p.RunMean[l] {
					p.RunMean[l][j], p.RunVar[l][j], p.Gamma[l][j], p.Beta[l][j] = float32(j)/3, 1+float32(j), 2-float32(l), float32(l)
				}
			}
		}
		b, err := safetensors.Encode(safetensors.File{Tensors: SequentialTensors(arch, p)})
		if err != nil {
			t.Fatal(err)
		}
		f, err := safetensors.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := paramsFromStateDict(arch, f.Tensors)
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("%s: read back %+v, wrote %+v", arch, got, p)
		}
	}
	code := SequentialCode(nn.Arch{Inputs: 5, Hidden: []int{4}, Outputs: 2, Activation: device.ReLU, BatchNorm: true})
	want := "torch.nn.Sequential(\n    torch.nn.Linear(5, 4),\n    torch.nn.BatchNorm1d(4),\n    torch.nn.ReLU(),\n    torch.nn.Linear(4, 2),\n)"
	if code != want {
		t.Fatalf("code:\n%s\nwant:\n%s", code, want)
	}
	if strings.Contains(SequentialCode(nn.Arch{Inputs: 2, Outputs: 1}), "Identity") {
		t.Fatal("a network without hidden layers has no activation")
	}
}

// TestSequentialMetadataActivation checks that the export names its
// activation module, with the parameter, as the printed code does: the
// state_dict check rebuilds the module from it.
func TestSequentialMetadataActivation(t *testing.T) {
	for _, a := range device.AllActivations() {
		arch := nn.Arch{Inputs: 3, Hidden: []int{4}, Outputs: 1, Activation: a, ActivationParam: 0.2, Loss: device.MSE}
		got := SequentialMetadata(arch)["activation"]
		if got == "" || !strings.Contains(SequentialCode(arch), "torch.nn."+got+",") {
			t.Errorf("%s: metadata activation %q, code\n%s", a, got, SequentialCode(arch))
		}
	}
	if got := SequentialMetadata(nn.Arch{Activation: device.LeakyReLU, ActivationParam: 0.2, Hidden: []int{2}, Inputs: 1, Outputs: 1})["activation"]; got != "LeakyReLU(negative_slope=0.2)" {
		t.Errorf("leaky-relu: %q", got)
	}
	if _, ok := SequentialMetadata(nn.Arch{Inputs: 2, Outputs: 1})["activation"]; ok {
		t.Error("a network without hidden layers has no activation")
	}
}
