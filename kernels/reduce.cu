/*
reduce.cu — column sums of a row-major matrix (the bias gradient).

    column_sums:  out[c] = Σ_r x[r, c]        x: rows×cols, out: cols

One block of 32×16 threads owns 32 adjacent columns: threadIdx.x picks the
column (so a warp reads 128 contiguous bytes of a row: coalesced) and the 16
threadIdx.y lanes take every 16th row. Each thread accumulates in float64;
the 16 partial sums of a column are then added in a fixed order, so the result
is bit-reproducible and as accurate as the CPU backend's float64 accumulation.
Columns ≥ cols do nothing (but still take part in __syncthreads).

Launch: grid (ceil(cols/32)), block (32, 16).

Napkin math per call: reads 4·rows·cols bytes, writes 4·cols; rows·cols
float64 adds. Memory-bound when cols ≥ ~32·#SMs (a 1024×4096 gradient is
16 MB, ~6 µs at 3 TB/s). With few columns (the workshop's 1055×20 or ×1)
only one block runs and it is latency-bound (a few µs) — a two-pass split over
rows would help only for very tall, narrow inputs, which the trainer does not
produce.

Validated against: the float64 reference in testColumnSums in
device/devicetest/reduce.go, and cpu.(*Device).ColumnSums in cpu/reduce.go.

Regenerate the PTX with `make kernels`.
*/
#include "common.cuh"

#define CS_COLS 32
#define CS_ROWS 16

extern "C" __global__ void __launch_bounds__(CS_COLS * CS_ROWS)
column_sums(const float* __restrict__ x, int rows, int cols, float* __restrict__ out) {
    __shared__ double part[CS_ROWS][CS_COLS + 1];
    const int c = blockIdx.x * CS_COLS + threadIdx.x;
    double acc = 0.0;
    if (c < cols) {
        for (int r = threadIdx.y; r < rows; r += CS_ROWS) acc += x[(size_t)r * cols + c];
    }
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        double s = 0.0;
#pragma unroll
        for (int j = 0; j < CS_ROWS; ++j) s += part[j][threadIdx.x];
        out[c] = (float)s;
    }
}
