"""LAMBDA's helpers (Excel 365): MAP, BYROW, BYCOL, REDUCE, SCAN, MAKEARRAY, and ISOMITTED.  A LAMBDA
is evaluated element by element with its parameters bound (as LET binds names); each formula cell of a
group makes its own array."""

from __future__ import annotations

import numpy as np

from ..values import EngineError, V
from .dynamic import Refused, cell_of, per_cell
from .registry import fn

CALC, VALUE = "#CALC!", "#VALUE!"
MAX_CALLS = 64  # LAMBDAs inside LAMBDAs (a recursive one's depth): each level is some 15 Python frames


def _lambda(node, ctx, count: int):
    """The LAMBDA node of a helper's last argument, checked to take `count` parameters."""
    if node[0] != "lambda":
        raise Refused(VALUE)
    if len(node[1]) != count:
        raise Refused(VALUE)
    return node


def _apply(lam, values, ctx, k: int) -> V:
    """The LAMBDA's body for parameter values (V blocks), for formula cell k of the group."""
    env = dict(ctx.env or {})
    for name, v in zip(lam[1], values):
        env[name] = (v, ("arr", v))
    out = ctx.eng._eval(lam[2], ctx.g, True, False, env)
    kk = k if out.shape[0] > 1 else 0
    return cell_of(out, kk)


def _element(a: V, i: int, j: int) -> V:
    return a.part((slice(None), slice(i, i + 1), slice(j, j + 1)))


def _scalar(v: V) -> V:
    if v.shape[1:] != (1, 1):
        raise Refused(CALC)  # a LAMBDA that gives an array where one value goes
    return v


def _assemble(cells, h, w) -> V:
    num = np.empty((1, h, w))
    typ = np.empty((1, h, w), np.uint8)
    obj = np.empty((1, h, w), object)
    for (i, j), v in cells.items():
        num[0, i, j], typ[0, i, j], obj[0, i, j] = v.num[0, 0, 0], v.types()[0, 0, 0], v.objs()[0, 0, 0]
    return V(num, typ, obj)


@fn("MAP", 2, 254, mode="lazy")
def f_map(nodes, ctx):
    arrays = [ctx.eval(n, scalar=False, array=True) for n in nodes[:-1]]

    def one(k):
        lam = _lambda(nodes[-1], ctx, len(arrays))
        parts = [cell_of(a, k) for a in arrays]
        h, w = parts[0].shape[1:]
        if any(p.shape[1:] != (h, w) and p.shape[1:] != (1, 1) for p in parts):
            raise Refused(VALUE)
        cells = {}
        for i in range(h):
            for j in range(w):
                vals = [_element(p, i if p.shape[1] > 1 else 0, j if p.shape[2] > 1 else 0) for p in parts]
                cells[(i, j)] = _scalar(_apply(lam, vals, ctx, k))
        return _assemble(cells, h, w)
    return per_cell(arrays, one, K=max(ctx.k, max(a.shape[0] for a in arrays)))


def _by(nodes, ctx, rows: bool):
    arr = ctx.eval(nodes[0], scalar=False, array=True)

    def one(k):
        lam = _lambda(nodes[1], ctx, 1)
        a = cell_of(arr, k)
        h, w = a.shape[1:]
        cells = {}
        for i in range(h if rows else w):
            line = slice(i, i + 1)
            part = a.part((slice(None), line, slice(None)) if rows else (slice(None), slice(None), line))
            cells[(i, 0) if rows else (0, i)] = _scalar(_apply(lam, [part], ctx, k))
        return _assemble(cells, h if rows else 1, 1 if rows else w)
    return per_cell([arr], one, K=max(ctx.k, arr.shape[0]))


@fn("BYROW", 2, 2, mode="lazy")
def f_byrow(nodes, ctx):
    return _by(nodes, ctx, True)


@fn("BYCOL", 2, 2, mode="lazy")
def f_bycol(nodes, ctx):
    return _by(nodes, ctx, False)


