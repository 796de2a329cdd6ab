"""Money: annuities (PV, FV, PMT, NPER, RATE, IPMT, PPMT, CUMIPMT, CUMPRINC, ISPMT), cash flows (NPV,
XNPV, IRR, XIRR, MIRR, FVSCHEDULE), depreciation (SLN, SYD, DB, DDB, VDB) and rates (EFFECT, NOMINAL,
PDURATION, RRI), with Excel's sign convention: money paid out is negative."""

from __future__ import annotations

import math

import numpy as np

from ..values import EngineError, finish, first_error, to_number
from .aggregate import cell_result, values_per_cell
from .mathfn import REQUIRED, numeric
from .registry import fn
from .samples import pairs, scalar_arg

R = REQUIRED


def _growth(r, n):
    return (1 + r) ** n


def fv(r, n, pmt, pv, t):
    t = t != 0
    g = _growth(r, n)
    return np.where(r == 0, -(pv + pmt * n), -(pv * g + pmt * (1 + r * t) * (g - 1) / np.where(r == 0, 1, r)))


def pv(r, n, pmt, fv_, t):
    t = t != 0
    g = _growth(r, n)
    return np.where(r == 0, -(pmt * n + fv_), -(fv_ + pmt * (1 + r * t) * (g - 1) / np.where(r == 0, 1, r)) / g)


def pmt(r, n, pv_, fv_, t):
    t = t != 0
    g = _growth(r, n)
    return np.where(r == 0, -(pv_ + fv_) / n, -r * (pv_ * g + fv_) / ((1 + r * t) * (g - 1)))


def nper(r, pmt_, pv_, fv_, t):
    t = t != 0
    a = pmt_ * (1 + r * t)
    return np.where(r == 0, -(pv_ + fv_) / pmt_, np.log((a - fv_ * r) / (a + pv_ * r)) / np.log1p(r))


def ipmt(r, per, n, pv_, fv_, t):
    ok = (per >= 1) & (per <= n)
    p = pmt(r, n, pv_, fv_, t)
    i = fv(r, per - 1, p, pv_, t) * r
    i = np.where(t != 0, np.where(per == 1, 0.0, i / (1 + r)), i)
    return np.where(ok, i, np.nan)


def ppmt(r, per, n, pv_, fv_, t):
    return pmt(r, n, pv_, fv_, t) - ipmt(r, per, n, pv_, fv_, t)


def _rate_one(n, p, v, f, t, guess):
    """RATE by Newton's method on the annuity equation (to 1e-12, at most 100 steps); nan if it does not settle."""
    def g(r):
        if not r > -1:  # (1 + r) ** n is not a real number below -100%
            return np.nan
        if r == 0:
            return v + p * n + f
        growth = np.expm1(n * np.log1p(r))  # (1 + r) ** n - 1, exact near r = 0 (no cancellation)
        return v * (growth + 1) + p * (1 + r * t) * growth / r + f
    r = guess
    for _ in range(100):
        h = 1e-7 * max(1.0, abs(r))
        y = g(r)
        d = (g(r + h) - g(r - h)) / (2 * h)
        if not np.isfinite(y) or d == 0 or not np.isfinite(d):
            return np.nan
        step = y / d
        r -= step
        if r <= -1:
            return np.nan
        if abs(step) < 1e-12 * max(1.0, abs(r)):
            return r
    return np.nan


def rate(n, p, v, f, t, guess):
    out = np.vectorize(_rate_one, otypes=[float])(n, p, v, f, (t != 0).astype(float), guess)
    return np.where(n > 0, out, np.nan)


def cum(which):
    def f(r, n, v, start, end, t):
        n, start, end = np.trunc(n), np.trunc(start), np.trunc(end)
        ok = (r > 0) & (n > 0) & (v > 0) & (start >= 1) & (end >= start) & (end <= n) & ((t == 0) | (t == 1))
        top = int(np.nanmax(np.where(ok, end, 0))) if np.any(ok) else 0
        acc = np.zeros(np.broadcast(r, n, v, start, end, t).shape)
        for per in range(1, top + 1):
            inside = (per >= start) & (per <= end)
            x = ipmt(r, per, n, v, 0.0, t) if which == "i" else ppmt(r, per, n, v, 0.0, t)
            acc = acc + np.where(inside & ok, np.nan_to_num(x), 0.0)
        return np.where(ok, acc, np.nan)
    return f


