"""PyTorch reference: the suite's MLP in idiomatic PyTorch (nn.Linear layers,
F.cross_entropy / F.binary_cross_entropy_with_logits with reduction="mean",
torch.optim.SGD / Adam), eager, and on CUDA also as a captured CUDA graph
of the whole step (forward, backward, optimizer). Run by bench/cmd/runner;
see common.py.

    python3 torch_ref.py --data DIR --device cpu --threads 1
    python3 torch_ref.py --data DIR --device cuda

Variants: "eager" (CPU and CUDA) and "cuda-graph" (CUDA only). float32
throughout; TF32 is off so that CUDA matmuls are true float32 like gputrain's.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def make(args):
    import torch
    import torch.nn.functional as F

    cuda = args.device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        raise RuntimeError("torch %s sees no CUDA device" % torch.__version__)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if hasattr(torch, "set_float32_matmul_precision"):
        torch.set_float32_matmul_precision("highest")
    dev = torch.device(args.device)

    if cuda:
        describe = "torch %s, %s, CUDA %s" % (torch.__version__, torch.cuda.get_device_name(dev), torch.version.cuda)
    else:
        cfg = torch.__config__.show()
        cap = [line.strip(" -") for line in cfg.splitlines() if "CPU capability" in line]
        blas = re.findall(r"BLAS_INFO=\w+", cfg)
        # Importing torch loads its BLAS; threadpoolctl now sees it.
        n = torch.get_num_threads()
        describe = "torch %s, %d thread%s, %s; %s; %s" % (
            torch.__version__, n, "" if n == 1 else "s", "; ".join(cap + blas) or "config unknown",
            "mkldnn on" if torch.backends.mkldnn.is_available() else "mkldnn off", common.blas_description())
    info = {"impl": "torch", "version": torch.__version__, "device": str(dev), "describe": describe,
            "variants": ["eager", "cuda-graph"] if cuda else ["eager"]}

    def sync():
        if cuda:
            torch.cuda.synchronize(dev)

    cache = {}

    def workload(name):
        if cache.get("name") != name:
            cache.clear()
            h, arrays = common.load_workload(args.data, name)
            X = torch.from_numpy(arrays["x"]).to(dev)
            y = arrays["y"]
            Y = torch.from_numpy(y).to(dev)
            if h["loss"] == "softmax-ce":
                Y = Y.long()
            elif h["outputs"] == 1:
                Y = Y.reshape(-1, 1)
            cache.update(name=name, h=h, arrays=arrays, X=X, Y=Y)
        return cache["h"], cache["arrays"], cache["X"], cache["Y"]

    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda z: z}

    def build(h, arrays, capturable=False):
        L = common.layers(h)
        sizes = [h["inputs"]] + h["hidden"] + [h["outputs"]]
        lins = torch.nn.ModuleList(torch.nn.Linear(sizes[l], sizes[l + 1]) for l in range(L)).to(dev)
        with torch.no_grad():
            for l in range(L):
                lins[l].weight.copy_(torch.from_numpy(arrays["layers.%d.weight" % l]))
                lins[l].bias.copy_(torch.from_numpy(arrays["layers.%d.bias" % l]))
        f = act[h["activation"]]

        def forward(x):
            for l in range(L - 1):
                x = f(lins[l](x))
            return lins[L - 1](x)

        if h["loss"] == "softmax-ce":
            def loss_fn(z, y):
                return F.cross_entropy(z, y)
        elif h["loss"] == "logistic":
            def loss_fn(z, y):
                return F.binary_cross_entropy_with_logits(z, y)
        else:
            def loss_fn(z, y):
                return F.mse_loss(z, y)
        o = h["optimizer"]
        params = list(lins.parameters())
        if o["kind"] == "adam":
            # capturable keeps Adam's step count on the device, as a CUDA
            # graph needs; eager runs use the default.
            kw = {"capturable": True} if capturable else {}
            opt = torch.optim.Adam(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                                   weight_decay=o["weight_decay"], **kw)
        elif o["kind"] == "momentum":
            opt = torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"], weight_decay=o["weight_decay"])
        else:
            opt = torch.optim.SGD(params, lr=o["lr"], weight_decay=o["weight_decay"])
        return lins, forward, loss_fn, opt

    def train(req):
        name, steps, block = req["case"], req["steps"], req["block"]
        variant = req.get("variant") or "eager"
        if variant not in info["variants"]:
            raise ValueError("variant %r needs CUDA" % variant)
        h, arrays, X, Y = workload(name)
        idx_np = common.batch_indices(h, arrays, steps)
        idx = None if idx_np is None else [torch.from_numpy(r).to(dev) for r in idx_np]
        lins, forward, loss_fn, opt = build(h, arrays, capturable=variant == "cuda-graph")
        sync()

        def eager_step(x, y):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(forward(x), y)
            loss.backward()
            opt.step()
            return loss.detach()

        if variant == "eager":
            def step(j):
                if idx is None:
                    return eager_step(X, Y)
                r = idx[j]
                return eager_step(X.index_select(0, r), Y.index_select(0, r))
        else:
            step = graph_step(h, X, Y, idx, lins, forward, loss_fn, opt, eager_step)

        def read(handles):
            return torch.stack(handles).reshape(-1).tolist()

        start = time.perf_counter()
        timer = common.run_blocks(steps, block, step, read)
        wall = time.perf_counter() - start
        final = timer.losses[-1]
        if idx is None:
            with torch.no_grad():
                final = float(loss_fn(forward(X), Y))
        res = common.train_result(info, h, steps, block, timer, final, steps, wall)
        res["variant"] = variant
        return res

    def graph_step(h, X, Y, idx, lins, forward, loss_fn, opt, eager_step):
        """Captures one full-batch step as a CUDA graph; returns step(j)."""
        rows = h["batch"]
        if idx is None:
            sx, sy = X, Y
        else:
            sx = X.index_select(0, idx[0]).clone()
            sy = Y.index_select(0, idx[0]).clone()
        params = list(lins.parameters())
        saved = [p.detach().clone() for p in params]
        # Warm up on a side stream (as the CUDA-graph docs require), then
        # capture; the warm-up steps are undone afterwards so the timed run
        # starts from the initial parameters and a fresh optimizer state.
        s = torch.cuda.Stream(dev)
        s.wait_stream(torch.cuda.current_stream(dev))
        with torch.cuda.stream(s):
            for _ in range(3):
                eager_step(sx, sy)
        torch.cuda.current_stream(dev).wait_stream(s)
        graph = torch.cuda.CUDAGraph()
        opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(graph):
            static_loss = loss_fn(forward(sx), sy)
            static_loss.backward()
            opt.step()
        with torch.no_grad():
            for p, v in zip(params, saved):
                p.copy_(v)
            for st in opt.state.values():
                for v in st.values():
                    if torch.is_tensor(v):
                        v.zero_()
        torch.cuda.synchronize(dev)

        def step(j):
            if idx is not None:
                r = idx[j]
                if r.shape[0] != rows:  # a last partial batch: an eager step
                    return eager_step(X.index_select(0, r), Y.index_select(0, r))
                torch.index_select(X, 0, r, out=sx)
                torch.index_select(Y, 0, r, out=sy)
            graph.replay()
            return static_loss.detach().clone()
        return step

    def kernel(req):
        def prepare(k):
            if k["op"] == "gemm":
                a = torch.full((k["m"], k["k"]), 0.01, device=dev)
                b = torch.full((k["k"], k["n"]), 0.02, device=dev)
                c = torch.empty((k["m"], k["n"]), device=dev)
                return lambda: torch.mm(a, b, out=c)
            n = k["size"]
            if k["op"] == "mul":
                a, b, c = torch.full((n,), 1.001, device=dev), torch.full((n,), 0.999, device=dev), torch.empty(n, device=dev)
                return lambda: torch.mul(a, b, out=c)
            p, g = torch.ones(n, device=dev), torch.full((n,), 0.5, device=dev)
            return lambda: p.add_(g, alpha=-1e-6)
        res = common.time_kernel(info, req["case"], req.get("blocks", 5), req.get("target", 0.1), prepare, sync)
        if cuda:
            torch.cuda.empty_cache()
        return res

    def copy(req):
        """Device-to-device copy bandwidth (bytes read + written per second)."""
        n = req["bytes"] // 4
        a, b = torch.ones(n, device=dev), torch.empty(n, device=dev)
        b.copy_(a)
        sync()
        best = 0.0
        for _ in range(10):
            t0 = time.perf_counter()
            for _ in range(5):
                b.copy_(a)
            sync()
            best = max(best, 2 * 4 * n * 5 / (time.perf_counter() - t0) / 1e9)
        del a, b
        if cuda:
            torch.cuda.empty_cache()
        return {"kind": "copy", "gbs": best, "bytes": 4 * n,
                "describe": "torch Tensor.copy_ of %d MiB on %s, best of 10" % (4 * n >> 20, dev)}

    return info, {"train": train, "kernel": kernel, "copy": copy}


if __name__ == "__main__":
    sys.exit(common.serve(make))
