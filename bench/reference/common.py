"""Shared plumbing of the reference implementations (numpy, PyTorch, JAX).

Each reference is a small server: the runner (bench/cmd/runner) starts it,
it prints one JSON line saying whether it is ready, then answers one JSON
request per stdin line with one JSON result per stdout line. The results
have the fields of the Go type bench.Result, so the runner reads
`gputrain bench --json` and the references the same way.

Requests:
  {"kind": "train", "case": "w2", "steps": 100, "block": 10, "variant": "eager"}
  {"kind": "kernel", "case": "gemm:2048x2048x2048", "blocks": 5, "target": 0.1, "variant": "eager"}
  {"kind": "copy", "bytes": 1073741824}      (GPU references: device copy bandwidth)

Timing follows gputrain's rule exactly (bench.BlockTimer): the loss of every
update is kept on the device and read back every `block` updates; the time
between two reads, divided by `block`, is one sample; the first block is a
warm-up and a last partial block is not timed. Kernels: one calibrating
call, then `blocks` blocks of as many calls as fill `target` seconds, each
ended by a synchronisation.

The workload data (features, targets, gputrain's batch order, initial
parameters) are read from NAME.bin/NAME.json written by
`gputrain bench --workload NAME --export DIR`, so every implementation
trains the same computation. Only the standard library and numpy are used
here.
"""

import json
import math
import os
import sys
import time
import traceback

import numpy as np


def load_workload(data_dir, name):
    """Returns (header, arrays) of an export: arrays maps tensor names to numpy arrays."""
    with open(os.path.join(data_dir, name + ".json")) as f:
        h = json.load(f)
    if h.get("format") != "gputrain-bench-1":
        raise ValueError("%s.json: unknown format %r" % (name, h.get("format")))
    path = os.path.join(data_dir, name + ".bin")
    arrays = {}
    for t in h["tensors"]:
        dtype = {"float32": "<f4", "int32": "<i4"}[t["dtype"]]
        count = int(np.prod(t["shape"])) if t["shape"] else 1
        a = np.fromfile(path, dtype=dtype, count=count, offset=t["offset"])
        if a.size != count:
            raise ValueError("%s: tensor %s is truncated" % (path, t["name"]))
        arrays[t["name"]] = a.reshape(t["shape"]).astype(np.float32 if t["dtype"] == "float32" else np.int64, copy=False)
    return h, arrays


def layers(h):
    """Number of weight layers."""
    return len(h["hidden"]) + 1


