package main

import (
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// presetFlags parses args as "gputrain train" does and applies the preset.
func presetFlags(t *testing.T, args ...string) (map[string]string, string, error) {
	t.Helper()
	fs := newFlagSet("train", trainHelp, io.Discard)
	f := &trainFlags{}
	f.register(fs)
	f.registerRun(fs)
	if err := parse(fs, args); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	name, err := f.applyPreset(fs)
	got := map[string]string{}
	for _, flag := range []string{"hidden", "activation", "init", "optimizer", "lr", "loss-reduction", "batch-size", "steps", "epochs", "val-split", "patience", "restore-best"} {
		got[flag] = fs.Lookup(flag).Value.String()
	}
	return got, name, err
}

func TestPresets(t *testing.T) {
	workshop := map[string]string{
		"hidden": "20", "activation": "tanh", "init": "normal", "optimizer": "gd", "lr": "0.0001",
		"loss-reduction": "sum", "batch-size": "0", "steps": "3000", "epochs": "0", "val-split": "0",
		"patience": "0", "restore-best": "true",
	}
	tabular := map[string]string{
		"hidden": "64", "activation": "relu", "init": "he", "optimizer": "adam", "lr": "0.001",
		"loss-reduction": "mean", "batch-size": "32", "steps": "3000", "epochs": "200", "val-split": "0.2",
		"patience": "20", "restore-best": "true",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	for _, c := range []struct {
		args   []string
		preset string
		want   map[string]string
	}{
		{nil, presetWorkshop, workshop},
		{[]string{"--data", "my.csv"}, presetTabular, tabular},
		{[]string{"--data", "my.csv", "--preset", "workshop"}, presetWorkshop, workshop},
		{[]string{"--preset", "tabular"}, presetTabular, tabular},
		// Explicit flags win, and the preset's init follows the activation.
		{[]string{"--data", "my.csv", "--lr", "0.01", "--hidden", "8,8"}, presetTabular, with(tabular, "lr", "0.01", "hidden", "8,8")},
		{[]string{"--data", "my.csv", "--activation", "tanh"}, presetTabular, with(tabular, "activation", "tanh", "init", "glorot")},
		{[]string{"--data", "my.csv", "--activation", "tanh", "--init", "normal"}, presetTabular, with(tabular, "activation", "tanh", "init", "normal")},
		// A length in steps replaces the preset's epochs.
		{[]string{"--data", "my.csv", "--steps", "10"}, presetTabular, with(tabular, "steps", "10", "epochs", "0")},
		// --steps 0 only evaluates, on every row.
		{[]string{"--data", "my.csv", "--steps", "0"}, presetTabular, with(tabular, "steps", "0", "epochs", "0", "val-split", "0", "patience", "0")},
		// Cross-validation has no validation split, so no early stopping.
		{[]string{"--data", "my.csv", "--cv", "5"}, presetTabular, with(tabular, "val-split", "0", "patience", "0")},
		{[]string{"--data", "my.csv", "--val-split", "0"}, presetTabular, with(tabular, "val-split", "0", "patience", "0")},
		{[]string{"--data", "my.csv", "--val-split", "0.1", "--patience", "5"}, presetTabular, with(tabular, "val-split", "0.1", "patience", "5")},
		{[]string{"--data", "my.csv", "--test-split", "0.9"}, presetTabular, with(tabular, "val-split", "0", "patience", "0")},
		// Full-batch gradient descent keeps full batches.
		{[]string{"--data", "my.csv", "--optimizer", "gd"}, presetTabular, with(tabular, "optimizer", "gd", "batch-size", "0")},
	} {
		got, name, err := presetFlags(t, c.args...)
		if err != nil || name != c.preset || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: preset %q, err %v\n got %v\nwant %v", c.args, name, err, got, c.want)
		}
	}
	if _, _, err := presetFlags(t, "--preset", "keras"); err == nil || !strings.Contains(err.Error(), `invalid --preset "keras"`) {
		t.Errorf("unknown preset: err %v", err)
	}
}

// TestPresetCLI: the header names the active preset, with --data the
// tabular settings train, and an explicit --preset workshop gives exactly
// the workshop's run on the same file (the same losses as the flags'
// defaults spelled out).
func TestPresetCLI(t *testing.T) {
	biodeg := filepath.Join("..", "..", "data", "biodeg", "biodeg.csv")
	code, stdout, stderr := gputrain(t, "train", "--data", biodeg, "--epochs", "2", "--progress", "lines")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"preset:    tabular", "training:  adam, lr 0.001, batch 32, 2 epochs, loss mean", "early stopping (patience 20", "validation (211 rows)", "41 → 64 (relu) → 1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("tabular run lacks %q:\n%s", want, stdout)
		}
	}
	run := func(args ...string) string {
		code, stdout, stderr := gputrain(t, append([]string{"train", "--data", biodeg, "--steps", "20", "--progress", "lines", "--print-every", "1"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		_, table, _ := strings.Cut(stdout, "    step")
		table, _, _ = strings.Cut(table, "trained in") // leave out the timing
		return table
	}
	ws := run("--preset", "workshop")
	explicit := run("--preset", "tabular", "--hidden", "20", "--activation", "tanh", "--init", "normal", "--optimizer", "gd",
		"--lr", "1e-4", "--loss-reduction", "sum", "--batch-size", "0", "--val-split", "0")
	if ws == "" || ws != explicit {
		t.Errorf("--preset workshop differs from the workshop's flags spelled out:\n%s\nvs\n%s", ws, explicit)
	}
	if !strings.Contains(ws, "1585.38") {
		t.Errorf("--preset workshop does not start from the workshop's loss 1585.38:\n%s", ws)
	}
}
