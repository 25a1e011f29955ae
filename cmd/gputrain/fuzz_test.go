package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// checkUserError checks the contract for bad values: no error, or a usage
// error on one line.
func checkUserError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ue usageError
	if !errors.As(err, &ue) && !isInputError(err) {
		t.Fatalf("%s: error %q (%T) is not a usage error", what, err, err)
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("%s: multi-line error %q", what, err)
	}
}

func FuzzParseHidden(f *testing.F) {
	for _, s := range []string{"", "20", "64,32", " 8 , 4 ", "0", "-1", "20,x", "1,,2", "99999999999999999999", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHidden(s)
		checkUserError(t, "--hidden "+s, err)
		for _, w := range h {
			if w < 1 {
				t.Fatalf("--hidden %q gives width %d", s, w)
			}
		}
	})
}

// FuzzFlagValues sets two training flags to arbitrary values and validates
// them as "gputrain train" does: a usage error on one line, or an
// experiment whose values are in range.
func FuzzFlagValues(f *testing.F) {
	f.Add("lr", "1e-3", "optimizer", "adam")
	f.Add("threshold", "auto", "val-split", "0.2")
	f.Add("threshold", "0.3", "task", "binary")
	f.Add("lr-schedule", "step", "lr-step-size", "10")
	f.Add("lr-schedule", "cosine", "warmup-steps", "-3")
	f.Add("class-weight", "balanced", "activation", "relu")
	f.Add("hidden", "64,32", "dropout", "0.5")
	f.Add("patience", "3", "min-delta", "NaN")
	f.Add("cv", "5", "out", "m.safetensors")
	f.Add("loss-reduction", "mean", "init", "he")
	f.Add("progress", "bar", "log-every", "7")
	f.Add("steps", "0x10", "epochs", "+Inf")
	f.Add("data", "my.csv", "cv", "5")
	f.Add("preset", "tabular", "test-split", "0.9")
	f.Fuzz(func(t *testing.T, name1, value1, name2, value2 string) {
		what := name1 + "=" + value1 + " " + name2 + "=" + value2
		flags := func() (*pflag.FlagSet, *trainFlags, bool) {
			fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
			var tf trainFlags
			tf.register(fs)
			tf.registerRun(fs)
			for _, nv := range [][2]string{{name1, value1}, {name2, value2}} {
				if fs.Lookup(nv[0]) == nil || fs.Set(nv[0], nv[1]) != nil {
					return nil, nil, false // pflag rejects it, as the command line would
				}
			}
			return fs, &tf, true
		}
		fs, tf, ok := flags()
		if !ok {
			return
		}
		_, plainErr := tf.experiment(fs) // the flags alone, without a preset
		fs, tf, _ = flags()
		if _, err := tf.applyPreset(fs); err != nil {
			checkUserError(t, what, err)
			return
		}
		e, err := tf.experiment(fs)
		checkUserError(t, what, err)
		if err != nil && plainErr == nil {
			t.Fatalf("%s: valid flags made invalid by the preset: %v", what, err)
		}
		if err != nil {
			return
		}
		if !(e.Optim.LR > 0) || !(e.Threshold > 0 && e.Threshold < 1) || e.Dropout < 0 || e.Dropout >= 1 || e.Steps < 0 || e.Epochs < 0 {
			t.Fatalf("accepted out-of-range values: %+v", e)
		}
		if err := e.Schedule.Validate(); err != nil {
			t.Fatalf("accepted an invalid schedule: %v", err)
		}
	})
}

// longNumber finds digit runs of three or more: the fuzzer may not ask
// for long runs or wide networks (the run is bounded in time, not in
// memory).
var longNumber = regexp.MustCompile(`[0-9]{3,}`)

// FuzzRun runs whole command lines in a temporary directory, each for at
// most 20 ms (as if Ctrl-C came then; longer only trains longer): whatever the
// arguments, gputrain exits 0, or non-zero with one line on stderr, and
// never panics. The directory holds x.csv, a table with text and missing
// cells. Arguments that name paths outside the directory, long
// numbers and the bench and verify commands (which cannot be interrupted)
// are left out.
func FuzzRun(f *testing.F) {
	for _, s := range []string{
		"--steps 3 --quiet",
		"train --hidden 5,3 --activation relu --optimizer adam --lr 1e-2 --batch-size 16 --epochs 2 --val-split 0.2 --patience 1 --quiet",
		"--steps 4 --val-split 0.3 --test-split 0.2 --threshold auto --plots p --log l --checkpoint-every 2 --checkpoint c --out m",
		"--resume c --steps 6",
		"predict --model m --data x.csv",
		"eval --model m",
		"--lr-schedule step --lr-step-size 2 --steps 5 --class-weight balanced --dropout 0.5 --detect-anomaly",
		"--cv 3 --steps 2 --quiet",
		"--lr 1e9 --steps 9",
		"devices",
		"help",
		"train --progress bar --steps 2 --print-every 1",
		"--steps=2 --hidden= --task regression",
		"inspect --data x.csv --ignore 1-2 --categorical a",
		"--data x.csv --features 1,b --impute median --missing-indicator --max-categories 2 --na-values ?,- --strict",
		"predict --model m --data x.csv --id-col 1",
		"eval --model m --json",
		"sweep --lr 1e-4,1e-3 --dropout 0:0.5 --trials 3 --steps 3 --val-split 0.2 --log l --plots p --out m",
		"sweep merge l",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		if strings.ContainsAny(line, `/\`) || strings.Contains(line, "..") || longNumber.MatchString(line) ||
			(len(args) > 0 && (args[0] == "bench" || args[0] == "verify")) {
			return
		}
		t.Chdir(t.TempDir())
		// A small table with text columns, gaps and a missing label, so that
		// command lines naming x.csv reach the column handling.
		if err := os.WriteFile("x.csv", []byte("id,island,bill,b,y\np1,Dream,NA,1,a\np2,Biscoe,3.5,2,b\np3,,4,3,NA\np4,Dream,5,4,b\np5,Torgersen,?,5,a\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		var out, errb bytes.Buffer
		code := runContext(ctx, args, &out, &errb)
		stderr := errb.String()
		switch code {
		case exitOK:
		case exitFailure, exitBadInput, exitInterrupted:
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "gputrain: ") {
				t.Fatalf("%q: exit %d with stderr %q", line, code, stderr)
			}
		default:
			t.Fatalf("%q: exit %d", line, code)
		}
		if strings.Contains(stderr, "internal error") || strings.Contains(stderr, "goroutine") {
			t.Fatalf("%q: %s", line, stderr)
		}
	})
}