def batch_indices(h, arrays, steps):
    """The row indices of every update, in gputrain's order; None for full batch.

    Update j of epoch e = j // per_epoch uses order[e*rows + i*batch : e*rows + min((i+1)*batch, rows)]
    with i = j % per_epoch (see bench.Problem.BatchOrder).
    """
    if h["full_batch"]:
        return None
    if steps > h["steps"]:
        raise ValueError("the export's batch order covers %d steps, %d asked" % (h["steps"], steps))
    n, b = h["rows"], h["batch"]
    per_epoch = -(-n // b)
    order = arrays["order"]
    out = []
    for j in range(steps):
        e, i = divmod(j, per_epoch)
        out.append(order[e * n + i * b: e * n + min((i + 1) * b, n)])
    return out


class BlockTimer:
    """Mirrors bench.BlockTimer. Call read_done(losses) right after each read
    of the device: with the losses of the block of updates just read (floats)."""

    def __init__(self, steps, block):
        self.steps, self.block = steps, block
        self.full = steps // block
        self.losses, self.samples = [], []
        self.last = None

    def read_done(self, losses):
        done_before = len(self.losses)
        if done_before % self.block == 0 and done_before // self.block < self.full:
            now = time.perf_counter()
            if self.last is not None:
                self.samples.append((now - self.last) / self.block)
            self.last = now
        self.losses.extend(float(v) for v in losses)


def run_blocks(steps, block, step, read):
    """The common training loop: step(j) performs update j and returns a
    loss handle; read(handles) returns their values as floats (this is the
    device synchronisation). Returns the BlockTimer."""
    timer = BlockTimer(steps, block)
    pending = []
    for j in range(steps):
        pending.append(step(j))
        if len(pending) == block:
            timer.read_done(read(pending))
            pending = []
    if pending:
        timer.read_done(read(pending))
    return timer


def finish(result):
    """Adds the summary and the median-derived rates, as bench.Result.finish."""
    s = sorted(result["samples"])
    n = len(s)

    def q(p):
        if n == 0:
            return float("nan")
        pos = p * (n - 1)
        lo = int(math.floor(pos))
        hi = min(lo + 1, n - 1)
        return s[lo] + (pos - lo) * (s[hi] - s[lo])

    result["seconds"] = {"n": n, "median": q(0.5), "min": s[0] if n else 0, "max": s[-1] if n else 0,
                         "q1": q(0.25), "q3": q(0.75)}
    m = result["seconds"]["median"]
    if n and m > 0:
        result["gflops"] = result["flops"] / m / 1e9
        result["gbs"] = result["min_bytes"] / m / 1e9
        if result["kind"] == "train":
            result["samples_per_s"] = result["batch"] / m
    return result


def train_result(impl, h, steps, block, timer, final_loss, final_step, wall):
    return finish({
        "impl": impl["impl"], "variant": impl.get("variant", ""), "version": impl["version"],
        "device": impl["device"], "describe": impl["describe"], "kind": "train", "case": h["workload"],
        "rows": h["rows"], "batch": h["batch"], "steps": steps, "block": block,
        "samples": timer.samples, "flops": h["flops_per_step"], "min_bytes": h["min_bytes_per_step"],
        "final_loss": final_loss, "final_step": final_step, "wall_s": wall,
    })


def parse_kernel(spec):
    """Parses bench.ParseKernel's syntax: gemm:N, gemm:MxNxK, mul:SIZE, sgd:SIZE."""
    op, arg = spec.split(":", 1)
    if op == "gemm":
        dims = [int(float(d)) for d in arg.split("x")]
        if len(dims) == 1:
            dims = dims * 3
        m, n, k = dims
        return {"op": op, "m": m, "n": n, "k": k, "name": "gemm %dx%dx%d" % (m, n, k),
                "flops": 2.0 * m * n * k, "min_bytes": 4.0 * (m * k + k * n + m * n)}
    size = int(float(arg))
    name = "%s %s" % (op, size_name(size))
    return {"op": op, "size": size, "name": name,
            "flops": (2.0 if op == "sgd" else 1.0) * size, "min_bytes": 12.0 * size}


def size_name(size):
    """bench.Kernel's spelling of an element count: 1e6, 1e8, or the digits."""
    e = int(round(math.log10(size)))
    return "1e%d" % e if 10 ** e == size else str(size)


def time_kernel(impl, spec, blocks, target, prepare, sync):
    """Times one kernel: prepare(kernel) returns the operation to call."""
    k = parse_kernel(spec)
    op = prepare(k)
    start = time.perf_counter()
    t0 = time.perf_counter()
    op()
    sync()
    t = time.perf_counter() - t0
    per = max(1, min(1 << 20, int(round(target / t)))) if t > 0 else 1 << 20
    samples = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(per):
            op()
        sync()
        samples.append((time.perf_counter() - t0) / per)
    return finish({
        "impl": impl["impl"], "variant": impl.get("variant", ""), "version": impl["version"],
        "device": impl["device"], "describe": impl["describe"], "kind": "kernel", "case": k["name"],
        "steps": per * blocks, "block": per, "samples": samples, "flops": k["flops"],
        "min_bytes": k["min_bytes"], "wall_s": time.perf_counter() - start,
    })


def blas_description():
    """The BLAS libraries loaded in this process, as threadpoolctl sees them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed: BLAS kernel unknown"
    parts = []
    for lib in threadpool_info():
        if lib.get("user_api") != "blas":
            continue
        n = lib.get("num_threads")
        parts.append("%s %s %s, %s thread%s" % (lib.get("internal_api", "?"), lib.get("version") or "",
                                                lib.get("architecture") or "", n, "" if n == 1 else "s"))
    return "; ".join(p.replace("  ", " ") for p in parts) or "no BLAS library seen by threadpoolctl"


def serve(make_impl, argv=None):
    """Runs the request loop. make_impl(args) returns (info, handlers) or raises
    to report not-ready; handlers maps request kinds to functions(request) -> result."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="directory of NAME.bin/NAME.json exports")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: the library's default)")
    args = ap.parse_args(argv)
    out = sys.stdout
    try:
        info, handlers = make_impl(args)
    except Exception as e:  # a missing library is a note in the table, not a crash
        out.write(json.dumps({"ready": False, "error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")}) + "\n")
        out.flush()
        return 0
    out.write(json.dumps(dict(info, ready=True)) + "\n")
    out.flush()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            fn = handlers.get(req.get("kind"))
            if fn is None:
                raise ValueError("unsupported request kind %r" % req.get("kind"))
            res = fn(req)
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            msg = str(e).splitlines()[0] if str(e) else ""
            res = {"error": "%s: %s" % (type(e).__name__, msg)}
        out.write(json.dumps(res) + "\n")
        out.flush()
    return 0
