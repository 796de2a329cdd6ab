"""Lookup and reference: MATCH, XMATCH, INDEX, VLOOKUP, HLOOKUP, XLOOKUP, LOOKUP, CHOOSE, ROW, COLUMN,
ROWS, COLUMNS, OFFSET, INDIRECT, spill references (A1#), @ (SINGLE) and FORMULATEXT.

References made at run time (OFFSET, INDIRECT, INDEX of a range) are boxes (sheet, r0, c0, r1, c1),
one per formula cell; their values are read after the groups they cover are evaluated.
"""

from __future__ import annotations

import re

import numpy as np

from ..values import (BLANK, BOOL, ERR, NUM, REF, TEXT, VALUE, EngineError, ErrorCode, Ragged, V, bool_result,
                      to_number)
from .conditional import wildcard
from .registry import REF_FUNCTIONS, fn, is_reference as _is_reference

NA = "#N/A"


def _py(v: V, k=0):
    return v.python(k if v.shape[0] > 1 else 0, 0, 0)


def _int(v, k=0, default=None):
    if v is None:
        return default
    n, e = to_number(v)
    if e is not None and e[k if e.shape[0] > 1 else 0, 0, 0] is not None:
        return ErrorCode(e[k if e.shape[0] > 1 else 0, 0, 0])
    return int(np.trunc(n[k if n.shape[0] > 1 else 0, 0, 0]))


def _ints(v, K: int, default=None) -> list:
    """[_int(v, k, default) for k in range(K)], v converted once."""
    if v is None:
        return [default] * K
    n, e = to_number(v)
    n, e = n[:, 0, 0].tolist(), None if e is None else e[:, 0, 0]
    out = []
    for k in range(K):
        x = None if e is None else e[k if len(e) > 1 else 0]
        out.append(ErrorCode(x) if x is not None else int(n[k if len(n) > 1 else 0]))  # (int truncates, as trunc)
    return out


def _flat(v: V, k: int):
    """One cell's 1-D lookup vector: (types, numbers, objects), or None when it is not one row or column."""
    kk = k if v.shape[0] > 1 else 0
    h, w = v.shape[1:]
    if h != 1 and w != 1:
        return None
    return v.types()[kk].ravel(), v.num[kk].ravel(), v.objs()[kk].ravel()


def _key(x):
    """A lookup value's class and comparable key (numbers < text < booleans, text case-insensitive)."""
    if isinstance(x, bool):
        return 2, float(x)
    if isinstance(x, float):
        return 0, x
    if isinstance(x, str):
        return 1, x.lower()
    return None


def _keys(t, n, o):
    out = []
    for ti, ni, oi in zip(t, n, o):
        out.append((0, ni) if ti == NUM else (1, str(oi).lower()) if ti == TEXT else (2, ni) if ti == BOOL
                   else None)
    return out


class KeysOf:
    """The keys (_keys) of cell k's lookup vector, made once for all cells where the array is the same for all (its
    first dimension is 1: $B$4:$B$18 down a column of MATCHes), else once a cell.  vector(kk): (t, n, o) or None."""

    __slots__ = ("shared", "vector", "made")

    def __init__(self, v: V, vector):
        self.shared, self.vector, self.made = v.shape[0] == 1, vector, {}

    def __call__(self, k: int):
        kk = 0 if self.shared else k
        if kk not in self.made:
            vec = self.vector(kk)
            self.made[kk] = None if vec is None else _keys(*vec)
        return self.made[kk]


def find(x, t, n, o, mode: int, wild: bool = False, reverse: bool = False):
    """0-based position of x: mode 0 exact (text wildcards when wild), 1 largest <= x among a sorted
    vector, -1 smallest >= x; -2/2 (XLOOKUP): exact, else the next smaller/larger.  None: not found."""
    return find_in(x, _keys(t, n, o), mode, wild, reverse)


