"""The regression family a linear-model lesson reaches for: SLOPE, INTERCEPT, RSQ, CORREL, PEARSON,
COVARIANCE.S, COVARIANCE.P, FORECAST, TREND and LINEST (with its statistics).

Pairs count where both values are numbers (text, booleans and blanks in ranges are skipped);
arrays of different sizes are #N/A; too few points is #DIV/0!.
"""

from __future__ import annotations

import numpy as np

from ..values import DIV0, ERR, NUM, V, ErrorCode
from .registry import fn
from .text import from_python


def _vec(v: V, k: int):
    kk = k if v.shape[0] > 1 else 0
    return v.types()[kk], v.num[kk], v.objs()[kk]


def _pairs(ys: V, xs: V, k: int):
    ty, ny, oy = _vec(ys, k)
    tx, nx, ox = _vec(xs, k)
    if ty.size != tx.size:
        raise _Bad("#N/A")
    for t, o in ((ty, oy), (tx, ox)):
        if (t == ERR).any():
            raise _Bad(o.ravel()[np.argmax(t.ravel() == ERR)])
    ok = (ty.ravel() == NUM) & (tx.ravel() == NUM)
    return ny.ravel()[ok], nx.ravel()[ok]


class _Bad(Exception):
    def __init__(self, code):
        self.code = code


def _two(args, f, need=2):
    ys, xs = args[0], args[1]
    K = max(ys.shape[0], xs.shape[0])
    out = np.empty((K, 1, 1), object)
    for k in range(K):
        try:
            y, x = _pairs(ys, xs, k)
            out[k, 0, 0] = ErrorCode(DIV0) if len(y) < need else f(y, x)
        except _Bad as e:
            out[k, 0, 0] = ErrorCode(e.code)
    return from_python(out)


def _slope(y, x):
    dx = x - x.mean()
    sxx = float(dx @ dx)
    return ErrorCode(DIV0) if sxx == 0 else float(dx @ (y - y.mean())) / sxx


def _intercept(y, x):
    b = _slope(y, x)
    return b if isinstance(b, ErrorCode) else float(y.mean() - b * x.mean())


def _correl(y, x):
    dx, dy = x - x.mean(), y - y.mean()
    d = float(np.sqrt((dx @ dx) * (dy @ dy)))
    return ErrorCode(DIV0) if d == 0 else float(dx @ dy) / d


@fn("SLOPE", 2, 2, arrays="all")
def f_slope(args):
    return _two(args, _slope)


@fn("INTERCEPT", 2, 2, arrays="all")
def f_intercept(args):
    return _two(args, _intercept)


@fn("CORREL", 2, 2, arrays="all", aliases=("PEARSON",))
def f_correl(args):
    return _two(args, _correl)


@fn("RSQ", 2, 2, arrays="all")
def f_rsq(args):
    return _two(args, lambda y, x: r if isinstance(r := _correl(y, x), ErrorCode) else r * r)


@fn("COVARIANCE.S", 2, 2, arrays="all")
def f_covs(args):
    return _two(args, lambda y, x: float((y - y.mean()) @ (x - x.mean())) / (len(y) - 1))


@fn("COVARIANCE.P", 2, 2, arrays="all", aliases=("COVAR",))
def f_covp(args):
    return _two(args, lambda y, x: float((y - y.mean()) @ (x - x.mean())) / len(y), need=1)


@fn("FORECAST", 3, 3, arrays={1, 2}, aliases=("FORECAST.LINEAR",))
def f_forecast(args):
    x0, ys, xs = args
    K = max(a.shape[0] for a in args)
    out = np.empty((K, 1, 1), object)
    for k in range(K):
        t, n, o = _vec(x0, k)
        if t[0, 0] == ERR:
            out[k, 0, 0] = ErrorCode(o[0, 0])
            continue
        try:
            y, x = _pairs(ys, xs, k)
            if len(y) < 2:  # (no line through fewer than two points; and no mean of none)
                out[k, 0, 0] = ErrorCode(DIV0)
                continue
            a, b = _intercept(y, x), _slope(y, x)
            out[k, 0, 0] = a if isinstance(a, ErrorCode) else a + b * float(n[0, 0])
        except _Bad as e:
            out[k, 0, 0] = ErrorCode(e.code)
    return from_python(out)


def _design(ys: V, xs: V | None):
    """(y (n,), X (n, p), the x block's orientation) for TREND and LINEST, one formula cell."""
    ty, ny, _ = _vec(ys, 0)
    if (ty != NUM).any():
        raise _Bad("#VALUE!")
    y = ny.ravel()
    if xs is None:
        return y, np.arange(1, y.size + 1, dtype=float)[:, None], "col"
    tx, nx, _ = _vec(xs, 0)
    if (tx != NUM).any():
        raise _Bad("#VALUE!")
    h, w = nx.shape
    if nx.size == y.size:
        return y, nx.reshape(-1, 1), "col"
    if ny.shape[1] == 1 and h == y.size:  # y a column: each column of xs is a variable
        return y, nx, "col"
    if ny.shape[0] == 1 and w == y.size:
        return y, nx.T, "row"
    raise _Bad("#REF!")


