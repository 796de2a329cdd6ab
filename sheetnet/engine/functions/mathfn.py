"""Numbers in, numbers out, element by element (and MMULT, TRANSPOSE, the random numbers)."""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Context, Decimal

import numpy as np

from ...numerics import exp, ln, log10, matmul, tanh
from ..values import DIV0, NUMERR, VALUE, EngineError, V, finish, first_error, to_number, with_errors
from .aggregate import first_error_per_cell
from .registry import fn


class _Special:
    """scipy.special, imported on first use (it takes a noticeable part of a second)."""

    def __getattr__(self, name):
        from scipy import special as sp
        return getattr(sp, name)


special = _Special()
_SQRT_2PI = math.sqrt(2 * math.pi)


def norm_cdf(x, m=0.0, s=1.0):
    return special.ndtr((x - m) / s)


def norm_pdf(x, m=0.0, s=1.0):
    z = (x - m) / s
    return np.exp(-z ** 2 / 2.0) / _SQRT_2PI / s


def norm_ppf(p, m=0.0, s=1.0):
    return special.ndtri(p) * s + m


def _num(v, default=None):
    """(numbers, errors) of an argument; an omitted one is `default` (or 0)."""
    if v is None:
        return np.full((1, 1, 1), 0.0 if default is None else float(default)), None
    return to_number(v)


def unary(name, f, domain=None, aliases=()):
    @fn(name, 1, 1, aliases=aliases)
    def impl(args):
        n, err = _num(args[0])
        with np.errstate(all="ignore"):
            out = f(n)
        if domain is not None:
            out = np.where(domain(n), out, np.nan)
        return finish(out, err)
    return impl


def binary(name, f, div0=None, defaults=(None, None), lo=2):
    @fn(name, lo, 2)
    def impl(args):
        args = list(args) + [None] * (2 - len(args))
        (a, ea), (b, eb) = _num(args[0], defaults[0]), _num(args[1], defaults[1])
        with np.errstate(all="ignore"):
            out = f(a, b)
        return finish(np.asarray(out, float), first_error(ea, eb), None if div0 is None else div0(a, b))
    return impl


REQUIRED = object()  # an argument with no default


def numeric(name, lo, hi, f, defaults=(), aliases=()):
    """Register f(*numbers) -> numbers as a function of lo..hi arguments (omitted ones: their default)."""
    @fn(name, lo, hi, aliases=aliases)
    def impl(args):
        args = list(args) + [None] * (hi - len(args))
        nums, errs = [], []
        for i, a in enumerate(args):
            if a is None:
                d = defaults[i] if i < len(defaults) else 0.0
                nums.append(np.full((1, 1, 1), np.nan if d is REQUIRED else float(d)))
            else:
                n, e = to_number(a)
                nums.append(n)
                errs.append(e)
        with np.errstate(all="ignore"):
            out = f(*nums)
        div0 = None
        if isinstance(out, tuple):  # (values, where a division by zero is the error)
            out, div0 = out
        return finish(np.asarray(out, float), first_error(*errs), div0)
    return impl


def power(a, b):
    with np.errstate(all="ignore"):
        out = np.power(a, b)
    return np.where((a == 0) & (b == 0), np.nan, out)


unary("ABS", np.abs)
unary("SQRT", np.sqrt, lambda x: x >= 0)
unary("EXP", exp)
unary("LN", ln, lambda x: x > 0)
unary("LOG10", log10, lambda x: x > 0)
unary("TANH", tanh)
unary("SINH", np.sinh)
unary("COSH", np.cosh)
unary("INT", np.floor)
unary("SIGN", np.sign)
unary("SIN", np.sin, lambda x: np.abs(x) < 2 ** 27)
unary("COS", np.cos, lambda x: np.abs(x) < 2 ** 27)
unary("TAN", np.tan, lambda x: np.abs(x) < 2 ** 27)
unary("ATAN", np.arctan)
unary("ASIN", np.arcsin, lambda x: np.abs(x) <= 1)
unary("ACOS", np.arccos, lambda x: np.abs(x) <= 1)
unary("DEGREES", np.degrees)
unary("RADIANS", np.radians)
unary("ERF", lambda x: special.erf(x), aliases=("ERF.PRECISE",))
unary("ERFC", lambda x: special.erfc(x), aliases=("ERFC.PRECISE",))
unary("GAMMALN", lambda x: special.gammaln(x), lambda x: x > 0, aliases=("GAMMALN.PRECISE",))
unary("FACT", lambda x: special.factorial(np.floor(x), exact=False), lambda x: (x >= 0) & (x < 171))
unary("EVEN", lambda x: np.sign(x) * np.ceil(np.abs(x) / 2) * 2)
unary("ODD", lambda x: np.where(x == 0, 1.0, np.sign(x) * (np.ceil((np.abs(x) + 1) / 2) * 2 - 1)))
unary("NORM.S.DIST.PDF", norm_pdf)
binary("POWER", power, div0=lambda a, b: (a == 0) & (b < 0))
binary("MOD", lambda a, b: a - b * np.floor(a / b), div0=lambda a, b: b == 0)
binary("ATAN2", lambda x, y: np.where((x == 0) & (y == 0), np.nan, np.arctan2(y, x)),
       div0=lambda x, y: (x == 0) & (y == 0))
