"""Solving the lesson's nnet sheet: sheetnet solve against what a user would otherwise run.

    python bench/bench_solve.py                 # all of it (LibreOffice's solvers take minutes)
    python bench/bench_solve.py --quick         # sheetnet and scipy only
    SHEETNET_LO_PROFILE=$(bench/setup_lo_nlpsolver.sh) python bench/bench_solve.py   # with DEPS and SCO

From the seed-0 workbook's start.  "scipy, finite differences" is what Excel's Solver does: BFGS
whose gradient comes from nudging each param and re-evaluating the workbook (sheetnet's engine).
LibreOffice's own solvers run headless over UNO with every param bounded to [-2, 2] (unbounded
params are sampled from +-FLT_MAX); DEPS and SCO need the nlpsolver extension (see
bench/setup_lo_nlpsolver.sh; they run with EnhancedSolverStatus off, since their status dialog
cannot open headless, and at most 300 learning cycles: at their default of 2000, DEPS ran past
12 minutes here without ending).  The loss reported for them is recomputed at their solution.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import optimize as so

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sheetnet.engine import Engine, read_book  # noqa: E402
from sheetnet.lessons.prepare import prepare  # noqa: E402
from sheetnet.lessons.template import load_template  # noqa: E402
from sheetnet.lessons.workbook import build_workbook  # noqa: E402
from sheetnet.solver import problem as problem_mod  # noqa: E402
from sheetnet.solver.names import read_model  # noqa: E402
from sheetnet.solver.optimize import minimize  # noqa: E402
from sheetnet.solver.problem import build_problem  # noqa: E402

SHEET = "nnet"
LO_CYCLES = 300  # DEPS/SCO learning cycles (their default, 2000, ran past 12 minutes here without ending)
PARAMS = [(r, c) for r in (3, 4) for c in range(9, 19)]  # J4:S5


def run_sheetnet(path, reps, route, multistart=None):
    model = read_model(read_book(path), SHEET)
    if route == "engine":
        saved = problem_mod._lesson_route
        problem_mod._lesson_route = lambda prob: None
    try:
        prob = build_problem(path, model)
    finally:
        if route == "engine":
            problem_mod._lesson_route = saved
    times, res = [], None
    for _ in range(reps):
        res = minimize(prob, multistart=multistart, seed=0)
        times.append(res.seconds)
    how = f"{len(res.starts)} starts, seed 0" if multistart else f"{res.nit} iterations"
    return res.fun, statistics.median(times), res.nfev, f"{how}, {prob.route}"


def run_fd(path):
    eng = Engine.load(path, inputs=[f"{SHEET}!J4:S5"])
    s = eng.index[SHEET]
    rows = np.array([r for r, _ in PARAMS])
    cols = np.array([c for _, c in PARAMS])
    x0 = eng.grids[s].num[rows, cols].copy()
    n = [0]

    def f(x):
        n[0] += 1
        eng.set_many(s, rows, cols, x)
        return eng.grids[s].num[0, 1]
    t = time.perf_counter()
    r = so.minimize(f, x0, method="BFGS", jac="2-point")
    return float(r.fun), time.perf_counter() - t, n[0], f"{r.nit} iterations"


def run_lo(path, service, label, props=None):
    from sheetnet.crosscheck.libreoffice import LibreOffice

    profile = os.environ.get("SHEETNET_LO_PROFILE")
    with LibreOffice(profile=profile if "NLPSolver" in service else None) as lo:
        lo.load(path)
        try:
            res = lo.solve(service, SHEET, (0, 1), PARAMS, bounds=[-2.0, 2.0], props=props)
        except Exception as e:
            return None, None, None, f"{label}: {str(e)[:90]}"
        lo.set(SHEET, {f"{'JKLMNOPQRS'[c - 9]}{r + 1}": v for (r, c), v in zip(PARAMS, res["solution"])})
        loss = lo.values(SHEET, "B1")[0][0]
        return loss, res["seconds"], None, f"Success={res['success']}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "titanic.xlsx"
        res = build_workbook(path, prepare(load_template("titanic")), seed=0)
        start = res.values[SHEET]["loss"]
        rows = [("sheetnet solve (lesson route)", *run_sheetnet(path, 5, "lesson")),
                ("sheetnet solve (engine + torch)", *run_sheetnet(path, 3, "engine")),
                ("sheetnet solve --multistart 50", *run_sheetnet(path, 3, "lesson", multistart=50)),
                ("scipy BFGS, finite differences", *run_fd(path))]
        if not a.quick:
            rows.append(("LibreOffice SwarmSolver", *run_lo(path, "com.sun.star.comp.Calc.SwarmSolver", "Swarm")))
            if os.environ.get("SHEETNET_LO_PROFILE"):
                for name in ("DEPS", "SCO"):
                    rows.append((f"LibreOffice {name} (nlpsolver)", *run_lo(
                        path, f"com.sun.star.comp.Calc.NLPSolver.{name}SolverImpl", name,
                        {"GuessVariableRange": False, "EnhancedSolverStatus": False,
                         "LearningCycles": LO_CYCLES})))
            else:
                print("(DEPS and SCO skipped: set SHEETNET_LO_PROFILE=$(bench/setup_lo_nlpsolver.sh))")
    base = rows[0][2]
    print(f"nnet sheet, 712 rows, 20 params, start loss {start:.6f}")
    print(f"{'method':<34} {'final loss':>11} {'median s':>9} {'evaluations':>11} {'time vs sheetnet':>16}  notes")
    print(f"{'':<34} {'':>11} {'':>9} {'(best start)':>11}")
    for name, loss, secs, nfev, note in rows:
        ls = f"{loss:>11.6f}" if loss is not None else f"{'-':>11}"
        ss = f"{secs:>9.3f}" if secs is not None else f"{'-':>9}"
        ratio = f"{secs / base:>15.0f}x" if secs else f"{'':>16}"
        print(f"{name:<34} {ls} {ss} {nfev if nfev is not None else '-':>11} {ratio}  {note}", flush=True)


if __name__ == "__main__":
    main()
