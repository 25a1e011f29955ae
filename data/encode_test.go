package data

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// labelled builds a one-feature data set whose label column is "experimental_class".
func labelled(t *testing.T, labels ...string) *Dataset {
	t.Helper()
	var b strings.Builder
	b.WriteString("f,experimental_class\n")
	for i, l := range labels {
		fmt.Fprintf(&b, "%d,%s\n", i, l)
	}
	return single(t, b.String(), "", Options{})
}

func TestTaskStrings(t *testing.T) {
	for _, task := range []Task{TaskAuto, TaskBinary, TaskMulticlass, TaskRegression} {
		got, err := ParseTask(" " + strings.ToUpper(task.String()) + " ")
		if err != nil || got != task {
			t.Errorf("ParseTask(%q) = %v, %v", task.String(), got, err)
		}
	}
	if _, err := ParseTask("clustering"); err == nil {
		t.Error("ParseTask accepted clustering")
	}
}

func TestEncodeAuto(t *testing.T) {
	cases := []struct {
		labels  []string
		task    Task
		classes []string
		y       []float64
	}{
		{[]string{"RB", "NRB", "RB"}, TaskBinary, []string{"NRB", "RB"}, []float64{1, 0, 1}},
		{[]string{"1", "0", "1"}, TaskBinary, []string{"0", "1"}, []float64{1, 0, 1}},
		{[]string{"10", "9", "2", "10"}, TaskMulticlass, []string{"2", "9", "10"}, []float64{2, 1, 0, 2}},
		{[]string{"1", "1.0", "2"}, TaskBinary, []string{"1", "2"}, []float64{0, 0, 1}},
		{[]string{"b", "c", "a", "10"}, TaskMulticlass, []string{"10", "a", "b", "c"}, []float64{2, 3, 1, 0}},
		{[]string{"0.5", "1", "2"}, TaskRegression, nil, []float64{0.5, 1, 2}},
		{[]string{"-1", "1"}, TaskBinary, []string{"-1", "1"}, []float64{0, 1}},
	}
	for _, c := range cases {
		d := labelled(t, c.labels...)
		y, classes, task, err := Encode(d, TaskAuto)
		if err != nil {
			t.Errorf("%v: %v", c.labels, err)
			continue
		}
		if task != c.task || !reflect.DeepEqual(classes, c.classes) || !reflect.DeepEqual(y, c.y) {
			t.Errorf("%v: %v %v %v; want %v %v %v", c.labels, task, classes, y, c.task, c.classes, c.y)
		}
	}
	// More than 20 distinct integers → regression; 20 → multiclass.
	var many []string
	for i := 0; i < 21; i++ {
		many = append(many, fmt.Sprint(i))
	}
	if _, _, task, _ := Encode(labelled(t, many...), TaskAuto); task != TaskRegression {
		t.Errorf("21 integers: %v", task)
	}
	if _, _, task, _ := Encode(labelled(t, many[:20]...), TaskAuto); task != TaskMulticlass {
		t.Errorf("20 integers: %v", task)
	}
}

func TestEncodeExplicit(t *testing.T) {
	d := labelled(t, "1", "0", "1", "2")
	if _, _, task, err := Encode(d, TaskMulticlass); err != nil || task != TaskMulticlass {
		t.Errorf("multiclass: %v %v", task, err)
	}
	y, classes, task, err := Encode(d, TaskRegression)
	if err != nil || task != TaskRegression || classes != nil || !reflect.DeepEqual(y, []float64{1, 0, 1, 2}) {
		t.Errorf("regression: %v %v %v %v", y, classes, task, err)
	}
	checkErr(t, func() error { _, _, _, err := Encode(d, TaskBinary); return err }(),
		`x.csv: label column "experimental_class" has 3 classes ("0", "1", "2"): binary classification needs exactly two`)
	d2 := labelled(t, "a", "b")
	if _, _, task, err := Encode(d2, TaskMulticlass); err != nil || task != TaskMulticlass {
		t.Errorf("two-class multiclass: %v %v", task, err)
	}
}

func TestEncodeErrors(t *testing.T) {
	enc := func(task Task, labels ...string) error {
		_, _, _, err := Encode(labelled(t, labels...), task)
		return err
	}
	one := `x.csv: label column "experimental_class" has only one class ("1"): a classifier needs at least two`
	checkErr(t, enc(TaskAuto, "1", "1", "1"), one)
	checkErr(t, enc(TaskBinary, "1", "1"), one)
	checkErr(t, enc(TaskMulticlass, "1", "1"), one)
	checkErr(t, enc(TaskRegression, "1", "abc", "2"),
		`x.csv:3:2: label "abc" in column "experimental_class" is not a number (regression needs numeric labels)`)
	checkErr(t, enc(TaskRegression, "1", "-inf"), `x.csv:3:2: label "-inf" is not a finite number`)

	// The biodeg_y.csv case: a one-class subset.
	xy, err := LoadXY("biodeg/biodeg_X.csv", "biodeg/biodeg_y.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, err = Encode(xy.Subset([]int{0, 1, 2}), TaskBinary)
	checkErr(t, err, `biodeg/biodeg_y.csv: label column "experimental_class" has only one class ("1"): a classifier needs at least two`)
}

func TestEncodeWith(t *testing.T) {
	d := labelled(t, "RB", "NRB", "RB")
	y, err := EncodeWith(d, []string{"NRB", "RB"}, TaskBinary)
	if err != nil || !reflect.DeepEqual(y, []float64{1, 0, 1}) {
		t.Errorf("%v %v", y, err)
	}
	// The class order of the model rules, not the sort order.
	y, err = EncodeWith(d, []string{"RB", "NRB"}, TaskBinary)
	if err != nil || !reflect.DeepEqual(y, []float64{0, 1, 0}) {
		t.Errorf("%v %v", y, err)
	}
	_, err = EncodeWith(d, []string{"NRB", "XB"}, TaskBinary)
	checkErr(t, err, `x.csv:2:2: label "RB" is not one of the model's classes ("NRB", "XB")`)
	// Numeric labels match by value.
	y, err = EncodeWith(labelled(t, "1.0", "0", "2"), []string{"0", "1", "2"}, TaskMulticlass)
	if err != nil || !reflect.DeepEqual(y, []float64{1, 0, 2}) {
		t.Errorf("numeric: %v %v", y, err)
	}
	// Regression.
	y, err = EncodeWith(labelled(t, "1.5", "2"), nil, TaskAuto)
	if err != nil || !reflect.DeepEqual(y, []float64{1.5, 2}) {
		t.Errorf("regression: %v %v", y, err)
	}
	_, err = EncodeWith(labelled(t, "1.5", "x"), nil, TaskRegression)
	checkErr(t, err, `x.csv:3:2: label "x" in column "experimental_class" is not a number (regression needs numeric labels)`)
	_, err = EncodeWith(d, nil, TaskBinary)
	checkErr(t, err, "x.csv: no classes given to encode the labels with")
	// Without locations (in-memory data) the row is named instead.
	m, _ := FromRows([][]float64{{1}, {2}}, []string{"a", "z"})
	_, err = EncodeWith(m, []string{"a", "b"}, TaskBinary)
	checkErr(t, err, `row 2: label "z" is not one of the model's classes ("a", "b")`)
}
