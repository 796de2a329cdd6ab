"""The torch rendering of a model, generated from the same steps as the workbook.

    twin = Twin(model, theta)              # theta: (params,), or (starts, params) for many starts at once
    vals = twin(X, y)                      # {"Lin": ..., "ReLU": ..., "Preds": ..., "loss": ..., ...}

A batch of parameter sets (many random starts) runs as one tensor program: every step carries a
leading starts dimension, and each start's loss depends on its own params only, so one backward
pass gives every start its own gradient.
"""

from __future__ import annotations

import numpy as np

from ..torchenv import get_torch
from .graph import FEATURES, Model
from .ops import ACCURACY_OPS, OPS


def pick_device(name: str | None = None):
    """CUDA when available, else Apple's MPS, else the CPU; `name` overrides ("cpu", "cuda:1", ...)."""
    torch = get_torch()

    if name:
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class Twin:
    """A torch rendering of a Model: theta as a leaf tensor, forward by the model's steps."""

    def __init__(self, model: Model, theta, device=None, dtype=None):
        torch = get_torch()

        self.model = model
        self.device = pick_device(device) if not hasattr(device, "type") else device
        self.dtype = dtype or torch.float64
        theta = torch.as_tensor(np.asarray(theta, float), dtype=self.dtype, device=self.device)
        self.batched = theta.dim() == 2
        self.W = theta.reshape((theta.shape[0], model.n_params) if self.batched else (model.n_params,)).clone()
        self.W.requires_grad_(True)

    def tensors(self, X, y):
        torch = get_torch()

        return (torch.tensor(np.asarray(X, float), dtype=self.dtype, device=self.device),
                torch.tensor(np.asarray(y, float), dtype=self.dtype, device=self.device))

    def __call__(self, X, y, W=None) -> dict:
        """Every step's value as tensors ((starts, rows, units) when batched), plus "loss" and "accuracy"."""
        m = self.model
        blocks = m.blocks(self.W if W is None else W)
        vals = {FEATURES: X, m.target: y.reshape(-1, 1)}
        for s in m.steps:
            vals[s.name] = OPS[s.op].torch([vals[i] for i in s.inputs], blocks.get(s.params), s.arg)
        vals["loss"] = vals[m.loss_step]
        acc = next((s for s in m.steps if s.op in ACCURACY_OPS), None)
        if acc is not None:
            vals["accuracy"] = vals[acc.name]
        return vals

    def loss_and_grad(self, X, y):
        """(loss, dloss/dtheta) as numpy, by autograd."""
        torch = get_torch()

        Xt, yt = self.tensors(X, y)
        loss = self(Xt, yt)["loss"]
        (g,) = torch.autograd.grad(loss.sum(), self.W)
        return loss.detach().cpu().numpy(), g.detach().cpu().numpy()
