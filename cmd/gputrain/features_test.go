package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/nn/job"
)

// sameModelParams checks that two model files hold bit-identical parameters.
func sameModelParams(t *testing.T, a, b string) {
	t.Helper()
	ma, err := job.LoadModel(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := job.LoadModel(b)
	if err != nil {
		t.Fatal(err)
	}
	for l := range ma.Params.W {
		for _, pair := range [][2][]float32{{ma.Params.W[l], mb.Params.W[l]}, {ma.Params.B[l], mb.Params.B[l]}} {
			for i := range pair[0] {
				if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
					t.Fatalf("layer %d element %d: %v in %s, %v in %s", l, i, pair[0][i], a, pair[1][i], b)
				}
			}
		}
	}
}

// TestCheckpointEveryAndResume trains straight through, then resumes the
// periodic checkpoint the same run left behind, and compares the models:
// full-batch gradient descent and minibatch Adam with dropout.
func TestCheckpointEveryAndResume(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags []string
		step  int // the last periodic checkpoint
	}{
		{"gd", []string{"--steps", "40", "--checkpoint-every", "15"}, 30},
		{"adam-dropout", []string{"--optimizer", "adam", "--lr", "1e-3", "--batch-size", "100", "--dropout", "0.2",
			"--steps", "40", "--checkpoint-every", "15", "--val-split", "0.2", "--lr-schedule", "cosine", "--warmup-steps", "5"}, 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ckpt, straight, resumed := filepath.Join(dir, "run.ckpt"), filepath.Join(dir, "a.safetensors"), filepath.Join(dir, "b.safetensors")
			args := append([]string{"train", "--quiet", "--checkpoint", ckpt, "--out", straight}, c.flags...)
			if code, _, stderr := gputrain(t, args...); code != 0 {
				t.Fatalf("straight run: exit %d: %s", code, stderr)
			}
			ck, err := job.LoadCheckpoint(ckpt)
			if err != nil || ck.State.Step != c.step {
				t.Fatalf("checkpoint: %v, step %v", err, ck)
			}
			code, stdout, stderr := gputrain(t, "train", "--resume", ckpt, "--out", resumed)
			if code != 0 {
				t.Fatalf("resumed run: exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "resumed:   "+ckpt+" at step 30 of 40") {
				t.Errorf("resumed run's report:\n%s", stdout)
			}
			sameModelParams(t, straight, resumed)
		})
	}
}

// TestBadCheckpoints covers checkpoints that cannot be resumed: each gives
// one line and exit code 2.
func TestBadCheckpoints(t *testing.T) {
	dir := t.TempDir()
	ckpt, model := filepath.Join(dir, "run.ckpt"), filepath.Join(dir, "m.safetensors")
	if code, _, stderr := gputrain(t, "train", "--steps", "20", "--checkpoint-every", "10", "--checkpoint", ckpt, "--out", model, "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	b, _ := os.ReadFile(ckpt)
	flipped := append([]byte(nil), b...)
	for i := len(flipped) / 2; i < len(flipped)/2+16; i++ {
		flipped[i] ^= 0xff
	}
	header := append([]byte(nil), b...)
	header[8] = '[' // breaks the JSON header
	files := map[string]string{
		"truncated": write(t, dir, "truncated.ckpt", string(b[:len(b)-100])),
		"header":    write(t, dir, "header.ckpt", string(header)),
		"empty":     write(t, dir, "empty.ckpt", ""),
		"text":      write(t, dir, "text.ckpt", "not a checkpoint"),
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"truncated", []string{"--resume", files["truncated"]}, `truncated\.ckpt: not a gputrain checkpoint: .*truncated`},
		{"damaged header", []string{"--resume", files["header"]}, `header\.ckpt: not a gputrain checkpoint: .*bad JSON header`},
		{"empty", []string{"--resume", files["empty"]}, `empty\.ckpt: not a gputrain checkpoint: too short`},
		{"text", []string{"--resume", files["text"]}, `text\.ckpt: not a gputrain checkpoint`},
		{"missing", []string{"--resume", filepath.Join(dir, "none.ckpt")}, `none\.ckpt: cannot read: no such file`},
		{"a model", []string{"--resume", model}, `m\.safetensors: not a checkpoint but a gputrain model`},
		{"other settings", []string{"--resume", ckpt, "--lr", "0.5"}, `--lr 0\.5 differs from the checkpoint's run \(0\.0001\)`},
		{"other data", []string{"--resume", ckpt, "--data", "../../data/biodeg/biodeg_X.csv", "--labels", "../../data/biodeg/biodeg_y.csv"}, `cannot resume: the data .* are not those the checkpoint was trained on`},
		{"shorter", []string{"--resume", ckpt, "--steps", "5"}, `cannot resume: the checkpoint is at step 10, outside this run's 5 steps`},
		{"checkpoint as model", []string{"predict", "--model", ckpt, "--data", "../../data/biodeg/biodeg.csv"}, `run\.ckpt: not a gputrain model but a training checkpoint`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if args[0] != "predict" {
				args = append([]string{"train", "--quiet"}, args...)
			}
			code, _, stderr := gputrain(t, args...)
			if code != 2 || strings.Count(stderr, "\n") != 1 || !regexp.MustCompile(c.want).MatchString(stderr) {
				t.Errorf("exit %d, stderr %q, want exit 2 and one line matching %q", code, stderr, c.want)
			}
		})
	}
	// A flipped payload byte either still decodes (a tensor value changed)
	// or is caught; it never crashes.
	fl := write(t, dir, "flipped.ckpt", string(flipped))
	if code, _, stderr := gputrain(t, "train", "--quiet", "--resume", fl); code != 0 && (code != 2 || strings.Count(stderr, "\n") != 1) {
		t.Errorf("flipped bytes: exit %d, stderr %q", code, stderr)
	}
}

