package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gputrain/gputrain/internal/atomicfile"
)

// checkOutput checks, before any training, that the file a flag names can
// be written (see atomicfile.CheckWritable), and removes the temporary
// files that killed runs left next to it.
func checkOutput(flag, path string) error {
	if path == "" {
		return nil
	}
	atomicfile.CleanStale(path)
	if err := atomicfile.CheckWritable(path); err != nil {
		return usageError{fmt.Errorf("%s %v", flag, err)}
	}
	return nil
}

// checkOutputDir makes the directory a flag names (--plots) and checks that
// files can be created in it.
func checkOutputDir(flag, dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError{fmt.Errorf("%s %s: %v", flag, dir, unwrapPathError(err))}
	}
	f, err := os.CreateTemp(dir, ".gputrain-check-*")
	if err != nil {
		return usageError{fmt.Errorf("%s %s: cannot write in it: %v", flag, dir, unwrapPathError(err))}
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// saveInterrupted saves the checkpoint of an interrupted run to path or,
// when that fails (a full disk, a folder gone read-only), to the system's
// temporary directory. It returns where it was saved, or why it could not
// be.
func saveInterrupted(save func(string) error, path string) (string, error) {
	err := save(path)
	if err == nil {
		return path, nil
	}
	alt := filepath.Join(os.TempDir(), fmt.Sprintf("gputrain-%d.ckpt", os.Getpid()))
	if err2 := save(alt); err2 != nil {
		return "", fmt.Errorf("%v; nor to %v", err, err2)
	}
	return alt, nil
}
