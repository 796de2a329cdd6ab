"""The lesson models as torch modules, generated from the same column steps as the workbook.

    twin = Twin(model, W)                  # W: (hidden, features), or (starts, hidden, features)
    cols = twin(X, y)                      # {"Lin1": ..., "ReLU1": ..., "Preds": ..., "Loss": ..., "loss": ...}

A batch of parameter sets (many random starts) runs as one tensor program: every step carries a
leading starts dimension, and each start's loss depends on its own params only, so one backward
pass gives every start its own gradient.
"""

from __future__ import annotations

import numpy as np

from .models import Model


def pick_device(name: str | None = None):
    """CUDA when available, else Apple's MPS, else the CPU; `name` overrides ("cpu", "cuda:1", ...)."""
    import torch

    if name:
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _torch():
    import torch
    return torch


class Twin:
    """A torch rendering of a Model: params W as a leaf tensor, forward by the model's steps."""

    def __init__(self, model: Model, W, device=None, dtype=None):
        torch = _torch()
        self.model = model
        self.device = pick_device(device) if not hasattr(device, "type") else device
        self.dtype = dtype or torch.float64
        W = torch.as_tensor(np.asarray(W, float), dtype=self.dtype, device=self.device)
        self.batched = W.dim() == 3
        self.W = W.reshape((W.shape[0],) + model.param_shape if self.batched else model.param_shape).clone()
        self.W.requires_grad_(True)

    def tensors(self, X, y):
        torch = _torch()
        return (torch.tensor(np.asarray(X, float), dtype=self.dtype, device=self.device),
                torch.tensor(np.asarray(y, float), dtype=self.dtype, device=self.device))

    def __call__(self, X, y, W=None) -> dict:
        """Every step's column and the totals, as tensors ((starts, rows) when batched)."""
        torch = _torch()
        W = self.W if W is None else W
        cols = {}
        for s in self.model.steps:
            if s.op == "dot":  # SUMPRODUCT(features, Params row k) / one column of MMULT
                w = W[..., s.args[0], :]
                cols[s.name] = w @ X.T if self.batched else X @ w
            elif s.op == "relu":  # IF(x<0,0,x)
                x = cols[s.args[0]]
                cols[s.name] = torch.where(x < 0, torch.zeros((), dtype=x.dtype, device=x.device), x)
            elif s.op == "add":
                total = cols[s.args[0]]
                for a in s.args[1:]:
                    total = total + cols[a]
                cols[s.name] = total
            elif s.op == "sqerr":  # (Preds-Survived)^2
                cols[s.name] = (cols[s.args[0]] - y) ** 2
        loss_col = cols[self.model.steps[-1].name]
        cols["loss"] = loss_col.mean(dim=-1)
        cols["accuracy"] = ((cols[self.model.pred] > 0.5) == (y > 0.5)).to(self.dtype).mean(dim=-1)
        return cols

    def loss_and_grad(self, X, y):
        """(loss, dloss/dW) as numpy, by autograd."""
        torch = _torch()
        Xt, yt = self.tensors(X, y)
        loss = self(Xt, yt)["loss"]
        (g,) = torch.autograd.grad(loss.sum(), self.W)
        return loss.detach().cpu().numpy(), g.detach().cpu().numpy()
