"""The compiled path of a block of columns (sheetnet.engine.wide), as sheetnet.engine.compile's of a column.

collab's predictions, =IF(H2="",0,MMULT($B25:$F25,H$19:H$23)) over a 15 x 15 crosstab, are one block of
K = k*W cells.  Each reference is a view of the grid made once: a cell's own value, or the window that moves
with its row and column, exactly the windows the general path reads (sheetnet.engine.wide.read), so both
paths multiply and add the same numbers in the same order.  H2="" reads the type codes, checked to be
numbers or blanks, where the general path compares text too.
"""

from __future__ import annotations

from ..numerics import matmul
from .compiled_sums import _No
from .wide import MAX_READ, windows_of


def wide_ref(eng, g, node, checks, scalar, blanks=False):
    """A reference's values in a block (a Wide): (K,) where it is one cell (moving), (K, h, w) windows, or what
    does not move ((1, h, w), or one number); blanks: type codes, each cell checked to be a number or blank.
    Its windows are the general path's (wide.windows_of), made once: views of the grid's values when called."""
    h, w = node[4] - node[2] + 1, node[5] - node[3] + 1
    got = windows_of(eng, node, g) if g.gather is None else None
    if got is None or ((h, w) != (1, 1) and (scalar or blanks)) or g.k * h * w > MAX_READ:
        raise _No
    grid, (r0, r1, c0, c1), windows = got
    checks.append((grid, (r0, r1, c0, c1), False, grid.numbers_or_blanks if blanks else grid.all_numbers))
    t = grid.tiles[0]
    v = windows((t.typ if blanks else t.num)[r0:r1, c0:c1])
    K = g.k
    if v.ndim == 3:  # (it does not move)
        return (lambda: v[0, 0, 0]) if (h, w) == (1, 1) else (lambda: v)
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