def ddb(cost, salvage, life, period, factor):
    """Double-declining balance for one period, fractional periods too: cost*rate*(1-rate)^(period-1), never
    below the salvage (LibreOffice's closed form; Excel documents the same rule for whole periods)."""
    ok = (cost >= 0) & (salvage >= 0) & (salvage <= cost) & (life > 0) & (period >= 1) & (period <= life) & \
        (factor > 0)
    rate = np.minimum(factor / np.where(life > 0, life, 1), 1.0)
    old = np.where(rate >= 1, np.where(period == 1, cost, 0.0), cost * (1 - rate) ** (period - 1))
    new = cost * (1 - rate) ** period
    out = np.maximum(np.where(new < salvage, old - salvage, old - new), 0.0)
    return np.where(ok, out, np.nan)


def db(cost, salvage, life, period, month):
    life, period, month = np.trunc(life), np.trunc(period), np.trunc(month)
    ok = (cost >= 0) & (salvage >= 0) & (salvage <= cost) & (life > 0) & (period >= 1) & (month >= 1) & \
        (month <= 12) & (period <= life + (month < 12))  # (salvage above cost: LibreOffice's #NUM!)
    with np.errstate(all="ignore"):
        r = np.round(1 - (salvage / cost) ** (1 / life), 3)
    top = int(np.nanmax(np.where(ok, period, 0))) if np.any(ok) else 0
    total = np.zeros(np.broadcast(cost, salvage, life, period, month).shape)
    out = np.zeros_like(total)
    for p in range(1, top + 1):
        d = np.where(p == 1, cost * r * month / 12,
                     np.where(p == life + 1, (cost - total) * r * (12 - month) / 12, (cost - total) * r))
        out = np.where(p == period, d, out)
        total = total + d
    return np.where(ok & (cost > 0), out, np.where(ok, 0.0, np.nan))


numeric("PV", 3, 5, pv, defaults=(R, R, R, 0.0, 0.0))
numeric("FV", 3, 5, fv, defaults=(R, R, R, 0.0, 0.0))
numeric("PMT", 3, 5, pmt, defaults=(R, R, R, 0.0, 0.0))
numeric("NPER", 3, 5, nper, defaults=(R, R, R, 0.0, 0.0))
numeric("IPMT", 4, 6, ipmt, defaults=(R, R, R, R, 0.0, 0.0))
numeric("PPMT", 4, 6, ppmt, defaults=(R, R, R, R, 0.0, 0.0))
numeric("RATE", 3, 6, rate, defaults=(R, R, R, 0.0, 0.0, 0.1))
numeric("CUMIPMT", 6, 6, cum("i"))
numeric("CUMPRINC", 6, 6, cum("p"))
numeric("ISPMT", 4, 4, lambda r, per, n, v: np.where(n != 0, v * r * (per / n - 1), np.inf))
numeric("SLN", 3, 3, lambda c, s, life: (np.where(life != 0, (c - s) / np.where(life == 0, 1, life), np.inf),
                                          life == 0))
numeric("SYD", 4, 4, lambda c, s, life, per: np.where((life > 0) & (per > 0) & (per <= life) & (s >= 0),
                                                      (c - s) * (life - per + 1) * 2 / (life * (life + 1)), np.nan))
numeric("DDB", 4, 5, ddb, defaults=(R, R, R, R, 2.0))
numeric("DB", 4, 5, db, defaults=(R, R, R, R, 12.0))
numeric("EFFECT", 2, 2, lambda x, n: np.where((x > 0) & (np.trunc(n) >= 1), (1 + x / np.trunc(n)) ** np.trunc(n) - 1,
                                               np.nan))
