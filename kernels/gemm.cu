/*
gemm.cu — single-precision matrix product for the dense layers.

Computes, for row-major matrices,

    C = alpha · op(A) · op(B) + beta · C        op(A): m×k, op(B): k×n, C: m×n

where op(X) = Xᵀ when the matching trans flag is set (A is then stored k×m,
B n×k), strided-batched (device Linalg.GemmStrided: count products C_g =
alpha·op(A_g)·op(B_g) + beta·C_g at once, matrix X_g starting g·strideX
elements into X, rows lda/ldb/ldc apart — the stacked parameters of many
random restarts trained in one launch; one product is count 1). All four
transpose cases get their own entry point; the trainer uses NN (forward:
X·W), NT (backward: dY·Wᵀ) and TN (backward: Xᵀ·dY):

    gemm_strided_nn  gemm_strided_nt  gemm_strided_tn  gemm_strided_tt

When beta == 0 the old contents of C are never read, so NaN or garbage in C
does not propagate (device.Linalg's contract).

Algorithm: one 256-thread block computes a 64×64 tile of C. For each slice of
16 along k it stages a 64×16 tile of op(A) and a 16×64 tile of op(B) in
shared memory (both stored k-major so the inner loop reads float4s), then
every thread accumulates a 4×4 register block of C with 16 FMAs per k step
(4+4 shared loads for 16 FMAs). Loads outside the matrices read as 0 and
stores outside C are skipped, so any shape works: 41×20, 20×1, 1055 rows and
4096² take the same path. Each C element is produced by one thread summing
k in a fixed order, so results are bit-reproducible run to run.

Napkin math per call (float32 = 4 bytes):
    flops          = 2·m·n·k (+ 3·m·n for alpha/beta)
    DRAM bytes     ≥ 4·(m·k + k·n + m·n·(beta≠0 ? 2 : 1))   (compulsory)
    bytes actually read from L2: each A tile is re-read by ceil(n/64) blocks
    and each B tile by ceil(m/64) blocks → 4·(m·k·⌈n/64⌉ + k·n·⌈m/64⌉).
    The workshop net (1055×41 · 41×20) is ~1.8 Mflop and ~0.3 MB: launch
    latency (~3 µs) dominates; 4096³ is 137 Gflop, compute-bound (H100 fp32
    non-tensor peak ~60 Tflop/s; this simple kernel reaches a fraction).
    Strided: count times the above in one launch (10 restarts of the
    workshop net: ~18 Mflop, 170 blocks — enough to fill the GPU's SMs,
    where one restart's 17 blocks leave most of them idle).

Validated against: the float64 references refGemm and refGemmStrided in
device/devicetest/gemm.go (run by cuda/cuda_test.go via devicetest.Run:
every transpose, padded leading dimensions, column-block and shared
layouts) and the CPU backend cpu/gemm.go; cuda/gemm_test.go checks big
shapes (1024³, 4097×41×20, …) against a float64 loop.

Regenerate the PTX with `make kernels` (nvcc -ptx -arch=compute_80 -O3).
*/

#define BM 64  // rows of C per block
#define BN 64  // columns of C per block
#define BK 16  // k slice staged in shared memory per iteration
#define TM 4   // rows of C per thread
#define TN 4   // columns of C per thread
#define NTHREADS 256  // (BM/TM)·(BN/TN)
#define PAD 4  // keeps rows 16-byte aligned and spreads the transposed stores over banks

