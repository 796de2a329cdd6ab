"""Whole numbers and their kin: GCD, LCM, MROUND, the .MATH and .PRECISE roundings, COMBINA,
FACTDOUBLE, MULTINOMIAL, SERIESSUM, bits (BITAND ...), bases (BIN2DEC ..., BASE, DECIMAL), ROMAN and
ARABIC, DELTA and GESTEP, and the trigonometric functions Excel 2013 added."""

from __future__ import annotations

import math

import numpy as np

from ..values import NUMERR, VALUE, first_error, to_number
from .aggregate import cell_result, values_per_cell
from .mathfn import REQUIRED, numeric, special, unary
from .registry import fn
from .text import CellError, as_number, as_text, elementwise

R = REQUIRED

unary("SQRTPI", lambda x: np.sqrt(x * np.pi), lambda x: x >= 0)
unary("COT", lambda x: 1 / np.tan(x), lambda x: (x != 0) & (np.abs(x) < 2 ** 27))
unary("COTH", lambda x: 1 / np.tanh(x), lambda x: x != 0)
unary("ACOT", lambda x: np.pi / 2 - np.arctan(x))
unary("ACOTH", lambda x: 0.5 * np.log((x + 1) / (x - 1)), lambda x: np.abs(x) > 1)
unary("SEC", lambda x: 1 / np.cos(x), lambda x: np.abs(x) < 2 ** 27)
unary("SECH", lambda x: 1 / np.cosh(x))
unary("CSC", lambda x: 1 / np.sin(x), lambda x: (x != 0) & (np.abs(x) < 2 ** 27))
unary("CSCH", lambda x: 1 / np.sinh(x), lambda x: x != 0)
unary("ASINH", np.arcsinh)
unary("ACOSH", np.arccosh, lambda x: x >= 1)
unary("ATANH", np.arctanh, lambda x: np.abs(x) < 1)
unary("FACTDOUBLE", lambda x: np.vectorize(_factdouble, otypes=[float])(np.trunc(x)), lambda x: x >= 0)


def _factdouble(n):
    if not np.isfinite(n):
        return np.nan
    if n > 300:
        return np.inf
    out = 1.0
    k = int(n)
    while k > 1:
        out *= k
        k -= 2
    return out


def mround(x, m):
    q = np.where(m == 0, 0.0, x / np.where(m == 0, 1, m))
    out = np.where(m == 0, 0.0, np.sign(q) * np.floor(np.abs(q) + 0.5 + 1e-12) * m)
    return np.where((x * m < 0), np.nan, out)


def ceiling_math(x, s, mode):
    s = np.abs(np.where(np.isnan(s), 1.0, s))
    away = (mode != 0) & (x < 0)
    q = x / np.where(s == 0, 1, s)
    out = np.where(away, np.floor(q + 1e-12), np.ceil(q - 1e-12)) * s
    return np.where(s == 0, 0.0, out)


def floor_math(x, s, mode):
    s = np.abs(np.where(np.isnan(s), 1.0, s))
    away = (mode != 0) & (x < 0)
    q = x / np.where(s == 0, 1, s)
    out = np.where(away, np.ceil(q - 1e-12), np.floor(q + 1e-12)) * s
    return np.where(s == 0, 0.0, out)


numeric("MROUND", 2, 2, mround)
numeric("CEILING.MATH", 1, 3, ceiling_math, defaults=(R, np.nan, 0.0))
numeric("CEILING.PRECISE", 1, 2, lambda x, s: ceiling_math(x, s, 0.0), defaults=(R, np.nan), aliases=("ISO.CEILING",))
numeric("FLOOR.MATH", 1, 3, floor_math, defaults=(R, np.nan, 0.0))
numeric("FLOOR.PRECISE", 1, 2, lambda x, s: floor_math(x, s, 0.0), defaults=(R, np.nan))
numeric("COMBINA", 2, 2, lambda n, k: np.where(  # number at least 0 and at least number_chosen (Excel's rule)
    (n >= 0) & (k >= 0) & (np.trunc(n) >= np.trunc(k)), np.where((np.trunc(n) == 0) & (np.trunc(k) == 0), 0.0,
                                                               np.round(special.comb(np.trunc(n) + np.trunc(k) - 1,
                                                                                     np.trunc(k)))), np.nan))
