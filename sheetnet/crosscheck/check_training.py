"""Cross-check unrolled training sheets: every row's params against torch.optim, step for step.

The workbook is read as it stands: its data, its start row, its hyperparameter cells (a learning
rate the user typed counts), its batches.  torch.optim and sheetnet's numpy twin run the same
steps; every param of every row, every loss and every derivative is compared with the workbook's
own numbers (sheetnet's engine, and LibreOffice when installed), and the derivative columns with
the finite differences beside them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ..engine import Engine
from ..errors import SheetnetError
from ..model.layout import DESCRIPTION_SHEET, FIRST_ROW
from ..torchenv import get_torch
from ..training import optimizers as O

PARAM_TOL = 1e-12  # relative, params: torch.optim vs the workbook
VALUE_TOL = 1e-9


@dataclass
class TrainingCheck:
    sheet: str
    optimizer: str
    device: str
    steps: int
    rows: list = field(default_factory=list)  # (what, {pair: max abs difference})
    fd_gap: float = 0.0  # max |derivative - central difference| (a kink of ABS can open it: shown, not judged)

    @property
    def ok(self) -> bool:
        for what, diffs in self.rows:
            tol = PARAM_TOL if what == "params" else VALUE_TOL
            if any(v > tol for v in diffs.values()):
                return False
        return True

    def table(self) -> list[str]:
        pairs = list(self.rows[0][1]) if self.rows else []
        lines = [f"{self.sheet} ({self.optimizer}, {self.steps} steps): max |a-b|/max(1,|b|), every row "
                 f"(torch.optim on {self.device}, float64)", f"  {'':<9}" + "".join(f"{p:>22}" for p in pairs)]
        for what, diffs in self.rows:
            lines.append(f"  {what:<9}" + "".join(f"{diffs[p]:>22.2e}" for p in pairs))
        lines.append(f"  derivative columns vs central differences: max {self.fd_gap:.1e}  "
                     f"[{'ok' if self.ok else 'DIFFERS'}]")
        return lines


def training_description(eng: Engine) -> dict | None:
    s = eng.index.get(DESCRIPTION_SHEET)
    if s is None:
        return None
    for r in range(1, 200):
        name = eng.get(f"A{r + 1}", sheet=DESCRIPTION_SHEET)
        if name is None:
            return None
        if name == "training":
            try:
                return json.loads(eng.get(f"B{r + 1}", sheet=DESCRIPTION_SHEET))
            except (TypeError, ValueError):
                raise SheetnetError(f"sheet {DESCRIPTION_SHEET}: the training description is not readable") from None
    return None


def check_training(path, device=None, use_libreoffice=None, eng: Engine | None = None) -> list[TrainingCheck]:
    """[] for a workbook without training sheets."""
    from ..lessons.training_book import numpy_fns
    from ..model import stored
    from ..model.twin import pick_device
    from .check import _libreoffice_values

    eng = eng or Engine.load(path)
    desc = training_description(eng)
    if not desc:
        return []
    data, models = stored.read_descriptions(eng)
    ds = eng.index[data["sheet"]]
    n, (a, b), tcol = int(data["rows"]), data["features"], int(data["target"])
    X = eng.numbers(ds, FIRST_ROW, a, FIRST_ROW + n - 1, b)
    y = eng.numbers(ds, FIRST_ROW, tcol, FIRST_ROW + n - 1, tcol)[:, 0]
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise SheetnetError(f"{path}: the data sheet's features or target are not all numbers")
    m = next(iter(models.values()))
    loss_op = next(s.op for s in m.steps if s.name == "Loss")
    loss, grad, _ = numpy_fns(loss_op, X, y)
    lo_values = _libreoffice_values(path, [d["sheet"] for d in desc["sheets"]], use_libreoffice)
    dev = pick_device(device)
    out = []
    for d in desc["sheets"]:
        name, opt = d["sheet"], O.get(d["optimizer"])
        s = eng.index[name]
        T, P, cols = int(d["steps"]), int(d["params"]), d["cols"]
        hyper = {k: eng.number(s, *rc) for k, rc in d["hyper"].items()}
        batches = [np.array(bt, int) for bt in d["batches"]]
        wb_th = eng.numbers(s, FIRST_ROW, cols["params"], FIRST_ROW + T, cols["params"] + P - 1)
        wb_loss = eng.numbers(s, FIRST_ROW, cols["loss"], FIRST_ROW + T, cols["loss"])[:, 0]
        wb_g = eng.numbers(s, FIRST_ROW, cols["grad"], FIRST_ROW + T - 1, cols["grad"] + P - 1)
        wb_fd = eng.numbers(s, FIRST_ROW, cols["fd"], FIRST_ROW + T - 1, cols["fd"] + P - 1)
        theta0 = wb_th[0]
        np_th, np_loss, np_g, _ = O.run(opt, loss, grad, theta0, hyper, T, batches)
        t_th = _torch_run(opt, loss_op, X, y, theta0, hyper, T, batches, dev)
        res = TrainingCheck(name, d["optimizer"], str(dev), T)
        lo = None if lo_values is None else np.array(
            [[v if isinstance(v, float) else np.nan for v in row] for row in lo_values[name][FIRST_ROW:FIRST_ROW + T + 1]])

        def rel(u, v):
            return float(np.max(np.abs(u - v) / np.maximum(1.0, np.abs(v))))

        pairs = {"workbook-torch": rel(wb_th, t_th), "workbook-numpy": rel(wb_th, np_th), "numpy-torch": rel(np_th, t_th)}
        if lo is not None:
            pairs["LibreOffice-workbook"] = rel(lo[:, cols["params"]:cols["params"] + P], wb_th)
        res.rows.append(("params", pairs))
        t_loss = _torch_losses(loss_op, X, y, t_th, dev)
        pairs = {"workbook-torch": rel(wb_loss, t_loss), "workbook-numpy": rel(wb_loss, np_loss),
                 "numpy-torch": rel(np_loss, t_loss)}
        if lo is not None:
            pairs["LibreOffice-workbook"] = rel(lo[:, cols["loss"]], wb_loss)
        res.rows.append(("Loss", pairs))
        tg = _torch_grads(loss_op, X, y, np_th[:-1], batches if opt.minibatch else None, dev)
        pairs = {"workbook-torch": rel(wb_g, tg), "workbook-numpy": rel(wb_g, np_g), "numpy-torch": rel(np_g, tg)}
        if lo is not None:
            pairs["LibreOffice-workbook"] = rel(lo[:T, cols["grad"]:cols["grad"] + P], wb_g)
        res.rows.append(("dLoss", pairs))
        res.fd_gap = rel(wb_fd, wb_g)
        out.append(res)
    return out


def _tensors(X, y, dev):
    torch = get_torch()
    return torch.tensor(X, dtype=torch.float64, device=dev), torch.tensor(y, dtype=torch.float64, device=dev)


def _torch_run(opt, loss_op, X, y, theta0, hyper, T, batches, dev):
    from ..model.ops import OPS
    torch = get_torch()

    Xt, yt = _tensors(X, y, dev)
    f = OPS[loss_op].torch

    def loss_fn(p, rows):
        if rows is not None:
            idx = torch.as_tensor(rows, device=dev)
            return f([Xt[idx] @ p, yt[idx]], None, None).mean()
        return f([Xt @ p, yt], None, None).mean()
    return O.run_torch(opt, loss_fn, theta0, hyper, T, batches, dev)


def _torch_losses(loss_op, X, y, thetas, dev):
    from ..model.ops import OPS
    torch = get_torch()

    Xt, yt = _tensors(X, y, dev)
    th = torch.tensor(thetas, dtype=torch.float64, device=dev)
    return OPS[loss_op].torch([th @ Xt.T, yt], None, None).mean(dim=-1).cpu().numpy()


def _torch_grads(loss_op, X, y, thetas, batches, dev):
    from ..model.ops import OPS
    torch = get_torch()

    Xt, yt = _tensors(X, y, dev)
    out = []
    for t, theta in enumerate(thetas):
        p = torch.tensor(theta, dtype=torch.float64, device=dev, requires_grad=True)
        Xr, yr = (Xt, yt) if batches is None else (Xt[torch.as_tensor(batches[t], device=dev)],
                                                   yt[torch.as_tensor(batches[t], device=dev)])
        OPS[loss_op].torch([Xr @ p, yr], None, None).mean().backward()
        out.append(p.grad.cpu().numpy())
    return np.array(out).reshape(len(thetas), -1)
