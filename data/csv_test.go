package data

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func single(t *testing.T, text, label string, opt Options) *Dataset {
	t.Helper()
	d, err := ParseSingle(strings.NewReader(text), "x.csv", label, opt)
	if err != nil {
		t.Fatalf("ParseSingle: %v", err)
	}
	checkConsistent(t, d)
	return d
}

// checkConsistent checks the invariants every loaded data set keeps.
func checkConsistent(t testing.TB, d *Dataset) {
	t.Helper()
	n, c := d.Rows(), d.Cols()
	if n < 1 || c < 1 || d.X == nil {
		t.Fatalf("empty data set %d×%d", n, c)
	}
	if s := d.X.Shape(); len(s) != 2 || s[0] != n || s[1] != c {
		t.Fatalf("X shape %v, Rows %d, Cols %d", s, n, c)
	}
	if v := d.values(); len(v) != n*c {
		t.Fatalf("backing has %d values, want %d", len(v), n*c)
	}
	if len(d.FeatureNames) != c {
		t.Fatalf("%d feature names for %d columns", len(d.FeatureNames), c)
	}
	if d.Labels != nil && (len(d.Labels) != n || (d.labelAt != nil && len(d.labelAt) != n)) {
		t.Fatalf("%d labels, %d label positions, %d rows", len(d.Labels), len(d.labelAt), n)
	}
}

func rows(d *Dataset) [][]float64 {
	var out [][]float64
	for i := 0; i < d.Rows(); i++ {
		out = append(out, append([]float64(nil), d.Row(i)...))
	}
	return out
}

func TestParseSingleBasic(t *testing.T) {
	d := single(t, "a,b,class\n1,2,x\n3,4.5,y\n", "", Options{})
	if !reflect.DeepEqual(rows(d), [][]float64{{1, 2}, {3, 4.5}}) {
		t.Fatalf("rows %v", rows(d))
	}
	if !reflect.DeepEqual(d.FeatureNames, []string{"a", "b"}) || d.LabelName != "class" {
		t.Fatalf("names %v label %q", d.FeatureNames, d.LabelName)
	}
	if !reflect.DeepEqual(d.Labels, []string{"x", "y"}) || d.Source != "x.csv" {
		t.Fatalf("labels %v source %q", d.Labels, d.Source)
	}
	if d.labelAt[1] != (cellPos{line: 3, col: 3}) || d.labelFile != "x.csv" {
		t.Fatalf("label position %+v in %q", d.labelAt[1], d.labelFile)
	}
}

func TestParseSingleLabelChoice(t *testing.T) {
	text := "Alpha,Target,gamma\n1,10,2\n3,30,4\n"
	for _, label := range []string{"Target", "target", " TARGET ", "2"} {
		d := single(t, text, label, Options{})
		if d.LabelName != "Target" || !reflect.DeepEqual(d.Labels, []string{"10", "30"}) ||
			!reflect.DeepEqual(d.FeatureNames, []string{"Alpha", "gamma"}) {
			t.Errorf("label %q: got label %q %v, features %v", label, d.LabelName, d.Labels, d.FeatureNames)
		}
		if d.labelAt[0].col != 2 {
			t.Errorf("label column position %d", d.labelAt[0].col)
		}
	}
	// Exact match wins over a case-insensitive one.
	d := single(t, "y,Y,z\n1,2,3\n4,5,6\n", "Y", Options{})
	if !reflect.DeepEqual(d.Labels, []string{"2", "5"}) {
		t.Errorf("exact match: labels %v", d.Labels)
	}
	// A numeric label column without a header.
	d = single(t, "1,10,2\n3,30,4\n", "2", Options{})
	if !reflect.DeepEqual(d.Labels, []string{"10", "30"}) || d.LabelName != "y" ||
		!reflect.DeepEqual(d.FeatureNames, []string{"x1", "x2"}) || d.Rows() != 2 {
		t.Errorf("no header: %v %q %v", d.Labels, d.LabelName, d.FeatureNames)
	}
}

