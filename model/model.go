// Package model applies a model trained by gputrain inside a Go program:
// load the file "gputrain train --out" wrote, then predict one row or a
// batch of rows, in process, on the CPU, in pure Go.
//
// # Loading
//
// Load reads a model file; Read takes an io.Reader and Decode the bytes
// (for a model embedded with go:embed). A Model is immutable and safe for
// concurrent use by any number of goroutines.
//
// # Inputs
//
// A row holds the raw columns the model was trained on, before any
// preprocessing: Columns lists them in training order. The model applies
// what training fitted and saved in the file, exactly as "gputrain predict"
// does: missing-value imputation (and missing indicators), one-hot encoding
// of categorical columns, then the standardisation of the inputs.
//
//   - PredictValues takes a row as numbers in Columns order, NaN for a
//     missing cell; a categorical column takes its category's numeric code
//     (categories that are not numbers need Predict). Once the model has
//     served as many concurrent calls as it will ever have (it keeps one
//     network and its buffers per concurrent caller), a call allocates
//     nothing.
//   - Predict takes a row by column name, as the texts a CSV file holds:
//     numbers, category names, and "", "NA", "N/A", "NaN", "null" or "?"
//     for a missing cell. Names the model does not use are ignored.
//   - PredictBatch takes many rows as numbers, in Columns order, and runs
//     the network over them in chunks.
//
// # Outputs
//
// A Prediction holds, for a classification model, the probability of
// every class (in the order of Classes) and the predicted class: for a
// binary model the second class when its probability reaches the decision
// threshold saved at training (0.5 unless train chose another), else the
// most probable class. For a regression model it holds the predicted
// values. The numbers are those "gputrain predict" writes: the same code
// computes them (the matrix products of a batch may sum in another order
// than a single row's, which changes the last bits of a float32).
//
// A category the training rows did not have is encoded as all zeros, as
// predict does; Prediction.Unseen counts such cells.
//
// # Performance
//
// "go test -bench . ./model/" reports rows/s on one goroutine and the
// 99th-percentile latency of a row (p99-ns/row); biodeg's 41 → 20 → 1
// network predicts about a million rows/s on one core.
package model

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
	"github.com/gputrain/gputrain/nn/job"
)

// chunkRows is the most rows a worker pushes through the network at once.
const chunkRows = 64

// Model is a trained model ready to predict. It is safe for concurrent
// use.
type Model struct {
	m         *job.Model
	columns   []string
	index     map[string]int    // column name → position in columns
	textSlot  []map[string]int  // categorical columns: category → one-hot slot
	numSlot   []map[float64]int // categorical columns: numeric category → slot
	prep      []data.PrepColumn // nil: the columns are the inputs
	threshold float64
	mu        sync.Mutex
	free      []*worker // idle workers, reused so that a row allocates nothing
}

// Prediction is the model's answer for one row. Reuse one across calls to
// predict without allocating.
type Prediction struct {
	// Probs holds the probability of each class, in the order of Classes
	// (classification); nil for regression.
	Probs []float64
	// Class is the index in Classes of the predicted class, -1 for
	// regression.
	Class int
	// Label is the predicted class's name, "" for regression.
	Label string
	// Values holds the predicted values (regression); nil for
	// classification.
	Values []float64
	// Unseen counts the row's categorical cells whose category the
	// training rows did not have (encoded as all zeros).
	Unseen int
}

// Load reads a model file written by "gputrain train --out".
func Load(path string) (*Model, error) {
	m, err := job.LoadModel(path)
	if err != nil {
		return nil, err
	}
	return newModel(m)
}

// Read reads a model file's bytes from r.
func Read(r io.Reader) (*Model, error) {
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("reading the model: %w", err)
	}
	return Decode(b.Bytes())
}

// Decode reads a model from the bytes of a model file (for instance one
// embedded with go:embed).
func Decode(b []byte) (*Model, error) {
	m, err := job.DecodeModel(b)
	if err != nil {
		return nil, err
	}
	return newModel(m)
}

