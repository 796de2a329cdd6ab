"""A formula copied across rows and columns, evaluated as one block.

collab's predictions (=IF(H2="",0,MMULT($B25:$F25,H$19:H$23)) over a 15 x 15 crosstab) and a conv
layer's {=MAX(0,SUM(A1:C3*$AE$1:$AG$3))} over 26 x 26 cells are column groups side by side, the same
formula moved one column each.  Such columns stay groups of their own (for the order, changes, the
grader and autograd) but are evaluated together: the k rows times W columns of cells as one block of
K = k*W cells, each reference read as a window that moves with the cell's row where its row is
relative and with its column where its column is, the cells in row-major order.

Single cells of one shape anywhere (a pooling layer's MAX over 2 x 2 blocks with a stride) are
gathered the same way: K cells, each reference read at each cell's own box.

Only what is sure to mean the same cell by cell is put together: the same shape of plain formula
(sheetnet.engine.parsecache) in adjacent columns over the same rows, every reference moving by the
column or not at all, functions that see only their arguments' values, and no column reading
another's cells.  Whatever the block cannot do (an implicit intersection, a reference beyond the
main block, an error raised for some cells) is done column by column instead, as before.
"""

from __future__ import annotations

import numpy as np

from .functions import FUNCTIONS, REF_FUNCTIONS
from .graph import Group, refs, walk
from .values import NUM

_KINDS = {"num", "str", "bool", "err", "missing", "arr", "ref", "neg", "pct", "bin", "fn"}
MAX_READ = 1 << 22  # elements of one reference's windows, copied out, beyond which the columns go one by one


class NotWide(Exception):
    """This block cannot be evaluated at once: its columns one by one."""


class Wide(Group):
    """The block as the evaluator sees it: k rows by W columns of cells, K = k*W in row-major order; or
    (gather) K single cells anywhere, each reference read at each cell's own box."""

    def __init__(self, first: Group, W: int, colrel: dict, gather=None):
        super().__init__(-2, first.sheet, first.col, first.r0, first.k * W, first.formula, None, _node=first.node,
                         array_eval=first.array_eval)
        self.rows, self.cols, self.colrel, self.gather = first.k, W, colrel, gather


class Batch:
    __slots__ = ("members", "colrel", "gather", "fast")

    def __init__(self, members: list, colrel: dict, gather=None):
        self.members, self.colrel, self.gather = members, colrel, gather
        self.fast = None  # its compiled path (sheetnet.engine.compiled_wide), made on its first run; False: none


class Gather:
    """Single cells of one shape anywhere (a pooling layer's MAX over 2 x 2 blocks, stride 2): each reference's
    top-left corner in each cell, (K, 2) at its place in the first cell's AST."""

    __slots__ = ("place", "corners", "rows", "cols")

    def __init__(self, place: dict, corners: list, rows, cols):
        self.place, self.corners, self.rows, self.cols = place, corners, rows, cols


MIN_GATHER, MAX_GATHER = 8, 1 << 14  # single cells of one shape worth gathering, and at most at once


def independent(batches, pre) -> list:
    """The batches none of whose members reads another's cells (the batch computes them all at once);
    pre[i]: the groups whose cells group i reads."""
    out = []
    for b in batches:
        members = set(b.members)
        if not any(p in members for m in b.members for p in pre[m]):
            out.append(b)
    return out


def find(groups, shapes: dict, exclude: set, compiled) -> list:
    """The batches among the groups: [Batch] (members left to right); compiled(g): g's compiled path, or None."""
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
            b = _batch(run) if len(run) > 1 else None
            if b is not None and not all(compiled(m) is not None for m in run):  # (compiled columns stay as they are;
                out.append(b)  # asked only of a block, so cells in a row that are no block never compile for it)
            run = [g]
    return out


