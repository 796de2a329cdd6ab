"""Dates and times as Excel counts them (serial days from 1900-01-01, with Lotus's 1900-02-29):
DATE, TIME, YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, WEEKDAY, EOMONTH, EDATE, DATEVALUE, TODAY, NOW."""

from __future__ import annotations

import calendar
import math

import numpy as np

from ..dates import EPOCH, from_date, now_serial, shown, text_to_serial, to_date, ymd
from ..values import BLANK, BOOL, NUM, TEXT, V, parse_number
from .registry import fn
from .text import CellError, as_number, elementwise

VALUE, NUMERR = "#VALUE!", "#NUM!"


def serial_of(v) -> float:
    t, n, o = v
    if t in (NUM, BOOL, BLANK):
        x = float(n)
    else:
        x = parse_number(o)
        if x is None:
            x = text_to_serial(o)
        if x is None:
            raise CellError(VALUE)
    if x < 0 or x > 2958465.99999:
        raise CellError(NUMERR)
    return x


@fn("DATE", 3, 3)
def f_date(args):
    def f(y, m, d):
        serial = from_date(int(math.floor(as_number(y))), int(math.floor(as_number(m))), int(math.floor(as_number(d))))
        if serial is None:
            raise CellError(NUMERR)
        return serial
    return elementwise(args, f)


@fn("TIME", 3, 3)
def f_time(args):
    def f(h, m, s):
        secs = int(math.floor(as_number(h))) * 3600 + int(math.floor(as_number(m))) * 60 + int(math.floor(as_number(s)))
        if secs < 0:
            raise CellError(NUMERR)
        return (secs % 86400) / 86400
    return elementwise(args, f)


def _part(name, f):
    @fn(name, 1, 1)
    def impl(args):
        return elementwise(args, lambda v: float(f(serial_of(v))))
    return impl


_part("YEAR", lambda x: shown(x)[0])
_part("MONTH", lambda x: shown(x)[1])
_part("DAY", lambda x: shown(x)[2])
_part("HOUR", lambda x: to_date(x).hour)
_part("MINUTE", lambda x: to_date(x).minute)
_part("SECOND", lambda x: to_date(x).second)


def serial_of_text(v) -> float:
    """A date or time typed as text, as a serial (DATEVALUE keeps its day, TIMEVALUE its time); else #VALUE!."""
    if v[0] != TEXT:
        raise CellError(VALUE)
    x = text_to_serial(v[2])
    if x is None:
        raise CellError(VALUE)
    return x


@fn("DATEVALUE", 1, 1)
def f_datevalue(args):
    return elementwise(args, lambda v: float(math.floor(serial_of_text(v))))


_WEEKDAY = {1: (6, 1), 2: (0, 1), 3: (0, 0), 11: (0, 1), 12: (1, 1), 13: (2, 1), 14: (3, 1), 15: (4, 1),
            16: (5, 1), 17: (6, 1)}  # type -> (the weekday, Monday=0, numbered first; the first number)


@fn("WEEKDAY", 1, 2)
def f_weekday(args):
    def f(v, t=None):
        x = serial_of(v)
        kind = int(as_number(t)) if t is not None else 1
        if kind not in _WEEKDAY:
            raise CellError(NUMERR)
        first, base = _WEEKDAY[kind]
        days = math.floor(x)
        wd = (days + 5) % 7  # Monday = 0; serials count weekdays on through the fake 1900-02-29
        return float((wd - first) % 7 + base)
    return elementwise(args, f)


def _months_later(start: float, months: int, end_of_month: bool) -> float:
    y, m, d = ymd(start)
    total = y * 12 + (m - 1) + months
    y2, m2 = divmod(total, 12)
    m2 += 1
    last = 29 if (y2, m2) == (1900, 2) else calendar.monthrange(y2, m2)[1] if y2 >= 1 else 31  # Excel's 1900
    day = last if end_of_month else min(d, last)
    serial = from_date(y2, m2, day)
    if serial is None:
        raise CellError(NUMERR)
    return serial


@fn("EOMONTH", 2, 2)
def f_eomonth(args):
    return elementwise(args, lambda s, m: _months_later(serial_of(s), int(math.trunc(as_number(m))), True))


@fn("EDATE", 2, 2)
def f_edate(args):
    return elementwise(args, lambda s, m: _months_later(serial_of(s), int(math.trunc(as_number(m))), False))


@fn("DAYS", 2, 2)
def f_days(args):
    return elementwise(args, lambda a, b: float(math.floor(serial_of(a)) - math.floor(serial_of(b))))


@fn("TODAY", 0, 0, mode="ctx", volatile=True)
def f_today(args, ctx):
    ctx.eng.clock_used = True
    return V(np.full((1, 1, 1), float(math.floor(now_serial(ctx.eng.now)))))


@fn("NOW", 0, 0, mode="ctx", volatile=True)
def f_now(args, ctx):
    ctx.eng.clock_used = True
    return V(np.full((1, 1, 1), now_serial(ctx.eng.now)))


__all__ = ["text_to_serial", "EPOCH"]
