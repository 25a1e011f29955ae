// Package kernels holds gputrain's CUDA kernels: the .cu sources (one file
// per op family, as in packages device, cpu and cuda) and what `make kernels`
// generates from each: its PTX (nvcc -ptx -arch=compute_80 -O3) and its
// fatbin (SASS for sm_80 and sm_90 plus the compute_80 PTX), committed and
// embedded here as strings.
//
// The package imports nothing CUDA and builds with or without the cuda build
// tag; only the CUDA backend (package cuda, built with -tags cuda) loads the
// modules. It hands the driver the fatbin first: on an A100 (sm_80, and
// every sm_8x) or an H100/H200 (sm_90) the driver takes the SASS as it is,
// with no JIT compilation at Open. Where the driver refuses the fatbin it
// loads the PTX, JIT-compiling it for the GPU at hand. compute_80 PTX runs on
// Ampere and every newer GPU; the driver must support CUDA 11.8 or newer
// (PTX ISA 7.8).
//
// After editing a .cu file run `make kernels` and commit the .ptx and the
// .fatbin with it; `make check-ptx` (run by CI where nvcc is installed)
// fails when the committed files do not match the sources. After adding a
// kernel or changing a kernel's parameters run `go generate ./kernels` too:
// it rewrites the embedded module list (embed.go), the C constants of the
// activation and loss codes (enums_gen.cuh), the CUDA backend's typed
// launch methods (cuda/launch_gen.go) and the emulator's kernel table
// (cuda/emu/kernels_gen.h) from the kernels' signatures; its test fails
// when they are stale.
package kernels

//go:generate go run ./internal/gen -root ..

// Module is one kernel module and the kernels (extern "C" entry points) it
// defines.
type Module struct {
	// File is the PTX file name, e.g. "gemm.ptx".
	File string
	// PTX is the module's compute_80 PTX text.
	PTX string
	// Fatbin is the module's fatbin image (the .fatbin file beside File):
	// sm_80 and sm_90 SASS and the same PTX.
	Fatbin string
	// Kernels are the entry points the CUDA backend looks up in it.
	Kernels []string
}