binary("COMBIN", lambda n, k: np.where((np.floor(k) <= np.floor(n)) & (k >= 0),
                                       np.round(special.comb(np.floor(n), np.floor(k))), np.nan))
binary("QUOTIENT", lambda a, b: np.trunc(a / b), div0=lambda a, b: b == 0)


@fn("PI", 0, 0)
def f_pi(args):
    return V(np.full((1, 1, 1), math.pi))


@fn("LOG", 1, 2)
def f_log(args):
    x, ex = to_number(args[0])
    b, eb = _num(args[1]) if len(args) > 1 else (np.full((1, 1, 1), 10.0), None)  # LOG(x,) has base 0
    with np.errstate(all="ignore"):
        out = np.where((x > 0) & (b > 0) & (b != 1), np.log(x) / np.log(b), np.nan)
    return finish(out, first_error(ex, eb), b == 1)


_DIGITS = Context(prec=700)  # (1E+300 to 1 decimal is 302 digits, past the default context's 28)


def _decimal_round(mode):
    def r(x, nd):
        if not math.isfinite(x) or not math.isfinite(nd) or abs(nd) >= 300:  # (a NaN digits carries its error)
            return x
        q = Decimal(1).scaleb(-int(nd))
        return float(Decimal(repr(x)).quantize(q, rounding=mode, context=_DIGITS))
    return np.frompyfunc(r, 2, 1)


_ROUNDS = {"ROUND": _decimal_round(ROUND_HALF_UP), "ROUNDUP": _decimal_round(ROUND_UP),
           "ROUNDDOWN": _decimal_round(ROUND_DOWN)}


def _round(name):
    @fn(name, 1 if name == "TRUNC" else 2, 2)
    def impl(args):
        x, ex = to_number(args[0])
        d, ed = _num(args[1] if len(args) > 1 else None)
        xb, db = np.broadcast_arrays(x, np.trunc(d))
        out = _ROUNDS["ROUNDDOWN" if name == "TRUNC" else name](xb, db).astype(float)
        return finish(out, first_error(ex, ed))
    return impl


for _name in ("ROUND", "ROUNDUP", "ROUNDDOWN", "TRUNC"):
    _round(_name)


def _multiple(name, up):
    """FLOOR and CEILING as Excel has them: x/s rounded down (up) times s; a positive number with a
    negative significance is #NUM!; a significance of 0 is #DIV/0! for FLOOR and 0 for CEILING."""
    @fn(name, 2, 2)
    def impl(args):
        x, ex = to_number(args[0])
        s, es = _num(args[1])
        with np.errstate(all="ignore"):
            q = x / s
            near = np.round(q)
            q = np.where(np.abs(q - near) <= 1e-12 * np.maximum(1.0, np.abs(q)), near, q)
            out = (np.ceil(q) if up else np.floor(q)) * s
        out = np.where(s == 0, 0.0 if up else np.nan, out)
        out = np.where((x > 0) & (s < 0), np.nan, out)
        return finish(out, first_error(ex, es), None if up else (s == 0))
    return impl


_multiple("FLOOR", False)
_multiple("CEILING", True)