def find_in(x, keys: list, mode: int, wild: bool = False, reverse: bool = False):
    """find, over a vector's keys (_keys)."""
    key = _key(x)
    if key is None:
        return None
    idx = range(len(keys) - 1, -1, -1) if reverse else range(len(keys))
    if mode == 0:
        if wild and key[0] == 1 and any(ch in x for ch in "*?~"):
            pat = wildcard(x)
            return next((i for i in idx if keys[i] and keys[i][0] == 1 and pat.fullmatch(keys[i][1])), None)
        return next((i for i in idx if keys[i] == key), None)
    if mode in (1, -1):  # sorted data: the last of the run that does not pass x
        best = None
        for i in range(len(keys)):
            ki = keys[i]
            if ki is None or ki[0] != key[0]:
                continue
            if (ki[1] <= key[1]) if mode == 1 else (ki[1] >= key[1]):
                best = i
            else:
                break
        return best
    exact = next((i for i in idx if keys[i] == key), None)
    if exact is not None:
        return exact
    cands = [(ki[1], i) for i in idx for ki in [keys[i]] if ki is not None and ki[0] == key[0]
             and ((ki[1] < key[1]) if mode == -2 else (ki[1] > key[1]))]
    if not cands:
        return None
    return (max(cands, key=lambda c: c[0]) if mode == -2 else min(cands, key=lambda c: c[0]))[1]


def _cells(K, f):
    """Build a (K,1,1) result from f(k) -> a Python value (float, str, bool, ErrorCode, None)."""
    return V.stack([V.scalar(f(k)) for k in range(K)])


def _K(*vs):
    return max([v.shape[0] for v in vs if v is not None] or [1])


def per_element(*indices):
    """A lookup whose scalar arguments (at `indices`) get an array, as in an array formula
    {=MATCH(B1:B8,...)}: one lookup per element, the answer shaped like that array (Excel's and
    LibreOffice's way), never the first element's answer for all."""
    def wrap(impl):
        def run(args):
            for i in indices:
                x = args[i] if i < len(args) else None
                if x is not None and x.shape[1] * x.shape[2] > 1:
                    h, w = x.shape[1:]
                    rows = []
                    for a in range(h):
                        row = []
                        for b in range(w):
                            one = list(args)
                            one[i] = V(x.num[:, a:a + 1, b:b + 1], x.types()[:, a:a + 1, b:b + 1],
                                       x.objs()[:, a:a + 1, b:b + 1])
                            row.append(run(one))
                        rows.append(row)
                    K = max(v.shape[0] for row in rows for v in row)
                    parts = [[v.broadcast((K, 1, 1)) for v in row] for row in rows]

                    def grid(get):
                        return np.concatenate([np.concatenate([get(v) for v in row], axis=2) for row in parts], axis=1)
                    return V(grid(lambda v: v.num), grid(lambda v: v.types()), grid(lambda v: v.objs()))
            return impl(args)
        run.__name__ = impl.__name__
        return run
    return wrap


@fn("MATCH", 2, 3, arrays={1})
@per_element(0)
def f_match(args):
    x, arr = args[0], args[1]
    typ = args[2] if len(args) > 2 else None
    at_once = _match_numbers(x, arr, typ)
    if at_once is not None:
        return at_once
    keys = KeysOf(arr, lambda kk: _flat(arr, kk))

    def one(k):
        vec = keys(k)
        m = _int(typ, k, 1) if len(args) > 2 else 1
        if isinstance(m, ErrorCode):
            return m
        xv = _py(x, k) if x is not None else 0.0
        if vec is None or isinstance(xv, ErrorCode):
            return xv if isinstance(xv, ErrorCode) else ErrorCode(NA)
        i = find_in(xv if xv is not None else 0.0, vec, mode=0 if m == 0 else (1 if m > 0 else -1), wild=True)
        return ErrorCode(NA) if i is None else float(i + 1)
    return _cells(_K(x, arr, typ), one)


