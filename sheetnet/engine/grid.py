"""A sheet's values: dense tiles over the cells that exist, not over the sheet's bounding box.

Most sheets are one tile from A1.  A cell typed far away (XFD1048576) gets a small tile of its own,
so memory and time follow the cells that exist.  Each tile holds numbers, a type code per cell and
the text or error code where there is one, column by column (a column of formulas is contiguous).
Reading a box inside one tile is a view; a box across tiles is assembled, blank in between.
"""

from __future__ import annotations

import numpy as np

from .values import BLANK, BOOL, ERR, NUM, TEXT, EngineError, ErrorCode

MAX_CELLS = 60_000_000  # cells of one tile; beyond this sheetnet refuses
ROW_GAP, COL_GAP = 4096, 256  # empty rows / columns that split a sheet into tiles


class Tile:
    __slots__ = ("r0", "c0", "r1", "c1", "num", "typ", "obj", "gid")

    def __init__(self, r0, c0, r1, c1):
        h, w = r1 - r0 + 1, c1 - c0 + 1
        if h * w > MAX_CELLS:
            raise EngineError(f"{h} x {w} cells is more than the {MAX_CELLS} sheetnet evaluates in one block")
        self.r0, self.c0, self.r1, self.c1 = r0, c0, r1, c1
        self.num = np.zeros((h, w), order="F")
        self.typ = np.zeros((h, w), np.uint8, order="F")
        self.obj = np.full((h, w), None, object, order="F")
        self.gid = np.full((h, w), -1, np.int32, order="F")

    def holds(self, r, c) -> bool:
        return self.r0 <= r <= self.r1 and self.c0 <= c <= self.c1


def plan_tiles(cells) -> list[tuple[int, int, int, int]]:
    """Boxes covering every occupied (r, c): the first starts at A1; far clusters get their own."""
    cells = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
    if cells.size == 0:
        return [(0, 0, 0, 0)]
    hi = cells.max(axis=0)
    if hi[0] <= ROW_GAP and hi[1] <= COL_GAP and cells.min() >= 0:  # no gap can split it: one tile from A1
        return [(0, 0, int(hi[0]), int(hi[1]))]
    boxes = []
    rest = cells
    # the main tile: from A1 down to the first gap of ROW_GAP empty rows, across to a gap of COL_GAP columns
    r_end = _before_gap(_present(rest[:, 0]), ROW_GAP, start=0)
    in_rows = rest[rest[:, 0] <= r_end]
    c_end = _before_gap(_present(in_rows[:, 1]), COL_GAP, start=0) if len(in_rows) else 0
    boxes.append((0, 0, max(r_end, 0), max(c_end, 0)))
    rest = rest[~((rest[:, 0] <= r_end) & (rest[:, 1] <= c_end))]
    # the others: bands of rows split at gaps, then bands of columns within each
    if len(rest):
        rows = np.unique(rest[:, 0])
        for ra, rb in _bands(rows, ROW_GAP):
            band = rest[(rest[:, 0] >= ra) & (rest[:, 0] <= rb)]
            for ca, cb in _bands(np.unique(band[:, 1]), COL_GAP):
                part = band[(band[:, 1] >= ca) & (band[:, 1] <= cb)]
                boxes.append((int(part[:, 0].min()), int(ca), int(part[:, 0].max()), int(cb)))
    return boxes


def _present(vals) -> np.ndarray:
    """The distinct values, ascending: by occupancy (rows and columns are small numbers), not by sorting."""
    if len(vals) == 0 or vals.min() < 0:
        return np.unique(vals)
    seen = np.zeros(int(vals.max()) + 1, bool)
    seen[vals] = True
    return np.flatnonzero(seen)


def _before_gap(sorted_vals, gap, start=0) -> int:
    if len(sorted_vals) == 0:
        return start
    if sorted_vals[0] - start > gap:
        return start
    d = np.diff(sorted_vals)
    cut = np.flatnonzero(d > gap)
    return int(sorted_vals[cut[0]] if len(cut) else sorted_vals[-1])