def _fit(y, X, const: bool):
    A = np.column_stack([X, np.ones(len(y))]) if const else X
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return coef


def _flag(v, default=True):
    if v is None:
        return default
    return bool(v.num.ravel()[0]) if (v.types().ravel()[0] != ERR) else default


@fn("TREND", 1, 4, arrays="all", keep_omitted=True)
def f_trend(args):
    args = list(args) + [None] * (4 - len(args))
    ys, xs, new, const = args
    try:
        y, X, how = _design(ys, xs)
        c = _flag(const)
        coef = _fit(y, X, c)
        if new is None:
            Xn, shape = X, ys.shape[1:]
        else:
            nn = new.num[0]
            Xn = nn.reshape(-1, X.shape[1]) if X.shape[1] > 1 and how == "col" else \
                nn.T.reshape(-1, X.shape[1]) if X.shape[1] > 1 else nn.reshape(-1, 1)
            shape = nn.shape if X.shape[1] == 1 else ((Xn.shape[0], 1) if how == "col" else (1, Xn.shape[0]))
        pred = Xn @ coef[:X.shape[1]] + (coef[-1] if c else 0.0)
        return V(pred.reshape((1,) + tuple(shape)))
    except _Bad as e:
        return V.errors((1, 1, 1), e.code)


@fn("LINEST", 1, 4, arrays="all", keep_omitted=True)
def f_linest(args):
    """Coefficients last variable first, then the intercept; with stats, Excel's five rows."""
    args = list(args) + [None] * (4 - len(args))
    ys, xs, const, stats = args
    try:
        y, X, _ = _design(ys, xs)
    except _Bad as e:
        return V.errors((1, 1, 1), e.code)
    c = _flag(const)
    n, p = X.shape
    coef = _fit(y, X, c)
    slopes = coef[:p][::-1]
    b = coef[p] if c else 0.0
    row1 = np.concatenate([slopes, [b]])
    if not _flag(stats, False):
        return V(row1.reshape(1, 1, -1))
    A = np.column_stack([X, np.ones(n)]) if c else X
    pred = A @ coef
    resid = y - pred
    df = n - p - (1 if c else 0)
    ssresid = float(resid @ resid)
    ssreg = float(((pred - y.mean()) @ (pred - y.mean())) if c else pred @ pred)
    sstot = ssreg + ssresid
    r2 = ssreg / sstot if sstot else 1.0
    sey = np.sqrt(ssresid / df) if df > 0 else np.nan
    cov = np.linalg.pinv(A.T @ A) * (sey ** 2) if df > 0 else np.full((A.shape[1],) * 2, np.nan)
    se = np.sqrt(np.diag(cov))
    se_row = np.concatenate([se[:p][::-1], [se[p] if c else np.nan]])
    F = (ssreg / p) / (ssresid / df) if df > 0 and ssresid > 0 else np.nan
    width = p + 1
    block = np.full((5, width), np.nan)
    block[0], block[1] = row1, se_row
    block[2, :2], block[3, :2], block[4, :2] = [r2, sey], [F, df], [ssreg, ssresid]
    typ = np.where(np.isnan(block), ERR, NUM).astype(np.uint8)
    obj = np.where(np.isnan(block), "#N/A", None).astype(object)
    return V(block[None], typ[None], obj[None])


def _logged(ys: V) -> V:
    """ln of y's values (LOGEST and GROWTH fit ln y); a value of 0 or below is #NUM!."""
    typ = ys.types()
    bad = (typ == NUM) & (ys.num <= 0)
    if bad.any():
        raise _Bad("#NUM!")
    with np.errstate(all="ignore"):
        return V(np.where(typ == NUM, np.log(np.where(typ == NUM, ys.num, 1.0)), ys.num), ys.typ, ys.obj)


@fn("GROWTH", 1, 4, arrays="all", keep_omitted=True)
def f_growth(args):
    args = list(args) + [None] * (4 - len(args))
    try:
        fitted = f_trend([_logged(args[0])] + args[1:])
    except _Bad as e:
        return V.errors((1, 1, 1), e.code)
    with np.errstate(all="ignore"):
        return V(np.exp(fitted.num), fitted.typ, fitted.obj)


@fn("LOGEST", 1, 4, arrays="all", keep_omitted=True)
def f_logest(args):
    """LINEST of ln y, its first row (the factors and the constant) raised back: e^m, e^b."""
    args = list(args) + [None] * (4 - len(args))
    try:
        out = f_linest([_logged(args[0])] + args[1:])
    except _Bad as e:
        return V.errors((1, 1, 1), e.code)
    num = out.num.copy()
    with np.errstate(all="ignore"):
        num[:, 0, :] = np.exp(num[:, 0, :])
    return V(num, out.typ, out.obj)
