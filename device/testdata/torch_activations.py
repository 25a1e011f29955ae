"""Writes torch_activations.json: each activation's value and derivative as
PyTorch computes them in float64 (the activation's torch.nn module,
derivatives by autograd) at a grid of points, for activation_test.go to
check the float64 reference in the device package's activation table
against. The activations and their modules are read from the table itself
(the Name and Torch fields in ../activation.go), so a new entry needs only
a rerun:

    /usr/bin/python3 torch_activations.py   (Debian's python3-torch)

ALPHA is the parameter given to the activations that take one.
"""
import json
import os
import re

import torch

ALPHA = 0.1
HERE = os.path.dirname(os.path.abspath(__file__))


def table():
    with open(os.path.join(HERE, "..", "activation.go")) as fh:
        src = fh.read()
    return re.findall(r'Name:\s*"([^"]+)",\s*Torch:\s*"([^"]+)"', src)


def main():
    points = [i / 8 for i in range(-64, 65)] + [-20.0, -1e-3, 1e-3, 20.0]
    out = {"torch": torch.__version__, "alpha": ALPHA, "z": points, "activations": {}}
    for name, module in table():
        if "%" in module:
            module = module % ALPHA
        f = eval("torch.nn." + module, {"torch": torch})
        z = torch.tensor(points, dtype=torch.float64, requires_grad=True)
        y = f(z)
        (g,) = torch.autograd.grad(y.sum(), z)
        out["activations"][name] = {"module": "torch.nn." + module, "f": y.detach().tolist(), "df": g.tolist()}
    with open(os.path.join(HERE, "torch_activations.json"), "w") as fh:
        json.dump(out, fh)
        fh.write("\n")


if __name__ == "__main__":
    main()
