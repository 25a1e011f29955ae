"""Reference timings for the CPU backend's benchmarks (cpu/*_test.go).

Run it with Debian's numpy and PyTorch, with the OpenBLAS variables unset so
OpenBLAS uses its AVX-512 kernels:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 cpu/testdata/reference.py

It prints the median of several timed repetitions for: sgemm 2048³ (numpy,
i.e. OpenBLAS), the workshop network's full-batch gradient-descent step in
numpy (W1), and PyTorch training steps for W2 (784-512-512-10, batch 128,
Adam) and W3 (2048-2048-2048-10, batch 1024, SGD), the shapes, losses and
optimizers of the bench suite's workloads (bench/workload.go).
"""
import json
import statistics
import sys
import time

import numpy as np


def median_time(fn, reps, inner):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def sgemm():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2048, 2048), dtype=np.float32)
    b = rng.standard_normal((2048, 2048), dtype=np.float32)
    c = np.empty((2048, 2048), dtype=np.float32)
    t = median_time(lambda: np.matmul(a, b, out=c), 7, 5)
    return {"sgemm2048_ms": t * 1e3, "sgemm2048_gflops": 2 * 2048**3 / t / 1e9}


def w1():
    # biodeg-shaped: 1055×41 inputs, 41→20 tanh→1, summed logistic loss, GD.
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1055, 41), dtype=np.float32)
    y = (rng.random((1055, 1)) < 0.3).astype(np.float32)
    w1 = rng.standard_normal((41, 20), dtype=np.float32)
    b1 = rng.standard_normal(20, dtype=np.float32)
    w2 = rng.standard_normal((20, 1), dtype=np.float32)
    b2 = rng.standard_normal(1, dtype=np.float32)
    lr = np.float32(1e-4)

    def step():
        nonlocal w1, b1, w2, b2
        h = np.tanh(x @ w1 + b1)
        z = h @ w2 + b2
        loss = np.sum(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z)
        dz = 1 / (1 + np.exp(-z)) - y
        dw2 = h.T @ dz
        db2 = dz.sum(0)
        dh = (dz @ w2.T) * (1 - h * h)
        dw1 = x.T @ dh
        db1 = dh.sum(0)
        w1 -= lr * dw1
        b1 -= lr * db1
        w2 -= lr * dw2
        b2 -= lr * db2
        return loss

    return {"w1_numpy_us": median_time(step, 9, 200) * 1e6}


def torch_step(sizes, batch, act, loss, opt):
    import torch

    torch.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    net = torch.nn.Sequential(*layers)
    x = torch.randn(batch, sizes[0])
    if loss == "ce":
        y = torch.randint(0, sizes[-1], (batch,))
        lossf = torch.nn.CrossEntropyLoss(reduction="mean")
    else:
        y = torch.randn(batch, sizes[-1])
        lossf = torch.nn.MSELoss(reduction="mean")
    o = opt(net.parameters())

    def step():
        o.zero_grad(set_to_none=False)
        l = lossf(net(x), y)
        l.backward()
        o.step()

    return step


def torch_refs():
    import torch

    out = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        s = torch_step([784, 512, 512, 10], 128, torch.nn.ReLU, "ce", lambda p: torch.optim.Adam(p, lr=1e-3))
        out["w2_torch_us_%dt" % threads] = median_time(s, 9, 20) * 1e6
        s = torch_step([2048, 2048, 2048, 10], 1024, torch.nn.ReLU, "ce", lambda p: torch.optim.SGD(p, lr=1e-2))
        out["w3_torch_ms_%dt" % threads] = median_time(s, 5, 3) * 1e3
    out["w2_torch_us_best"] = min(out["w2_torch_us_1t"], out["w2_torch_us_2t"])
    out["w3_torch_ms_best"] = min(out["w3_torch_ms_1t"], out["w3_torch_ms_2t"])
    return out


if __name__ == "__main__":
    res = {}
    try:
        from threadpoolctl import threadpool_info

        res["blas"] = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads")) for i in threadpool_info()]
    except Exception as e:  # threadpoolctl is optional
        res["blas"] = str(e)
    res.update(sgemm())
    res.update(w1())
    if "--no-torch" not in sys.argv:
        res.update(torch_refs())
    print(json.dumps(res, indent=1))
