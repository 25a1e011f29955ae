package sysmem

import (
	"os"
	"path/filepath"
	"testing"
)

func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const meminfo = "MemTotal:       24000000 kB\nMemFree:        20000000 kB\nMemAvailable:   22000000 kB\n"

func TestAvailable(t *testing.T) {
	for _, c := range []struct {
		name   string
		files  map[string]string
		want   uint64
		source string
		ok     bool
	}{
		{"meminfo only", map[string]string{"proc/meminfo": meminfo}, 22000000 * 1024, "MemAvailable", true},
		{"cgroup v2 below", map[string]string{"proc/meminfo": meminfo, "proc/self/cgroup": "0::/job\n",
			"sys/fs/cgroup/job/memory.max": "1000000000\n", "sys/fs/cgroup/job/memory.current": "400000000\n"}, 600000000, "cgroup limit", true},
		{"cgroup v2 unlimited", map[string]string{"proc/meminfo": meminfo, "sys/fs/cgroup/memory.max": "max\n",
			"sys/fs/cgroup/memory.current": "5\n"}, 22000000 * 1024, "MemAvailable", true},
		{"cgroup v1 below", map[string]string{"proc/meminfo": meminfo, "proc/self/cgroup": "4:memory:/a/b\n0::/\n",
			"sys/fs/cgroup/memory/a/b/memory.limit_in_bytes": "2000000000", "sys/fs/cgroup/memory/a/b/memory.usage_in_bytes": "500000000"}, 1500000000, "cgroup limit", true},
		{"cgroup v1 unlimited", map[string]string{"proc/meminfo": meminfo,
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712", "sys/fs/cgroup/memory/memory.usage_in_bytes": "4006105088"}, 22000000 * 1024, "MemAvailable", true},
		{"cgroup over its limit", map[string]string{"sys/fs/cgroup/memory.max": "100", "sys/fs/cgroup/memory.current": "200"}, 0, "cgroup limit", true},
		{"nothing", nil, 0, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, source, ok := available(fakeRoot(t, c.files))
			if got != c.want || ok != c.ok || (ok && source != c.source) {
				t.Fatalf("available = %d, %q, %v; want %d, %q, %v", got, source, ok, c.want, c.source, c.ok)
			}
		})
	}
}
