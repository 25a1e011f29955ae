/*
memory.cu — the on-device moves of the memory family: fill and gather_rows.
Both use a grid-stride loop over the flat index; threads past the end do
nothing.

    fill:         dst[i] = v                                   i < n
    gather_rows:  dst[i, c] = src[idx[idxOffset + i], c]       i < rows, c < cols
                  (an index outside [0, srcRows) writes NaN instead of reading
                  out of bounds)

Launch: 1-D grid of 256-thread blocks covering n (rows·cols for
gather_rows), capped; the loop strides.

Napkin math per call (float32 = 4 bytes):
    fill:        writes 4·n
    gather_rows: reads 4·rows (indices) + 4·rows·cols, writes 4·rows·cols;
                 rows are contiguous, so reads coalesce within a row
The workshop's minibatch gather (e.g. 64×41) is launch-latency bound.

Validated against: testFillCopy and testGatherRows in
device/devicetest/memory.go (exact), and cpu/memory.go.

Regenerate the PTX with `make kernels`.
*/
#include "common.cuh"

extern "C" __global__ void fill(float* __restrict__ dst, int n, float v) {
    GRID_STRIDE(i, n) { dst[i] = v; }
}

extern "C" __global__ void gather_rows(const float* __restrict__ src, int srcRows,
                                       const int* __restrict__ idx, int idxOffset,
                                       float* __restrict__ dst, int rows, int cols) {
    const long long total = (long long)rows * cols;
    GRID_STRIDE(e, total) {
        const long long i = e / cols;
        const int c = (int)(e - i * cols);
        const int j = idx[idxOffset + i];
        dst[e] = (j >= 0 && j < srcRows) ? src[(long long)j * cols + c] : __int_as_float(0x7fc00000);
    }
}
