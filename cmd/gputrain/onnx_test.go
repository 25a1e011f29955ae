package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/model"
	"github.com/gputrain/gputrain/nn/job"
)

// synthCSV writes a table with numeric columns (x2 with gaps), a text
// column (color, with gaps and a rare category), integer codes (size) and
// a label for task: binary (yes/no), multiclass (low/mid/high) or
// regression (a value).
func synthCSV(task string, rows, seed int) string {
	var b strings.Builder
	b.WriteString("x1,x2,color,x3,size,y\n")
	colors := []string{"red", "green", "blue", "red", "green", "violet"}
	for i := 0; i < rows; i++ {
		u := func(k int) float64 { return math.Sin(float64(i*(7+k) + seed*13 + k*k)) } // deterministic, in [-1, 1]
		x1, x2, x3 := 3*u(1)+10, 50*u(2), u(3)
		size := 1 + (i*seed+i/3)%3
		color := colors[(i+seed)%len(colors)]
		z := x1 - 10 + x2/25 + x3 + float64(size) - 2
		if color == "red" {
			z += 1
		}
		var y string
		switch task {
		case "binary":
			y = map[bool]string{true: "yes", false: "no"}[z > 0]
		case "multiclass":
			y = []string{"low", "mid", "high"}[min(2, max(0, int(z+1.5)))]
		default:
			y = strconv.FormatFloat(20+5*z, 'f', 3, 64)
		}
		x2s := strconv.FormatFloat(x2, 'f', 3, 64)
		if i%9 == 4 {
			x2s = "NA"
		}
		if i%11 == 3 {
			color = "NA"
		}
		if seed > 1 && i%7 == 2 {
			color = "purple" // unseen in training
		}
		fmt.Fprintf(&b, "%.4f,%s,%s,%.4f,%d,%s\n", x1, x2s, color, x3, size, y)
	}
	return b.String()
}

// onnxRuntime returns the node command and the node_modules folder with
// onnxruntime-node, or skips the test.
func onnxRuntime(t *testing.T) (node, modules string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("Node.js (node) is not installed: the ONNX Runtime check cannot run")
	}
	modules = os.Getenv("GPUTRAIN_ONNXRUNTIME_MODULES")
	if modules == "" {
		modules, _ = filepath.Abs("../../build/onnxrt/node_modules")
	}
	if _, err := os.Stat(filepath.Join(modules, "onnxruntime-node")); err != nil {
		if os.Getenv("GPUTRAIN_ONNX_REQUIRED") != "" {
			t.Fatalf("onnxruntime-node is not in %s", modules)
		}
		t.Skipf("onnxruntime-node is not in %s: run \"make onnx-check\" to install it and run this check", modules)
	}
	return node, modules
}

// exportCase is a model to train on synthCSV's table.
type exportCase struct {
	task, hidden, act string
	bn                bool
	extra             []string
}

func (c exportCase) name() string { return fmt.Sprintf("%s-%s-%q-bn%v", c.task, c.act, c.hidden, c.bn) }

// exportCases cover every task, activation and depth, with and without
// batch normalisation, and every kind of preprocessing.
var exportCases = []exportCase{
	{"binary", "8", "tanh", false, nil},
	{"binary", "8,6", "relu", true, []string{"--missing-indicator", "--categorical", "size"}},
	{"binary", "", "tanh", false, []string{"--threshold", "0.3", "--standardize=false"}},
	{"multiclass", "6", "sigmoid", true, []string{"--max-categories", "2"}},
	{"multiclass", "", "relu", false, []string{"--impute", "most-frequent"}},
	{"multiclass", "5,4", "tanh", true, []string{"--impute", "median", "--missing-indicator"}},
	{"regression", "8,4", "relu", false, nil},
	{"regression", "6", "sigmoid", true, []string{"--max-categories", "1", "--categorical", "size"}},
	{"regression", "", "tanh", false, nil},
	{"binary", "6,4", "elu", true, nil},
	{"binary", "4", "sigmoid", false, []string{"--features", "x1,x2,x3"}},                             // numbers only: no one-hot encoder
	{"multiclass", "4", "relu", false, []string{"--features", "color,size", "--categorical", "size"}}, // categories only
}

