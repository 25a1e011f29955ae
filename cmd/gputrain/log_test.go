package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestResumedLogAppends checks that a resumed run keeps the log records of
// the run it continues, and that a new run starts the log afresh.
func TestResumedLogAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	write := func(resumed bool, step int) {
		l, err := openLog(path, "cpu", resumed)
		if err != nil {
			t.Fatal(err)
		}
		l.write(map[string]any{"step": step})
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	write(false, 1)
	write(true, 2)
	if got, want := read(), "{\"step\":1}\n{\"step\":2}\n"; got != want {
		t.Fatalf("after a resumed run the log holds %q, want %q", got, want)
	}
	write(false, 3)
	if got, want := read(), "{\"step\":3}\n"; got != want {
		t.Fatalf("after a new run the log holds %q, want %q", got, want)
	}
}