numeric("NOMINAL", 2, 2, lambda x, n: np.where((x > 0) & (np.trunc(n) >= 1),
                                                np.trunc(n) * ((1 + x) ** (1 / np.trunc(n)) - 1), np.nan))
numeric("PDURATION", 3, 3, lambda r, v, f: np.where((r > 0) & (v > 0) & (f > 0), (np.log(f) - np.log(v)) / np.log1p(r),
                                                     np.nan))
numeric("RRI", 3, 3, lambda n, v, f: np.where((n > 0), (f / v) ** (1 / n) - 1, np.nan))


# ---- cash flows ---------------------------------------------------------------------------------

def _scalars(v):
    return scalar_arg([v], 0)


def _one_way(args):
    """Cash flows are read in order: a block of several rows and columns has two orders (LibreOffice reads it
    by columns); refused rather than guessed."""
    for a in args:
        if a is not None and a.shape[1] > 1 and a.shape[2] > 1:
            raise EngineError("cash flows in a block of several rows and columns: the order they are read in is "
                              "not certain; give one row or one column")


@fn("NPV", 2, 255, arrays="all")
def f_npv(args):
    _one_way(args[1:])
    r, er = _scalars(args[0])
    K0, cells, err = values_per_cell(args[1:])
    K = max(K0, r.shape[0])
    out = np.empty(K)
    for k in range(K):
        x = cells[k if K0 > 1 else 0]
        rk = r[k if r.shape[0] > 1 else 0]
        out[k] = np.sum(x / (1 + rk) ** np.arange(1, len(x) + 1)) if rk != -1 else np.inf
    return cell_result(out, first_error(None if er is None else np.broadcast_to(er, (K,)),
                                        None if err is None else np.broadcast_to(err, (K,))), np.isinf(out))


def _solve(f, guess):
    """A root of f near guess by Newton's method with a numeric slope (Excel: #NUM! when none is found)."""
    r = guess
    for _ in range(200):
        h = 1e-7 * max(1.0, abs(r))
        y = f(r)
        d = (f(r + h) - f(r - h)) / (2 * h)
        if not (np.isfinite(y) and np.isfinite(d)) or d == 0:
            return np.nan
        step = y / d
        r -= step
        if r <= -1:
            r = (r + step - 1) / 2  # stay above -100%
        if abs(step) < 1e-12 * max(1.0, abs(r)):
            return r if abs(f(r)) < 1e-6 * max(1.0, np.max(np.abs([f(guess)]))) else np.nan
    return np.nan


@fn("IRR", 1, 2, arrays={0})
def f_irr(args):
    _one_way(args[:1])
    K0, cells, err = values_per_cell(args[:1])
    g, eg = _scalars(args[1]) if len(args) > 1 and args[1] is not None else (np.array([0.1]), None)
    K = max(K0, g.shape[0])
    out = np.empty(K)
    for k in range(K):
        x = cells[k if K0 > 1 else 0]
        if not (np.any(x > 0) and np.any(x < 0)):
            out[k] = np.nan
            continue
        t = np.arange(len(x))
        out[k] = _solve(lambda r: np.sum(x / (1 + r) ** t), g[k if g.shape[0] > 1 else 0])
    return cell_result(out, first_error(None if err is None else np.broadcast_to(err, (K,)),
                                        None if eg is None else np.broadcast_to(eg, (K,))))


@fn("XNPV", 3, 3, arrays={1, 2})
def f_xnpv(args):
    r, er = _scalars(args[0])
    K = max(r.shape[0], args[1].shape[0], args[2].shape[0])
    out = np.empty(K)
    for k in range(K):
        p = pairs(args[1], args[2], k)
        rk = r[k if r.shape[0] > 1 else 0]
        if p is None or len(p[0]) == 0 or np.any(np.trunc(p[1]) < np.trunc(p[1][0])):
            out[k] = np.nan
            continue
        v, d = p
        out[k] = np.sum(v / (1 + rk) ** ((np.trunc(d) - np.trunc(d[0])) / 365.0))
    return cell_result(out, None if er is None else np.broadcast_to(er, (K,)))


