"""Excel 365's dynamic arrays: SEQUENCE, RANDARRAY (seeded), FILTER, UNIQUE, SORT, TAKE, DROP.

Each formula cell makes its own array; in a workbook they sit in the block Excel stored for their
spill, blank where the array ends early.
"""

from __future__ import annotations

import numpy as np

from ..values import ERR, NUM, TEXT, VALUE, Ragged, V, to_bool, to_number
from .lookup import _keys
from .registry import fn
from .text import CellError

CALC = "#CALC!"


def int_arg(v, default, k=0):
    if v is None:
        return default
    n, e = to_number(v)
    kk = k if n.shape[0] > 1 else 0
    if e is not None and e[kk, 0, 0] is not None:
        raise Refused(e[kk, 0, 0])
    return int(np.trunc(n[kk, 0, 0]))


def _num(v, default, k=0):
    if v is None:
        return float(default)
    n, e = to_number(v)
    kk = k if n.shape[0] > 1 else 0
    if e is not None and e[kk, 0, 0] is not None:
        raise Refused(e[kk, 0, 0])
    return float(n[kk, 0, 0])


class Refused(Exception):
    def __init__(self, code):
        self.code = code


def cell_of(v: V, k: int) -> V:
    kk = k if v.shape[0] > 1 else 0
    return v.part(slice(kk, kk + 1))


def per_cell(args, f, K=None):
    """f(k) -> each formula cell's own block; an error it raises (Refused, or text's CellError) is that cell's."""
    K = K or max([a.shape[0] for a in args if a is not None] or [1])
    out = []
    for k in range(K):
        try:
            out.append(f(k))
        except (Refused, CellError) as e:
            out.append(V.errors((1, 1, 1), e.code))
    if len({o.shape for o in out}) == 1:
        return V.stack(out)
    raise Ragged()  # each cell's own size: the group is evaluated one cell at a time


@fn("SEQUENCE", 1, 4, keep_omitted=True)
def f_sequence(args):
    args = list(args) + [None] * (4 - len(args))

    def one(k):
        rows, cols = int_arg(args[0], 1, k), int_arg(args[1], 1, k)
        start, step = _num(args[2], 1, k), _num(args[3], 1, k)
        if rows < 1 or cols < 1 or rows * cols > 1_048_576:
            raise Refused(VALUE if rows < 1 or cols < 1 else "#NUM!")
        return V((start + step * np.arange(rows * cols, dtype=float)).reshape(1, rows, cols))
    return per_cell(args, one)


@fn("RANDARRAY", 0, 5, mode="ctx", volatile=True, keep_omitted=True)
def f_randarray(args, ctx):
    args = list(args) + [None] * (5 - len(args))

    def one(k):
        rows, cols = int_arg(args[0], 1, k), int_arg(args[1], 1, k)
        lo, hi = _num(args[2], 0, k), _num(args[3], 1, k)
        whole = args[4] is not None and bool(to_bool(args[4])[0].ravel()[0])
        if rows < 1 or cols < 1 or hi < lo:
            raise Refused(VALUE)
        u = ctx.eng.rng.random((1, rows, cols))
        return V(np.floor(lo + u * (hi - lo + 1)) if whole else lo + u * (hi - lo))
    return per_cell(args, one, K=ctx.k)


@fn("FILTER", 2, 3, arrays="all", keep_omitted=True)
def f_filter(args):
    arr, inc = args[0], args[1]
    empty = args[2] if len(args) > 2 else None

    def one(k):
        a, m = cell_of(arr, k), cell_of(inc, k)
        if m.typ is not None and (m.typ == ERR).any():
            raise Refused(m.objs()[m.typ == ERR][0])
        b, _ = to_bool(m)
        h, w = a.shape[1:]
        mh, mw = m.shape[1:]
        if mw == 1 and mh == h:
            sel = b[0, :, 0]
            out = a.part((slice(None), sel))
        elif mh == 1 and mw == w:
            sel = b[0, 0, :]
            out = a.part((slice(None), slice(None), sel))
        else:
            raise Refused(VALUE)
        if out.num.size == 0:
            if empty is None:
                raise Refused(CALC)
            return cell_of(empty, k)
        return out
    return per_cell(args, one)


def _rows(a: V, by_col: bool):
    t, n, o = a.types()[0], a.num[0], a.objs()[0]
    if by_col:
        t, n, o = t.T, n.T, o.T
    return t, n, o


def _pack(t, n, o, by_col):
    if by_col:
        t, n, o = t.T, n.T, o.T
    typ = np.asarray(t, np.uint8)
    return V(np.asarray(n, float)[None], typ[None], np.asarray(o, object)[None]) if (typ != NUM).any() else \
        V(np.asarray(n, float)[None])


