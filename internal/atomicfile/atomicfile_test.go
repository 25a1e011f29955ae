package atomicfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

func TestWriteFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.safetensors")
	link := filepath.Join(dir, "link.safetensors")
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.safetensors", link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := Write(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", st, err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Fatalf("the link's target holds %q, want new", b)
	}
	// A dangling link: the file it names is created.
	dangling := filepath.Join(dir, "dangling")
	os.Symlink("made.bin", dangling)
	if err := Write(dangling, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "made.bin")); string(b) != "x" {
		t.Fatalf("dangling link's target holds %q", b)
	}
}

func TestWriteRefusesDevicesAndDirectories(t *testing.T) {
	dir := t.TempDir()
	for path, want := range map[string]string{
		os.DevNull: "not a regular file but a character device",
		dir:        "it is a directory",
	} {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		for name, f := range map[string]func(string) error{
			"Write":         func(p string) error { return Write(p, []byte("x"), 0o644) },
			"CheckWritable": CheckWritable,
		} {
			if err := f(path); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s(%s): %v, want %q", name, path, err, want)
			}
		}
	}
	if st, err := os.Stat(os.DevNull); err == nil && st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s was replaced by a %v", os.DevNull, st.Mode())
	}
}

// TestCheckWritable uses a path whose parent is a file, which no user,
// root included, can create a file under.
func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "ok.bin")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	err := CheckWritable(filepath.Join(file, "x.bin"))
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("parent is a file: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("CheckWritable left %d entries", len(entries))
	}
}

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run a child process: %v", err)
	}
	return cmd.Process.Pid
}

func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "m.safetensors")
	dead, alive := deadPID(t), os.Getppid()
	stale := filepath.Join(dir, tempPrefix(target, dead)+"123")
	keep := []string{
		filepath.Join(dir, tempPrefix(target, alive)+"456"),              // a write in progress
		filepath.Join(dir, tempPrefix(target, os.Getpid())+"789"),        // ours
		filepath.Join(dir, ".other.safetensors.tmp-"+strconv.Itoa(dead)), // another file's
		filepath.Join(dir, ".m.safetensors.tmp-notapid-1"),
	}
	for _, p := range append([]string{stale}, keep...) {
		os.WriteFile(p, []byte("partial"), 0o644)
	}
	removed := CleanStale(target)
	if len(removed) != 1 || removed[0] != stale {
		t.Fatalf("removed %v, want only %s", removed, stale)
	}
	for _, p := range keep {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", p)
		}
	}
}
