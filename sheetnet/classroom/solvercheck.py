"""Was Solver run?  A Solver task is judged by where Excel's Solver really stops.

Excel's GRG Nonlinear stops when the objective's relative change stays below its Convergence
setting (1e-4 by default) for 5 iterations, often before every partial derivative is small (with
ReLUs a stopped point can show one of 0.002).  So the grader does what a student would do to check:
it runs a Solver-like local search (BFGS with exact gradients, Solver's own stopping rule, at most
100 iterations) from the student's Params on the student's own sheet, and asks how much lower it
takes the loss.  Full marks when at most GAIN (relative): a finished Solver run leaves nothing
worth taking; a run stopped early, or Params typed in near the answer, leave more.

Measured on the titanic lesson (`tests/classroom/test_solver_check.py` keeps the cases): a
GRG-like run (forward differences, Solver's rule) from eight students' starts leaves 2e-6 to
1.3e-4 on the net and at most 4.5e-5 on the linear sheet; sheetnet's own solve 3e-10;
LibreOffice's DEPS (nlpsolver, 300 learning cycles, 86 s) 1.6e-3, as do Params at 97% of the
optimum; a run cut after 20 iterations leaves 7.6e-3, after 10 0.12, after 5 0.44.  GAIN = 3e-3
takes every GRG-like stop and refuses a run cut at 20 iterations (a margin of 2.5).  An evolutionary
solver stops where its population is, off any minimum: a second DEPS run reached 0.1327, below the
exercise's own solve (0.1439), yet a local run from there takes 0.89%.  So a loss below the sheet's
loss at the key's solution Params (the exercise's one-start solve) also earns the task.
LibreOffice's SwarmSolver stops on its clock far from a minimum, usually above the rung's bound: its
answer does not earn the task.

The loss is the sheet's own: the lesson's description when the student's loss cell equals it at
the Params and at another point (the usual case, and fast), else autograd through the student's
formulas, else central differences through the engine.  A rung may add a bound on the loss, or
(a model with no minimum, such as a linear model under the MNIST loss on separable digits) ask for
the bound alone (converged = false).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.package import a1
from ..engine.values import EngineError
from ..errors import SheetnetError
from ..model.layout import FIRST_ROW
from .hints import Mistake
from .reference import numbers

CONVERGENCE = 1e-4  # Excel Solver's Convergence default: relative change of the objective ...
STALL = 5  # ... below it for this many iterations in a row
MAX_ITER = 100  # Solver's iteration limit
GAIN = 3e-3  # the most a Solver-like run from the student's Params may still lower the loss (relative)
SAME = 1e-9  # the student's loss cell and the description agree to this (relative)


@dataclass
class Restart:
    loss: float  # at the student's Params
    after: float  # after the Solver-like run
    iterations: int
    route: str  # "description", "autograd" or "differences"

    @property
    def gain(self) -> float:
        return (self.loss - self.after) / max(abs(self.loss), 1e-300)


def solver_like(fg, x0, max_iter: int = MAX_ITER):
    """BFGS from x0 with fg(x) -> (f, gradient), stopped as GRG Nonlinear stops: (x, f, iterations)."""
    from ..solver.bfgs import minimize_bfgs

    hist: list = []

    def stop(x, fx):
        hist.append(fx)
        if len(hist) > STALL:
            last = hist[-STALL - 1:]
            if all(abs(last[i + 1] - last[i]) <= CONVERGENCE * abs(last[i]) for i in range(STALL)):
                raise StopIteration

    with np.errstate(all="ignore"):
        r = minimize_bfgs(fg, x0, gtol=1e-12, maxiter=max_iter, callback=stop)
    return r.x, float(r.fun), r.nit


def restart(eng, ml, name: str, theta) -> Restart | None:
    """The Solver-like run from the student's Params on the student's own loss; None when the loss's
    slope cannot be computed from the sheet at all."""
    s = eng.index[name]
    loss0 = eng.number(s, *ml.loss_cell)
    fg, route = _objective(eng, ml, name, theta, loss0)
    try:
        _, after, nit = solver_like(fg, theta)
    except (SheetnetError, TypeError, ValueError, FloatingPointError):
        return None
    finally:
        if route == "differences":  # (the other routes leave the sheet as it was)
            _put(eng, ml, name, theta)
    if not np.isfinite(after):
        after = loss0
    return Restart(loss0, min(after, loss0), nit, route)


def _put(eng, ml, name, x):
    cells = ml.param_cells()
    eng.set_many(eng.index[name], np.array([r for r, _ in cells]), np.array([c for _, c in cells]),
                 np.asarray(x, float))


def _sheet_loss(eng, ml, name, x) -> float:
    _put(eng, ml, name, x)
    return eng.number(eng.index[name], *ml.loss_cell)


def _objective(eng, ml, name, theta, loss0):
    m = ml.model
    a, b = ml.data_features
    X = numbers(eng, eng.index["data"], (FIRST_ROW, a, ml.last_row, b))[0]
    y = numbers(eng, eng.index[name], (FIRST_ROW, 0, ml.last_row, 0))[0][:, 0]
    other = theta + np.random.default_rng(20261126).normal(0, 0.1, theta.shape)
    with np.errstate(all="ignore"):
        same = _close(loss0, m.loss(X, y, theta))
        if same:  # and at one other point: the same function, not only the same number
            try:
                same = _close(_sheet_loss(eng, ml, name, other), m.loss(X, y, other))
            except (SheetnetError, TypeError, ValueError):
                same = False
            finally:
                _put(eng, ml, name, theta)
    if same and np.isfinite(loss0):
        return (lambda x: m.loss_and_grad(X, y, x)), "description"
    fg = _autograd(eng, ml, name)
    if fg is not None:
        try:  # a formula the gradient path meets only when it runs: refused there, so differences instead
            fg(theta)
            return fg, "autograd"
        except (SheetnetError, EngineError, ValueError, RuntimeError):
            pass
    return (lambda x: _differences(eng, ml, name, x)), "differences"


def _close(a, b) -> bool:
    return bool(np.isfinite(a) and np.isfinite(b) and abs(a - b) <= SAME * max(1.0, abs(b)))


def _autograd(eng, ml, name):
    """d loss / d params through the student's own formulas (the engine's torch path), or None."""
    from ..engine.grad import Differentiable

    try:
        f = Differentiable(eng, ml.params_areas(), [f"{name}!{a1(*ml.loss_cell)}"])
    except SheetnetError:
        return None

    def fg(x):
        v, g = f.value_and_grad(np.asarray(x, float))
        return float(np.ravel(v)[0]), np.asarray(g, float)
    return fg


def _differences(eng, ml, name, x, h: float = 1e-6):
    """The sheet's loss at x and its slope by central differences through the engine (any formulas)."""
    x = np.asarray(x, float)
    f0 = _sheet_loss(eng, ml, name, x)
    g = np.empty_like(x)
    for i in range(x.size):
        step = h * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        g[i] = (_sheet_loss(eng, ml, name, up) - _sheet_loss(eng, ml, name, down)) / (2 * step)
    if not np.isfinite(g).all():
        raise ValueError("the slope is not finite")
    return f0, g


