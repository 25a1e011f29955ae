// fakecuda.cpp — a stand-in for the NVIDIA driver library (libcuda.so.1)
// that runs gputrain's kernels on the CPU, for checking the CUDA backend on
// machines without a GPU:
//
//	make cuda-emu-test   (GPUTRAIN_LIBCUDA=bin/fakecuda.so bin/gpu/cuda.test)
//
// It implements the few driver entry points the backend uses (package
// preflight loads it in place of libcuda.so.1 and routes gorgonia.org/cu's
// calls to it). Kernels are kernels/*.cu compiled as host C++ with emu.h;
// cuModuleGetFunction finds them by name, after checking that the PTX
// handed to cuModuleLoadData really defines that entry point, and
// cuLaunchKernel unpacks the parameters exactly as the driver does (each
// from its own slot, taking as many bytes as the kernel's parameter type)
// and runs the grid, each CUDA thread a fiber (see below). Launch
// configurations are checked against the hardware limits. Every allocation
// ends at a page boundary followed by an inaccessible page, so a kernel
// that reads or writes past the end of a buffer crashes the emulator instead
// of passing silently, and fresh allocations are filled with NaN.
//
// Environment knobs, for testing the preflight's messages:
//
//	FAKECUDA_INIT=N      cuInit returns N (100: no device, 34: stub library)
//	FAKECUDA_VERSION=N   cuDriverGetVersion reports N (default 12020)
//	FAKECUDA_DEVICES=N   cuDeviceGetCount reports N (default 1)
//	FAKECUDA_MEM_MIB=N   device memory (default 16384): more gives OUT_OF_MEMORY
//	FAKECUDA_TRACE=1     print every launch (a kernel that reads or writes out
//	                     of bounds dies with SIGSEGV: the last line names it)
//
// What it cannot check: the PTX itself (ptxas does, in make check-ptx), real
// concurrency between blocks, and the GPU's math library's last bits.
#include <cuda.h>
#include <ucontext.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

// ---- the kernels (kernels/*.cu, compiled with emu.h) ----
extern "C" {
void gemm_nn(int, int, int, float, const float *, const float *, float, float *);
void gemm_nt(int, int, int, float, const float *, const float *, float, float *);
void gemm_tn(int, int, int, float, const float *, const float *, float, float *);
void gemm_tt(int, int, int, float, const float *, const float *, float, float *);
void gemm_strided_nn(int, int, int, float, const float *, int, int, const float *, int, int, float,
                     float *, int, int, int);
void gemm_strided_nt(int, int, int, float, const float *, int, int, const float *, int, int, float,
                     float *, int, int, int);
void gemm_strided_tn(int, int, int, float, const float *, int, int, const float *, int, int, float,
                     float *, int, int, int);
void gemm_strided_tt(int, int, int, float, const float *, int, int, const float *, int, int, float,
                     float *, int, int, int);
void bias_act_forward(int, float, float *, const float *, float *, int, int);
void act_backward(int, float, const float *, const float *, const float *, float *, int);
void loss_elementwise(int, const float *, const float *, float *, int, int, int, float, double *);
void loss_softmax_ce(const float *, const float *, float *, int, int, int, float, double *);
void loss_finalize(const double *, int, float *, int);
void column_sums(const float *, int, int, float *);
void sgd_step(float *, const float *, float *, float *, int, float, float, float, float, float, float,
              float, float, float, float);
void momentum_step(float *, const float *, float *, float *, int, float, float, float, float, float,
                   float, float, float, float, float);
void adam_step(float *, const float *, float *, float *, int, float, float, float, float, float,
               float, float, float, float, float);
void adamw_step(float *, const float *, float *, float *, int, float, float, float, float, float,
                float, float, float, float, float);
void rmsprop_step(float *, const float *, float *, float *, int, float, float, float, float, float,
                  float, float, float, float, float);
void add_l1(float *, const float *, int, float);
void fill(float *, int, float);
void mul(const float *, const float *, float *, int);
void gather_rows(const float *, int, const int *, int, float *, int, int);
void dropout(float *, float *, int, float, unsigned long long);
void batchnorm_train(int, const float *, const float *, const float *, float *, float *, float *,
                     float *, float *, int, int, float, float);
void batchnorm_eval(int, const float *, const float *, const float *, const float *, const float *,
                    float *, int, int, float);
void batchnorm_backward(const float *, const float *, const float *, const float *, const float *,
                        float *, float *, float *, int, int);
}

