"""Dates counted as business and bond markets count them: DAYS360, YEARFRAC, DATEDIF, WEEKNUM,
ISOWEEKNUM, TIMEVALUE, WORKDAY, NETWORKDAYS and their .INTL forms (weekend codes and masks)."""

from __future__ import annotations

import calendar
import datetime as dt
import math


from ..dates import from_date, text_to_serial, ymd
from ..values import ERR, NUM, TEXT, V
from .datefn import NUMERR, VALUE, serial_of, serial_of_text
from .dynamic import cell_of, per_cell
from .registry import fn
from .text import CellError, as_number, as_text, elementwise


def _date(x: float) -> dt.date:
    y, m, d = ymd(x)
    return dt.date(y, m, d)


def _days360(x1, x2, european):
    (y1, m1, d1), (y2, m2, d2) = ymd(x1), ymd(x2)
    if european:
        d1, d2 = min(d1, 30), min(d2, 30)
    else:
        last1 = d1 == calendar.monthrange(y1, m1)[1]
        last2 = d2 == calendar.monthrange(y2, m2)[1]
        if last1:
            d1 = 30
        if last2 and d2 == 31:  # (the end's February is left as it is, as Excel's DAYS360 does)
            if d1 < 30:
                m2, d2 = m2 + 1, 1
            else:
                d2 = 30
    return (y2 - y1) * 360 + (m2 - m1) * 30 + (d2 - d1)


@fn("DAYS360", 2, 3)
def f_days360(args):
    def f(a, b, method=None):
        eu = method is not None and as_number(method) != 0
        return float(_days360(math.floor(serial_of(a)), math.floor(serial_of(b)), eu))
    return elementwise(args, f)


def _is_last_feb(d: dt.date) -> bool:
    return d.month == 2 and d.day == calendar.monthrange(d.year, 2)[1]


def _yearfrac(x1, x2, basis):
    if x1 > x2:
        x1, x2 = x2, x1
    d1, d2 = _date(x1), _date(x2)
    days = x2 - x1
    if basis == 0:
        a, b = d1.day, d2.day
        if a == 31 and b == 31:
            a = b = 30
        elif a == 31:
            a = 30
        elif a == 30 and b == 31:
            b = 30
        elif _is_last_feb(d1) and _is_last_feb(d2):
            a = b = 30
        elif _is_last_feb(d1):
            a = 30
        return (360 * (d2.year - d1.year) + 30 * (d2.month - d1.month) + (b - a)) / 360
    if basis == 1:
        within = d1.year == d2.year or (d2.year == d1.year + 1 and (d1.month, d1.day) >= (d2.month, d2.day))
        if within:
            if d1.year == d2.year:
                length = 366 if calendar.isleap(d1.year) else 365
            else:
                feb29 = any(calendar.isleap(y) and d1 <= dt.date(y, 2, 29) <= d2 for y in (d1.year, d2.year))
                length = 366 if feb29 else 365
            return days / length
        years = d2.year - d1.year + 1
        span = (dt.date(d2.year + 1, 1, 1) - dt.date(d1.year, 1, 1)).days
        return days / (span / years)
    if basis == 2:
        return days / 360
    if basis == 3:
        return days / 365
    return _days360(x1, x2, True) / 360


@fn("YEARFRAC", 2, 3)
def f_yearfrac(args):
    def f(a, b, basis=None):
        k = int(math.trunc(as_number(basis))) if basis is not None else 0
        if k not in (0, 1, 2, 3, 4):
            raise CellError(NUMERR)
        return float(_yearfrac(math.floor(serial_of(a)), math.floor(serial_of(b)), k))
    return elementwise(args, f)


