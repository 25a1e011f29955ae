package kernels

import (
	"os"
	"strings"
	"testing"
)

// TestModules checks that every listed kernel is an entry point of its
// embedded PTX, that the PTX targets compute_80, and that each .cu file has
// its module (so a new kernel file cannot be forgotten).
func TestModules(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Modules {
		seen[strings.TrimSuffix(m.File, ".ptx")] = true
		if !strings.Contains(m.PTX, ".target sm_80") {
			t.Errorf("%s: PTX does not target sm_80 (compute_80)", m.File)
		}
		for _, k := range m.Kernels {
			if !strings.Contains(m.PTX, ".entry "+k+"(") {
				t.Errorf("%s: no entry point %q", m.File, k)
			}
		}
	}
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name, ok := strings.CutSuffix(f.Name(), ".cu"); ok && !seen[name] {
			t.Errorf("%s has no entry in Modules", f.Name())
		}
	}
}
