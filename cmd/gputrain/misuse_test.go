package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gputrain/gputrain/nn/job"
)

// TestMisuseIsRefusedUpFront covers flags and outputs that used to fail
// late, overflow or crash: each is refused before training with one line
// naming the flag, exit code 2, and writes nothing.
func TestMisuseIsRefusedUpFront(t *testing.T) {
	dir := t.TempDir()
	file := write(t, dir, "a-file", "")
	under := filepath.Join(file, "x") // a parent that is a file: unwritable for every user, root included
	outDir := filepath.Join(dir, "out-dir")
	os.Mkdir(outDir, 0o755)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"cv above rows", []string{"--cv", "2000"}, `^--cv 2000: k=2000 folds but only 1055 rows$`},
		{"cv above a class", []string{"--cv", "400"}, `^--cv 400: k=400 folds but class \S+ has only 356 rows`},
		{"val split below a row", []string{"--val-split", "0.0001"}, `^--val-split 0.0001: a fraction 0.0001 of 1055 rows gives an empty validation set$`},
		{"test split below a row", []string{"--test-split", "0.0001"}, `^--test-split 0.0001: .*empty test set$`},
		{"hidden beyond int32", []string{"--hidden", "2147483648"}, `^invalid --hidden "2147483648": want a comma list of layer widths from 1 to 1048576`},
		{"hidden beyond a model file", []string{"--hidden", "30000000"}, `^invalid --hidden "30000000"`},
		{"epochs overflowing steps", []string{"--epochs", "10000000000000000", "--batch-size", "1", "--optimizer", "sgd"}, `^invalid --epochs: want from 0 to 1000000000$`},
		{"steps beyond range", []string{"--steps", "9223372036854775807"}, `^invalid --steps: want from 0 to`},
		{"restarts beyond range", []string{"--restarts", "1000000"}, `^invalid --restarts: want from 1 to 65536$`},
		{"batch size beyond range", []string{"--batch-size", "4294967296"}, `^invalid --batch-size: want from 0 to 2147483647$`},
		{"negative patience", []string{"--patience", "-1"}, `^invalid --patience: want from 0 to`},
		{"memory beyond the machine", []string{"--hidden", "1048576,1048576"}, `^the run needs about 16\.0 TiB \(parameters and gradients 8\.0 TiB, .*\), more than the .* available on cpu \(.*\): use fewer --restarts`},
		{"out is a directory", []string{"--out", outDir}, `^--out .*out-dir: cannot write: it is a directory`},
		{"out is a device", []string{"--out", os.DevNull}, `^--out /dev/null: cannot write: it is not a regular file but a character device$`},
		{"out under a file", []string{"--out", filepath.Join(under, "m.safetensors")}, `^--out .*a-file/x/m\.safetensors: cannot write: not a directory$`},
		{"checkpoint under a file", []string{"--checkpoint", filepath.Join(under, "c.ckpt")}, `^--checkpoint .*: cannot write: not a directory$`},
		{"log under a file", []string{"--log", filepath.Join(under, "run.jsonl")}, `^--log .*: cannot write: not a directory$`},
		{"plots under a file", []string{"--plots", filepath.Join(under, "plots")}, `^--plots .*a-file/x/plots: not a directory$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := gputrain(t, append([]string{"train", "--quiet"}, c.args...)...)
			msg, ok := strings.CutPrefix(stderr, "gputrain: ")
			if code != exitBadInput || !ok || strings.Count(stderr, "\n") != 1 || !regexp.MustCompile(c.want).MatchString(strings.TrimSuffix(msg, "\n")) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and one line matching %s", code, stderr, c.want)
			}
			if stdout != "" {
				t.Errorf("trained before refusing: %q", stdout)
			}
		})
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
		t.Errorf("the --out directory holds %d entries", len(entries))
	}
}

// TestOutSymlinkIsFollowed saves a model through a symbolic link: the
// link stays, the file it points to receives the model.
func TestOutSymlinkIsFollowed(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "models", "m.safetensors"), filepath.Join(dir, "latest.safetensors")
	os.Mkdir(filepath.Dir(target), 0o755)
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links: %v", err)
	}
	if code, _, stderr := gputrain(t, "train", "--steps", "2", "--quiet", "--out", link); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v, %v", st, err)
	}
	if _, err := loadModel(target); err != nil {
		t.Fatalf("the link's target: %v", err)
	}
}

// TestNonFiniteModelAndHugeData: predict refuses a model holding NaN,
// naming the tensor; training refuses a column of ±1e308, naming it,
// instead of blaming the learning rate.
func TestNonFiniteModelAndHugeData(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	if code, _, stderr := gputrain(t, "train", "--steps", "2", "--quiet", "--out", model); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m, err := job.LoadModel(model)
	if err != nil {
		t.Fatal(err)
	}
	m.Params.W[1][7] = float32(math.NaN())
	if err := m.Save(model); err != nil {
		t.Fatal(err)
	}
	rows := write(t, dir, "rows.csv", strings.Repeat("1,", 40)+"1\n")
	for _, cmd := range []string{"predict", "eval"} {
		code, stdout, stderr := gputrain(t, cmd, "--model", model, "--data", rows)
		if code != exitBadInput || stdout != "" || !regexp.MustCompile(`^gputrain: .*m\.safetensors: tensor "layers\.1\.weight" holds NaN at element 7: the model's parameters are not finite, so it cannot predict\n$`).MatchString(stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", cmd, code, stdout, stderr)
		}
	}
	var b strings.Builder
	b.WriteString("a,b,c\n")
	for i := range 50 {
		fmt.Fprintf(&b, "%d,%se308,%s\n", i, []string{"1", "-1"}[i%2], []string{"x", "y"}[i%3%2])
	}
	huge := write(t, dir, "huge.csv", b.String())
	code, _, stderr := gputrain(t, "train", "--data", huge, "--quiet")
	if code != exitBadInput || !strings.Contains(stderr, `huge.csv: column "b" holds values up to 1e+308`) || strings.Contains(stderr, "--lr") {
		t.Fatalf("±1e308 column: exit %d: %q", code, stderr)
	}
}

