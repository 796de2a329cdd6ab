"""Recognise a lesson model sheet in any workbook and read its model, data and params back.

A sheet is a lesson sheet when its table (row 3 headers from A) starts with Survived and holds
Linear, or Lin1..LinN with ReLUs, and its first Lin column reads the features from another sheet
(by SUMPRODUCT per row, or one MMULT block).  The result is only trusted after `verify` shows the
model's own numbers equal the sheet's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import Engine
from .engine.evaluate import _walk
from .errors import SheetnetError
from .layout import FIRST_ROW, HEADER_ROW
from .models import Model, build_model


@dataclass
class LessonSheet:
    sheet: str
    model: Model
    X: np.ndarray  # (rows, features) as the workbook computes them
    y: np.ndarray
    cells: list  # (sheet index, row, col) of the params, in the sheet's reading order
    feature_names: list

    def to_W(self, x) -> np.ndarray:
        """Params in reading order -> W (hidden, features)."""
        x = np.asarray(x, float)
        m = self.model
        return x.reshape(m.n_features, m.hidden).T.copy() if m.kind == "mmult" else x.reshape(m.param_shape).copy()

    def from_W(self, W) -> np.ndarray:
        W = np.asarray(W, float)
        return W.T.ravel() if self.model.kind == "mmult" else W.ravel()

    def params(self, eng: Engine) -> np.ndarray:
        return self.to_W([eng.grids[s].num[r, c] for s, r, c in self.cells])

    @property
    def canonical_order(self) -> np.ndarray | None:
        """Reading order -> W row by row (None where they are the same)."""
        m = self.model
        if m.kind != "mmult":
            return None
        return np.arange(m.n_params).reshape(m.n_features, m.hidden).T.ravel()


def find(eng: Engine, sheet: str, param_cells=None) -> LessonSheet | None:
    """The lesson model on `sheet`, or None when the sheet is not laid out as one."""
    s = eng.index.get(sheet)
    if s is None:
        return None
    row = eng.get(f"{sheet}!A{HEADER_ROW + 1}:Z{HEADER_ROW + 1}")[0]
    heads = row[:row.index(None)] if None in row else row  # the table's headers, not the Params block's
    if not heads or heads[0] != "Survived":
        return None
    if "Linear" in heads:
        kind, hidden, first = "linear", 1, "Linear"
    elif "Lin1" in heads:
        hidden = sum(1 for h in heads if isinstance(h, str) and h.startswith("Lin") and h[3:].isdigit())
        first = "Lin1"
        gid = eng.gid[s][FIRST_ROW, heads.index(first)]
        if gid < 0:
            return None
        kind = "mmult" if eng.groups[gid].array_box else "nnet"
    else:
        return None
    gid = eng.gid[s][FIRST_ROW, heads.index(first)]
    surv = eng.gid[s][FIRST_ROW, 0]
    if gid < 0 or surv < 0:
        return None
    g = eng.groups[gid]
    refs = [n for n in _walk(g.node) if n[0] == "ref"]
    feats = [n for n in refs if n[1] != s]
    params = [n for n in refs if n[1] == s]
    if len(feats) != 1 or not params:
        return None
    _, ds, r0, c0, r1, c1, _, _ = feats[0]
    n = eng.groups[surv].k
    X = eng.grids[ds].num[FIRST_ROW:FIRST_ROW + n, c0:c1 + 1].copy()
    y = eng.grids[s].num[FIRST_ROW:FIRST_ROW + n, 0].copy()
    names = [eng.grids[ds].value(HEADER_ROW, c) for c in range(c0, c1 + 1)]
    names = [str(v) if v is not None else f"f{j}" for j, v in enumerate(names)]
    m = build_model(kind, names, hidden=hidden)
    if param_cells is None:
        param_cells = _param_cells(eng, s, kind, hidden, m.n_features, params, g)
    if param_cells is None or len(param_cells) != m.n_params:
        return None
    return LessonSheet(sheet, m, X, y, list(param_cells), names)


def _param_cells(eng, s, kind, hidden, nf, params, g):
    """The params block in reading order, from the formulas that read it."""
    if kind == "mmult":
        _, _, r0, c0, r1, c1, _, _ = params[0]
        return [(s, r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
    rows = []
    for k in range(hidden):
        col = 1 + k
        gid = eng.gid[s][FIRST_ROW, col]
        if gid < 0:
            return None
        p = [n for n in _walk(eng.groups[gid].node) if n[0] == "ref" and n[1] == s]
        if len(p) != 1:
            return None
        _, _, r0, c0, r1, c1, _, _ = p[0]
        rows += [(s, r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
    return rows


def verify(eng: Engine, ls: LessonSheet, loss_cell=(0, 1), tries=2, tol=1e-12) -> bool:
    """Do the model's numbers equal the sheet's, at the current params and at one other point?"""
    s = eng.index[ls.sheet]
    x0 = np.array([eng.grids[si].num[r, c] for si, r, c in ls.cells])
    rows = np.array([r for _, r, _ in ls.cells])
    cols = np.array([c for _, _, c in ls.cells])
    rng = np.random.default_rng(12345)
    ok = True
    for k in range(tries):
        x = x0 if k == 0 else x0 + rng.uniform(-0.3, 0.3, x0.size)
        eng.set_many(s, rows, cols, x)
        v = eng.grids[s].value(*loss_cell)
        want = ls.model.loss(ls.X, ls.y, ls.to_W(x))
        if not isinstance(v, float) or abs(v - want) > tol * max(1.0, abs(v)):
            ok = False
            break
    eng.set_many(s, rows, cols, x0)
    return ok


def require(eng: Engine, sheet: str) -> LessonSheet:
    ls = find(eng, sheet)
    if ls is None:
        raise SheetnetError(f"sheet {sheet} is not a lesson model sheet (Survived, Linear or Lin1.., Loss; "
                            f"built by sheetnet build)")
    if not verify(eng, ls):
        raise SheetnetError(f"sheet {sheet}: its formulas do not compute the lesson model (edited?)")
    return ls