def find_gathers(groups, shapes: dict, exclude: set) -> list:
    """Single cells of one shape, not in a block: [Batch] with a Gather."""
    by_key: dict = {}
    for g in groups:
        shape = shapes.get(g.id)
        if shape is None or g.k != 1 or g.id in exclude or g.array_box is not None or g.dynamic or g.volatile or \
                g.runtime_refs or g.split is not None:
            continue
        by_key.setdefault((g.sheet, g.array_eval, shape), []).append(g)
    out = []
    for gs in by_key.values():
        for i in range(0, len(gs), MAX_GATHER):
            part = gs[i:i + MAX_GATHER]
            if len(part) >= MIN_GATHER:
                b = _gather(part)
                if b is not None:
                    out.append(b)
    return out


def _plain(node) -> bool:
    return all(n[0] in _KINDS and not (n[0] == "fn" and FUNCTIONS[n[1]].mode != "value" and not _one_of(n))
               for n in walk(node))


def _gather(gs) -> Batch | None:
    first = gs[0]
    if not _plain(first.node):
        return None
    refs0 = refs(first.node)
    corners: list = [[] for _ in refs0]
    for g in gs:
        rs = g.ref_nodes()
        if len(rs) != len(refs0):
            return None
        for p, (a, b) in enumerate(zip(refs0, rs)):
            if b[1] != a[1] or b[4] - b[2] != a[4] - a[2] or b[5] - b[3] != a[5] - a[3] or b[6:] != a[6:]:
                return None
            corners[p].append((b[2], b[3]))
    rows = np.array([g.r0 for g in gs])
    cols = np.array([g.col for g in gs])
    if (int(rows.max()) - int(rows.min()) + 1) * (int(cols.max()) - int(cols.min()) + 1) > MAX_READ:
        return None  # cells this far apart do not lie in one tile, where a gathered read takes them from
    place = {id(n): p for p, n in enumerate(refs0)}
    if len(place) != len(refs0):
        return None
    return Batch([g.id for g in gs], {}, Gather(place, [np.array(c, np.int64) for c in corners], rows, cols))


def _batch(run) -> Batch | None:
    """The run of columns as a Batch where each reference of column j is the first column's moved j columns
    across (moves) or not at all, its rows, sheet and $ alike; else None."""
    first = run[0]
    if not _plain(first.node):
        return None
    refs0 = refs(first.node)
    if any(a[6] != a[7] for a in refs0):
        return None
    fixed = [(a[1], a[2], a[4], a[6], a[7], a[5] - a[3]) for a in refs0]  # (what no column changes)
    moves = None
    for j, g in enumerate(run[1:], 1):
        rs = g.ref_nodes()
        if len(rs) != len(refs0) or [(b[1], b[2], b[4], b[6], b[7], b[5] - b[3]) for b in rs] != fixed:
            return None
        d = [b[3] - a[3] for a, b in zip(refs0, rs)]
        if moves is None:  # (the second column says which references move: by one column, or not at all)
            if any(x not in (0, 1) for x in d):
                return None
            moves = [x == 1 for x in d]
        elif d != [j if m else 0 for m in moves]:
            return None
    return Batch([g.id for g in run], {id(a): m for a, m in zip(refs0, moves)})


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
    grid = eng.grids[first.sheet]
    if b.gather is not None:
        inside = grid.main_holds(0, 0, int(b.gather.rows.max()), int(b.gather.cols.max()))
    else:
        inside = grid.main_holds(first.r0, first.col, first.r0 + first.k - 1, first.col + len(groups) - 1)
    if not any(m in eng.held for m in b.members) and inside:
        wg = Wide(first, len(groups), b.colrel, b.gather)
        if b.fast is None:
            from .compile import compile_wide

            b.fast = compile_wide(eng, wg) or False
        out = b.fast(0) if b.fast else None
        if out is not None:  # the compiled path: K numbers
            grid.store(wg.r0, wg.col, out.reshape(wg.rows, wg.cols))
            for g in groups:
                g.stored_numbers = False
            return
        try:
            v = eng._eval(wg.node, wg, wg.array_eval, True)
            if v.shape[1:] != (1, 1):
                if not wg.array_eval:
                    raise NotWide
                v = v.top_left()
            v = v.broadcast((wg.k, 1, 1))
        except Exception:  # (NotWide, an error raised for some cells, a shape the block cannot take)
            v = None
        if v is not None and b.gather is not None:
            grid.store_cells(b.gather.rows, b.gather.cols, v.num.reshape(-1), None if v.typ is None else v.typ.reshape(-1),
                             None if v.obj is None else v.obj.reshape(-1))
        elif v is not None:
            k, W = wg.rows, wg.cols
            grid.store(wg.r0, wg.col, v.num.reshape(k, W), None if v.typ is None else v.typ.reshape(k, W),
                       None if v.obj is None else v.obj.reshape(k, W))
        if v is not None:
            for g in groups:
                g.stored_numbers = False
            return
    for g in groups:
        eng._run(g)


