package data

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Task is the kind of prediction a model makes; it decides how labels are
// encoded.
type Task int

const (
	// TaskAuto picks the task from the labels (see Encode).
	TaskAuto Task = iota
	// TaskBinary is classification into exactly two classes.
	TaskBinary
	// TaskMulticlass is classification into two or more classes.
	TaskMulticlass
	// TaskRegression predicts a real number.
	TaskRegression
)

// String returns "auto", "binary", "multiclass" or "regression".
func (t Task) String() string {
	switch t {
	case TaskAuto:
		return "auto"
	case TaskBinary:
		return "binary"
	case TaskMulticlass:
		return "multiclass"
	case TaskRegression:
		return "regression"
	}
	return fmt.Sprintf("Task(%d)", int(t))
}

// ParseTask parses "auto", "binary", "multiclass" or "regression" (any case,
// surrounding spaces ignored).
func ParseTask(s string) (Task, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto":
		return TaskAuto, nil
	case "binary":
		return TaskBinary, nil
	case "multiclass":
		return TaskMulticlass, nil
	case "regression":
		return TaskRegression, nil
	}
	return TaskAuto, fmt.Errorf("unknown task %q (want auto, binary, multiclass or regression)", s)
}

// maxAutoClasses is the most distinct integer labels TaskAuto still treats
// as classes.
const maxAutoClasses = 20

// Encode turns d's raw labels into training targets.
//
// Classification: the classes are the distinct label values, sorted
// numerically when every label is a number (labels equal as numbers, such
// as "1" and "1.0", are one class, named by its first spelling) and
// lexically otherwise; y[i] is the index of row i's class.
// Regression: y[i] is the label parsed as a number and classes is nil.
//
// TaskAuto resolves to regression when every label is a number and there
// are more than 20 distinct values or any non-integer value; otherwise to
// binary for two classes and multiclass for more. The task actually used is
// returned as resolved.
//
// Errors (as *Error, naming the label cell's file:line:column where one
// cell is at fault): an empty label; a label that parses as NaN or ±Inf; a
// non-numeric label for regression; fewer than two classes for
// classification; other than two classes for TaskBinary.
func Encode(d *Dataset, task Task) (y []float64, classes []string, resolved Task, err error) {
	n := len(d.Labels)
	if n == 0 {
		return nil, nil, task, d.labelsError("the data set has no labels")
	}
	nums, firstText, err := d.parseLabels()
	if err != nil {
		return nil, nil, task, err
	}
	allNum := firstText < 0

	switch task {
	case TaskRegression:
		if !allNum {
			return nil, nil, task, d.notNumericLabel(firstText)
		}
		return nums, nil, TaskRegression, nil
	case TaskAuto:
		if allNum {
			distinct := make(map[float64]struct{})
			nonInt := false
			for _, v := range nums {
				distinct[v] = struct{}{}
				if v != math.Trunc(v) {
					nonInt = true
				}
			}
			if nonInt || len(distinct) > maxAutoClasses {
				return nums, nil, TaskRegression, nil
			}
		}
	case TaskBinary, TaskMulticlass:
	default:
		return nil, nil, task, fmt.Errorf("data: unknown task %d", int(task))
	}

	y = make([]float64, n)
	if allNum {
		first := make(map[float64]string)
		var values []float64
		for i, v := range nums {
			if _, ok := first[v]; !ok {
				first[v] = d.Labels[i]
				values = append(values, v)
			}
		}
		sort.Float64s(values)
		pos := make(map[float64]int, len(values))
		for k, v := range values {
			pos[v] = k
			classes = append(classes, first[v])
		}
		for i, v := range nums {
			y[i] = float64(pos[v])
		}
	} else {
		pos := make(map[string]int)
		for _, s := range d.Labels {
			if _, ok := pos[s]; !ok {
				pos[s] = 0
				classes = append(classes, s)
			}
		}
		sort.Strings(classes)
		for k, s := range classes {
			pos[s] = k
		}
		for i, s := range d.Labels {
			y[i] = float64(pos[s])
		}
	}

	k := len(classes)
	if k < 2 {
		return nil, nil, task, d.labelsError(fmt.Sprintf(
			"label column %s has only one class (%s): a classifier needs at least two",
			quoteCell(d.LabelName), quoteCell(classes[0])))
	}
	switch task {
	case TaskBinary:
		if k != 2 {
			return nil, nil, task, d.labelsError(fmt.Sprintf(
				"label column %s has %d classes (%s): binary classification needs exactly two",
				quoteCell(d.LabelName), k, classList(classes, 10)))
		}
		resolved = TaskBinary
	case TaskMulticlass:
		resolved = TaskMulticlass
	default:
		resolved = TaskMulticlass
		if k == 2 {
			resolved = TaskBinary
		}
	}
	return y, classes, resolved, nil
}