def reference_loss(eng, ml, name: str, theta, reference_params):
    """The student's own sheet's loss at the key's solution Params (a run from the exercise's start): an
    evolutionary solver (LibreOffice's DEPS) may stop off any minimum yet below it, and that is Solver run."""
    if reference_params is None:
        return None
    ref = np.asarray(reference_params, float)
    if ref.shape != np.shape(theta):
        return None
    try:
        with np.errstate(all="ignore"):
            return float(_sheet_loss(eng, ml, name, ref))
    except (SheetnetError, TypeError, ValueError):
        return None
    finally:
        _put(eng, ml, name, theta)


def verdict(rr: Restart, bound: float | None, converged: bool = True, reference: float | None = None):
    """(ok, reason, mistake) for a Solver task from the Solver-like run's numbers: under the bound, and either
    nothing much left for a Solver-like run to take or a loss at least as low as the reference solve's."""
    if bound is not None and not rr.loss <= bound:
        return False, f"the loss {rr.loss:.6f} is above the bound {bound:g}", Mistake(
            "Solver not run", f"Run Solver on this sheet until the loss is at most {bound:g}.",
            "Try Solver again from other starting Params (Multistart).")
    # strictly lower: the solution's own Params pasted onto other features equal the reference, and earn nothing
    beaten = reference is not None and np.isfinite(reference) and rr.loss < reference * (1 - 1e-6)
    if converged and rr.gain > GAIN and not beaten:
        also = f", or a loss at most {reference:.9g}, the exercise's own solve's" if reference is not None else ""
        return False, (f"Solver is not finished: run again from your Params (as Excel's Solver stops) it lowers "
                       f"your loss from {rr.loss:.9g} to {rr.after:.9g}, {rr.gain:.2%} lower (at most {GAIN:.2%} "
                       f"is left by a finished run{also})"), Mistake(
            "Solver stopped early" if rr.gain < 0.05 else "Solver not run",
            "The loss can still go down from these Params: run Solver (again, after any formula you changed).",
            "Data > Solver > Solve, from the Params you have now.")
    return True, "", None