func newModel(m *job.Model) (*Model, error) {
	if err := m.CheckFinite(); err != nil {
		return nil, err
	}
	md := &Model{m: m, columns: m.Features, threshold: m.Threshold()}
	if m.Prep != nil {
		md.columns = m.Prep.RawNames()
		md.prep = m.Prep.Columns
		md.textSlot = make([]map[string]int, len(md.prep))
		md.numSlot = make([]map[float64]int, len(md.prep))
		for j, c := range md.prep {
			if c.Kind != data.Categorical {
				continue
			}
			md.textSlot[j], md.numSlot[j] = map[string]int{}, map[float64]int{}
			for k, s := range c.Categories {
				md.textSlot[j][s] = k
				if v, ok, finite := data.ParseNumber(s); ok && finite {
					md.numSlot[j][v] = k
				}
			}
		}
	}
	md.index = make(map[string]int, len(md.columns))
	for j, name := range md.columns {
		md.index[name] = j
	}
	// A first worker now, so that a broken model fails here, not later.
	w, err := md.newWorker()
	if err != nil {
		return nil, err
	}
	md.free = append(md.free, w)
	return md, nil
}

// Columns lists the raw columns a row holds, in training order.
func (m *Model) Columns() []string { return append([]string(nil), m.columns...) }

// Task is "binary", "multiclass" or "regression".
func (m *Model) Task() string { return m.m.Task.String() }

// Classes lists the class names (classification), in the order of
// Prediction.Probs; nil for regression.
func (m *Model) Classes() []string { return append([]string(nil), m.m.Classes...) }

// Label is the name of the column the model predicts.
func (m *Model) Label() string { return m.m.Label }

// Threshold is a binary model's decision threshold on the probability of
// the second class.
func (m *Model) Threshold() float64 { return m.threshold }

// worker holds one goroutine's network and buffers.
type worker struct {
	net     *nn.Network
	scratch device.Buffer
	in      []float64 // one row's network inputs
	x       []float32 // chunkRows rows of network inputs
	logits  []float32
	prob    []float64
}

func (m *Model) newWorker() (*worker, error) {
	a := m.m.Arch
	dev := cpu.New()
	net, err := nn.NewNetwork(dev, a, m.m.Params, chunkRows, 0)
	if err != nil {
		return nil, err
	}
	scratch, err := dev.Alloc(chunkRows * a.Inputs)
	if err != nil {
		return nil, err
	}
	return &worker{net: net, scratch: scratch, in: make([]float64, a.Inputs), x: make([]float32, chunkRows*a.Inputs),
		logits: make([]float32, chunkRows*a.Outputs), prob: make([]float64, chunkRows*a.Outputs)}, nil
}

// get takes an idle worker, or makes one.
func (m *Model) get() (*worker, error) {
	m.mu.Lock()
	if n := len(m.free); n > 0 {
		w := m.free[n-1]
		m.free = m.free[:n-1]
		m.mu.Unlock()
		return w, nil
	}
	m.mu.Unlock()
	return m.newWorker()
}

func (m *Model) put(w *worker) {
	m.mu.Lock()
	m.free = append(m.free, w)
	m.mu.Unlock()
}

// RowError is a problem with one input row: the row's index in a batch
// (0 for a single row) and the column.
type RowError struct {
	Row    int
	Column string
	Msg    string
}

func (e *RowError) Error() string {
	return fmt.Sprintf("row %d, column %q: %s", e.Row, e.Column, e.Msg)
}

// encode writes the network inputs of one row of raw values (NaN:
// missing) into in and returns the number of unseen categories.
func (m *Model) encode(in []float64, values []float64, row int) (int, error) {
	if len(values) != len(m.columns) {
		return 0, fmt.Errorf("row %d has %d values, the model takes %d columns (see Columns)", row, len(values), len(m.columns))
	}
	unseen := 0
	if m.prep == nil {
		for j, v := range values {
			if math.IsNaN(v) {
				return 0, &RowError{row, m.columns[j], "missing, and the model was trained without preprocessing for missing cells"}
			}
			in[j] = v
		}
	} else {
		o := 0
		for j := range m.prep {
			c, v := &m.prep[j], values[j]
			if c.Kind == data.Numeric {
				c.EncodeNumber(in[o:], v)
			} else {
				slot, ok := m.numSlot[j][v]
				if !ok {
					slot = -1
				}
				if !c.EncodeCategory(in[o:], slot, math.IsNaN(v)) {
					unseen++
				}
			}
			o += c.Width()
		}
	}
	return unseen, m.finish(in, values, row)
}

// finish checks the values are finite and standardises the inputs.
func (m *Model) finish(in []float64, values []float64, row int) error {
	for j, v := range values {
		if math.IsInf(v, 0) {
			return &RowError{row, m.columns[j], "infinite"}
		}
	}
	if s := m.m.Scaler; s != nil {
		s.StandardizeRow(in)
	}
	return nil
}

