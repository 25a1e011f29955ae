/*
activation.cu — fused bias + activation (forward) and the activation's
derivative (backward) for identity, tanh, relu and sigmoid.

bias_act_forward:   out[r,c] = act(z[r,c] + bias[c])      rows×cols, out may be z
act_backward:       dz[i] = dout[i] · act'(z[i])           i < n, dz may be dout
                    with act' written through out = act(z):
                    identity' = 1, tanh' = 1 − out², relu' = [out > 0],
                    sigmoid' = out·(1 − out)

act is the integer value of device.Activation: 0 identity, 1 tanh, 2 relu,
3 sigmoid (the functions are in activation.cuh, shared with batchnorm.cu).
The switch is uniform across the grid, so it costs no divergence.
Both kernels use a grid-stride loop over the flat index; out-of-range threads
do nothing. tanhf/expf are the accurate (non --use_fast_math) versions, within
2 ulp. sigmoid is evaluated as 1/(1+e^-z) for z ≥ 0 and e^z/(1+e^z) for z < 0
(no overflow), like the CPU backend. Aliasing (out == z, dz == dout) is
allowed, so none of the pointers are __restrict__.

Napkin math per call (float32 = 4 bytes), N = rows·cols:
    forward:  reads 4·N (+4·cols for bias, cached), writes 4·N; ~1–20 flops/elt
    backward: reads 8·N, writes 4·N; 1–3 flops/elt
Memory-bound: at ~3 TB/s an H100 moves a 1024×4096 activation (16 MB) in
~10 µs; the workshop's 1055×20 (84 kB) is launch-latency bound.

Validated against: refActivate and the derivative table in
device/devicetest/activation.go (float64), and cpu/activation.go.

Regenerate the PTX with `make kernels`.
*/

#include "activation.cuh"

// Launch: 1-D grid of 256-thread blocks covering rows·cols (capped; the loop strides).
extern "C" __global__ void bias_act_forward(int act, const float* z, const float* bias,
                                            float* out, int rows, int cols) {
    const long long total = (long long)rows * cols;
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const int c = (int)(i % cols);
        out[i] = activate(act, z[i] + bias[c]);
    }
}

// Launch: 1-D grid of 256-thread blocks covering n (capped; the loop strides).
extern "C" __global__ void act_backward(int act, const float* out, const float* dout,
                                        float* dz, int n) {
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        // dout·act' as a product (not a select), exactly as the formula and
        // the CPU backend: a NaN in dout stays NaN even where relu' = 0.
        dz[i] = dout[i] * activation_derivative(act, out[i]);
    }
}