def _match_numbers(x, arr, typ) -> V | None:
    """MATCH of each cell's number in one vector of numbers, with one match type for all (MATCH(I3,$B$4:$B$18)
    down a column), at once: what find_in gives each (exact: the first equal; 1: the last before the first greater;
    -1: the last before the first smaller).  None where it is not that case."""
    if x is None or arr.shape[0] != 1 or x.shape[1:] != (1, 1) or not (x.typ is None or (x.typ == NUM).all()):
        return None
    m = 1
    if typ is not None:
        if typ.shape != (1, 1, 1) or not (typ.typ is None or typ.typ[0, 0, 0] == NUM):
            return None
        m = int(typ.num[0, 0, 0])
    vec = _flat(arr, 0)
    if vec is None or not (vec[0] == NUM).all():
        return None
    n, xs = vec[1][None, :], x.num[:, 0, :]
    if not np.isfinite(xs).all():
        return None
    if m == 0:
        hit = n == xs
        found, pos = hit.any(axis=1), hit.argmax(axis=1)
    else:
        stop = n > xs if m > 0 else n < xs
        pos = np.where(stop.any(axis=1), stop.argmax(axis=1), n.shape[1]) - 1
        found = pos >= 0
    K = len(found)
    return V(np.where(found, pos + 1.0, np.nan).reshape(K, 1, 1), np.where(found, NUM, ERR).astype(np.uint8).reshape(
        K, 1, 1), np.where(found, None, NA).astype(object).reshape(K, 1, 1))


@fn("XMATCH", 2, 4, arrays={1}, keep_omitted=True)
@per_element(0)
def f_xmatch(args):
    x, arr = args[0], args[1]
    keys = KeysOf(arr, lambda kk: _flat(arr, kk))

    def one(k):
        vec = keys(k)
        mm = _int(args[2] if len(args) > 2 else None, k, 0)
        sm = _int(args[3] if len(args) > 3 else None, k, 1)
        xv = _py(x, k)
        if vec is None or isinstance(xv, ErrorCode):
            return xv if isinstance(xv, ErrorCode) else ErrorCode(NA)
        i = _xfind(xv, vec, mm, sm)
        return ErrorCode(NA) if i is None else ErrorCode(VALUE) if i == BAD_MODE else float(i + 1)
    return _cells(_K(*args), one)


BAD_MODE = -1  # _xfind's answer for a match or search mode Excel does not have: #VALUE!


def _xfind(x, vec, mm, sm):
    """XMATCH's and XLOOKUP's search of vec (its keys: KeysOf)."""
    if mm == 3:
        raise EngineError("match mode 3 (regular expressions) is not supported; refused")
    if mm not in (0, -1, 1, 2) or sm not in (1, -1, 2, -2):
        return BAD_MODE
    mode = {0: 0, -1: -2, 1: 2, 2: 0}[mm]
    return find_in(x if x is not None else 0.0, vec, mode=mode, wild=mm == 2, reverse=sm in (-1, -2))


def _table_lookup(args, vertical: bool):
    x, table, col = args[0], args[1], args[2]
    approx = args[3] if len(args) > 3 else V.scalar(True)

    def first(kk):  # (the first column's, or row's)
        t, n, o = table.types()[kk], table.num[kk], table.objs()[kk]
        return (t[:, 0], n[:, 0], o[:, 0]) if vertical else (t[0], n[0], o[0])
    keys = KeysOf(table, first)

    def one(k):
        kk = k if table.shape[0] > 1 else 0
        t, n, o = table.types()[kk], table.num[kk], table.objs()[kk]
        if not vertical:
            t, n, o = t.T, n.T, o.T
        c = _int(col, k)
        if isinstance(c, ErrorCode):
            return c
        if c < 1:
            return ErrorCode(VALUE)
        if c > t.shape[1]:
            return ErrorCode(REF)
        xv = _py(x, k)
        if isinstance(xv, ErrorCode):
            return xv
        a = approx.python(k if approx is not None and approx.shape[0] > 1 else 0) if approx is not None else False
        exact = a is None or (a is not True and (a is False or a == 0.0 or a == ""))
        i = find_in(xv if xv is not None else 0.0, keys(k), mode=0 if exact else 1, wild=exact)
        if i is None:
            return ErrorCode(NA)
        return V(n[None, i:i + 1, c - 1:c], t[None, i:i + 1, c - 1:c], o[None, i:i + 1, c - 1:c]).python()
    return _cells(_K(x, table, col, approx), one)