// PredictValues predicts one row given as numbers in Columns order (NaN:
// a missing cell; a categorical column takes its category's numeric
// code) into p. After warm-up it allocates nothing.
func (m *Model) PredictValues(values []float64, p *Prediction) error {
	w, err := m.get()
	if err != nil {
		return err
	}
	defer m.put(w)
	unseen, err := m.encode(w.in, values, 0)
	if err != nil {
		return err
	}
	m.toFloat32(w, 0)
	return m.run(w, 1, []*Prediction{p}, []int{unseen})
}

// Predict predicts one row given by column name as the texts of a CSV
// file's cells into p. Every column of Columns must be present; others
// are ignored.
func (m *Model) Predict(row map[string]string, p *Prediction) error {
	w, err := m.get()
	if err != nil {
		return err
	}
	defer m.put(w)
	unseen, err := m.encodeText(w, row)
	if err != nil {
		return err
	}
	m.toFloat32(w, 0)
	return m.run(w, 1, []*Prediction{p}, []int{unseen})
}

// encodeText writes the network inputs of a row of texts by name into
// w.in and returns the number of unseen categories.
func (m *Model) encodeText(w *worker, row map[string]string) (int, error) {
	unseen, o := 0, 0
	for j, name := range m.columns {
		text, ok := row[name]
		if !ok {
			return 0, &RowError{0, name, "not in the row"}
		}
		missing := data.IsDefaultNA(text)
		if m.prep != nil && m.prep[j].Kind == data.Categorical {
			c := &m.prep[j]
			slot := -1
			if !missing {
				if k, ok := m.textSlot[j][data.CategoryKey(text)]; ok {
					slot = k
				}
			}
			if !c.EncodeCategory(w.in[o:], slot, missing) {
				unseen++
			}
			o += c.Width()
			continue
		}
		v := math.NaN()
		if !missing {
			x, ok, finite := data.ParseNumber(text)
			if !ok || !finite {
				return 0, &RowError{0, name, fmt.Sprintf("%q is not a finite number (the column is numeric)", text)}
			}
			v = x
		}
		if m.prep == nil {
			if missing {
				return 0, &RowError{0, name, "missing, and the model was trained without preprocessing for missing cells"}
			}
			w.in[o] = v
			o++
			continue
		}
		m.prep[j].EncodeNumber(w.in[o:], v)
		o += m.prep[j].Width()
	}
	return unseen, m.finish(w.in, nil, 0)
}

// PredictBatch predicts rows given as numbers in Columns order (see
// PredictValues).
func (m *Model) PredictBatch(rows [][]float64) ([]Prediction, error) {
	w, err := m.get()
	if err != nil {
		return nil, err
	}
	defer m.put(w)
	out := make([]Prediction, len(rows))
	ps := make([]*Prediction, chunkRows)
	unseen := make([]int, chunkRows)
	for off := 0; off < len(rows); off += chunkRows {
		n := min(chunkRows, len(rows)-off)
		for i := 0; i < n; i++ {
			ps[i] = &out[off+i]
			if unseen[i], err = m.encode(w.in, rows[off+i], off+i); err != nil {
				return nil, err
			}
			m.toFloat32(w, i)
		}
		if err := m.run(w, n, ps[:n], unseen[:n]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// toFloat32 copies w.in into row i of w.x.
func (m *Model) toFloat32(w *worker, i int) {
	d := len(w.in)
	for c, v := range w.in {
		w.x[i*d+c] = float32(v)
	}
}

// run computes the first rows rows of w.x and fills ps.
func (m *Model) run(w *worker, rows int, ps []*Prediction, unseen []int) error {
	k := m.m.Arch.Outputs
	if err := w.net.LogitsTo(w.logits[:rows*k], w.scratch, w.x[:rows*len(w.in)], rows); err != nil {
		return err
	}
	nn.ProbabilitiesTo(w.prob[:rows*k], m.m.Arch.Loss, w.logits[:rows*k], k)
	for r, p := range ps {
		prob := w.prob[r*k : (r+1)*k]
		p.Unseen = unseen[r]
		p.Class = m.m.Decide(prob, m.threshold)
		if p.Class < 0 {
			p.Probs, p.Label = p.Probs[:0], ""
			p.Values = append(p.Values[:0], prob...)
			continue
		}
		p.Values, p.Label = p.Values[:0], m.m.Classes[p.Class]
		if m.m.Task == data.TaskBinary {
			p.Probs = append(p.Probs[:0], 1-prob[0], prob[0])
		} else {
			p.Probs = append(p.Probs[:0], prob...)
		}
	}
	return nil
}
