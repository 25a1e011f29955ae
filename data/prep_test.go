package data

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/internal/advice"
)

// penguinsLike has the features of the Palmer penguins table: a text
// column, numeric columns with NA gaps, a text column with an empty cell.
const penguinsLike = `species,island,bill_mm,mass_g,sex,year
Adelie,Torgersen,39.1,3750,male,2007
Adelie,Biscoe,NA,3800,female,2007
Gentoo,Biscoe,46.1,NA,female,2008
Gentoo,Dream,50.0,5700,,2008
Chinstrap,Dream,46.5,3500,female,2009
Chinstrap,Torgersen,49.5,3900,male,2009
`

func kinds(p *Prep) map[string]string {
	out := map[string]string{}
	for _, c := range p.Columns {
		out[c.Name] = c.Kind
	}
	return out
}

func TestPrepKinds(t *testing.T) {
	d := single(t, penguinsLike+"Adelie,Dream,38.0,3600,true,2007\n", "species", Options{})
	p, err := FitPrep(d, nil, PrepConfig{Categorical: []string{"year"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"island": Categorical, "bill_mm": Numeric, "mass_g": Numeric, "sex": Categorical, "year": Categorical}
	if got := kinds(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
	// Booleans are categories; without --categorical integer codes are numbers.
	p, _ = FitPrep(d, nil, PrepConfig{})
	if p.Columns[3].Kind != Categorical || p.Columns[4].Kind != Numeric {
		t.Fatalf("sex %s, year %s", p.Columns[3].Kind, p.Columns[4].Kind)
	}
	if !reflect.DeepEqual(p.Columns[3].Categories, []string{"female", "male", "true"}) || !p.Columns[3].MissingSlot {
		t.Fatalf("sex: %+v", p.Columns[3])
	}
	// Kinds come from the training rows: text only in a held-out row
	// leaves the column numeric, and transforming that row is an error.
	e := single(t, "a,b,y\n1,2,p\n3,4,q\n5,x,p\n", "", Options{})
	p, _ = FitPrep(e, []int{0, 1}, PrepConfig{})
	if p.Columns[1].Kind != Numeric {
		t.Fatalf("b is %s on the training rows", p.Columns[1].Kind)
	}
	if _, _, err := p.Transform(e); err == nil || !strings.HasPrefix(err.Error(), `x.csv:4:2: cell "x" in column "b" is not a number`) {
		t.Fatalf("text in a numeric column: %v", err)
	}
	p, _ = FitPrep(e, nil, PrepConfig{})
	if p.Columns[1].Kind != Categorical || !reflect.DeepEqual(p.Columns[1].Categories, []string{"2", "4", "x"}) {
		t.Fatalf("all rows: %+v", p.Columns[1])
	}
}

func TestPrepOneHot(t *testing.T) {
	d := single(t, "c,y\nb,0\na,1\nb,0\nc,1\nb,0\na,1\nd,0\n", "y", Options{})
	train := []int{0, 1, 2, 3, 4, 5} // d (row 6) is unseen
	p, err := FitPrep(d, train, PrepConfig{})
	if err != nil {
		t.Fatal(err)
	}
	out, stats, err := p.Transform(d)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.FeatureNames, []string{"c=a", "c=b", "c=c"}) {
		t.Fatalf("names %v", out.FeatureNames)
	}
	want := [][]float64{{0, 1, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 1, 0}, {1, 0, 0}, {0, 0, 0}}
	if got := rows(out); !reflect.DeepEqual(got, want) {
		t.Fatalf("one-hot %v, want %v", got, want)
	}
	if stats.Total() != 1 || stats.Unseen["c"] != 1 {
		t.Fatalf("unseen %v", stats.Unseen)
	}
	// At most two categories: b (3 rows) and a (2 rows) keep a slot, c
	// and the unseen d go to "other".
	p, _ = FitPrep(d, train, PrepConfig{MaxCategories: 2})
	out, stats, _ = p.Transform(d)
	if !reflect.DeepEqual(out.FeatureNames, []string{"c=a", "c=b", "c=(other)"}) || stats.Total() != 0 {
		t.Fatalf("names %v unseen %v", out.FeatureNames, stats.Unseen)
	}
	want = [][]float64{{0, 1, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 1, 0}, {1, 0, 0}, {0, 0, 1}}
	if got := rows(out); !reflect.DeepEqual(got, want) {
		t.Fatalf("with other %v, want %v", got, want)
	}
	// Numbers as categories: "1" and "1.0" are one category.
	e := single(t, "code,y\n1,p\n2,q\n1.0,p\n", "y", Options{})
	p, _ = FitPrep(e, nil, PrepConfig{Categorical: []string{"code"}})
	if out, _, _ := p.Transform(e); !reflect.DeepEqual(rows(out), [][]float64{{1, 0}, {0, 1}, {1, 0}}) {
		t.Fatalf("integer codes %v", rows(out))
	}
}

func TestPrepImputeTrainingRowsOnly(t *testing.T) {
	// Training rows 0-3 hold 1, 2, 2, 7 and a gap; the held-out rows'
	// 100 and 200 would change every statistic.
	d := single(t, "v,y\n1,p\n2,q\n2,p\n7,q\nNA,p\n100,q\n200,p\n", "y", Options{})
	train := []int{0, 1, 2, 3, 4}
	for _, c := range []struct {
		impute string
		fill   float64
	}{{"", 3}, {ImputeMean, 3}, {ImputeMedian, 2}, {ImputeMostFrequent, 2}} {
		p, err := FitPrep(d, train, PrepConfig{Impute: c.impute, MissingIndicator: true})
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := p.Transform(d)
		if err != nil {
			t.Fatal(err)
		}
		got := rows(out)
		if got[4][0] != c.fill || got[4][1] != 1 || got[0][1] != 0 || got[5][0] != 100 {
			t.Errorf("impute %q: rows %v, want the gap filled with %v and flagged", c.impute, got, c.fill)
		}
		if p.Columns[0].Missing != 1 {
			t.Errorf("impute %q: %d missing", c.impute, p.Columns[0].Missing)
		}
	}
	// Fitted on all rows the mean is different: the test can tell.
	p, _ := FitPrep(d, nil, PrepConfig{})
	if p.Columns[0].Fill == 3 {
		t.Fatal("the held-out rows do not change the mean")
	}
	// No indicator for a column without gaps in the training rows.
	p, _ = FitPrep(d, []int{0, 1}, PrepConfig{MissingIndicator: true})
	if p.Width() != 1 {
		t.Fatalf("width %d", p.Width())
	}
	// Categorical gaps: a "missing" slot, or the most frequent category.
	e := single(t, "c,y\na,p\nb,q\na,p\n,q\n", "y", Options{})
	p, _ = FitPrep(e, nil, PrepConfig{})
	if out, _, _ := p.Transform(e); !reflect.DeepEqual(rows(out)[3], []float64{0, 0, 1}) {
		t.Fatalf("missing slot %v", rows(out))
	}
	p, _ = FitPrep(e, nil, PrepConfig{Impute: ImputeMostFrequent})
	if out, _, _ := p.Transform(e); !reflect.DeepEqual(rows(out)[3], []float64{1, 0}) {
		t.Fatalf("most frequent %v", rows(out))
	}
	if _, err := FitPrep(e, nil, PrepConfig{Impute: "zero"}); err == nil {
		t.Fatal("unknown imputation accepted")
	}
}

func TestMissingLabels(t *testing.T) {
	d := single(t, penguinsLike+"NA,Dream,40,3000,male,2007\n?,Dream,41,3100,male,2007\n", "species", Options{})
	if d.Rows() != 6 || d.SkippedRows != 2 {
		t.Fatalf("%d rows, %d skipped", d.Rows(), d.SkippedRows)
	}
	if got := d.SkippedNote(advice.Words); got != "x.csv: skipped 2 rows whose label is missing (the first on line 8; strict reading makes it an error)" {
		t.Fatalf("note %q", got)
	}
	_, err := ParseSingle(strings.NewReader(penguinsLike+",Dream,40,3000,male,2007\n"), "x.csv", "species", Options{Strict: true})
	checkErr(t, err, `x.csv:8:1: label "" is missing (without strict reading such rows are skipped)`)
	// --na-values replaces the list: NA is then a class name, "-" missing.
	d = single(t, "a,y\n1,NA\n2,-\n3,NA\n4,B\n", "", Options{NAValues: []string{"-"}})
	if !reflect.DeepEqual(d.Labels, []string{"NA", "NA", "B"}) || d.SkippedRows != 1 {
		t.Fatalf("labels %v skipped %d", d.Labels, d.SkippedRows)
	}
	_, err = ParseSingle(strings.NewReader("a,y\n1,NA\n"), "x.csv", "", Options{})
	checkErr(t, err, "x.csv: every data row (1) has a missing label")
}

func TestUninformativeAndRoles(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,const,gappy,num,cat,y\n")
	for i := 0; i < 12; i++ {
		gap := "NA"
		if i%3 == 0 {
			gap = "5"
		}
		b.WriteString("P" + string(rune('a'+i)) + ",7," + gap + "," + string(rune('0'+i%10)) + "," + []string{"u", "v"}[i%2] + ",c" + string(rune('0'+i%2)) + "\n")
	}
	d := single(t, b.String(), "y", Options{})
	idx, dropped := d.Uninformative(nil)
	if !reflect.DeepEqual(dropped, []Dropped{{"id", "an identifier: different text on every row"}, {"const", "constant"}}) {
		t.Fatalf("dropped %v", dropped)
	}
	if !reflect.DeepEqual(idx, []int{2, 3, 4}) {
		t.Fatalf("kept %v", idx)
	}
	// Fewer than 10 rows: not an identifier.
	if _, dr := d.Subset([]int{0, 1, 2}).Uninformative([]int{1}); len(dr) != 0 {
		t.Fatalf("small: %v", dr)
	}

	sel := func(features, ignore string) []string {
		t.Helper()
		s, err := d.SelectRoles(features, ignore)
		if err != nil {
			t.Fatalf("%q %q: %v", features, ignore, err)
		}
		return s.FeatureNames
	}
	if got := sel("num,1,CAT", ""); !reflect.DeepEqual(got, []string{"id", "num", "cat"}) {
		t.Errorf("names and numbers: %v", got)
	}
	if got := sel("2-4", "gappy"); !reflect.DeepEqual(got, []string{"const", "num"}) {
		t.Errorf("range minus ignore: %v", got)
	}
	if got := sel("", "1-2"); !reflect.DeepEqual(got, []string{"gappy", "num", "cat"}) {
		t.Errorf("ignore range: %v", got)
	}
	_, err := d.SelectRoles("num,weight", "")
	checkErr(t, err, `x.csv: feature columns: no column "weight" (columns: id, const, gappy, num, cat)`)
	_, err = d.SelectRoles("", "6")
	checkErr(t, err, "x.csv: ignored columns: column 6 is not a feature column (it is the label or index column, or beyond the file's columns)")
	_, err = d.SelectRoles("", "5-3")
	checkErr(t, err, `x.csv: ignored columns: invalid column range "5-3" (want 1-based column numbers such as 3 or 3-7)`)
	_, err = d.SelectRoles("", "1-5")
	checkErr(t, err, "x.csv: feature columns/ignored columns leave no feature column")
}

func TestSelectByName(t *testing.T) {
	d := single(t, penguinsLike, "species", Options{})
	shuffled := single(t, "year,extra,sex,mass_g,species,island,bill_mm\n2007,9,male,3750,Adelie,Torgersen,39.1\n", "species", Options{})
	got, missing, extra := shuffled.SelectByName(d.FeatureNames)
	if missing != nil || !reflect.DeepEqual(extra, []string{"extra"}) {
		t.Fatalf("missing %v extra %v", missing, extra)
	}
	if !reflect.DeepEqual(got.FeatureNames, d.FeatureNames) || !reflect.DeepEqual(got.Text[0], []string{"Torgersen"}) || got.Row(0)[1] != 39.1 {
		t.Fatalf("matched %v %v %v", got.FeatureNames, got.Text, got.Row(0))
	}
	_, missing, _ = shuffled.Columns([]int{0, 1, 2}).SelectByName(d.FeatureNames)
	if !reflect.DeepEqual(missing, []string{"island", "bill_mm", "mass_g"}) {
		t.Fatalf("missing %v", missing)
	}
	// Without a header, by position when the counts agree.
	h := single(t, "1,2,a\n3,4,a\n", "", Options{})
	if got, _, _ := h.SelectByName([]string{"p", "q"}); got == nil || got.FeatureNames[1] != "q" {
		t.Fatalf("by position: %v", got)
	}
	if got, _, _ := h.SelectByName([]string{"p"}); got != nil {
		t.Fatal("count mismatch accepted")
	}
}

func TestPrepNaNFree(t *testing.T) {
	d := single(t, penguinsLike, "species", Options{})
	p, _ := FitPrep(d, []int{0, 1, 2}, PrepConfig{})
	out, _, err := p.Transform(d)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out.values() {
		if math.IsNaN(v) {
			t.Fatalf("input %d is NaN", i)
		}
	}
	if got := p.Describe(); got != "3 numeric, 2 categorical (island: 2, sex: 2) → 7 inputs" {
		t.Fatalf("describe %q", got)
	}
}

func TestNAMatcher(t *testing.T) {
	m := Options{NAValues: []string{"NA", "", "-999", "ÄNA"}}.naMatcher()
	for c, want := range map[string]bool{"": true, "NA": true, "na": true, "Na": true, "-999": true, "-9": false, "äna": true, "ÄNA": true, "NAN": false, "1": false} {
		if m.is(c) != want {
			t.Errorf("%q: %v, want %v", c, !want, want)
		}
	}
	d := Options{}.naMatcher()
	for c, want := range map[string]bool{"": true, "NA": true, "n/a": true, "nan": true, "NULL": true, "?": true, "None": false, "0": false} {
		if d.is(c) != want {
			t.Errorf("default %q: %v, want %v", c, !want, want)
		}
	}
}

func TestMissingLabelsXY(t *testing.T) {
	x := "a,b\n1,p\n2,q\n3,r\n4,s\n"
	y := "y\nA\nNA\nB\n?\n"
	d, err := ParseXY(strings.NewReader(x), "x.csv", strings.NewReader(y), "y.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Labels, []string{"A", "B"}) || !reflect.DeepEqual(d.Text[1], []string{"p", "r"}) || d.Row(1)[0] != 3 {
		t.Fatalf("labels %v text %v rows %v", d.Labels, d.Text, rows(d))
	}
	if got := d.SkippedNote(advice.Words); got != "y.csv: skipped 2 rows whose label is missing (the first on line 3; strict reading makes it an error)" {
		t.Fatalf("note %q", got)
	}
	_, err = ParseXY(strings.NewReader(x), "x.csv", strings.NewReader(y), "y.csv", Options{Strict: true})
	checkErr(t, err, `y.csv:3:1: label "NA" is missing (without strict reading such rows are skipped)`)
}
