"""Securities: discounted ones (DISC, INTRATE, RECEIVED, PRICEDISC, YIELDDISC, TBILLPRICE, TBILLYIELD,
TBILLEQ), interest at maturity (ACCRINTM), and coupon bonds (COUPPCD, COUPNCD, COUPNUM, COUPDAYBS,
COUPDAYS, COUPDAYSNC, PRICE, YIELD, DURATION, MDURATION) with Excel's day-count bases: 0 US 30/360,
1 actual/actual, 2 actual/360, 3 actual/365, 4 European 30/360."""

from __future__ import annotations

import calendar
import math

from ..dates import from_date, ymd
from ..values import EngineError
from .datefn import NUMERR, serial_of
from .registry import fn
from .text import CellError, as_number, elementwise
from .workdays import _days360, _yearfrac


def _basis(b) -> int:
    k = int(math.trunc(as_number(b))) if b is not None else 0
    if k not in (0, 1, 2, 3, 4):
        raise CellError(NUMERR)
    return k


def _dates(a, b, strict=True):
    x1, x2 = math.floor(serial_of(a)), math.floor(serial_of(b))
    if x1 >= x2 if strict else x1 > x2:
        raise CellError(NUMERR)
    return x1, x2


def _positive(*xs):
    for x in xs:
        if not x > 0:
            raise CellError(NUMERR)


def _disc(s, m, pr, red, basis=None):
    x1, x2 = _dates(s, m)
    p, r = as_number(pr), as_number(red)
    _positive(p, r)
    return (r - p) / r / _yearfrac(x1, x2, _basis(basis))


def _intrate(s, m, inv, red, basis=None):
    x1, x2 = _dates(s, m)
    i, r = as_number(inv), as_number(red)
    _positive(i, r)
    return (r - i) / i / _yearfrac(x1, x2, _basis(basis))


def _received(s, m, inv, disc, basis=None):
    x1, x2 = _dates(s, m)
    i, d = as_number(inv), as_number(disc)
    _positive(i, d)
    out = 1 - d * _yearfrac(x1, x2, _basis(basis))
    if out <= 0:
        raise CellError(NUMERR)
    return i / out


def _pricedisc(s, m, disc, red, basis=None):
    x1, x2 = _dates(s, m)
    d, r = as_number(disc), as_number(red)
    _positive(d, r)
    return r * (1 - d * _yearfrac(x1, x2, _basis(basis)))


def _yielddisc(s, m, pr, red, basis=None):
    x1, x2 = _dates(s, m)
    p, r = as_number(pr), as_number(red)
    _positive(p, r)
    return (r / p - 1) / _yearfrac(x1, x2, _basis(basis))


def _tbill_days(s, m):
    x1, x2 = _dates(s, m)
    dsm = x2 - x1
    if dsm > 366:
        raise CellError(NUMERR)
    return dsm


def _tbillprice(s, m, disc):
    dsm, d = _tbill_days(s, m), as_number(disc)
    _positive(d)
    out = 100 * (1 - d * dsm / 360)
    if out <= 0:
        raise CellError(NUMERR)
    return out


def _tbillyield(s, m, pr):
    dsm, p = _tbill_days(s, m), as_number(pr)
    _positive(p)
    return (100 - p) / p * 360 / dsm


def _tbilleq(s, m, disc):
    dsm, d = _tbill_days(s, m), as_number(disc)
    _positive(d)
    if dsm > 182:  # Excel and LibreOffice disagree beyond half a year, and Excel documents only this form
        raise EngineError("TBILLEQ of a bill longer than 182 days is not supported")
    return 365 * d / (360 - d * dsm)


def _accrintm(issue, settle, rate, par=None, basis=None):
    x1, x2 = _dates(issue, settle)
    r = as_number(rate)
    p = as_number(par) if par is not None else 1000.0
    _positive(r, p)
    return p * r * _yearfrac(x1, x2, _basis(basis))


for _name, _f, _lo, _hi in (("DISC", _disc, 4, 5), ("INTRATE", _intrate, 4, 5), ("RECEIVED", _received, 4, 5),
                            ("PRICEDISC", _pricedisc, 4, 5), ("YIELDDISC", _yielddisc, 4, 5),
                            ("TBILLPRICE", _tbillprice, 3, 3), ("TBILLYIELD", _tbillyield, 3, 3),
                            ("TBILLEQ", _tbilleq, 3, 3), ("ACCRINTM", _accrintm, 3, 5)):
    fn(_name, _lo, _hi)(lambda args, f=_f: elementwise(args, f))


