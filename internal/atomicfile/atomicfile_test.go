package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.safetensors")
	for _, content := range []string{"first", "second, longer"} {
		if err := Write(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v; want %q", got, err, content)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the target", len(entries))
	}
}

func TestWriteErrorNamesPathOnce(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing-dir", "m.safetensors")
	err := Write(p, []byte("x"), 0o644)
	if err == nil || strings.Count(err.Error(), p) != 1 || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %q should name %s once, on one line", err, p)
	}
}
