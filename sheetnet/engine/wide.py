"""A formula copied across rows and columns, evaluated as one block.

collab's predictions (=IF(H2="",0,MMULT($B25:$F25,H$19:H$23)) over a 15 x 15 crosstab) and a conv
layer's {=MAX(0,SUM(A1:C3*$AE$1:$AG$3))} over 26 x 26 cells are column groups side by side, the same
formula moved one column each.  Such columns stay groups of their own (for the order, changes, the
grader and autograd) but are evaluated together: the k rows times W columns of cells as one block of
K = k*W cells, each reference read as a window that moves with the cell's row where its row is
relative and with its column where its column is, the cells in row-major order.

Only what is sure to mean the same cell by cell is put together: the same shape of plain formula
(sheetnet.engine.parsecache) in adjacent columns over the same rows, every reference moving by the
column or not at all, functions that see only their arguments' values, and no column reading
another's cells.  Whatever the block cannot do (an implicit intersection, a reference beyond the
main block, an error raised for some cells) is done column by column instead, as before.
"""

from __future__ import annotations

import numpy as np

from .functions import FUNCTIONS, REF_FUNCTIONS
from .graph import Group, walk

_KINDS = {"num", "str", "bool", "err", "missing", "arr", "ref", "neg", "pct", "bin", "fn"}
MAX_READ = 1 << 22  # elements of one reference's windows, copied out, beyond which the columns go one by one


class NotWide(Exception):
    """This block cannot be evaluated at once: its columns one by one."""


class Wide(Group):
    """The block as the evaluator sees it: k rows by W columns of cells, K = k*W in row-major order."""

    def __init__(self, first: Group, W: int, colrel: dict):
        super().__init__(-2, first.sheet, first.col, first.r0, first.k * W, first.formula, None, _node=first.node,
                         array_eval=first.array_eval)
        self.rows, self.cols, self.colrel = first.k, W, colrel


class Batch:
    __slots__ = ("members", "colrel")

    def __init__(self, members: list, colrel: dict):
        self.members, self.colrel = members, colrel


def find(groups, shapes: dict, exclude: set) -> list:
    """The batches among the groups: [Batch] (members left to right)."""
    by_key: dict = {}
    for g in groups:
        shape = shapes.get(g.id)
        if shape is None or g.id in exclude or g.array_box is not None or g.dynamic or g.volatile or \
                g.runtime_refs or g.split is not None:
            continue
        by_key.setdefault((g.sheet, g.r0, g.k, g.array_eval, shape), []).append(g)
    out = []
    for gs in by_key.values():
        if len(gs) < 2:
            continue
        gs.sort(key=lambda g: g.col)
        run = [gs[0]]
        for g in gs[1:] + [None]:
            if g is not None and g.col == run[-1].col + 1:
                run.append(g)
                continue
            if len(run) > 1 and not all(m.fast is not None for m in run):  # (compiled columns stay as they are)
                b = _batch(run)
                if b is not None:
                    out.append(b)
            run = [g]
    return out


def _batch(run) -> Batch | None:
    first = run[0]
    for n in walk(first.node):
        if n[0] not in _KINDS or n[0] == "fn" and FUNCTIONS[n[1]].mode != "value" and not _one_of(n):
            return None
    refs0 = [n for n in walk(first.node) if n[0] == "ref"]
    colrel = {}
    for j, g in enumerate(run[1:], 1):
        refs = [n for n in walk(g.node) if n[0] == "ref"]
        if len(refs) != len(refs0):
            return None
        for a, b in zip(refs0, refs):
            if a[1] != b[1] or a[2] != b[2] or a[4] != b[4] or a[6:] != b[6:] or a[6] != a[7] or \
                    b[3] - a[3] != b[5] - a[5]:
                return None
            d = b[3] - a[3]
            moves = colrel.setdefault(id(a), d != 0)
            if d != (j if moves else 0):
                return None
    # no column reads another's cells (the block computes them all at once)
    r1, c0, c1 = first.r0 + first.k - 1, first.col, run[-1].col
    for g in run:
        for (s, a, b, c, d) in g.reads:
            if s == first.sheet and a <= r1 and c >= first.r0 and b <= c1 and d >= c0:
                return None
    return Batch([g.id for g in run], colrel)


def _one_of(node) -> bool:
    """@x of what is not a reference: x's first value, for each cell by itself (a reference's @ meets the
    cell's own row or column, which only a column knows)."""
    if node[1] != "SINGLE":
        return False
    a = node[2][0]
    return a[0] != "ref" and not (a[0] == "fn" and a[1] in REF_FUNCTIONS)


def run(eng, b: Batch):
    """The batch's columns at once; any column held, or what the block cannot do: one by one."""
    for m in b.members:
        eng._pending.discard(m)
    groups = [eng.groups[m] for m in b.members]
    first = groups[0]
    if not any(m in eng.held for m in b.members) and \
            eng.grids[first.sheet].main_holds(first.r0, first.col, first.r0 + first.k - 1, first.col + len(groups) - 1):
        wg = Wide(first, len(groups), b.colrel)
        try:
            v = eng._eval(wg.node, wg, wg.array_eval, True)
            if v.shape[1:] != (1, 1):
                if not wg.array_eval:
                    raise NotWide
                v = v.top_left()
            v = v.broadcast((wg.k, 1, 1))
        except Exception:  # (NotWide, an error raised for some cells, a shape the block cannot take)
            v = None
        if v is not None:
            k, W = wg.rows, wg.cols
            eng.grids[wg.sheet].store(wg.r0, wg.col, v.num.reshape(k, W), None if v.typ is None else v.typ.reshape(k, W),
                                      None if v.obj is None else v.obj.reshape(k, W))
            for g in groups:
                g.stored_numbers = False
            return
    for g in groups:
        eng._run(g)


def read(eng, node, g: Wide):
    """A reference's values for each cell of the block: (K, h, w), or (1, h, w) where it does not move."""
    from .values import V

    _, s, r0, c0, r1, c1, rel0, rel1 = node
    crel = g.colrel.get(id(node))
    if crel is None or rel0 != rel1:
        raise NotWide
    k, W = g.rows, g.cols
    grid = eng.grids[s]
    R1, C1 = r1 + (k - 1 if rel0 else 0), c1 + (W - 1 if crel else 0)
    if not grid.main_holds(r0, c0, R1, C1):
        raise NotWide
    h, w = r1 - r0 + 1, c1 - c0 + 1
    if (rel0 or crel) and k * W * h * w > MAX_READ:
        raise NotWide
    t = grid.tiles[0]
    box = (slice(r0, R1 + 1), slice(c0, C1 + 1))

    def windows(a):
        if not rel0 and not crel:
            return a[None]
        v = np.lib.stride_tricks.sliding_window_view(a, (h, w))  # (rows, columns, h, w)
        v = np.broadcast_to(v[:k if rel0 else 1, :W if crel else 1], (k, W, h, w))
        return v.reshape(k * W, h, w)
    if grid.all_numbers(r0, R1 + 1, c0, C1 + 1):
        return V(windows(t.num[box]), ref=True)
    return V(windows(t.num[box]), windows(t.typ[box]), windows(t.obj[box]), ref=True)
