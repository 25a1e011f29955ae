// Package atomicfile writes files so that readers see either the old
// contents or the complete new contents, never a partial file: the data go
// to a temporary file in the same directory, which is synced and renamed
// over the target.
//
// A temporary file's name carries the writing process's id, so that files
// left behind by a process that was killed before it could remove them
// can be told apart from those of a write in progress and removed
// (CleanStale).
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// Write replaces path with data atomically. A symbolic link is followed:
// the file it points to is replaced, the link stays. A path naming
// anything but a regular file (a directory, a device, a pipe) is refused.
func Write(path string, data []byte, perm os.FileMode) error {
	target, err := Resolve(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	tmp, err := createTemp(dir, tempPrefix(target, os.Getpid())+"*")
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
	if err := rename(name, target); err != nil {
		os.Remove(name)
		return fmt.Errorf("%s: cannot write: %w", path, unwrapPath(err))
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; failure here loses nothing already written
		d.Close()
	}
	return nil
}

// maxLinks bounds the symbolic links Resolve follows (as the kernel does).
const maxLinks = 40

// Resolve returns the file Write would replace for path: path itself, or
// the end of the chain of symbolic links it names (which need not exist
// yet). It refuses a path that names an existing directory, device, pipe
// or socket, whose replacement by a regular file would be a surprise.
func Resolve(path string) (string, error) {
	target := path
	for range maxLinks {
		st, err := os.Lstat(target)
		if errors.Is(err, os.ErrNotExist) {
			return target, nil
		}
		if err != nil {
			return "", fmt.Errorf("%s: cannot write: %w", path, unwrapPath(err))
		}
		switch mode := st.Mode(); {
		case mode.IsRegular():
			return target, nil
		case mode&os.ModeSymlink != 0:
			link, err := os.Readlink(target)
			if err != nil {
				return "", fmt.Errorf("%s: cannot write: %w", path, unwrapPath(err))
			}
			if !filepath.IsAbs(link) {
				link = filepath.Join(filepath.Dir(target), link)
			}
			target = link
		case mode.IsDir():
			return "", fmt.Errorf("%s: cannot write: it is a directory (give a file name)", path)
		default:
			return "", fmt.Errorf("%s: cannot write: it is not a regular file but a %s", path, kind(mode))
		}
	}
	return "", fmt.Errorf("%s: cannot write: too many levels of symbolic links", path)
}

// kind names a non-regular file mode.
func kind(m os.FileMode) string {
	switch {
	case m&os.ModeCharDevice != 0:
		return "character device"
	case m&os.ModeDevice != 0:
		return "block device"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}

// CheckWritable reports, without changing anything lasting, whether Write
// could write path: the target is a regular file or absent, and a file can
// be created in its directory (it creates and removes a temporary file
// there).
func CheckWritable(path string) error {
	target, err := Resolve(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	if st, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: the directory %s does not exist", path, dir)
	} else if err != nil {
		return fmt.Errorf("%s: cannot write: the directory %s: %w", path, dir, unwrapPath(err))
	} else if !st.IsDir() {
		return fmt.Errorf("%s: cannot write: %s is not a directory", path, dir)
	}
	tmp, err := os.CreateTemp(dir, tempPrefix(target, os.Getpid())+"*")
	if err != nil {
		return fmt.Errorf("%s: cannot write: %w", path, unwrapPath(err))
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return nil
}

// tempPrefix is the start of the names of the temporary files process pid
// writes on its way to target.
func tempPrefix(target string, pid int) string {
	return "." + filepath.Base(target) + ".tmp-" + strconv.Itoa(pid) + "-"
}

// CleanStale removes the temporary files that writes of path by processes
// that no longer run left in path's directory, and returns their names.
// Files of running processes, and every other file, are left alone.
func CleanStale(path string) []string {
	target, err := Resolve(path)
	if err != nil {
		return nil
	}
	dir := filepath.Dir(target)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	prefix := "." + filepath.Base(target) + ".tmp-"
	var removed []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || processRuns(pid) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if os.Remove(name) == nil {
			removed = append(removed, name)
		}
	}
	return removed
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