def _bands(sorted_vals, gap):
    d = np.diff(sorted_vals)
    cuts = np.flatnonzero(d > gap)
    starts = np.concatenate([[0], cuts + 1])
    ends = np.concatenate([cuts, [len(sorted_vals) - 1]])
    return [(int(sorted_vals[a]), int(sorted_vals[b])) for a, b in zip(starts, ends)]


class Grid:
    """A sheet's values over its tiles (tile 0 from A1: `num`, `typ`, `obj` are its arrays)."""

    def __init__(self, boxes):
        self.tiles = [Tile(*b) for b in boxes]
        main = self.tiles[0]
        self.num, self.typ, self.obj, self.gid = main.num, main.typ, main.obj, main.gid
        self.rows = max(t.r1 for t in self.tiles) + 1  # the sheet's extent: reads are clipped to it
        self.cols = max(t.c1 for t in self.tiles) + 1
        self.tver = 0  # bumped whenever a cell may stop being a number
        self.numcache: dict = {}
        self.formula_box = None  # (r0, c0, r1, c1) around every formula cell, or None (sheetnet.engine.building)

    @property
    def shape(self):
        return self.rows, self.cols

    def tile(self, r, c) -> Tile | None:
        t = self.tiles[0]
        if r <= t.r1 and c <= t.c1:
            return t
        for t in self.tiles[1:]:
            if t.holds(r, c):
                return t
        return None

    def col_extent(self, c0, c1) -> int:
        """Rows in use in columns c0..c1: where a whole-column reference ends."""
        return max((t.r1 for t in self.tiles if t.c0 <= c1 and c0 <= t.c1), default=0) + 1

    # ---- single cells -------------------------------------------------------------------------

    def put(self, r, c, value):
        t = self.tile(r, c)
        if t is None:
            raise KeyError((r, c))
        i, j = r - t.r0, c - t.c0
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            self.tver += 1
        if value is None:
            t.num[i, j], t.typ[i, j], t.obj[i, j] = 0.0, BLANK, None
        elif isinstance(value, ErrorCode):
            t.num[i, j], t.typ[i, j], t.obj[i, j] = np.nan, ERR, str(value)
        elif isinstance(value, bool):
            t.num[i, j], t.typ[i, j], t.obj[i, j] = float(value), BOOL, None
        elif isinstance(value, str):
            t.num[i, j], t.typ[i, j], t.obj[i, j] = np.nan, TEXT, value
        else:
            t.num[i, j], t.typ[i, j], t.obj[i, j] = float(value), NUM, None

    def value(self, r, c):
        t = self.tile(r, c)
        if t is None:
            return None
        i, j = r - t.r0, c - t.c0
        k = t.typ[i, j]
        return (None if k == BLANK else float(t.num[i, j]) if k == NUM else bool(t.num[i, j]) if k == BOOL
                else str(t.obj[i, j]) if k == TEXT else ErrorCode(t.obj[i, j]))

    def group(self, r, c) -> int:
        t = self.tile(r, c)
        return -1 if t is None else int(t.gid[r - t.r0, c - t.c0])

    # ---- boxes --------------------------------------------------------------------------------

    def clip(self, r0, c0, r1, c1):
        """A box cut to where the sheet is in use (a whole column ends where its cells end)."""
        t = self.tiles[0]
        if r1 <= t.r1 and c1 <= t.c1:
            return r0, c0, r1, c1
        c1 = min(c1, self.cols - 1)
        if r1 > t.r1:
            r1 = min(r1, self.col_extent(c0, c1) - 1)
        return r0, c0, r1, c1

    def main_holds(self, r0, c0, r1, c1) -> bool:
        t = self.tiles[0]
        return r1 <= t.r1 and c1 <= t.c1

    def block(self, r0, c0, r1, c1, what=("num", "typ", "obj")):
        """The box's arrays (views inside tile 0; else an assembled copy, blank between tiles)."""
        if self.main_holds(r0, c0, r1, c1):
            t = self.tiles[0]
            return tuple(getattr(t, w)[r0:r1 + 1, c0:c1 + 1] for w in what)
        h, w_ = r1 - r0 + 1, c1 - c0 + 1
        if h * w_ > MAX_CELLS:
            raise EngineError(f"a range of {h} x {w_} cells is more than the {MAX_CELLS} sheetnet reads at once")
        fill = {"num": (0.0, float), "typ": (BLANK, np.uint8), "obj": (None, object), "gid": (-1, np.int32)}
        out = {w: np.full((h, w_), fill[w][0], dtype=fill[w][1], order="F") for w in what}
        for t in self.tiles:
            a, b = max(r0, t.r0), min(r1, t.r1)
            c, d = max(c0, t.c0), min(c1, t.c1)
            if a > b or c > d:
                continue
            for w in what:
                out[w][a - r0:b - r0 + 1, c - c0:d - c0 + 1] = getattr(t, w)[a - t.r0:b - t.r0 + 1, c - t.c0:d - t.c0 + 1]
        return tuple(out[w] for w in what)

    def all_numbers(self, r0, r1, c0, c1) -> bool:
        """Is every cell of rows r0..r1-1, columns c0..c1-1 a number (cached per type version)?"""
        return self._types_are(r0, r1, c0, c1, NUM)

    def no_errors(self, r0, r1, c0, c1) -> bool:
        """Does no cell of the box hold an error (as all_numbers; a cell becomes an error only where the type
        version moves)?"""
        return self._types_are(r0, r1, c0, c1, ERR)

    def numbers_or_blanks(self, r0, r1, c0, c1) -> bool:
        """Is every cell of the box a number or blank (as all_numbers)?"""
        return self._types_are(r0, r1, c0, c1, BLANK)

    def _types_are(self, r0, r1, c0, c1, kind) -> bool:
        key = (r0, r1, c0, c1, kind)
        hit = self.numcache.get(key)
        if hit is not None and hit[0] == self.tver:
            return hit[1]
        (typ,) = self.block(r0, c0, r1 - 1, c1 - 1, ("typ",))
        ok = bool((typ == NUM).all() if kind == NUM else not (typ == ERR).any() if kind == ERR else (typ <= NUM).all())
        self.numcache[key] = (self.tver, ok)  # (BLANK 0 and NUM 1: numbers_or_blanks is typ <= NUM)
        return ok

    def store(self, r0, c0, num, typ=None, obj=None, keep_blank=False):
        """A group's results into rows r0.., columns c0.. (inside one tile); a blank result shows 0, but
        where a dynamic array ends early its cells stay blank (keep_blank)."""
        h, w = num.shape
        t = self.tile(r0, c0)
        i, j = r0 - t.r0, c0 - t.c0
        self._put(t, (slice(i, i + h), slice(j, j + w)), num, typ, obj, keep_blank)

    def store_cells(self, rows, cols, num, typ=None, obj=None):
        """Results into cells (rows[i], cols[i]) of the main tile, as store puts a block (gathered cells)."""
        self._put(self.tiles[0], (rows, cols), num, typ, obj, False)

    def _put(self, t, where, num, typ, obj, keep_blank):
        if typ is None:
            t.num[where] = num
            if not (t.typ[where] == NUM).all():
                t.typ[where] = NUM
            return
        self.tver += 1
        if not keep_blank:
            typ = np.where(typ == BLANK, NUM, typ)  # a formula showing a blank cell shows 0
        t.num[where] = np.where(typ == NUM, np.nan_to_num(num), num)
        t.typ[where] = typ
        t.obj[where] = obj if obj is not None else None
