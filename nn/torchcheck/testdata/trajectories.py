"""Writes trajectories.json: short training runs in PyTorch float32 from
fixed parameters, for package torchcheck to repeat on a gputrain device
and compare step by step.

    /usr/bin/python3 trajectories.py   (Debian's python3-torch)

One run per activation (with SGD) and one per optimizer (with tanh), plus
the L1 penalty and RMSprop with momentum. The activations' torch.nn modules
and the optimizers' torch.optim constructors are read from gputrain's own
tables (the Torch fields of device/activation.go; the torch.optim call
each nn/optim_*.go rule file names in its comments), so a new entry there
needs only a rerun of this script.

Every run: the network inputs → hidden (activation) → 1 logit, the mean
logistic loss (BCEWithLogitsLoss) over the whole table each step, STEPS
updates; with L1 > 0, L1·Σ|w| over the Linear weights (not the biases) is
added to the loss the optimizer sees, as Keras' regularizers.L1 on kernels.
"""
import glob
import json
import os
import re

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
STEPS = 10
ALPHA = 0.1  # the parameter of the activations that take one
HYPER = dict(lr=0.05, momentum=0.9, beta1=0.9, beta2=0.999, eps=1e-8, wd=0.01, alpha=0.99)


def activations():
    with open(os.path.join(ROOT, "device", "activation.go")) as fh:
        return re.findall(r'Name:\s*"([^"]+)",\s*Torch:\s*"([^"]+)"', fh.read())


def optimizers():
    """(name, torch.optim constructor) for every optimizer: each rule file
    names its optimizers (`X Optimizer = "name"`) and, in its comments, the
    torch.optim call it matches, in the names of HYPER."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "nn", "optim_*.go"))):
        with open(path) as fh:
            src = fh.read()
        ctor = re.search(r"torch\.optim\.\w+\(params[^\n]*\)", src).group(0)
        found += [(name, ctor) for name in re.findall(r'\w+\s+Optimizer = "([^"]+)"', src)]
    return found


def data():
    g = torch.Generator().manual_seed(7)
    x = torch.randn(12, 3, generator=g)
    y = (x[:, 0] - 0.5 * x[:, 1] + 0.3 * x[:, 2] > 0).float()
    y[0] = 1 - y[0]  # not separable by a line
    return x, y


def init(hidden):
    g = torch.Generator().manual_seed(11)
    return [
        (torch.randn(hidden, 3, generator=g) * 0.8, torch.randn(hidden, generator=g) * 0.3),
        (torch.randn(1, hidden, generator=g) * 0.8, torch.randn(1, generator=g) * 0.3),
    ]


def run(act_module, opt_ctor, l1, hyper):
    x, y = data()
    params = init(4)
    lins = [torch.nn.Linear(3, 4), torch.nn.Linear(4, 1)]
    with torch.no_grad():
        for lin, (w, b) in zip(lins, params):
            lin.weight.copy_(w)
            lin.bias.copy_(b)
    net = torch.nn.Sequential(lins[0], eval("torch.nn." + act_module, {"torch": torch}), lins[1])
    env = dict(hyper, torch=torch, params=net.parameters())
    opt = eval(opt_ctor, env)
    bce = torch.nn.BCEWithLogitsLoss()
    losses = []
    for step in range(STEPS + 1):
        loss = bce(net(x).squeeze(1), y)
        losses.append(loss.item())
        if step == STEPS:
            break
        opt.zero_grad()
        total = loss
        if l1 > 0:
            total = loss + l1 * sum(lin.weight.abs().sum() for lin in lins)
        total.backward()
        opt.step()

    def layout(ps):  # gputrain's Params: W[l] fan_in × fan_out row-major
        return {"w": [w.t().reshape(-1).tolist() for w, _ in ps], "b": [b.tolist() for _, b in ps]}

    final = [(lin.weight.detach(), lin.bias.detach()) for lin in lins]
    return {"init": layout(params), "final": layout(final), "losses": losses}


def main():
    x, y = data()
    acts = dict(activations())
    sgd = dict(optimizers())["sgd"]
    cases = []

    def case(act, opt, ctor, l1=0.0, **over):
        hyper = dict(HYPER, momentum=0.0)
        hyper.update(over)
        module = acts[act].replace("%g", repr(ALPHA))
        cases.append(dict(activation=act, optimizer=opt, l1=l1, hyper=hyper, run=run(module, ctor, l1, hyper)))

    for name in acts:
        case(name, "sgd", sgd)
    for name, ctor in optimizers():
        if name == "sgd":
            continue  # the activations' runs
        case("tanh", name, ctor, momentum=HYPER["momentum"] if name in ("momentum", "rmsprop") else 0.0)
        if name == "rmsprop":
            case("tanh", name, ctor)  # PyTorch's default: no momentum
    for name, ctor in optimizers():
        if name in ("sgd", "adam"):
            case("tanh", name, ctor, l1=0.02)
    out = {"torch": torch.__version__, "steps": STEPS, "alpha": ALPHA,
           "x": x.reshape(-1).tolist(), "y": y.tolist(), "inputs": 3, "hidden": 4, "cases": cases}
    with open(os.path.join(HERE, "trajectories.json"), "w") as fh:
        json.dump(out, fh)
        fh.write("\n")


if __name__ == "__main__":
    main()
