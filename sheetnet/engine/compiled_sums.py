"""The compiled path's sums over ranges (sheetnet.engine.compile): SUMPRODUCT, SUM, AVERAGE, MAX, MIN, COUNT
and SUMXMY2 and its friends, each reduced as the general evaluator reduces it, so both paths give the same bits.

Most need every cell they read to be a number (the compiled path's check).  COUNT of a range and the
pairs (SUMXMY2(ratings, predictions) over a grid with blanks, collab's RMSE) take blanks and text as the
general path does, by each cell's type: COUNT counts the numbers, the pairs add up the pairs where both are
numbers; the pairs' check is only that no cell read holds an error (which the general path gives).
"""

from __future__ import annotations

import numpy as np

from ..numerics import weighted_sum
from .functions.aggregate import PAIRS
from .values import NUM


class _No(Exception):
    """This AST has no fast path."""


class _NoShape(_No):
    """No AST of this shape has a fast path, wherever it is (an operation or a function the path has not)."""


SUMS = {"SUMPRODUCT", "SUM", "AVERAGE", "MAX", "MIN", "COUNT"} | set(PAIRS)


def compiled_sum(eng, g, node, checks, compile_, ref, split: bool):
    """node ("fn", one of SUMS, args) compiled: compile_ and ref are the compiled path's own (for the
    arguments); split: g is a split run's cell."""
    _, name, args = node
    if name == "SUMPRODUCT":
        return _sumproduct(eng, g, args, checks, compile_, split)
    whole = all(a[0] == "ref" and (g.k == 1 or not (a[6] or a[7])) for a in args)  # (one value for all k cells)
    if name in PAIRS:
        return _pairs(eng, g, args, PAIRS[name], checks, whole and not split)
    if not whole:
        raise _No
    if name == "COUNT" and not split:
        return _count(eng, args)
    blocks = [ref(eng, g, a, checks, False) for a in args]
    sizes = sum((a[4] - a[2] + 1) * (a[5] - a[3] + 1) for a in args)
    if name == "COUNT":  # (a split run's cell: its boxes move with it, each checked to be all numbers)
        return lambda: float(sizes)
    red = {"SUM": np.add, "AVERAGE": np.add, "MAX": np.maximum, "MIN": np.minimum}[name]

    def agg():  # as the general path reduces: each block over its cells, then across the arguments
        vals = [np.asarray(b(), float).reshape(1, -1) for b in blocks]
        x = vals[0].sum(axis=1) if red is np.add else red.reduce(vals[0], axis=1)
        for v in vals[1:]:
            x = x + v.sum(axis=1) if red is np.add else red(x, red.reduce(v, axis=1))
        return (x / sizes if name == "AVERAGE" else x)[0]
    return agg


def _main_tile(eng, a):
    """(grid, its main tile) of the box a reference reads, which the tile must hold (else no compiled path)."""
    _, s, r0, c0, r1, c1, _, _ = a
    grid = eng.grids[s]
    if not grid.main_holds(r0, c0, r1, c1):
        raise _No
    return grid, grid.tiles[0]


def _count(eng, args):
    """COUNT of ranges: their numbers, whatever else they hold (an error, text and blanks are not counted)."""
    typs = []
    for a in args:
        _, t = _main_tile(eng, a)
        typs.append((t.typ, a[2], a[4] + 1, a[3], a[5] + 1))

    def count():
        return float(sum(np.count_nonzero(typ[r0:r1, c0:c1] == NUM) for typ, r0, r1, c0, c1 in typs))
    return count


def _pairs(eng, g, args, f, checks, whole: bool):
    """SUMXMY2 and friends of two ranges of one size: f over the pairs where both cells are numbers (blanks and
    text skip the pair), each checked to hold no error."""
    if not whole or len(args) != 2:
        raise _No
    boxes = []
    for a in args:
        grid, t = _main_tile(eng, a)
        _, _, r0, c0, r1, c1, _, _ = a
        checks.append((grid, (r0, r1 + 1, c0, c1 + 1), False, grid.no_errors))
        boxes.append((t.num, t.typ, slice(r0, r1 + 1), slice(c0, c1 + 1)))
    (xs, xt, xr, xc), (ys, yt, yr, yc) = boxes
    if (xr.stop - xr.start) * (xc.stop - xc.start) != (yr.stop - yr.start) * (yc.stop - yc.start):
        raise _No  # (the general path's #N/A)

    def pairs():  # as aggregate._pairs: (1, cells) in reading order, masked, then added up
        x, y = xs[xr, xc].reshape(1, -1), ys[yr, yc].reshape(1, -1)
        ok = (xt[xr, xc].reshape(1, -1) == NUM) & (yt[yr, yc].reshape(1, -1) == NUM)
        return np.where(ok, f(x, y), 0.0).sum(axis=1)[0]
    return pairs


def _sumproduct(eng, g, args, checks, compile_, split: bool):
    # a row of this cell's inputs against one absolute row of params: a matrix-vector product
    if len(args) == 2 and all(a[0] == "ref" for a in args):
        (_, s1, a0, b0, a1, b1, r0, r1), (_, s2, p0, q0, p1, q1, rr0, rr1) = args
        if r0 and r1 and not rr0 and not rr1 and a0 == a1 and p0 == p1 and (b1 - b0) == (q1 - q0) and not split:
            grid1, grid2 = eng.grids[s1], eng.grids[s2]
            k = g.k
            if grid1.main_holds(a0, b0, a0 + k - 1, b1) and grid2.main_holds(p0, q0, p1, q1):
                X = grid1.tiles[0].num
                P = grid2.tiles[0].num
                checks.append((grid1, (a0, a0 + k, b0, b1 + 1), False, grid1.all_numbers))
                checks.append((grid2, (p0, p0 + 1, q0, q1 + 1), False, grid2.all_numbers))
                return lambda: weighted_sum(X[a0:a0 + k, b0:b1 + 1], P[p0, q0:q1 + 1])
        raise _No
    parts = [compile_(eng, g, a, checks, False) for a in args]
    if g.k != 1:
        raise _No

    def total():
        prod = None
        for p in parts:
            x = p()
            prod = x if prod is None else prod * x
        return np.array([np.add.reduce(prod, axis=None)])  # np.sum's own reduction, without its wrapper
    return total