@fn("UNIQUE", 1, 3, arrays={0}, keep_omitted=True)
def f_unique(args):
    args = list(args) + [None] * (3 - len(args))

    def one(k):
        a = cell_of(args[0], k)
        by_col = bool(int_arg(args[1], 0, k))
        once = bool(int_arg(args[2], 0, k))
        t, n, o = _rows(a, by_col)
        keys = [tuple(_keys(t[i], n[i], o[i])) for i in range(t.shape[0])]
        counts: dict = {}
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
        seen, pick = set(), []
        for i, key in enumerate(keys):
            if key in seen or (once and counts[key] > 1):
                continue
            seen.add(key)
            pick.append(i)
        if not pick:
            raise Refused(CALC)
        return _pack(t[pick], n[pick], o[pick], by_col)
    return per_cell(args, one)


@fn("SORT", 1, 4, arrays={0}, keep_omitted=True)
def f_sort(args):
    args = list(args) + [None] * (4 - len(args))

    def one(k):
        a = cell_of(args[0], k)
        idx, order = int_arg(args[1], 1, k), int_arg(args[2], 1, k)
        by_col = bool(int_arg(args[3], 0, k))
        t, n, o = _rows(a, by_col)
        if not 1 <= idx <= t.shape[1] or order not in (1, -1):
            raise Refused(VALUE)
        col = _keys(t[:, idx - 1], n[:, idx - 1], o[:, idx - 1])
        if any(c is None and t[i, idx - 1] == ERR for i, c in enumerate(col)):
            raise Refused(VALUE)
        keys = [c if c is not None else (3, 0.0) for c in col]  # blanks last
        rank = sorted(range(len(keys)), key=lambda i: keys[i], reverse=order == -1)  # stable: ties keep their order
        return _pack(t[rank], n[rank], o[rank], by_col)
    return per_cell(args, one)


def _take(args, drop: bool):
    args = list(args) + [None] * (3 - len(args))

    def one(k):
        a = cell_of(args[0], k)
        h, w = a.shape[1:]
        r = int_arg(args[1], None if drop else h, k) if args[1] is not None else (0 if drop else h)
        c = int_arg(args[2], None, k) if args[2] is not None else (0 if drop else w)
        rs = _span(r, h, drop)
        cs = _span(c, w, drop)
        if rs.stop - rs.start <= 0 if rs.stop is not None else False:
            raise Refused(CALC)
        out = a.part((slice(None), rs, cs))
        if out.num.size == 0:
            raise Refused(CALC)
        return out
    return per_cell(args, one)


def _span(n, size, drop):
    if drop:
        return slice(n, None) if n >= 0 else slice(0, size + n)
    if n == 0:
        return slice(0, 0)
    return slice(0, min(n, size)) if n > 0 else slice(max(size + n, 0), size)


@fn("TAKE", 2, 3, arrays={0}, keep_omitted=True)
def f_take(args):
    return _take(args, False)


@fn("DROP", 2, 3, arrays={0}, keep_omitted=True)
def f_drop(args):
    return _take(args, True)


__all__ = ["TEXT"]


@fn("SORTBY", 2, 254, arrays="all", keep_omitted=True)
def f_sortby(args):
    """The array's rows (by column keys) or columns (by row keys) sorted by each key in turn, ascending (1)
    or descending (-1); ties keep their order."""
    def one(k):
        a = cell_of(args[0], k)
        h, w = a.shape[1:]
        keys, orders, by_col = [], [], None
        pairs = list(args[1:])
        for i in range(0, len(pairs), 2):
            b = cell_of(pairs[i], k)
            order = int_arg(pairs[i + 1], 1, k) if i + 1 < len(pairs) and pairs[i + 1] is not None else 1
            bh, bw = b.shape[1:]
            if order not in (1, -1):
                raise Refused(VALUE)
            if bw == 1 and bh == h and (by_col is None or not by_col):
                by_col = False
                t, n, o = b.types()[0][:, 0], b.num[0][:, 0], b.objs()[0][:, 0]
            elif bh == 1 and bw == w and (by_col is None or by_col):
                by_col = True
                t, n, o = b.types()[0][0], b.num[0][0], b.objs()[0][0]
            else:
                raise Refused(VALUE)
            if (t == ERR).any():
                raise Refused(o[t == ERR][0])
            keys.append([c if c is not None else (3, 0.0) for c in _keys(t, n, o)])
            orders.append(order)
        t, n, o = _rows(a, bool(by_col))
        rank = list(range(t.shape[0]))
        for col, order in reversed(list(zip(keys, orders))):  # stable sorts, last key first
            rank.sort(key=lambda i: col[i], reverse=order == -1)
        return _pack(t[rank], n[rank], o[rank], bool(by_col))
    return per_cell(args, one)
