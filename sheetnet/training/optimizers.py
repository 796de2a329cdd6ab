"""The optimizers an unrolled training sheet shows, each described once: its hyperparameters, its
state, the formulas of one step, the same step in numpy, and the torch.optim that must agree.

One row of a sheet is one step t: the params theta_t, the loss and gradient g_t there, the state
after g_t, and (in the next row) theta_{t+1}.  Formulas use the names
    {p} param   {g} gradient   {s:NAME} this row's state NAME   {prev:NAME} the row above's
    {h:NAME} a hyperparameter cell   {k} the step number counted from 1 (Adam's bias correction)
and are written in the order torch computes, so the sheet, numpy and torch agree to rounding.

    notebook  the lesson 3 notebook's loop: the gradient is never zeroed, so it accumulates
    gd        plain gradient descent, full batch (the gradient zeroed each step, as it should be)
    sgd       minibatch SGD: the batches of a seeded shuffle, each epoch anew
    momentum  torch.optim.SGD(momentum=beta): buf = beta*buf + g
    rmsprop   torch.optim.RMSprop: sq = alpha*sq + (1-alpha)*g^2; p -= lr*g/(sqrt(sq)+eps)
    adam      torch.optim.Adam, with bias correction
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import SheetnetError
from ..torchenv import get_torch


@dataclass(frozen=True)
class Optimizer:
    name: str
    title: str
    hyper: tuple  # (name, default) in the sheet's order; lr first
    state: tuple  # per-param state names (a column each per param)
    first: dict  # state name -> formula of the first row (no row above)
    next: dict  # state name -> formula of later rows
    update: str  # theta_{t+1}
    step: Callable  # numpy: step(theta, g, state dict, hyper dict, k) -> (theta, state)
    torch: Callable  # (params, hyper) -> a torch.optim optimizer
    minibatch: bool = False
    zero_grad: bool = True


def _sgd_t(params, h):
    torch = get_torch()
    return torch.optim.SGD(params, lr=h["lr"])


def _momentum_t(params, h):
    torch = get_torch()
    return torch.optim.SGD(params, lr=h["lr"], momentum=h["momentum"])


def _rmsprop_t(params, h):
    torch = get_torch()
    return torch.optim.RMSprop(params, lr=h["lr"], alpha=h["alpha"], eps=h["eps"])


def _adam_t(params, h):
    torch = get_torch()
    return torch.optim.Adam(params, lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"])


def _plain(theta, g, st, h, k):
    return theta - h["lr"] * g, st


def _notebook(theta, g, st, h, k):
    acc = g if st.get("acc") is None else st["acc"] + g
    return theta - h["lr"] * acc, {"acc": acc}


def _momentum(theta, g, st, h, k):
    buf = g if st.get("buf") is None else h["momentum"] * st["buf"] + g
    return theta - h["lr"] * buf, {"buf": buf}


def _rmsprop(theta, g, st, h, k):
    sq = np.zeros_like(g) if st.get("sq") is None else st["sq"]
    sq = h["alpha"] * sq + (1 - h["alpha"]) * (g * g)
    return theta - h["lr"] * (g / (np.sqrt(sq) + h["eps"])), {"sq": sq}


def _adam(theta, g, st, h, k):
    m = np.zeros_like(g) if st.get("m") is None else st["m"]
    v = np.zeros_like(g) if st.get("v") is None else st["v"]
    m = h["beta1"] * m + (1 - h["beta1"]) * g
    v = h["beta2"] * v + (1 - h["beta2"]) * (g * g)
    bc1, bc2 = 1 - h["beta1"] ** k, 1 - h["beta2"] ** k
    return theta - (h["lr"] / bc1) * (m / (np.sqrt(v) / np.sqrt(bc2) + h["eps"])), {"m": m, "v": v}


OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in (
    Optimizer("notebook", "the notebook's loop (gradients accumulate)", (("lr", 0.01),), ("acc",),
              {"acc": "{g}"}, {"acc": "{prev:acc}+{g}"}, "{p}-{h:lr}*{s:acc}", _notebook, _sgd_t, zero_grad=False),
    Optimizer("gd", "gradient descent (full batch)", (("lr", 0.01),), (), {}, {}, "{p}-{h:lr}*{g}", _plain, _sgd_t),
    Optimizer("sgd", "minibatch SGD", (("lr", 0.01),), (), {}, {}, "{p}-{h:lr}*{g}", _plain, _sgd_t, minibatch=True),
    Optimizer("momentum", "SGD with momentum", (("lr", 0.01), ("momentum", 0.9)), ("buf",),
              {"buf": "{g}"}, {"buf": "{h:momentum}*{prev:buf}+{g}"}, "{p}-{h:lr}*{s:buf}", _momentum, _momentum_t),
    Optimizer("rmsprop", "RMSProp", (("lr", 0.01), ("alpha", 0.99), ("eps", 1e-8)), ("sq",),
              {"sq": "(1-{h:alpha})*({g}*{g})"}, {"sq": "{h:alpha}*{prev:sq}+(1-{h:alpha})*({g}*{g})"},
              "{p}-{h:lr}*({g}/(SQRT({s:sq})+{h:eps}))", _rmsprop, _rmsprop_t),
    Optimizer("adam", "Adam (bias-corrected)", (("lr", 0.01), ("beta1", 0.9), ("beta2", 0.999), ("eps", 1e-8)),
              ("m", "v"), {"m": "(1-{h:beta1})*{g}", "v": "(1-{h:beta2})*({g}*{g})"},
              {"m": "{h:beta1}*{prev:m}+(1-{h:beta1})*{g}", "v": "{h:beta2}*{prev:v}+(1-{h:beta2})*({g}*{g})"},
              "{p}-({h:lr}/(1-{h:beta1}^{k}))*({s:m}/(SQRT({s:v})/SQRT(1-{h:beta2}^{k})+{h:eps}))", _adam, _adam_t),
)}


def get(name: str) -> Optimizer:
    if name not in OPTIMIZERS:
        raise SheetnetError(f"--optimizer must be one of {', '.join(OPTIMIZERS)}, not {name!r}")
    return OPTIMIZERS[name]


def batches(n: int, size: int, steps: int, seed: int) -> list[np.ndarray]:
    """Row indices of each step's batch: a seeded shuffle of the rows, cut into batches, anew each epoch
    (the last batch of an epoch smaller when size does not divide n, as torch's DataLoader does)."""
    if size < 1 or size > n:
        raise SheetnetError(f"the batch size must be between 1 and the {n} rows, not {size}")
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    while len(out) < steps:
        perm = rng.permutation(n)
        out += [perm[i:i + size] for i in range(0, n, size)]
    return out[:steps]


def run(opt: Optimizer, loss, grad, theta0, hyper: dict, steps: int, batch_list=None):
    """numpy: every row's params (steps+1, P) and loss (on all rows), each step's gradient (on its batch, or all
    rows) and state.  loss(theta) -> float; grad(theta, rows or None) -> (P,)."""
    theta = np.asarray(theta0, float).copy()
    thetas, grads, states = [theta.copy()], [], {s: [] for s in opt.state}
    st: dict = {}
    for t in range(steps):
        g = grad(theta, batch_list[t] if opt.minibatch else None)
        grads.append(g)
        theta, st = opt.step(theta, g, st, hyper, t + 1)
        for s in opt.state:
            states[s].append(st[s].copy())
        thetas.append(theta.copy())
    thetas = np.array(thetas)
    P = thetas.shape[1]
    return (thetas, np.array([loss(th) for th in thetas]), np.array(grads).reshape(steps, P),
            {k: np.array(v).reshape(steps, P) for k, v in states.items()})


def run_torch(opt: Optimizer, loss_fn, theta0, hyper: dict, steps: int, batch_list=None, device="cpu"):
    """torch.optim on the same loss: the params of every row (steps+1, P), float64."""
    torch = get_torch()

    p = torch.tensor(np.asarray(theta0, float), dtype=torch.float64, device=device, requires_grad=True)
    o = opt.torch([p], hyper)
    out = [p.detach().cpu().numpy().copy()]
    for t in range(steps):
        if opt.zero_grad:
            o.zero_grad()
        loss = loss_fn(p, batch_list[t] if opt.minibatch else None)
        loss.backward()
        o.step()
        out.append(p.detach().cpu().numpy().copy())
    return np.array(out)