@fn("DATEDIF", 3, 3)
def f_datedif(args):
    def f(a, b, unit):
        x1, x2 = math.floor(serial_of(a)), math.floor(serial_of(b))
        if x1 > x2:
            raise CellError(NUMERR)
        (y1, m1, d1), (y2, m2, d2) = ymd(x1), ymd(x2)
        u = as_text(unit).upper()
        months = (y2 - y1) * 12 + (m2 - m1) - (d2 < d1)
        if u == "Y":
            return float(months // 12)
        if u == "M":
            return float(months)
        if u == "D":
            return float(x2 - x1)
        if u == "YM":
            return float(months % 12)
        if u == "MD":
            if d2 >= d1:
                return float(d2 - d1)
            py, pm = (y2, m2 - 1) if m2 > 1 else (y2 - 1, 12)
            return float(calendar.monthrange(py, pm)[1] - d1 + d2) if d1 <= calendar.monthrange(py, pm)[1] \
                else float(d2)
        if u == "YD":
            y = y2 if (m2, d2) >= (m1, d1) else y2 - 1
            start = from_date(y, m1, min(d1, calendar.monthrange(y, m1)[1]))
            return float(x2 - start)
        raise CellError(NUMERR)
    return elementwise(args, f)


@fn("TIMEVALUE", 1, 1)
def f_timevalue(args):
    def f(v):
        x = serial_of_text(v)
        return float(x - math.floor(x))
    return elementwise(args, f)


_WEEK_START = {1: 6, 2: 0, 11: 0, 12: 1, 13: 2, 14: 3, 15: 4, 16: 5, 17: 6}  # type -> first day (Monday 0)


@fn("WEEKNUM", 1, 2)
def f_weeknum(args):
    def f(v, t=None):
        d = _date(math.floor(serial_of(v)))
        kind = int(math.trunc(as_number(t))) if t is not None else 1
        if kind == 21:
            return float(d.isocalendar()[1])
        if kind not in _WEEK_START:
            raise CellError(NUMERR)
        jan1 = dt.date(d.year, 1, 1)
        offset = (jan1.weekday() - _WEEK_START[kind]) % 7
        return float((d.timetuple().tm_yday - 1 + offset) // 7 + 1)
    return elementwise(args, f)


@fn("ISOWEEKNUM", 1, 1)
def f_isoweeknum(args):
    return elementwise(args, lambda v: float(_date(math.floor(serial_of(v))).isocalendar()[1]))


# ---- working days ------------------------------------------------------------------------------

_WEEKENDS = {1: (5, 6), 2: (6, 0), 3: (0, 1), 4: (1, 2), 5: (2, 3), 6: (3, 4), 7: (4, 5), 11: (6,), 12: (0,),
             13: (1,), 14: (2,), 15: (3,), 16: (4,), 17: (5,)}  # code -> weekend days (Monday 0)


def _weekend(w) -> frozenset:
    if w is None:
        return frozenset((5, 6))
    if w[0] == TEXT:
        s = w[2]
        if len(s) != 7 or set(s) - {"0", "1"} or s == "1111111":
            raise CellError(VALUE)
        return frozenset(i for i, ch in enumerate(s) if ch == "1")
    code = int(math.trunc(as_number(w)))
    if code not in _WEEKENDS:
        raise CellError(NUMERR)
    return frozenset(_WEEKENDS[code])


def _holidays(v: V | None, k: int) -> set:
    if v is None:
        return set()
    kk = k if v.shape[0] > 1 else 0
    out = set()
    for t, n, o in zip(v.types()[kk].ravel(), v.num[kk].ravel(), v.objs()[kk].ravel()):
        if t == ERR:
            raise CellError(o)
        if t == NUM:
            out.add(math.floor(n))
        elif t == TEXT:
            x = text_to_serial(o)
            if x is None:
                raise CellError(VALUE)
            out.add(math.floor(x))
    return out


def _is_workday(x: int, weekend, holidays) -> bool:
    return (x + 5) % 7 not in weekend and x not in holidays  # serial 2 (1900-01-01... as Excel counts) a Monday


def _per_cell(args, f, holidays_at: int):
    """elementwise over the scalar arguments, with the holidays (a range) read per formula cell."""
    hol = args[holidays_at] if len(args) > holidays_at else None
    scal = [a for i, a in enumerate(args) if i != holidays_at]
    return per_cell(args, lambda k: elementwise([None if a is None else cell_of(a, k) for a in scal],
                                                lambda *vals: f(*vals, holidays=_holidays(hol, k))))


def _networkdays(a, b, weekend=None, holidays=frozenset()):
    w = _weekend(weekend)
    x1, x2 = math.floor(serial_of(a)), math.floor(serial_of(b))
    sign = 1
    if x1 > x2:
        x1, x2, sign = x2, x1, -1
    full, rest = divmod(x2 - x1 + 1, 7)
    count = full * (7 - len(w)) + sum(1 for x in range(x1 + full * 7, x2 + 1) if (x + 5) % 7 not in w)
    count -= sum(1 for h in holidays if x1 <= h <= x2 and (h + 5) % 7 not in w)
    return float(sign * count)


def _workday(a, days, weekend=None, holidays=frozenset()):
    w = _weekend(weekend)
    x = math.floor(serial_of(a))
    n = int(math.trunc(as_number(days)))
    step = 1 if n >= 0 else -1
    left = abs(n)
    if left > 10_000_000:
        raise CellError(NUMERR)
    while left:
        x += step
        if _is_workday(x, w, holidays):
            left -= 1
    if x < 1 or x > 2958465:
        raise CellError(NUMERR)
    return float(x)


@fn("NETWORKDAYS", 2, 3, arrays={2})
def f_networkdays(args):
    return _per_cell(list(args), lambda a, b, holidays: _networkdays(a, b, None, holidays), 2)


@fn("NETWORKDAYS.INTL", 2, 4, arrays={3})
def f_networkdays_intl(args):
    return _per_cell(list(args), lambda a, b, w=None, holidays=frozenset(): _networkdays(a, b, w, holidays), 3)


@fn("WORKDAY", 2, 3, arrays={2})
def f_workday(args):
    return _per_cell(list(args), lambda a, d, holidays: _workday(a, d, None, holidays), 2)


@fn("WORKDAY.INTL", 2, 4, arrays={3})
def f_workday_intl(args):
    return _per_cell(list(args), lambda a, d, w=None, holidays=frozenset(): _workday(a, d, w, holidays), 3)
