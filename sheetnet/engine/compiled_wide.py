"""The compiled path of a block of columns (sheetnet.engine.wide), as sheetnet.engine.compile's of a column.

collab's predictions, =IF(H2="",0,MMULT($B25:$F25,H$19:H$23)) over a 15 x 15 crosstab, are one block of
K = k*W cells.  Each reference is a view of the grid made once: a cell's own value, or the window that moves
with its row and column, exactly the windows the general path reads (sheetnet.engine.wide.read), so both
paths multiply and add the same numbers in the same order.  H2="" reads the type codes, checked to be
numbers or blanks, where the general path compares text too.
"""

from __future__ import annotations

from numpy.lib.stride_tricks import as_strided

from ..numerics import matmul
from .compiled_sums import _No
from .wide import MAX_READ


def wide_ref(eng, g, node, checks, scalar, blanks=False):
    """A reference's values in a block (a Wide): (K,) where it is one cell (moving), (K, h, w) windows, or what
    does not move ((1, h, w), or one number); blanks: type codes, each cell checked to be a number or blank."""
    _, s, r0, c0, r1, c1, rel0, rel1 = node
    crel = g.colrel.get(id(node))
    if g.gather is not None or crel is None or rel0 != rel1:
        raise _No
    k, W = g.rows, g.cols
    grid = eng.grids[s]
    R1, C1 = r1 + (k - 1 if rel0 else 0), c1 + (W - 1 if crel else 0)
    h, w = r1 - r0 + 1, c1 - c0 + 1
    if not grid.main_holds(r0, c0, R1, C1) or ((h, w) != (1, 1) and (scalar or blanks)) or k * W * h * w > MAX_READ:
        raise _No
    checks.append((grid, (r0, R1 + 1, c0, C1 + 1), False, grid.numbers_or_blanks if blanks else grid.all_numbers))
    t = grid.tiles[0]
    a = (t.typ if blanks else t.num)[r0:R1 + 1, c0:C1 + 1]  # (a view: the grid's values when called)
    if not rel0 and not crel:
        if (h, w) == (1, 1):
            return lambda: a[0, 0]
        return lambda: a[None]
    s0, s1 = a.strides
    v = as_strided(a, (k, W, h, w), (s0 if rel0 else 0, s1 if crel else 0, s0, s1), writeable=False)
    K = k * W
    if (h, w) == (1, 1):
        return lambda: v.reshape(K)
    return lambda: v.reshape(K, h, w)


def wide_mmult(eng, g, args, checks, compile_):
    """MMULT of a row window by a column window (a user's factors by a movie's): one number a cell, by
    sheetnet.numerics.matmul, as the general path's MMULT."""
    if len(args) != 2 or any(a[0] != "ref" for a in args):
        raise _No
    (_, _, a0, b0, a1, b1, _, _), (_, _, p0, q0, p1, q1, _, _) = args
    if a1 != a0 or q1 != q0 or b1 - b0 != p1 - p0 or b1 == b0:  # (1 x n) by (n x 1), n > 1; else the general path
        raise _No
    A, B = (compile_(eng, g, a, checks, False) for a in args)
    if not any(a[6] or g.colrel.get(id(a)) for a in args):  # (the same product for every cell)
        return lambda: matmul(A(), B())[0, 0, 0]
    K = g.k
    return lambda: matmul(A(), B()).reshape(K)
