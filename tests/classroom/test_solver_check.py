"""The Solver task's criterion (classroom/solvercheck.py), on the cases it was chosen from: what a run
of Excel's GRG Nonlinear leaves (forward differences, its stopping rule), sheetnet's own solve, and
Params stopped early or typed in near the answer."""

import numpy as np
import pytest

from sheetnet.classroom.solvercheck import CONVERGENCE, GAIN, STALL, Restart, solver_like, verdict
from sheetnet.lessons.loading import load_data
from sheetnet.lessons.workbook import plan
from sheetnet.solver.bfgs import minimize_bfgs


def _lesson(name, sheet, seed=0):
    _, ds = load_data(name)
    res = plan(ds, seed=seed)
    m = next(m for m in res.models if m.name == sheet)
    return m, ds.X, ds.y, res.params[sheet]


def _grg_like(m, X, y, x0, h=1e-8):
    """What Excel's Solver does by default: forward differences, stop when the loss changes by less than
    1e-4 (relative) for 5 iterations."""
    def fg(x):
        f0 = m.loss(X, y, x)
        g = np.empty_like(x)
        for i in range(x.size):
            e = x.copy()
            step = h * max(1.0, abs(x[i]))
            e[i] += step
            g[i] = (m.loss(X, y, e) - f0) / step
        return f0, g
    return solver_like(fg, x0)


def _gain(m, X, y, theta):
    loss = m.loss(X, y, theta)
    _, after, nit = solver_like(lambda x: m.loss_and_grad(X, y, x), theta)
    return Restart(loss, min(after, loss), nit, "description")


def test_the_rule_is_excels():
    assert (CONVERGENCE, STALL) == (1e-4, 5)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_grg_like_run_earns_the_task_on_the_net(seed):
    m, X, y, x0 = _lesson("titanic", "nnet", seed)
    x, loss, nit = _grg_like(m, X, y, x0)
    g = np.max(np.abs(m.loss_and_grad(X, y, x)[1]))
    rr = _gain(m, X, y, x)
    assert rr.gain <= GAIN / 3, (seed, rr)
    assert verdict(rr, 0.16)[0]
    if seed == 0:  # the point the old criterion (every partial derivative under 1e-3) marked down
        assert g > 2e-3 and loss == pytest.approx(0.1439283, abs=1e-6)


def test_a_grg_like_run_earns_the_task_on_the_linear_sheet():
    """Excel's Solver stops about 1e-5 above least squares here: the old 1e-6 test marked that down."""
    m, X, y, x0 = _lesson("titanic", "linear")
    x, loss, _ = _grg_like(m, X, y, x0)
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    best = float(np.mean((X @ w - y) ** 2))
    assert loss - best > 1e-6
    assert verdict(_gain(m, X, y, x), None)[0]


def test_sheetnet_solve_earns_it_and_early_stops_do_not():
    m, X, y, x0 = _lesson("titanic", "nnet")
    full = minimize_bfgs(lambda x: m.loss_and_grad(X, y, x), x0, gtol=1e-5)
    assert _gain(m, X, y, full.x).gain < 1e-8
    near = _gain(m, X, y, full.x * 0.97)  # typed in near the answer: as much left as LibreOffice's DEPS leaves
    assert GAIN / 3 < near.gain < GAIN / 1.5 and verdict(near, 0.16)[0]
    for k, least in ((20, 2 * GAIN), (10, 30 * GAIN), (5, 100 * GAIN)):  # Solver cut after k iterations
        theta = minimize_bfgs(lambda x: m.loss_and_grad(X, y, x), x0, gtol=1e-12, maxiter=k).x
        rr = _gain(m, X, y, theta)
        ok, why, mistake = verdict(rr, 0.16)
        assert not ok and rr.gain > least and mistake.label.startswith("Solver"), rr
        assert ("above the bound" if rr.loss > 0.16 else "Solver is not finished") in why
    ok, why, mistake = verdict(_gain(m, X, y, x0), 0.16)  # Solver never run: above the bound
    assert not ok and "above the bound" in why and mistake.label == "Solver not run"


