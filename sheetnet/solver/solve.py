"""Run the Solver models stored in a workbook and write the answers back, losing nothing.

    results = solve_workbook("titanic.xlsx")                       # every sheet with a model
    results = solve_workbook("titanic.xlsx", sheets=["nnet"], method="grg", multistart=50, in_place=True)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine import Engine, read_book
from ..errors import SheetnetError
from ..limits import bounded
from .names import read_model
from .optimize import SolveResult, minimize
from .problem import Problem, _scatter, build_problem
from .writeback import write_values


@dataclass
class SheetResult:
    sheet: str
    problem: Problem
    result: SolveResult

    def report(self) -> list[str]:
        m, r, p = self.problem.model, self.result, self.problem
        areas = ",".join(v.split("!", 1)[1] for v in m.variables)
        how = f"{r.engine} -> {r.method}" + (", exact gradients" if r.njev else "")
        lines = [f"{self.sheet}: {m.goal} {m.objective} by changing {areas} ({how}; {p.route})",
                 f"  objective  {r.before:.9g} -> {r.fun:.9g}",
                 f"  {r.nit} iterations, {r.nfev} function and {r.njev} gradient evaluations, {r.seconds:.3f} s"]
        if r.starts:
            s = np.sort(r.starts)
            lines.append(f"  multistart: {len(s)} starts, best {s[0]:.9g}, median {np.median(s):.9g}, worst {s[-1]:.9g}")
        lines.append(f"  {r.message}")
        return lines


def output_path(path: Path, in_place: bool, output) -> Path:
    if output:
        return Path(output)
    return path if in_place else path.with_name(f"{path.stem}.solved{path.suffix}")


def solve_workbook(path, sheets=None, method=None, multistart=None, seed=None, max_iter=None, max_time=None,
                   bounds=None, output=None, in_place=False, callback=None, write=True) -> tuple[list[SheetResult], Path | None]:
    path = Path(path)
    with bounded(path):
        book = read_book(path)
    if write and book.kind != "xlsx":
        raise SheetnetError(f"{path}: solve writes its answer into .xlsx workbooks only; save this one as .xlsx "
                            f"(or use write=False from Python)")
    models = {s: read_model(book, s) for s in book.sheets}
    models = {s: m for s, m in models.items() if m is not None}
    if sheets:
        for s in sheets:
            if s not in book.sheets:
                raise SheetnetError(f"{path}: no sheet named {s!r} (sheets: {', '.join(book.sheets)})")
            if s not in models:
                raise SheetnetError(f"{path}: sheet {s} has no Solver model (no solver_opt name)")
        models = {s: models[s] for s in sheets}
    if not models:
        raise SheetnetError(f"{path}: no sheet has a Solver model (Data > Solver in Excel stores one)")
    variables = [v for m in models.values() for v in m.variables]
    try:
        with bounded(path):
            eng = Engine(book, inputs=variables)
    except SheetnetError:
        raise
    except Exception as e:  # EngineError, with the cell named
        raise SheetnetError(f"{path}: {e}") from None
    done = []
    for s, m in models.items():
        try:
            prob = build_problem(path, m, engine=eng)
            res = minimize(prob, method=method, multistart=multistart, seed=seed, max_iter=max_iter,
                           max_time=max_time, bounds=bounds,
                           callback=(lambda k, x, v, s=s: callback(s, k, x, v)) if callback else None)
        except SheetnetError as e:
            raise SheetnetError(f"{path}: sheet {s}: {e} No file written.".replace(". No file", "; no file")
                                .replace(".; no file", ". No file")) from None
        if res.status == 4:
            raise SheetnetError(f"{path}: sheet {s}: {res.message} No file written.")
        if not np.isfinite(res.fun):
            raise SheetnetError(f"{path}: sheet {s}: the objective is not a number at the answer; no file written")
        eng.set_many(*_scatter(prob.cells, res.x))
        done.append(SheetResult(s, prob, res))
    out = output_path(path, in_place, output) if write else None
    if write:
        cells = [c for d in done for c in d.problem.cells]
        write_params(path, out, eng, cells, np.concatenate([d.result.x for d in done]))
    return done, out


def write_params(path, out, eng: Engine, cells, x):
    """Write new values of input cells, and the fresh cached value of every formula cell downstream of
    them (the engine must already hold x), into a copy of `path` at `out`; nothing else changes."""
    updates: dict = {}
    inputs: dict = {}
    for (s, r, c), v in zip(cells, x):
        updates.setdefault(eng.sheets[s], {})[(r, c)] = float(v)
        inputs.setdefault(eng.sheets[s], set()).add((r, c))
    for gid in eng.dirty_groups(cells):
        g = eng.groups[gid]
        for (r, c) in g.cells():
            updates.setdefault(eng.sheets[g.sheet], {})[(r, c)] = eng.grids[g.sheet].value(r, c)
    write_values(path, out, updates, inputs)
