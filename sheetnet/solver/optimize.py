"""One front door, like scipy.optimize.minimize: Solver's engines mapped onto scipy.

    res = minimize(problem, method="grg", multistart=10, seed=0, callback=print)
    res.x, res.fun, res.nit, res.nfev, res.njev, res.status, res.message, res.history

method: "grg" (GRG Nonlinear: BFGS, L-BFGS-B with bounds, SLSQP with constraints; always exact
gradients), "simplex" (Simplex LP: HiGHS linear programming, after checking the model is linear),
"evolutionary" (differential evolution within bounds), or any scipy.optimize.minimize method name.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from ..errors import SheetnetError
from .bfgs import minimize_bfgs

SOLVER_NAMES = {"grg": "GRG Nonlinear", "simplex": "Simplex LP", "evolutionary": "Evolutionary"}
SCIPY_METHODS = {m.lower(): m for m in ("Nelder-Mead", "Powell", "CG", "BFGS", "Newton-CG", "L-BFGS-B", "TNC", "COBYLA",
                                        "COBYQA", "SLSQP", "trust-constr")}
# Solver's own words for how a run ended
MESSAGES = {
    0: "Solver found a solution. All Constraints and optimality conditions are satisfied.",
    1: "Solver has converged to the current solution. All Constraints are satisfied.",
    2: "Stop chosen when the maximum iteration limit was reached.",
    3: "Stop chosen when the maximum time limit was reached.",
    4: "Solver could not find a feasible solution.",
    5: "The Objective Cell values do not converge.",
    6: "Solver cannot improve the current solution. All Constraints are satisfied.",
}
MAX_ITER_CAP = 100_000


@dataclass
class SolveResult:
    x: np.ndarray
    fun: float  # the objective cell's value at x
    before: float  # ... at the start
    nit: int
    nfev: int
    njev: int
    status: int
    message: str
    method: str  # what ran (scipy's name)
    engine: str  # Solver's engine name
    seconds: float
    history: list = field(default_factory=list)  # objective cell value after each iteration
    starts: list = field(default_factory=list)  # final objective of each start (multistart)
    detail: str = ""  # scipy's own message

    @property
    def success(self) -> bool:
        return self.status in (0, 1, 6)


class _Stop(Exception):
    pass


def _goal(problem):
    """Map the objective cell to a quantity to minimise (Max: negate; Value of: squared distance)."""
    typ, target = problem.model.typ, problem.model.value

    def fg(x):
        v, g = problem.value_and_grad(x)
        if typ == 1:
            return -v, -g
        if typ == 3:
            return (v - target) ** 2, 2 * (v - target) * g
        return v, g
    return fg


class _Reordered:
    """The problem seen with its variables permuted (z = x[order]); results are mapped back."""

    def __init__(self, problem, order):
        self.p, self.order, self.inv = problem, order, np.argsort(order)
        self.model, self.constraints, self.integrality = problem.model, problem.constraints, problem.integrality
        self.n, self.x0 = problem.n, problem.x0[order]
        self.bounds = [problem.bounds[i] for i in order]

    def value(self, z):
        return self.p.value(np.asarray(z)[self.inv])

    def value_and_grad(self, z):
        v, g = self.p.value_and_grad(np.asarray(z)[self.inv])
        return v, g[self.order]


def minimize(problem, method: str | None = None, multistart: int | None = None, seed: int | None = None,
             max_iter: int | None = None, max_time: float | None = None, callback=None, bounds=None,
             tol: float | None = None) -> SolveResult:
    """Solve `problem` (a sheetnet.problem.Problem); the arguments override the workbook's settings."""
    order = getattr(problem, "order", None)
    if order is None or problem.constraints:
        return _minimize(problem, method, multistart, seed, max_iter, max_time, callback, bounds, tol)
    view = _Reordered(problem, order)
    cb = None if callback is None else (lambda k, z, v: callback(k, np.asarray(z)[view.inv], v))
    res = _minimize(view, method, multistart, seed, max_iter, max_time, cb, bounds, tol)
    res.x = res.x[view.inv]
    return res


