package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestFormats: the same table as CSV, gzip-compressed CSV and Parquet
// trains to the same result; a nested Parquet column and an unknown
// --format are one line, exit 2.
func TestFormats(t *testing.T) {
	dir := t.TempDir()
	type row struct {
		A float64 `parquet:"a"`
		B float64 `parquet:"b"`
		Y string  `parquet:"y"`
	}
	var rows []row
	var csv strings.Builder
	csv.WriteString("a,b,y\n")
	for i := 0; i < 40; i++ {
		r := row{float64(i%7) - 3, float64(i%5) * 0.5, []string{"no", "yes"}[(i%7+i%5)%2]}
		rows = append(rows, r)
		csv.WriteString(strings.Join([]string{strconv.FormatFloat(r.A, 'g', -1, 64), strconv.FormatFloat(r.B, 'g', -1, 64), r.Y}, ",") + "\n")
	}
	plain := write(t, dir, "t.csv", csv.String())
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(csv.String()))
	zw.Close()
	gz := write(t, dir, "t.csv.gz", z.String())
	var pq bytes.Buffer
	w := parquet.NewGenericWriter[row](&pq)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pqPath := write(t, dir, "t.parquet", pq.String())

	train := func(path string, extra ...string) string {
		t.Helper()
		code, stdout, stderr := gputrain(t, append([]string{"train", "--data", path, "--label", "y", "--epochs", "3", "--progress", "lines"}, extra...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", path, code, stderr)
		}
		_, rest, _ := strings.Cut(stdout, "training:") // after the data line, which names the file
		rest, _, _ = strings.Cut(rest, "trained in")
		return rest
	}
	want := train(plain)
	for _, c := range []struct {
		path  string
		extra []string
	}{{gz, nil}, {pqPath, nil}, {pqPath, []string{"--format", "parquet"}}} {
		if got := train(c.path, c.extra...); got != want {
			t.Errorf("%s %v trains differently from the CSV:\n%s\nvs\n%s", c.path, c.extra, got, want)
		}
	}

	type point struct {
		X float64 `parquet:"x"`
	}
	var nested bytes.Buffer
	nw := parquet.NewGenericWriter[struct {
		A   float64 `parquet:"a"`
		Loc point   `parquet:"where"`
	}](&nested)
	nw.Write([]struct {
		A   float64 `parquet:"a"`
		Loc point   `parquet:"where"`
	}{{1, point{2}}})
	nw.Close()
	nestedPath := filepath.Join(dir, "nested.parquet")
	if err := os.WriteFile(nestedPath, nested.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", nestedPath}, `nested.parquet: column "where" is nested`},
		{[]string{"--data", plain, "--format", "xlsx"}, `invalid --format: unknown format "xlsx"`},
		{[]string{"--data", plain, "--format", "parquet"}, `t.csv: not a readable Parquet file`},
	} {
		code, _, stderr := gputrain(t, append(c.args, "--quiet")...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}