// gemm_tile computes one 64×64 tile of C (blockIdx.x: rows, blockIdx.y:
// columns). Consecutive rows of A, B and C (as stored) are lda, ldb and ldc
// elements apart; the plain Gemm entry points pass the natural widths, so
// their arithmetic (the order of every fmaf) is the same as the strided ones'.
template <bool TA, bool TB>
__device__ __forceinline__ void gemm_tile(int m, int n, int k, float alpha,
                                          const float* __restrict__ A, int lda,
                                          const float* __restrict__ B, int ldb, float beta,
                                          float* __restrict__ C, int ldc) {
    __shared__ __align__(16) float As[BK][BM + PAD];  // As[kk][r] = op(A)[m0+r, k0+kk]
    __shared__ __align__(16) float Bs[BK][BN + PAD];  // Bs[kk][c] = op(B)[k0+kk, n0+c]

    const int tid = threadIdx.x;
    const int tx = tid % (BN / TN);  // 0..15: column group
    const int ty = tid / (BN / TN);  // 0..15: row group
    const int m0 = blockIdx.x * BM;  // m on x: up to 2³¹−1 tiles of rows
    const int n0 = blockIdx.y * BN;  // n on y: up to 65535 tiles of columns

    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < k; k0 += BK) {
        // Stage op(A)[m0:m0+64, k0:k0+16]: 1024 values, 4 per thread. The
        // index mapping follows the storage order so global reads coalesce.
#pragma unroll
        for (int l = 0; l < (BM * BK) / NTHREADS; ++l) {
            const int idx = tid + l * NTHREADS;
            int r, c;  // r: row of op(A) in the tile, c: k in the tile
            if (TA) {  // A stored k×m: consecutive threads walk a row of A (= m)
                r = idx % BM;
                c = idx / BM;
            } else {  // A stored m×k: consecutive threads walk k
                r = idx / BK;
                c = idx % BK;
            }
            const int gr = m0 + r, gc = k0 + c;
            float v = 0.0f;
            if (gr < m && gc < k) {
                v = TA ? A[(size_t)gc * lda + gr] : A[(size_t)gr * lda + gc];
            }
            As[c][r] = v;
        }
        // Stage op(B)[k0:k0+16, n0:n0+64].
#pragma unroll
        for (int l = 0; l < (BK * BN) / NTHREADS; ++l) {
            const int idx = tid + l * NTHREADS;
            int r, c;  // r: k in the tile, c: column of op(B) in the tile
            if (TB) {  // B stored n×k: consecutive threads walk k
                r = idx % BK;
                c = idx / BK;
            } else {  // B stored k×n: consecutive threads walk n
                r = idx / BN;
                c = idx % BN;
            }
            const int gr = k0 + r, gc = n0 + c;
            float v = 0.0f;
            if (gr < k && gc < n) {
                v = TB ? B[(size_t)gc * ldb + gr] : B[(size_t)gr * ldb + gc];
            }
            Bs[r][c] = v;
        }
        __syncthreads();

#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            const float4 a4 = *reinterpret_cast<const float4*>(&As[kk][ty * TM]);
            const float4 b4 = *reinterpret_cast<const float4*>(&Bs[kk][tx * TN]);
            const float a[TM] = {a4.x, a4.y, a4.z, a4.w};
            const float b[TN] = {b4.x, b4.y, b4.z, b4.w};
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < TM; ++i) {
        const int row = m0 + ty * TM + i;
        if (row >= m) break;
#pragma unroll
        for (int j = 0; j < TN; ++j) {
            const int col = n0 + tx * TN + j;
            if (col < n) {
                float* p = &C[(size_t)row * ldc + col];
                float v = alpha * acc[i][j];
                if (beta != 0.0f) v = fmaf(beta, *p, v);
                *p = v;
            }
        }
    }
}

// The strided-batched product (device GemmStrided): for g < count,
//     C_g = alpha·op(A_g)·op(B_g) + beta·C_g,   X_g = X + g·strideX,
// with leading dimensions lda, ldb, ldc (≥ the stored width). A stride of 0
// shares one matrix across the batch (the restarts' shared inputs). Launch:
// grid (ceil(m/64), ceil(n/64), min(count, 65535)), block 256; blockIdx.z
// picks g and strides over the rest. Every C element of C_g is computed as
// for the product alone.
#define GEMM_STRIDED(NAME, TA, TB)                                                            \
    extern "C" __global__ void __launch_bounds__(NTHREADS)                                     \
    NAME(int m, int n, int k, float alpha, const float* __restrict__ A, int lda, int strideA, \
         const float* __restrict__ B, int ldb, int strideB, float beta, float* __restrict__ C, \
         int ldc, int strideC, int count) {                                                    \
        for (int g = blockIdx.z; g < count; g += gridDim.z) {                                  \
            gemm_tile<TA, TB>(m, n, k, alpha, A + (size_t)g * strideA, lda,                    \
                              B + (size_t)g * strideB, ldb, beta, C + (size_t)g * strideC, ldc); \
        }                                                                                      \
    }

