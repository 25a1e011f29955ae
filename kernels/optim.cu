/*
optim.cu — parameter updates, one thread per parameter (grid-stride), and
the L1 penalty's gradient.

Every update kernel has the same parameters, so that the backend launches
any of them the same way (device.Optimizers.OptimStep, by name):

    (float* p, const float* g, float* s0, float* s1, int n, float a0 … a9)

p the parameters, g their gradient, s0 and s1 the optimizer's state tensors
(null where it keeps fewer), a0… its scalar arguments, set by the rule in
nn/optim_*.go that names the kernel. Adding an optimizer is one kernel here
(with its CPU function in cpu/internal/update).

    sgd_step      (lr, wd):     p -= lr·(g + wd·p)
    momentum_step (lr, μ, wd):  d = g + wd·p;  v = μ·v + d;  p -= lr·v  (PyTorch SGD; s0 = v)
    adam_step     (lr, β1, 1−β1, β2, 1−β2, eps, wd, 1/bc1, 1/bc2):
                  d = g + wd·p;  m = β1·m + (1−β1)·d;  v = β2·v + (1−β2)·d²
                  p -= lr · (m/bc1) / (sqrt(v/bc2) + eps)            (torch.optim.Adam; s0 = m, s1 = v)
    adamw_step    (Adam's, with 1 − lr·wd in wd's place):
                  p ← p·(1 − lr·wd), then Adam's step with d = g     (torch.optim.AdamW)
    rmsprop_step  (lr, α, 1−α, eps, wd, μ):
                  d = g + wd·p;  s = α·s + (1−α)·d²;  b = μ·b + d/(sqrt(s) + eps);  p -= lr·b
                                                                    (torch.optim.RMSprop; s0 = s, s1 = b)

    add_l1 (g, p, n, λ):        g += λ·sign(p), sign(0) = 0

Each rule also has a replica-strided kernel, NAME_replicas(p, g, s0, s1, n,
run, replicas, args), for replicas trained side by side with their own
hyper-parameters: the same per-element code, each element's ten scalars read
from args at 10·((i / run) mod replicas), a table the host fills per step
with each replica's scalars exactly as for NAME.

with wd the L2 weight decay added to the gradient and, for Adam, 1 − β and
the reciprocal bias corrections 1/(1 − β^step) computed once per call on
the host in float64 and passed as float32 (as PyTorch computes them in
Python floats), exactly like the CPU backend. sqrtf
and '/' are the IEEE correctly-rounded versions (nvcc's defaults
-prec-sqrt=true -prec-div=true).

Launch: 1-D grid of 256-thread blocks covering n (capped; the loop strides).

Napkin math per call, n parameters (float32):
    sgd:      reads 8·n, writes 4·n,  3 flops/param
    momentum: reads 12·n, writes 8·n, 5 flops/param
    adam:     reads 16·n, writes 12·n, ~15 flops/param (one sqrt, one divide)
    add_l1:   reads 8·n, writes 4·n,  2 flops/param
All memory-bound: 10 M parameters of Adam is 280 MB, ~0.1 ms on an H100.

Validated against: the float64 references in device/devicetest/optim.go and
the optimizer rules' in nn, and cpu/internal/update.

Regenerate the PTX with `make kernels`.
*/
#include "common.cuh"

#define UPDATE_PARAMS                                                                       \
    float *__restrict__ p, const float *__restrict__ g, float *__restrict__ s0,             \
        float *__restrict__ s1, int n, float a0, float a1, float a2, float a3, float a4,    \
        float a5, float a6, float a7, float a8, float a9

// The replica-strided form of every update kernel: p[0:n] is a sequence of
// runs of run elements, run k belonging to replica k mod replicas, whose ten
// scalars are args[10·replica:] (device.Optimizers.OptimStepReplicas).
#define REPLICA_UPDATE_PARAMS                                                               \
    float *__restrict__ p, const float *__restrict__ g, float *__restrict__ s0,             \
        float *__restrict__ s1, int n, int run, int replicas, const float *__restrict__ args

// UPDATE_KERNELS defines a rule's two kernels from its per-element update
// ONE(p, g, s0, s1, i, a), a the ten scalars: NAME with the scalars as
// arguments, REPLICAS with each replica's read from args. Both run the same
// inlined code on each element, so a replica's update is bit for bit the
// one its scalars give alone.
#define UPDATE_KERNELS(NAME, REPLICAS, ONE)                                                 \
    extern "C" __global__ void NAME(UPDATE_PARAMS) {                                        \
        const float a[10] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9};                       \
        GRID_STRIDE(i, n) { ONE(p, g, s0, s1, i, a); }                                      \
    }                                                                                       \
    extern "C" __global__ void REPLICAS(REPLICA_UPDATE_PARAMS) {                            \
        GRID_STRIDE(i, n) { ONE(p, g, s0, s1, i, args + 10 * ((i / run) % replicas)); }     \
    }

