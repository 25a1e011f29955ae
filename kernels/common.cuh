// common.cuh — helpers shared by the kernel files (included, not compiled on
// its own). Every kernel is extern "C" so its PTX name is the plain name the
// Go side looks up with cuModuleGetFunction.
#pragma once

// GRID_STRIDE loops i over [0, n) with 64-bit arithmetic, so n up to 2³¹−1
// (the Go side's limit) never overflows the index, and threads past n do
// nothing.
#define GRID_STRIDE(i, n)                                                         \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); \
         i += (long long)gridDim.x * blockDim.x)

// block_sum returns, in thread 0, the sum of v over the block (blockDim.x a
// multiple of 32, at most 1024). The order of additions depends only on
// blockDim.x, never on timing, so the result is bit-reproducible. Every
// thread of the block must call it.
__device__ __forceinline__ double block_sum(double v) {
    __shared__ double warp_sums[32];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    v = 0.0;
    if (warp == 0) {
        const int nwarps = blockDim.x >> 5;
        v = lane < nwarps ? warp_sums[lane] : 0.0;
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    return v;
}
