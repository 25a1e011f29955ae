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
// Environment knobs, for testing the preflight's messages and for making the
// emulator behave more like a GPU:
//
//	FAKECUDA_INIT=N      cuInit returns N (100: no device, 34: stub library)
//	FAKECUDA_VERSION=N   cuDriverGetVersion reports N (default 12020)
//	FAKECUDA_DEVICES=N   cuDeviceGetCount reports N (default 1)
//	FAKECUDA_MEM_MIB=N   device memory (default 16384): more gives OUT_OF_MEMORY
//	FAKECUDA_TRACE=1     print every launch (a kernel that reads or writes out
//	                     of bounds dies with SIGSEGV: the last line names it)
//	FAKECUDA_ASYNC=1     asynchronous mode: launches and copies are queued and
//	                     run only at the next synchronising call (stream or
//	                     context synchronise, a copy into pageable host memory,
//	                     a free), as late as a GPU may run them. A copy from
//	                     page-locked memory (cuMemHostAlloc) reads its source
//	                     then, so reusing a staging buffer too early shows.
//	FAKECUDA_ORDER=O     the order in which blocks run and in which the threads
//	                     of a block are scheduled between barriers: forward
//	                     (default), reverse or shuffle:SEED (a new permutation
//	                     for every grid and every scheduling round). A kernel
//	                     whose result depends on the order is racy on a GPU.
//	FAKECUDA_NOOP=1      launches are checked and queued but run nothing: the
//	                     host's cost per launch alone, for benchmarks
//	FAKECUDA_FAULT=K[:N] the N-th run (default the first; a graph replay runs its
//	                     kernels again) of kernel K faults
//	                     as an out-of-bounds access does on a GPU: the launch
//	                     itself succeeds, the next synchronising call returns
//	                     CUDA_ERROR_ILLEGAL_ADDRESS and so does every call after
//	                     it (the context is lost). Faults are reported that way
//	                     in both modes.
//
// Stream capture and graphs (cuStreamBeginCapture … cuStreamEndCapture,
// cuGraphInstantiateWithFlags, cuGraphLaunch): while a thread captures,
// its launches and copies are recorded instead of queued; launching the
// instantiated graph queues the recorded work in order, as if issued again
// (so FAKECUDA_ASYNC, ORDER, NOOP and FAULT apply to each replay). A call
// that must wait (a synchronisation, a copy to or from pageable memory)
// during a capture fails with CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED and
// invalidates it, as the driver does.
//
// What it cannot check: the PTX itself (ptxas does, in make check-ptx), real
// concurrency between blocks, and the GPU's math library's last bits.
#include <cuda.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

// ---- the kernels (kernels/*.cu, compiled with emu.h; declared by go generate ./kernels) ----
#include "kernels_gen.h"

// ---- the CUDA execution model on cooperative fibers ----
//
// The threads of a block are fibers run round-robin on the calling OS
// thread, switched by emu_switch below (glibc's swapcontext makes a system
// call per switch to save the signal mask, which made fiber switches most of
// the emulator's time). A fiber runs until it reaches a barrier (__syncthreads, or the
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

// emu_switch(from, to) saves the callee-saved registers, the SSE and x87
// control words and the stack pointer of the running code in *from and
// resumes the code whose stack pointer is to (x86-64 System V).
extern "C" void emu_switch(void **from, void *to);
__asm__(
    ".text\n"
    ".globl emu_switch\n"
    ".hidden emu_switch\n"
    ".type emu_switch, @function\n"
    "emu_switch:\n"
    "\tpushq %rbp\n"
    "\tpushq %rbx\n"
    "\tpushq %r12\n"
    "\tpushq %r13\n"
    "\tpushq %r14\n"
    "\tpushq %r15\n"
    "\tsubq $8, %rsp\n"
    "\tstmxcsr (%rsp)\n"
    "\tfnstcw 4(%rsp)\n"
    "\tmovq %rsp, (%rdi)\n"
    "\tmovq %rsi, %rsp\n"
    "\tldmxcsr (%rsp)\n"
    "\tfldcw 4(%rsp)\n"
    "\taddq $8, %rsp\n"
    "\tpopq %r15\n"
    "\tpopq %r14\n"
    "\tpopq %r13\n"
    "\tpopq %r12\n"
    "\tpopq %rbx\n"
    "\tpopq %rbp\n"
    "\tret\n"
    ".size emu_switch, .-emu_switch\n");