// EncodeWith encodes d's labels with a known class list (from a saved
// model): y[i] is the index in classes of row i's label, matched by text or,
// when both are numbers, by value. For TaskRegression (or TaskAuto with
// classes nil) the labels are parsed as numbers. An unknown, empty or
// non-numeric (for regression) label is an *Error naming its
// file:line:column.
func EncodeWith(d *Dataset, classes []string, task Task) ([]float64, error) {
	n := len(d.Labels)
	if n == 0 {
		return nil, d.labelsError("the data set has no labels")
	}
	nums, firstText, err := d.parseLabels()
	if err != nil {
		return nil, err
	}
	if task == TaskRegression || (task == TaskAuto && classes == nil) {
		if firstText >= 0 {
			return nil, d.notNumericLabel(firstText)
		}
		return nums, nil
	}
	if len(classes) == 0 {
		return nil, d.labelsError("no classes given to encode the labels with")
	}
	byText := make(map[string]int, len(classes))
	byValue := make(map[float64]int, len(classes))
	for k := len(classes) - 1; k >= 0; k-- { // first occurrence wins
		c := strings.TrimSpace(classes[k])
		byText[c] = k
		if v, ok, finite := parseNumber(c); ok && finite {
			byValue[v] = k
		}
	}
	y := make([]float64, n)
	for i, s := range d.Labels {
		k, ok := byText[s]
		if !ok {
			if v, isNum, finite := parseNumber(s); isNum && finite {
				k, ok = byValue[v]
			}
		}
		if !ok {
			return nil, d.labelError(i, fmt.Sprintf("label %s is not one of the model's classes (%s)",
				quoteCell(s), classList(classes, 10)))
		}
		y[i] = float64(k)
	}
	return y, nil
}

// parseLabels checks every label for emptiness and non-finite numbers and
// parses the numeric ones. firstText is the index of the first label that
// is not a number, or -1 when all are.
func (d *Dataset) parseLabels() (nums []float64, firstText int, err error) {
	nums = make([]float64, len(d.Labels))
	firstText = -1
	for i, s := range d.Labels {
		if s == "" {
			return nil, 0, d.labelError(i, "label is empty")
		}
		v, ok, finite := parseNumber(s)
		switch {
		case !ok:
			if firstText < 0 {
				firstText = i
			}
		case !finite:
			return nil, 0, d.labelError(i, fmt.Sprintf("label %s is not a finite number", quoteCell(s)))
		default:
			nums[i] = v
		}
	}
	return nums, firstText, nil
}

func (d *Dataset) notNumericLabel(i int) error {
	return d.labelError(i, fmt.Sprintf("label %s in column %s is not a number (regression needs numeric labels)",
		quoteCell(d.Labels[i]), quoteCell(d.LabelName)))
}

// labelError locates a problem with label i.
func (d *Dataset) labelError(i int, msg string) error {
	if i < len(d.labelAt) {
		return &Error{File: d.labelFile, Line: d.labelAt[i].line, Col: d.labelAt[i].col, Msg: msg}
	}
	return &Error{File: d.labelFile, Msg: fmt.Sprintf("row %d: %s", i+1, msg)}
}

// labelsError reports a problem with the label column as a whole.
func (d *Dataset) labelsError(msg string) error {
	file := d.labelFile
	if file == "" {
		file = d.Source
	}
	return &Error{File: file, Msg: msg}
}

// classList formats up to max class names, quoted, for a message.
func classList(classes []string, max int) string {
	var b strings.Builder
	for k, c := range classes {
		if k == max {
			fmt.Fprintf(&b, ", ... (%d in all)", len(classes))
			break
		}
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteCell(c))
	}
	return b.String()
}

// formatValue formats a class value for a message.
func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
