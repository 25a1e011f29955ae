/*
activation.cu — bias + activation (forward) and the activation's derivative
(backward), for every activation in activation.cuh.

bias_act_forward:   z[r,c] += bias[c]; out[r,c] = act(z[r,c])   rows×cols
                    (bias may be null; out may be z). z keeps the
                    pre-activation for the backward pass.
act_backward:       dz[i] = dout[i] · act'(z[i])                i < n, dz may be dout,
                    given z and out = act(z) (each derivative reads the
                    cheaper one: tanh' = 1 − out², gelu' from z)

act is the integer value of device.Activation (the activation table's
index, as the ACT_ constants of enums_gen.cuh), alpha its parameter (LeakyReLU's slope). The switch is uniform
across the grid, so it costs no divergence. Both kernels use a grid-stride
loop over the flat index; out-of-range threads do nothing. Aliasing (out ==
z, dz == dout) is allowed, so none of the pointers are __restrict__.

Napkin math per call (float32 = 4 bytes), N = rows·cols:
    forward:  reads 4·N (+4·cols for bias, cached), writes 8·N (4·N when
              out == z); ~1–30 flops/elt
    backward: reads 12·N, writes 4·N; 1–30 flops/elt
Memory-bound: at ~3 TB/s an H100 moves a 1024×4096 activation (16 MB) in
~10 µs; the workshop's 1055×20 (84 kB) is launch-latency bound.

Validated against: the float64 reference in device/activation.go (through
device/devicetest/activation.go), and cpu/internal/act.

Regenerate the PTX with `make kernels`.
*/

#include "activation.cuh"

// Launch: 1-D grid of 256-thread blocks covering rows·cols (capped; the loop strides).
extern "C" __global__ void bias_act_forward(int act, float alpha, float* z, const float* bias,
                                            float* out, int rows, int cols) {
    const long long total = (long long)rows * cols;
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const float pre = bias ? z[i] + bias[(int)(i % cols)] : z[i];
        z[i] = pre;
        out[i] = activate(act, pre, alpha);
    }
}

// Launch: 1-D grid of 256-thread blocks covering n (capped; the loop strides).
extern "C" __global__ void act_backward(int act, float alpha, const float* z, const float* out,
                                        const float* dout, float* dz, int n) {
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        // dout·act' as a product (not a select), exactly as the formula and
        // the CPU backend: a NaN in dout stays NaN even where relu' = 0.
        dz[i] = dout[i] * activation_derivative(act, z[i], out[i], alpha);
    }
}