@fn("XIRR", 2, 3, arrays={0, 1})
def f_xirr(args):
    g, eg = _scalars(args[2]) if len(args) > 2 and args[2] is not None else (np.array([0.1]), None)
    K = max(args[0].shape[0], args[1].shape[0], g.shape[0])
    out = np.empty(K)
    for k in range(K):
        p = pairs(args[0], args[1], k)
        if p is None or not (np.any(p[0] > 0) and np.any(p[0] < 0)) or np.any(np.trunc(p[1]) < np.trunc(p[1][0])):
            out[k] = np.nan
            continue
        v, d = p
        years = (np.trunc(d) - np.trunc(d[0])) / 365.0
        out[k] = _solve(lambda r: np.sum(v / (1 + r) ** years), g[k if g.shape[0] > 1 else 0])
    return cell_result(out, None if eg is None else np.broadcast_to(eg, (K,)))


@fn("MIRR", 3, 3, arrays={0})
def f_mirr(args):
    _one_way(args[:1])
    K0, cells, err = values_per_cell(args[:1])
    (fr, ef), (rr, erw) = _scalars(args[1]), _scalars(args[2])
    K = max(K0, fr.shape[0], rr.shape[0])
    out, div0 = np.empty(K), np.zeros(K, bool)
    for k in range(K):
        x = cells[k if K0 > 1 else 0]
        f, r = fr[k if fr.shape[0] > 1 else 0], rr[k if rr.shape[0] > 1 else 0]
        n = len(x)
        t = np.arange(n)
        pos = np.sum(np.where(x > 0, x, 0) * (1 + r) ** (n - 1 - t))
        neg = np.sum(np.where(x < 0, x, 0) / (1 + f) ** t)
        if neg == 0 or pos == 0 or n < 2:
            out[k], div0[k] = np.nan, True
            continue
        out[k] = (-pos / neg) ** (1 / (n - 1)) - 1
    errs = [None if e is None else np.broadcast_to(e, (K,)) for e in (err, ef, erw)]
    return cell_result(out, first_error(*errs), div0)


@fn("FVSCHEDULE", 2, 2, arrays={1})
def f_fvschedule(args):
    p, ep = _scalars(args[0])
    K0, cells, err = values_per_cell(args[1:2])
    K = max(K0, p.shape[0])
    out = np.array([p[k if p.shape[0] > 1 else 0] * np.prod(1 + cells[k if K0 > 1 else 0]) for k in range(K)])
    return cell_result(out, first_error(None if ep is None else np.broadcast_to(ep, (K,)),
                                        None if err is None else np.broadcast_to(err, (K,))))


def _vdb_one(cost, salvage, life, start, end, factor, no_switch):
    """Excel's VDB: declining balance from `start` to `end` (fractional periods), switching to straight
    line when that is larger (unless no_switch)."""
    if not (cost >= 0 and 0 <= salvage <= cost and life > 0 and 0 <= start <= end <= life and factor > 0):
        return np.nan
    total, book, switched, sl = 0.0, cost, False, 0.0
    p = 0
    while p < math.ceil(end):
        ddb = book * factor / life
        if not switched and not no_switch:
            left = life - p
            line = (book - salvage) / left if left > 0 else 0.0
            if line > ddb:
                switched, sl = True, line
        d = sl if switched else ddb
        d = max(min(d, book - salvage), 0.0)
        lo, hi = max(start, p), min(end, p + 1)
        if hi > lo:
            total += d * (hi - lo)
        book -= d
        p += 1
    return total


@fn("VDB", 5, 7)
def f_vdb(args):
    args = list(args) + [None] * (7 - len(args))
    nums, errs = [], []
    for i, a in enumerate(args):
        if a is None:
            nums.append(np.full((1, 1, 1), 2.0 if i == 5 else 0.0))
        else:
            n, e = to_number(a)
            nums.append(n)
            errs.append(e)
    out = np.vectorize(lambda *x: _vdb_one(*x[:6], x[6] != 0), otypes=[float])(*nums)
    return finish(np.asarray(out, float), first_error(*errs))