# ---- coupon dates ---------------------------------------------------------------------------------

def _add_months(x: int, months: int, eom: bool) -> int:
    y, m, d = ymd(x)
    total = y * 12 + (m - 1) + months
    y2, m2 = divmod(total, 12)
    if y2 < 1900:
        raise CellError(NUMERR)
    last = calendar.monthrange(y2, m2 + 1)[1]
    x2 = from_date(y2, m2 + 1, last if eom else min(d, last))
    if x2 is None:
        raise CellError(NUMERR)
    return int(x2)


def _schedule(settle: int, mat: int, freq: int):
    """(previous coupon date, next coupon date, coupons left) for a bond paying `freq` times a year."""
    step = 12 // freq
    y, m, d = ymd(mat)
    eom = d == calendar.monthrange(y, m)[1]
    n, ncd = 0, mat
    while True:
        pcd = _add_months(mat, -step * (n + 1), eom)
        if pcd <= settle:
            return pcd, ncd, n + 1
        ncd, n = pcd, n + 1


def _coupon_args(s, m, f, b):
    x1, x2 = _dates(s, m)
    freq = int(math.trunc(as_number(f)))
    if freq not in (1, 2, 4):
        raise CellError(NUMERR)
    return x1, x2, freq, _basis(b)


def _days(a: int, b: int, basis: int) -> int:
    return _days360(a, b, basis == 4) if basis in (0, 4) else b - a


def _coupdays(settle, mat, freq, basis):
    pcd, ncd, _ = _schedule(settle, mat, freq)
    if basis == 1:
        return ncd - pcd
    return (365 if basis == 3 else 360) / freq


def _coupdaybs(settle, mat, freq, basis):
    pcd, _, _ = _schedule(settle, mat, freq)
    return _days(pcd, settle, basis)


def _coupdaysnc(settle, mat, freq, basis):
    pcd, ncd, _ = _schedule(settle, mat, freq)
    if basis == 0:  # Excel: the period's length less the days since it began
        return _coupdays(settle, mat, freq, basis) - _coupdaybs(settle, mat, freq, basis)
    return _days(settle, ncd, basis)


def _coupon(f):
    def g(s, m, fr, b=None):
        return float(f(*_coupon_args(s, m, fr, b)))
    return lambda args: elementwise(args, g)


fn("COUPPCD", 3, 4)(_coupon(lambda s, m, f, b: _schedule(s, m, f)[0]))
fn("COUPNCD", 3, 4)(_coupon(lambda s, m, f, b: _schedule(s, m, f)[1]))
fn("COUPNUM", 3, 4)(_coupon(lambda s, m, f, b: _schedule(s, m, f)[2]))
fn("COUPDAYBS", 3, 4)(_coupon(_coupdaybs))
fn("COUPDAYS", 3, 4)(_coupon(_coupdays))
fn("COUPDAYSNC", 3, 4)(_coupon(_coupdaysnc))


def _price(settle, mat, rate, yld, red, freq, basis):
    e = _coupdays(settle, mat, freq, basis)
    dsc = _coupdaysnc(settle, mat, freq, basis)
    a = _coupdaybs(settle, mat, freq, basis)
    n = _schedule(settle, mat, freq)[2]
    c = 100 * rate / freq  # (one formula for every N, as Excel documents PRICE; YIELD has a closed form for N = 1)
    k = range(1, n + 1)
    base = 1 + yld / freq
    return red / base ** (n - 1 + dsc / e) + sum(c / base ** (j - 1 + dsc / e) for j in k) - a / e * c


def _price_fn(s, m, rate, yld, red, f, b=None):
    x1, x2, freq, basis = _coupon_args(s, m, f, b)
    r, y, rd = as_number(rate), as_number(yld), as_number(red)
    if r < 0 or y < 0 or rd <= 0:
        raise CellError(NUMERR)
    return _price(x1, x2, r, y, rd, freq, basis)


