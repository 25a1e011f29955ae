package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/nn"
	"github.com/gputrain/gputrain/nn/job"
)

// taskCSV writes rows of two features on very different scales (so that
// skipping the standardisation changes every output) and a label made by
// label(x1, x2), with a header.
func taskCSV(t *testing.T, dir, name string, rows int, seed uint64, label func(x1, x2 float64) string) (path string, x [][]float64, labels []string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("size,weight,target\n")
	for i := 0; i < rows; i++ {
		x1, x2 := 100+100*rng.Float64(), 10000*(rng.Float64()-0.5)
		l := label(x1, x2)
		x = append(x, []float64{x1, x2})
		labels = append(labels, l)
		fmt.Fprintf(&b, "%.4f,%.4f,%s\n", x1, x2, l)
	}
	// The values as written, which is what gputrain reads.
	for i := range x {
		for j := range x[i] {
			x[i][j], _ = strconv.ParseFloat(strconv.FormatFloat(x[i][j], 'f', 4, 64), 64)
		}
	}
	return write(t, dir, name, b.String()), x, labels
}

// expectedOutputs applies the saved model to x the long way: the stored
// scaler's mean and scale written out by hand, then nn.Infer on the CPU.
func expectedOutputs(t *testing.T, m *job.Model, x [][]float64) []float32 {
	t.Helper()
	if m.Scaler == nil {
		t.Fatal("the model has no scaler: the test needs standardised training")
	}
	var flat []float32
	for _, row := range x {
		for j, v := range row {
			flat = append(flat, float32((v-m.Scaler.Mean[j])/m.Scaler.Scale[j]))
		}
	}
	logits, err := nn.Infer(cpu.New(), m.Arch, m.Params, flat, len(x))
	if err != nil {
		t.Fatal(err)
	}
	return logits
}

// readCSV returns the header and rows of a predictions file.
func readCSV(t *testing.T, path string) ([]string, [][]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		rows = append(rows, strings.Split(line, ","))
	}
	return rows[0], rows[1:]
}

func near(got string, want float64) bool {
	v, err := strconv.ParseFloat(got, 64)
	return err == nil && math.Abs(v-want) <= 1e-6*math.Max(1, math.Abs(want))
}

// evalLoss reads the mean loss from eval's output.
func evalLoss(t *testing.T, stdout string) float64 {
	t.Helper()
	m := regexp.MustCompile(`\S+ loss (\S+) \(mean over rows`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("eval output has no loss:\n%s", stdout)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// trainAndPredict trains on a 60-row file, then predicts and evaluates 15
// new rows; it returns the model, the new rows' features and labels, the
// predictions file's header and rows, and the loss eval printed.
func trainAndPredict(t *testing.T, task string, label func(x1, x2 float64) string) (*job.Model, [][]float64, []string, []string, [][]string, float64) {
	t.Helper()
	dir := t.TempDir()
	train, _, _ := taskCSV(t, dir, "train.csv", 60, 1, label)
	fresh, x, labels := taskCSV(t, dir, "new.csv", 15, 2, label)
	model, preds := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "p.csv")
	if code, _, stderr := gputrain(t, "train", "--data", train, "--task", task, "--hidden", "4", "--optimizer", "adam", "--lr", "0.05",
		"--steps", "40", "--out", model, "--quiet"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	if code, _, stderr := gputrain(t, "predict", "--model", model, "--data", fresh, "--out", preds); code != 0 {
		t.Fatalf("predict: %s", stderr)
	}
	code, stdout, stderr := gputrain(t, "eval", "--model", model, "--data", fresh)
	if code != 0 {
		t.Fatalf("eval: %s", stderr)
	}
	m, err := job.LoadModel(model)
	if err != nil {
		t.Fatal(err)
	}
	header, rows := readCSV(t, preds)
	if len(rows) != len(x) {
		t.Fatalf("%d predictions for %d rows", len(rows), len(x))
	}
	return m, x, labels, header, rows, evalLoss(t, stdout)
}

func checkLoss(t *testing.T, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
		t.Errorf("eval's mean loss %v, want %v", got, want)
	}
}

func TestPredictBinaryValues(t *testing.T) {
	m, x, labels, header, rows, loss := trainAndPredict(t, "binary", func(x1, x2 float64) string {
		return map[bool]string{true: "yes", false: "no"}[x1-150 > x2/100]
	})
	if !slices.Equal(m.Classes, []string{"no", "yes"}) || !slices.Equal(header, []string{"prob_no", "prob_yes", "predicted"}) {
		t.Fatalf("classes %v, header %v", m.Classes, header)
	}
	logits := expectedOutputs(t, m, x)
	var wantLoss float64
	for i, row := range rows {
		p := 1 / (1 + math.Exp(-float64(logits[i])))
		cls := "no"
		if p >= 0.5 {
			cls = "yes"
		}
		if !near(row[0], 1-p) || !near(row[1], p) || row[2] != cls {
			t.Errorf("row %d: predicted %v, want %v,%s", i, row, p, cls)
		}
		if labels[i] == "yes" {
			wantLoss -= math.Log(p)
		} else {
			wantLoss -= math.Log(1 - p)
		}
	}
	checkLoss(t, loss, wantLoss/float64(len(rows)))
}

func TestPredictMulticlassValues(t *testing.T) {
	m, x, labels, header, rows, loss := trainAndPredict(t, "multiclass", func(x1, x2 float64) string {
		switch {
		case x2 < -1500:
			return "low"
		case x2 > 1500:
			return "high"
		}
		return "mid"
	})
	k := len(m.Classes)
	if k != 3 || len(header) != k+1 || header[k] != "predicted" {
		t.Fatalf("classes %v, header %v", m.Classes, header)
	}
	logits := expectedOutputs(t, m, x)
	var wantLoss float64
	distinctMin := false
	for i, row := range rows {
		z := logits[i*k : (i+1)*k]
		var sum float64
		for _, v := range z {
			sum += math.Exp(float64(v))
		}
		best, worst := 0, 0
		for c := range z {
			p := math.Exp(float64(z[c])) / sum
			if !near(row[c], p) {
				t.Errorf("row %d: probability of %s %s, want %v", i, m.Classes[c], row[c], p)
			}
			if z[c] > z[best] {
				best = c
			}
			if z[c] < z[worst] {
				worst = c
			}
			if labels[i] == m.Classes[c] {
				wantLoss -= math.Log(p)
			}
		}
		distinctMin = distinctMin || worst != best
		if row[k] != m.Classes[best] {
			t.Errorf("row %d: predicted %s, want the most probable class %s (%v)", i, row[k], m.Classes[best], row)
		}
	}
	if !distinctMin {
		t.Error("no row tells the most and least probable classes apart")
	}
	checkLoss(t, loss, wantLoss/float64(len(rows)))
}

func TestPredictRegressionValues(t *testing.T) {
	m, x, labels, header, rows, loss := trainAndPredict(t, "regression", func(x1, x2 float64) string {
		return strconv.FormatFloat(x1/100+x2/5000, 'f', 4, 64)
	})
	if !slices.Equal(header, []string{"predicted_target"}) {
		t.Fatalf("header %v", header)
	}
	logits := expectedOutputs(t, m, x)
	var wantLoss float64
	for i, row := range rows {
		if !near(row[0], float64(logits[i])) {
			t.Errorf("row %d: predicted %s, want %v", i, row[0], logits[i])
		}
		y, _ := strconv.ParseFloat(labels[i], 64)
		wantLoss += (float64(logits[i]) - y) * (float64(logits[i]) - y)
	}
	checkLoss(t, loss, wantLoss/float64(len(rows)))
}