def _minimize(problem, method: str | None = None, multistart: int | None = None, seed: int | None = None,
             max_iter: int | None = None, max_time: float | None = None, callback=None, bounds=None,
             tol: float | None = None) -> SolveResult:
    model = problem.model
    method = (method or model.engine).strip()
    low = method.lower()
    engine = low if low in SOLVER_NAMES else "grg"
    if low not in SOLVER_NAMES and low not in SCIPY_METHODS:
        raise SheetnetError(f"unknown method {method!r} (grg, simplex, evolutionary, or a scipy method: "
                            f"{', '.join(SCIPY_METHODS.values())})")
    max_iter = min(max_iter or model.max_iter, MAX_ITER_CAP)
    max_time = max_time or model.max_time
    seed = model.seed if seed is None else seed
    box = list(problem.bounds)
    if bounds is not None:
        box = [(max(bounds[0], lo) if lo is not None else bounds[0], min(bounds[1], hi) if hi is not None else bounds[1])
               for lo, hi in box]
    if any(lo is not None and hi is not None and lo > hi for lo, hi in box):
        raise SheetnetError(MESSAGES[4] + " (a variable's lower bound is above its upper bound)")
    before = problem.value(problem.x0)
    if not np.isfinite(before):
        raise SheetnetError(f"objective {model.objective} is not a finite number at the start ({before})")
    import scipy.optimize  # noqa: F401  (loaded before the clock starts: the time is the solve's)
    t0 = time.perf_counter()
    if low == "simplex":
        res = _simplex(problem, box, t0)
    elif low == "evolutionary":
        res = _evolutionary(problem, box, seed, max_iter, max_time, t0, callback)
    else:
        if problem.integrality is not None:
            raise SheetnetError("integer (int/bin) constraints need the Simplex LP or Evolutionary engine "
                                "(--method simplex or --method evolutionary)")
        starts = 1 + max(0, multistart if multistart is not None else (49 if model.multistart else 0))
        rng = np.random.default_rng(seed)
        best, finals = None, []
        for k in range(starts):
            x0 = problem.x0 if k == 0 else _random_start(rng, box, problem.n)
            r = _local(problem, low, box, x0, max_iter, max_time, t0, callback, tol)
            finals.append(r.fun)
            if best is None or _better(problem, r.fun, best.fun):
                best = r
            if r.status == 3:
                break
        best.starts = finals if starts > 1 else []
        res = best
    res.before, res.engine = before, SOLVER_NAMES[engine]
    res.seconds = time.perf_counter() - t0
    problem.value(res.x)  # leave the engine at the answer
    return res


def _better(problem, a, b) -> bool:
    typ, target = problem.model.typ, problem.model.value
    if typ == 1:
        return a > b
    if typ == 3:
        return abs(a - target) < abs(b - target)
    return a < b


def _random_start(rng, box, n):
    """Like the lesson's RAND()-0.5 where a variable is unbounded; uniform within finite bounds."""
    x = rng.uniform(-0.5, 0.5, n)
    for i, (lo, hi) in enumerate(box):
        if lo is not None and hi is not None:
            x[i] = rng.uniform(lo, hi)
        elif lo is not None:
            x[i] = lo + abs(x[i])
        elif hi is not None:
            x[i] = hi - abs(x[i])
    return x


def _local(problem, low, box, x0, max_iter, max_time, t0, callback, tol) -> SolveResult:
    fg = _goal(problem)
    counts = {"f": 0, "g": 0}
    cache = {}

    def fun(x):
        key = x.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = fg(x)
            counts["f"] += 1
            counts["g"] += 1
        return cache[key]

    history = []
    bounded = any(lo is not None or hi is not None for lo, hi in box)
    if low == "grg":
        scipy_method = "SLSQP" if problem.constraints else ("L-BFGS-B" if bounded else "BFGS")
    else:
        scipy_method = SCIPY_METHODS[low]
    no_grad = scipy_method in ("Nelder-Mead", "Powell", "COBYLA", "COBYQA")
    stopped = {"why": None}

    typ = problem.model.typ

    def cb(intermediate_result):
        x = intermediate_result.x if hasattr(intermediate_result, "x") else intermediate_result
        f = getattr(intermediate_result, "fun", None)
        # the objective cell's value: scipy already has it for Min (and, negated, for Max)
        v = f if (f is not None and typ == 2) else -f if (f is not None and typ == 1) else problem.value(x)
        history.append(float(v))
        if callback is not None:
            callback(len(history), np.array(x), v)
        if len(history) >= max_iter:
            stopped["why"] = 2
            raise StopIteration
        if time.perf_counter() - t0 > max_time:
            stopped["why"] = 3
            raise StopIteration

    opts = {"maxiter": max_iter}
    if scipy_method == "BFGS":
        opts["gtol"] = tol or 1e-9
    elif scipy_method == "L-BFGS-B":
        opts.update({"gtol": tol or 1e-10, "ftol": 1e-15, "maxcor": 30})
    elif scipy_method == "SLSQP":
        opts["ftol"] = tol or 1e-12
    kw = dict(method=scipy_method, options=opts, callback=cb)
    if no_grad:
        kw["fun"] = lambda x: fun(x)[0]
    else:
        kw["fun"], kw["jac"] = (lambda x: fun(x)[0]), (lambda x: fun(x)[1])
    if bounded and scipy_method in ("L-BFGS-B", "TNC", "SLSQP", "Powell", "Nelder-Mead", "trust-constr", "COBYLA", "COBYQA"):
        kw["bounds"] = [(lo, hi) for lo, hi in box]
    elif bounded:
        raise SheetnetError(f"method {scipy_method} cannot keep variables within bounds; use grg or L-BFGS-B")
    if problem.constraints:
        if scipy_method not in ("SLSQP", "trust-constr", "COBYLA", "COBYQA"):
            raise SheetnetError(f"method {scipy_method} cannot handle constraints; use grg or SLSQP")
        kw["constraints"] = problem.constraints
    x0c = np.clip(x0, [lo if lo is not None else -np.inf for lo, _ in box],
                  [hi if hi is not None else np.inf for _, hi in box])
    with np.errstate(all="ignore"):
        if scipy_method == "BFGS":  # scipy's BFGS, but the same bits on every machine (bfgs.py)
            r = minimize_bfgs(fun, x0c, gtol=opts["gtol"], maxiter=max_iter,
                              callback=lambda x, f: cb(SimpleNamespace(x=x, fun=f)))
        else:
            from scipy import optimize as so
            r = so.minimize(x0=x0c, **kw)
    x = np.asarray(r.x, float)
    status = _status(r, stopped["why"], problem, x)
    return SolveResult(x=x, fun=problem.value(x), before=np.nan, nit=int(getattr(r, "nit", len(history)) or len(history)),
                       nfev=counts["f"], njev=0 if no_grad else counts["g"], status=status, message=MESSAGES[status],
                       method=scipy_method, engine="", seconds=0.0, history=history, detail=str(r.message))


