/*
reduce.cu — column sums of a row-major matrix (the bias gradient).

    column_sums:          out[c] = Σ_r x[r, c]                      x: rows×cols, out: cols
    column_sums_partial:  W[s, c] = Σ_{r in slice s} x[r, c]         slices of rslice rows
    column_sums_reduce:   out[c] = Σ_s W[s, c]                      W: splits×cols float64

One block of 32×16 threads owns 32 adjacent columns of a run of rows:
threadIdx.x picks the column (so a warp reads 128 contiguous bytes of a row:
coalesced) and the 16 threadIdx.y lanes take every 16th row of the run. Each
thread accumulates in float64; the 16 partial sums of a column are then added
in a fixed order. Columns ≥ cols do nothing (but still take part in
__syncthreads).

The trainer's bias gradients are tall and narrow (the workshop's 1055×20 and
1055×1): one block per 32 columns would leave all but one SM idle while each
lane walks 66 rows, one load latency after another. So cuda/splitk.go splits
the rows into slices over blockIdx.y (column_sums_partial, float64 partials,
grid ≥ 132 blocks: one per SM of an H100) and adds the slices' partials with
the same block shape (column_sums_reduce, the splits×cols partials being a
short matrix to sum by columns). Every addition's order depends on the shape
alone, never on which block runs first, so the result is bit-identical run to
run; a split sum rounds to float once, from float64, as the unsplit one does.

Launch: column_sums grid (ceil(cols/32)), block (32, 16);
column_sums_partial grid (ceil(cols/32), splits), block (32, 16);
column_sums_reduce grid (ceil(cols/32)), block (32, 16).

Napkin math per call: reads 4·rows·cols bytes, writes 4·cols (split: plus
8·splits·cols written and read again); rows·cols float64 adds. Memory-bound
when the grid fills the GPU (a 1024×4096 gradient is 16 MB, ~5 µs at
3.35 TB/s); a split 1055×20 is latency-bound: two launches of one or two
load round trips per lane instead of one launch of 66.

Validated against: the float64 reference of column_sums in
device/opspec/reduce.go (conformance: device/devicetest), and
cpu.(*Device).ColumnSums in cpu/reduce.go.

Regenerate the PTX with `make kernels`.
*/
#include "common.cuh"

#define CS_COLS 32
#define CS_ROWS 16

// column_block_sum sums, for the block's 32 columns of x (rows×cols, In
// elements), the rows [r0, r1) where r0 = blockIdx.y·rslice, and writes the
// sums (Out elements) to out[blockIdx.y·cols + c]. Every thread of the
// block must call it.
template <typename In, typename Out>
__device__ __forceinline__ void column_block_sum(const In* __restrict__ x, int rows, int cols,
                                                 int rslice, Out* __restrict__ out) {
    __shared__ double part[CS_ROWS][CS_COLS + 1];
    const int c = blockIdx.x * CS_COLS + threadIdx.x;
    const int r0 = blockIdx.y * rslice;
    const int r1 = rows - r0 < rslice ? rows : r0 + rslice;
    double acc = 0.0;
    if (c < cols) {
        for (int r = r0 + threadIdx.y; r < r1; r += CS_ROWS) acc += x[(size_t)r * cols + c];
    }
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        double s = 0.0;
#pragma unroll
        for (int j = 0; j < CS_ROWS; ++j) s += part[j][threadIdx.x];
        out[(size_t)blockIdx.y * cols + c] = (Out)s;
    }
}

extern "C" __global__ void __launch_bounds__(CS_COLS * CS_ROWS)
column_sums(const float* __restrict__ x, int rows, int cols, float* __restrict__ out) {
    column_block_sum(x, rows, cols, rows, out);
}

extern "C" __global__ void __launch_bounds__(CS_COLS * CS_ROWS)
column_sums_partial(const float* __restrict__ x, int rows, int cols, int rslice, double* __restrict__ W) {
    column_block_sum(x, rows, cols, rslice, W);
}

extern "C" __global__ void __launch_bounds__(CS_COLS * CS_ROWS)
column_sums_reduce(const double* __restrict__ W, int splits, int cols, float* __restrict__ out) {
    column_block_sum(W, splits, cols, splits, out);
}
