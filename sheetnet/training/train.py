"""Train a lesson model with gradient descent in torch: GD, minibatch SGD, momentum, Adam.

    res = train(model, X, y, W0, optimizer="sgd", lr=0.1, epochs=200, batch_size=64, valid=0.2, seed=0)
    res.W, res.history[-1]["train_loss"], res.diverged

Seeded: the same arguments give the same numbers (on the same device).  A learning rate that
diverges stops the run and says so; it does not crash.  `multistart` trains many random starts at
once as one batched tensor program.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import SheetnetError
from ..model.graph import Model
from ..model.twin import Twin, pick_device
from ..torchenv import get_torch, threads

OPTIMIZERS = ("gd", "sgd", "momentum", "adam")


@dataclass
class TrainResult:
    W: np.ndarray
    optimizer: str
    lr: float
    batch_size: int
    epochs: int  # epochs run
    steps: int
    seconds: float
    device: str
    history: list = field(default_factory=list)  # per epoch: epoch, seconds, grad_evals, losses, accuracies
    diverged: bool = False
    message: str = ""

    @property
    def final(self) -> dict:
        return self.history[-1] if self.history else {}


def split(n: int, valid: float | None, seed: int = 42):
    """Seeded train/valid row indices (the course: 80/20 with seed 42); all rows train when valid is None."""
    if not valid:
        return np.arange(n), np.arange(0)
    if not 0 < valid < 1:
        raise SheetnetError(f"--valid must be a fraction between 0 and 1, not {valid}")
    perm = np.random.default_rng(seed).permutation(n)
    k = int(round(n * valid))
    return np.sort(perm[k:]), np.sort(perm[:k])


def _optimizer(name, params, lr, momentum=0.9):
    """torch.optim's arithmetic (training/steps.py), without torch.optim's seconds of start-up."""
    from .steps import Steps

    if name not in OPTIMIZERS:
        raise SheetnetError(f"unknown optimizer {name!r} (one of {', '.join(OPTIMIZERS)})")
    (p,) = params
    return Steps(name, p, lr, momentum=momentum)


def train(model: Model, X, y, W0, optimizer: str = "sgd", lr: float = 0.1, epochs: int = 200,
          batch_size: int | None = None, valid: float | None = None, split_seed: int = 42, seed: int = 0,
          device=None, dtype=None, progress: bool = False, callback=None, target: float | None = None) -> TrainResult:
    """Train from W0 on X, y; `target`: stop once the training loss is at most this."""
    if optimizer not in OPTIMIZERS:
        raise SheetnetError(f"unknown optimizer {optimizer!r} (one of {', '.join(OPTIMIZERS)})")
    if lr <= 0 or epochs < 1:
        raise SheetnetError("--lr must be positive and --epochs at least 1")
    dev = pick_device(device)
    with threads(len(y) * model.n_params, dev):
        return _train(model, X, y, W0, optimizer, lr, epochs, batch_size, valid, split_seed, seed, dev, dtype,
                      progress, callback, target)


def _train(model, X, y, W0, optimizer, lr, epochs, batch_size, valid, split_seed, seed, dev, dtype, progress,
           callback, target) -> TrainResult:
    torch = get_torch()
    tr, va = split(len(y), valid, split_seed)
    twin = Twin(model, W0, device=dev, dtype=dtype)
    Xt, yt = twin.tensors(X, y)
    Xtr, ytr, Xva, yva = Xt[tr], yt[tr], Xt[va], yt[va]
    n = len(tr)
    bs = n if optimizer == "gd" or not batch_size else min(int(batch_size), n)
    opt = _optimizer(optimizer, [twin.W], lr)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    history, steps, t0 = [], 0, time.perf_counter()
    start_loss = float(twin(Xtr, ytr)["loss"].detach())
    history.append(_record(twin, 0, 0.0, 0.0, Xtr, ytr, Xva, yva))
    bar = _bar(progress, epochs, f"{optimizer} lr {lr:g}")
    diverged, message = False, ""
    for epoch in range(1, epochs + 1):
        order = torch.randperm(n, generator=gen).to(dev) if bs < n else torch.arange(n, device=dev)
        for i in range(0, n, bs):
            idx = order[i:i + bs]
            opt.zero_grad(set_to_none=True)
            loss = twin(Xtr[idx], ytr[idx])["loss"]
            loss.backward()
            opt.step()
            steps += 1
        rec = _record(twin, epoch, time.perf_counter() - t0, steps * bs / n, Xtr, ytr, Xva, yva)
        history.append(rec)
        if bar:
            bar.set_postfix(loss=f"{rec['train_loss']:.6f}")
            bar.update(1)
        if callback:
            callback(rec)
        if not math.isfinite(rec["train_loss"]) or rec["train_loss"] > 1e6 * max(1.0, start_loss):
            diverged = True
            message = (f"diverged at epoch {epoch}: the training loss went from {start_loss:.4g} to "
                       f"{rec['train_loss']:.4g}; try a smaller --lr than {lr:g}")
            break
        if target is not None and rec["train_loss"] <= target:
            message = f"reached the target loss {target:.6g} at epoch {epoch}"
            break
    if bar:
        bar.close()
    W = twin.W.detach().cpu().numpy()
    return TrainResult(W=W, optimizer=optimizer, lr=lr, batch_size=bs, epochs=history[-1]["epoch"], steps=steps,
                       seconds=time.perf_counter() - t0, device=str(dev), history=history, diverged=diverged,
                       message=message or f"{history[-1]['epoch']} epochs, {steps} steps")


def _record(twin, epoch, seconds, grad_evals, Xtr, ytr, Xva, yva) -> dict:
    torch = get_torch()

    with torch.no_grad():
        a = twin(Xtr, ytr)
        rec = {"epoch": epoch, "seconds": seconds, "grad_evals": grad_evals,
               "train_loss": float(a["loss"]), "train_accuracy": float(a["accuracy"]) if "accuracy" in a else np.nan}
        if len(yva):
            b = twin(Xva, yva)
            rec.update(valid_loss=float(b["loss"]),
                       valid_accuracy=float(b["accuracy"]) if "accuracy" in b else np.nan)
    return rec


def _bar(progress, total, desc):
    if not progress:
        return None
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="epoch", leave=False)


@dataclass
class MultistartResult:
    losses: np.ndarray  # final training loss of each start
    W: np.ndarray  # (starts, params)
    best: int
    seconds: float
    device: str

    def summary(self) -> str:
        q = np.quantile(self.losses, [0, 0.25, 0.5, 0.75, 1])
        return (f"{len(self.losses)} starts on {self.device} in {self.seconds:.2f} s: best {q[0]:.6f}, "
                f"quartiles {q[1]:.6f} / {q[2]:.6f} / {q[3]:.6f}, worst {q[4]:.6f}")


def random_starts(model: Model, starts: int, seed: int) -> np.ndarray:
    """Starts uniform in [-0.5, 0.5), like the lesson's RAND()-0.5."""
    return np.random.default_rng(seed).uniform(-0.5, 0.5, (starts, model.n_params))