def _status(r, stopped, problem, x) -> int:
    if stopped:
        return stopped
    if problem.constraints:
        for c in problem.constraints:
            v = c["fun"](x)
            if (c["type"] == "eq" and np.max(np.abs(v)) > 1e-6) or (c["type"] == "ineq" and np.min(v) < -1e-6):
                return 4
    msg = str(r.message).lower()
    if r.success:
        return 0
    if "iteration" in msg and "limit" in msg or "maximum number of iterations" in msg:
        return 2
    if "incompatible" in msg or "infeasible" in msg or "singular matrix c" in msg:
        return 4
    return 1  # precision loss, line search ended: converged to the current solution


def _simplex(problem, box, t0) -> SolveResult:
    x0 = problem.x0
    f0, g0 = _goal(problem)(x0)
    rng = np.random.default_rng(0)
    for _ in range(3):  # Simplex LP: the objective must be linear in the variables
        x = x0 + rng.uniform(-1, 1, problem.n)
        f, _ = _goal(problem)(x)
        if abs(f - (f0 + g0 @ (x - x0))) > 1e-8 * max(1.0, abs(f)):
            raise SheetnetError("The linear conditions required by this LP Solver are not satisfied "
                                "(the objective is not linear in the variables; use --method grg)")
    A_ub, b_ub, A_eq, b_eq = [], [], [], []
    for c in problem.constraints:
        v, J = c["fun"](x0), c["jac"](x0)
        b = J @ x0 - v  # fun = J x - b, linear
        if c["type"] == "ineq":  # J x - b >= 0  ->  -J x <= -b
            A_ub.append(-J)
            b_ub.append(-b)
        else:
            A_eq.append(J)
            b_eq.append(b)
    A_ub = np.vstack(A_ub) if A_ub else None
    b_ub = np.concatenate(b_ub) if b_ub else None
    A_eq = np.vstack(A_eq) if A_eq else None
    b_eq = np.concatenate(b_eq) if b_eq else None
    from scipy import optimize as so
    r = so.linprog(g0, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=box, method="highs",
                   integrality=problem.integrality.astype(int) if problem.integrality is not None else None)
    status = 0 if r.status == 0 else 4 if r.status == 2 else 5 if r.status == 3 else 2 if r.status == 1 else 1
    x = np.asarray(r.x, float) if r.x is not None else x0
    return SolveResult(x=x, fun=problem.value(x), before=np.nan, nit=int(getattr(r, "nit", 0) or 0), nfev=4, njev=4,
                       status=status, message=MESSAGES[status], method="HiGHS (linprog)", engine="", seconds=0.0,
                       detail=str(r.message))


def _evolutionary(problem, box, seed, max_iter, max_time, t0, callback) -> SolveResult:
    if any(lo is None or hi is None for lo, hi in box):
        raise SheetnetError("Evolutionary needs lower and upper bounds on every variable "
                            "(add constraints, or pass --bounds LO,HI)")
    fg = _goal(problem)
    counts = {"f": 0}
    history = []

    def f(x):
        counts["f"] += 1
        return problem.value(x) if problem.model.typ == 2 else fg(x)[0]

    stopped = {"why": None}

    def cb(intermediate_result):
        v = problem.value(intermediate_result.x)
        history.append(v)
        if callback is not None:
            callback(len(history), np.array(intermediate_result.x), v)
        if time.perf_counter() - t0 > max_time:
            stopped["why"] = 3
            raise StopIteration

    from scipy import optimize as so
    cons = []
    for c in problem.constraints:
        lo, hi = (0, np.inf) if c["type"] == "ineq" else (0, 0)
        cons.append(so.NonlinearConstraint(c["fun"], lo, hi))
    r = so.differential_evolution(f, bounds=box, seed=seed, maxiter=min(max_iter, 1000), popsize=15,
                                  callback=cb, polish=False, constraints=cons or (),
                                  integrality=problem.integrality, tol=1e-10)
    x = np.asarray(r.x, float)
    status = stopped["why"] or (6 if r.success else 2)
    return SolveResult(x=x, fun=problem.value(x), before=np.nan, nit=int(r.nit), nfev=counts["f"], njev=0,
                       status=status, message=MESSAGES[status], method="differential_evolution", engine="",
                       seconds=0.0, history=history, detail=str(r.message))