numeric("DELTA", 1, 2, lambda a, b: (a == b).astype(float))
numeric("GESTEP", 1, 2, lambda a, b: (a >= b).astype(float))


def _ints_per_cell(args):
    K, cells, err = values_per_cell(args)
    # a negative argument (-0.3 too, before truncation) is #NUM!: marked as -1 for the callers' checks
    return K, [np.where(c[np.isfinite(c)] < 0, -1.0, np.trunc(c[np.isfinite(c)])) for c in cells], err


@fn("GCD", arrays="all")
def f_gcd(args):
    K, cells, err = _ints_per_cell(args)
    out = np.array([float(math.gcd(*[int(v) for v in c])) if len(c) and np.all(c >= 0) and np.all(c < 2 ** 53)
                    else np.nan for c in cells])
    return cell_result(out, err)


@fn("LCM", arrays="all")
def f_lcm(args):
    K, cells, err = _ints_per_cell(args)
    out = []
    for c in cells:
        if not len(c) or np.any(c < 0) or np.any(c >= 2 ** 53):
            out.append(np.nan)
            continue
        m = 1
        for v in c:
            m = 0 if v == 0 or m == 0 else m * int(v) // math.gcd(m, int(v))
        out.append(float(m) if m < 2 ** 53 else np.nan)
    return cell_result(np.array(out), err)


@fn("MULTINOMIAL", arrays="all")
def f_multinomial(args):
    K, cells, err = _ints_per_cell(args)
    out = []
    for c in cells:
        if np.any(c < 0):
            out.append(np.nan)
            continue
        out.append(float(np.round(np.exp(special.gammaln(c.sum() + 1) - np.sum(special.gammaln(c + 1))))))
    return cell_result(np.array(out), err)


@fn("SERIESSUM", 4, 4, arrays={3})
def f_seriessum(args):
    (x, ex), (n, en), (m, em) = (to_number(a) for a in args[:3])
    K0, cells, err = values_per_cell(args[3:])
    K = max(K0, x.shape[0], n.shape[0], m.shape[0])
    out = np.empty(K)
    for k in range(K):
        xs, ns, ms = (a.reshape(a.shape[0], -1)[k if a.shape[0] > 1 else 0, 0] for a in (x, n, m))
        c = cells[k if K0 > 1 else 0]
        with np.errstate(all="ignore"):
            out[k] = np.sum(c * xs ** (ns + ms * np.arange(len(c))))
    errs = [None if e is None else np.broadcast_to(e.reshape(e.shape[0], -1)[:, 0], (K,)) for e in (ex, en, em)]
    return cell_result(out, first_error(*errs, None if err is None else np.broadcast_to(err, (K,))))


# ---- bits -------------------------------------------------------------------------------------

def _bits(f, shift=False):
    def g(a, b):
        ok = (a >= 0) & (a == np.trunc(a)) & (a < 2 ** 48)
        if shift:
            ok = ok & (np.abs(b) <= 53)
        else:
            ok = ok & (b >= 0) & (b == np.trunc(b)) & (b < 2 ** 48)
        out = np.vectorize(lambda x, y: float(f(int(x), int(y))) if True else 0.0, otypes=[float])(
            np.where(ok, a, 0), np.where(ok, np.trunc(b), 0))
        return np.where(ok & (out < 2 ** 48), out, np.nan)
    return g


numeric("BITAND", 2, 2, _bits(lambda a, b: a & b))
numeric("BITOR", 2, 2, _bits(lambda a, b: a | b))
numeric("BITXOR", 2, 2, _bits(lambda a, b: a ^ b))
numeric("BITLSHIFT", 2, 2, _bits(lambda a, s: a << s if s >= 0 else a >> -s, shift=True))
numeric("BITRSHIFT", 2, 2, _bits(lambda a, s: a >> s if s >= 0 else a << -s, shift=True))


# ---- bases and numerals (text in, text out, element by element) ---------------------------------

_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _int_text(v) -> str:
    """An argument as the digits a user typed: text as it is, numbers without .0."""
    t = as_text(v)
    return t[:-2] if t.endswith(".0") else t


def _parse_digits(t: str, base: int) -> int:
    """The digits of a number in `base` (no sign, no spaces: Python's int() would take both), or #NUM!."""
    if any(ch not in _DIGITS[:base] for ch in t.upper()):
        raise CellError(NUMERR)
    return int(t, base) if t else 0