// trainExportCase trains c's model and runs predict on rows with gaps and
// unseen categories; it returns the model file, the rows and predict's
// output rows.
func trainExportCase(t *testing.T, c exportCase) (model string, rows, predicted []map[string]string) {
	t.Helper()
	dir := t.TempDir()
	train := write(t, dir, "train.csv", synthCSV(c.task, 150, 1))
	test := write(t, dir, "test.csv", synthCSV(c.task, 60, 2))
	model = filepath.Join(dir, "m.safetensors")
	args := append([]string{"train", "--data", train, "--label", "y", "--task", c.task, "--hidden", c.hidden,
		"--activation", c.act, fmt.Sprintf("--batch-norm=%v", c.bn), "--optimizer", "adam", "--lr", "0.01",
		"--loss-reduction", "mean", "--batch-size", "16", "--epochs", "15", "--quiet", "--out", model}, c.extra...)
	if code, _, errOut := gputrain(t, args...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	code, predOut, errOut := gputrain(t, "predict", "--model", model, "--data", test)
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errOut)
	}
	return model, csvRecords(t, synthCSV(c.task, 60, 2)), csvRecords(t, predOut)
}

// TestModelPackageMatchesPredict checks the Go inference package, rows by
// column name, against predict on every exportCases model.
func TestModelPackageMatchesPredict(t *testing.T) {
	for _, c := range exportCases {
		t.Run(c.name(), func(t *testing.T) {
			mpath, rows, want := trainExportCase(t, c)
			m, err := job.LoadModel(mpath)
			if err != nil {
				t.Fatal(err)
			}
			compareWithPredict(t, "the model package", m.Task, want, goPackage(t, mpath, rows))
		})
	}
}

// TestONNXMatchesPredict exports every exportCases model to ONNX and runs
// it in ONNX Runtime on rows with gaps and unseen categories: the
// probabilities must equal predict's to 1e-5 relative and the labels
// exactly; onnx.checker must accept every file where it is installed.
func TestONNXMatchesPredict(t *testing.T) {
	node, modules := onnxRuntime(t)
	script, err := filepath.Abs("../../scripts/onnx/predict.js")
	if err != nil {
		t.Fatal(err)
	}
	exported := t.TempDir()
	var files []string
	for i, c := range exportCases {
		t.Run(c.name(), func(t *testing.T) {
			mpath, test, want := trainExportCase(t, c)
			opath := filepath.Join(exported, fmt.Sprintf("m%d.onnx", i))
			files = append(files, opath)
			if code, _, errOut := gputrain(t, "export", "--model", mpath, "--format", "onnx", "--out", opath); code != 0 {
				t.Fatalf("export: exit %d: %s", code, errOut)
			}
			m, err := job.LoadModel(mpath)
			if err != nil {
				t.Fatal(err)
			}
			got := runONNX(t, node, modules, script, opath, m, test, t.TempDir())
			compareWithPredict(t, "ONNX Runtime", m.Task, want, got)
		})
	}
	checkONNX(t, files)
}