func TestProgressBar(t *testing.T) {
	code, stdout, stderr := gputrain(t, "--steps", "300", "--progress", "bar")
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, want := range []string{"\r", "training ", "steps/", "\r       0 ", "\r     100 ", "accuracy"} { // the rate's unit (steps/s, steps/hr) depends on the speed
		if !strings.Contains(stdout, want) {
			t.Errorf("output with a bar lacks %q:\n%q", want, stdout)
		}
	}
	// Without a terminal (as here) the default is plain lines.
	if _, stdout, _ = gputrain(t, "--steps", "20"); strings.Contains(stdout, "\r") {
		t.Errorf("plain output has a carriage return:\n%q", stdout)
	}
	if code, _, stderr := gputrain(t, "--progress", "fancy"); code != 2 || !strings.Contains(stderr, `invalid --progress "fancy"`) {
		t.Errorf("exit %d, %s", code, stderr)
	}
}

// TestValidationColumnAndLog checks the validation column of the loss table
// and every record of the JSON Lines log.
func TestValidationColumnAndLog(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "run.jsonl")
	code, stdout, stderr := gputrain(t, "--steps", "100", "--val-split", "0.2", "--log", log)
	if code != 0 {
		t.Fatal(stderr)
	}
	if !regexp.MustCompile(`\n +step +loss +val loss\n +0 +[0-9.]+ +[0-9.]+\n +1 +[0-9.]+ +[0-9.]+\n`).MatchString(stdout) {
		t.Errorf("loss table:\n%s", stdout)
	}
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		recs = append(recs, rec)
	}
	if len(recs) < 3 || recs[0]["type"] != "manifest" || recs[len(recs)-1]["type"] != "result" {
		t.Fatalf("log records: %v", recs)
	}
	for _, k := range []string{"seed", "gputrain_version", "commit", "go_version", "device", "flags", "data_sha256", "split_sha256"} {
		if recs[0][k] == nil {
			t.Errorf("manifest lacks %q: %v", k, recs[0])
		}
	}
	progress := recs[1 : len(recs)-1]
	for _, r := range progress {
		for _, k := range []string{"step", "epoch", "loss", "val_loss", "metrics", "lr", "elapsed", "device"} {
			if r[k] == nil {
				t.Errorf("progress record lacks %q: %v", k, r)
			}
		}
	}
	if last := progress[len(progress)-1]; last["step"] != 100.0 || last["metrics"].(map[string]any)["val_accuracy"] == nil {
		t.Errorf("last progress record %v", last)
	}
}