def _to_dec(base):
    def f(v):
        t = _int_text(v).upper()
        if len(t) > 10:
            raise CellError(NUMERR)
        n = _parse_digits(t, base)
        return float(n - base ** 10 if len(t) == 10 and n >= base ** 10 // 2 else n)
    return lambda args: elementwise(args, f)


def _in_base(n: int, base: int, places) -> str:
    """n in `base` (a negative one as ten digits of two's complement), padded to `places` (1 to 10; a
    negative number ignores it), or #NUM!."""
    half = base ** 10 // 2
    if not -half <= n <= half - 1:
        raise CellError(NUMERR)
    digits = np.base_repr(n if n >= 0 else base ** 10 + n, base).upper()
    if places is not None:
        p = np.trunc(as_number(places))
        if not 1 <= p <= 10 or n >= 0 and p < len(digits):
            raise CellError(NUMERR)
        digits = digits.zfill(int(p)) if n >= 0 else digits
    return digits


def _from_dec(base):
    def f(v, places=None):
        if places is not None and not 1 <= np.trunc(as_number(places)) <= 10:
            raise CellError(NUMERR)  # Excel checks places first: DEC2BIN("E",0) is #NUM!, not #VALUE!
        x = as_number(v)
        if not -(base ** 10 // 2) <= x < base ** 10 // 2:
            raise CellError(NUMERR)
        return _in_base(int(np.trunc(x)), base, places)
    return lambda args: elementwise(args, f)


_BASES = (("BIN", 2), ("OCT", 8), ("HEX", 16))
for _name, _base in _BASES:
    fn(f"{_name}2DEC", 1, 1)(_to_dec(_base))
    fn(f"DEC2{_name}", 1, 2)(_from_dec(_base))


def _across(src, dst):
    """BIN2HEX and kin: through the decimal value (a 10-digit two's complement stays negative)."""
    def f(v, places=None):
        t = _int_text(v).upper()
        if len(t) > 10:
            raise CellError(NUMERR)
        n = _parse_digits(t, src)
        if len(t) == 10 and n >= src ** 10 // 2:
            n -= src ** 10
        return _in_base(n, dst, places)
    return lambda args: elementwise(args, f)


for _a, _sa in _BASES:
    for _b, _sb in _BASES:
        if _a != _b:
            fn(f"{_a}2{_b}", 1, 2)(_across(_sa, _sb))


def _base(v, b, m=None):
    if as_number(v) < 0:
        raise CellError(NUMERR)
    x, base, width = np.trunc(as_number(v)), np.trunc(as_number(b)), np.trunc(as_number(m)) if m is not None else 0
    if not (0 <= x < 2 ** 53 and 2 <= base <= 36 and 0 <= width <= 255):
        raise CellError(NUMERR)
    return np.base_repr(int(x), int(base)).upper().zfill(int(width))


def _decimal(v, b):
    t, base = _int_text(v).strip(), np.trunc(as_number(b))
    if not 2 <= base <= 36 or len(t) > 255:
        raise CellError(NUMERR)
    return float(_parse_digits(t, int(base)))


fn("BASE", 2, 3)(lambda args: elementwise(args, _base))
fn("DECIMAL", 2, 2)(lambda args: elementwise(args, _decimal))

_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
          (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
_ARABIC = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _roman(v, form=None):
    x = as_number(v)
    if x < 0:
        raise CellError(VALUE)
    x = np.trunc(x)
    if form is not None and np.trunc(as_number(form)) != 0:
        raise CellError(VALUE)  # the concise forms (1 to 4) are not supported: a refusal, not another numeral
    if not 0 <= x <= 3999:
        raise CellError(VALUE)
    x, out = int(x), ""
    for value, letters in _ROMAN:
        while x >= value:
            out += letters
            x -= value
    return out


def _arabic(v):
    t = as_text(v).strip().upper()
    neg = t.startswith("-")
    t = t[1:] if neg else t
    if len(t) > 255 or any(ch not in _ARABIC for ch in t):
        raise CellError(VALUE)
    total = 0
    for i, ch in enumerate(t):
        x = _ARABIC[ch]
        total += -x if i + 1 < len(t) and _ARABIC[t[i + 1]] > x else x
    return float(-total if neg else total)


fn("ROMAN", 1, 2)(lambda args: elementwise(args, _roman))
fn("ARABIC", 1, 1)(lambda args: elementwise(args, _arabic))