def test_a_loss_with_no_minimum_is_judged_by_its_bound_alone():
    """digits: the sigmoid's loss keeps falling as the weights grow; a GRG-like run stops anywhere from
    0.0055 to 0.017, so the template asks for the bound (0.03) and not for a finished run."""
    from sheetnet.lessons.template import load_template

    rung = next(r for r in load_template("digits").exercise if r["steps"] == ["solve:linear"])
    assert rung["bound"] == 0.03 and rung["converged"] is False
    m, X, y, x0 = _lesson("digits", "linear")
    for seed in range(4):
        x, loss, _ = _grg_like(m, X, y, _lesson("digits", "linear", seed)[3])
        assert loss < 0.03 and verdict(_gain(m, X, y, x), 0.03, converged=False)[0]
    assert not verdict(_gain(m, X, y, x0), 0.03, converged=False)[0]


def test_params_from_a_grg_like_run_typed_in_libreoffice_earn_the_solver_tasks(lo, plain, plain_key, tmp_path):
    """The whole way: a student at LibreOffice does the exercise and pastes the Params an Excel-like
    Solver run reached from the workbook's own start (full marks), or a run cut after 10 iterations
    (the net's Solver task lost, with where a finished run goes in the feedback)."""
    from sheetnet.classroom.grade import grade_file
    from sheetnet.classroom.reference import numbers
    from sheetnet.engine import Engine
    from sheetnet.model.layout import FIRST_ROW

    from .student import do_exercise

    key = plain_key
    eng = Engine.load(plain.solution)
    reached, cut = {}, {}
    for name in ("linear", "nnet"):
        ml = key.layouts[name]
        a, b = ml.data_features
        X = numbers(eng, eng.index["data"], (FIRST_ROW, a, ml.last_row, b))[0]
        y = numbers(eng, eng.index[name], (FIRST_ROW, 0, ml.last_row, 0))[0][:, 0]
        x0 = np.array(key.d["students"][0]["params"][name])
        reached[name] = _grg_like(ml.model, X, y, x0)[0]
        cut[name] = minimize_bfgs(lambda x, m=ml.model: m.loss_and_grad(X, y, x), x0, gtol=1e-12, maxiter=10).x
    good = do_exercise(lo, plain.student, tmp_path / "grg.xlsx", key.rows, params=reached)
    g = grade_file(good, key)
    assert g.total == g.possible == 18, [(s.id, s.reason) for r in g.rungs for s in r.steps if not s.ok]
    early = do_exercise(lo, plain.student, tmp_path / "cut.xlsx", key.rows, params={"nnet": cut["nnet"],
                                                                                    "linear": reached["linear"]})
    g = grade_file(early, key)
    got = {r.name: r.earned for r in g.rungs}
    assert got["Solver on the net"] == 0 and got["Solver on linear"] == 2 and g.total == 16


def test_the_relu_lessons_solver_feedback_says_what_its_numbers_are(tmp_path):
    """A ReLU net's Solver task: no "least-squares optimum" (that is the linear sheet's), and the two losses
    quoted are the student's own and where a Solver-like run from the student's Params takes it."""
    import openpyxl

    from sheetnet.classroom.exercise import make_exercise
    from sheetnet.classroom.grade import Key, grade_file

    ex = make_exercise("relu", tmp_path / "relu")
    key = Key.load(ex.key)
    assert grade_file(ex.solution, key).total == 7
    wb = openpyxl.load_workbook(ex.solution)
    ws = wb["nnet"]
    for r, c in key.layouts["nnet"].param_cells():
        ws.cell(r + 1, c + 1).value = ws.cell(r + 1, c + 1).value * 0.8
    wb.save(tmp_path / "short.xlsx")
    g = grade_file(tmp_path / "short.xlsx", key)
    step = next(s for r in g.rungs if r.name == "Solver on nnet" for s in r.steps)
    assert not step.ok and "least-squares" not in step.reason
    assert step.reason.startswith("Solver is not finished: run again from your Params") and step.got > step.expected
    assert f"from {step.got:.9g} to {step.expected:.9g}" in step.reason


