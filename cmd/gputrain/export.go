package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/gputrain/gputrain/internal/atomicfile"
	"github.com/gputrain/gputrain/onnx"
)

const exportHelp = `Usage: gputrain export --model MODEL --format onnx --out FILE

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

Examples:
  gputrain export --model biodeg.safetensors --format onnx --out biodeg.onnx
`

func exportCommand(args []string, stdout io.Writer) error {
	fs := newFlagSet("export", exportHelp, stdout)
	var modelPath, format, out string
	fs.StringVar(&modelPath, "model", "", "model file written by gputrain train --out")
	fs.StringVar(&format, "format", "onnx", "output format: onnx")
	fs.StringVar(&out, "out", "", "file to write")
	if err := parse(fs, args); err != nil {
		return err
	}
	if format != "onnx" {
		return usageError{fmt.Errorf("invalid --format %q: want onnx", format)}
	}
	if out == "" {
		return usageError{errors.New("--out is required")}
	}
	m, err := loadModel(modelPath)
	if err != nil {
		return err
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