def _fold(nodes, ctx, keep: bool):
    if len(nodes) == 2:
        nodes = [("missing",)] + list(nodes)
    init = None if nodes[0][0] == "missing" else ctx.eval(nodes[0], scalar=False, array=True)
    arr = ctx.eval(nodes[1], scalar=False, array=True)

    def one(k):
        lam = _lambda(nodes[2], ctx, 2)
        a = cell_of(arr, k)
        h, w = a.shape[1:]
        acc = cell_of(init, k) if init is not None else V(np.zeros((1, 1, 1)))
        cells = {}
        for i in range(h):
            for j in range(w):
                acc = _apply(lam, [acc, _element(a, i, j)], ctx, k)
                if keep:
                    cells[(i, j)] = _scalar(acc)
        return _assemble(cells, h, w) if keep else acc
    return per_cell([arr], one, K=max(ctx.k, arr.shape[0]))


@fn("REDUCE", 2, 3, mode="lazy")
def f_reduce(nodes, ctx):
    return _fold(nodes, ctx, False)


@fn("SCAN", 2, 3, mode="lazy")
def f_scan(nodes, ctx):
    return _fold(nodes, ctx, True)


@fn("MAKEARRAY", 3, 3, mode="lazy")
def f_makearray(nodes, ctx):
    rows, cols = ctx.eval(nodes[0]), ctx.eval(nodes[1])

    def one(k):
        lam = _lambda(nodes[2], ctx, 2)
        h, w = int(np.trunc(cell_of(rows, k).num.ravel()[0])), int(np.trunc(cell_of(cols, k).num.ravel()[0]))
        if h < 1 or w < 1 or h * w > 1_048_576:
            raise Refused(VALUE)
        cells = {(i, j): _scalar(_apply(lam, [V(np.full((1, 1, 1), i + 1.0)), V(np.full((1, 1, 1), j + 1.0))], ctx, k))
                 for i in range(h) for j in range(w)}
        return _assemble(cells, h, w)
    return per_cell([rows, cols], one, K=max(ctx.k, rows.shape[0], cols.shape[0]))


@fn("ISOMITTED", 1, 1, mode="lazy")
def f_isomitted(nodes, ctx):
    node = nodes[0]
    missing = node[0] == "name" and ctx.env is not None and node[1] in ctx.env and ctx.env[node[1]][1] == ("missing",)
    return V(np.full((ctx.k, 1, 1), float(missing)), np.full((ctx.k, 1, 1), 3, np.uint8))


@fn("LAMBDA()", 1, 254, mode="lazy")
def f_call(nodes, ctx):
    """A defined name holding a LAMBDA, called with arguments (=MYFN(2,3)); omitted ones are ISOMITTED."""
    lam, args = nodes[0], nodes[1:]
    if lam[0] == "lambda_self":  # a recursive LAMBDA calling itself: IF, computing only the branch it picks, ends it
        lam = lam[2][0]
    if len(args) > len(lam[1]):
        return V.errors((ctx.k, 1, 1), VALUE)
    env = dict(ctx.env or {})
    for name, a in zip(lam[1], list(args) + [("missing",)] * (len(lam[1]) - len(args))):
        v = ctx.eval(a, scalar=False, array=True) if a[0] != "missing" else V.scalar(None)
        env[name] = (v, a if a[0] in ("ref", "missing") else ("arr", v))
    eng = ctx.eng
    depth = getattr(eng, "lambda_depth", 0)
    if depth >= MAX_CALLS:
        raise EngineError(f"a LAMBDA calls itself more than {MAX_CALLS} levels deep; refused")
    eng.lambda_depth = depth + 1
    try:
        return eng._eval(lam[2], ctx.g, ctx.array, ctx.scalar, env)
    except RecursionError:  # a body of many nested calls: Python's stack ends before MAX_CALLS levels
        raise EngineError(f"a LAMBDA calls itself {depth + 1} levels deep, more than sheetnet follows; "
                          f"refused") from None
    finally:
        eng.lambda_depth = depth
