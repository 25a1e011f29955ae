//go:build cuda

package cuda

/*
#cgo noescape gt_launch
#cgo nocallback gt_launch
#include <cuda.h>
#include <stdint.h>

// The most parameters a kernel of package kernels takes (gemm_strided_*: 15).
#define GT_MAX_ARGS 24

// gt_launch launches f with nargs parameters, parameter i in the 8-byte slot
// args[i] (the driver reads as many bytes of a slot as the kernel's parameter
// has). The driver copies the parameters before returning, so args may be
// reused at once; the pointer array lives on this C stack, so a launch
// allocates nothing (and with cgo's noescape and nocallback — it keeps no
// pointer and calls no Go code — neither does the Go side).
static CUresult gt_launch(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                          unsigned by, unsigned bz, CUstream s, uint64_t *args, int nargs) {
	void *params[GT_MAX_ARGS];
	if (nargs > GT_MAX_ARGS) return CUDA_ERROR_INVALID_VALUE;
	for (int i = 0; i < nargs; i++) params[i] = &args[i];
	return cuLaunchKernel(f, gx, gy, gz, bx, by, bz, 0, s, params, NULL);
}
*/
import "C"

import (
	"unsafe"

	"gorgonia.org/cu"
)

// maxArgs is the most parameters a launch passes (gt_launch's GT_MAX_ARGS).
const maxArgs = C.GT_MAX_ARGS

// cuFunction and cuStream take the driver handles out of gorgonia.org/cu's
// wrappers (each a struct of one C pointer, whose field is unexported).
func cuFunction(f cu.Function) C.CUfunction { return *(*C.CUfunction)(unsafe.Pointer(&f)) }
func cuStream(s cu.Stream) C.CUstream       { return *(*C.CUstream)(unsafe.Pointer(&s)) }

// launchKernel launches f on stream s with grid and block dims and the
// parameters args (one 8-byte slot each), through our own cgo call: cu's
// Function.Launch mallocs and frees two arrays per launch.
func launchKernel(f cu.Function, grid, block [3]int, s cu.Stream, args []uint64) error {
	if len(args) > maxArgs {
		return driverErr(C.CUDA_ERROR_INVALID_VALUE)
	}
	var p *C.uint64_t
	if len(args) > 0 {
		p = (*C.uint64_t)(unsafe.Pointer(&args[0]))
	}
	r := C.gt_launch(cuFunction(f), C.uint(grid[0]), C.uint(grid[1]), C.uint(grid[2]),
		C.uint(block[0]), C.uint(block[1]), C.uint(block[2]), cuStream(s), p, C.int(len(args)))
	return driverErr(r)
}

// memHostAlloc returns bytes of page-locked host memory (cuMemHostAlloc): the
// GPU copies from it asynchronously, without the driver staging it.
func memHostAlloc(bytes int64) (unsafe.Pointer, error) {
	var p unsafe.Pointer
	if err := driverErr(C.cuMemHostAlloc(&p, C.size_t(bytes), 0)); err != nil {
		return nil, err
	}
	return p, nil
}

// memFreeHost frees memory from memHostAlloc.
func memFreeHost(p unsafe.Pointer) error { return driverErr(C.cuMemFreeHost(p)) }

// driverErr is r as gorgonia.org/cu reports it (nil for CUDA_SUCCESS), so
// errors from our own calls read, and compare with errors.Is, like cu's.
func driverErr(r C.CUresult) error {
	if r == C.CUDA_SUCCESS {
		return nil
	}
	e := cu.Success // cu's unexported error type, an int
	*(*int)(unsafe.Pointer(&e)) = int(r)
	return e
}
