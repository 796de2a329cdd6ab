"""Excel's date serial numbers: day 1 is 1900-01-01, and (as Lotus 1-2-3 had it) 1900-02-29 is day 60."""

from __future__ import annotations

import datetime as dt
import math
import re

EPOCH = dt.datetime(1899, 12, 30)  # serial 0 for every date from 1900-03-01 on
MAX_SERIAL = 2958465  # 9999-12-31


def to_date(serial: float) -> dt.datetime | None:
    """The date and time of a serial (None outside Excel's range 0 .. 9999-12-31)."""
    if not (0 <= serial < MAX_SERIAL + 1) or math.isnan(serial):
        return None
    days = math.floor(serial)
    frac = serial - days
    if days == 60:  # the day that never was: show it as 1900-02-29's neighbour, as Excel's YEAR/MONTH/DAY do
        base = dt.datetime(1900, 2, 28)
    elif days < 60:
        base = dt.datetime(1899, 12, 31) + dt.timedelta(days=days)
    else:
        base = EPOCH + dt.timedelta(days=days)
    return base + dt.timedelta(seconds=round(frac * 86400, 3))


def ymd(serial: float) -> tuple[int, int, int] | None:
    """(year, month, day) of a serial as Excel's YEAR, MONTH and DAY see it (60 is 1900-02-29)."""
    d = to_date(serial)
    if d is None:
        return None
    if math.floor(serial) == 60:
        return 1900, 2, 29
    return d.year, d.month, d.day


def shown(serial: float) -> tuple[int, int, int] | None:
    """(year, month, day) as YEAR, MONTH, DAY and TEXT show a serial: ymd, but serial 0 is 1900-01-00
    (date arithmetic such as EOMONTH takes it as 1899-12-31)."""
    if serial is not None and 0 <= serial < 1:
        return 1900, 1, 0
    return ymd(serial)


def from_date(year: int, month: int, day: int) -> float | None:
    """DATE(year, month, day) with Excel's rolling of months and days; None where Excel gives #NUM!."""
    if 0 <= year < 1900:
        year += 1900
    if not 0 <= year <= 9999:
        return None
    y, m = year + (month - 1) // 12, (month - 1) % 12 + 1
    if y < 1900 or y > 9999:
        return None
    first = dt.datetime(y, m, 1)
    if first < dt.datetime(1900, 3, 1):  # counted from 1900-01-01 = 1, through the fake 1900-02-29 = 60
        serial = (first - dt.datetime(1899, 12, 31)).days + (day - 1)
    else:
        serial = (first - EPOCH).days + (day - 1)
    if serial < 0 or serial > MAX_SERIAL:
        return None
    return float(serial)


def iso_to_serial(text: str) -> float:
    """An ISO 8601 date-time (a cell of type d) as a serial."""
    d = dt.datetime.fromisoformat(text.replace("Z", ""))
    serial = (d - EPOCH).total_seconds() / 86400
    return serial if d >= dt.datetime(1900, 3, 1) else serial - 1


def now_serial(now: dt.datetime | None = None) -> float:
    now = now or dt.datetime.now()
    return (now - EPOCH).total_seconds() / 86400


def text_to_serial(s: str) -> float | None:
    """A date or time typed as text ("2024-02-29", "29/02/2024", "2024-02-29 13:30", "13:30") as a serial."""
    s = s.strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d-%b-%Y", "%d %b %Y", "%b %d, %Y", "%Y-%m-%d %H:%M",
                "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %H:%M"):
        try:
            d = dt.datetime.strptime(s, fmt)
        except ValueError:
            continue
        if d.year < 1900:  # before Excel's calendar: not a date to it
            return None
        serial = from_date(d.year, d.month, d.day)
        return None if serial is None else serial + (d.hour * 3600 + d.minute * 60 + d.second) / 86400
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?", s)
    if m:
        h, mi, se = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if m.group(4):
            h = h % 12 + (12 if m.group(4).lower() == "pm" else 0)
        return (h * 3600 + mi * 60 + se) / 86400
    return None
