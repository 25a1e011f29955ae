package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/gputrain/gputrain/internal/atomicfile"
	"github.com/gputrain/gputrain/internal/safetensors"
	"github.com/gputrain/gputrain/nn/job"
	"github.com/gputrain/gputrain/onnx"
)

const exportHelp = `Usage: gputrain export --model MODEL [--format onnx|safetensors-torch] --out FILE

Writes a saved model in another format.

  onnx   one ONNX graph (opset 17) with the whole pipeline: the fitted
         preprocessing (imputation, missing indicators, one-hot encoding,
         standardisation), every layer, and the outputs "probabilities" and
         "label" (classification) or "predicted" (regression). Its input
         "input" is a double tensor [N, numeric columns], NaN for a missing
         cell; a model with categorical columns also takes "categorical", a
         string tensor [N, categorical columns] of category names ("" or NA
         for a missing cell). The column orders, the class names and the
         decision threshold are in the model's metadata.

  safetensors-torch
         the network's parameters as the state_dict of a PyTorch
         nn.Sequential (printed), for load_state_dict as it is. The
         preprocessing is not in it: feed it the standardised inputs.

Examples:
  gputrain export --model biodeg.safetensors --format onnx --out biodeg.onnx
  gputrain export --model biodeg.safetensors --format safetensors-torch --out biodeg-torch.safetensors
`

func exportCommand(args []string, stdout io.Writer) error {
	fs := newFlagSet("export", exportHelp, stdout)
	var modelPath, format, out string
	fs.StringVar(&modelPath, "model", "", "model file written by gputrain train --out")
	fs.StringVar(&format, "format", "onnx", "output format: onnx or safetensors-torch")
	fs.StringVar(&out, "out", "", "file to write")
	if err := parse(fs, args); err != nil {
		return err
	}
	if format != "onnx" && format != "safetensors-torch" {
		return usageError{fmt.Errorf("invalid --format %q: want onnx or safetensors-torch", format)}
	}
	if out == "" {
		return usageError{errors.New("--out is required")}
	}
	m, err := loadModel(modelPath)
	if err != nil {
		return err
	}
	if format == "safetensors-torch" {
		return exportTorch(m, out, stdout)
	}
	b, err := onnx.Export(m)
	if err != nil {
		return usageError{fmt.Errorf("%s: %v", modelPath, err)}
	}
	if err := atomicfile.Write(out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (ONNX opset %d, %d bytes)\n", out, onnx.Opset, len(b))
	return nil
}

// exportTorch writes the parameters as an nn.Sequential state_dict and
// prints the module and how to load it.
func exportTorch(m *job.Model, out string, stdout io.Writer) error {
	b, err := safetensors.Encode(safetensors.File{Tensors: job.SequentialTensors(m.Arch, m.Params), Metadata: job.SequentialMetadata(m.Arch)})
	if err != nil {
		return err
	}
	if err := atomicfile.Write(out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: the state_dict of\n\nimport torch\nfrom safetensors.torch import load_file\nmodel = %s\nmodel.load_state_dict(load_file(%q))\nmodel.eval()  # batch norm in inference form\n", out, job.SequentialCode(m.Arch), out)
	if m.Scaler != nil {
		fmt.Fprintln(stdout, "\nIts inputs are standardised: (x - mean) / scale with the model file's scaler.mean and scaler.scale tensors.")
	}
	return nil
}
