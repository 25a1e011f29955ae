package model

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/nn/job"
)

// biodegRows returns the first n rows of the embedded biodeg data, in the
// model's column order.
func biodegRows(t testing.TB, n int) [][]float64 {
	ds, err := data.Biodeg()
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = slices.Clone(ds.Row(i))
	}
	return rows
}

// agree reports whether a and b agree to rel relative to the larger.
func agree(a, b []float64, rel float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > rel*math.Max(math.Abs(a[i]), math.Abs(b[i])) {
			return false
		}
	}
	return true
}

func load(t testing.TB, name string) *Model {
	m, err := Load("testdata/" + name + ".safetensors")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMatchesFloat64Reference checks the biodeg model's probabilities
// against a float64 forward pass written here from the textbook formulas
// (standardise, x·W+b, tanh, x·W+b, logistic).
func TestMatchesFloat64Reference(t *testing.T) {
	m := load(t, "biodeg")
	nm, err := job.LoadModel("testdata/biodeg.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	sizes := nm.Arch.Sizes()
	var p Prediction
	for i, row := range biodegRows(t, 50) {
		h := make([]float64, len(row))
		for j, v := range row {
			h[j] = (v - nm.Scaler.Mean[j]) / nm.Scaler.Scale[j]
		}
		for l := range nm.Params.W {
			in, out := sizes[l], sizes[l+1]
			z := make([]float64, out)
			for o := range z {
				z[o] = float64(nm.Params.B[l][o])
				for k := 0; k < in; k++ {
					z[o] += float64(float32(h[k])) * float64(nm.Params.W[l][k*out+o])
				}
				if l < len(nm.Params.W)-1 {
					z[o] = math.Tanh(z[o])
				}
			}
			h = z
		}
		want := 1 / (1 + math.Exp(-h[0]))
		if err := m.PredictValues(row, &p); err != nil {
			t.Fatal(err)
		}
		if math.Abs(p.Probs[1]-want) > 1e-5*math.Max(want, 1e-3) || math.Abs(p.Probs[0]+p.Probs[1]-1) > 1e-12 {
			t.Fatalf("row %d: P = %v, reference %v", i, p.Probs, want)
		}
		if wantLabel := []string{"NRB", "RB"}[map[bool]int{false: 0, true: 1}[want >= 0.5]]; p.Label != wantLabel && math.Abs(want-0.5) > 1e-5 {
			t.Fatalf("row %d: label %s, reference %s", i, p.Label, wantLabel)
		}
	}
}

// TestBatchEqualsRows checks that a batch longer than a chunk gives the
// numbers single rows give, and that texts by name give the very same.
func TestBatchEqualsRows(t *testing.T) {
	m := load(t, "biodeg")
	rows := biodegRows(t, 2*chunkRows+5)
	batch, err := m.PredictBatch(rows)
	if err != nil {
		t.Fatal(err)
	}
	var p, q Prediction
	for i, row := range rows {
		if err := m.PredictValues(row, &p); err != nil {
			t.Fatal(err)
		}
		named := map[string]string{}
		for j, name := range m.Columns() {
			named[name] = strconv.FormatFloat(row[j], 'g', -1, 64)
		}
		if err := m.Predict(named, &q); err != nil {
			t.Fatal(err)
		}
		// The matrix products of a batch may sum in another order than a
		// single row's: float32 rounding apart, the numbers agree.
		if !agree(p.Probs, batch[i].Probs, 1e-5) || p.Label != batch[i].Label || !slices.Equal(p.Probs, q.Probs) || p.Label != q.Label {
			t.Fatalf("row %d: %+v alone, %+v by name, %+v in a batch", i, p, q, batch[i])
		}
	}
}

// TestPenguinsTextAndValues checks that categories given as texts and the
// same row with the categories missing differ as the one-hot inputs say,
// and that an unseen category is counted.
func TestPenguinsTextAndValues(t *testing.T) {
	m := load(t, "penguins")
	var byText, byValue Prediction
	row := map[string]string{"island": "NA", "bill_length": "39.1", "body_mass": "3750", "sex": "", "extra": "ignored"}
	if err := m.Predict(row, &byText); err != nil {
		t.Fatal(err)
	}
	if err := m.PredictValues([]float64{math.NaN(), 39.1, 3750, math.NaN()}, &byValue); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(byText.Probs, byValue.Probs) || byText.Unseen != 0 {
		t.Fatalf("missing cells: %+v by text, %+v by value", byText, byValue)
	}
	row["island"] = "Atlantis"
	if err := m.Predict(row, &byText); err != nil || byText.Unseen != 1 {
		t.Fatalf("unseen island: %v, %+v", err, byText)
	}
}

func TestBadRows(t *testing.T) {
	m := load(t, "penguins")
	var p Prediction
	for _, c := range []struct {
		row  map[string]string
		want string
	}{
		{map[string]string{"island": "Dream", "bill_length": "39", "sex": "male"}, `row 0, column "body_mass": not in the row`},
		{map[string]string{"island": "Dream", "bill_length": "long", "body_mass": "1", "sex": "male"}, `row 0, column "bill_length": "long" is not a finite number (the column is numeric)`},
		{map[string]string{"island": "Dream", "bill_length": "1e999", "body_mass": "1", "sex": "male"}, `row 0, column "bill_length": "1e999" is not a finite number (the column is numeric)`},
	} {
		if err := m.Predict(c.row, &p); err == nil || err.Error() != c.want {
			t.Errorf("%v: error %v, want %s", c.row, err, c.want)
		}
	}
	if err := m.PredictValues([]float64{1, 2}, &p); err == nil || !strings.Contains(err.Error(), "has 2 values, the model takes 4 columns") {
		t.Errorf("short row: %v", err)
	}
	if _, err := m.PredictBatch([][]float64{{1, 2, 3, 4}, {1, math.Inf(1), 3, 4}}); err == nil || err.Error() != `row 1, column "bill_length": infinite` {
		t.Errorf("infinite cell: %v", err)
	}
	if _, err := Decode([]byte("not a model")); err == nil {
		t.Error("Decode accepted garbage")
	}
}

// TestConcurrentUse predicts from many goroutines at once: every answer
// must equal the sequential one.
func TestConcurrentUse(t *testing.T) {
	m := load(t, "biodeg")
	rows := biodegRows(t, 40)
	want := make([]Prediction, len(rows))
	for i, row := range rows {
		if err := m.PredictValues(row, &want[i]); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p Prediction
			for rep := 0; rep < 20; rep++ {
				for i, row := range rows {
					if err := m.PredictValues(row, &p); err != nil || !slices.Equal(p.Probs, want[i].Probs) {
						errs <- "a concurrent prediction differs"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestNoAllocationsPerRow checks that predicting a numeric row allocates
// nothing once the goroutine's worker exists.
func TestNoAllocationsPerRow(t *testing.T) {
	for _, name := range []string{"biodeg", "penguins"} {
		m := load(t, name)
		row := biodegRows(t, 1)[0][:len(m.Columns())]
		if name == "penguins" {
			row = []float64{math.NaN(), 39.1, 3750, math.NaN()}
		}
		var p Prediction
		if n := testing.AllocsPerRun(200, func() {
			if err := m.PredictValues(row, &p); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per row", name, n)
		}
	}
}

// TestNoAllocationsPerNamedRow checks that a numeric row by column name
// allocates nothing either, once warm.
func TestNoAllocationsPerNamedRow(t *testing.T) {
	m := load(t, "biodeg")
	row := map[string]string{}
	for j, name := range m.Columns() {
		row[name] = strconv.FormatFloat(biodegRows(t, 1)[0][j], 'g', -1, 64)
	}
	var p Prediction
	if n := testing.AllocsPerRun(200, func() {
		if err := m.Predict(row, &p); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per row", n)
	}
}

// BenchmarkPredictValues reports rows/s on one goroutine and the 99th
// percentile of the per-row latency.
func BenchmarkPredictValues(b *testing.B) {
	m := load(b, "biodeg")
	rows := biodegRows(b, 256)
	var p Prediction
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := m.PredictValues(rows[i%len(rows)], &p); err != nil {
			b.Fatal(err)
		}
		lat[i] = time.Since(t0)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Nanoseconds()), "p99-ns/row")
}

// BenchmarkPredictBatch reports rows/s for batches of 1024 rows.
func BenchmarkPredictBatch(b *testing.B) {
	m := load(b, "biodeg")
	rows := biodegRows(b, 1024)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.PredictBatch(rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
}
