// Command gputrain trains and applies neural networks from the shell, on the
// pure-Go CPU backend or, in a build with -tags cuda, on an NVIDIA GPU.
//
//	gputrain                      train the shipped biodeg example (same as "gputrain train")
//	gputrain train [flags]        train a network
//	gputrain predict [flags]      apply a saved model to new data
//	gputrain eval [flags]         score a saved model on labelled data
//	gputrain export [flags]       write a saved model as ONNX
//	gputrain inspect [flags]      describe a table's columns and label before training
//	gputrain devices              list the compute devices of this build
//	gputrain verify [flags]       check every device against a float64 reference
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	_ "github.com/gputrain/gputrain/cpu"
	_ "github.com/gputrain/gputrain/cuda"
	"github.com/gputrain/gputrain/internal/advice"
	"github.com/spf13/pflag"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1   // training or device failure, verify out of tolerance
	exitBadInput    = 2   // bad flags, unreadable or invalid files
	exitInterrupted = 130 // stopped by Ctrl-C, SIGTERM or SIGHUP, and a checkpoint was saved (one that could not be: exitFailure)
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `gputrain trains neural networks from the shell.

Usage:
  gputrain [train] [flags]     train a network (default: the shipped biodeg example)
  gputrain predict [flags]     write predictions of a saved model for new data
  gputrain eval [flags]        score a saved model on labelled data
  gputrain export [flags]      write a saved model as ONNX, preprocessing included
  gputrain inspect [flags]     describe a table's columns and label before training
  gputrain devices             list the compute devices this build can use
  gputrain verify [flags]      train on every device and compare with a float64 reference
  gputrain bench [flags]       time training steps and kernels on each device

Run "gputrain <command> --help" for a command's flags.

Examples:
  gputrain                                   # the workshop network on the embedded biodeg data
  gputrain --device cuda                     # the same on a GPU (build with "make cuda")
  gputrain train --test-split 0.2 --out biodeg.safetensors
  gputrain train --data iris.csv --label species --hidden 16,16 --activation relu \
                 --optimizer adam --lr 0.01 --loss-reduction mean --epochs 200 --batch-size 16
  gputrain predict --model biodeg.safetensors --data new.csv --out predictions.csv
  gputrain train --resume gputrain.ckpt      # continue a run stopped with Ctrl-C
`

// run executes one gputrain command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext is run with a context whose end interrupts training as Ctrl-C
// does.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "gputrain: internal error: %v (please report it)\n", r)
			code = exitFailure
		}
	}()
	cmd, rest := "train", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	var err error
	switch cmd {
	case "train":
		err = trainCommand(ctx, rest, stdout, stderr)
	case "predict":
		err = predictCommand(rest, stdout, stderr)
	case "eval":
		err = evalCommand(rest, stdout, stderr)
	case "export":
		err = exportCommand(rest, stdout)
	case "devices":
		err = devicesCommand(rest, stdout)
	case "bench":
		err = benchCommand(rest, stdout, stderr)
	case "verify":
		err = verifyCommand(rest, stdout)
	case "inspect":
		err = inspectCommand(rest, stdout)
	default:
		err = usageError{fmt.Errorf("unknown command %q: want train, predict, eval, export, inspect, devices, bench or verify (see gputrain --help)", cmd)}
	}
	if err == nil {
		return exitOK
	}
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "gputrain: %s\n", errText(err))
	var ue usageError
	if errors.As(err, &ue) || isInputError(err) {
		return exitBadInput
	}
	var ie interruptedError
	if errors.As(err, &ie) {
		return exitInterrupted
	}
	return exitFailure
}

// usageError marks errors in what the user asked for (flags, files).
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// flags names the settings that library messages advise changing as the
// CLI's messages put them, by the flags that set them (the libraries name
// them in words).
var flags = map[advice.Setting]string{
	advice.Activation:   "--activation",
	advice.AnomalyCheck: "--detect-anomaly",
	advice.BatchNorm:    "--batch-norm",
	advice.BatchSize:    "--batch-size",
	advice.Categorical:  "--categorical",
	advice.Features:     "--features",
	advice.Header:       "--header",
	advice.Hidden:       "--hidden",
	advice.IDColumn:     "--id-col",
	advice.Ignore:       "--ignore",
	advice.Init:         "--init",
	advice.InitFrom:     "--init-from",
	advice.Label:        "--label",
	advice.LearningRate: "--lr",
	advice.LRGamma:      "--lr-gamma",
	advice.LRMin:        "--lr-min",
	advice.LRSchedule:   "--lr-schedule",
	advice.LRStepSize:   "--lr-step-size",
	advice.Optimizer:    "--optimizer",
	advice.Output:       "its --out",
	advice.Reduction:    "--loss-reduction",
	advice.Restarts:     "--restarts",
	advice.Resume:       `"gputrain train --resume FILE"`,
	advice.Standardize:  "standardise the features (--standardize)",
	advice.Strict:       "--strict",
	advice.WarmupSteps:  "--warmup-steps",
}

// flagName names a setting in a message by its flag.
func flagName(s advice.Setting) string {
	if f, ok := flags[s]; ok {
		return f
	}
	return advice.Words(s)
}

// errText is an error's message for the user: on one line, with the
// settings it advises on named by their flags.
func errText(err error) string { return oneLine(advice.Rewrite(err, flagName)) }

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
