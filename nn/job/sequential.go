package job

import (
	"fmt"
	"strings"

	"github.com/gputrain/gputrain/internal/safetensors"
	"github.com/gputrain/gputrain/nn"
)

// SequentialCode is the PyTorch module computing arch's network (logits):
// for each hidden layer Linear, BatchNorm1d (with batch normalisation) and
// the activation, then the output Linear.
func SequentialCode(arch nn.Arch) string {
	sizes := arch.Sizes()
	var mods []string
	for l := 0; l < arch.Layers(); l++ {
		mods = append(mods, fmt.Sprintf("torch.nn.Linear(%d, %d)", sizes[l], sizes[l+1]))
		if l == arch.Layers()-1 {
			break
		}
		if arch.BatchNorm {
			mods = append(mods, fmt.Sprintf("torch.nn.BatchNorm1d(%d)", sizes[l+1]))
		}
		mods = append(mods, "torch.nn."+torchActivation(arch))
	}
	return "torch.nn.Sequential(\n    " + strings.Join(mods, ",\n    ") + ",\n)"
}

// SequentialTensors names the parameters as the state_dict of the module
// SequentialCode describes ("0.weight", "0.bias", "1.running_mean", …), so
// that load_state_dict takes them as they are. BatchNorm1d's
// num_batches_tracked is written as 0: with its fixed momentum PyTorch
// does not use it, but a strict load wants it.
func SequentialTensors(arch nn.Arch, p nn.Params) map[string]safetensors.Tensor {
	named := ParamTensors(arch, p)
	out := map[string]safetensors.Tensor{}
	per := 2 // modules per hidden layer: Linear, activation
	if arch.BatchNorm {
		per = 3
	}
	for l := 0; l < arch.Layers(); l++ {
		at := l * per
		for _, f := range []string{"weight", "bias"} {
			out[fmt.Sprintf("%d.%s", at, f)] = named[fmt.Sprintf("layers.%d.%s", l, f)]
		}
		if l < arch.Layers()-1 && arch.BatchNorm {
			for i, f := range []string{"weight", "bias", "running_mean", "running_var"} {
				out[fmt.Sprintf("%d.%s", at+1, f)] = named[bnNames(l)[i]]
			}
			out[fmt.Sprintf("%d.num_batches_tracked", at+1)] = safetensors.Tensor{Shape: []int{}, I64: []int64{0}}
		}
	}
	return out
}

// SequentialMetadata is the safetensors metadata of the SequentialTensors
// file: PyTorch's "format" and, for a network with hidden layers, the
// activation module as SequentialCode spells it ("activation", e.g.
// "LeakyReLU(negative_slope=0.2)"), so that a reader rebuilding the module
// takes it from the file rather than from a map of its own.
func SequentialMetadata(arch nn.Arch) map[string]string {
	meta := map[string]string{"format": "pt"}
	if arch.Layers() > 1 {
		meta["activation"] = torchActivation(arch)
	}
	return meta
}

// torchActivation is the PyTorch module of arch's activation, with its
// parameter when it has one.
func torchActivation(arch nn.Arch) string {
	s := arch.Activation.Spec()
	if s.Param == "" {
		return s.Torch
	}
	return fmt.Sprintf(s.Torch, arch.ActivationParam)
}
