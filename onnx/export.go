// Package onnx writes a gputrain model as one ONNX graph holding the whole
// pipeline, so that ONNX Runtime (Python, C++, C#, Java, JavaScript, the
// browser) predicts what "gputrain predict" predicts:
//
//   - the preprocessing fitted at training: missing numbers imputed (and
//     missing indicators), categorical columns one-hot encoded (other and
//     missing slots included), then the standardisation of the inputs;
//   - every layer: Gemm (x·W + b), BatchNormalization in inference form,
//     Tanh, Relu or Sigmoid; dropout is gone at inference;
//   - the outputs: "probabilities" (Sigmoid or Softmax) and "label" (the
//     predicted class name; a binary model applies its saved decision
//     threshold) for classification, "predicted" for regression.
//
// The graph's inputs are "input", a double tensor [N, numeric columns]
// whose NaN cells are missing (when the model has numeric columns; a
// model trained without preprocessing, on complete data, turns a NaN into
// NaN outputs, where predict refuses the row), and, when the model has
// categorical columns, "categorical", a string tensor [N, categorical columns] whose
// cells are the category names ("" or NA for a missing cell). The column
// orders are in the model's metadata ("numeric_columns",
// "categorical_columns") and the inputs' doc strings; the class names in
// "classes".
//
// The graph uses opset 17 of the default domain, and version 1 of
// ai.onnx.ml (OneHotEncoder) when the model has categorical columns.
package onnx

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
	"github.com/gputrain/gputrain/nn/job"
)

// Opset is the version of the default ONNX operator set the graph uses.
const Opset = 17

// irVersion is the ONNX IR version of opset 17.
const irVersion = 8

// Names of the graph's inputs and outputs.
const (
	InputNumeric     = "input"
	InputCategorical = "categorical"
	OutputProbs      = "probabilities"
	OutputLabel      = "label"
	OutputPredicted  = "predicted"
)

// missingTexts are the spellings of a missing categorical cell the graph
// recognises: those data.DefaultNAValues lists, in their usual cases.
var missingTexts = []string{"", "NA", "na", "Na", "N/A", "n/a", "NaN", "nan", "NAN", "null", "NULL", "Null", "?"}

// graph is an ONNX graph being built.
type graph struct {
	nodes, inits, inputs, outputs [][]byte
	values                        [][]byte // value_info: types the checker cannot infer
	names                         int
	ml                            bool // uses the ai.onnx.ml domain
}

// fresh returns a new value name.
func (g *graph) fresh(prefix string) string {
	g.names++
	return fmt.Sprintf("%s_%d", prefix, g.names)
}

// constant adds an initializer and returns its name.
func (g *graph) constant(prefix string, dims []int, values any) string {
	name := g.fresh(prefix)
	g.inits = append(g.inits, tensorProto(name, dims, values))
	return name
}

// opTo adds a node of domain's op writing the value out.
func (g *graph) opTo(out, domain, op string, inputs []string, attrs ...attr) string {
	var n message
	for _, in := range inputs {
		n.str(1, in)
	}
	n.str(2, out)
	n.str(3, out)
	n.str(4, op)
	for _, a := range attrs {
		n.bytes(5, a)
	}
	if domain != "" {
		n.str(7, domain)
	}
	g.nodes = append(g.nodes, n)
	return out
}

// op adds a node of the default domain and returns its output's name.
func (g *graph) op(op string, inputs []string, attrs ...attr) string {
	return g.opTo(g.fresh(strings.ToLower(op)), "", op, inputs, attrs...)
}

