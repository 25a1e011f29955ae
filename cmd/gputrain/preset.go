package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gputrain/gputrain/nn/job"
	"github.com/spf13/pflag"
)

// Presets (--preset) are the starting values of the training flags; a flag
// given on the command line always wins over its preset value.
const (
	presetAuto     = "auto"     // workshop for the shipped example, tabular with --data
	presetWorkshop = "workshop" // the flags' own defaults: the workshop's experiment
	presetTabular  = "tabular"  // what a practitioner starts from on a table of their own
)

// Tabular preset values. The workshop's settings (N(0,1) initialisation,
// summed loss, full-batch gradient descent at 1e-4) suit its one data set
// and train slowly or diverge on most others; these are the usual starting
// point of Keras and PyTorch users on small and medium tables: a ReLU layer
// with He initialisation (Glorot for the saturating activations), Adam at
// 1e-3 on the mean loss in minibatches of 32, and up to 200 epochs that
// early stopping on a 20% validation split usually cuts short.
const (
	tabularHidden     = "64"
	tabularActivation = "relu"
	tabularOptimizer  = "adam"
	tabularLR         = "1e-3"
	tabularReduction  = "mean"
	tabularBatch      = "32"
	tabularEpochs     = "200"
	tabularValSplit   = 0.2
	tabularPatience   = "20"
)

// resolvePreset returns the preset --preset names, auto resolved: tabular
// when the user gives their own data, else workshop.
func (f *trainFlags) resolvePreset() (string, error) {
	switch f.preset {
	case presetWorkshop, presetTabular:
		return f.preset, nil
	case presetAuto, "":
		if f.data != "" {
			return presetTabular, nil
		}
		return presetWorkshop, nil
	}
	return "", usageError{fmt.Errorf("invalid --preset %q: want auto, workshop or tabular", f.preset)}
}

// applyPreset sets the preset's value of every training flag the command
// line leaves unset, and returns the preset's name. Values are set through
// fs, so that the run's recorded flags (log manifest, model metadata,
// checkpoint) hold the values actually used. Where a preset value would
// contradict a flag the user gave (epochs against --steps, a validation
// split against --cv or against --steps 0, which only evaluates,
// minibatches against full-batch gd), the user's intent wins and the
// preset value is left out.
func (f *trainFlags) applyPreset(fs *pflag.FlagSet) (string, error) {
	name, err := f.resolvePreset()
	if err != nil || name != presetTabular {
		return name, err
	}
	var setErr error
	set := func(flag, value string) {
		if !fs.Changed(flag) && setErr == nil {
			setErr = fs.Set(flag, value)
		}
	}
	set("hidden", tabularHidden)
	set("activation", tabularActivation)
	init := "glorot"
	if f.activation == "relu" {
		init = "he"
	}
	set("init", init)
	set("optimizer", tabularOptimizer)
	set("lr", tabularLR)
	set("loss-reduction", tabularReduction)
	if f.optimizer != "gd" {
		set("batch-size", tabularBatch)
	}
	if !fs.Changed("steps") {
		set("epochs", tabularEpochs)
	}
	evalOnly := fs.Changed("steps") && f.steps == 0 // no training: every row is evaluated
	if f.cv == 0 && !evalOnly && f.testSplit+tabularValSplit < 1 {
		set("val-split", strconv.FormatFloat(tabularValSplit, 'g', -1, 64))
	}
	if f.valSplit > 0 && f.cv == 0 {
		set("patience", tabularPatience)
	}
	return name, setErr
}

// layersFromInitFile takes the network's hidden widths and batch
// normalisation from the --init-from file where the command line leaves
// them unset, as loading a PyTorch state_dict into its model would.
func (f *trainFlags) layersFromInitFile(fs *pflag.FlagSet) error {
	if f.initFrom == "" || fs.Changed("hidden") && fs.Changed("batch-norm") {
		return nil
	}
	hidden, batchNorm, err := job.StateDictLayers(f.initFrom)
	if err != nil {
		return err
	}
	widths := make([]string, len(hidden))
	for i, h := range hidden {
		widths[i] = strconv.Itoa(h)
	}
	if !fs.Changed("hidden") {
		if err := fs.Set("hidden", strings.Join(widths, ",")); err != nil {
			return err
		}
	}
	if !fs.Changed("batch-norm") {
		return fs.Set("batch-norm", strconv.FormatBool(batchNorm))
	}
	return nil
}