@pytest.mark.skipif(not __import__("os").environ.get("SHEETNET_LO_PROFILE"),
                    reason="needs LibreOffice's nlpsolver extension: SHEETNET_LO_PROFILE=$(bench/setup_lo_nlpsolver.sh)")
def test_params_libreoffices_deps_reaches_earn_the_nets_solver_task(plain, plain_key, tmp_path):
    """LibreOffice's DEPS (300 learning cycles) on the solution's net, over UNO: a Solver-like run from
    where it stops takes about 0.16%, under the task's 0.3%, and the loss is under the bound."""
    import os

    import openpyxl

    from sheetnet.classroom.grade import grade_file
    from sheetnet.crosscheck.libreoffice import LibreOffice

    params = [(r, c) for r in (3, 4) for c in range(9, 19)]
    with LibreOffice(profile=os.environ["SHEETNET_LO_PROFILE"]) as lo:
        lo.load(plain.solution)
        res = lo.solve("com.sun.star.comp.Calc.NLPSolver.DEPSSolverImpl", "nnet", (0, 1), params, bounds=[-2.0, 2.0],
                       props={"GuessVariableRange": False, "EnhancedSolverStatus": False, "LearningCycles": 300})
    wb = openpyxl.load_workbook(plain.solution)
    for (r, c), v in zip(params, res["solution"]):
        wb["nnet"].cell(r + 1, c + 1).value = float(v)
    wb.save(tmp_path / "deps.xlsx")
    g = grade_file(tmp_path / "deps.xlsx", plain_key)
    step = next(s for r in g.rungs if r.name == "Solver on the net" for s in r.steps)
    assert step.ok, step.reason


def test_a_loss_below_the_exercises_own_solve_earns_the_task_off_a_minimum():
    """An evolutionary solver (LibreOffice's DEPS) can stop off any minimum yet lower than the exercise's own
    one-start solve: that earns the task; off a minimum and above it does not."""
    m, X, y, x0 = _lesson("titanic", "nnet")
    full = minimize_bfgs(lambda x: m.loss_and_grad(X, y, x), x0, gtol=1e-5)
    rng = np.random.default_rng(0)
    best = min((minimize_bfgs(lambda x: m.loss_and_grad(X, y, x), rng.uniform(-1, 1, x0.shape), gtol=1e-5)
                for _ in range(5)), key=lambda r: r.fun)  # the fifth start finds 0.1321
    assert best.fun < full.fun - 0.005
    off = best.x * 0.95  # near a better minimum, not at it (as DEPS stopped: 0.1327, a local run takes 0.5%)
    rr = _gain(m, X, y, off)
    assert rr.gain > GAIN and rr.loss < full.fun
    assert not verdict(rr, 0.16)[0]
    assert verdict(rr, 0.16, reference=full.fun)[0]
    assert not verdict(_gain(m, X, y, full.x * 0.9), 0.16, reference=full.fun)[0]


def test_the_solutions_params_on_other_features_do_not_earn_the_solver_tasks(work, plain_key):
    """LN for LOG10 changes the features; the solution's Params pasted on top equal the reference solve's
    loss on this sheet (not below it), and a Solver-like run takes more than 0.3%: no Solver task."""
    from sheetnet.classroom.grade import grade_file

    g = grade_file(work(["LN"]), plain_key)
    got = {r.name: r.earned for r in g.rungs}
    assert got["Solver on linear"] == 0 and got["Solver on the net"] == 0 and got["log_Fare"] == 0