@fn("MMULT", 2, 2, arrays="all", inner_array=True)
def f_mmult(args):
    a, b = args
    if a.shape[2] != b.shape[1]:
        K = max(a.shape[0], b.shape[0])
        return V.errors((K, 1, 1), VALUE)
    bad = []
    for v in (a, b):
        if v.typ is not None:
            bad.append((v.typ != 1).reshape(v.shape[0], -1).any(axis=1))
    with np.errstate(all="ignore"):  # (an overflow is finish()'s #NUM!, not a warning)
        out = matmul(a.num, b.num)
    if bad:
        anybad = np.broadcast_to(sum(np.broadcast_to(x, (out.shape[0],)).astype(int) for x in bad) > 0,
                                 (out.shape[0],))
        if anybad.any():  # a cell's first error (array1's, then array2's), else #VALUE! (text, a blank, a boolean)
            K = out.shape[0]
            err = first_error(*[None if e is None else np.broadcast_to(e, (K,)) for e in map(first_error_per_cell, (a, b))])
            code = np.where(anybad, VALUE, None) if err is None else np.where(err != None, err, np.where(anybad, VALUE, None))  # noqa: E711
            return with_errors(V(np.where(anybad[:, None, None], np.nan, out)),
                               np.broadcast_to(code[:, None, None], out.shape))
    return finish(out, None)


@fn("TRANSPOSE", 1, 1, arrays="all", inner_array=True)
def f_transpose(args):
    v = args[0]
    t = lambda x: None if x is None else np.swapaxes(x, 1, 2)  # noqa: E731
    return V(t(v.num), t(v.typ), t(v.obj))


@fn("RAND", 0, 0, mode="ctx", volatile=True)
def f_rand(args, ctx):
    return V(ctx.eng.rng.random((ctx.k, 1, 1)))


@fn("RANDBETWEEN", 2, 2, mode="ctx", volatile=True)
def f_randbetween(args, ctx):
    (a, ea), (b, eb) = (to_number(x) for x in args)
    lo, hi = np.ceil(a), np.floor(b)
    u = ctx.eng.rng.random(np.broadcast_shapes(lo.shape, hi.shape, (ctx.k, 1, 1)))
    return finish(np.where(hi >= lo, lo + np.floor(u * (hi - lo + 1)), np.nan), first_error(ea, eb))


# ---- distributions ------------------------------------------------------------------------------

def _bool_arg(v, default=False):
    if v is None:
        return np.full((1, 1, 1), default)
    n, _ = to_number(v)
    return n != 0


@fn("NORM.DIST", 4, 4, aliases=("NORMDIST",))
def f_normdist(args):
    (x, ex), (m, em), (s, es) = (to_number(a) for a in args[:3])
    cum = _bool_arg(args[3])
    with np.errstate(all="ignore"):
        out = np.where(cum, norm_cdf(x, m, s), norm_pdf(x, m, s))
    return finish(np.where(s > 0, out, np.nan), first_error(ex, em, es))


@fn("NORM.S.DIST", 1, 2)
def f_normsdist(args):
    x, ex = to_number(args[0])
    cum = _bool_arg(args[1] if len(args) > 1 else None, True)
    return finish(np.where(cum, norm_cdf(x), norm_pdf(x)), ex)


@fn("NORMSDIST", 1, 1)
def f_normsdist_old(args):
    x, ex = to_number(args[0])
    return finish(norm_cdf(x), ex)


@fn("NORM.INV", 3, 3, aliases=("NORMINV",))
def f_norminv(args):
    (p, ep), (m, em), (s, es) = (to_number(a) for a in args)
    ok = (p > 0) & (p < 1) & (s > 0)
    with np.errstate(all="ignore"):
        return finish(np.where(ok, norm_ppf(p, m, s), np.nan), first_error(ep, em, es))


@fn("NORM.S.INV", 1, 1, aliases=("NORMSINV",))
def f_normsinv(args):
    p, ep = to_number(args[0])
    with np.errstate(all="ignore"):
        return finish(np.where((p > 0) & (p < 1), norm_ppf(p), np.nan), ep)


@fn("EXPON.DIST", 3, 3, aliases=("EXPONDIST",))
def f_expondist(args):
    (x, ex), (lam, el) = (to_number(a) for a in args[:2])
    cum = _bool_arg(args[2])
    with np.errstate(all="ignore"):
        out = np.where(cum, 1 - np.exp(-lam * x), lam * np.exp(-lam * x))
    return finish(np.where((x >= 0) & (lam > 0), out, np.nan), first_error(ex, el))


__all__ = ["power", "unary", "binary", "DIV0", "NUMERR", "EngineError"]