def _yield_fn(s, m, rate, pr, red, f, b=None):
    x1, x2, freq, basis = _coupon_args(s, m, f, b)
    r, p, rd = as_number(rate), as_number(pr), as_number(red)
    if r < 0 or p <= 0 or rd <= 0:
        raise CellError(NUMERR)
    n = _schedule(x1, x2, freq)[2]
    if n == 1:
        e = _coupdays(x1, x2, freq, basis)
        a = _coupdaybs(x1, x2, freq, basis)
        dsr = e - a
        c = 100 * r / freq
        return ((rd + c) - (p + a / e * c)) / (p + a / e * c) * freq * e / dsr
    y = r if r > 0 else 0.05
    for _ in range(100):
        f0 = _price(x1, x2, r, y, rd, freq, basis) - p
        h = 1e-7
        d = (_price(x1, x2, r, y + h, rd, freq, basis) - _price(x1, x2, r, y - h, rd, freq, basis)) / (2 * h)
        if d == 0:
            break
        step = f0 / d
        y -= step
        if abs(step) < 1e-12:
            return y
    raise CellError(NUMERR)


def _duration(s, m, coupon, yld, f, b=None, modified=False):
    x1, x2, freq, basis = _coupon_args(s, m, f, b)
    c, y = as_number(coupon), as_number(yld)
    if c < 0 or y < 0:
        raise CellError(NUMERR)
    e = _coupdays(x1, x2, freq, basis)
    dsc = _coupdaysnc(x1, x2, freq, basis)
    n = _schedule(x1, x2, freq)[2]
    base = 1 + y / freq
    times = [(dsc / e + j) / freq for j in range(n)]
    flows = [100 * c / freq] * n
    flows[-1] += 100
    pv = [cf / base ** (t * freq) for cf, t in zip(flows, times)]
    d = sum(t * v for t, v in zip(times, pv)) / sum(pv)
    return d / base if modified else d


fn("PRICE", 6, 7)(lambda args: elementwise(args, _price_fn))
fn("YIELD", 6, 7)(lambda args: elementwise(args, _yield_fn))
fn("DURATION", 5, 6)(lambda args: elementwise(args, _duration))
fn("MDURATION", 5, 6)(lambda args: elementwise(args, lambda *a: _duration(*a[:5], a[5] if len(a) > 5 else None,
                                                                          modified=True)))


def _accrint(issue, first, settle, rate, par, f, b=None, calc_method=None):
    """ACCRINT: par x rate / frequency x the sum over the quasi-coupon periods (counted back from the first
    interest date) of the days accrued in each over that period's normal length.  calc_method FALSE with a
    settlement after the first interest date accrues from the first interest date."""
    x_issue, x_first, x_settle = (math.floor(serial_of(v)) for v in (issue, first, settle))
    r, p = as_number(rate), as_number(par)
    freq = int(math.trunc(as_number(f)))
    basis = _basis(b)
    if freq not in (1, 2, 4) or r <= 0 or p <= 0 or x_issue >= x_settle:
        raise CellError(NUMERR)
    start = x_issue
    if calc_method is not None and as_number(calc_method) == 0 and x_settle > x_first:
        start = x_first
    y, m, d = ymd(x_first)
    eom = d == calendar.monthrange(y, m)[1]
    step = 12 // freq
    k = 0
    while _add_months(x_first, -step * k, eom) > start:  # the quasi-coupon date at or before the start
        k += 1
    total = 0.0
    lo = _add_months(x_first, -step * k, eom)
    if _add_months(x_first, -step * (k - 1), eom) < x_settle:
        # across a coupon date the month-end rules make 30/360's pieces not add up, and Excel's own counting
        # there is not documented: refused rather than guessed
        raise EngineError("ACCRINT accruing across a coupon date is not supported (one coupon period is)")
    while lo < x_settle:
        hi = _add_months(x_first, -step * (k - 1), eom)
        a, z = max(lo, start), min(hi, x_settle)
        if z > a:
            length = (hi - lo) if basis == 1 else (365 if basis == 3 else 360) / freq
            total += _days(a, z, basis) / length
        lo, k = hi, k - 1
    return p * r / freq * total


fn("ACCRINT", 6, 8)(lambda args: elementwise(args, _accrint))