// TestLastLossIsTrainingMode: with batch norm and dropout, the loss printed
// for the last step equals the one a longer run prints for that step, and
// the evaluation's loss is labelled as evaluation mode.
func TestLastLossIsTrainingMode(t *testing.T) {
	flags := []string{"train", "--batch-norm", "--dropout", "0.2", "--optimizer", "adam", "--lr", "1e-2", "--loss-reduction", "mean", "--print-every", "10", "--steps"}
	line := regexp.MustCompile(`(?m)^\s+20\s+(\S+)$`)
	var losses []string
	for _, steps := range []string{"20", "21"} {
		code, stdout, stderr := gputrain(t, append(flags, steps)...)
		m := line.FindStringSubmatch(stdout)
		if code != 0 || m == nil {
			t.Fatalf("--steps %s: exit %d: %s\n%s", steps, code, stderr, stdout)
		}
		losses = append(losses, m[1])
		if !strings.Contains(stdout, "train (1055 rows): loss ") || !strings.Contains(stdout, "; evaluation mode: no dropout, batch norm with its running statistics)") {
			t.Errorf("the evaluation's loss is not labelled:\n%s", stdout)
		}
	}
	if losses[0] != losses[1] {
		t.Fatalf("step 20's loss: %s as the last point, %s mid-run", losses[0], losses[1])
	}
}

// TestInterruptedCrossValidation: a --cv run stopped part way has no
// checkpoint, so it must not exit with 130, which promises one.
func TestInterruptedCrossValidation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out, errb bytes.Buffer
	code := runContext(ctx, []string{"train", "--cv", "3", "--steps", "100000000", "--quiet"}, &out, &errb)
	if code != exitFailure || !regexp.MustCompile(`^gputrain: interrupted at step \d+ of 100000000; cross-validation runs are not checkpointed, so nothing was saved\n$`).MatchString(errb.String()) {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