def read(eng, node, g: Wide):
    """A reference's values for each cell of the block: (K, h, w), or (1, h, w) where it does not move."""
    from .values import V

    if g.gather is not None:
        return _gathered(eng, node, g.gather)
    got = windows_of(eng, node, g)
    if got is None:
        raise NotWide
    grid, (r0, r1, c0, c1), windows = got
    t = grid.tiles[0]
    box = (slice(r0, r1), slice(c0, c1))
    K, h, w = g.k, node[4] - node[2] + 1, node[5] - node[3] + 1

    def cells(a):
        v = windows(a)
        return v if v.ndim == 3 else v.reshape(K, h, w)
    if grid.all_numbers(r0, r1, c0, c1):
        return V(cells(t.num[box]), ref=True)
    return V(cells(t.num[box]), cells(t.typ[box]), cells(t.obj[box]), ref=True)


def windows_of(eng, node, g: Wide):
    """What a reference reads in a block of columns: (grid, (r0, r1, c0, c1) the box of rows r0..r1-1 and columns
    c0..c1-1 that all the cells' windows lie in, windows) where windows(a) views a (the box's num, typ or obj)
    as (k, W, h, w), cell (i, j)'s window, or as (1, h, w) where the reference does not move; None where the
    block cannot read it (a reference moving unlike the columns, beyond the main tile, or too large to copy).
    The general path's reads (read) and the compiled path's (sheetnet.engine.compiled_wide) both take these."""
    _, s, r0, c0, r1, c1, rel0, rel1 = node
    crel = g.colrel.get(id(node))
    if crel is None or rel0 != rel1:
        return None
    k, W = g.rows, g.cols
    grid = eng.grids[s]
    R1, C1 = r1 + (k - 1 if rel0 else 0), c1 + (W - 1 if crel else 0)
    h, w = r1 - r0 + 1, c1 - c0 + 1
    if not grid.main_holds(r0, c0, R1, C1) or (rel0 or crel) and k * W * h * w > MAX_READ:
        return None

    def windows(a):
        if not rel0 and not crel:
            return a[None]
        # (k, W, h, w): cell (i, j)'s window starts i rows down where its rows move, j columns across where its
        # columns do; a spans (k - 1 + h) x (W - 1 + w) where both move, so every window lies inside it
        s0, s1 = a.strides
        return np.lib.stride_tricks.as_strided(a, (k, W, h, w), (s0 if rel0 else 0, s1 if crel else 0, s0, s1),
                                               writeable=False)
    return grid, (r0, R1 + 1, c0, C1 + 1), windows


def _gathered(eng, node, ga: Gather):
    """A reference's box at each gathered cell: (K, h, w), copied out of the main tile."""
    from .values import V

    _, s, r0, c0, r1, c1, _, _ = node
    p = ga.place.get(id(node))
    if p is None:
        raise NotWide
    h, w = r1 - r0 + 1, c1 - c0 + 1
    rc = ga.corners[p]
    grid = eng.grids[s]
    if len(rc) * h * w > MAX_READ or not grid.main_holds(0, 0, int(rc[:, 0].max()) + h - 1, int(rc[:, 1].max()) + w - 1):
        raise NotWide
    R = rc[:, 0, None, None] + np.arange(h)[None, :, None]
    C = rc[:, 1, None, None] + np.arange(w)[None, None, :]
    t = grid.tiles[0]
    typ = t.typ[R, C]
    if (typ == NUM).all():
        return V(t.num[R, C], ref=True)
    return V(t.num[R, C], typ, t.obj[R, C], ref=True)
