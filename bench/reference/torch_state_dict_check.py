#!/usr/bin/env python3
"""Loads `gputrain export --format safetensors-torch` into PyTorch and checks
its predictions against `gputrain predict`.

    torch_state_dict_check.py MODEL TORCH_FILE DATA_CSV PREDICTIONS_CSV

MODEL is the gputrain model file (for the architecture, the classes and the
standardisation, which the state_dict leaves out), TORCH_FILE the exported
state_dict, DATA_CSV the rows predicted (with a header naming the model's
features, or without one and the features first, in training order), and
PREDICTIONS_CSV what `gputrain predict` wrote for them. The network is built
as the export prints it (torch.nn.Sequential of Linear, BatchNorm1d and the
activation, whose module the export's "activation" metadata spells), loaded
with load_state_dict(strict=True) and run in evaluation mode; every class probability (or predicted value) must agree to 1e-5
relative. Exit 0 when they do, 1 otherwise.

The safetensors files are read with the standard library and numpy (the
format is a little-endian u64 header length, a JSON header, then the raw
tensors), so only Debian's python3-torch and python3-numpy are needed.
"""
import ast
import csv
import json
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    data = blob[8 + n :]
    tensors = {}
    for name, t in header.items():
        lo, hi = t["data_offsets"]
        arr = np.frombuffer(data[lo:hi], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
        tensors[name] = arr.copy()
    return tensors, meta


def activation(spelling):
    """The torch.nn module the export spells as NAME(key=literal, ...)
    (its "activation" metadata, e.g. "LeakyReLU(negative_slope=0.2)"),
    built without eval: only a call of a torch.nn attribute with literal
    keyword arguments is accepted."""
    call = ast.parse(spelling, mode="eval").body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.args:
        sys.exit(f"torch_state_dict_check: activation {spelling!r} is not NAME(key=value, ...)")
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    return lambda: getattr(torch.nn, call.func.id)(**kwargs)


def build(arch, meta):
    hidden = arch.get("hidden") or []
    if hidden and "activation" not in meta:
        sys.exit("torch_state_dict_check: the export has no activation metadata; re-export it with this gputrain")
    act = activation(meta["activation"]) if hidden else None
    layers, width = [], arch["inputs"]
    for h in hidden:
        layers.append(torch.nn.Linear(width, h))
        if arch.get("batch_norm"):
            layers.append(torch.nn.BatchNorm1d(h))
        layers.append(act())
        width = h
    layers.append(torch.nn.Linear(width, arch["outputs"]))
    return torch.nn.Sequential(*layers)


def read_rows(path, features):
    with open(path, newline="") as f:
        sample = f.read(4096)
        f.seek(0)
        delim = ";" if sample.count(";") > sample.count(",") else ","
        rows = list(csv.reader(f, delimiter=delim))
    try:
        [float(c) for c in rows[0][: len(features)]]
        header = None
    except ValueError:
        header, rows = rows[0], rows[1:]
    if header is None:
        cols = list(range(len(features)))
    else:
        cols = [header.index(name) for name in features]
    return np.array([[float(r[j]) for j in cols] for r in rows if r], dtype=np.float64)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    model_path, torch_path, data_path, pred_path = sys.argv[1:]
    params, meta = read_safetensors(model_path)
    # Fitted imputation only matters for gaps, which the rows checked here
    # must not have; one-hot encoding and indicators change the inputs, which
    # a state_dict cannot express (the ONNX export can).
    prep = json.loads(meta.get("preprocessing", "null") or "null")
    if prep and any(c["kind"] != "numeric" or c.get("indicator") for c in prep["columns"]):
        sys.exit("torch_state_dict_check: the model encodes categories or missing indicators, which a state_dict cannot hold; use the ONNX export")
    arch = json.loads(meta["arch"])
    state, torch_meta = read_safetensors(torch_path)
    net = build(arch, torch_meta)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    net.eval()

    x = read_rows(data_path, json.loads(meta["features"]))
    if "scaler.mean" in params:
        x = (x - params["scaler.mean"]) / params["scaler.scale"]
    with torch.no_grad():
        out = net(torch.from_numpy(x.astype(np.float32))).double()
    classes = json.loads(meta.get("classes", "null") or "null")
    if arch["loss"] == "logistic":
        p = torch.sigmoid(out[:, 0]).numpy()
        got = np.stack([1 - p, p], axis=1)
    elif arch["loss"] == "softmax-ce":
        got = torch.softmax(out, dim=1).numpy()
    else:
        got = out.numpy()

    with open(pred_path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    if classes:
        cols = [header.index("prob_" + c) for c in classes]
    else:
        cols = [j for j, h in enumerate(header) if h.startswith("predicted")]
    want = np.array([[float(r[j]) for j in cols] for r in rows])
    if want.shape != got.shape:
        sys.exit(f"torch_state_dict_check: {got.shape} outputs from PyTorch, {want.shape} from gputrain predict")
    rel = np.abs(got - want) / np.maximum(np.abs(want), 1e-6 if classes else 1.0)
    worst = float(rel.max())
    ok = worst <= 1e-5
    layers = ", ".join(type(m).__name__ for m in net)
    print(f"torch_state_dict_check: {len(want)} rows, Sequential({layers}), largest relative difference {worst:.3g} (limit 1e-5): {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
