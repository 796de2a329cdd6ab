"""Row recurrences: columns of formulas that feed each other down the rows, run as one loop.

gd's sheets step the params one row at a time: a row's gradients read the params of the row above,
and its params read its own gradients.  Their column groups make a cycle, though no cell reads
itself.  Such a cycle stays as its column groups (one AST and one compiled function each) and runs
as one unit: row after row, the columns in the order a row's cells read each other, each cell by its
column's compiled function at its row, or by the general path where that cannot say.

A cycle is taken as a recurrence only where that order is sure to be right: every reference between
its columns reads rows above the cell, or its own row of a column computed before it in the row.
Any other cycle is split into single cells as before (sheetnet.engine.evaluate), and a cycle of cells
is a circular reference.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right

import numpy as np

from .compile import RAISE, Common, common_keys, compile_steps
from .graph import Group, reads_of, shift, walk
from .values import NUM

_KINDS = {"num", "str", "bool", "err", "missing", "arr", "ref", "neg", "pct", "bin", "fn"}


class Recurrence:
    """Column groups run row by row: members in the order a row's cells are computed."""

    __slots__ = ("members", "sheet", "rows", "steps", "_cells", "stamp")

    def __init__(self, members: list, groups):
        self.members = members
        self.sheet = groups[members[0]].sheet
        rows: dict = {}  # row -> the members with a cell in it, in the order a row computes them
        for m in members:
            g = groups[m]
            for r in range(g.r0, g.r0 + g.k):
                rows.setdefault(r, []).append(m)
        self.rows = sorted(rows.items())
        self.steps: dict = {}  # member id -> step(i), its compiled path (or None)
        self._cells: dict = {}  # (member id, i) -> its cell i as a one-cell group, made when asked
        self.stamp = [0]  # its count of runs (sheetnet.engine.compile.Common)

    def cell(self, g: Group, i: int) -> Group:
        """Cell i of member g as a group of its own (the general path and autograd take these); a member of
        one cell is its own."""
        if g.k == 1:
            return g
        key = (g.id, i)
        c = self._cells.get(key)
        if c is None:
            node = shift(g.node, i)
            c = self._cells[key] = Group(g.id, g.sheet, g.col, g.r0 + i, 1, g.text_at(g.r0 + i), g.tpl, _node=node,
                                         reads=reads_of(node, 1), array_eval=g.array_eval)
        return c

    def cells_in_order(self, groups) -> list:
        """Every cell as a one-cell group, in the order the loop computes them."""
        return [self.cell(groups[m], r - groups[m].r0) for r, ms in self.rows for m in ms]


def find(groups, comp) -> Recurrence | None:
    """The cycle `comp` (group ids) as a recurrence, or None where it is not sure to be one."""
    gs = [groups[i] for i in comp]
    if len({g.sheet for g in gs}) != 1:
        return None
    sheet = gs[0].sheet
    for g in gs:  # ({=...} typed in each cell is fine: its cells run the general path, as split cells did)
        if g.array_box is not None and g.array_box != (g.r0, g.col, g.r0, g.col) or g.dynamic or g.volatile or \
                g.runtime_refs or g.split is not None:
            return None
    by_col: dict = {}  # column -> its members, top to bottom (their rows never overlap)
    for g in gs:
        by_col.setdefault(g.col, []).append(g)
    for ms in by_col.values():
        ms.sort(key=lambda m: m.r0)
    cols = sorted(by_col)
    ends = {c: [m.r0 + m.k - 1 for m in ms] for c, ms in by_col.items()}
    before = {g.id: set() for g in gs}  # member -> the members its row's cell reads in that row
    for g in gs:
        for n in walk(g.node):
            if n[0] not in _KINDS:
                return None
            if n[0] != "ref" or n[1] != sheet:
                continue
            _, _, r0, c0, r1, c1, rel0, rel1 = n
            last = r1 + (g.k - 1 if rel1 else 0)
            for c in cols[bisect_left(cols, c0):bisect_right(cols, c1)]:
                ms, es = by_col[c], ends[c]
                for m in ms[bisect_left(es, r0):]:  # the members of this column the box can reach
                    if m.r0 > last:
                        break
                    # the lowest row of m read, against the reading cell's row: the same at every cell for a
                    # relative end, largest at the first cell for a fixed one
                    worst = min(r1, m.r0 + m.k - 1) - g.r0
                    if worst > 0 or worst == 0 and m is g:
                        return None  # a row below (or the cell itself): not a recurrence row by row
                    if worst == 0:
                        before[g.id].add(m.id)
    # the members in the order a row's cells read each other (by column on ties)
    waiting = {g.id: len(before[g.id]) for g in gs}
    after: dict = {}
    for g in gs:
        for m in before[g.id]:
            after.setdefault(m, []).append(g)
    ready = [(g.col, g.r0, g.id) for g in gs if not waiting[g.id]]
    heapq.heapify(ready)
    order = []
    while ready:
        _, _, i = heapq.heappop(ready)
        order.append(i)
        for g in after.get(i, ()):
            waiting[g.id] -= 1
            if not waiting[g.id]:
                heapq.heappush(ready, (g.col, g.r0, g.id))
    if len(order) < len(gs):
        return None  # the cells of a row read each other round: a circular reference
    return Recurrence(order, groups)


def compile_recurrence(eng, u: Recurrence):
    band = [(g.sheet, g.r0, g.col, g.r0 + g.k - 1, g.col) for g in (eng.groups[m] for m in u.members)]
    common = Common(common_keys(eng.groups[m].node for m in u.members), u.stamp)
    for m in u.members:
        u.steps[m] = compile_steps(eng, eng.groups[m], band, common)


def run(eng, u: Recurrence):
    """Compute the recurrence's cells, row after row; held members and cells keep their values."""
    for m in u.members:
        eng._pending.discard(m)
    u.stamp[0] += 1
    t = eng.grids[u.sheet].tiles[0]
    held = eng.held_cells
    todo = {}
    for m in u.members:
        if m not in eng.held:
            compiled = u.steps.get(m)  # its compiled step where what it reads outside the loop is all numbers
            todo[m] = (eng.groups[m], compiled[0] if compiled is not None and compiled[1]() else None)
    rows = [[todo[m] for m in ms if m in todo] for _, ms in u.rows]
    usual = np.geterr()
    with np.errstate(**RAISE):  # (once for every compiled step; the general path under the usual state)
        for (r, _), row in zip(u.rows, rows):
            for g, step in row:
                i = r - g.r0
                if held and (g.sheet, r, g.col) in held:
                    continue
                try:
                    v = step(i) if step is not None else None
                except Exception:  # (a shape it did not foresee): the general path says what it is
                    v = None
                if v is not None:  # the compiled path: a number (it reads only what lies in the main tile)
                    t.num[r, g.col] = v
                    if t.typ[r, g.col] != NUM:
                        t.typ[r, g.col] = NUM
                else:
                    with np.errstate(**usual):
                        eng._run(u.cell(g, i))
