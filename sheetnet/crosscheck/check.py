"""Cross-check a lesson workbook: its own numbers (engine, LibreOffice) vs numpy vs torch.

For every model sheet its stored description lays out: the largest difference of each computed
column and of every total between the workbook, numpy and torch (float64), and torch autograd's
gradient of the loss against a central finite difference on the workbook itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine import Engine
from ..engine.package import a1
from ..errors import SheetnetError
from ..model import stored
from ..model.layout import FIRST_ROW
from ..model.twin import Twin, pick_device

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
        lines = [f"{self.sheet}: max |difference| / max(1, |value|) (torch on {self.device}, float64)", head]
        for what, diffs in self.rows:
            lines.append(f"  {what:<9}" + "".join(f"{diffs[p]:>22.2e}" for p in pairs))
        verdict = "ok" if self.ok else "DIFFERS"
        lines.append(f"  gradient of Loss: torch autograd vs central differences on the workbook: "
                     f"max relative {self.grad_rel:.1e} (absolute {self.grad_abs:.1e})  [{verdict}]")
        return lines


def check_workbook(path, device=None, use_libreoffice: bool | None = None, h: float = 1e-6) -> list[SheetCheck]:
    eng = Engine.load(path)
    # every sheet laid out as its description says, whether or not its formulas still compute it
    sheets = stored.lesson_sheets(eng)
    if not sheets:
        raise SheetnetError(f"{path}: no model sheet to check (sheetnet build writes a description of each)")
    lo_values = _libreoffice_values(path, [ls.sheet for ls in sheets], use_libreoffice)
    dev = pick_device(device)
    out = []
    for ls in sheets:
        s = eng.index[ls.sheet]
        m, theta, ml = ls.model, ls.params(eng), ls.layout
        n = len(ls.y)
        npv = m.forward(ls.X, ls.y, theta)
        npc = m.column_values(npv)
        twin = Twin(m, theta, device=dev)
        Xt, yt = twin.tensors(ls.X, ls.y)
        tv = twin(Xt, yt)
        tc = m.column_values({k: v.detach().cpu().numpy() if hasattr(v, "detach") else v for k, v in tv.items()})
        res = SheetCheck(ls.sheet, str(dev))
        lo = None if lo_values is None else lo_values[ls.sheet]
        for name in m.columns:
            c = ml.col(name)
            wb = eng.numbers(s, FIRST_ROW, c, FIRST_ROW + n - 1, c)[:, 0]
            res.rows.append((name, _diffs(wb, npc[name], tc[name], None if lo is None else _lo_col(lo, c, n))))
        for st in m.totals:
            r, c = ml.total_cell(st.name)
            res.rows.append((f"{st.label} ({a1(r, c)})",
                             _diffs(np.array([eng.number(s, r, c)]), np.array([npv[st.name]]),
                                    np.array([float(tv[st.name].detach().cpu())]),
                                    None if lo is None else np.array([lo[r][c]], float))))
        _, g = twin.loss_and_grad(ls.X, ls.y)
        fd = _finite_difference(eng, ls, h)
        res.grad_abs = float(np.max(np.abs(g - fd)))
        res.grad_rel = float(np.max(np.abs(g - fd) / np.maximum(np.abs(fd), 1e-3)))
        out.append(res)
    return out


def _diffs(wb, npv, tv, lo) -> dict:
    """Each pair's largest difference, relative where a value is above 1 (EXP reaches 1e13 and more)."""
    scale = np.maximum(1.0, np.abs(npv))
    d = {"workbook-numpy": np.max(np.abs(wb - npv) / scale), "workbook-torch": np.max(np.abs(wb - tv) / scale),
         "numpy-torch": np.max(np.abs(npv - tv) / scale)}
    if lo is not None:
        d["LibreOffice-numpy"] = np.max(np.abs(lo - npv) / scale)
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
    """d Loss / d theta by central differences, each param nudged in the workbook and the loss recomputed."""
    s = eng.index[ls.sheet]
    r_loss, c_loss = ls.layout.loss_cell
    x0 = np.array([eng.number(si, r, c) for si, r, c in ls.cells])
    g = np.zeros_like(x0)
    for i, (_, r, c) in enumerate(ls.cells):
        for sign in (1, -1):
            eng.set_many(s, np.array([r]), np.array([c]), np.array([x0[i] + sign * h]))
            g[i] += sign * eng.number(s, r_loss, c_loss)
        eng.set_many(s, np.array([r]), np.array([c]), np.array([x0[i]]))
        g[i] /= 2 * h
    return ls.to_theta(g)
