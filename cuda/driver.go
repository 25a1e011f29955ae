//go:build cuda

package cuda

/*
#cgo noescape gt_launch
#cgo nocallback gt_launch
#include <cuda.h>
#include <stdint.h>
#include <stdlib.h>

// gt_load_module loads a module image with cuModuleLoadDataEx, asking the
// driver's JIT compiler for its error log (into log, logSize bytes).
static CUresult gt_load_module(CUmodule *m, const void *image, char *log, size_t logSize) {
	CUjit_option opt[2] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
	void *val[2] = {log, (void *)(uintptr_t)logSize};
	return cuModuleLoadDataEx(m, image, 2, opt, val);
}

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
	"fmt"
	"strings"
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

// jitLogSize is the room given to the JIT compiler's error log.
const jitLogSize = 16 << 10

// loadModule loads a module image (PTX text or a fatbin) with
// cuModuleLoadDataEx; on failure the error carries the JIT compiler's log
// (which says what in the PTX it could not compile), which cu.LoadData drops.
// The image is copied into C memory (malloc's alignment suits a fatbin).
func loadModule(image string) (cu.Module, error) {
	img := C.CString(image)
	defer C.free(unsafe.Pointer(img))
	log := (*C.char)(C.calloc(jitLogSize, 1))
	defer C.free(unsafe.Pointer(log))
	var m C.CUmodule
	if err := driverErr(C.gt_load_module(&m, unsafe.Pointer(img), log, jitLogSize)); err != nil {
		if l := strings.TrimSpace(C.GoString(log)); l != "" {
			return cu.Module{}, fmt.Errorf("%w; JIT log: %s", err, strings.ReplaceAll(l, "\n", "; "))
		}
		return cu.Module{}, err
	}
	var mod cu.Module // cu's wrapper, a struct of the one handle
	*(*C.CUmodule)(unsafe.Pointer(&mod)) = m
	return mod, nil
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
