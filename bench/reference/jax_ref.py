"""JAX reference: the suite's MLP as pure functions, trained with a jitted
step ("jit": one dispatch per update) and with lax.scan over a block of
updates ("scan": one dispatch per block). Run by bench/cmd/runner; see
common.py.

    python3 jax_ref.py --data DIR --device cuda

float32 throughout with matmul precision HIGHEST (no TF32), mean losses
and PyTorch's Adam, so the run is the same computation as gputrain's. If
JAX cannot be imported (it is not packaged for Debian, so the CPU suite has
none), the server reports not-ready with the reason and the runner notes it
in the table.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# Share the GPU with the other implementations instead of taking 75% of it.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")


def make(args):
    import numpy as np
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_default_matmul_precision", "highest")
    HI = jax.lax.Precision.HIGHEST
    platform = "gpu" if args.device.startswith("cuda") else "cpu"
    devices = jax.devices(platform)
    dev = devices[0]
    info = {"impl": "jax", "version": jax.__version__, "device": args.device,
            "describe": "jax %s, %s" % (jax.__version__, getattr(dev, "device_kind", str(dev))),
            "variants": ["jit", "scan"]}

    def put(a):
        return jax.device_put(a, dev)

    tree_map = jax.tree_util.tree_map
    acts = {"relu": jax.nn.relu, "tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid, "identity": lambda z: z}
    cache = {}

    def workload(name):
        if cache.get("name") != name:
            cache.clear()
            h, arrays = common.load_workload(args.data, name)
            y = arrays["y"]
            if h["loss"] == "softmax-ce":
                y = y.astype(np.int32)
            elif h["outputs"] == 1:
                y = y.reshape(-1, 1)
            cache.update(name=name, h=h, arrays=arrays, X=put(arrays["x"]), Y=put(y))
        return cache["h"], cache["arrays"], cache["X"], cache["Y"]

    def build(h):
        """The step function for the workload: step(state, x, y) -> (state, loss)."""
        L = common.layers(h)
        act = acts[h["activation"]]

        def forward(params, x):
            for W, b in params[:-1]:
                x = act(jnp.dot(x, W, precision=HI) + b)
            W, b = params[-1]
            return jnp.dot(x, W, precision=HI) + b

        if h["loss"] == "softmax-ce":
            def loss_fn(z, y):
                picked = jnp.take_along_axis(z, y[:, None], axis=1)[:, 0]
                return jnp.mean(jax.nn.logsumexp(z, axis=1) - picked)
        elif h["loss"] == "logistic":
            def loss_fn(z, y):
                return jnp.mean(jax.nn.softplus(z) - y * z)
        else:
            def loss_fn(z, y):
                return jnp.mean((z - y) ** 2)

        def loss_of(params, x, y):
            return loss_fn(forward(params, x), y)

        # Hyperparameters stay Python floats: JAX treats them as weakly
        # typed, so every update stays float32 (and no numpy scalar meets a
        # tracer).
        o = h["optimizer"]
        lr, wd = float(o["lr"]), float(o["weight_decay"])
        kind = o["kind"]
        b1, b2, eps = float(o["beta1"]), float(o["beta2"]), float(o["eps"])
        mom = float(o["momentum"])

        def update(params, grads, ost):
            if wd:
                grads = tree_map(lambda g, p: g + wd * p, grads, params)
            if kind == "adam":
                m, v, t = ost
                t = t + 1
                m = tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
                v = tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
                tf = t.astype(jnp.float32)
                bc1, bc2 = 1 - b1 ** tf, 1 - b2 ** tf
                params = tree_map(lambda p, m, v: p - lr * (m / bc1) / (jnp.sqrt(v / bc2) + eps), params, m, v)
                return params, (m, v, t)
            if kind == "momentum":
                vel = tree_map(lambda v, g: mom * v + g, ost, grads)
                return tree_map(lambda p, v: p - lr * v, params, vel), vel
            return tree_map(lambda p, g: p - lr * g, params, grads), ost

        def step(state, x, y):
            params, ost = state
            loss, grads = jax.value_and_grad(loss_of)(params, x, y)
            params, ost = update(params, grads, ost)
            return (params, ost), loss

        def init_state(arrays):
            params = [(put(np.array(arrays["layers.%d.weight" % l].T, order="C", copy=True)),
                       put(np.array(arrays["layers.%d.bias" % l], copy=True))) for l in range(L)]
            zeros = lambda: tree_map(jnp.zeros_like, params)  # noqa: E731
            if kind == "adam":
                ost = (zeros(), zeros(), put(np.int32(0)))
            elif kind == "momentum":
                ost = zeros()
            else:
                ost = ()
            return (params, ost)

        return step, loss_of, init_state

    def train(req):
        name, steps, block = req["case"], req["steps"], req["block"]
        variant = req.get("variant") or "jit"
        if variant not in info["variants"]:
            raise ValueError("unknown variant %r" % variant)
        h, arrays, X, Y = workload(name)
        idx_np = common.batch_indices(h, arrays, steps)
        step, loss_of, init_state = build(h)
        full_rows = h["batch"]

        # Jitted functions; the data (X, Y) stay on the device and each
        # minibatch is gathered inside the compiled step, as gputrain does.
        def step_full(state, X, Y):
            return step(state, X, Y)

        def step_batch(state, X, Y, idx):
            return step(state, jnp.take(X, idx, axis=0), jnp.take(Y, idx, axis=0))

        def scan_full(state, X, Y, ks):
            return jax.lax.scan(lambda s, _: step(s, X, Y), state, ks)

        def scan_batch(state, X, Y, idxs):
            return jax.lax.scan(lambda s, idx: step(s, jnp.take(X, idx, axis=0), jnp.take(Y, idx, axis=0)), state, idxs)

        state = init_state(arrays)
        compiled = {}

        def get(key, fn, *args_):
            # Compiled ahead of time (lower + compile), so the timed run
            # starts from the initial state and never waits on the compiler.
            if key not in compiled:
                compiled[key] = jax.jit(fn, donate_argnums=0).lower(*args_).compile()
            return compiled[key]

        # Put the batch indices on the device before timing (gputrain
        # uploads an epoch's order once).
        if idx_np is None:
            idx = None
        else:
            idx = [put(r.astype(np.int32)) for r in idx_np]

        def jit_step(j):
            nonlocal state
            if idx is None:
                state, loss = get("full", step_full, state, X, Y)(state, X, Y)
            else:
                r = idx[j]
                state, loss = get(("batch", r.shape[0]), step_batch, state, X, Y, r)(state, X, Y, r)
            return loss

        def read(handles):
            return [float(v) for v in np.ravel(jax.device_get(handles))]

        # Compile everything the run needs before the clock starts.
        if variant == "jit":
            if idx is None:
                get("full", step_full, state, X, Y)
            else:
                for shape in sorted({r.shape[0] for r in idx}):
                    r = next(r for r in idx if r.shape[0] == shape)
                    get(("batch", shape), step_batch, state, X, Y, r)
            start = time.perf_counter()
            timer = common.run_blocks(steps, block, jit_step, read)
        else:
            blocks = []
            for b0 in range(0, steps, block):
                js = list(range(b0, min(steps, b0 + block)))
                regular = len(js) == block and (idx is None or all(idx[j].shape[0] == full_rows for j in js))
                if not regular:
                    blocks.append(("steps", js))
                elif idx is None:
                    blocks.append(("scan", put(np.arange(block, dtype=np.int32))))
                else:
                    blocks.append(("scan", put(np.stack([idx_np[j].astype(np.int32) for j in js]))))
            for kind_, arg in blocks:
                if kind_ == "scan":
                    get("scan", scan_full if idx is None else scan_batch, state, X, Y, arg)
                else:
                    for j in arg:
                        if idx is None:
                            get("full", step_full, state, X, Y)
                        else:
                            get(("batch", idx[j].shape[0]), step_batch, state, X, Y, idx[j])
            timer = common.BlockTimer(steps, block)
            start = time.perf_counter()
            for kind_, arg in blocks:
                if kind_ == "scan":
                    state, losses = compiled["scan"](state, X, Y, arg)
                    timer.read_done(read(losses))
                else:
                    timer.read_done(read([jit_step(j) for j in arg]))
        wall = time.perf_counter() - start
        final = timer.losses[-1]
        if idx is None:
            final = float(jax.jit(loss_of)(state[0], X, Y))
        res = common.train_result(info, h, steps, block, timer, final, steps, wall)
        res["variant"] = variant
        return res

    def kernel(req):
        last = [None]

        def prepare(k):
            if k["op"] == "gemm":
                a = put(np.full((k["m"], k["k"]), 0.01, np.float32))
                b = put(np.full((k["k"], k["n"]), 0.02, np.float32))
                f = jax.jit(lambda a, b: jnp.dot(a, b, precision=HI))

                def op():
                    last[0] = f(a, b)
            elif k["op"] == "mul":
                n = k["size"]
                a, b = put(np.full(n, 1.001, np.float32)), put(np.full(n, 0.999, np.float32))
                f = jax.jit(lambda a, b: a * b)

                def op():
                    last[0] = f(a, b)
            else:
                n = k["size"]
                g = put(np.full(n, 0.5, np.float32))
                last[0] = put(np.ones(n, np.float32))
                f = jax.jit(lambda p, g: p - 1e-6 * g, donate_argnums=0)

                def op():
                    last[0] = f(last[0], g)
            op()  # compile outside the timing
            last[0].block_until_ready()
            return op

        res = common.time_kernel(info, req["case"], req.get("blocks", 5), req.get("target", 0.1),
                                 prepare, lambda: last[0].block_until_ready())
        res["variant"] = "jit"
        return res

    return info, {"train": train, "kernel": kernel}


if __name__ == "__main__":
    sys.exit(common.serve(make))
