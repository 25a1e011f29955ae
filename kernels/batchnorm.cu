/*
batchnorm.cu — batch normalisation of a hidden layer's pre-activations,
fused with the activation (device BatchNormTrain, BatchNormEval,
BatchNormBackward). z is rows×cols row-major; every column c is one feature,
normalised over the rows (the batch):

batchnorm_train:
    mean[c] = Σ_r z[r,c] / rows
    var[c]  = Σ_r (z[r,c] − mean[c])² / rows                (biased, two-pass)
    invStd  = 1 / sqrt(var + eps)
    out     = act(gamma[c]·(z − mean)·invStd + beta[c])      out must not alias z
    saveMean[c], saveInvStd[c] = mean, invStd (float32, for the backward pass)
    runMean = (1−momentum)·runMean + momentum·mean
    runVar  = (1−momentum)·runVar + momentum·var·rows/(rows−1)   (var when rows = 1)
batchnorm_eval:
    out     = act(gamma[c]·(z − runMean[c]) / sqrt(runVar[c] + eps) + beta[c])   out may be z
batchnorm_backward, dy = ∂loss/∂(gamma·x̂ + beta) (after act_backward):
    x̂       = (z − saveMean)·saveInvStd
    dgamma  = Σ_r dy·x̂          dbeta = Σ_r dy
    dz      = gamma·invStd/rows · (rows·dy − dbeta − x̂·dgamma)     dz may alias dy

act is device.Activation's value (activation.cuh, shared with activation.cu).
Statistics, x̂ and the affine map are computed in float64 from the float32
inputs (the activation itself in float32, as bias_act_forward); the forward
uses the float32 mean/invStd it saves, so the backward sees exactly the x̂ the
forward normalised with. Running statistics are updated in float64 and
rounded once.

Deterministic, no atomics: batchnorm_train and batchnorm_backward give one
block of 32×32 threads 32 adjacent columns and every row of them. threadIdx.x
picks the column (a warp reads 128 contiguous bytes of a row: coalesced),
threadIdx.y takes every 32nd row, each thread accumulates in float64, and the
32 partial sums of a column are added in a fixed order (bn_column_sum), so
the result depends only on the shape. The same block then makes its further
passes over its columns (variance, output; or dz), each element read and
written by the same thread — which is what lets dz alias dy.
batchnorm_eval has no reduction: blocks of 32×8 threads, each thread one
column of a 256-row chunk (the column's scale is computed once per thread).

Launch (cuda/batchnorm.go):
    batchnorm_train, batchnorm_backward: grid ceil(cols/32), block (32, 32)
    batchnorm_eval: grid (ceil(cols/32), min(ceil(rows/256), 65535)), block (32, 8)

Napkin math per call (float32 = 4 bytes), N = rows·cols:
    train:    reads z three times (12·N bytes; the second and third from L2 for
              the trainer's sizes), writes 4·N + 24·cols; ~10 float64 flops/elt
              plus the activation.
    eval:     reads 4·N, writes 4·N; ~4 float64 flops/elt plus the activation.
    backward: reads z and dy twice (16·N), writes 4·N + 8·cols; ~12 float64
              flops/elt.
The workshop layer (1055×20, 84 kB; 10 restarts side by side: 1055×200) is
launch-latency bound: one launch per call. One block per 32 columns keeps a
column's whole reduction in one block (no second pass, no atomics); very tall
and narrow inputs (≫10⁵ rows, a few columns) would want a split over rows,
which the trainer does not produce.

Validated against: the float64 references in testBatchNormTrain,
testBatchNormEval and testBatchNormBackward in device/devicetest/batchnorm.go
(plus a finite-difference check of the backward pass against the forward,
testBatchNormGradient), and the CPU backend in cpu/batchnorm.go.

Regenerate the PTX with `make kernels`.
*/
#include "activation.cuh"

#define BN_COLS 32
#define BN_ROWS 32
#define BN_EVAL_ROWS 8     // threadIdx.y lanes of batchnorm_eval
#define BN_EVAL_CHUNK 256  // rows per batchnorm_eval block

// bn_column_sum returns, to every thread of the block, the sum over
// threadIdx.y of v for the thread's column, added in a fixed order (y = 0,
// 1, …). Every thread of the block must call it.
__device__ __forceinline__ double bn_column_sum(double v) {
    __shared__ double part[BN_ROWS][BN_COLS + 1];
    __shared__ double total[BN_COLS];
    part[threadIdx.y][threadIdx.x] = v;
    __syncthreads();
    if (threadIdx.y == 0) {
        double s = 0.0;
#pragma unroll
        for (int j = 0; j < BN_ROWS; ++j) s += part[j][threadIdx.x];
        total[threadIdx.x] = s;
    }
    __syncthreads();
    const double s = total[threadIdx.x];
    __syncthreads();  // part and total may be reused by the next call
    return s;
}

