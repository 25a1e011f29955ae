// Package kernels holds gputrain's CUDA kernels: the .cu sources (one file
// per kernel family) and the PTX that `make kernels` generates from them
// (nvcc -ptx -arch=compute_80 -O3), committed and embedded here as strings.
//
// The package imports nothing CUDA and builds with or without the cuda build
// tag; only the CUDA backend (package cuda, built with -tags cuda) loads the
// PTX, JIT-compiling it for the GPU at hand with cuModuleLoadData. compute_80
// PTX runs on Ampere (sm_80) and every newer GPU (Hopper's sm_90 included);
// the driver must support CUDA 11.8 or newer (PTX ISA 7.8).
//
// After editing a .cu file run `make kernels` and commit the .ptx with it;
// `make check-ptx` (run by CI where nvcc is installed) fails when the
// committed PTX does not match the sources.
package kernels

import _ "embed" // for go:embed

// The generated PTX, one module per .cu file.
var (
	//go:embed gemm.ptx
	GemmPTX string
	//go:embed activation.ptx
	ActivationPTX string
	//go:embed loss.ptx
	LossPTX string
	//go:embed reduce.ptx
	ReducePTX string
	//go:embed optim.ptx
	OptimPTX string
	//go:embed elementwise.ptx
	ElementwisePTX string
	//go:embed memory.ptx
	MemoryPTX string
	//go:embed batchnorm.ptx
	BatchNormPTX string
)

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

// Modules lists every module with its kernels, in load order.
var Modules = []Module{
	{"gemm.ptx", GemmPTX, []string{"gemm_nn", "gemm_nt", "gemm_tn", "gemm_tt",
		"gemm_strided_nn", "gemm_strided_nt", "gemm_strided_tn", "gemm_strided_tt",
		"gemm_splitk_nn", "gemm_splitk_nt", "gemm_splitk_tn", "gemm_splitk_tt", "gemm_splitk_reduce"}},
	{"activation.ptx", ActivationPTX, []string{"bias_act_forward", "act_backward"}},
	{"loss.ptx", LossPTX, []string{"loss_elementwise", "loss_softmax_ce", "loss_finalize"}},
	{"reduce.ptx", ReducePTX, []string{"column_sums"}},
	{"optim.ptx", OptimPTX, []string{"sgd_step", "momentum_step", "adam_step"}},
	{"elementwise.ptx", ElementwisePTX, []string{"mul", "dropout"}},
	{"memory.ptx", MemoryPTX, []string{"fill", "gather_rows"}},
	{"batchnorm.ptx", BatchNormPTX, []string{"batchnorm_train", "batchnorm_eval", "batchnorm_backward"}},
}
