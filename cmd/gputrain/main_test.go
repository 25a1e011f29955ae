package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// gputrain runs the command line in-process and returns its exit code,
// standard output and standard error.
func gputrain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadInputIsOneLineExit2 covers every kind of bad input a user can
// give: each gives one line on stderr, naming the place, and exit code 2.
func TestBadInputIsOneLineExit2(t *testing.T) {
	dir := t.TempDir()
	good := "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n"
	files := map[string]string{
		"empty":    write(t, dir, "empty.csv", ""),
		"ragged":   write(t, dir, "ragged.csv", "a,b,label\n1,2,x\n3,4\n5,6,y\n"),
		"text":     write(t, dir, "text.csv", "a,b,label\n1,2,x\n3,abc,y\n5,6,x\n"),
		"nolabel":  write(t, dir, "nolabel.csv", "a,b,label\n1,2,x\n3,4,NA\n5,6,y\n"),
		"onlya":    write(t, dir, "onlya.csv", "a,label\n1,x\n"),
		"idonly":   write(t, dir, "idonly.csv", "id,k,label\np1,1,x\np2,1,y\np3,1,x\np4,1,y\np5,1,x\np6,1,y\np7,1,x\np8,1,y\np9,1,x\np10,1,y\n"),
		"inf":      write(t, dir, "inf.csv", "a,b,label\n1,2,x\n3,4,y\n5,-Inf,x\n"),
		"oneclass": write(t, dir, "oneclass.csv", "a,b,label\n1,2,x\n3,4,x\n5,6,x\n"),
		"x":        write(t, dir, "x.csv", "a,b\n1,2\n3,4\n5,6\n"),
		"y":        write(t, dir, "y.csv", "label\n0\n1\n"),
		"good":     write(t, dir, "good.csv", good),
		"notmodel": write(t, dir, "notmodel.safetensors", "this is a text file, not a model"),
	}
	// A real model, then a truncated copy of it.
	model := filepath.Join(dir, "m.safetensors")
	if code, _, stderr := gputrain(t, "train", "--data", files["good"], "--preset", "workshop", "--steps", "2", "--quiet", "--out", model); code != 0 {
		t.Fatalf("training the good file failed: %s", stderr)
	}
	b, _ := os.ReadFile(model)
	truncated := write(t, dir, "truncated.safetensors", string(b[:len(b)-7]))

	cases := []struct {
		name string
		args []string
		want string // a regexp the message must match
	}{
		{"missing file", []string{"--data", filepath.Join(dir, "nope.csv")}, `nope\.csv: cannot open: no such file`},
		{"empty file", []string{"--data", files["empty"]}, `empty\.csv: .*empty`},
		{"ragged row", []string{"--data", files["ragged"]}, `ragged\.csv:3: row has 2 fields, want 3`},
		{"text in a numeric column", []string{"predict", "--model", model, "--data", files["text"]}, `text\.csv:3:2: cell "abc" in column "b" is not a number \(the column is numeric in the training rows\)`},
		{"missing label with --strict", []string{"--data", files["nolabel"], "--strict"}, `nolabel\.csv:3:3: label "NA" is missing`},
		{"model column missing", []string{"predict", "--model", model, "--data", files["onlya"]}, `onlya\.csv lacks 1 of the model's columns: b`},
		{"--features names an absent column", []string{"--data", files["good"], "--features", "a,zz"}, `good\.csv: --features: no column "zz" \(columns: a, b\)`},
		{"--ignore out of range", []string{"--data", files["good"], "--ignore", "7"}, `good\.csv: --ignore: column 7 is not a feature column`},
		{"bad --impute", []string{"--data", files["good"], "--impute", "zero"}, `invalid --impute: unknown imputation "zero"`},
		{"nothing left", []string{"--data", files["idonly"]}, `idonly\.csv: no feature column is left after dropping constant and identifier columns`},
		{"Inf cell", []string{"--data", files["inf"]}, `inf\.csv:4:2: .*not a finite number`},
		{"one class only", []string{"--data", files["oneclass"]}, `oneclass\.csv.*only one class`},
		{"X/y row counts differ", []string{"--data", files["x"], "--labels", files["y"]}, `x\.csv has 3 rows but .*y\.csv has 2`},
		{"unknown label column", []string{"--data", files["good"], "--label", "nope"}, `label column "nope" not found`},
		{"unknown activation", []string{"--activation", "swish"}, `invalid --activation "swish"`},
		{"unknown optimizer", []string{"--optimizer", "lbfgs"}, `invalid --optimizer "lbfgs"`},
		{"unknown task", []string{"--task", "ranking"}, `invalid --task`},
		{"bad number", []string{"--lr", "fast"}, `invalid argument "fast" for "--lr"`},
		{"negative lr", []string{"--lr", "-1"}, `invalid --lr: want a positive number`},
		{"bad hidden", []string{"--hidden", "20,x"}, `invalid --hidden "20,x"`},
		{"unknown flag", []string{"--lerning-rate", "0.1"}, `unknown flag: --lerning-rate`},
		{"unknown command", []string{"fit"}, `unknown command "fit"`},
		{"unknown device", []string{"--device", "tpu"}, `--device tpu: invalid device "tpu"`},
		{"model not ours", []string{"predict", "--model", files["notmodel"], "--data", files["x"]}, `notmodel\.safetensors: not a gputrain model`},
		{"truncated model", []string{"predict", "--model", truncated, "--data", files["x"]}, `truncated\.safetensors: not a gputrain model: .*trunc`},
		{"missing model", []string{"eval", "--model", filepath.Join(dir, "none.safetensors")}, `none\.safetensors: cannot read: no such file`},
		{"init-from not ours", []string{"--init-from", files["notmodel"], "--steps", "1"}, `notmodel\.safetensors: .*safetensors`},
		{"init-from wrong shapes", []string{"--init-from", model, "--steps", "1"}, `m\.safetensors: tensor "layers.0.weight" has shape \[20 2\], want \[20 41\]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if args[0] != "predict" && args[0] != "eval" {
				args = append(args, "--quiet")
			}
			code, _, stderr := gputrain(t, args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2 (stderr %q)", code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "gputrain: ") {
				t.Errorf("stderr is not one line starting with \"gputrain: \": %q", stderr)
			}
			if !regexp.MustCompile(c.want).MatchString(stderr) {
				t.Errorf("stderr %q does not match %q", stderr, c.want)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stderr shows a panic: %q", stderr)
			}
		})
	}
}

func TestDivergenceExitsNonZeroNamingTheStep(t *testing.T) {
	code, _, stderr := gputrain(t, "--lr", "1e3", "--quiet")
	if code != 1 || !regexp.MustCompile(`^gputrain: training diverged at step \d+: .*; try a smaller --lr\n$`).MatchString(stderr) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestCUDAInCPUBuildSaysHowToGetIt(t *testing.T) {
	code, _, stderr := gputrain(t, "--device", "cuda", "--quiet")
	if code != 2 || !strings.Contains(stderr, "built without CUDA") || !strings.Contains(stderr, "make cuda") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestWorkshopReport runs the default command (no subcommand, no data
// flags) for a short run and checks the report's parts.
func TestWorkshopReport(t *testing.T) {
	code, stdout, stderr := gputrain(t, "--steps", "100")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"biodeg", "1055 rows × 41 features", "gd, lr 0.0001, full batch, 100 steps, loss sum, seed 1",
		"\n       0 ", "\n       1 ", "\n      10 ", "\n     100 ",
		"41 → 20 (tanh) → 1 (logistic), 861 parameters", "accuracy", "roc_auc", "actual   NRB    RB",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
}

// TestTrainPredictEval trains with a test split, saves the model, and
// applies it with predict and eval.
func TestTrainPredictEval(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "biodeg.safetensors")
	code, stdout, stderr := gputrain(t, "train", "--steps", "300", "--test-split", "0.2", "--val-split", "0.1", "--out", model, "--quiet")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"train (738 rows)", "validation (106 rows)", "test (211 rows)", "model saved to"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, stdout)
		}
	}
	preds := filepath.Join(dir, "pred.csv")
	code, _, stderr = gputrain(t, "predict", "--model", model, "--data", "../../data/biodeg/biodeg.csv", "--out", preds)
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(preds)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1056 || lines[0] != "prob_NRB,prob_RB,predicted" || !regexp.MustCompile(`^[0-9.e-]+,[0-9.e-]+,(RB|NRB)$`).MatchString(lines[1]) {
		t.Fatalf("predictions: %d lines, starting %q", len(lines), lines[:2])
	}
	code, stdout, stderr = gputrain(t, "eval", "--model", model, "--data", "../../data/biodeg/biodeg.csv")
	if code != 0 || !strings.Contains(stdout, "accuracy") || !strings.Contains(stdout, "confusion matrix") {
		t.Fatalf("eval: exit %d: %s%s", code, stdout, stderr)
	}
	// The workshop's 0/1 labels are not the model's classes (NRB, RB): a clear error.
	code, _, stderr = gputrain(t, "eval", "--model", model, "--data", "../../data/biodeg/biodeg_X.csv", "--labels", "../../data/biodeg/biodeg_y.csv")
	if code != 2 || !strings.Contains(stderr, `biodeg_y.csv:2:2: label "1" is not one of the model's classes`) {
		t.Fatalf("eval with 0/1 labels: exit %d: %s", code, stderr)
	}
}

func TestDevicesAndHelp(t *testing.T) {
	code, stdout, _ := gputrain(t, "devices")
	if code != 0 || !strings.Contains(stdout, "cpu: pure Go") || !strings.Contains(stdout, "cuda: unavailable") {
		t.Fatalf("devices: exit %d:\n%s", code, stdout)
	}
	code, stdout, _ = gputrain(t, "train", "--help")
	if code != 0 || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "--hidden") || strings.Count(stdout, "Flags:") != 1 {
		t.Fatalf("train --help: exit %d:\n%s", code, stdout)
	}
	code, stdout, _ = gputrain(t, "--help")
	if code != 0 || !strings.Contains(stdout, "gputrain predict") {
		t.Fatalf("--help: exit %d:\n%s", code, stdout)
	}
}
