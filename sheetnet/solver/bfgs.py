"""BFGS that gives the same bits on every machine.

scipy's BFGS computes its search direction and line-search slopes with BLAS (``np.dot``), whose
kernels differ by processor (OpenBLAS picks Haswell, SkylakeX or Zen code; numpy its own SIMD): the
last bits of each step differ, and on a net with ReLU kinks a multistart then ends in a different
local optimum on another machine.  This is scipy's algorithm (same updates, same stopping rules,
same MINPACK line search, whose scalar code is shared with scipy) with every vector reduction made
by element-wise products and numpy's fixed-order pairwise sums, which no BLAS or CPU feature touches.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..numerics import dot, matmul


def matvec(H, v):
    """H @ v, each row summed in a fixed order (no BLAS)."""
    return np.add.reduce(H * v[np.newaxis, :], axis=1)


def norm2(v) -> float:
    return math.sqrt(dot(v, v))


@dataclass
class BfgsResult:
    x: np.ndarray
    fun: float
    nit: int
    success: bool
    status: int
    message: str


MESSAGES = {0: "Optimization terminated successfully.",
            1: "Maximum number of iterations has been exceeded.",
            2: "Desired error not necessarily achieved due to precision loss.",
            3: "NaN result encountered."}


def _line_search(fg, xk, pk, gfk, old_fval, old_old_fval):
    """scipy's line_search_wolfe1 (MINPACK's DCSRCH), then wolfe2 if it fails; slopes by `dot`."""
    from scipy.optimize._linesearch import scalar_search_wolfe1, scalar_search_wolfe2

    last = {"g": None}

    def phi(s):
        return fg(xk + s * pk)[0]

    def derphi(s):
        last["g"] = fg(xk + s * pk)[1]
        return dot(last["g"], pk)

    derphi0 = dot(gfk, pk)
    stp, fval, old_fval2 = scalar_search_wolfe1(phi, derphi, old_fval, old_old_fval, derphi0,
                                                c1=1e-4, c2=0.9, amax=1e100, amin=1e-100)
    if stp is not None:
        return stp, fval, old_fval2, last["g"]
    last["g"] = None
    with warnings.catch_warnings():  # as scipy: a failed fallback ends the run, with its own message
        warnings.simplefilter("ignore")
        stp, fval, old_fval2, slope = scalar_search_wolfe2(phi, derphi, old_fval, old_old_fval, derphi0,
                                                           c1=1e-4, c2=0.9, amax=None)
    if stp is None or slope is None:
        return None, None, None, None
    return stp, fval, old_fval2, last["g"]


def minimize_bfgs(fg, x0, gtol=1e-5, maxiter=None, xrtol=0.0, callback=None) -> BfgsResult:
    """Minimise f from x0; fg(x) -> (f, gradient).  callback(x, f) may raise StopIteration."""
    xk = np.array(x0, float).reshape(-1)
    n = len(xk)
    maxiter = n * 200 if maxiter is None else maxiter
    old_fval, gfk = fg(xk)
    gfk = np.asarray(gfk, float)
    identity = np.eye(n)
    Hk = identity.copy()
    old_old_fval = old_fval + norm2(gfk) / 2
    k, warn = 0, 0
    gnorm = float(np.max(np.abs(gfk))) if n else 0.0
    while gnorm > gtol and k < maxiter:
        pk = -matvec(Hk, gfk)
        alpha, fval, prev, gnew = _line_search(fg, xk, pk, gfk, old_fval, old_old_fval)
        if alpha is None:
            warn = 2
            break
        old_fval, old_old_fval = fval, prev
        sk = alpha * pk
        xk = xk + sk
        if gnew is None:
            gnew = np.asarray(fg(xk)[1], float)
        yk = gnew - gfk
        gfk = gnew
        k += 1
        if callback is not None:
            try:
                callback(xk, old_fval)
            except StopIteration:
                break
        gnorm = float(np.max(np.abs(gfk)))
        if gnorm <= gtol:
            break
        if alpha * norm2(pk) <= xrtol * (xrtol + norm2(xk)):
            break
        if not np.isfinite(old_fval):
            warn = 2
            break
        rhok_inv = dot(yk, sk)
        rhok = 1000.0 if rhok_inv == 0.0 else 1.0 / rhok_inv
        A1 = identity - sk[:, np.newaxis] * yk[np.newaxis, :] * rhok
        A2 = identity - yk[:, np.newaxis] * sk[np.newaxis, :] * rhok
        Hk = matmul(A1, matmul(Hk, A2)) + (rhok * sk[:, np.newaxis] * sk[np.newaxis, :])
    if warn == 0 and k >= maxiter:
        warn = 1
    elif warn == 0 and (np.isnan(gnorm) or np.isnan(old_fval) or np.isnan(xk).any()):
        warn = 3
    return BfgsResult(x=xk, fun=float(old_fval), nit=k, success=warn == 0, status=warn, message=MESSAGES[warn])
