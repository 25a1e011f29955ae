// Package sysmem tells how much memory this process may still allocate:
// the kernel's estimate of available memory (MemAvailable in
// /proc/meminfo), lowered to what the process's memory cgroup (v2 or v1)
// has left under its limit.
package sysmem

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Available returns the bytes this process may still allocate and where
// the figure comes from ("MemAvailable" or "cgroup limit"); ok is false
// where neither can be read (on systems without /proc).
func Available() (bytes uint64, source string, ok bool) {
	return available("/")
}

// available is Available with the file system rooted at root (for tests).
func available(root string) (uint64, string, bool) {
	bytes, ok := memAvailable(filepath.Join(root, "proc/meminfo"))
	source := "MemAvailable"
	if left, ok2 := cgroupLeft(root); ok2 && (!ok || left < bytes) {
		bytes, source, ok = left, "cgroup limit", true
	}
	return bytes, source, ok
}

// memAvailable reads MemAvailable (in kB) from a meminfo file.
func memAvailable(path string) (uint64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil || kb > 1<<53 {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}

// cgroupLeft returns the memory limit of the process's cgroup less its
// usage, looking at the cgroup v2 and v1 files both at the cgroup root (a
// container's namespaced view) and under the path /proc/self/cgroup names.
func cgroupLeft(root string) (uint64, bool) {
	v2, v1 := "/", "/"
	if b, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 {
				continue
			}
			switch {
			case parts[0] == "0" && parts[1] == "":
				v2 = parts[2]
			case strings.Contains(","+parts[1]+",", ",memory,"):
				v1 = parts[2]
			}
		}
	}
	best, found := uint64(0), false
	consider := func(limitFile, usageFile string) {
		limit, ok1 := readUint(limitFile)
		usage, ok2 := readUint(usageFile)
		// v1 reports "no limit" as a huge number rounded to the page size.
		if !ok1 || !ok2 || limit >= 1<<62 {
			return
		}
		left := uint64(0)
		if limit > usage {
			left = limit - usage
		}
		if !found || left < best {
			best, found = left, true
		}
	}
	for _, dir := range uniq(filepath.Join(root, "sys/fs/cgroup"), filepath.Join(root, "sys/fs/cgroup", v2)) {
		consider(filepath.Join(dir, "memory.max"), filepath.Join(dir, "memory.current"))
	}
	for _, dir := range uniq(filepath.Join(root, "sys/fs/cgroup/memory"), filepath.Join(root, "sys/fs/cgroup/memory", v1)) {
		consider(filepath.Join(dir, "memory.limit_in_bytes"), filepath.Join(dir, "memory.usage_in_bytes"))
	}
	return best, found
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// readUint reads a file holding one unsigned number ("max" is no limit).
func readUint(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return v, err == nil
}
