"""A workbook as read: its sheets' cells, defined names, tables and calculation settings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    name: str
    sheet: str
    ref: tuple  # (r0, c0, r1, c1), 0-based, inclusive
    columns: list
    header_rows: int = 1
    totals_rows: int = 0


@dataclass
class Book:
    path: str
    sheets: list  # names in order
    data: dict  # sheet -> SheetData (values, formula runs, array formulas)
    names: dict = field(default_factory=dict)  # (scope sheet or None, NAME upper) -> formula text
    tables: dict = field(default_factory=dict)  # NAME upper -> Table
    kind: str = "xlsx"  # or "ods"
    # iterative calculation (Excel: File > Options > Formulas; LibreOffice: Tools > Options > Calc >
    # Calculate > Iterations): (steps at most, stop when no value changes by more than this), or None
    iterate: tuple | None = None


def bounded_int(text, default: int, lo: int, hi: int) -> int:
    try:
        return min(max(int(float(text)), lo), hi)
    except (TypeError, ValueError):
        return default


def bounded_float(text, default: float) -> float:
    try:
        v = float(text)
    except (TypeError, ValueError):
        return default
    return v if v >= 0 and v == v else default
