package data

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sameData fails unless a and b hold the same features, names and labels.
func sameData(t *testing.T, what string, a, b *Dataset) {
	t.Helper()
	if !reflect.DeepEqual(a.values(), b.values()) || !reflect.DeepEqual(a.FeatureNames, b.FeatureNames) ||
		!reflect.DeepEqual(a.Labels, b.Labels) || a.LabelName != b.LabelName || a.Rows() != b.Rows() || a.Cols() != b.Cols() {
		t.Errorf("%s: got %v %v %v %q\nwant %v %v %v %q", what, a.values(), a.FeatureNames, a.Labels, a.LabelName,
			b.values(), b.FeatureNames, b.Labels, b.LabelName)
	}
}

const sampleCSV = "a;b;species\n1.5;-2;Adelie\n3;4e-3;Gentoo\n-0.25;7;Adelie\n"

func TestGzipCSV(t *testing.T) {
	want, err := ParseSingle(strings.NewReader(sampleCSV), "s.csv", "species", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Recognised by its magic bytes, whatever the name; through a file too.
	z := gzipped(t, sampleCSV)
	got, err := ParseSingle(bytes.NewReader(z), "s.csv.gz", "species", Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameData(t, "gzip reader", got, want)
	path := filepath.Join(t.TempDir(), "s.gz")
	if err := os.WriteFile(path, z, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err = LoadSingle(path, "species", Options{Format: FormatCSV}); err != nil {
		t.Fatal(err)
	}
	sameData(t, "gzip file", got, want)
	// The trailer gives the text's size, which sizes the matrix.
	if f, err := os.Open(path); err != nil || gzipSize(f, int64(len(z))) != int64(len(sampleCSV)) {
		t.Errorf("gzipSize = %d, want %d (%v)", gzipSize(f, int64(len(z))), len(sampleCSV), err)
	} else {
		f.Close()
	}

	// A damaged archive is one line naming the file.
	bad := append([]byte{}, z...)
	bad[len(bad)-5] ^= 0xff // the CRC
	_, err = ParseSingle(bytes.NewReader(bad), "bad.csv.gz", "species", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "bad.csv.gz") || !strings.Contains(err.Error(), "gzip") || strings.Contains(err.Error(), "\n") {
		t.Errorf("damaged gzip: %v", err)
	}
	_, err = ParseSingle(bytes.NewReader(z[:len(z)/2]), "cut.csv.gz", "species", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "cut.csv.gz") || strings.Contains(err.Error(), "\n") {
		t.Errorf("truncated gzip: %v", err)
	}
}

// penguinRow has the kinds of column a Parquet file of a table holds:
// doubles, nullable integers, text, booleans, and pandas' index column.
type penguinRow struct {
	Index   int64    `parquet:"__index_level_0__"`
	Bill    float64  `parquet:"bill_length_mm"`
	Mass    *int64   `parquet:"body_mass_g,optional"`
	Depth   *float32 `parquet:"bill_depth_mm,optional"`
	Island  *string  `parquet:"island,optional"`
	Male    *bool    `parquet:"male,optional"`
	Year    uint32   `parquet:"year"`
	Species string   `parquet:"species"`
}

func writeParquet[T any](t testing.TB, rows []T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := parquet.NewGenericWriter[T](&b)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ptr[T any](v T) *T { return &v }

// records reads every record of a source, copied.
func records(t *testing.T, src RecordSource) ([][]string, []int) {
	t.Helper()
	var recs [][]string
	var lines []int
	for {
		rec, line, err := src.Next()
		if err == io.EOF {
			return recs, lines
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, append([]string(nil), rec...))
		lines = append(lines, line)
	}
}

func TestParquetRecords(t *testing.T) {
	b := writeParquet(t, []penguinRow{
		{10, 39.1, ptr[int64](3750), ptr[float32](18.7), ptr("Torgersen"), ptr(true), 2007, "Adelie"},
		{11, 46.5, nil, nil, nil, nil, 2008, "Gentoo"},
		{12, 50, ptr[int64](-1), ptr[float32](0.1), ptr("Dream, \"south\""), ptr(false), 4000000000, "Chinstrap"},
	})
	opt := Options{}
	src, err := openRecords(bytes.NewReader(b), "p.parquet", &opt)
	if err != nil {
		t.Fatal(err)
	}
	recs, lines := records(t, src)
	want := [][]string{
		{"bill_length_mm", "body_mass_g", "bill_depth_mm", "island", "male", "year", "species"},
		{"39.1", "3750", "18.7", "Torgersen", "true", "2007", "Adelie"},
		{"46.5", "", "", "", "", "2008", "Gentoo"}, // nulls are empty (missing) cells
		{"50", "-1", "0.1", "Dream, \"south\"", "false", "4000000000", "Chinstrap"},
	}
	if !reflect.DeepEqual(recs, want) || !reflect.DeepEqual(lines, []int{1, 2, 3, 4}) {
		t.Errorf("records\n got %q %v\nwant %q", recs, lines, want)
	}
	if opt.Header != HeaderYes || opt.IndexCol != IndexNo {
		t.Errorf("a Parquet file names its columns: header %v, index %v", opt.Header, opt.IndexCol)
	}
}

// TestParquetLikeCSV: a numeric Parquet table loads as the same table in
// CSV does, from a reader and from a file, by magic bytes or --format.
func TestParquetLikeCSV(t *testing.T) {
	type row struct {
		A       float64 `parquet:"a"`
		B       int32   `parquet:"b"`
		Species string  `parquet:"species"`
	}
	b := writeParquet(t, []row{{1.5, -2, "Adelie"}, {3, 4, "Gentoo"}, {-0.25, 7, "Adelie"}})
	want, err := ParseSingle(strings.NewReader("a,b,species\n1.5,-2,Adelie\n3,4,Gentoo\n-0.25,7,Adelie\n"), "s.csv", "species", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseSingle(bytes.NewReader(b), "s.parquet", "species", Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameData(t, "reader", got, want)
	dir := t.TempDir()
	path := filepath.Join(dir, "s.parquet")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err = LoadSingle(path, "", Options{Format: FormatParquet}); err != nil {
		t.Fatal(err)
	}
	sameData(t, "file", got, want)
	gz := filepath.Join(dir, "s.parquet.gz")
	if err := os.WriteFile(gz, gzipped(t, string(b)), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err = LoadSingle(gz, "species", Options{}); err != nil {
		t.Fatal(err)
	}
	sameData(t, "gzip file", got, want)
}

func TestParquetBadInput(t *testing.T) {
	type point struct {
		X float64 `parquet:"x"`
	}
	type nestedRow struct {
		A   float64 `parquet:"a"`
		Loc point   `parquet:"location"`
	}
	type listRow struct {
		A    float64   `parquet:"a"`
		Tags []float64 `parquet:"readings,list"`
	}
	type repeatedRow struct {
		A    float64   `parquet:"a"`
		Tags []float64 `parquet:"samples"`
	}
	good := writeParquet(t, []struct {
		A float64 `parquet:"a"`
		Y string  `parquet:"y"`
	}{{1, "x"}, {2, "y"}})
	for _, c := range []struct {
		name string
		b    []byte
		opt  Options
		want string
	}{
		{"struct", writeParquet(t, []nestedRow{{1, point{2}}}), Options{}, `n.parquet: column "location" is nested (a struct, list or map)`},
		{"list", writeParquet(t, []listRow{{1, []float64{2}}}), Options{}, `n.parquet: column "readings" is nested`},
		{"repeated", writeParquet(t, []repeatedRow{{1, []float64{2}}}), Options{}, `n.parquet: column "samples" is nested`},
		{"truncated", good[:len(good)-10], Options{}, "n.parquet: not a readable Parquet file"},
		{"not parquet", []byte("a,b\n1,2\n"), Options{Format: FormatParquet}, "n.parquet: not a readable Parquet file"},
	} {
		_, err := ParseSingle(bytes.NewReader(c.b), "n.parquet", "", c.opt)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for s, want := range map[string]Format{"": FormatAuto, "auto": FormatAuto, "CSV": FormatCSV, "parquet": FormatParquet} {
		if got, err := ParseFormat(s); err != nil || got != want || (s != "" && !strings.EqualFold(got.String(), s)) {
			t.Errorf("ParseFormat(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseFormat("xlsx"); err == nil {
		t.Error("ParseFormat accepted xlsx")
	}
}

func TestCapacityHint(t *testing.T) {
	sample := []byte("a,b,c,y\n1.5,2.5,3,0\n4.5,5.5,6,1\n7.5,8.5,9,0\n")
	// Rows of 12 bytes: a 1200-byte file holds about 100, reserved with 10% to spare.
	if got := estimateRows(sample, 1200); got != 126 {
		t.Errorf("estimateRows = %d, want 126", got)
	}
	if got := capacityHint(sizedRecords{rows: 126, size: 1200}, 3); got != 378 {
		t.Errorf("capacityHint = %d, want 378", got)
	}
	// A misleading sample (blank lines) cannot reserve more than a value
	// per two bytes of the file.
	if got := capacityHint(sizedRecords{rows: estimateRows([]byte("a\n\n\n\n\n"), 1e6), size: 1e6}, 50); got != 5e5 {
		t.Errorf("capacityHint of blank lines = %d, want 500000", got)
	}
	if estimateRows([]byte("a,b,c"), 100) != 0 || capacityHint(&rowReader{}, 3) != 0 {
		t.Error("no estimate without whole lines or a file size")
	}
}
