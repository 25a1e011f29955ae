// activation.cuh — the element-wise activations and their derivatives,
// shared by activation.cu and batchnorm.cu (included, not compiled on its own).
//
// act is the integer value of device.Activation: 0 identity, 1 tanh, 2 relu,
// 3 sigmoid. tanhf/expf are the accurate (non --use_fast_math) versions,
// within 2 ulp. sigmoid is evaluated as 1/(1+e^-z) for z ≥ 0 and e^z/(1+e^z)
// for z < 0 (no overflow), like the CPU backend (cpu.Activate).
#pragma once

__device__ __forceinline__ float sigmoidf_stable(float z) {
    if (z >= 0.0f) return 1.0f / (1.0f + expf(-z));
    const float e = expf(z);
    return e / (1.0f + e);
}

__device__ __forceinline__ float activate(int act, float z) {
    switch (act) {
        case 1: return tanhf(z);
        case 2: return z > 0.0f ? z : 0.0f;
        case 3: return sigmoidf_stable(z);
        default: return z;
    }
}

// activation_derivative is act'(z) written through out = act(z):
// identity' = 1, tanh' = 1 − out², relu' = [out > 0], sigmoid' = out·(1 − out).
__device__ __forceinline__ float activation_derivative(int act, float out) {
    switch (act) {
        case 1: return 1.0f - out * out;
        case 2: return out > 0.0f ? 1.0f : 0.0f;
        case 3: return out * (1.0f - out);
        default: return 1.0f;
    }
}