namespace {

const size_t kStack = 64 << 10;

struct Fiber {
	void *sp = nullptr;  // saved stack pointer while switched out
	std::vector<char> stack;
	int wait = -1;  // barrier waited on: 0 the block, 1+w warp w; -1 runnable
	bool done = false;
};

struct Block {
	std::function<void()> body;
	std::vector<Fiber> fibers;
	void *sched = nullptr;          // the scheduler's saved stack pointer
	unsigned cur = 0;               // the running fiber (= linear thread id)
	std::vector<uint64_t> slots;    // one 8-byte value per thread for shuffles
	const char *kernel = "";
};

Block *blk;

// fiber_main is where a fiber starts; it ends by switching back to the
// scheduler for good (it is never resumed: run_block starts fibers afresh).
void fiber_main() {
	blk->body();
	Fiber &f = blk->fibers[blk->cur];
	f.done = true;
	emu_switch(&f.sp, blk->sched);
	abort();
}

// fiber_start prepares f's stack so that switching to it enters fiber_main
// as if called: emu_switch's frame (control words, six registers) under
// fiber_main's address, 16-byte aligned as the ABI wants at a call.
void fiber_start(Fiber &f) {
	uintptr_t top = ((uintptr_t)f.stack.data() + f.stack.size()) & ~(uintptr_t)15;
	void **sp = (void **)(top - 16);
	sp[1] = nullptr;  // fiber_main's own return address: never used
	sp[0] = (void *)fiber_main;
	sp -= 7;
	for (int i = 1; i < 7; i++) sp[i] = nullptr;  // r15 … rbp
	uint32_t mxcsr;
	uint16_t fcw;
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(fcw));
	memcpy((char *)sp, &mxcsr, 4);
	memcpy((char *)sp + 4, &fcw, 2);
	f.sp = sp;
}

void set_thread_index(unsigned t) {
	threadIdx = {t % blockDim.x, t / blockDim.x % blockDim.y, t / (blockDim.x * blockDim.y)};
}

