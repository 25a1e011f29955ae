package data

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// checkParsed asserts the fuzz invariants: a one-line *Error, or a
// consistent data set with finite values.
func checkParsed(t *testing.T, d *Dataset, err error, labelled bool) {
	t.Helper()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %q is %T, not *Error", err, err)
		}
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("multi-line error %q", err)
		}
		return
	}
	checkConsistent(t, d)
	if labelled && len(d.Labels) != d.Rows() {
		t.Fatalf("%d labels for %d rows", len(d.Labels), d.Rows())
	}
	for i, v := range d.values() {
		if math.IsInf(v, 0) {
			t.Fatalf("value %d is %v", i, v)
		}
	}
	for j, txt := range d.Text {
		if txt != nil && len(txt) != d.Rows() {
			t.Fatalf("column %d has %d texts for %d rows", j, len(txt), d.Rows())
		}
	}
	// Preprocessing fitted on the first half of the rows gives finite
	// inputs for every row, or a one-line *Error (text in a numeric column).
	half := make([]int, (d.Rows()+1)/2)
	for i := range half {
		half[i] = i
	}
	for _, cfg := range []PrepConfig{{}, {Impute: ImputeMedian, MissingIndicator: true, MaxCategories: 1}, {Impute: ImputeMostFrequent}} {
		p, err := FitPrep(d, half, cfg)
		if err != nil {
			t.Fatalf("FitPrep: %v", err)
		}
		out, _, err := p.Transform(d)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("Transform error %q (%T)", err, err)
			}
			continue
		}
		if out.Cols() != p.Width() || len(out.FeatureNames) != p.Width() {
			t.Fatalf("%d columns, %d names, width %d", out.Cols(), len(out.FeatureNames), p.Width())
		}
		for i, v := range out.values() {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("input %d is %v", i, v)
			}
		}
	}
	if labelled {
		// Encoding must not panic either.
		if _, _, _, err := Encode(d, TaskAuto); err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("multi-line error %q", err)
		}
	}
}

func fuzzOptions(delim byte, header, index uint8) Options {
	delims := []rune{0, ',', ';', '\t', '|', ' ', '"', '\n'}
	return Options{
		Delimiter: delims[int(delim)%len(delims)],
		Header:    HeaderMode(header % 3),
		IndexCol:  IndexMode(index % 3),
	}
}

func FuzzParseSingle(f *testing.F) {
	f.Add("a,b,y\n1,2,p\n3,4,q\n", "", byte(0), uint8(0), uint8(0))
	f.Add(",a,b,y\n0,1,2,0\n1,3,4,1\n", "y", byte(0), uint8(0), uint8(0))
	f.Add("1;2;RB\r\n3;4;NRB\r\n", "3", byte(2), uint8(2), uint8(2))
	f.Add("a,b\n1,\"x\"y\"\n", "", byte(0), uint8(0), uint8(0))
	f.Add("0,1,2,0\n1,3,4,1\n2,5,6,0\n", "", byte(0), uint8(0), uint8(0))
	f.Add("1,2,class\n4,5,NRB\n", "CLASS", byte(0), uint8(0), uint8(1))
	f.Add("\xEF\xBB\xBFa\tb\n1\tNaN\n", "", byte(3), uint8(1), uint8(0))
	f.Add(",,\n,,\n1,,\n", "2", byte(1), uint8(0), uint8(0))
	f.Add("id,island,mass,sex,species\n1,Biscoe,NA,male,Adelie\n2,Dream,3750,,Gentoo\n3,?,3800,female,NA\n", "species", byte(0), uint8(0), uint8(0))
	f.Add("1,a,2\n2,b,NA\nnull,c,1\n", "", byte(0), uint8(2), uint8(0))
	f.Fuzz(func(t *testing.T, text, label string, delim byte, header, index uint8) {
		d, err := ParseSingle(strings.NewReader(text), "x.csv", label, fuzzOptions(delim, header, index))
		checkParsed(t, d, err, true)
	})
}

func FuzzParseXY(f *testing.F) {
	f.Add(",a,b\n0,1,2\n1,3,4\n", ",c\n0,1\n1,0\n", byte(0), uint8(0), uint8(0))
	f.Add("1,2\n3,4\n", "RB\nNRB\n", byte(0), uint8(0), uint8(0))
	f.Add("1,2\n3,4\n", "0,RB\n1,NRB\n", byte(1), uint8(2), uint8(1))
	f.Add("a\n1\n", "x,y,z\n", byte(0), uint8(0), uint8(0))
	f.Add("a,b\n1,p\n2,NA\n3,r\n", "y\nA\nNA\n?\n", byte(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, x, y string, delim byte, header, index uint8) {
		d, err := ParseXY(strings.NewReader(x), "x.csv", strings.NewReader(y), "y.csv", fuzzOptions(delim, header, index))
		checkParsed(t, d, err, true)
		if err == nil {
			d2, err := ParseFeatures(strings.NewReader(x), "x.csv", fuzzOptions(delim, header, index))
			if err != nil || d2.Rows() != d.Rows()+d.SkippedRows || d2.Cols() != d.Cols() {
				t.Fatalf("ParseFeatures disagrees with ParseXY: %v", err)
			}
		}
	})
}