@fn("VLOOKUP", 3, 4, arrays={1})
@per_element(0, 2)
def f_vlookup(args):
    return _table_lookup(args, True)


@fn("HLOOKUP", 3, 4, arrays={1})
@per_element(0, 2)
def f_hlookup(args):
    return _table_lookup(args, False)


@fn("XLOOKUP", 3, 6, arrays={1, 2, 3}, keep_omitted=True)
def f_xlookup(args):
    x, look, ret = args[0], args[1], args[2]
    missing = args[3] if len(args) > 3 and args[3] is not None else None
    K = _K(*args)
    lh, lw = look.shape[1:]
    keys = KeysOf(look, lambda kk: _flat(look, kk))
    out = []
    for k in range(K):
        vec = keys(k)
        mm = _int(args[4] if len(args) > 4 else None, k, 0)
        sm = _int(args[5] if len(args) > 5 else None, k, 1)
        xv = _py(x, k)
        i = None if vec is None or isinstance(xv, ErrorCode) else _xfind(xv, vec, mm, sm)
        if i == BAD_MODE:
            out.append(V.scalar(ErrorCode(VALUE)))
            continue
        rk = k if ret.shape[0] > 1 else 0
        if i is None:
            out.append(missing.broadcast((K,) + missing.shape[1:]).top_left() if missing is not None else
                       V.scalar(xv if isinstance(xv, ErrorCode) else ErrorCode(NA)))
            continue
        if lw == 1 and ret.shape[1] == lh:  # a column lookup: the matching row of the return array
            sl = (slice(rk, rk + 1), slice(i, i + 1), slice(None))
        elif lh == 1 and ret.shape[2] == lw:
            sl = (slice(rk, rk + 1), slice(None), slice(i, i + 1))
        else:
            out.append(V.scalar(ErrorCode(VALUE)))
            continue
        out.append(V(ret.num[sl], None if ret.typ is None else ret.typ[sl], None if ret.obj is None else ret.obj[sl]))
    if len({o.shape for o in out}) == 1:
        return V.stack(out)
    raise Ragged()  # each cell's own size: the group is evaluated one cell at a time


@fn("LOOKUP", 2, 3, arrays={1, 2})
@per_element(0)
def f_lookup(args):
    x, look = args[0], args[1]
    ret = args[2] if len(args) > 2 else None

    def one(k):
        kk = k if look.shape[0] > 1 else 0
        t, n, o = look.types()[kk], look.num[kk], look.objs()[kk]
        h, w = t.shape
        if ret is None:  # array form: search the first row or column, answer from the last
            if w > h:
                vec, res = (t[0], n[0], o[0]), (t[-1], n[-1], o[-1])
            else:
                vec, res = (t[:, 0], n[:, 0], o[:, 0]), (t[:, -1], n[:, -1], o[:, -1])
        else:
            if h != 1 and w != 1:
                return ErrorCode(NA)
            vec = (t.ravel(), n.ravel(), o.ravel())
            r = _flat(ret, k)
            if r is None:
                return ErrorCode(NA)
            res = r
        xv = _py(x, k)
        if isinstance(xv, ErrorCode):
            return xv
        i = find(xv if xv is not None else 0.0, *vec, mode=1)
        if i is None or i >= len(res[0]):
            return ErrorCode(NA)
        return V(res[1][None, None, i:i + 1], res[0][None, None, i:i + 1], res[2][None, None, i:i + 1]).python()
    return _cells(_K(*[a for a in args if a is not None]), one)


