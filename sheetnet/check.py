"""Cross-check a lesson workbook: its own numbers (engine, LibreOffice) vs numpy vs torch.

For every lesson model sheet: the largest difference of each computed column and of the total
loss between the workbook, numpy and torch (float64), and torch autograd's gradient of the loss
against a central finite difference on the workbook itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import lesson_sheet
from .engine import Engine
from .errors import SheetnetError
from .layout import FIRST_ROW
from .twin import Twin, pick_device

VALUE_TOL = 1e-9
GRAD_TOL = 1e-6


@dataclass
class SheetCheck:
    sheet: str
    device: str
    rows: list = field(default_factory=list)  # (what, {pair: max abs difference})
    grad_rel: float = 0.0  # max relative difference, autograd vs finite differences
    grad_abs: float = 0.0

    @property
    def ok(self) -> bool:
        values = all(d <= VALUE_TOL for _, diffs in self.rows for d in diffs.values())
        return values and (self.grad_rel <= GRAD_TOL or self.grad_abs <= 1e-9)

    def table(self) -> list[str]:
        pairs = list(self.rows[0][1]) if self.rows else []
        head = f"  {'':<9}" + "".join(f"{p:>22}" for p in pairs)
        lines = [f"{self.sheet}: max |difference| (torch on {self.device}, float64)", head]
        for what, diffs in self.rows:
            lines.append(f"  {what:<9}" + "".join(f"{diffs[p]:>22.2e}" for p in pairs))
        verdict = "ok" if self.ok else "DIFFERS"
        lines.append(f"  gradient of Loss: torch autograd vs central differences on the workbook: "
                     f"max relative {self.grad_rel:.1e} (absolute {self.grad_abs:.1e})  [{verdict}]")
        return lines


def check_workbook(path, device=None, use_libreoffice: bool | None = None, h: float = 1e-6) -> list[SheetCheck]:
    eng = Engine.load(path)
    # every sheet laid out as a lesson model, whether or not its formulas still compute one
    sheets = [ls for ls in (lesson_sheet.find(eng, s) for s in eng.sheets) if ls is not None]
    if not sheets:
        raise SheetnetError(f"{path}: no lesson model sheet (Survived, Linear or Lin1.., Loss) to check")
    lo_values = _libreoffice_values(path, [ls.sheet for ls in sheets], use_libreoffice)
    dev = pick_device(device)
    out = []
    for ls in sheets:
        s = eng.index[ls.sheet]
        m, W = ls.model, ls.params(eng)
        n = len(ls.y)
        npv = m.forward(ls.X, ls.y, W)
        twin = Twin(m, W, device=dev)
        Xt, yt = twin.tensors(ls.X, ls.y)
        tv = twin(Xt, yt)
        res = SheetCheck(ls.sheet, str(dev))
        cols = ["Survived", *(st.name for st in m.steps)]
        for c, name in enumerate(cols[1:], start=1):
            wb = eng.grids[s].num[FIRST_ROW:FIRST_ROW + n, c]
            res.rows.append((name, _diffs(wb, npv[name], tv[name].detach().cpu().numpy(),
                                          None if lo_values is None else _lo_col(lo_values[ls.sheet], c, n))))
        wb_loss = np.array([eng.grids[s].num[0, 1]])
        lo_loss = None if lo_values is None else np.array([lo_values[ls.sheet][0][1]])
        res.rows.append(("Loss (B1)", _diffs(wb_loss, np.array([npv["loss"]]),
                                             np.array([float(tv["loss"].detach().cpu())]), lo_loss)))
        _, g = twin.loss_and_grad(ls.X, ls.y)
        fd = _finite_difference(eng, ls, h)
        res.grad_abs = float(np.max(np.abs(g - fd)))
        res.grad_rel = float(np.max(np.abs(g - fd) / np.maximum(np.abs(fd), 1e-3)))
        out.append(res)
    return out


def _diffs(wb, npv, tv, lo) -> dict:
    d = {"workbook-numpy": np.max(np.abs(wb - npv)), "workbook-torch": np.max(np.abs(wb - tv)),
         "numpy-torch": np.max(np.abs(npv - tv))}
    if lo is not None:
        d["LibreOffice-numpy"] = np.max(np.abs(lo - npv))
    return {k: float(v) for k, v in d.items()}


def _lo_col(values, c, n):
    return np.array([values[FIRST_ROW + i][c] for i in range(n)], float)


def _libreoffice_values(path, sheets, use):
    from . import libreoffice

    if use is False or (use is None and not libreoffice.find()):
        return None
    with libreoffice.LibreOffice() as lo:
        lo.load(path)
        return {s: lo.values(s) for s in sheets}


def _finite_difference(eng: Engine, ls, h: float) -> np.ndarray:
    """d Loss / d W by central differences, each param nudged in the workbook and B1 recomputed."""
    s = eng.index[ls.sheet]
    x0 = np.array([eng.grids[si].num[r, c] for si, r, c in ls.cells])
    g = np.zeros_like(x0)
    for i, (_, r, c) in enumerate(ls.cells):
        for sign in (1, -1):
            eng.set_many(s, np.array([r]), np.array([c]), np.array([x0[i] + sign * h]))
            g[i] += sign * eng.grids[s].num[0, 1]
        eng.set_many(s, np.array([r]), np.array([c]), np.array([x0[i]]))
        g[i] /= 2 * h
    return ls.to_W(g)