func TestHeaderDetection(t *testing.T) {
	cases := []struct {
		name, text string
		opt        Options
		rows       int
		names      []string
	}{
		{"numeric no header", "1,2,3\n4,5,6\n", Options{}, 2, []string{"x1", "x2"}},
		{"names", "a,b,c\n4,5,6\n", Options{}, 1, []string{"a", "b"}},
		{"numeric names forced", "1,2,3\n4,5,6\n", Options{Header: HeaderYes}, 1, []string{"1", "2"}},
		{"text label data", "1,2,RB\n4,5,NRB\n7,8,RB\n", Options{}, 3, []string{"x1", "x2"}},
		// A row of numbers over rows of numbers is data, whatever its text label.
		{"text label, numeric first row", "1,2,class\n4,5,NRB\n7,8,RB\n", Options{}, 3, []string{"x1", "x2"}},
		{"numeric label header", "1,2,class\n4,5,0\n7,8,1\n", Options{}, 2, []string{"1", "2"}},
		{"header no forced", "a,b,c\n4,5,6\n", Options{Header: HeaderNo, IndexCol: IndexNo}, 2, []string{"x1", "x2"}},
		{"pandas int columns", ",0,1\n0,5,6\n1,7,8\n", Options{}, 2, []string{"0"}},
	}
	for _, c := range cases {
		d, err := ParseSingle(strings.NewReader(c.text), "x.csv", "", c.opt)
		if c.names == nil {
			if err == nil {
				t.Errorf("%s: no error", c.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		checkConsistent(t, d)
		if d.Rows() != c.rows || !reflect.DeepEqual(d.FeatureNames, c.names) {
			t.Errorf("%s: %d rows, names %v; want %d, %v", c.name, d.Rows(), d.FeatureNames, c.rows, c.names)
		}
	}
}

func TestIndexColumn(t *testing.T) {
	cases := []struct {
		name, text string
		opt        Options
		rows       [][]float64
	}{
		{"pandas empty header", ",a,b,y\n0,1,2,0\n1,3,4,1\n", Options{}, [][]float64{{1, 2}, {3, 4}}},
		{"named index", "Index,a,b,y\n7,1,2,0\n9,3,4,1\n", Options{}, [][]float64{{1, 2}, {3, 4}}},
		{"unnamed: 0", "Unnamed: 0,a,b,y\nr1,1,2,0\nr2,3,4,1\n", Options{}, [][]float64{{1, 2}, {3, 4}}},
		{"no header 0..n-1", "0,1,2,0\n1,3,4,1\n2,5,6,0\n", Options{}, [][]float64{{1, 2}, {3, 4}, {5, 6}}},
		{"no header 1..n", "1,1,2,0\n2,3,4,1\n3,5,6,0\n", Options{}, [][]float64{{1, 2}, {3, 4}, {5, 6}}},
		{"no header too few columns", "0,1,0\n1,3,1\n2,5,0\n", Options{}, [][]float64{{0, 1}, {1, 3}, {2, 5}}},
		{"no header not a sequence", "0,1,2,0\n2,3,4,1\n3,5,6,0\n", Options{}, [][]float64{{0, 1, 2}, {2, 3, 4}, {3, 5, 6}}},
		{"header named id kept", "id,a,b,y\n0,1,2,0\n1,3,4,1\n", Options{}, [][]float64{{0, 1, 2}, {1, 3, 4}}},
		{"forced", "5,1,2,0\n9,3,4,1\n", Options{IndexCol: IndexYes}, [][]float64{{1, 2}, {3, 4}}},
		{"refused", "0,1,2,0\n1,3,4,1\n2,5,6,0\n", Options{IndexCol: IndexNo}, [][]float64{{0, 1, 2}, {1, 3, 4}, {2, 5, 6}}},
	}
	for _, c := range cases {
		d, err := ParseSingle(strings.NewReader(c.text), "x.csv", "", c.opt)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		checkConsistent(t, d)
		if !reflect.DeepEqual(rows(d), c.rows) {
			t.Errorf("%s: rows %v, want %v", c.name, rows(d), c.rows)
		}
	}
	// A label given by number counts the index column.
	d := single(t, ",a,b,c\n0,1,2,3\n1,4,5,6\n", "3", Options{})
	if !reflect.DeepEqual(d.Labels, []string{"2", "5"}) || !reflect.DeepEqual(d.FeatureNames, []string{"a", "c"}) {
		t.Errorf("label by number: %v %v", d.Labels, d.FeatureNames)
	}
}

func TestDelimiterAndFormatting(t *testing.T) {
	want := [][]float64{{1, 2}, {3, 4}}
	cases := map[string]string{
		"semicolon":      "a;b;y\n1;2;p\n3;4;q\n",
		"tab":            "a\tb\ty\n1\t2\tp\n3\t4\tq\n",
		"pipe":           "a|b|y\n1|2|p\n3|4|q\n",
		"crlf":           "a,b,y\r\n1,2,p\r\n3,4,q\r\n",
		"spaces":         "a, b, y\n 1 , 2 , p \n3,  4,q\n",
		"quotes":         "\"a\",\"b,c\",y\n\"1\",2,\"p\"\n3,\"4\",q\n",
		"trailing":       "a,b,y\n1,2,p\n3,4,q\n\n\n,,\n  \n",
		"blank lines":    "\n\na,b,y\n\n1,2,p\n\n3,4,q",
		"bom":            "\xEF\xBB\xBFa,b,y\n1,2,p\n3,4,q\n",
		"decimal comma":  "a;b;y\n1;2;p\n3;4;q\n",
		"semicolon wins": "a;b,c;y\n1;2;p\n3;4;q\n",
	}
	for name, text := range cases {
		d, err := ParseSingle(strings.NewReader(text), "x.csv", "", Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checkConsistent(t, d)
		if !reflect.DeepEqual(rows(d), want) || !reflect.DeepEqual(d.Labels, []string{"p", "q"}) {
			t.Errorf("%s: rows %v labels %v", name, rows(d), d.Labels)
		}
	}
	// Explicit delimiter.
	d := single(t, "a:b:y\n1:2:p\n3:4:q\n", "", Options{Delimiter: ':'})
	if !reflect.DeepEqual(rows(d), want) {
		t.Errorf("explicit delimiter: %v", rows(d))
	}
	// Empty fields survive a tab delimiter (as missing cells).
	d = single(t, "a\tb\ty\n1\t\tp\n", "", Options{})
	if r := rows(d); len(r) != 1 || r[0][0] != 1 || !math.IsNaN(r[0][1]) {
		t.Errorf("empty tab field: %v", r)
	}
	// Line numbers count physical lines, also after a multi-line quoted cell.
	d = single(t, "a,b,y\n1,2,\"two\nlines\"\n3,x,q\n", "", Options{})
	_, _, err := (&Prep{Columns: []PrepColumn{{Name: "a", Kind: Numeric}, {Name: "b", Kind: Numeric}}}).Transform(d)
	if err == nil || err.Error() != `x.csv:4:2: cell "x" in column "b" is not a number (the column is numeric in the training rows)` {
		t.Errorf("multi-line: %v", err)
	}
}

func TestParseDelimiter(t *testing.T) {
	good := map[string]rune{"": 0, "auto": 0, "tab": '\t', `\t`: '\t', ";": ';', "comma": ',', "|": '|', "space": ' '}
	for s, want := range good {
		if got, err := ParseDelimiter(s); err != nil || got != want {
			t.Errorf("ParseDelimiter(%q) = %q, %v", s, got, err)
		}
	}
	for _, s := range []string{`"`, "\n", "ab"} {
		if _, err := ParseDelimiter(s); err == nil {
			t.Errorf("ParseDelimiter(%q): no error", s)
		}
	}
	if _, err := ParseSingle(strings.NewReader("1,2\n"), "x.csv", "", Options{Delimiter: '"'}); err == nil {
		t.Error("quote delimiter accepted")
	}
}

func TestModes(t *testing.T) {
	for _, s := range []string{"auto", "yes", "no"} {
		h, err := ParseHeaderMode(s)
		if err != nil || h.String() != s {
			t.Errorf("header mode %q: %v %v", s, h, err)
		}
		m, err := ParseIndexMode(s)
		if err != nil || m.String() != s {
			t.Errorf("index mode %q: %v %v", s, m, err)
		}
	}
	if _, err := ParseHeaderMode("maybe"); err == nil {
		t.Error("ParseHeaderMode accepted maybe")
	}
	if _, err := ParseIndexMode("maybe"); err == nil {
		t.Error("ParseIndexMode accepted maybe")
	}
}

func TestParseXY(t *testing.T) {
	x := ",a,b\n0,1,2\n1,3,4\n2,5,6\n"
	cases := map[string]string{
		"pandas":          ",experimental_class\n0,1\n1,0\n2,1\n",
		"bare":            "1\n0\n1\n",
		"header":          "experimental_class\n1\n0\n1\n",
		"index no header": "0,1\n1,0\n2,1\n",
		"named id":        "id,experimental_class\n0,1\n1,0\n2,1\n",
	}
	for name, y := range cases {
		d, err := ParseXY(strings.NewReader(x), "x.csv", strings.NewReader(y), "y.csv", Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checkConsistent(t, d)
		if !reflect.DeepEqual(d.Labels, []string{"1", "0", "1"}) || !reflect.DeepEqual(rows(d), [][]float64{{1, 2}, {3, 4}, {5, 6}}) {
			t.Errorf("%s: labels %v rows %v", name, d.Labels, rows(d))
		}
		if d.Source != "x.csv + y.csv" || d.labelFile != "y.csv" {
			t.Errorf("%s: source %q label file %q", name, d.Source, d.labelFile)
		}
	}
	// Label positions point into the y file.
	d, err := ParseXY(strings.NewReader(x), "x.csv", strings.NewReader(",c\n0,1\n1,0\n2,inf\n"), "y.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := Encode(d, TaskAuto); err == nil || err.Error() != `y.csv:4:2: label "inf" is not a finite number` {
		t.Errorf("bad label: %v", err)
	}
}

func TestLoadFeatures(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.csv")
	if err := os.WriteFile(p, []byte("a,b,c\n1,2,3\n4,5,6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := LoadFeatures(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, d)
	if d.Cols() != 3 || d.Rows() != 2 || d.Labels != nil || d.Source != p {
		t.Fatalf("%d×%d labels %v source %q", d.Rows(), d.Cols(), d.Labels, d.Source)
	}
	if _, _, _, err := Encode(d, TaskAuto); err == nil {
		t.Error("Encode without labels: no error")
	}
	d2, err := LoadSingle(p, "b", Options{})
	if err != nil || !reflect.DeepEqual(d2.Labels, []string{"2", "5"}) {
		t.Fatalf("LoadSingle: %v %v", d2, err)
	}
}

// loadErr parses with the given loader and returns the error text,
// checking that it is a single-line *Error.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("no error, want %q", want)
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%v is %T, not *Error", err, err)
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("multi-line error %q", err)
	}
	if err.Error() != want {
		t.Errorf("error\n  %s\nwant\n  %s", err, want)
	}
}

func TestErrors(t *testing.T) {
	ps := func(text, label string, opt Options) error {
		_, err := ParseSingle(strings.NewReader(text), "x.csv", label, opt)
		return err
	}
	pf := func(text string) error {
		_, err := ParseFeatures(strings.NewReader(text), "x.csv", Options{})
		return err
	}
	pxy := func(x, y string) error {
		_, err := ParseXY(strings.NewReader(x), "x.csv", strings.NewReader(y), "y.csv", Options{})
		return err
	}
	checkErr(t, ps("", "", Options{}), "x.csv: file is empty")
	checkErr(t, ps("\n \n\r\n", "", Options{}), "x.csv: file is empty")
	checkErr(t, ps("a,b,c\n", "", Options{}), "x.csv: no data rows after the header")
	checkErr(t, ps("a,b,c\n1,2,3\n4,5\n", "", Options{}), "x.csv:3: row has 2 fields, want 3 (as in line 1)")
	checkErr(t, ps("\na,b,c\n1,2,3\n4,5,6,7\n", "", Options{}), "x.csv:4: row has 4 fields, want 3 (as in line 2)")
	// Text in a column that is numeric in the training rows (row 1).
	onFirst := func(text string) error {
		d, err := ParseSingle(strings.NewReader(text), "x.csv", "", Options{})
		if err != nil {
			return err
		}
		p, err := FitPrep(d, []int{0}, PrepConfig{})
		if err != nil {
			return err
		}
		_, _, err = p.Transform(d)
		return err
	}
	numeric := " is not a number (the column is numeric in the training rows)"
	checkErr(t, onFirst("a,nhm,c\n1,2,3\n4,abc,6\n"), `x.csv:3:2: cell "abc" in column "nhm"`+numeric)
	checkErr(t, onFirst("1,2,3\n4,abc,6\n"), `x.csv:2:2: cell "abc" in column "x2"`+numeric)
	checkErr(t, onFirst("a,b,y\n1,2,p\n1,\"a\nb\",q\n"), `x.csv:3:2: cell "a\nb" in column "b"`+numeric)
	checkErr(t, onFirst("a,b,y\n1,2,p\n1,"+strings.Repeat("z", 100)+",q\n"), `x.csv:3:2: cell "`+strings.Repeat("z", 40)+`"... in column "b"`+numeric)
	for _, bad := range []string{"inf", "-Inf", "1e999", "-1e400"} {
		checkErr(t, ps("a,nhm,c\n1,2,3\n4,"+bad+",6\n", "", Options{}),
			`x.csv:3:2: cell "`+bad+`" in column "nhm" is not a finite number`)
	}
	checkErr(t, ps("a,b,c\n1,2,3\n", "foo", Options{}), `x.csv: label column "foo" not found (columns: a, b, c)`)
	long := "c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12\n" + strings.Repeat("1,", 11) + "1\n"
	checkErr(t, ps(long, "foo", Options{}), `x.csv: label column "foo" not found (columns: c1, c2, c3, c4, c5, c6, c7, c8, c9, c10 ... (12 columns))`)
	checkErr(t, ps("1,2,3\n", "foo", Options{}), `x.csv: label column "foo" not found: the file has no header row, so give a column number 1..3`)
	checkErr(t, ps("a,b,c\n1,2,3\n", "4", Options{}), "x.csv: label column 4 is out of range: the file has 3 columns")
	checkErr(t, ps("a,b,c\n1,2,3\n", "0", Options{}), "x.csv: label column 0 is out of range: the file has 3 columns")
	checkErr(t, ps("y\n1\n", "", Options{}), "x.csv: no feature columns (only a label or index column)")
	checkErr(t, ps("a,b\n1,\"x\"y\"\n", "", Options{}), `x.csv:2:5: CSV syntax error: extraneous or missing " in quoted-field`)
	checkErr(t, ps("a,b\n1,x\"y\n", "", Options{}), `x.csv:2:4: CSV syntax error: bare " in non-quoted-field`)
	checkErr(t, ps("a,b\n1,\"unterminated\n", "", Options{}), `x.csv:2:17: CSV syntax error: extraneous or missing " in quoted-field`)
	checkErr(t, ps("1,2\n", "", Options{IndexCol: IndexYes}), "x.csv: no feature columns (only a label or index column)")
	checkErr(t, ps("1\n", "", Options{IndexCol: IndexYes}), "x.csv: the label column is the first column, so there is no index column to drop")
	_, err := ParseFeatures(strings.NewReader("1\n"), "x.csv", Options{IndexCol: IndexYes})
	checkErr(t, err, "x.csv: the file has a single column, so there is no index column to drop")
	checkErr(t, ps("1,2\n", "1", Options{IndexCol: IndexYes}), "x.csv: the label column is the first column, so there is no index column to drop")
	checkErr(t, pf("a\n1\n\"x\n"), `x.csv:3:4: CSV syntax error: extraneous or missing " in quoted-field`)

	x := ",a,b\n0,1,2\n1,3,4\n"
	checkErr(t, pxy(x, ",c\n0,1\n"), "x.csv has 2 rows but y.csv has 1")
	checkErr(t, pxy(x, "a,b,c\n0,1,2\n1,3,4\n"), "y.csv: has 3 columns, want one label column (optionally after an index column)")
	checkErr(t, pxy(x, "5,1\n7,0\n"), "y.csv: has 2 columns, want one label column (optionally after an index column)")
	checkErr(t, pxy(x, ",c\n0,1\n2,0\n"), `y.csv:3: index "2" does not match x.csv:3, which has index "1" on the same data row`)
	checkErr(t, pxy("", "1\n"), "x.csv: file is empty")
	checkErr(t, pxy(x, ""), "y.csv: file is empty")
	checkErr(t, pxy(x, "class\n"), "x.csv has 2 rows but y.csv has 1")
	if _, err := ParseXY(strings.NewReader("i,a,b\n5,1,2\n7,3,4\n"), "x.csv", strings.NewReader("5,1\n7,0\n"), "y.csv", Options{IndexCol: IndexYes}); err != nil {
		t.Errorf("forced y index: %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.csv")
	_, err := LoadSingle(p, "", Options{})
	checkErr(t, err, p+": cannot open: no such file or directory")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) is false", err)
	}
	_, err = LoadFeatures(p, Options{})
	checkErr(t, err, p+": cannot open: no such file or directory")
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("a\n1\n"), 0o644)
	_, err = LoadXY(good, p, Options{})
	checkErr(t, err, p+": cannot open: no such file or directory")
	_, err = LoadXY(p, good, Options{})
	checkErr(t, err, p+": cannot open: no such file or directory")
	_, err = LoadSingle(dir, "", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), dir+": cannot read: ") {
		t.Errorf("directory: %v", err)
	}
}

func TestErrorFormat(t *testing.T) {
	cases := []struct {
		e    Error
		want string
	}{
		{Error{File: "f", Line: 7, Col: 3, Msg: "m"}, "f:7:3: m"},
		{Error{File: "f", Line: 7, Msg: "m"}, "f:7: m"},
		{Error{File: "f", Msg: "m"}, "f: m"},
		{Error{File: "f", Col: 3, Msg: "m"}, "f: m"},
		{Error{Msg: "m"}, "m"},
	}
	for _, c := range cases {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
}

func TestSubsetAndRow(t *testing.T) {
	d := single(t, "a,b,y\n1,2,p\n3,4,q\n5,6,r\n", "", Options{})
	s := d.Subset([]int{2, 0, 2})
	checkConsistent(t, s)
	if !reflect.DeepEqual(rows(s), [][]float64{{5, 6}, {1, 2}, {5, 6}}) || !reflect.DeepEqual(s.Labels, []string{"r", "p", "r"}) {
		t.Fatalf("subset %v %v", rows(s), s.Labels)
	}
	if s.labelAt[0].line != 4 || s.labelAt[1].line != 2 {
		t.Fatalf("subset label positions %+v", s.labelAt)
	}
	s.Row(0)[0] = 100
	if d.Row(2)[0] != 5 {
		t.Fatal("Subset shares data")
	}
	d.Row(1)[1] = 42
	if v, _ := d.X.At(1, 1); v != 42.0 {
		t.Fatal("Row is not a view")
	}
	if e := d.Subset(nil); e.Rows() != 0 || e.Cols() != 2 || e.X != nil {
		t.Fatalf("empty subset %d×%d", e.Rows(), e.Cols())
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("out-of-range Subset did not panic")
			}
		}()
		d.Subset([]int{3})
	}()
}

func TestFromRows(t *testing.T) {
	d, err := FromRows([][]float64{{1, 2}, {3, 4}}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, d)
	if !reflect.DeepEqual(d.FeatureNames, []string{"x1", "x2"}) || d.Row(1)[0] != 3 {
		t.Fatalf("%v %v", d.FeatureNames, rows(d))
	}
	if _, err := FromRows([][]float64{{1, 2}, {3}}, nil); err == nil {
		t.Error("ragged rows accepted")
	}
	if _, err := FromRows(nil, nil); err == nil {
		t.Error("no rows accepted")
	}
	if _, err := FromRows([][]float64{{1}}, []string{"a", "b"}); err == nil {
		t.Error("label count mismatch accepted")
	}
}