@fn("CHOOSE", 2, 255, arrays=set(range(1, 255)), keep_omitted=True)
def f_choose(args):
    idx = args[0]
    n, e = to_number(idx if idx is not None else V.scalar(0.0))
    if e is not None and (e != None).all():  # noqa: E711 (an error as the index: that error)
        return V.stack([V.scalar(ErrorCode(x)) for x in e[:, 0, 0]])
    choices = [a if a is not None else V(np.zeros((1, 1, 1))) for a in args[1:]]
    K = max([n.shape[0]] + [c.shape[0] for c in choices])
    picks = np.trunc(np.nan_to_num(n[:, 0, 0])).astype(int)
    if len(set(picks.tolist())) == 1:  # one choice for every cell: it is returned as it is (a range stays one)
        p = int(picks[0])
        return choices[p - 1] if 1 <= p <= len(choices) else V.errors((1, 1, 1), VALUE)
    out = []
    for k in range(K):
        p = int(picks[k if len(picks) > 1 else 0])
        if not 1 <= p <= len(choices):
            out.append(V.scalar(ErrorCode(VALUE)))
            continue
        v = choices[p - 1].broadcast((K,) + choices[p - 1].shape[1:])
        out.append(V(v.num[k:k + 1], None if v.typ is None else v.typ[k:k + 1],
                     None if v.obj is None else v.obj[k:k + 1]))
    if len({o.shape for o in out}) == 1:
        return V.stack(out)
    raise Ragged()  # choices of different sizes: the group is evaluated one cell at a time


# ---- references ---------------------------------------------------------------------------------

def _index_pick(arr: V, r, c, K):
    """INDEX of an array value: row r, column c (0: the whole row / column)."""
    h, w = arr.shape[1:]
    out = []
    for k in range(K):
        rr = r[k] if isinstance(r, list) else r
        cc = c[k] if isinstance(c, list) else c
        for x in (rr, cc):
            if isinstance(x, ErrorCode):
                return V.scalar(x)
        if cc is None and (h == 1 or w == 1) and rr is not None:  # one index into a row or a column
            rr, cc = (1, rr) if h == 1 else (rr, 1)
        rr, cc = rr or 0, cc or 0
        if rr < 0 or cc < 0 or rr > h or cc > w:
            out.append(V.scalar(ErrorCode(REF)))
            continue
        kk = k if arr.shape[0] > 1 else 0
        rs = slice(None) if rr == 0 else slice(rr - 1, rr)
        cs = slice(None) if cc == 0 else slice(cc - 1, cc)
        out.append(V(arr.num[kk:kk + 1, rs, cs], None if arr.typ is None else arr.typ[kk:kk + 1, rs, cs],
                     None if arr.obj is None else arr.obj[kk:kk + 1, rs, cs]))
    if len({o.shape for o in out}) == 1:
        return V.stack(out)
    raise Ragged()  # each cell's own size: the group is evaluated one cell at a time


def _index_args(nodes, ctx):
    K = ctx.k

    def ints(node):
        if node is None or node[0] == "missing":
            return None
        v = ctx.eval(node)
        return [_int(v, k) for k in range(K)]
    r = ints(nodes[1]) if len(nodes) > 1 else None
    c = ints(nodes[2]) if len(nodes) > 2 else None
    area = ints(nodes[3]) if len(nodes) > 3 else None
    return r, c, area