// Export returns the bytes of an ONNX model computing m's predictions
// from its raw columns.
func Export(m *job.Model) ([]byte, error) {
	g := &graph{}
	x, numCols, catCols, err := g.preprocess(m)
	if err != nil {
		return nil, err
	}
	logits, err := g.network(m, x)
	if err != nil {
		return nil, err
	}
	g.outputsFor(m, logits)

	var gr message
	for _, n := range g.nodes {
		gr.bytes(1, n)
	}
	gr.str(2, "gputrain")
	for _, t := range g.inits {
		gr.bytes(5, t)
	}
	gr.str(10, "gputrain model: "+m.Arch.String())
	for _, v := range g.inputs {
		gr.bytes(11, v)
	}
	for _, v := range g.outputs {
		gr.bytes(12, v)
	}
	for _, v := range g.values {
		gr.bytes(13, v)
	}

	var mp message
	mp.int(1, irVersion)
	opset := func(domain string, version int64) {
		var o message
		if domain != "" {
			o.str(1, domain)
		}
		o.int(2, version)
		mp.bytes(8, o)
	}
	opset("", Opset)
	if g.ml {
		opset("ai.onnx.ml", 1)
	}
	mp.str(2, "gputrain")
	mp.int(5, 1)
	mp.str(6, fmt.Sprintf("%s model predicting %q from %d columns", m.Task, m.Label, len(numCols)+len(catCols)))
	mp.bytes(7, gr)
	meta := map[string]any{"task": m.Task.String(), "label": m.Label, "numeric_columns": numCols, "categorical_columns": catCols}
	if m.Task != data.TaskRegression {
		meta["classes"] = m.Classes
	}
	if m.Task == data.TaskBinary {
		meta["threshold"] = m.Threshold()
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, ok := meta[k].(string)
		if !ok {
			b, err := json.Marshal(meta[k])
			if err != nil {
				return nil, err
			}
			v = string(b)
		}
		var e message
		e.str(1, k)
		e.str(2, v)
		mp.bytes(14, e)
	}
	return mp, nil
}

// preprocess adds the graph's inputs and the nodes turning them into the
// network's float inputs, and returns those and the column orders of the
// two inputs.
func (g *graph) preprocess(m *job.Model) (x string, numCols, catCols []string, err error) {
	var cols []data.PrepColumn
	if m.Prep != nil {
		cols = m.Prep.Columns
	}
	if cols == nil {
		numCols = m.Features
	}
	for _, c := range cols {
		if c.Kind == data.Numeric {
			numCols = append(numCols, c.Name)
		} else {
			catCols = append(catCols, c.Name)
		}
	}
	if numCols == nil {
		numCols = []string{}
	}
	if catCols == nil {
		catCols = []string{}
	}
	fn := len(numCols)
	var pieces []string // double [N, ·] tensors, concatenated below
	if fn > 0 {
		g.inputs = append(g.inputs, valueInfo(InputNumeric, "the numeric columns, NaN for a missing cell: "+strings.Join(numCols, ", "), typeDouble, "N", fn))
		pieces = append(pieces, InputNumeric)
	}
	if len(catCols) > 0 {
		g.inputs = append(g.inputs, valueInfo(InputCategorical, "the categorical columns' category names, \"\" or NA for a missing cell: "+strings.Join(catCols, ", "), typeString, "N", len(catCols)))
	}
	if cols == nil {
		x = InputNumeric
	} else {
		x, err = g.encodeColumns(cols, pieces)
		if err != nil {
			return "", nil, nil, err
		}
	}
	if s := m.Scaler; s != nil {
		x = g.op("Sub", []string{x, g.constant("mean", []int{len(s.Mean)}, s.Mean)})
		x = g.op("Div", []string{x, g.constant("scale", []int{len(s.Scale)}, s.Scale)})
	}
	return g.op("Cast", []string{x}, intAttr("to", typeFloat)), numCols, catCols, nil
}

