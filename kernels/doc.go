// Package kernels holds gputrain's CUDA kernels: the .cu sources (one file
// per op family, as in packages device, cpu and cuda) and the PTX that
// `make kernels` generates from them (nvcc -ptx -arch=compute_80 -O3),
// committed and embedded here as strings.
//
// The package imports nothing CUDA and builds with or without the cuda build
// tag; only the CUDA backend (package cuda, built with -tags cuda) loads the
// PTX, JIT-compiling it for the GPU at hand with cuModuleLoadData. compute_80
// PTX runs on Ampere (sm_80) and every newer GPU (Hopper's sm_90 included);
// the driver must support CUDA 11.8 or newer (PTX ISA 7.8).
//
// After editing a .cu file run `make kernels` and commit the .ptx with it;
// `make check-ptx` (run by CI where nvcc is installed) fails when the
// committed PTX does not match the sources. After adding a kernel or
// changing a kernel's parameters run `go generate ./kernels` too: it
// rewrites the embedded module list (embed.go), the C constants of the
// activation and loss codes (enums_gen.cuh), the CUDA backend's typed
// launch methods (cuda/launch_gen.go) and the emulator's kernel table
// (cuda/emu/kernels_gen.h) from the kernels' signatures; its test fails
// when they are stale.
package kernels

//go:generate go run ./internal/gen -root ..

// Module is one PTX module and the kernels (extern "C" entry points) it
// defines.
type Module struct {
	// File is the PTX file name, e.g. "gemm.ptx".
	File string
	// PTX is the module's text.
	PTX string
	// Kernels are the entry points the CUDA backend looks up in it.
	Kernels []string
}