def _index_boxes(nodes, ctx):
    boxes = ctx.boxes(nodes[0])
    r, c, area = _index_args(nodes, ctx)
    out = []
    for k, (s, r0, c0, r1, c1) in enumerate(boxes):
        rr = r[k] if r is not None else None
        cc = c[k] if c is not None else None
        if area is not None and area[k] != 1:
            raise EngineError("INDEX of a multi-area reference is not supported")
        h, w = r1 - r0 + 1, c1 - c0 + 1
        if cc is None and (h == 1 or w == 1) and rr is not None:
            rr, cc = (1, rr) if h == 1 else (rr, 1)
        rr, cc = rr or 0, cc or 0
        if isinstance(rr, ErrorCode) or isinstance(cc, ErrorCode) or rr < 0 or cc < 0 or rr > h or cc > w:
            out.append(None)
            continue
        out.append((s, r0 + rr - 1 if rr else r0, c0 + cc - 1 if cc else c0, r0 + rr - 1 if rr else r1,
                    c0 + cc - 1 if cc else c1))
    return out


def read_boxes(boxes, ctx, intersect: bool):
    """The values of one box per formula cell (None: #REF!); one shared box is read once."""
    if intersect and ctx.scalar and not ctx.array:
        out = []
        for k, b in enumerate(boxes):
            if b is None:
                out.append(V.scalar(ErrorCode(REF)))
                continue
            s, r0, c0, r1, c1 = b
            row, col = ctx.g.r0 + k, ctx.g.col
            if (r0, c0) == (r1, c1):
                r, c = r0, c0
            elif c0 == c1 and r0 <= row <= r1:
                r, c = row, c0
            elif r0 == r1 and c0 <= col <= c1:
                r, c = r0, col
            else:
                out.append(V.scalar(ErrorCode(VALUE)))
                continue
            out.append(ctx.read(s, r, c, r, c))
        return V.stack(out)
    if all(b == boxes[0] for b in boxes) and boxes[0] is not None:
        return ctx.read(*boxes[0])
    read: dict = {}  # box -> its values: each box read once (a row of factors looked up by many rows)
    for b in boxes:
        if b not in read:
            read[b] = ctx.read(*b) if b is not None else V.scalar(ErrorCode(REF))
    vals = [read[b] for b in boxes]
    if len({v.shape[1:] for v in vals}) == 1:
        return V.stack(vals)
    raise Ragged()  # each cell's own size: the group is evaluated one cell at a time


@fn("INDEX", 2, 4, mode="lazy")
def f_index(nodes, ctx):
    if _is_reference(nodes[0], ctx):
        return read_boxes(_index_boxes(nodes, ctx), ctx, intersect=True)
    if nodes[0][0] == "missing":
        return V.errors((1, 1, 1), VALUE)
    arr = ctx.eval(nodes[0], scalar=False, array=True)
    r, c, _ = _index_args(nodes, ctx)
    return _index_pick(arr, r, c, ctx.k)


def _offset_boxes(nodes, ctx):
    boxes = ctx.boxes(nodes[0])
    K = ctx.k
    args = [None if i >= len(nodes) or nodes[i][0] == "missing" else ctx.eval(nodes[i]) for i in range(1, 5)]
    drs, dcs, hs, ws = (_ints(a, len(boxes), 0 if i < 2 else None) for i, a in enumerate(args))
    out = []
    for k, (s, r0, c0, r1, c1) in enumerate(boxes):
        dr, dc = drs[k], dcs[k]
        h = r1 - r0 + 1 if hs[k] is None else hs[k]
        w = c1 - c0 + 1 if ws[k] is None else ws[k]
        if any(isinstance(x, ErrorCode) for x in (dr, dc, h, w)) or h < 1 or w < 1:
            out.append(None)
            continue
        a, b = r0 + dr, c0 + dc
        if a < 0 or b < 0 or a + h - 1 >= 1_048_576 or b + w - 1 >= 16_384:
            out.append(None)
            continue
        out.append((s, a, b, a + h - 1, b + w - 1))
    return out if len(out) == K else out * K


@fn("OFFSET", 3, 5, mode="lazy", runtime_refs=True)
def f_offset(nodes, ctx):
    return read_boxes(_offset_boxes(nodes, ctx), ctx, intersect=True)