// checkONNX runs onnx.checker (full check) on the files where a Python
// with the onnx package (Debian's python3-onnx) is found.
func checkONNX(t *testing.T, files []string) {
	script, err := filepath.Abs("../../scripts/onnx/check.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, python := range []string{os.Getenv("GPUTRAIN_ONNX_PYTHON"), "python3", "/usr/bin/python3"} {
		if python == "" || exec.Command(python, "-c", "import onnx").Run() != nil {
			continue
		}
		out, err := exec.Command(python, append([]string{script}, files...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("onnx.checker: %v: %s", err, out)
		}
		t.Logf("%s", out)
		return
	}
	if os.Getenv("GPUTRAIN_ONNX_CHECKER_REQUIRED") != "" {
		t.Fatal("no python3 with the onnx package (apt-get install python3-onnx)")
	}
	t.Log("onnx.checker not run: no python3 with the onnx package (apt-get install python3-onnx)")
}

// outputOrder is the key under which readCSV lists predict's output
// columns (prob_CLASS… or predicted_LABEL), in order.
const outputOrder = "\x00outputs"

// csvRecords parses CSV text into rows of cells by name.
func csvRecords(t *testing.T, text string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var outputs []string
	for _, name := range recs[0] {
		if strings.HasPrefix(name, "prob_") || strings.HasPrefix(name, "predicted_") {
			outputs = append(outputs, name)
		}
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		row := map[string]string{outputOrder: strings.Join(outputs, ",")}
		for j, name := range recs[0] {
			row[name] = r[j]
		}
		out = append(out, row)
	}
	return out
}

// prediction is one row's outputs: probabilities (or values) and label.
type prediction struct {
	probs []float64
	label string
}

// runONNX runs the exported model on rows in ONNX Runtime.
func runONNX(t *testing.T, node, modules, script, onnxPath string, m *job.Model, rows []map[string]string, dir string) []prediction {
	t.Helper()
	req := map[string]any{"model": onnxPath}
	var numeric [][]any
	var categorical [][]string
	for _, row := range rows {
		num := []any{}
		cat := []string{}
		var cols []data.PrepColumn
		if m.Prep != nil {
			cols = m.Prep.Columns
		} else {
			for _, name := range m.Features {
				cols = append(cols, data.PrepColumn{Name: name, Kind: data.Numeric})
			}
		}
		for _, c := range cols {
			text := row[c.Name]
			if c.Kind == data.Categorical {
				cat = append(cat, text)
				continue
			}
			if text == "NA" {
				num = append(num, nil)
				continue
			}
			v, err := strconv.ParseFloat(text, 64)
			if err != nil {
				t.Fatal(err)
			}
			num = append(num, v)
		}
		numeric, categorical = append(numeric, num), append(categorical, cat)
	}
	req["numeric"], req["categorical"] = numeric, categorical
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	reqPath := write(t, dir, "request.json", string(b))
	cmd := exec.Command(node, script, reqPath)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("node: %v: %s", err, stderr)
	}
	var res struct {
		Probabilities [][]float64 `json:"probabilities"`
		Label         []string    `json:"label"`
		Predicted     [][]float64 `json:"predicted"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	preds := make([]prediction, len(rows))
	for i := range preds {
		if m.Task == data.TaskRegression {
			preds[i] = prediction{probs: res.Predicted[i]}
		} else {
			preds[i] = prediction{probs: res.Probabilities[i], label: res.Label[i]}
		}
	}
	return preds
}

// goPackage predicts rows, by column name, with the model package.
func goPackage(t *testing.T, path string, rows []map[string]string) []prediction {
	t.Helper()
	m, err := model.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []prediction
	for _, row := range rows {
		var p model.Prediction
		if err := m.Predict(row, &p); err != nil {
			t.Fatal(err)
		}
		if p.Class < 0 {
			out = append(out, prediction{probs: p.Values})
		} else {
			out = append(out, prediction{probs: p.Probs, label: p.Label})
		}
	}
	return out
}

// compareWithPredict checks got against predict's CSV rows: probabilities
// (or regression values, relative to max(|v|, 1)) to 1e-5 relative,
// labels exactly.
func compareWithPredict(t *testing.T, who string, task data.Task, want []map[string]string, got []prediction) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, predict %d", who, len(got), len(want))
	}
	for i, w := range want {
		var probs []float64
		for _, k := range strings.Split(w[outputOrder], ",") {
			v, err := strconv.ParseFloat(w[k], 64)
			if err != nil {
				t.Fatalf("predict row %d %s: %v", i, k, err)
			}
			probs = append(probs, v)
		}
		g := got[i]
		if len(g.probs) != len(probs) {
			t.Fatalf("%s row %d: %d outputs, predict %d", who, i, len(g.probs), len(probs))
		}
		for j := range probs {
			scale := math.Max(math.Abs(probs[j]), math.Abs(g.probs[j]))
			if task == data.TaskRegression {
				scale = math.Max(scale, 1)
			}
			if math.Abs(probs[j]-g.probs[j]) > 1e-5*scale {
				t.Fatalf("%s row %d output %d: %.9g, predict %.9g", who, i, j, g.probs[j], probs[j])
			}
		}
		if task != data.TaskRegression && g.label != w["predicted"] {
			t.Fatalf("%s row %d: label %q, predict %q", who, i, g.label, w["predicted"])
		}
	}
}

// TestExportBadInput checks that export's bad input is one line, exit 2.
func TestExportBadInput(t *testing.T) {
	dir := t.TempDir()
	garbage := write(t, dir, "garbage.safetensors", "not a model")
	model := "../../model/testdata/biodeg.safetensors"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", model, "--format", "tflite", "--out", "x"}, `gputrain: invalid --format "tflite": want onnx or safetensors-torch` + "\n"},
		{[]string{"--model", model}, "gputrain: --out is required\n"},
		{[]string{"--out", filepath.Join(dir, "m.onnx")}, "gputrain: --model is required\n"},
		{[]string{"--model", garbage, "--out", filepath.Join(dir, "m.onnx")}, "gputrain: " + garbage + ": not a gputrain model: "},
	} {
		code, _, errOut := gputrain(t, append([]string{"export"}, c.args...)...)
		if code != 2 || !strings.HasPrefix(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("export %v: exit %d, %q", c.args, code, errOut)
		}
	}
	out := filepath.Join(dir, "ok.onnx")
	if code, stdout, errOut := gputrain(t, "export", "--model", model, "--out", out); code != 0 || !strings.HasPrefix(stdout, "wrote "+out+" (ONNX opset 17, ") {
		t.Fatalf("export: exit %d, %q, %q", code, stdout, errOut)
	}
}

// TestExportTorchRoundTrip exports the penguins model as an nn.Sequential
// state_dict and evaluates it through --init-from --steps 0: the loss
// must be the model's own.
func TestExportTorchRoundTrip(t *testing.T) {
	dir := t.TempDir()
	model, data := "../../model/testdata/penguins.safetensors", "../../model/testdata/penguins.csv"
	out := filepath.Join(dir, "torch.safetensors")
	code, stdout, errOut := gputrain(t, "export", "--model", model, "--format", "safetensors-torch", "--out", out)
	if code != 0 || !strings.Contains(stdout, "torch.nn.Sequential(\n    torch.nn.Linear(10, 8),\n    torch.nn.Tanh(),\n    torch.nn.Linear(8, 3),\n)") {
		t.Fatalf("export: exit %d, %q, %q", code, stdout, errOut)
	}
	code, evalOut, errOut := gputrain(t, "eval", "--model", model, "--data", data, "--label", "species")
	if code != 0 {
		t.Fatalf("eval: exit %d, %q", code, errOut)
	}
	code, trainOut, errOut := gputrain(t, "train", "--data", data, "--label", "species", "--init-from", out, "--steps", "0",
		"--activation", "tanh", "--missing-indicator", "--quiet")
	if code != 0 {
		t.Fatalf("train --init-from: exit %d, %q", code, errOut)
	}
	a := regexp.MustCompile(`softmax-ce loss ([0-9.e+-]+) \(mean`).FindStringSubmatch(evalOut)
	b := regexp.MustCompile(`loss ([0-9.e+-]+) \(softmax-ce, mean\)`).FindStringSubmatch(trainOut)
	if a == nil || b == nil || a[1] != b[1] {
		t.Fatalf("losses differ: eval %q, train from the state_dict %q", evalOut, trainOut)
	}
}