// encodeColumns adds the imputation, missing indicators and one-hot
// encoding of the preprocessed columns and returns the double [N, width]
// tensor of their encoded values, in the network's input order.
func (g *graph) encodeColumns(cols []data.PrepColumn, pieces []string) (string, error) {
	var fills []float64
	indicators := false
	for _, c := range cols {
		if c.Kind == data.Numeric {
			fills = append(fills, c.Fill)
			indicators = indicators || c.Indicator
		}
	}
	fn := len(fills)
	if fn > 0 {
		nan := g.op("IsNaN", []string{InputNumeric})
		pieces[0] = g.op("Where", []string{nan, g.constant("fill", []int{fn}, fills), InputNumeric})
		if indicators {
			pieces = append(pieces, g.op("Cast", []string{nan}, intAttr("to", typeDouble)))
		}
	}
	// Where each network input sits in the concatenation of pieces.
	width := 0
	if fn > 0 {
		width = fn
		if indicators {
			width += fn
		}
	}
	var order []int64
	q, ci := 0, 0
	for _, c := range cols {
		if c.Kind == data.Numeric {
			order = append(order, int64(q))
			if c.Indicator {
				order = append(order, int64(fn+q))
			}
			q++
			continue
		}
		enc := g.oneHot(c, ci)
		for k := 0; k < c.Width(); k++ {
			order = append(order, int64(width+k))
		}
		pieces = append(pieces, enc)
		width += c.Width()
		ci++
	}
	all := pieces[0]
	if len(pieces) > 1 {
		all = g.op("Concat", pieces, intAttr("axis", 1))
	}
	identity := len(order) == width
	for i, o := range order {
		identity = identity && o == int64(i)
	}
	if identity {
		return all, nil
	}
	return g.op("Gather", []string{all, g.constant("order", []int{len(order)}, order)}, intAttr("axis", 1)), nil
}

// oneHot adds the encoding of categorical column c, the ci-th column of
// the categorical input: OneHotEncoder over its categories and the
// missing-cell texts, then a matrix product mapping those to the column's
// slots (a category to its own, a missing cell to the imputed category's
// or the missing slot, any other text to the other slot or to nothing).
func (g *graph) oneHot(c data.PrepColumn, ci int) string {
	g.ml = true
	texts := slices.Clone(c.Categories)
	for _, s := range missingTexts {
		if !slices.Contains(c.Categories, s) {
			texts = append(texts, s)
		}
	}
	w := c.Width()
	mat := make([]float64, len(texts)*w)
	bias := make([]float64, w)
	otherSlot := -1
	if c.Other {
		otherSlot = len(c.Categories)
		bias[otherSlot] = 1
	}
	for r := range texts {
		row := mat[r*w : (r+1)*w]
		missing := r >= len(c.Categories)
		slot := -1
		if !missing {
			slot = r
		}
		c.EncodeCategory(row, slot, missing)
		if otherSlot >= 0 {
			// Every listed text is not "other": cancel the bias.
			row[otherSlot] = -1
		}
	}
	col := g.op("Gather", []string{InputCategorical, g.constant("column", []int{1}, []int64{int64(ci)})}, intAttr("axis", 1))
	hot := g.opTo(g.fresh("onehot"), "ai.onnx.ml", "OneHotEncoder", []string{col}, stringsAttr("cats_strings", texts), intAttr("zeros", 1))
	// Older onnx checkers infer no type for OneHotEncoder's output.
	g.values = append(g.values, valueInfo(hot, "", typeFloat, "N", 1, len(texts)))
	hot = g.op("Squeeze", []string{hot, g.constant("axes", []int{1}, []int64{1})})
	hot = g.op("Cast", []string{hot}, intAttr("to", typeDouble))
	enc := g.op("MatMul", []string{hot, g.constant("slots", []int{len(texts), w}, mat)})
	return g.op("Add", []string{enc, g.constant("other", []int{w}, bias)})
}