def _indirect_boxes(nodes, ctx):
    from ..parse import Context, reference

    text = ctx.eval(nodes[0])
    if text.shape[1] * text.shape[2] > 1:  # one cell, several texts: several references at once
        raise EngineError("INDIRECT of an array of texts (several references at once, as over sheets) is not "
                          "supported; refused")
    a1 = ctx.eval(nodes[1]) if len(nodes) > 1 and nodes[1][0] != "missing" else V.scalar(True)
    eng = ctx.eng
    out = []
    for k in range(ctx.k):
        t = _py(text, k)
        style = _py(a1, k)
        if not isinstance(t, str) or not t.strip():
            out.append(None)
            continue
        if eng.book.kind == "ods" and "!" not in t and re.search(r"\.\$?[A-Za-z]{1,3}\$?\d", t):
            t = re.sub(r"^\$?('?[^']*'?|[^.]*)\.", lambda m: (m.group(1) + "!") if m.group(1) else "", t.strip())
        if style is False or style == 0.0:
            t = _r1c1(t.strip(), ctx.g.r0 + k, ctx.g.col)
            if t is None:
                out.append(None)
                continue
        pctx = Context(eng.book, eng.index, eng.sheets[ctx.g.sheet], ctx.g.r0 + k, ctx.g.col, eng._extent)
        try:
            node = reference(t.strip(), pctx)
        except EngineError:
            node = ("err", REF)
        out.append(node[1:6] if node[0] == "ref" else None)
    return out


def _r1c1(t: str, row: int, col: int):
    import re

    from ..package import a1
    m = re.fullmatch(r"(?:(.+)!)?R(\[-?\d+\]|\d+)?C(\[-?\d+\]|\d+)?", t, re.I)
    if not m:
        return None

    def part(x, here):
        if x is None:
            return here
        return here + int(x[1:-1]) if x.startswith("[") else int(x) - 1
    r, c = part(m.group(2), row), part(m.group(3), col)
    if r < 0 or c < 0:
        return None
    return (m.group(1) + "!" if m.group(1) else "") + a1(r, c)


@fn("INDIRECT", 1, 2, mode="lazy", runtime_refs=True)
def f_indirect(nodes, ctx):
    return read_boxes(_indirect_boxes(nodes, ctx), ctx, intersect=True)


def _anchor_boxes(nodes, ctx):
    eng = ctx.eng
    out = []
    for (s, r0, c0, _, _) in ctx.boxes(nodes[0]):
        i = eng.group_at(s, r0, c0)
        g = eng.groups[i] if i >= 0 else None
        if g is not None and g.array_box and g.array_at(r0)[:2] == (r0, c0):
            if i in eng._pending:  # the spill's size is known once its formula has run
                eng._ensure(s, r0, c0, r0, c0)
            box = g.array_at(r0)
            h, w = g.spill if (g.dynamic and g.spill) else (box[2] - r0 + 1, box[3] - c0 + 1)
            out.append((s, r0, c0, r0 + h - 1, c0 + w - 1))
        else:
            out.append((s, r0, c0, r0, c0) if g is not None else None)
    return out


@fn("ANCHORARRAY", 1, 1, mode="lazy")
def f_anchorarray(nodes, ctx):
    return read_boxes(_anchor_boxes(nodes, ctx), ctx, intersect=False)


@fn("SINGLE", 1, 1, mode="lazy")
def f_single(nodes, ctx):
    """@x: implicit intersection of a reference, the first element of an array."""
    if _is_reference(nodes[0], ctx):
        return read_boxes(ctx.boxes(nodes[0]), _Scalar(ctx), intersect=True)
    v = ctx.eval(nodes[0], scalar=True, array=ctx.array)
    return v if v.shape[1:] == (1, 1) else v.top_left()


class _Scalar:
    """A Ctx seen from a scalar, non-array place (for @)."""

    def __init__(self, ctx):
        self._c = ctx
        self.scalar, self.array = True, False

    def __getattr__(self, name):
        return getattr(self._c, name)


