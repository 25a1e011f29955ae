// emu.h — just enough of CUDA C++ to compile kernels/*.cu as host C++ for the
// CPU emulator in fakecuda.cpp (included before each .cu with g++ -include).
//
// Each CUDA thread of a block is a POSIX thread; __syncthreads is a barrier
// over the block and __shfl_xor_sync an exchange plus barriers over the
// 32 lanes of a warp. Blocks of a grid run one after another, so __shared__
// variables are plain statics. Host libm stands in for CUDA's math library
// (both are accurate to a few ulp, so results differ from the GPU's only in
// the last bits).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

struct emu_dim3 {
	unsigned int x, y, z;
};

extern thread_local emu_dim3 threadIdx, blockIdx;
extern emu_dim3 blockDim, gridDim;

void emu_syncthreads();
// emu_lane is the calling thread's lane in its warp (linear thread id % 32).
int emu_lane();
// emu_warp_exchange publishes *in (size bytes) for the calling thread's warp
// and copies lane_src's value to *out; all 32 lanes must call it.
void emu_warp_exchange(const void *in, void *out, int lane_src, size_t size);

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)
#define __syncthreads() emu_syncthreads()

struct float4 {
	float x, y, z, w;
};

template <typename T>
static inline T __shfl_xor_sync(unsigned int, T v, int laneMask) {
	T out;
	emu_warp_exchange(&v, &out, emu_lane() ^ laneMask, sizeof(T));
	return out;
}

static inline float __int_as_float(int i) {
	float f;
	std::memcpy(&f, &i, sizeof f);
	return f;
}

// __float2int_rz is PTX's cvt.rzi.s32.f32: round toward zero, saturating
// (NaN → 0, out of range → INT_MIN or INT_MAX). A plain C++ (int) cast of an
// out-of-range float is undefined and gives INT_MIN on x86, so kernels
// convert with this, to behave on the emulator as on the GPU.
static inline int __float2int_rz(float f) {
	if (f != f) return 0;
	if (f >= 2147483648.0f) return 2147483647;
	if (f <= -2147483648.0f) return -2147483647 - 1;
	return (int)f;
}

using std::exp;
using std::fabs;
using std::fmax;
using std::log;
using std::log1p;