// network adds the layers and returns the logits.
func (g *graph) network(m *job.Model, x string) (string, error) {
	sizes := m.Arch.Sizes()
	p := m.Params
	for l := range p.W {
		in, out := sizes[l], sizes[l+1]
		x = g.op("Gemm", []string{x, g.constant("weight", []int{in, out}, p.W[l]), g.constant("bias", []int{out}, p.B[l])})
		if l == len(p.W)-1 {
			break
		}
		if m.Arch.BatchNorm {
			x = g.op("BatchNormalization", []string{x,
				g.constant("bn_scale", []int{out}, p.Gamma[l]), g.constant("bn_bias", []int{out}, p.Beta[l]),
				g.constant("bn_mean", []int{out}, p.RunMean[l]), g.constant("bn_var", []int{out}, p.RunVar[l])},
				floatAttr("epsilon", nn.BatchNormEps))
		}
		switch m.Arch.Activation {
		case device.Tanh:
			x = g.op("Tanh", []string{x})
		case device.ReLU:
			x = g.op("Relu", []string{x})
		case device.Sigmoid:
			x = g.op("Sigmoid", []string{x})
		case device.ELU:
			// ONNX's default alpha, 1, is the activation's fixed α.
			x = g.op("Elu", []string{x})
		case device.Identity:
		default:
			return "", fmt.Errorf("the activation %s has no ONNX form here", m.Arch.Activation)
		}
	}
	return x, nil
}

// outputsFor adds the outputs computed from the logits.
func (g *graph) outputsFor(m *job.Model, logits string) {
	k := m.Arch.Outputs
	// The probabilities are computed in double, as predict computes them:
	// ONNX Runtime's float Sigmoid approximates to about 1e-8 absolute,
	// which is a large error on a small probability.
	z := g.op("Cast", []string{logits}, intAttr("to", typeDouble))
	switch m.Task {
	case data.TaskBinary:
		p1 := g.op("Sigmoid", []string{z})
		// 1 − p loses the precision of small probabilities; σ(−z) keeps it.
		p0 := g.op("Sigmoid", []string{g.op("Neg", []string{z})})
		g.opTo(OutputProbs, "", "Cast", []string{g.op("Concat", []string{p0, p1}, intAttr("axis", 1))}, intAttr("to", typeFloat))
		// p ≥ t exactly when z ≥ logit(t), compared in double as predict does.
		t := m.Threshold()
		second := g.op("GreaterOrEqual", []string{z, g.constant("threshold_logit", nil, []float64{math.Log(t / (1 - t))})})
		idx := g.op("Cast", []string{second}, intAttr("to", typeInt64))
		idx = g.op("Reshape", []string{idx, g.constant("shape", []int{1}, []int64{-1})})
		g.opTo(OutputLabel, "", "Gather", []string{g.constant("classes", []int{2}, m.Classes), idx}, intAttr("axis", 0))
		g.outputs = append(g.outputs, valueInfo(OutputProbs, "the probability of each class: "+strings.Join(m.Classes, ", "), typeFloat, "N", 2))
		g.outputs = append(g.outputs, valueInfo(OutputLabel, "the predicted class", typeString, "N"))
	case data.TaskMulticlass:
		probs := g.op("Softmax", []string{z}, intAttr("axis", 1))
		g.opTo(OutputProbs, "", "Cast", []string{probs}, intAttr("to", typeFloat))
		idx := g.op("ArgMax", []string{logits}, intAttr("axis", 1), intAttr("keepdims", 0))
		g.opTo(OutputLabel, "", "Gather", []string{g.constant("classes", []int{k}, m.Classes), idx}, intAttr("axis", 0))
		g.outputs = append(g.outputs, valueInfo(OutputProbs, "the probability of each class: "+strings.Join(m.Classes, ", "), typeFloat, "N", k))
		g.outputs = append(g.outputs, valueInfo(OutputLabel, "the predicted class", typeString, "N"))
	default:
		g.opTo(OutputPredicted, "", "Identity", []string{logits})
		g.outputs = append(g.outputs, valueInfo(OutputPredicted, "the predicted "+strconv.Quote(m.Label), typeFloat, "N", k))
	}
}
