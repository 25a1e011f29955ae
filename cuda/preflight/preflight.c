//go:build cuda

// preflight.c — runs before anything else in a CUDA build of gputrain (an ELF
// constructor, so before the Go runtime and before gorgonia.org/cu's init,
// which would print its own message and exit 1 when cuInit fails). It loads
// the NVIDIA driver library with dlopen, resolves the entry points cu uses
// (see shim_linux_amd64.c), and checks that a GPU is usable; if not, it prints
// one line naming the cause and how to get the CPU build, and exits 3.

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#if defined(__linux__) && defined(__x86_64__)
#define GT_HAVE_SHIM 1
#else
#define GT_HAVE_SHIM 0
#endif

// Exit status of a CUDA build started where no GPU is usable.
#define GT_EXIT_NO_GPU 3
// The embedded PTX is PTX ISA 7.8 (nvcc 11.8): the driver must support CUDA 11.8.
#define GT_MIN_DRIVER 11080

// What the preflight found, read by the Go side (preflight.go).
int gt_driver_version;
int gt_device_count;
const char *gt_libcuda_path;

typedef int (*gt_int_fn)(int *);
typedef int (*gt_init_fn)(unsigned int);
typedef int (*gt_str_fn)(int, const char **);

// gt_cuda_missing stands in for an entry point the installed driver lacks:
// calling it returns CUDA_ERROR_NOT_SUPPORTED (801) instead of jumping to 0.
static int gt_cuda_missing(void) { return 801; }

static void gt_die(const char *cause, ...) {
	char buf[512];
	va_list ap;
	va_start(ap, cause);
	vsnprintf(buf, sizeof buf, cause, ap);
	va_end(ap);
	for (char *p = buf; *p; p++) {
		if (*p == '\n' || *p == '\r') *p = ' ';  // keep it one line (dlerror can wrap)
	}
	fprintf(stderr,
	        "gputrain: no usable CUDA GPU: %s; this is the CUDA build of gputrain, "
	        "for the CPU build run \"make\" or \"go build ./cmd/gputrain\" (without -tags cuda)\n",
	        buf);
	fflush(stderr);
	_exit(GT_EXIT_NO_GPU);
}

static const char *gt_error_name(void *lib, int code) {
	static char unknown[32];
	gt_str_fn name = (gt_str_fn)dlsym(lib, "cuGetErrorName");
	const char *s = NULL;
	if (name != NULL && name(code, &s) == 0 && s != NULL) return s;
	snprintf(unknown, sizeof unknown, "CUresult %d", code);
	return unknown;
}

__attribute__((constructor)) static void gt_preflight(void) {
#if GT_HAVE_SHIM
	for (int i = 0; i < gt_cuda_nsyms; i++) gt_cuda_fn[i] = (void *)gt_cuda_missing;
#endif
	// GPUTRAIN_LIBCUDA names another driver library (a full path), e.g. to
	// test this check; the default is the driver's soname.
	const char *path = getenv("GPUTRAIN_LIBCUDA");
	if (path == NULL || *path == '\0') path = "libcuda.so.1";
	gt_libcuda_path = path;
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		const char *err = dlerror();
		gt_die("no NVIDIA driver (%s)", err ? err : "libcuda.so.1 cannot be loaded");
	}
#if GT_HAVE_SHIM
	for (int i = 0; i < gt_cuda_nsyms; i++) {
		void *f = dlsym(lib, gt_cuda_names[i]);
		if (f != NULL) gt_cuda_fn[i] = f;
	}
#endif
	gt_init_fn init = (gt_init_fn)dlsym(lib, "cuInit");
	gt_int_fn version = (gt_int_fn)dlsym(lib, "cuDriverGetVersion");
	gt_int_fn count = (gt_int_fn)dlsym(lib, "cuDeviceGetCount");
	if (init == NULL || version == NULL || count == NULL) {
		gt_die("%s is not a usable NVIDIA driver library (no cuInit)", path);
	}
	if (version(&gt_driver_version) != 0) gt_driver_version = 0;
	int v = gt_driver_version;
	if (v > 0 && v < GT_MIN_DRIVER) {
		gt_die("NVIDIA driver too old (it supports CUDA %d.%d; gputrain's kernels need 11.8 or newer)",
		       v / 1000, v % 1000 / 10);
	}
	int r = init(0);
	if (r == 34) {  // CUDA_ERROR_STUB_LIBRARY
		gt_die("no NVIDIA driver (%s is the CUDA toolkit's stub library, not a driver)", path);
	}
	if (r == 100) {  // CUDA_ERROR_NO_DEVICE
		gt_die("no CUDA device (the NVIDIA driver, CUDA %d.%d, found no GPU: cuInit: %s)",
		       v / 1000, v % 1000 / 10, gt_error_name(lib, r));
	}
	if (r != 0) {
		gt_die("no CUDA device (cuInit failed: %s; is the NVIDIA kernel module loaded and the "
		       "same version as libcuda? try nvidia-smi)", gt_error_name(lib, r));
	}
	r = count(&gt_device_count);
	if (r != 0 || gt_device_count <= 0) {
		gt_die("no CUDA device (the NVIDIA driver, CUDA %d.%d, reports none)", v / 1000,
		       v % 1000 / 10);
	}
	// lib stays loaded: the shim's entry points point into it.
}
