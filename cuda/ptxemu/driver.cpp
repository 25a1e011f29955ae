// driver.cpp — the driver entry points gputrain uses, as a stand-in for
// libcuda.so.1 that runs the PTX itself (see exec.cpp for the checks):
//
//	make cuda-ptx-test   (GPUTRAIN_LIBCUDA=bin/ptxemu.so build/ptxemu/cuda.test)
//
// cuModuleLoadData decodes the PTX it is handed (an instruction form the
// interpreter does not implement is CUDA_ERROR_INVALID_PTX, with its line on
// stderr); cuLaunchKernel checks the block size against .maxntid/.reqntid,
// copies each parameter with the size its .entry declares (refusing a 4-byte
// parameter whose 8-byte slot holds a wider value), runs the grid and
// prints every finding of the checks on stderr. A launch with findings
// returns CUDA_ERROR_LAUNCH_FAILED (or CUDA_ERROR_ILLEGAL_ADDRESS when a
// memory access was out of bounds), so tests fail loudly.
//
// Environment:
//
//	PTXEMU_BLOCK_ORDER=forward|reverse|shuffle:SEED   the order blocks run in
//	PTXEMU_PROFILE=FILE   append a JSON cost line per launch to FILE
//	PTXEMU_MEM_MIB=N      device memory (default 16384)
//	PTXEMU_TRACE=1        print every launch
#include <cuda.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "ptxemu.h"

namespace {

std::mutex mu;  // the driver is called from one goroutine; this keeps it safe anyway
std::map<CUdeviceptr, size_t> live;
size_t mem_used;

size_t mem_limit() {
	const char *v = getenv("PTXEMU_MEM_MIB");
	return (size_t)(v && *v ? atoll(v) : 16384) << 20;
}

bool valid_range(CUdeviceptr p, size_t n) {
	auto it = live.upper_bound(p);
	if (it == live.begin()) return false;
	--it;
	return p >= it->first && p + n <= it->first + it->second;
}

int the_context, the_stream;

void print_reports(const std::vector<ptxemu::Report> &reports) {
	for (auto &r : reports) fprintf(stderr, "ptxemu: %s\n", r.text.c_str());
}

}  // namespace

