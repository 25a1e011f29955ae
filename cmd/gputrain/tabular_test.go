package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// penguinCSV writes a small table with the features of the Palmer
// penguins: an ID column, text columns, NA gaps, a constant column. cols
// orders the columns (names from the header below).
func penguinCSV(cols []string, rows int) string {
	all := map[string]func(i int) string{
		"id":      func(i int) string { return fmt.Sprintf("P%03d", i) },
		"species": func(i int) string { return []string{"Adelie", "Chinstrap", "Gentoo"}[i%3] },
		"island": func(i int) string {
			if i%17 == 5 {
				return "NA"
			}
			return []string{"Torgersen", "Dream", "Biscoe"}[(i%3+i/20)%3]
		},
		"bill": func(i int) string {
			if i%13 == 7 {
				return "NA"
			}
			return fmt.Sprintf("%.1f", 38+5*float64(i%3)+float64(i%5)/5)
		},
		"mass":  func(i int) string { return fmt.Sprint(3500 + 400*(i%3) + 10*(i%7)) },
		"sex":   func(i int) string { return []string{"male", "female", ""}[i%3*(i%2)] },
		"study": func(i int) string { return "PAL0708" },
		"extra": func(i int) string { return fmt.Sprint(i * 7 % 11) },
	}
	var b strings.Builder
	b.WriteString(strings.Join(cols, ",") + "\n")
	for i := 0; i < rows; i++ {
		cells := make([]string, len(cols))
		for k, c := range cols {
			cells[k] = all[c](i)
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	return b.String()
}

// TestPredictByColumnName trains on a table with text, gaps, an ID and a
// constant column, then predicts on the same rows with the columns
// shuffled and an extra column: the probabilities must be identical. A
// missing column is one line, exit 2.
func TestPredictByColumnName(t *testing.T) {
	dir := t.TempDir()
	cols := []string{"id", "species", "island", "bill", "mass", "sex", "study"}
	train := write(t, dir, "train.csv", penguinCSV(cols, 90))
	model := filepath.Join(dir, "m.safetensors")
	code, stdout, stderr := gputrain(t, "train", "--data", train, "--label", "species", "--optimizer", "adam", "--lr", "0.02",
		"--loss-reduction", "mean", "--init", "glorot", "--epochs", "30", "--batch-size", "16", "--val-split", "0.2",
		"--missing-indicator", "--progress", "lines", "--out", model)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"dropped:   id (an identifier: different text on every row), study (constant); --features keeps them\n",
		"columns:   2 numeric, 2 categorical (island: 3 + missing, sex: 2 + missing) → 10 inputs (fitted on the training rows)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, stdout)
		}
	}
	predict := func(file string) (string, string) {
		t.Helper()
		code, out, errOut := gputrain(t, "predict", "--model", model, "--data", file, "--id-col", "id")
		if code != 0 {
			t.Fatalf("predict %s: exit %d: %s", file, code, errOut)
		}
		return out, errOut
	}
	orig, errOrig := predict(train)
	// The dropped constant column is unused (the ID is --id-col, the label
	// expected).
	if errOrig != "gputrain: note: ignoring 1 column(s) of "+train+" the model does not use: study\n" {
		t.Errorf("predict on the training file says %q", errOrig)
	}
	lines := strings.Split(orig, "\n")
	if lines[0] != "id,prob_Adelie,prob_Chinstrap,prob_Gentoo,predicted" || !strings.HasPrefix(lines[1], "P000,") {
		t.Fatalf("predictions start %q", lines[:2])
	}
	shuffled := write(t, dir, "shuffled.csv", penguinCSV([]string{"extra", "sex", "bill", "id", "mass", "island"}, 90))
	got, errGot := predict(shuffled)
	if got != orig {
		t.Fatal("shuffled columns with an extra one change the predictions")
	}
	if errGot != "gputrain: note: ignoring 1 column(s) of "+shuffled+" the model does not use: extra\n" {
		t.Errorf("stderr %q", errGot)
	}
	// An island the training rows never had: all zeros, counted.
	unseen := write(t, dir, "unseen.csv", "island,bill,mass,sex\nAtlantis,40.1,3600,male\nDream,NA,3700,female\n")
	code, out, errOut := gputrain(t, "predict", "--model", model, "--data", unseen)
	if code != 0 || strings.Count(out, "\n") != 3 || errOut != "gputrain: note: 1 cell(s) with a category the training rows did not have, encoded as all zeros (island: 1)\n" {
		t.Fatalf("unseen: exit %d, %q, %q", code, out, errOut)
	}
	// A missing column.
	code, _, errOut = gputrain(t, "predict", "--model", model, "--data", write(t, dir, "nosex.csv", penguinCSV([]string{"island", "bill", "mass"}, 5)))
	if code != 2 || !regexp.MustCompile(`^gputrain: \S+nosex\.csv lacks 1 of the model's columns: sex\n$`).MatchString(errOut) {
		t.Fatalf("missing column: exit %d, %q", code, errOut)
	}
	// eval --json on shuffled columns.
	code, out, errOut = gputrain(t, "eval", "--model", model, "--data", write(t, dir, "eval.csv", penguinCSV([]string{"mass", "species", "sex", "bill", "island"}, 60)), "--json")
	var ev struct {
		Rows     int                `json:"rows"`
		LossMean float64            `json:"loss_mean"`
		LossSum  float64            `json:"loss_sum"`
		Metrics  map[string]float64 `json:"metrics"`
		Classes  []string           `json:"classes"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &ev) != nil {
		t.Fatalf("eval --json: exit %d, %q, %q", code, out, errOut)
	}
	if ev.Rows != 60 || math.Abs(ev.LossMean*60-ev.LossSum) > 1e-9*ev.LossSum || ev.Metrics["accuracy"] < 0.8 || len(ev.Classes) != 3 {
		t.Fatalf("eval --json: %+v", ev)
	}
}

// TestMissingLabelsSkipped checks that rows with a missing label are
// skipped with one line, and that --strict refuses them.
func TestMissingLabelsSkipped(t *testing.T) {
	dir := t.TempDir()
	text := penguinCSV([]string{"species", "bill", "mass"}, 30)
	text = strings.Replace(text, "\nAdelie,", "\nNA,", 2)
	file := write(t, dir, "gaps.csv", text)
	code, stdout, stderr := gputrain(t, "train", "--data", file, "--label", "species", "--steps", "3", "--progress", "lines")
	if code != 0 || !strings.Contains(stdout, "note:      "+file+": skipped 2 rows whose label is missing (the first on line 2; --strict makes it an error)\n") ||
		!strings.Contains(stdout, "28 rows × 2 features") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	code, _, stderr = gputrain(t, "train", "--data", file, "--label", "species", "--strict")
	if code != 2 || stderr != "gputrain: "+file+":2:1: label \"NA\" is missing (without --strict such rows are skipped)\n" {
		t.Fatalf("--strict: exit %d, %q", code, stderr)
	}
}

// TestInspect checks the per-column table and the class balance against
// counts taken by hand from the fixture.
func TestInspect(t *testing.T) {
	dir := t.TempDir()
	file := write(t, dir, "p.csv", "id,species,island,bill,sex,year\n"+
		"a1,Adelie,Dream,39.1,male,2007\n"+
		"a2,Adelie,Biscoe,NA,female,2007\n"+
		"a3,Gentoo,Biscoe,46.5,,2008\n"+
		"a4,Gentoo,Biscoe,50.5,female,2008\n"+
		"a5,Chinstrap,Dream,49.0,?,2009\n")
	code, out, errOut := gputrain(t, "inspect", "--data", file, "--label", "species", "--categorical", "year")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "data:      " + file + ", 5 rows × 5 feature columns, label species\n" +
		"inputs:    1 numeric, 4 categorical (id: 5, island: 2, sex: 2 + missing, year: 3) → 14 inputs\n\n" +
		"column  type         missing  distinct  summary\n" +
		"id      categorical  0        5         a1 1, a2 1, a3 1, a4 1, … 1 more\n" +
		"island  categorical  0        2         Biscoe 3, Dream 2\n" +
		"bill    numeric      1        4         min 39.1, max 50.5, mean 46.27\n" +
		"sex     categorical  2        2         female 2, male 1\n" +
		"year    categorical  0        3         2007 2, 2008 2, 2009 1\n\n" +
		"label species: 3 classes (multiclass): Adelie 2 (40.0%), Gentoo 2 (40.0%), Chinstrap 1 (20.0%)\n"
	if out != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
	code, _, errOut = gputrain(t, "inspect", "--data", file, "--label", "species", "--ignore", "nope")
	if code != 2 || !strings.HasSuffix(errOut, `p.csv: --ignore: no column "nope" (columns: id, island, bill, sex, year)`+"\n") {
		t.Fatalf("bad --ignore: exit %d, %q", code, errOut)
	}
}

// TestResumeWithPreprocessing checks that a run on text and missing cells
// resumed from a checkpoint ends with the model the uninterrupted run
// has: the checkpoint carries the fitted preprocessing.
func TestResumeWithPreprocessing(t *testing.T) {
	dir := t.TempDir()
	file := write(t, dir, "p.csv", penguinCSV([]string{"species", "island", "bill", "sex"}, 40))
	common := []string{"train", "--data", file, "--label", "species", "--optimizer", "adam", "--lr", "0.01", "--steps", "20",
		"--val-split", "0.25", "--impute", "median", "--missing-indicator", "--quiet"}
	full, ckpt, resumed := filepath.Join(dir, "full.safetensors"), filepath.Join(dir, "c.ckpt"), filepath.Join(dir, "resumed.safetensors")
	if code, _, stderr := gputrain(t, append(common, "--out", full)...); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := gputrain(t, append(common, "--checkpoint-every", "10", "--checkpoint", ckpt)...); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := gputrain(t, "train", "--resume", ckpt, "--data", file, "--quiet", "--out", resumed); code != 0 {
		t.Fatal(stderr)
	}
	_, a, _ := gputrain(t, "predict", "--model", full, "--data", file)
	_, b, _ := gputrain(t, "predict", "--model", resumed, "--data", file)
	if a == "" || a != b {
		t.Fatalf("the resumed run predicts differently:\n%.300s\n%.300s", a, b)
	}
}