// ---- the CUDA execution model on cooperative fibers ----
//
// The threads of a block are ucontext fibers run round-robin on the calling
// OS thread. A fiber runs until it reaches a barrier (__syncthreads, or the
// exchange inside __shfl_xor_sync, which synchronises the 32 lanes of its
// warp) and then yields; a barrier opens when every live thread it covers
// has arrived. If every remaining fiber waits and no barrier can open — a
// barrier not reached by all threads, i.e. a kernel bug — the emulator says
// so and aborts. Blocks run one after another, so __shared__ variables are
// plain statics.
struct emu_dim3 {
	unsigned int x, y, z;
};
thread_local emu_dim3 threadIdx, blockIdx;
emu_dim3 blockDim, gridDim;

namespace {

const size_t kStack = 64 << 10;

struct Fiber {
	ucontext_t ctx;
	std::vector<char> stack;
	int wait = -1;  // barrier waited on: 0 the block, 1+w warp w; -1 runnable
	bool done = false;
};

struct Block {
	std::function<void()> body;
	std::vector<Fiber> fibers;
	ucontext_t sched;
	unsigned cur = 0;               // the running fiber (= linear thread id)
	std::vector<uint64_t> slots;    // one 8-byte value per thread for shuffles
	const char *kernel = "";
};

Block *blk;

void fiber_main() {
	blk->body();
	blk->fibers[blk->cur].done = true;
	// returning resumes uc_link (the scheduler)
}

void set_thread_index(unsigned t) {
	threadIdx = {t % blockDim.x, t / blockDim.x % blockDim.y, t / (blockDim.x * blockDim.y)};
}

// barrier_wait parks the running fiber on barrier id until it opens.
void barrier_wait(int id) {
	Fiber &f = blk->fibers[blk->cur];
	f.wait = id;
	swapcontext(&f.ctx, &blk->sched);
	set_thread_index(blk->cur);
}

// try_open releases barrier id if every live thread it covers waits on it.
bool try_open(int id) {
	unsigned lo = 0, hi = (unsigned)blk->fibers.size();
	if (id > 0) {
		lo = (unsigned)(id - 1) * 32;
		hi = lo + 32;
	}
	bool any = false;
	for (unsigned t = lo; t < hi; t++) {
		const Fiber &f = blk->fibers[t];
		if (f.done) continue;
		if (f.wait != id) return false;
		any = true;
	}
	if (!any) return false;
	for (unsigned t = lo; t < hi; t++) blk->fibers[t].wait = -1;
	return true;
}

void run_block() {
	Block &b = *blk;
	unsigned n = (unsigned)b.fibers.size();
	for (unsigned t = 0; t < n; t++) {
		Fiber &f = b.fibers[t];
		f.wait = -1;
		f.done = false;
		getcontext(&f.ctx);
		f.ctx.uc_stack.ss_sp = f.stack.data();
		f.ctx.uc_stack.ss_size = f.stack.size();
		f.ctx.uc_link = &b.sched;
		makecontext(&f.ctx, fiber_main, 0);
	}
	for (;;) {
		bool ran = false, live = false;
		for (unsigned t = 0; t < n; t++) {
			Fiber &f = b.fibers[t];
			if (f.done) continue;
			live = true;
			if (f.wait >= 0) continue;
			b.cur = t;
			set_thread_index(t);
			swapcontext(&b.sched, &f.ctx);
			ran = true;
		}
		if (!live) return;
		if (ran) continue;
		// Everyone left is waiting: open what can be opened.
		bool opened = try_open(0);
		for (unsigned w = 0; w < n / 32; w++) opened = try_open((int)w + 1) || opened;
		if (!opened) {
			fprintf(stderr,
			        "fakecuda: %s: barrier deadlock in block (%u,%u,%u): threads wait at "
			        "__syncthreads/__shfl_xor_sync that not all threads reach\n",
			        b.kernel, blockIdx.x, blockIdx.y, blockIdx.z);
			abort();
		}
	}
}

CUresult run_grid(const char *name, std::function<void()> body, emu_dim3 grid, emu_dim3 block) {
	unsigned long long n = (unsigned long long)block.x * block.y * block.z;
	if (grid.x == 0 || grid.y == 0 || grid.z == 0 || n == 0 || n > 1024 || block.x > 1024 ||
	    block.y > 1024 || block.z > 64 || grid.y > 65535 || grid.z > 65535 ||
	    grid.x > 2147483647u) {
		fprintf(stderr, "fakecuda: %s: invalid launch configuration grid %ux%ux%u block %ux%ux%u\n",
		        name, grid.x, grid.y, grid.z, block.x, block.y, block.z);
		return CUDA_ERROR_INVALID_VALUE;
	}
	if (n % 32 != 0) {
		// Partial warps would need partial-warp barriers; gputrain never launches them.
		fprintf(stderr, "fakecuda: %s: a block of %llu threads is not whole warps\n", name, n);
		return CUDA_ERROR_INVALID_VALUE;
	}
	if (getenv("FAKECUDA_TRACE")) {
		fprintf(stderr, "fakecuda: launch %s grid %ux%ux%u block %ux%ux%u\n", name, grid.x, grid.y,
		        grid.z, block.x, block.y, block.z);
	}
	static Block b;  // fiber stacks are kept from launch to launch
	b.body = std::move(body);
	b.kernel = name;
	if (b.fibers.size() != n) {
		b.fibers = std::vector<Fiber>(n);
		for (auto &f : b.fibers) f.stack.resize(kStack);
	}
	b.slots.assign(n, 0);
	gridDim = grid;
	blockDim = block;
	blk = &b;
	for (unsigned z = 0; z < grid.z; z++)
		for (unsigned y = 0; y < grid.y; y++)
			for (unsigned x = 0; x < grid.x; x++) {
				blockIdx = {x, y, z};
				run_block();
			}
	blk = nullptr;
	return CUDA_SUCCESS;
}

}  // namespace

