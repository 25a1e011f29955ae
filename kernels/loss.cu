/*
loss.cu — loss value and gradient from the network's logits, for one model
(device LossGrad) or `groups` models side by side (device LossGradGroups, the
restarts: logits rows × (groups·cols), group g's in columns g·cols … g·cols +
cols − 1, targets rows×cols (or rows class indices) shared by every group,
one loss sum per group). LossGrad is the groups = 1 case of the same kernels.

Per element (Logistic, MSE) or per row (SoftmaxCE), z the logits, y targets:

    Logistic:  loss = softplus(z) − y·z       grad = gradScale·(sigmoid(z) − y)
    SoftmaxCE: loss = logsumexp(z) − z[y]     grad = gradScale·(softmax(z) − onehot(y))
    MSE:       loss = (z − y)²                grad = gradScale·2·(z − y)

softplus is computed stably as max(z,0) + log1p(exp(−|z|)) — a naive
log(1+exp(z)) overflows for z ≳ 88 — and the loss terms are evaluated and
summed in float64, like the CPU backend. SoftmaxCE subtracts the row max
before exponentiating. A SoftmaxCE label outside [0, cols) gives a NaN loss
(and no one-hot term) instead of reading out of bounds.

The loss sum is deterministic (bit-reproducible run to run): pass 1 writes one
float64 partial sum per block (fixed-order warp-shuffle + shared-memory tree,
and a block count that depends only on the shape); pass 2 (loss_finalize),
one block per group, adds the group's partials in a fixed order and stores
(float)sum into lossOut[lossAt + g]. No atomics anywhere. With groups = 1
every thread sees exactly the elements, in the order, of the one-model case.

Kernels and launch shapes (the Go side in cuda/loss.go), blockIdx.y = g:
    loss_elementwise  Logistic (loss=0) / MSE (loss=2); 256 threads/block,
                      grid = (P, groups), P = min(ceil(N/256), 1024/groups)
                      blocks per group, grid-stride over the group's N
    loss_softmax_ce   one warp per row, 256 threads (8 rows) per block,
                      grid = (P, groups), P = min(ceil(rows/8), 1024/groups),
                      grid-stride on rows
    loss_finalize     grid (groups), 256 threads over each group's P partials

Napkin math per call and group, N = rows·cols:
    reads 4·N (logits) + 4·N (Logistic/MSE targets) or 4·rows (labels),
    writes 4·N (grad) + 8 bytes per block partial;
    flops: ~20 per element in float64 (exp/log1p) + ~5 in float32.
    The workshop's 1055×1 logistic loss is ~13 kB: pure launch latency
    (two launches, ~6 µs).

Validated against: the float64 references in testLossGrad and
testLossGradGroups in device/devicetest/loss.go, and
cpu.(*Device).LossGradGroups in cpu/loss.go.

Regenerate the PTX with `make kernels`.
*/
#include "common.cuh"
#include "enums_gen.cuh"

__device__ __forceinline__ double sigmoid_d(double z) {
    if (z >= 0.0) return 1.0 / (1.0 + exp(-z));
    const double e = exp(z);
    return e / (1.0 + e);
}

// n = rows·cols is one group's element count; element i of group g (row
// i / cols, column i % cols) sits at (i / cols)·groups·cols + g·cols + i % cols
// of the logits and gradient, and at i of the shared targets.
extern "C" __global__ void loss_elementwise(int loss, const float* __restrict__ z,
                                            const float* __restrict__ y,
                                            float* __restrict__ grad, int n, int cols,
                                            int groups, float gradScale,
                                            double* __restrict__ partials) {
    const int g = blockIdx.y;
    double acc = 0.0;
    GRID_STRIDE(i, n) {
        const long long at =
            groups == 1 ? i : (i / cols) * ((long long)groups * cols) + (long long)g * cols + i % cols;
        const float zi = z[at], yi = y[i];
        if (loss == LOSS_LOGISTIC) {
            const double zz = zi;
            acc += fmax(zz, 0.0) + log1p(exp(-fabs(zz))) - (double)yi * zz;
            grad[at] = gradScale * ((float)sigmoid_d(zz) - yi);
        } else {  // LOSS_MSE
            const float r = zi - yi;
            acc += (double)r * (double)r;
            grad[at] = gradScale * 2.0f * r;
        }
    }
    const double total = block_sum(acc);
    if (threadIdx.x == 0) partials[(size_t)g * gridDim.x + blockIdx.x] = total;
}

extern "C" __global__ void loss_softmax_ce(const float* __restrict__ z,
                                           const float* __restrict__ y,
                                           float* __restrict__ grad, int rows, int cols,
                                           int groups, float gradScale,
                                           double* __restrict__ partials) {
    const int g = blockIdx.y;
    const long long ld = (long long)groups * cols;
    const int lane = threadIdx.x & 31;
    const int warpsPerBlock = blockDim.x >> 5;
    const long long firstWarp = (long long)blockIdx.x * warpsPerBlock + (threadIdx.x >> 5);
    const long long nwarps = (long long)gridDim.x * warpsPerBlock;
    double acc = 0.0;  // meaningful in lane 0 only
    for (long long r = firstWarp; r < rows; r += nwarps) {
        const float* zr = z + r * ld + (long long)g * cols;
        float* gr = grad + r * ld + (long long)g * cols;
        float mx = -INFINITY;
        for (int c = lane; c < cols; c += 32) mx = fmaxf(mx, zr[c]);
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
        double s = 0.0;
        for (int c = lane; c < cols; c += 32) s += exp((double)(zr[c] - mx));
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        const float yl = y[r];
        // Saturating (NaN → 0, ≥ 2³¹ → INT_MAX), so a huge label is invalid
        // rather than wrapping to a negative index.
        const int label = __float2int_rz(yl);
        const bool valid = yl >= 0.0f && label < cols;
        for (int c = lane; c < cols; c += 32) {
            float p = (float)(exp((double)(zr[c] - mx)) / s);
            if (valid && c == label) p -= 1.0f;
            gr[c] = gradScale * p;
        }
        if (lane == 0) {
            acc += valid ? log(s) + (double)mx - (double)zr[label] : (double)NAN;
        }
    }
    const double total = block_sum(acc);
    if (threadIdx.x == 0) partials[(size_t)g * gridDim.x + blockIdx.x] = total;
}

// Block g adds group g's nparts partials.
extern "C" __global__ void loss_finalize(const double* __restrict__ partials, int nparts,
                                         float* __restrict__ lossOut, int lossAt) {
    const double* p = partials + (size_t)blockIdx.x * nparts;
    double acc = 0.0;
    for (int i = threadIdx.x; i < nparts; i += blockDim.x) acc += p[i];
    const double total = block_sum(acc);
    if (threadIdx.x == 0) lossOut[lossAt + blockIdx.x] = (float)total;
}
