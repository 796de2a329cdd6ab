"""A workbook's Solver model as an optimisation problem: x -> objective, with exact gradients.

The objective goes through sheetnet's formula engine (numpy) and its torch path (autograd), so it
works for any workbook.  For the lesson's own model sheets a faster route gives the same numbers:
the model's one description (numpy loss and gradient), used only after it is checked to agree with
the engine on the workbook itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine import Engine, ErrorCode
from ..engine.evaluate import a1
from ..engine.grad import Differentiable
from ..errors import SheetnetError
from ..model import stored
from ..torchenv import get_torch
from .names import SolverModel


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
        rhs_fixed = rhs_num is not None or all(eng.group_at(s, r, c) < 0 for s, r, c in rhs_cells)
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
            torch = get_torch()
            with torch.no_grad():
                return diff(torch.tensor(np.asarray(x, float), dtype=torch.float64)).numpy()

        last: dict = {}

        def pieces(x, kinds):
            key = np.asarray(x, float).tobytes()  # scipy asks fun and jac, for ineq and eq, at each x
            if key not in last:
                last.clear()
                last[key] = (values(x), diff.jacobian(x))
            v, J = last[key]
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
    """For a sheetnet lesson model sheet: (fun_grad, value, order) from the model's one description,
    used only when it provably computes what the sheet computes; else None."""
    eng = prob.engine
    s = eng.index[prob.model.sheet]
    ls = stored.find(eng, prob.model.sheet, param_cells=prob.cells)
    if ls is None or prob.objective_cell != (s, *ls.layout.loss_cell) or not stored.verify(eng, ls):
        return None
    m, X, y = ls.model, ls.X, ls.y

    def fg(x):
        loss, g = m.loss_and_grad(X, y, ls.to_theta(x))
        return loss, ls.from_theta(g)
    return fg, (lambda x: fg(x)[0]), ls.canonical_order