void emu_syncthreads() { barrier_wait(0); }

int emu_lane() { return (int)(blk->cur % 32); }

void emu_warp_exchange(const void *in, void *out, int lane_src, size_t size) {
	unsigned t = blk->cur, warp = t / 32;
	memcpy(&blk->slots[t], in, size);
	barrier_wait((int)warp + 1);
	memcpy(out, &blk->slots[warp * 32 + (unsigned)lane_src], size);
	barrier_wait((int)warp + 1);
}

// ---- kernel table: unpack void** params as the driver does ----
namespace {

template <typename... A, size_t... I>
std::function<void()> bind_params(void (*f)(A...), void **p, std::index_sequence<I...>) {
	auto args = std::make_tuple(*static_cast<A *>(p[I])...);
	return [f, args] { std::apply(f, args); };
}

struct Kernel {
	const char *name;
	std::function<std::function<void()>(void **)> bind;
};

template <typename... A>
Kernel kernel(const char *name, void (*f)(A...)) {
	return {name, [f](void **p) { return bind_params(f, p, std::index_sequence_for<A...>{}); }};
}

std::vector<Kernel> &kernels() {
	static std::vector<Kernel> k = {
	    kernel("gemm_nn", gemm_nn),
	    kernel("gemm_nt", gemm_nt),
	    kernel("gemm_tn", gemm_tn),
	    kernel("gemm_tt", gemm_tt),
	    kernel("gemm_strided_nn", gemm_strided_nn),
	    kernel("gemm_strided_nt", gemm_strided_nt),
	    kernel("gemm_strided_tn", gemm_strided_tn),
	    kernel("gemm_strided_tt", gemm_strided_tt),
	    kernel("bias_act_forward", bias_act_forward),
	    kernel("act_backward", act_backward),
	    kernel("loss_elementwise", loss_elementwise),
	    kernel("loss_softmax_ce", loss_softmax_ce),
	    kernel("loss_finalize", loss_finalize),
	    kernel("column_sums", column_sums),
	    kernel("sgd_step", sgd_step),
	    kernel("momentum_step", momentum_step),
	    kernel("adam_step", adam_step),
	    kernel("adamw_step", adamw_step),
	    kernel("rmsprop_step", rmsprop_step),
	    kernel("add_l1", add_l1),
	    kernel("fill", fill),
	    kernel("mul", mul),
	    kernel("gather_rows", gather_rows),
	    kernel("dropout", dropout),
	    kernel("batchnorm_train", batchnorm_train),
	    kernel("batchnorm_eval", batchnorm_eval),
	    kernel("batchnorm_backward", batchnorm_backward),
	};
	return k;
}

struct Module {
	std::string ptx;
};

int env_int(const char *name, int def) {
	const char *v = getenv(name);
	return v && *v ? atoi(v) : def;
}

// ---- memory: each allocation ends right before an inaccessible page ----
struct Alloc {
	void *base;
	size_t len;
	size_t bytes;
};
std::mutex mem_mu;
std::map<CUdeviceptr, Alloc> allocs;
size_t mem_used;

size_t mem_limit() { return (size_t)env_int("FAKECUDA_MEM_MIB", 16384) << 20; }

bool valid_range(CUdeviceptr p, size_t n) {
	std::lock_guard<std::mutex> lock(mem_mu);
	auto it = allocs.upper_bound(p);
	if (it == allocs.begin()) return false;
	--it;
	return p >= it->first && p + n <= it->first + it->second.bytes;
}

}  // namespace

