package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// failingFile is a real temporary file one of whose steps fails.
type failingFile struct {
	*os.File
	step string // "write", "chmod", "sync" or "close"
	err  error
}

func (f *failingFile) Write(b []byte) (int, error) {
	if f.step == "write" {
		n, _ := f.File.Write(b[:len(b)/2]) // a short write, as a full disk gives
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: f.err}
	}
	return f.File.Write(b)
}

func (f *failingFile) Chmod(mode os.FileMode) error {
	if f.step == "chmod" {
		return &os.PathError{Op: "chmod", Path: f.Name(), Err: f.err}
	}
	return f.File.Chmod(mode)
}

func (f *failingFile) Sync() error {
	if f.step == "sync" {
		return &os.PathError{Op: "sync", Path: f.Name(), Err: f.err}
	}
	return f.File.Sync()
}

func (f *failingFile) Close() error {
	err := f.File.Close()
	if f.step == "close" {
		return &os.PathError{Op: "close", Path: f.Name(), Err: f.err}
	}
	return err
}

// TestWriteFailuresKeepTheOldFile makes each step of Write fail in turn
// and checks the error names the path once, says what failed, leaves the
// old contents in place and leaves no temporary file behind.
func TestWriteFailuresKeepTheOldFile(t *testing.T) {
	defer func(c func(string, string) (tempFile, error), r func(string, string) error) {
		createTemp, rename = c, r
	}(createTemp, rename)
	for _, c := range []struct {
		step string
		err  error
	}{
		{"create", syscall.EACCES},
		{"write", syscall.ENOSPC},
		{"chmod", syscall.EPERM},
		{"sync", syscall.EIO},
		{"close", syscall.EDQUOT},
		{"rename", syscall.EXDEV},
	} {
		dir := t.TempDir()
		p := filepath.Join(dir, "model.safetensors")
		if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		createTemp = func(dir, pattern string) (tempFile, error) {
			if c.step == "create" {
				return nil, &os.PathError{Op: "open", Path: filepath.Join(dir, pattern), Err: c.err}
			}
			f, err := os.CreateTemp(dir, pattern)
			if err != nil {
				return nil, err
			}
			return &failingFile{File: f, step: c.step, err: c.err}, nil
		}
		rename = func(from, to string) error {
			if c.step == "rename" {
				return &os.LinkError{Op: "rename", Old: from, New: to, Err: c.err}
			}
			return os.Rename(from, to)
		}
		err := Write(p, []byte("new contents"), 0o600)
		if err == nil {
			t.Fatalf("%s failing: Write succeeded", c.step)
		}
		if !errors.Is(err, c.err) || strings.Count(err.Error(), p) != 1 || !strings.HasSuffix(err.Error(), c.err.Error()) {
			t.Errorf("%s failing: error %q, want one naming %s once and ending in %q", c.step, err, p, c.err)
		}
		if got, _ := os.ReadFile(p); string(got) != "old" {
			t.Errorf("%s failing: the file now holds %q, want the old contents", c.step, got)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%s failing: the directory holds %d entries, want only the target", c.step, len(entries))
		}
	}
}

// TestWriteSetsThePermissions checks the mode reaches the file.
func TestWriteSetsThePermissions(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m")
	if err := Write(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}