func TestPlots(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plots")
	code, stdout, stderr := gputrain(t, "--steps", "60", "--val-split", "0.2", "--test-split", "0.2", "--plots", dir, "--quiet")
	if code != 0 {
		t.Fatal(stderr)
	}
	_ = stdout
	for _, name := range []string{"loss", "roc", "confusion_train", "confusion_validation", "confusion_test"} {
		b, err := os.ReadFile(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() != 576 || img.Bounds().Dy() != 432 {
			t.Errorf("%s.png: %v, %v", name, err, img.Bounds())
		}
		if svg, err := os.ReadFile(filepath.Join(dir, name+".svg")); err != nil || !bytes.Contains(svg, []byte("<svg")) {
			t.Errorf("%s.svg: %v", name, err)
		}
	}
}

func TestEarlyStoppingAndOptions(t *testing.T) {
	code, stdout, stderr := gputrain(t, "--val-split", "0.3", "--optimizer", "adam", "--lr", "1e-2", "--batch-size", "32", "--hidden", "64",
		"--epochs", "100", "--loss-reduction", "mean", "--patience", "3", "--class-weight", "balanced", "--lr-schedule", "step",
		"--lr-step-size", "500", "--lr-gamma", "0.5", "--threshold", "auto")
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, want := range []string{"options:   lr schedule step, balanced class weights, early stopping (patience 3", "early stop: at step ",
		"restored the weights of step", "threshold: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--patience", "3"}, "--patience stops on the validation loss: it needs --val-split"},
		{[]string{"--min-delta", "0.1", "--val-split", "0.2"}, "give --patience too"},
		{[]string{"--lr-schedule", "step"}, "--lr-schedule step needs --lr-step-size"},
		{[]string{"--lr-schedule", "warm"}, `invalid --lr-schedule "warm"`},
		{[]string{"--class-weight", "inverse"}, `invalid --class-weight "inverse"`},
		{[]string{"--threshold", "auto"}, "--threshold auto chooses the threshold on the validation rows"},
		{[]string{"--threshold", "1.5"}, `invalid --threshold "1.5"`},
		{[]string{"--cv", "3", "--checkpoint-every", "5"}, "--cv trains one model per fold"},
		{[]string{"--plots", "/dev/null/x"}, "--plots /dev/null/x: not a directory"},
		{[]string{"--out", "/nonexistent-dir/m.safetensors"}, "--out /nonexistent-dir/m.safetensors: the directory /nonexistent-dir does not exist"},
		{[]string{"--checkpoint", "/nonexistent-dir/c.ckpt"}, "--checkpoint /nonexistent-dir/c.ckpt: the directory /nonexistent-dir does not exist"},
	} {
		code, _, stderr := gputrain(t, append(c.args, "--quiet", "--steps", "5")...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}

// TestNonFiniteNamesTheTensorCLI: features of order 1e18 without
// standardisation (representable, unlike 1e30, which is refused before
// training) and a large step overflow the first layer's product after one
// update.
func TestNonFiniteNamesTheTensorCLI(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b,y\n")
	for i := 0; i < 40; i++ {
		b.WriteString(strconv.FormatFloat(float64(i%7-3)*1e18, 'g', -1, 64) + "," + strconv.Itoa(i%5) + "," + strconv.Itoa(i%2) + "\n")
	}
	path := write(t, t.TempDir(), "huge.csv", b.String())
	for _, extra := range [][]string{nil, {"--detect-anomaly"}} {
		code, _, stderr := gputrain(t, append([]string{"--data", path, "--preset", "workshop", "--standardize=false", "--hidden", "", "--lr", "1e6", "--steps", "50", "--quiet"}, extra...)...)
		if code != 1 || strings.Count(stderr, "\n") != 1 || !regexp.MustCompile(`^gputrain: training diverged at step 1: .*layers\.0 input·weight became [-+]Inf in the forward pass of update 2`).MatchString(stderr) {
			t.Errorf("%v: exit %d, stderr %q", extra, code, stderr)
		}
		// The library's advice, in the CLI's words: its flags.
		if !strings.HasSuffix(stderr, "rescale it, or standardise the features (--standardize)\n") {
			t.Errorf("%v: stderr %q does not name the flags to change", extra, stderr)
		}
	}
}

func TestVerify(t *testing.T) {
	code, stdout, stderr := gputrain(t, "verify", "--steps", "20")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"20 steps of gd", "tolerance: |Δ| ≤ 1e-05 + 0.0001·|ref|", "cuda: unavailable", "cpu against the float64 reference", "layers.0.weight", "layers.1.bias", "verify OK"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("verify output lacks %q:\n%s", want, stdout)
		}
	}
	// An absurd tolerance fails, with exit 1 and one line.
	code, _, stderr = gputrain(t, "verify", "--steps", "5", "--rtol", "1e-12", "--atol", "1e-15")
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "verify failed: cpu differs from the float64 reference in layers.") {
		t.Errorf("tight tolerance: exit %d, %q", code, stderr)
	}
	if code, _, stderr = gputrain(t, "verify", "--val-split", "0.2"); code != 2 || !strings.Contains(stderr, "--val-split does not apply to gputrain verify") {
		t.Errorf("verify --val-split: exit %d, %q", code, stderr)
	}
}

// TestPredictUsesTheModelsThreshold trains with --threshold 0.3 and checks
// the predicted classes follow it.
func TestPredictUsesTheModelsThreshold(t *testing.T) {
	dir := t.TempDir()
	model, preds := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "p.csv")
	if code, _, stderr := gputrain(t, "--steps", "50", "--threshold", "0.3", "--out", model, "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := gputrain(t, "predict", "--model", model, "--data", "../../data/biodeg/biodeg.csv", "--out", preds); code != 0 {
		t.Fatal(stderr)
	}
	b, _ := os.ReadFile(preds)
	between := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		cells := strings.Split(line, ",")
		p, _ := strconv.ParseFloat(cells[1], 64)
		cls := cells[2]
		if want := map[bool]string{true: "RB", false: "NRB"}[p >= 0.3]; cls != want {
			t.Fatalf("probability %v predicted %s", p, cls)
		}
		if p >= 0.3 && p < 0.5 {
			between++
		}
	}
	if between == 0 {
		t.Error("no probability in [0.3, 0.5): the test does not tell the thresholds apart")
	}
}