extern "C" {

CUresult cuInit(unsigned int) { return (CUresult)env_int("FAKECUDA_INIT", 0); }

CUresult cuDriverGetVersion(int *v) {
	*v = env_int("FAKECUDA_VERSION", 12020);
	return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *n) {
	*n = env_int("FAKECUDA_DEVICES", 1);
	return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice *d, int ordinal) {
	if (ordinal < 0 || ordinal >= env_int("FAKECUDA_DEVICES", 1)) return CUDA_ERROR_INVALID_DEVICE;
	*d = ordinal;
	return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice) {
	snprintf(name, (size_t)len, "gputrain CPU emulator (fakecuda)");
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
		case CUDA_ERROR_NO_DEVICE: *s = "CUDA_ERROR_NO_DEVICE"; break;
		case CUDA_ERROR_STUB_LIBRARY: *s = "CUDA_ERROR_STUB_LIBRARY"; break;
		default: *s = "CUDA_ERROR_UNKNOWN";
	}
	return CUDA_SUCCESS;
}

static int the_context;
static int the_stream;

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

CUresult cuModuleLoadData(CUmodule *m, const void *image) {
	const char *ptx = (const char *)image;
	if (strstr(ptx, ".version") == nullptr || strstr(ptx, ".target sm_80") == nullptr) {
		return CUDA_ERROR_INVALID_IMAGE;
	}
	*m = (CUmodule) new Module{ptx};
	return CUDA_SUCCESS;
}

CUresult cuModuleUnload(CUmodule m) {
	delete (Module *)m;
	return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name) {
	std::string entry = std::string(".entry ") + name + "(";
	if (((Module *)m)->ptx.find(entry) == std::string::npos) return CUDA_ERROR_NOT_FOUND;
	for (auto &k : kernels()) {
		if (strcmp(k.name, name) == 0) {
			*f = (CUfunction)&k;
			return CUDA_SUCCESS;
		}
	}
	return CUDA_ERROR_NOT_FOUND;
}

CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
                        unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
                        CUstream, void **params, void **extra) {
	if (extra != nullptr || shmem != 0) return CUDA_ERROR_INVALID_VALUE;
	Kernel &k = *(Kernel *)f;
	return run_grid(k.name, k.bind(params), {gx, gy, gz}, {bx, by, bz});
}

CUresult cuMemAlloc(CUdeviceptr *p, size_t bytes) {
	if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
	std::lock_guard<std::mutex> lock(mem_mu);
	if (mem_used + bytes > mem_limit()) return CUDA_ERROR_OUT_OF_MEMORY;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (bytes + page - 1) / page * page + page;
	void *base = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) return CUDA_ERROR_OUT_OF_MEMORY;
	mprotect((char *)base + len - page, page, PROT_NONE);
	char *start = (char *)base + len - page - bytes;
	// "Unspecified contents": NaN everywhere, unless the buffer is huge (the
	// out-of-memory test allocates gigabytes it never touches).
	if (bytes <= (64u << 20)) memset(start, 0xff, bytes);
	*p = (CUdeviceptr)start;
	allocs[*p] = {base, len, bytes};
	mem_used += bytes;
	return CUDA_SUCCESS;
}

CUresult cuMemGetInfo(size_t *free, size_t *total) {
	std::lock_guard<std::mutex> lock(mem_mu);
	*total = mem_limit();
	*free = mem_used < *total ? *total - mem_used : 0;
	return CUDA_SUCCESS;
}

CUresult cuMemFree(CUdeviceptr p) {
	std::lock_guard<std::mutex> lock(mem_mu);
	auto it = allocs.find(p);
	if (it == allocs.end()) return CUDA_ERROR_INVALID_VALUE;
	munmap(it->second.base, it->second.len);
	mem_used -= it->second.bytes;
	allocs.erase(it);
	return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoDAsync(CUdeviceptr dst, const void *src, size_t n, CUstream) {
	if (!valid_range(dst, n)) return CUDA_ERROR_INVALID_VALUE;
	memcpy((void *)dst, src, n);
	return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoHAsync(void *dst, CUdeviceptr src, size_t n, CUstream) {
	if (!valid_range(src, n)) return CUDA_ERROR_INVALID_VALUE;
	memcpy(dst, (const void *)src, n);
	return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream) {
	if (!valid_range(dst, n) || !valid_range(src, n)) return CUDA_ERROR_INVALID_VALUE;
	memmove((void *)dst, (const void *)src, n);
	return CUDA_SUCCESS;
}

}  // extern "C"
