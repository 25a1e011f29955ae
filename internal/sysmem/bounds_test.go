package sysmem

import "testing"

// Cases on the exact bounds of available's checks, with the expected
// bytes and source worked out by hand from the files.
func TestAvailableAtTheBounds(t *testing.T) {
	for _, c := range []struct {
		name   string
		files  map[string]string
		want   uint64
		source string
		ok     bool
	}{
		// 22000000 kB is 22528000000 bytes; the cgroup leaves as much: a
		// tie goes to MemAvailable.
		{"cgroup equal to MemAvailable", map[string]string{"proc/meminfo": meminfo,
			"sys/fs/cgroup/memory.max": "22528000005", "sys/fs/cgroup/memory.current": "5"}, 22528000000, "MemAvailable", true},
		// A MemAvailable line without its unit still has the two fields read.
		{"meminfo without unit", map[string]string{"proc/meminfo": "MemAvailable: 1000\n"}, 1024000, "MemAvailable", true},
		// 2⁵³ kB is the largest value read (2⁶³ bytes); one more is refused.
		{"meminfo at the largest", map[string]string{"proc/meminfo": "MemAvailable: 9007199254740992 kB\n"}, 1 << 63, "MemAvailable", true},
		{"meminfo past the largest", map[string]string{"proc/meminfo": "MemAvailable: 9007199254740993 kB\n"}, 0, "", false},
		// A limit of 2⁶² or more is "no limit"; just below it is a limit.
		{"cgroup limit at 2^62", map[string]string{"sys/fs/cgroup/memory.max": "4611686018427387904", "sys/fs/cgroup/memory.current": "0"}, 0, "", false},
		{"cgroup limit below 2^62", map[string]string{"sys/fs/cgroup/memory.max": "4611686018427387903", "sys/fs/cgroup/memory.current": "3"}, 4611686018427387900, "cgroup limit", true},
		// The root cgroup leaves 1000 bytes, the job's own 500: the smaller counts.
		{"nested cgroups", map[string]string{"proc/self/cgroup": "0::/job\n",
			"sys/fs/cgroup/memory.max": "1000", "sys/fs/cgroup/memory.current": "0",
			"sys/fs/cgroup/job/memory.max": "700", "sys/fs/cgroup/job/memory.current": "200"}, 500, "cgroup limit", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, source, ok := available(fakeRoot(t, c.files))
			if got != c.want || ok != c.ok || (ok && source != c.source) {
				t.Fatalf("available = %d, %q, %v; want %d, %q, %v", got, source, ok, c.want, c.source, c.ok)
			}
		})
	}
}
