/*
elementwise.cu — the small element-wise kernels: mul and dropout. Both use a
grid-stride loop over the flat index; threads past the end do nothing.

    mul:          out[i] = a[i]·b[i]                           i < n, out may be a or b
    dropout:      mask[i] = keep(seed, i, p) ? 1/(1−p) : 0;  x[i] *= mask[i]
    dropout_replicas (x, mask, rows, width, replicas, p, seed): x is rows ×
                  replicas·width, column block r replica r's, with drop
                  probability p[r]; element (row, r·width + j) takes the
                  decision of element row·width + j of dropout on the block
                  alone, so each replica drops what it would trained alone

dropout's keep decision is device.DropoutUniform bit for bit: the SplitMix64
finaliser over seed + i·0x9E3779B97F4A7C15, top 24 bits scaled by 2⁻²⁴
(exact in float32), kept when u ≥ p; 1/(1−p) is a correctly rounded float32
division as in Go. So GPU and CPU masks are identical for the same seed.

Launch: 1-D grid of 256-thread blocks covering n, capped; the loop strides.

Napkin math per call (float32 = 4 bytes):
    mul:         reads 8·n, writes 4·n, 1 flop/elt
    dropout:     reads 4·n, writes 8·n; ~10 integer ops/elt (two 64-bit
                 multiplies) — still memory-bound on an H100

Validated against: testDropout and testMul in device/devicetest/elementwise.go
(float64 references, exact for the dropout mask), and cpu/elementwise.go.

Regenerate the PTX with `make kernels`.
*/
#include "common.cuh"

// No __restrict__: out may alias a or b.
extern "C" __global__ void mul(const float* a, const float* b, float* out, int n) {
    GRID_STRIDE(i, n) { out[i] = a[i] * b[i]; }
}

__device__ __forceinline__ float dropout_uniform(unsigned long long seed, unsigned long long i) {
    unsigned long long x = seed + i * 0x9E3779B97F4A7C15ULL;
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return (float)(x >> 40) * (1.0f / 16777216.0f);
}

extern "C" __global__ void dropout(float* __restrict__ x, float* __restrict__ mask, int n,
                                   float p, unsigned long long seed) {
    const float scale = 1.0f / (1.0f - p);
    GRID_STRIDE(i, n) {
        const float mk = dropout_uniform(seed, (unsigned long long)i) >= p ? scale : 0.0f;
        mask[i] = mk;
        x[i] = x[i] * mk;
    }
}

extern "C" __global__ void dropout_replicas(float* __restrict__ x, float* __restrict__ mask,
                                            int rows, int width, int replicas,
                                            const float* __restrict__ p, unsigned long long seed) {
    const long long wide = (long long)replicas * width;
    GRID_STRIDE(i, rows * wide) {
        const long long row = i / wide, c = i - row * wide, r = c / width, j = c - r * width;
        const float pr = p[r];
        const float u = dropout_uniform(seed, (unsigned long long)(row * width + j));
        const float mk = u >= pr ? 1.0f / (1.0f - pr) : 0.0f;
        mask[i] = mk;
        x[i] = x[i] * mk;
    }
}
