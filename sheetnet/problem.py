"""A workbook's Solver model as an optimisation problem: x -> objective, with exact gradients.

The objective goes through sheetnet's formula engine (numpy) and its torch path (autograd), so it
works for any workbook.  For the lesson's own model sheets a faster route gives the same numbers:
the model's one description (numpy loss and gradient), used only after it is checked to agree with
the engine on the workbook itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine import Engine, ErrorCode
from .engine.evaluate import _walk, a1
from .engine.grad import Differentiable
from .errors import SheetnetError
from .layout import FIRST_ROW, HEADER_ROW
from .models import build_model
from .solver_names import SolverModel


@dataclass
class Problem:
    model: SolverModel
    engine: Engine
    cells: list  # (sheet, row, col) of each variable, in Solver's order (areas, then rows)
    x0: np.ndarray
    objective_cell: tuple
    bounds: list  # (lo, hi) per variable, None for unbounded sides
    constraints: list = field(default_factory=list)  # scipy dicts: type, fun, jac
    integrality: np.ndarray | None = None
    route: str = "engine"  # "engine" (formula engine + torch) or "lesson model" (checked fast path)
    order: np.ndarray | None = None  # the optimiser sees x[order]: the lesson's W row by row on every sheet
    _fg: object = None
    _value: object = None

    @property
    def n(self) -> int:
        return len(self.cells)

    def value(self, x) -> float:
        """The objective cell's value at x."""
        return self._value(np.asarray(x, float))

    def value_and_grad(self, x):
        """(objective cell value, its gradient) at x."""
        return self._fg(np.asarray(x, float))

    def cell_names(self) -> list[str]:
        return [f"{self.engine.sheets[s]}!{a1(r, c)}" for s, r, c in self.cells]


def _number(eng: Engine, cell, what: str) -> float:
    s, r, c = cell
    v = eng.grids[s].value(r, c)
    if isinstance(v, ErrorCode):
        raise SheetnetError(f"{what} {eng.sheets[s]}!{a1(r, c)} is the error {v}")
    if v is None:
        return 0.0
    if isinstance(v, (bool, str)):
        raise SheetnetError(f"{what} {eng.sheets[s]}!{a1(r, c)} is not a number ({v!r})")
    return float(v)


def build_problem(path, model: SolverModel, engine: Engine | None = None) -> Problem:
    """The problem of one sheet's Solver model; `engine` (loaded with the variables as inputs) may be shared."""
    eng = engine if engine is not None else Engine.load(path, inputs=model.variables)
    cells = [cell for area in model.variables for cell in eng._cells(area)]
    if not cells:
        raise SheetnetError(f"{path}: sheet {model.sheet}: the Solver model has no variable cells")
    x0 = np.array([_number(eng, c, "variable cell") for c in cells])
    (obj,) = eng._cells(model.objective)
    _number(eng, obj, "objective cell")
    lo = 0.0 if model.nonneg else None
    bounds = [(lo, None) for _ in cells]
    prob = Problem(model, eng, cells, x0, obj, bounds)
    _constraints(prob)
    fast = _lesson_route(prob)
    if fast is None:
        diff = Differentiable(eng, cells, [obj])

        def fg(x):
            return diff.value_and_grad(x)

        def value(x):
            eng.set_many(*_scatter(cells, x))
            return _number(eng, obj, "objective cell")
        prob._fg, prob._value = fg, value
    else:
        prob._fg, prob._value, prob.route, prob.order = fast[0], fast[1], "lesson model", fast[2]
    return prob


def _scatter(cells, x):
    sheets = {s for s, _, _ in cells}
    if len(sheets) != 1:
        raise SheetnetError("variable cells on several sheets are not supported")
    s = cells[0][0]
    return s, np.array([r for _, r, _ in cells]), np.array([c for _, _, c in cells]), np.asarray(x, float)


