package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedFilesUpToDate fails when a committed generated file differs
// from what go generate ./kernels writes from the kernels as they are.
func TestGeneratedFilesUpToDate(t *testing.T) {
	files, err := generate("../../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		have, err := os.ReadFile(filepath.Join("../../..", f.path))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./kernels)", f.path, err)
			continue
		}
		if !bytes.Equal(have, f.data) {
			t.Errorf("%s is stale: run go generate ./kernels and commit the result", f.path)
		}
	}
}

// TestParseKernels checks the parser on the forms the kernels use: a
// __launch_bounds__ qualifier, __restrict__ and const pointers, a 64-bit
// parameter, comments, and a macro that defines one kernel per use.
func TestParseKernels(t *testing.T) {
	src := `
// extern "C" __global__ void commented_out(int n) {}
/* extern "C" __global__ void also_out(int n) {} */
extern "C" __global__ void __launch_bounds__(32 * 8)
plain(int act, const float* __restrict__ z, float *out, int n,
      float p, unsigned long long seed, const double* partials) {}
#define TWICE(NAME, T) \
    extern "C" __global__ void NAME(int loss, float* x) { body<T>(x); }
TWICE(first_k, 1)
TWICE(second_k, 2)
`
	ks, err := parseSource(expandMacros(stripComments(src)), "t.ptx")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range ks {
		var ps []string
		for _, p := range k.params {
			ps = append(ps, p.ctype+" "+p.name+":"+goTypes[p.kind])
		}
		got = append(got, k.name+"("+strings.Join(ps, ", ")+")")
	}
	want := []string{
		"plain(int act:device.Activation, const float* z:cu.DevicePtr, float* out:cu.DevicePtr, int n:int, float p:float32, unsigned long long seed:uint64, const double* partials:cu.DevicePtr)",
		"first_k(int loss:device.Loss, float* x:cu.DevicePtr)",
		"second_k(int loss:device.Loss, float* x:cu.DevicePtr)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("parsed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := parseSource(`extern "C" __global__ void bad(short s) {}`, "t.ptx"); err == nil {
		t.Error("a parameter type without a Go mapping was accepted")
	}
}