// barrier_wait parks the running fiber on barrier id until it opens.
void barrier_wait(int id) {
	Fiber &f = blk->fibers[blk->cur];
	f.wait = id;
	emu_switch(&f.sp, blk->sched);
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

// ---- execution order (FAKECUDA_ORDER) ----
enum class Order { forward, reverse, shuffle };

struct OrderConfig {
	Order order = Order::forward;
	uint64_t seed = 0;
};

const OrderConfig &order_config() {
	static const OrderConfig c = [] {
		OrderConfig c;
		const char *v = getenv("FAKECUDA_ORDER");
		if (v == nullptr || *v == '\0' || strcmp(v, "forward") == 0) return c;
		if (strcmp(v, "reverse") == 0) {
			c.order = Order::reverse;
			return c;
		}
		char *end = nullptr;
		if (strncmp(v, "shuffle:", 8) == 0 && v[8] != '\0') {
			c.seed = strtoull(v + 8, &end, 10);
			if (*end == '\0') {
				c.order = Order::shuffle;
				return c;
			}
		}
		fprintf(stderr, "fakecuda: FAKECUDA_ORDER=%s: want forward, reverse or shuffle:SEED\n", v);
		exit(2);
	}();
	return c;
}

// order_rng is the shuffle's generator (splitmix64), seeded once, so a
// process's sequence of permutations depends only on the seed.
uint64_t order_rng() {
	static uint64_t state = order_config().seed;
	uint64_t z = (state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

// arrange fills ord with 0..n-1 in the configured order.
void arrange(std::vector<unsigned> &ord, unsigned n) {
	ord.resize(n);
	for (unsigned i = 0; i < n; i++) ord[i] = i;
	switch (order_config().order) {
		case Order::forward: break;
		case Order::reverse: std::reverse(ord.begin(), ord.end()); break;
		case Order::shuffle:
			for (unsigned i = n; i > 1; i--) std::swap(ord[i - 1], ord[order_rng() % i]);
			break;
	}
}

void run_block() {
	Block &b = *blk;
	unsigned n = (unsigned)b.fibers.size();
	static std::vector<unsigned> ord;
	for (unsigned t = 0; t < n; t++) {
		Fiber &f = b.fibers[t];
		f.wait = -1;
		f.done = false;
		fiber_start(f);
	}
	bool fixed = order_config().order != Order::shuffle;
	if (fixed) arrange(ord, n);
	for (;;) {
		bool ran = false, live = false;
		if (!fixed) arrange(ord, n);
		for (unsigned t : ord) {
			Fiber &f = b.fibers[t];
			if (f.done) continue;
			live = true;
			if (f.wait >= 0) continue;
			b.cur = t;
			set_thread_index(t);
			emu_switch(&b.sched, f.sp);
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

// check_launch validates a launch configuration against the hardware limits,
// as cuLaunchKernel does before queuing anything.
CUresult check_launch(const char *name, emu_dim3 grid, emu_dim3 block) {
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
	return CUDA_SUCCESS;
}

// run_grid runs every block of a checked launch, in the configured order.
void run_grid(const char *name, const std::function<void()> &body, emu_dim3 grid, emu_dim3 block) {
	unsigned n = block.x * block.y * block.z;
	if (getenv("FAKECUDA_TRACE")) {
		fprintf(stderr, "fakecuda: launch %s grid %ux%ux%u block %ux%ux%u\n", name, grid.x, grid.y,
		        grid.z, block.x, block.y, block.z);
	}
	// One grid at a time, whichever device launches it: the block below,
	// gridDim, blockDim and __shared__ (static) memory are process-wide, and
	// gputrain drives each device from its own thread (several devices in
	// one process: gputrain sweep --device all).
	static std::mutex launch_mu;
	std::lock_guard<std::mutex> lock(launch_mu);
	static Block b;  // fiber stacks are kept from launch to launch
	b.body = body;
	b.kernel = name;
	if (b.fibers.size() != n) {
		b.fibers = std::vector<Fiber>(n);
		for (auto &f : b.fibers) f.stack.resize(kStack);
	}
	b.slots.assign(n, 0);
	gridDim = grid;
	blockDim = block;
	blk = &b;
	unsigned long long plane = (unsigned long long)grid.x * grid.y, count = plane * grid.z;
	auto run = [&](unsigned long long i) {
		blockIdx = {(unsigned)(i % grid.x), (unsigned)(i / grid.x % grid.y), (unsigned)(i / plane)};
		run_block();
	};
	if (order_config().order == Order::forward) {
		for (unsigned long long i = 0; i < count; i++) run(i);
	} else {
		static std::vector<unsigned> ord;
		arrange(ord, (unsigned)count);  // grids beyond 2³² blocks do not occur here
		for (unsigned i : ord) run(i);
	}
	blk = nullptr;
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
#define KERNEL_ENTRY(name) kernel(#name, name),
	    GPUTRAIN_KERNELS(KERNEL_ENTRY)
#undef KERNEL_ENTRY
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

// Page-locked host memory (cuMemHostAlloc): base → size.
std::map<uintptr_t, size_t> pinned;

bool is_pinned(const void *p, size_t n) {
	std::lock_guard<std::mutex> lock(mem_mu);
	uintptr_t a = (uintptr_t)p;
	auto it = pinned.upper_bound(a);
	if (it == pinned.begin()) return false;
	--it;
	return a >= it->first && a + n <= it->first + it->second;
}

// ---- the stream: work queued in order (FAKECUDA_ASYNC) and lost contexts ----
//
// A GPU runs launches and copies after the calls that queue them return, and
// reports a fault (an illegal address, say) only at a later synchronising
// call, after which every call fails. The emulator does the same: in
// asynchronous mode work waits in `pending` until a synchronising call runs
// it; otherwise it runs at once, but a fault is still reported only by the
// next call.

bool async_mode() {
	static const bool a = env_int("FAKECUDA_ASYNC", 0) != 0;
	return a;
}

std::vector<std::function<void()>> pending;
// lost is the fault that ended the context (CUDA_SUCCESS while it lives).
CUresult lost = CUDA_SUCCESS;

// planted_fault decides whether this launch of kernel name is the one
// FAKECUDA_FAULT plants a fault in.
bool planted_fault(const char *name) {
	static const std::string spec = getenv("FAKECUDA_FAULT") ? getenv("FAKECUDA_FAULT") : "";
	if (spec.empty()) return false;
	static const std::string kernel = spec.substr(0, spec.find(':'));
	static const long nth = spec.find(':') == std::string::npos ? 1 : atol(spec.c_str() + spec.find(':') + 1);
	static long seen = 0;
	return kernel == name && ++seen == nth;
}

// ---- stream capture ----
//
// Capture is per thread (the backend captures in CU_STREAM_CAPTURE_MODE_
// THREAD_LOCAL on its CUDA goroutine's thread; every stream here is the one
// stream object, so the thread stands for the stream). A graph is the
// recorded work, in order.
struct Graph {
	std::vector<std::function<void()>> ops;
};
thread_local Graph *capturing = nullptr;
thread_local bool capture_invalid = false;

// capture_refuses invalidates the thread's capture, if any, and says so: the
// caller is a call that is illegal while capturing.
bool capture_refuses() {
	if (capturing == nullptr) return false;
	capture_invalid = true;
	return true;
}

// submit records op in the thread's capture, queues it (asynchronous mode)
// or runs it now.
void submit(std::function<void()> op) {
	if (capturing != nullptr) {
		capturing->ops.push_back(std::move(op));
	} else if (async_mode()) {
		pending.push_back(std::move(op));
	} else if (lost == CUDA_SUCCESS) {
		op();
	}
}

// synchronize runs the queued work in order (work queued after a fault is
// dropped, as a lost context never runs it) and reports the context's state.
CUresult synchronize() {
	std::vector<std::function<void()>> work;
	work.swap(pending);
	for (auto &op : work) {
		if (lost != CUDA_SUCCESS) break;
		op();
	}
	return lost;
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
		case CUDA_ERROR_ILLEGAL_ADDRESS: *s = "CUDA_ERROR_ILLEGAL_ADDRESS"; break;
		case CUDA_ERROR_NO_BINARY_FOR_GPU: *s = "CUDA_ERROR_NO_BINARY_FOR_GPU"; break;
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
CUresult cuCtxSynchronize(void) {
	if (capture_refuses()) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
	return synchronize();
}

CUresult cuStreamCreate(CUstream *s, unsigned int) {
	if (lost != CUDA_SUCCESS) return lost;
	*s = (CUstream)&the_stream;
	return CUDA_SUCCESS;
}
CUresult cuStreamSynchronize(CUstream) {
	if (capture_refuses()) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
	return synchronize();
}
CUresult cuStreamDestroy(CUstream) {
	synchronize();
	return CUDA_SUCCESS;
}

// is_fatbin reports whether image starts with a fatbin's magic number
// (0xBA55ED50, little-endian), comparing byte by byte so that a PTX string
// shorter than the magic is not read past its NUL.
static bool is_fatbin(const void *image) {
	const unsigned char *p = (const unsigned char *)image;
	return p[0] == 0x50 && p[1] == 0xED && p[2] == 0x55 && p[3] == 0xBA;
}

// A fatbin is refused as a driver refuses one with no SASS for its GPU and
// no PTX it can use: the emulator runs the kernels compiled for this CPU,
// which it finds by the PTX's entry names, and does not read the fatbin's
// (compressed) PTX. So every Open here takes the backend's PTX fallback.
CUresult cuModuleLoadData(CUmodule *m, const void *image) {
	if (is_fatbin(image)) return CUDA_ERROR_NO_BINARY_FOR_GPU;
	const char *ptx = (const char *)image;
	if (strstr(ptx, ".version") == nullptr || strstr(ptx, ".target sm_80") == nullptr) {
		return CUDA_ERROR_INVALID_IMAGE;
	}
	*m = (CUmodule) new Module{ptx};
	return CUDA_SUCCESS;
}

// The JIT options honoured: the error log buffer and its size, which get a
// line saying why an image is refused, as the driver's JIT compiler writes
// its diagnostics there.
CUresult cuModuleLoadDataEx(CUmodule *m, const void *image, unsigned int n, CUjit_option *opt,
                            void **val) {
	CUresult r = cuModuleLoadData(m, image);
	// A binary refused for its architecture had nothing to compile: no log.
	if (r == CUDA_SUCCESS || r == CUDA_ERROR_NO_BINARY_FOR_GPU) return r;
	char *log = nullptr;
	size_t size = 0;
	for (unsigned i = 0; i < n; i++) {
		if (opt[i] == CU_JIT_ERROR_LOG_BUFFER) log = (char *)val[i];
		if (opt[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) size = (size_t)(uintptr_t)val[i];
	}
	if (log != nullptr && size > 0) {
		snprintf(log, size, "fakecuda: the image is not PTX for sm_80 (no .version or .target sm_80 line)");
	}
	return r;
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
	if (lost != CUDA_SUCCESS) return lost;
	if (extra != nullptr || shmem != 0) return CUDA_ERROR_INVALID_VALUE;
	Kernel &k = *(Kernel *)f;
	emu_dim3 grid{gx, gy, gz}, block{bx, by, bz};
	if (CUresult r = check_launch(k.name, grid, block)) return r;
	// The parameters are read now, as the driver does; the grid runs later.
	submit([name = k.name, body = k.bind(params), grid, block] {
		if (planted_fault(name)) {
			fprintf(stderr, "fakecuda: FAKECUDA_FAULT: %s faults (grid %ux%ux%u)\n", name, grid.x,
			        grid.y, grid.z);
			lost = CUDA_ERROR_ILLEGAL_ADDRESS;
			return;
		}
		static const bool noop = env_int("FAKECUDA_NOOP", 0) != 0;
		if (!noop) run_grid(name, body, grid, block);
	});
	return CUDA_SUCCESS;
}

CUresult cuMemAlloc(CUdeviceptr *p, size_t bytes) {
	if (lost != CUDA_SUCCESS) return lost;
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
	synchronize();  // queued work may still use p; a lost context still frees
	std::lock_guard<std::mutex> lock(mem_mu);
	auto it = allocs.find(p);
	if (it == allocs.end()) return CUDA_ERROR_INVALID_VALUE;
	munmap(it->second.base, it->second.len);
	mem_used -= it->second.bytes;
	allocs.erase(it);
	return CUDA_SUCCESS;
}

CUresult cuMemHostAlloc(void **p, size_t bytes, unsigned int) {
	if (lost != CUDA_SUCCESS) return lost;
	if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
	void *m = nullptr;
	if (posix_memalign(&m, (size_t)sysconf(_SC_PAGESIZE), bytes) != 0) return CUDA_ERROR_OUT_OF_MEMORY;
	std::lock_guard<std::mutex> lock(mem_mu);
	pinned[(uintptr_t)m] = bytes;
	*p = m;
	return CUDA_SUCCESS;
}

CUresult cuMemFreeHost(void *p) {
	synchronize();
	std::lock_guard<std::mutex> lock(mem_mu);
	auto it = pinned.find((uintptr_t)p);
	if (it == pinned.end()) return CUDA_ERROR_INVALID_VALUE;
	pinned.erase(it);
	free(p);
	return CUDA_SUCCESS;
}

// A copy from page-locked memory reads its source when it runs; from
// pageable memory the driver stages the source before returning.
CUresult cuMemcpyHtoDAsync(CUdeviceptr dst, const void *src, size_t n, CUstream) {
	if (lost != CUDA_SUCCESS) return lost;
	if (!valid_range(dst, n)) return CUDA_ERROR_INVALID_VALUE;
	if (!is_pinned(src, n) && capture_refuses()) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
	if (is_pinned(src, n)) {
		submit([dst, src, n] { memcpy((void *)dst, src, n); });
	} else {
		auto staged = std::make_shared<std::vector<char>>((const char *)src, (const char *)src + n);
		submit([dst, staged] { memcpy((void *)dst, staged->data(), staged->size()); });
	}
	return CUDA_SUCCESS;
}

// A copy into page-locked memory is queued; into pageable memory it returns
// once the data are there.
CUresult cuMemcpyDtoHAsync(void *dst, CUdeviceptr src, size_t n, CUstream) {
	if (lost != CUDA_SUCCESS) return lost;
	if (!valid_range(src, n)) return CUDA_ERROR_INVALID_VALUE;
	if (!is_pinned(dst, n) && capture_refuses()) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
	submit([dst, src, n] { memcpy(dst, (const void *)src, n); });
	if (is_pinned(dst, n)) return CUDA_SUCCESS;
	return synchronize();
}

CUresult cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream) {
	if (lost != CUDA_SUCCESS) return lost;
	if (!valid_range(dst, n) || !valid_range(src, n)) return CUDA_ERROR_INVALID_VALUE;
	submit([dst, src, n] { memmove((void *)dst, (const void *)src, n); });
	return CUDA_SUCCESS;
}

// cuStreamBeginCapture (cuda.h maps it to cuStreamBeginCapture_v2, the
// symbol the backend resolves): the thread's launches and copies are
// recorded from now on.
CUresult cuStreamBeginCapture(CUstream, CUstreamCaptureMode) {
	if (lost != CUDA_SUCCESS) return lost;
	if (capturing != nullptr) return CUDA_ERROR_ILLEGAL_STATE;
	capturing = new Graph;
	capture_invalid = false;
	return CUDA_SUCCESS;
}

CUresult cuStreamEndCapture(CUstream, CUgraph *g) {
	*g = nullptr;
	if (capturing == nullptr) return CUDA_ERROR_ILLEGAL_STATE;
	Graph *done = capturing;
	capturing = nullptr;
	if (capture_invalid) {
		delete done;
		return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
	}
	*g = (CUgraph)done;
	return CUDA_SUCCESS;
}

// An executable graph is a copy of the recorded work: the graph it came from
// may be destroyed at once.
CUresult cuGraphInstantiateWithFlags(CUgraphExec *e, CUgraph g, unsigned long long) {
	if (lost != CUDA_SUCCESS) return lost;
	if (g == nullptr) return CUDA_ERROR_INVALID_VALUE;
	*e = (CUgraphExec) new Graph(*(Graph *)g);
	return CUDA_SUCCESS;
}

CUresult cuGraphLaunch(CUgraphExec e, CUstream) {
	if (lost != CUDA_SUCCESS) return lost;
	if (e == nullptr) return CUDA_ERROR_INVALID_VALUE;
	if (capturing != nullptr) return CUDA_ERROR_NOT_SUPPORTED;  // graphs into graphs: not needed
	for (auto &op : ((Graph *)e)->ops) submit(op);
	return CUDA_SUCCESS;
}

CUresult cuGraphExecDestroy(CUgraphExec e) {
	delete (Graph *)e;
	return CUDA_SUCCESS;
}

CUresult cuGraphDestroy(CUgraph g) {
	delete (Graph *)g;
	return CUDA_SUCCESS;
}

}  // extern "C"
