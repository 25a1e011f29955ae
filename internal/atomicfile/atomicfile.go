// Package atomicfile writes files so that readers see either the old
// contents or the complete new contents, never a partial file: the data go
// to a temporary file in the same directory, which is synced and renamed
// over the target.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// tempFile is what Write does with its temporary file (an *os.File).
type tempFile interface {
	Name() string
	Write(b []byte) (int, error)
	Chmod(mode os.FileMode) error
	Sync() error
	Close() error
}

// The file-system calls Write makes; tests replace them to make each step
// fail.
var (
	createTemp = func(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }
	rename     = os.Rename
)

// Write replaces path with data atomically.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := createTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: cannot write: %w", path, unwrapPath(err))
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("%s: cannot write: %w", path, unwrapPath(err))
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("%s: cannot write: %w", path, unwrapPath(err))
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; failure here loses nothing already written
		d.Close()
	}
	return nil
}

// unwrapPath drops the *PathError wrapper so messages name the path once.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	if le, ok := err.(*os.LinkError); ok {
		return le.Err
	}
	return err
}