extern "C" __global__ void __launch_bounds__(BN_COLS * BN_ROWS)
batchnorm_train(int act, const float* __restrict__ z, const float* __restrict__ gamma,
                const float* __restrict__ beta, float* __restrict__ out,
                float* __restrict__ saveMean, float* __restrict__ saveInvStd,
                float* __restrict__ runMean, float* __restrict__ runVar, int rows, int cols,
                float eps, float momentum) {
    const int c = blockIdx.x * BN_COLS + threadIdx.x;
    const bool live = c < cols;
    const float* zc = z + c;
    double acc = 0.0;
    if (live)
        for (int r = threadIdx.y; r < rows; r += BN_ROWS) acc += zc[(size_t)r * cols];
    const double mean = bn_column_sum(acc) / rows;
    acc = 0.0;
    if (live)
        for (int r = threadIdx.y; r < rows; r += BN_ROWS) {
            const double d = zc[(size_t)r * cols] - mean;
            acc += d * d;
        }
    const double var = bn_column_sum(acc) / rows;
    if (!live) return;  // no barrier follows
    const float mean32 = (float)mean;
    const float invStd32 = (float)(1.0 / sqrt(var + (double)eps));
    if (threadIdx.y == 0) {
        saveMean[c] = mean32;
        saveInvStd[c] = invStd32;
        const double m = momentum;
        const double unbiased = rows > 1 ? var * rows / (rows - 1) : var;
        runMean[c] = (float)((1.0 - m) * runMean[c] + m * mean);
        runVar[c] = (float)((1.0 - m) * runVar[c] + m * unbiased);
    }
    const double mu = mean32, is = invStd32, g = gamma[c], b = beta[c];
    float* oc = out + c;
    for (int r = threadIdx.y; r < rows; r += BN_ROWS) {
        const size_t at = (size_t)r * cols;
        oc[at] = activate(act, (float)(g * ((zc[at] - mu) * is) + b), 0.0f);
    }
}

// out may be z (each element is read and written by one thread), so neither is
// __restrict__.
extern "C" __global__ void __launch_bounds__(BN_COLS * BN_EVAL_ROWS)
batchnorm_eval(int act, const float* z, const float* __restrict__ gamma,
               const float* __restrict__ beta, const float* __restrict__ runMean,
               const float* __restrict__ runVar, float* out, int rows, int cols, float eps) {
    const int c = blockIdx.x * BN_COLS + threadIdx.x;
    if (c >= cols) return;
    const double mu = runMean[c], is = 1.0 / sqrt((double)runVar[c] + (double)eps);
    const double g = gamma[c], b = beta[c];
    // Unsigned: rows < 2³¹ and the step is at most 256·65535, so r0 never
    // wraps before the loop ends.
    for (unsigned r0 = blockIdx.y * BN_EVAL_CHUNK; r0 < (unsigned)rows; r0 += gridDim.y * BN_EVAL_CHUNK) {
        const unsigned end = r0 + BN_EVAL_CHUNK < (unsigned)rows ? r0 + BN_EVAL_CHUNK : (unsigned)rows;
        for (unsigned r = r0 + threadIdx.y; r < end; r += BN_EVAL_ROWS) {
            const size_t at = (size_t)r * cols + c;
            out[at] = activate(act, (float)(g * ((z[at] - mu) * is) + b), 0.0f);
        }
    }
}

// dy and dz may be the same buffer, so neither is __restrict__.
extern "C" __global__ void __launch_bounds__(BN_COLS * BN_ROWS)
batchnorm_backward(const float* __restrict__ z, const float* dy,
                   const float* __restrict__ gamma, const float* __restrict__ saveMean,
                   const float* __restrict__ saveInvStd, float* dz, float* __restrict__ dgamma,
                   float* __restrict__ dbeta, int rows, int cols) {
    const int c = blockIdx.x * BN_COLS + threadIdx.x;
    const bool live = c < cols;
    const double mu = live ? saveMean[c] : 0.0, is = live ? saveInvStd[c] : 0.0;
    double sdy = 0.0, sdyx = 0.0;
    if (live)
        for (int r = threadIdx.y; r < rows; r += BN_ROWS) {
            const size_t at = (size_t)r * cols + c;
            const double d = dy[at];
            sdy += d;
            sdyx += d * ((z[at] - mu) * is);
        }
    const double db = bn_column_sum(sdy);
    const double dg = bn_column_sum(sdyx);
    if (!live) return;  // no barrier follows
    if (threadIdx.y == 0) {
        dbeta[c] = (float)db;
        dgamma[c] = (float)dg;
    }
    const double k = (double)gamma[c] * is / rows, n = rows;
    for (int r = threadIdx.y; r < rows; r += BN_ROWS) {
        const size_t at = (size_t)r * cols + c;
        const double xh = (z[at] - mu) * is;
        dz[at] = (float)(k * (n * dy[at] - db - xh * dg));
    }
}
