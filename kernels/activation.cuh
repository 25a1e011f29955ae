// activation.cuh — the element-wise activations and their derivatives,
// shared by activation.cu and batchnorm.cu (included, not compiled on its own).
//
// One forward and one derivative per activation, then the dispatch on act,
// the integer value of device.Activation (its index in the device package's
// activation table; the ACT_ constants of enums_gen.cuh, written by
// go generate ./kernels). Adding an activation is its two functions and its two
// cases here. alpha is the activation's parameter (LeakyReLU's slope),
// ignored by the others. Each derivative gets the pre-activation z and the
// output out = act(z) and reads whichever is cheaper.
//
// tanhf/expf are the accurate (non --use_fast_math) versions, within 2 ulp.
// sigmoid is evaluated as 1/(1+e^-z) for z ≥ 0 and e^z/(1+e^z) for z < 0 (no
// overflow), like the CPU backend.
#pragma once

#include "enums_gen.cuh"

__device__ __forceinline__ float sigmoidf_stable(float z) {
    if (z >= 0.0f) return 1.0f / (1.0f + expf(-z));
    const float e = expf(z);
    return e / (1.0f + e);
}

// tanh: tanh′ = 1 − out².
__device__ __forceinline__ float act_tanh(float z) { return tanhf(z); }
__device__ __forceinline__ float act_tanh_grad(float out) { return 1.0f - out * out; }

// relu: relu′ = [z > 0] (PyTorch's relu′(0) is 0).
__device__ __forceinline__ float act_relu(float z) { return z > 0.0f ? z : 0.0f; }
__device__ __forceinline__ float act_relu_grad(float z) { return z > 0.0f ? 1.0f : 0.0f; }

// sigmoid: sigmoid′ = out·(1 − out).
__device__ __forceinline__ float act_sigmoid(float z) { return sigmoidf_stable(z); }
__device__ __forceinline__ float act_sigmoid_grad(float out) { return out * (1.0f - out); }

// gelu, PyTorch's tanh approximation: 0.5·z·(1 + tanh(u)), u = √(2/π)·(z +
// 0.044715·z³); gelu′ = (1 + t)/2 + z·(1 − t²)·u′/2 with t = tanh(u).
__device__ __forceinline__ float act_gelu(float z) {
    const float u = 0.7978845608f * (z + 0.044715f * z * z * z);
    return 0.5f * z * (1.0f + tanhf(u));
}
__device__ __forceinline__ float act_gelu_grad(float z) {
    const float t = tanhf(0.7978845608f * (z + 0.044715f * z * z * z));
    return 0.5f * (1.0f + t) + 0.5f * z * (1.0f - t * t) * 0.7978845608f * (1.0f + 0.134145f * z * z);
}

// silu: z·sigmoid(z); silu′ = s·(1 + z·(1 − s)) with s = sigmoid(z).
__device__ __forceinline__ float act_silu(float z) { return z * sigmoidf_stable(z); }
__device__ __forceinline__ float act_silu_grad(float z) {
    const float s = sigmoidf_stable(z);
    return s * (1.0f + z * (1.0f - s));
}

// leaky relu with slope alpha for z ≤ 0 (PyTorch's leaky_relu′(0) is alpha).
__device__ __forceinline__ float act_leaky_relu(float z, float alpha) { return z > 0.0f ? z : alpha * z; }
__device__ __forceinline__ float act_leaky_relu_grad(float z, float alpha) { return z > 0.0f ? 1.0f : alpha; }

// elu with α = 1 (PyTorch's default): e^z − 1 for z ≤ 0, expm1f against the
// cancellation near 0; elu′ = e^z there, from z as PyTorch's elu_backward
// (out + 1 would lose e^z's digits where out is near −1).
__device__ __forceinline__ float act_elu(float z) { return z > 0.0f ? z : expm1f(z); }
__device__ __forceinline__ float act_elu_grad(float z) { return z > 0.0f ? 1.0f : expf(z); }

__device__ __forceinline__ float activate(int act, float z, float alpha) {
    switch (act) {
        case ACT_TANH: return act_tanh(z);
        case ACT_RELU: return act_relu(z);
        case ACT_SIGMOID: return act_sigmoid(z);
        case ACT_GELU: return act_gelu(z);
        case ACT_SILU: return act_silu(z);
        case ACT_LEAKY_RELU: return act_leaky_relu(z, alpha);
        case ACT_ELU: return act_elu(z);
        default: return z;
    }
}

__device__ __forceinline__ float activation_derivative(int act, float z, float out, float alpha) {
    switch (act) {
        case ACT_TANH: return act_tanh_grad(out);
        case ACT_RELU: return act_relu_grad(z);
        case ACT_SIGMOID: return act_sigmoid_grad(out);
        case ACT_GELU: return act_gelu_grad(z);
        case ACT_SILU: return act_silu_grad(z);
        case ACT_LEAKY_RELU: return act_leaky_relu_grad(z, alpha);
        case ACT_ELU: return act_elu_grad(z);
        default: return 1.0f;
    }
}
