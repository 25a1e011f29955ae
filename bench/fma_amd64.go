//go:build amd64

package bench

import (
	"os"
	"strings"
)

//go:noescape
func fmaLoop512(n int)

//go:noescape
func fmaLoop256(n int)

// fmaKernel returns the widest FMA loop the CPU and OS support, the flops
// one of its iterations does, and its name; nil when there is none. The
// features are read from /proc/cpuinfo, whose flags the kernel clears when
// it does not save the registers they need.
func fmaKernel() (func(int), float64, string) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return nil, 0, ""
	}
	var flags []string
	for _, line := range strings.Split(string(b), "\n") {
		if name, val, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			flags = strings.Fields(val)
			break
		}
	}
	has := func(f string) bool {
		for _, x := range flags {
			if x == f {
				return true
			}
		}
		return false
	}
	switch {
	case has("avx512f"):
		return fmaLoop512, 12 * 16 * 2, "AVX-512 VFMADD231PS, 12 chains"
	case has("avx2") && has("fma"):
		return fmaLoop256, 12 * 8 * 2, "AVX2 VFMADD231PS, 12 chains"
	}
	return nil, 0, ""
}