def multistart(model: Model, X, y, starts: int = 1000, seed: int = 0, optimizer: str = "adam", lr: float = 0.05,
               epochs: int = 300, device=None, dtype=None, batched: bool = True) -> MultistartResult:
    """Full-batch training of many random starts; batched=True runs them as one tensor program,
    batched=False runs the same starts one at a time in a Python loop (for comparison)."""
    torch = get_torch()

    W0 = random_starts(model, starts, seed)
    dev = pick_device(device)
    t0 = time.perf_counter()
    with threads(len(y) * model.n_params * (starts if batched else 1), dev):
        if batched:
            W, losses = _run(model, X, y, W0, optimizer, lr, epochs, dev, dtype)
        else:
            outs = [_run(model, X, y, W0[i:i + 1], optimizer, lr, epochs, dev, dtype) for i in range(starts)]
            W = np.concatenate([o[0] for o in outs])
            losses = np.concatenate([o[1] for o in outs])
        if dev.type == "cuda":
            torch.cuda.synchronize()
    losses = np.where(np.isfinite(losses), losses, np.inf)
    return MultistartResult(losses=losses, W=W, best=int(np.argmin(losses)), seconds=time.perf_counter() - t0,
                            device=str(dev))


def _run(model, X, y, W0, optimizer, lr, epochs, dev, dtype):
    twin = Twin(model, W0, device=dev, dtype=dtype)
    Xt, yt = twin.tensors(X, y)
    opt = _optimizer(optimizer, [twin.W], lr)
    for _ in range(epochs):
        opt.zero_grad(set_to_none=True)
        twin(Xt, yt)["loss"].sum().backward()  # each start's loss depends on its own params only
        opt.step()
    torch = get_torch()
    with torch.no_grad():
        losses = twin(Xt, yt)["loss"].cpu().numpy()
    return twin.W.detach().cpu().numpy(), losses
