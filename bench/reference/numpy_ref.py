"""numpy reference: the suite's MLP training written by hand in numpy
(float32, forward and backward as gputrain computes them), and numpy's own
matmul and element-wise kernels. Run by bench/cmd/runner; see common.py.

    python3 numpy_ref.py --data DIR [--threads N]
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import numpy as np  # noqa: E402

F = np.float32


class MLP:
    """The network, its loss and its optimizer, all in float32 numpy."""

    def __init__(self, h, arrays):
        self.h = h
        L = common.layers(h)
        # gputrain stores W as fan_in × fan_out; the export is PyTorch's fan_out × fan_in.
        # Copies: training must never change the cached export (np.ascontiguousarray
        # would return a view for a one-row weight).
        self.W = [np.array(arrays["layers.%d.weight" % l].T, order="C", copy=True) for l in range(L)]
        self.b = [np.array(arrays["layers.%d.bias" % l], copy=True) for l in range(L)]
        self.params = [p for l in range(L) for p in (self.W[l], self.b[l])]
        o = h["optimizer"]
        self.kind, self.lr = o["kind"], F(o["lr"])
        self.t = 0
        if self.kind == "adam":
            self.b1, self.b2, self.eps = F(o["beta1"]), F(o["beta2"]), F(o["eps"])
            self.m = [np.zeros_like(p) for p in self.params]
            self.v = [np.zeros_like(p) for p in self.params]
        elif self.kind == "momentum":
            self.mom = F(o["momentum"])
            self.vel = [np.zeros_like(p) for p in self.params]
        elif self.kind not in ("gd", "sgd"):
            raise ValueError("optimizer %r not implemented" % self.kind)
        if o.get("weight_decay", 0):
            raise ValueError("weight decay not implemented")

    def act(self, z):
        a = self.h["activation"]
        if a == "tanh":
            np.tanh(z, out=z)
        elif a == "relu":
            np.maximum(z, 0, out=z)
        elif a == "sigmoid":
            np.negative(z, out=z)
            np.exp(z, out=z)
            z += 1
            np.reciprocal(z, out=z)
        elif a != "identity":
            raise ValueError(a)

    def act_backward(self, out, d):
        a = self.h["activation"]
        if a == "tanh":
            d *= 1 - out * out
        elif a == "relu":
            d *= out > 0
        elif a == "sigmoid":
            d *= out * (1 - out)

    def forward(self, x):
        outs = [x]
        a = x
        L = len(self.W)
        for l in range(L):
            z = a @ self.W[l]
            z += self.b[l]
            if l < L - 1:
                self.act(z)
            outs.append(z)
            a = z
        return outs

    def loss_grad(self, z, y):
        """Mean loss and its gradient with respect to the logits."""
        rows = z.shape[0]
        if self.h["loss"] == "logistic":
            yy = y.reshape(z.shape)
            loss = np.sum(np.logaddexp(F(0), z) - yy * z, dtype=np.float64) / z.size
            with np.errstate(over="ignore"):
                g = 1 / (1 + np.exp(-z))
            g -= yy
            g *= F(1.0 / z.size)
            return loss, g
        if self.h["loss"] == "softmax-ce":
            yi = y.astype(np.int64)
            m = z.max(axis=1, keepdims=True)
            e = np.exp(z - m)
            s = e.sum(axis=1, keepdims=True)
            picked = z[np.arange(rows), yi]
            loss = np.sum(np.log(s[:, 0]) + m[:, 0] - picked, dtype=np.float64) / rows
            g = e / s
            g[np.arange(rows), yi] -= 1
            g *= F(1.0 / rows)
            return loss, g
        raise ValueError(self.h["loss"])

    def step(self, x, y):
        outs = self.forward(x)
        loss, d = self.loss_grad(outs[-1], y)
        L = len(self.W)
        grads = [None] * (2 * L)
        for l in range(L - 1, -1, -1):
            if l < L - 1:
                self.act_backward(outs[l + 1], d)
            grads[2 * l] = outs[l].T @ d
            grads[2 * l + 1] = d.sum(axis=0)
            if l > 0:
                d = d @ self.W[l].T
        self.update(grads)
        return loss

    def update(self, grads):
        self.t += 1
        if self.kind in ("gd", "sgd"):
            for p, g in zip(self.params, grads):
                g *= self.lr
                p -= g
        elif self.kind == "momentum":
            for p, g, v in zip(self.params, grads, self.vel):
                v *= self.mom
                v += g
                p -= self.lr * v
        else:
            c1 = F(1 - self.b1 ** self.t)
            c2 = F(1 - self.b2 ** self.t)
            for p, g, m, v in zip(self.params, grads, self.m, self.v):
                m *= self.b1
                m += (1 - self.b1) * g
                v *= self.b2
                v += (1 - self.b2) * g * g
                p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)

    def loss(self, x, y):
        return self.loss_grad(self.forward(x)[-1], y)[0]


def make(args):
    if args.device != "cpu":
        raise ValueError("numpy runs on the CPU only")
    info = {"impl": "numpy", "version": np.__version__, "device": "cpu",
            "describe": "numpy %s, %s" % (np.__version__, common.blas_description())}
    cache = {}

    def train(req):
        name, steps, block = req["case"], req["steps"], req["block"]
        if cache.get("name") != name:
            cache.clear()
            cache.update(name=name, data=common.load_workload(args.data, name))
        h, arrays = cache["data"]
        X, Y = arrays["x"], arrays["y"]
        idx = common.batch_indices(h, arrays, steps)
        net = MLP(h, arrays)

        def step(j):
            if idx is None:
                return net.step(X, Y)
            rows = idx[j]
            return net.step(X[rows], Y[rows])

        start = time.perf_counter()
        timer = common.run_blocks(steps, block, step, lambda losses: losses)
        final, final_step = timer.losses[-1], steps
        if idx is None:
            final = net.loss(X, Y)
        wall = time.perf_counter() - start
        return common.train_result(info, h, steps, block, timer, final, final_step, wall)

    def kernel(req):
        def prepare(k):
            if k["op"] == "gemm":
                a = np.full((k["m"], k["k"]), 0.01, F)
                b = np.full((k["k"], k["n"]), 0.02, F)
                c = np.empty((k["m"], k["n"]), F)
                return lambda: np.matmul(a, b, out=c)
            n = k["size"]
            if k["op"] == "mul":
                a, b, c = np.full(n, 1.001, F), np.full(n, 0.999, F), np.empty(n, F)
                return lambda: np.multiply(a, b, out=c)
            p, g, lr = np.ones(n, F), np.full(n, 0.5, F), F(1e-6)

            def sgd():
                p.__isub__(lr * g)  # what a numpy user writes: p -= lr * g
            return sgd
        return common.time_kernel(info, req["case"], req.get("blocks", 5), req.get("target", 0.1),
                                  prepare, lambda: None)

    return info, {"train": train, "kernel": kernel}


if __name__ == "__main__":
    sys.exit(common.serve(make))
