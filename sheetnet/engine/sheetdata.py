"""What reading a worksheet gives: its values as arrays, and its formulas as runs (a column dragged down
is one run) and array formulas."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from .template import RowTemplate

MAX_FORMULA = 8192  # Excel's own limit on a formula's length


class Run:
    """Formulas in rows r0 .. r0+k-1 of column `col` that differ only by row."""

    __slots__ = ("col", "r0", "k", "text", "_tpl")

    def __init__(self, col: int, r0: int, k: int, text: str, tpl: RowTemplate | None = None):
        self.col, self.r0, self.k, self.text, self._tpl = col, r0, k, text, tpl

    @property
    def tpl(self) -> RowTemplate:
        if self._tpl is None:
            self._tpl = RowTemplate(self.text, self.r0)
        return self._tpl

    def text_at(self, r: int) -> str:
        return self.text if r == self.r0 else self.tpl.render(r)


@dataclass
class ArrayFormula:
    row: int
    col: int
    box: tuple  # (r0, c0, r1, c1) it fills
    text: str
    dynamic: bool = False  # an Excel 365 dynamic array (spills; blanks, not #N/A, where it ends early)
    k: int = 1  # a one-cell {=...} typed down k rows, each its own cell, differing only by row (read as a run)


@dataclass
class SheetData:
    name: str
    rows: array = field(default_factory=lambda: array("i"))  # numeric value cells
    cols: array = field(default_factory=lambda: array("i"))
    vals: array = field(default_factory=lambda: array("d"))
    other: list = field(default_factory=list)  # (r, c, value): text, bool, ErrorCode text ("#N/A", is_error)
    runs: list = field(default_factory=list)
    arrays: list = field(default_factory=list)
    hidden_rows: set = field(default_factory=set)
    cached: dict | None = None  # (r, c) -> cached value of formula cells, when asked for
    max_row: int = -1
    max_col: int = -1

    def corner(self) -> tuple[int, int] | None:
        """(largest row, largest column) over cells(), or None where a cell lies before A1 or there are none."""
        rows, cols = np.frombuffer(self.rows, np.int32), np.frombuffer(self.cols, np.int32)
        lo, r1, c1 = 0, -1, -1
        if len(rows):
            lo, r1, c1 = min(int(rows.min()), int(cols.min())), int(rows.max()), int(cols.max())
        for r, c, _ in self.other:
            lo, r1, c1 = min(lo, r, c), max(r1, r), max(c1, c)
        for run in self.runs:
            lo, r1, c1 = min(lo, run.r0, run.col), max(r1, run.r0 + run.k - 1), max(c1, run.col)
        for a in self.arrays:
            lo, r1, c1 = min(lo, *a.box), max(r1, a.box[0], a.box[2] + a.k - 1), max(c1, a.box[1], a.box[3])
        return None if lo < 0 or r1 < 0 else (r1, c1)

    def cells(self) -> np.ndarray:
        """Every occupied (r, c) as an (n, 2) array: values, formulas and array blocks."""
        parts = [np.stack([np.frombuffer(self.rows, np.int32), np.frombuffer(self.cols, np.int32)], axis=1)]
        if self.other:
            parts.append(np.array([(r, c) for r, c, _ in self.other], np.int64).reshape(-1, 2))
        for run in self.runs:
            rr = np.arange(run.r0, run.r0 + run.k)
            parts.append(np.stack([rr, np.full(run.k, run.col)], axis=1))
        if self.arrays:  # corners (r0, c0), (r1, c1)
            parts.append(np.array([(a.box[0], a.box[1], a.box[2] + a.k - 1, a.box[3]) for a in self.arrays],
                                  np.int64).reshape(-1, 2))
        return np.concatenate([p.astype(np.int64) for p in parts])
