"""What the grader compares with: the cells' values as the engine computes them, and what a step's
cells must hold from the student's own upstream cells (carry-forward), by the op table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..engine import ErrorCode
from ..engine.values import BOOL, ERR, NUM, TEXT
from ..model.graph import FEATURES
from ..model.layout import FIRST_ROW
from ..model.ops import OPS
from .ladder import StepCells

if TYPE_CHECKING:
    from ..engine import Engine
    from .key import Key


def block(eng: Engine, sheet: int, box):
    r0, c0, r1, c1 = box
    num, typ, obj = eng.grids[sheet].block(r0, c0, r1, c1)
    return np.array(num), np.array(typ), np.array(obj)


def values(eng: Engine, sheet: int, box):
    """The box's values as Python objects (numbers, text, booleans, None, ErrorCode)."""
    num, typ, obj = block(eng, sheet, box)
    out = np.empty(num.shape, object)
    out[typ == NUM] = num[typ == NUM]
    out[typ == TEXT] = obj[typ == TEXT]
    out[typ == BOOL] = num[typ == BOOL] != 0
    for idx in zip(*np.nonzero(typ == ERR)):
        out[idx] = ErrorCode(obj[idx])
    return out


PERTURB_SCALES = (1.0, 5.0, 0.01)  # the grader's params scales: random, extreme and tiny (grade._perturb)


def perturbed_param(rng, k: int, scale: float) -> float:
    """One param of perturbation k: normal around 0 (random, tiny), or +-scale times U(0.5, 1) (extreme, k = 1)."""
    return float(rng.normal(0, scale)) if k != 1 else float(rng.choice([-scale, scale]) * rng.uniform(0.5, 1))


def numbers(eng: Engine, sheet: int, box):
    """The box's numbers, the first cell (i, j) that is not a number (or None), and the values there."""
    num, typ, obj = block(eng, sheet, box)
    ok = typ == NUM
    if ok.all():
        return num, None, None
    i, j = np.argwhere(~ok)[0]
    return np.where(ok, num, np.nan), (i, j), values(eng, sheet, box)


def inputs(eng: Engine, key: Key, sc: StepCells):
    """The step's op inputs from the student's own cells, its params block, and its constant."""
    if sc.kind == "feature":
        f = key.d["features"][sc.step]
        data = eng.index["data"]
        if f["source"] is None:
            return [np.zeros((key.rows, 1))], None, f["arg"]
        col = values(eng, data, (FIRST_ROW, f["source"], FIRST_ROW + key.rows - 1, f["source"]))
        if f["op"] != "dummy" or not isinstance(f["arg"], str):
            col = np.array([[v if isinstance(v, float) else (0.0 if v is None else np.nan)] for v in col[:, 0]])
        return [col], None, f["arg"]
    ml = key.layouts[sc.model]
    m = ml.model
    s = eng.index[sc.model]
    step = m.step(sc.step)
    xs = []
    for name in step.inputs:
        if name == FEATURES:
            a, b = ml.data_features
            xs.append(numbers(eng, eng.index["data"], (FIRST_ROW, a, ml.last_row, b))[0])
        elif name == m.target:
            xs.append(numbers(eng, s, (FIRST_ROW, 0, ml.last_row, 0))[0])
        else:
            cols = [ml.col(c) for c in m.step(name).columns]
            xs.append(numbers(eng, s, (FIRST_ROW, cols[0], ml.last_row, cols[-1]))[0])
    W = None
    if step.params:
        theta = np.array([eng.number(s, r, c) for r, c in ml.param_cells()])
        W = m.blocks(theta)[step.params]
    return xs, W, step.arg


def expected(eng, key, sc: StepCells):
    """What the step's cells must hold, from the student's upstream cells (carry-forward)."""
    xs, W, arg = inputs(eng, key, sc)
    with np.errstate(all="ignore"):
        out = OPS[sc.op].forward(xs, W, arg)
    return np.atleast_2d(np.asarray(out, float)) if np.ndim(out) else np.array([[float(out)]])


def cell_text(v) -> str:
    """A data cell's value as text, the same whether read from the prepared table or from a workbook."""
    if v is None or isinstance(v, float) and v != v:
        return ""
    if isinstance(v, float):
        r = repr(v)
        return r[:-2] if r.endswith(".0") else r
    if isinstance(v, bool) or not isinstance(v, (int, np.integer, np.floating)):
        return str(v)
    return cell_text(float(v))


def column_sha(values) -> str:
    """A column's values in their row order, as one hash: what a copier does not re-sort."""
    import hashlib

    return hashlib.sha256("\n".join(cell_text(v) for v in values).encode()).hexdigest()