#define ONE_PARAMS                                                                          \
    float *__restrict__ p, const float *__restrict__ g, float *__restrict__ s0,             \
        float *__restrict__ s1, long long i, const float *a

__device__ __forceinline__ void sgd_one(ONE_PARAMS) {
    const float lr = a[0], wd = a[1];
    const float pi = p[i];
    p[i] = pi - lr * (g[i] + wd * pi);
}

__device__ __forceinline__ void momentum_one(ONE_PARAMS) {
    const float lr = a[0], momentum = a[1], wd = a[2];
    const float pi = p[i];
    const float vi = momentum * s0[i] + g[i] + wd * pi;
    s0[i] = vi;
    p[i] = pi - lr * vi;
}

__device__ __forceinline__ void adam_one(ONE_PARAMS) {
    const float lr = a[0], beta1 = a[1], obeta1 = a[2], beta2 = a[3], obeta2 = a[4], eps = a[5];
    const float wd = a[6], rbc1 = a[7], rbc2 = a[8];
    const float pi = p[i];
    const float d = g[i] + wd * pi;
    const float mi = beta1 * s0[i] + obeta1 * d;
    const float vi = beta2 * s1[i] + obeta2 * (d * d);
    s0[i] = mi;
    s1[i] = vi;
    p[i] = pi - lr * (mi * rbc1) / (sqrtf(vi * rbc2) + eps);
}

__device__ __forceinline__ void adamw_one(ONE_PARAMS) {
    const float lr = a[0], beta1 = a[1], obeta1 = a[2], beta2 = a[3], obeta2 = a[4], eps = a[5];
    const float decay = a[6], rbc1 = a[7], rbc2 = a[8];
    const float d = g[i];
    const float mi = beta1 * s0[i] + obeta1 * d;
    const float vi = beta2 * s1[i] + obeta2 * (d * d);
    s0[i] = mi;
    s1[i] = vi;
    p[i] = p[i] * decay - lr * (mi * rbc1) / (sqrtf(vi * rbc2) + eps);
}

__device__ __forceinline__ void rmsprop_one(ONE_PARAMS) {
    const float lr = a[0], alpha = a[1], oalpha = a[2], eps = a[3], wd = a[4], momentum = a[5];
    const float pi = p[i];
    const float d = g[i] + wd * pi;
    const float si = alpha * s0[i] + oalpha * d * d;  // PyTorch's addcmul order
    const float bi = momentum * s1[i] + d / (sqrtf(si) + eps);
    s0[i] = si;
    s1[i] = bi;
    p[i] = pi - lr * bi;
}

UPDATE_KERNELS(sgd_step, sgd_step_replicas, sgd_one)
UPDATE_KERNELS(momentum_step, momentum_step_replicas, momentum_one)
UPDATE_KERNELS(adam_step, adam_step_replicas, adam_one)
UPDATE_KERNELS(adamw_step, adamw_step_replicas, adamw_one)
UPDATE_KERNELS(rmsprop_step, rmsprop_step_replicas, rmsprop_one)

extern "C" __global__ void add_l1(float* __restrict__ g, const float* __restrict__ p, int n,
                                  float lambda) {
    GRID_STRIDE(i, n) {
        const float pi = p[i];
        g[i] += pi > 0.0f ? lambda : (pi < 0.0f ? -lambda : 0.0f);
    }
}

// adagrad_step (lr, eps, wd): d = g + wd·p;  s += d²;  p −= lr·d/(sqrt(s) + eps)
// adagrad (lr, eps, wd): d = g + wd·p;  s += d²;  p -= lr·d/(sqrt(s) + eps)
// (torch.optim.Adagrad without lr decay; s0 = s, the sum of squares). Reads
// 12·n, writes 8·n, 9 flops/param.
__device__ __forceinline__ void adagrad_one(ONE_PARAMS) {
    const float lr = a[0], eps = a[1], wd = a[2];
    const float pi = p[i];
    const float d = g[i] + wd * pi;
    const float si = s0[i] + d * d;  // PyTorch's addcmul
    s0[i] = si;
    p[i] = pi - lr * d / (sqrtf(si) + eps);  // PyTorch's addcdiv: (lr·d)/std
}

UPDATE_KERNELS(adagrad_step, adagrad_step_replicas, adagrad_one)
