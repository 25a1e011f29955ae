package data

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file on disk takes the sized path of openRecords (its size hints the
// matrix); a bad delimiter must still be an error there, not a source
// without a reader.
func TestInvalidDelimiterOnFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(path, []byte(sampleCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadSingle(path, "species", Options{Delimiter: '"'})
	if err == nil || !strings.Contains(err.Error(), "x.csv") || !strings.Contains(err.Error(), "invalid delimiter") {
		t.Errorf("quote delimiter on a file: %v, want an invalid-delimiter error naming x.csv", err)
	}
}

// A truncated archive is reported as bad gzip data, not as a CSV problem
// or a bare "unexpected EOF" that does not say where it comes from.
func TestTruncatedGzipSaysGzip(t *testing.T) {
	rows := sampleCSV[strings.IndexByte(sampleCSV, '\n')+1:]
	z := gzipped(t, sampleCSV+strings.Repeat(rows, 200))
	_, err := ParseSingle(bytes.NewReader(z[:len(z)/2]), "cut.csv.gz", "species", Options{})
	if err == nil || !strings.Contains(err.Error(), "bad gzip data") {
		t.Errorf("truncated gzip: %v, want a bad gzip data error", err)
	}
}