extern "C" {

CUresult cuInit(unsigned int) { return CUDA_SUCCESS; }

CUresult cuDriverGetVersion(int *v) {
	*v = 12020;
	return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *n) {
	*n = 1;
	return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice *d, int ordinal) {
	if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
	*d = 0;
	return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice) {
	snprintf(name, (size_t)len, "gputrain PTX interpreter (ptxemu)");
	return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice) {
	switch (attrib) {
		case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *pi = 8; break;
		case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *pi = 0; break;
		case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *pi = 1024; break;
		case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *pi = 32; break;
		default: *pi = 0;
	}
	return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem(size_t *bytes, CUdevice) {
	*bytes = mem_limit();
	return CUDA_SUCCESS;
}

CUresult cuGetErrorName(CUresult e, const char **s) {
	switch (e) {
		case CUDA_SUCCESS: *s = "CUDA_SUCCESS"; break;
		case CUDA_ERROR_INVALID_VALUE: *s = "CUDA_ERROR_INVALID_VALUE"; break;
		case CUDA_ERROR_OUT_OF_MEMORY: *s = "CUDA_ERROR_OUT_OF_MEMORY"; break;
		case CUDA_ERROR_INVALID_PTX: *s = "CUDA_ERROR_INVALID_PTX"; break;
		case CUDA_ERROR_NO_BINARY_FOR_GPU: *s = "CUDA_ERROR_NO_BINARY_FOR_GPU"; break;
		case CUDA_ERROR_LAUNCH_FAILED: *s = "CUDA_ERROR_LAUNCH_FAILED"; break;
		case CUDA_ERROR_ILLEGAL_ADDRESS: *s = "CUDA_ERROR_ILLEGAL_ADDRESS"; break;
		case CUDA_ERROR_NOT_FOUND: *s = "CUDA_ERROR_NOT_FOUND"; break;
		default: *s = "CUDA_ERROR_UNKNOWN";
	}
	return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice) {
	*ctx = (CUcontext)&the_context;
	return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRelease(CUdevice) { return CUDA_SUCCESS; }
CUresult cuCtxSetCurrent(CUcontext) { return CUDA_SUCCESS; }
CUresult cuCtxSynchronize(void) { return CUDA_SUCCESS; }

CUresult cuStreamCreate(CUstream *s, unsigned int) {
	*s = (CUstream)&the_stream;
	return CUDA_SUCCESS;
}
CUresult cuStreamSynchronize(CUstream) { return CUDA_SUCCESS; }
CUresult cuStreamDestroy(CUstream) { return CUDA_SUCCESS; }

// load parses a module; a parse error goes to stderr and, when log is
// given, into it (as the driver's JIT compiler writes its error log). A
// fatbin (magic 0xBA55ED50, compared byte by byte so that a short PTX string
// is not read past its NUL) is refused as a driver refuses one with no
// SASS for its GPU: the interpreter runs PTX text only, so every Open here
// takes the backend's PTX fallback.
static CUresult load(CUmodule *m, const void *image, char *log, size_t size) {
	const unsigned char *magic = (const unsigned char *)image;
	if (magic[0] == 0x50 && magic[1] == 0xED && magic[2] == 0x55 && magic[3] == 0xBA) {
		return CUDA_ERROR_NO_BINARY_FOR_GPU;
	}
	auto *mod = new ptxemu::Module;
	std::string err;
	if (!ptxemu::parse_module((const char *)image, *mod, err)) {
		fprintf(stderr, "ptxemu: invalid PTX: %s\n", err.c_str());
		if (log != nullptr && size > 0) snprintf(log, size, "ptxemu: invalid PTX: %s", err.c_str());
		delete mod;
		return CUDA_ERROR_INVALID_PTX;
	}
	*m = (CUmodule)mod;
	return CUDA_SUCCESS;
}

CUresult cuModuleLoadData(CUmodule *m, const void *image) { return load(m, image, nullptr, 0); }

// The JIT options honoured: the error log buffer and its size.
CUresult cuModuleLoadDataEx(CUmodule *m, const void *image, unsigned int n, CUjit_option *opt,
                            void **val) {
	char *log = nullptr;
	size_t size = 0;
	for (unsigned i = 0; i < n; i++) {
		if (opt[i] == CU_JIT_ERROR_LOG_BUFFER) log = (char *)val[i];
		if (opt[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) size = (size_t)(uintptr_t)val[i];
	}
	return load(m, image, log, size);
}

CUresult cuModuleUnload(CUmodule m) {
	delete (ptxemu::Module *)m;
	return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name) {
	for (auto &k : ((ptxemu::Module *)m)->kernels) {
		if (k.name == name) {
			*f = (CUfunction)&k;
			return CUDA_SUCCESS;
		}
	}
	return CUDA_ERROR_NOT_FOUND;
}

CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                        unsigned int by, unsigned int bz, unsigned int shmem, CUstream, void **params,
                        void **extra) {
	const ptxemu::Kernel &k = *(const ptxemu::Kernel *)f;
	unsigned long long n = (unsigned long long)bx * by * bz;
	if (gx == 0 || gy == 0 || gz == 0 || n == 0 || n > 1024 || bx > 1024 || by > 1024 || bz > 64 ||
	    gy > 65535 || gz > 65535 || gx > 2147483647u) {
		fprintf(stderr, "ptxemu: %s: invalid launch configuration grid %ux%ux%u block %ux%ux%u\n", k.name.c_str(), gx,
		        gy, gz, bx, by, bz);
		return CUDA_ERROR_INVALID_VALUE;
	}
	if (shmem != 0) {
		fprintf(stderr, "ptxemu: %s: dynamic shared memory (%u bytes) is not supported\n", k.name.c_str(), shmem);
		return CUDA_ERROR_INVALID_VALUE;
	}
	std::vector<uint8_t> buf(k.param_bytes);
	if (extra != nullptr) {
		// CU_LAUNCH_PARAM_BUFFER_POINTER, p, CU_LAUNCH_PARAM_BUFFER_SIZE, &size, CU_LAUNCH_PARAM_END
		void *ptr = nullptr;
		size_t size = 0;
		for (int i = 0; extra[i] != CU_LAUNCH_PARAM_END; i += 2) {
			if (extra[i] == CU_LAUNCH_PARAM_BUFFER_POINTER) ptr = extra[i + 1];
			else if (extra[i] == CU_LAUNCH_PARAM_BUFFER_SIZE) size = *(size_t *)extra[i + 1];
			else return CUDA_ERROR_INVALID_VALUE;
		}
		if (params != nullptr || ptr == nullptr || size != k.param_bytes) {
			fprintf(stderr, "ptxemu: %s: parameter buffer of %zu bytes, .entry declares %u\n", k.name.c_str(), size,
			        k.param_bytes);
			return CUDA_ERROR_INVALID_VALUE;
		}
		memcpy(buf.data(), ptr, size);
	} else {
		if (params == nullptr && !k.params.empty()) return CUDA_ERROR_INVALID_VALUE;
		// Each parameter takes exactly the bytes its .entry type declares.
		// gputrain hands every argument over in an 8-byte slot (cuda/launch.go),
		// zero above a 4-byte value: anything else there is a wider value
		// passed for a narrower parameter (a pointer for an int, say).
		for (size_t i = 0; i < k.params.size(); i++) {
			const ptxemu::Param &p = k.params[i];
			memcpy(buf.data() + p.offset, params[i], p.size);
			uint32_t high = 0;
			if (p.size == 4) memcpy(&high, (const char *)params[i] + 4, 4);
			if (high != 0) {
				fprintf(stderr, "ptxemu: %s: parameter %zu (%s) is %u bytes in its .entry, but its slot holds a wider value (high half 0x%08x)\n",
				        k.name.c_str(), i, p.name.c_str(), p.size, high);
				return CUDA_ERROR_INVALID_VALUE;
			}
		}
	}
	if (getenv("PTXEMU_TRACE")) {
		fprintf(stderr, "ptxemu: launch %s grid %ux%ux%u block %ux%ux%u\n", k.name.c_str(), gx, gy, gz, bx, by, bz);
	}
	std::lock_guard<std::mutex> lock(mu);
	std::vector<ptxemu::Report> reports;
	bool ok = ptxemu::launch(k, {gx, gy, gz}, {bx, by, bz}, buf, reports);
	print_reports(reports);
	if (!ok) {
		for (auto &r : reports) {
			if (r.kind == "bounds" || r.kind == "align") return CUDA_ERROR_ILLEGAL_ADDRESS;
			if (r.kind == "launch") return CUDA_ERROR_INVALID_VALUE;
		}
		return CUDA_ERROR_LAUNCH_FAILED;
	}
	return reports.empty() ? CUDA_SUCCESS : CUDA_ERROR_LAUNCH_FAILED;
}

CUresult cuMemAlloc(CUdeviceptr *p, size_t bytes) {
	if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
	std::lock_guard<std::mutex> lock(mu);
	if (mem_used + bytes > mem_limit()) return CUDA_ERROR_OUT_OF_MEMORY;
	void *base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) return CUDA_ERROR_OUT_OF_MEMORY;
	// "Unspecified contents": NaN everywhere, unless the buffer is huge (the
	// out-of-memory test allocates gigabytes it never touches).
	if (bytes <= (64u << 20)) memset(base, 0xff, bytes);
	*p = (CUdeviceptr)base;
	live[*p] = bytes;
	mem_used += bytes;
	ptxemu::mem_register(*p, bytes);
	return CUDA_SUCCESS;
}

CUresult cuMemGetInfo(size_t *free, size_t *total) {
	std::lock_guard<std::mutex> lock(mu);
	*total = mem_limit();
	*free = mem_used < *total ? *total - mem_used : 0;
	return CUDA_SUCCESS;
}

CUresult cuMemFree(CUdeviceptr p) {
	std::lock_guard<std::mutex> lock(mu);
	auto it = live.find(p);
	if (it == live.end()) return CUDA_ERROR_INVALID_VALUE;
	munmap((void *)p, it->second);
	mem_used -= it->second;
	live.erase(it);
	ptxemu::mem_unregister(p);
	return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoDAsync(CUdeviceptr dst, const void *src, size_t n, CUstream) {
	std::lock_guard<std::mutex> lock(mu);
	if (!valid_range(dst, n)) return CUDA_ERROR_INVALID_VALUE;
	memcpy((void *)dst, src, n);
	return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoHAsync(void *dst, CUdeviceptr src, size_t n, CUstream) {
	std::lock_guard<std::mutex> lock(mu);
	if (!valid_range(src, n)) return CUDA_ERROR_INVALID_VALUE;
	memcpy(dst, (const void *)src, n);
	return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream) {
	std::lock_guard<std::mutex> lock(mu);
	if (!valid_range(dst, n) || !valid_range(src, n)) return CUDA_ERROR_INVALID_VALUE;
	memmove((void *)dst, (const void *)src, n);
	return CUDA_SUCCESS;
}

}  // extern "C"