GEMM_STRIDED(gemm_strided_nn, false, false)
GEMM_STRIDED(gemm_strided_nt, false, true)
GEMM_STRIDED(gemm_strided_tn, true, false)
GEMM_STRIDED(gemm_strided_tt, true, true)

// Split-k (large k, small m×n: the weight gradients dW = Xᵀ·dY, k = the
// batch). A 64×64 tile per block leaves most SMs idle when m×n is small, and
// its one block then walks all of k alone. Instead the product is computed
// in two launches:
//
//   gemm_splitk_xx      grid (ceil(m/64), ceil(n/64), count·splits), block 256:
//                       block z = g·splits + s computes the partial product of
//                       k slice s, P[z] = op(A_g)[:, s·kslice …]·op(B_g)[s·kslice …, :]
//                       (gemm_tile with alpha 1, beta 0), into the workspace W,
//                       m×n floats per (g, s);
//   gemm_splitk_reduce  C_g = alpha·Σ_s P[g·splits+s] + beta·C_g, the partials
//                       added one after another in s order by one thread per
//                       element: a fixed order, so the result is
//                       bit-identical run to run whatever order blocks run in.
//
// cuda/splitk.go chooses splits so that the first grid has at least one block
// per SM of an H100 (132).
#define GEMM_SPLITK(NAME, TA, TB)                                                                 \
    extern "C" __global__ void __launch_bounds__(NTHREADS)                                         \
    NAME(int m, int n, int k, int kslice, const float* __restrict__ A, int lda, int strideA,      \
         const float* __restrict__ B, int ldb, int strideB, float* __restrict__ W, int splits,    \
         int count) {                                                                              \
        for (int z = blockIdx.z; z < count * splits; z += gridDim.z) {                            \
            const int g = z / splits, k0 = (z % splits) * kslice;                                  \
            const int kl = k - k0 < kslice ? k - k0 : kslice;                                      \
            const float* a = A + (size_t)g * strideA + (TA ? (size_t)k0 * lda : (size_t)k0);       \
            const float* b = B + (size_t)g * strideB + (TB ? (size_t)k0 : (size_t)k0 * ldb);       \
            gemm_tile<TA, TB>(m, n, kl > 0 ? kl : 0, 1.0f, a, lda, b, ldb, 0.0f,                  \
                              W + (size_t)z * m * n, n);                                           \
        }                                                                                          \
    }

GEMM_SPLITK(gemm_splitk_nn, false, false)
GEMM_SPLITK(gemm_splitk_nt, false, true)
GEMM_SPLITK(gemm_splitk_tn, true, false)
GEMM_SPLITK(gemm_splitk_tt, true, true)

// Launch: grid (min(ceil(count·m·n/256), 8192)), block 256; threads stride
// over the count·m·n elements. When beta == 0, C is not read.
extern "C" __global__ void __launch_bounds__(NTHREADS)
gemm_splitk_reduce(int m, int n, float alpha, const float* __restrict__ W, int splits, float beta,
                   float* __restrict__ C, int ldc, int strideC, int count) {
    const size_t mn = (size_t)m * n, total = mn * count;
    for (size_t e = (size_t)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (size_t)gridDim.x * blockDim.x) {
        const size_t g = e / mn, ij = e % mn;
        const float* w = W + g * splits * mn + ij;
        float s = 0.0f;
        for (int z = 0; z < splits; ++z) s += w[(size_t)z * mn];
        float* p = &C[g * strideC + (ij / n) * ldc + ij % n];
        float v = alpha * s;
        if (beta != 0.0f) v = fmaf(beta, *p, v);
        *p = v;
    }
}