REF_FUNCTIONS.update({"OFFSET": _offset_boxes, "INDIRECT": _indirect_boxes, "INDEX": _index_boxes,
                      "ANCHORARRAY": _anchor_boxes})


def _rowcol(nodes, ctx, axis: int):
    if not nodes or nodes[0][0] == "missing":
        base = ctx.rows if axis == 0 else np.full(ctx.k, ctx.g.col)
        return V((base + 1).astype(float).reshape(-1, 1, 1))
    boxes = ctx.boxes(nodes[0])
    if ctx.array or not ctx.scalar:  # an array of the box's row (column) numbers
        lo, hi = (1, 3) if axis == 0 else (2, 4)
        first = boxes[0]
        if all(b[lo] == first[lo] and b[hi] == first[hi] for b in boxes):  # the same numbers in every cell
            seq = np.arange(first[lo], first[hi] + 1)
            return V((seq + 1).astype(float).reshape((1, -1, 1) if axis == 0 else (1, 1, -1)))
        n = first[hi] - first[lo]
        if all(b[hi] - b[lo] == n for b in boxes):  # a relative range filled along: each cell its own numbers
            seq = np.array([b[lo] for b in boxes])[:, None] + np.arange(n + 1)[None, :] + 1
            return V(seq.astype(float).reshape((len(boxes), -1, 1) if axis == 0 else (len(boxes), 1, -1)))
        raise Ragged()  # ranges of different sizes in one group: one cell at a time
    return V(np.array([(b[1] if axis == 0 else b[2]) + 1 for b in boxes], float).reshape(-1, 1, 1))


@fn("ROW", 0, 1, mode="lazy")
def f_row(nodes, ctx):
    return _rowcol(nodes, ctx, 0)


@fn("COLUMN", 0, 1, mode="lazy")
def f_column(nodes, ctx):
    return _rowcol(nodes, ctx, 1)


def _size(nodes, ctx, axis):
    node = nodes[0]
    if _is_reference(node, ctx):  # a reference's own size (a whole column is 1,048,576 rows)
        sizes = [(b[3] - b[1] + 1) if axis == 0 else (b[4] - b[2] + 1) for b in ctx.boxes(node)]
        return V(np.array(sizes, float).reshape(-1, 1, 1))
    v = ctx.eval(node, scalar=False, array=True)
    return V(np.full((v.shape[0], 1, 1), float(v.shape[1 + axis])))


@fn("ROWS", 1, 1, mode="lazy")
def f_rows(nodes, ctx):
    return _size(nodes, ctx, 0)


@fn("COLUMNS", 1, 1, mode="lazy")
def f_columns(nodes, ctx):
    return _size(nodes, ctx, 1)


_XL_PREFIX = re.compile(r"_xlfn\.(?:_xlws\.)?|_xlws\.|_xlpm\.", re.I)  # the file's prefixes: Excel shows none


@fn("FORMULATEXT", 1, 1, mode="lazy")
def f_formulatext(nodes, ctx):
    eng = ctx.eng
    out = []
    for b in ctx.boxes(nodes[0]):
        s, r, c = b[0], b[1], b[2]
        i = eng.group_at(s, r, c)
        if i < 0:
            out.append(ErrorCode(NA))
            continue
        g = eng.groups[i]
        text = "=" + _XL_PREFIX.sub("", g.text_at(r))
        out.append("{" + text + "}" if g.array_box and not g.dynamic or g.array_eval else text)  # any cell of one
    return V.stack([V.scalar(x) for x in out])


__all__ = ["find", "BLANK", "ERR"]


@fn("ISFORMULA", 1, 1, mode="lazy")
def f_isformula(nodes, ctx):

    eng = ctx.eng
    return bool_result(np.array([eng.group_at(b[0], b[1], b[2]) >= 0 for b in ctx.boxes(nodes[0])])  # array blocks too
                       .reshape(-1, 1, 1))