def _constraints(prob: Problem):
    """Bounds from constraints on variable cells against numbers; the rest as general constraints."""
    eng, model = prob.engine, prob.model
    index = {c: i for i, c in enumerate(prob.cells)}
    general = []
    integer = np.zeros(prob.n, bool)
    for con in model.constraints:
        lhs = eng._cells(con.lhs)
        if con.rel in ("int", "bin"):
            for c in lhs:
                if c not in index:
                    raise SheetnetError(f"constraint {con.lhs} {con.rel}: only variable cells can be integers")
                integer[index[c]] = True
                if con.rel == "bin":
                    prob.bounds[index[c]] = (0.0, 1.0)
            continue
        if con.rel == "dif":
            raise SheetnetError(f"constraint {con.lhs} dif (all different) is not supported")
        try:
            rhs_num = float(con.rhs)
            rhs_cells = None
        except (TypeError, ValueError):
            rhs_num = None
            rhs_cells = eng._cells(con.rhs)
            if len(rhs_cells) not in (1, len(lhs)):
                raise SheetnetError(f"constraint {con.lhs} {con.rel} {con.rhs}: sizes differ") from None
        rhs_fixed = rhs_num is not None or all(eng.gid[s][r, c] < 0 for s, r, c in rhs_cells
                                               if r < eng.gid[s].shape[0] and c < eng.gid[s].shape[1])
        if all(c in index for c in lhs) and rhs_fixed:
            for k, c in enumerate(lhs):
                v = rhs_num if rhs_num is not None else _number(eng, rhs_cells[k if len(rhs_cells) > 1 else 0],
                                                                "constraint cell")
                i = index[c]
                lo, hi = prob.bounds[i]
                if con.rel in ("<=", "="):
                    hi = v if hi is None else min(hi, v)
                if con.rel in (">=", "="):
                    lo = v if lo is None else max(lo, v)
                prob.bounds[i] = (lo, hi)
            continue
        general.append((lhs, con.rel, rhs_num, rhs_cells))
    if integer.any():
        prob.integrality = integer
    if general:
        outs = []
        for lhs, rel, rnum, rcells in general:
            outs += lhs + (rcells or [])
        diff = Differentiable(eng, prob.cells, outs)

        def split(vec, jac=False):
            """[(rel, lhs part, rhs part)] of a value vector (or Jacobian rows when jac)."""
            out, k = [], 0
            for lhs, rel, rnum, rcells in general:
                a = vec[k:k + len(lhs)]
                k += len(lhs)
                if rcells:
                    b = np.broadcast_to(vec[k:k + len(rcells)], a.shape)
                    k += len(rcells)
                else:
                    b = np.zeros(a.shape) if jac else np.full(a.shape, rnum)  # a number: no derivative
                out.append((rel, a, b))
            return out

        def values(x):
            import torch
            with torch.no_grad():
                return diff(torch.tensor(np.asarray(x, float), dtype=torch.float64)).numpy()

        def pieces(x, kinds):
            v, J = values(x), diff.jacobian(x)
            fun, jac = [], []
            for (rel, a, b), (_, ja, jb) in zip(split(v), split(J, jac=True)):
                if rel not in kinds:
                    continue
                sign = -1.0 if rel == "<=" else 1.0  # scipy: fun(x) >= 0
                fun.append(sign * (a - b))
                jac.append(sign * (ja - jb))
            return np.concatenate(fun), np.vstack(jac)

        for kind, rels in (("ineq", ("<=", ">=")), ("eq", ("=",))):
            if any(g[1] in rels for g in general):
                prob.constraints.append({"type": kind, "fun": lambda x, r=rels: pieces(x, r)[0],
                                         "jac": lambda x, r=rels: pieces(x, r)[1]})


def _lesson_route(prob: Problem):
    """For a sheetnet lesson model sheet: (fun_grad, value) from the model's own description, if it
    provably computes what the sheet computes; else None."""
    eng = prob.engine
    sheet = prob.model.sheet
    s = eng.index[sheet]
    try:
        row = eng.get(f"{sheet}!A{HEADER_ROW + 1}:Z{HEADER_ROW + 1}")[0]
        heads = row[:row.index(None)] if None in row else row  # the table's headers, not the Params block's
    except SheetnetError:
        return None
    if not heads or heads[0] != "Survived" or prob.objective_cell != (s, 0, 1):
        return None
    if "Linear" in heads:
        kind, hidden = "linear", 1
    elif "Lin1" in heads:
        hidden = sum(1 for h in heads if isinstance(h, str) and h.startswith("Lin") and h[3:].isdigit())
        g = eng.groups[eng.gid[s][FIRST_ROW, heads.index("Lin1")]]
        kind = "mmult" if g.array_box else "nnet"
    else:
        return None
    first = eng.groups[eng.gid[s][FIRST_ROW, heads.index("Linear" if kind == "linear" else "Lin1")]]
    refs = [n for n in _walk(first.node) if n[0] == "ref" and n[1] != s]
    surv = eng.gid[s][FIRST_ROW, 0]
    if len(refs) != 1 or surv < 0:
        return None
    _, ds, r0, c0, r1, c1, _, _ = refs[0]
    n = eng.groups[surv].k
    X = eng.grids[ds].num[FIRST_ROW:FIRST_ROW + n, c0:c1 + 1].copy()
    y = eng.grids[s].num[FIRST_ROW:FIRST_ROW + n, 0].copy()
    m = build_model(kind, [f"f{j}" for j in range(c1 - c0 + 1)], hidden=hidden)
    if m.n_params != prob.n:
        return None

    def to_W(x):
        x = np.asarray(x, float)
        return x.reshape(m.n_features, hidden).T if kind == "mmult" else x.reshape(m.param_shape)

    def from_W(gW):
        return gW.T.ravel() if kind == "mmult" else gW.ravel()

    def fg(x):
        loss, gW = m.loss_and_grad(X, y, to_W(x))
        return loss, from_W(gW)

    # the check: the model and the sheet agree at the start and at another point
    rng = np.random.default_rng(12345)
    for x in (prob.x0, prob.x0 + rng.uniform(-0.3, 0.3, prob.n)):
        eng.set_many(*_scatter(prob.cells, x))
        sheet_value = eng.grids[s].value(0, 1)
        if not isinstance(sheet_value, float) or abs(sheet_value - fg(x)[0]) > 1e-12 * max(1.0, abs(sheet_value)):
            eng.set_many(*_scatter(prob.cells, prob.x0))
            return None
    eng.set_many(*_scatter(prob.cells, prob.x0))
    order = np.arange(prob.n).reshape(m.n_features, hidden).T.ravel() if kind == "mmult" else None
    return fg, (lambda x: fg(x)[0]), order
