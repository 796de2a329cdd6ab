"""Lookups: MATCH, XMATCH, VLOOKUP, HLOOKUP, XLOOKUP, LOOKUP and CHOOSE, and the search they share (a
vector's keys made once for all cells that look in it).  The reference functions are in refs.py.
"""

from __future__ import annotations

import numpy as np

from .. import collate
from ..values import BLANK, BOOL, ERR, NUM, REF, TEXT, VALUE, EngineError, ErrorCode, Ragged, V, to_number
from .conditional import wildcard
from .registry import fn

NA = "#N/A"


def _py(v: V, k=0):
    return v.python(k if v.shape[0] > 1 else 0, 0, 0)


def _ints(v, K: int, default=None) -> list:
    """Each of K cells' value of v (its first element; one value for all where v has one) as a whole number
    (truncated), or its error; default for each where v is None (an argument left out)."""
    if v is None:
        return [default] * K
    n, e = to_number(v)
    n, e = n[:, 0, 0].tolist(), None if e is None else e[:, 0, 0].tolist()
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
    """A lookup value's class and comparable key (numbers < text < booleans): text as (1, its order
    (sheetnet.engine.collate), its lowercase): ordered as a spreadsheet orders texts, equal where the texts are
    but for case, and matched by wildcards on its lowercase."""
    if isinstance(x, bool):
        return 2, float(x)
    if isinstance(x, float):
        return 0, x
    if isinstance(x, str):
        low = x.lower()
        return 1, collate.key(low), low
    return None


def _keys(t, n, o):
    out = []
    for ti, ni, oi in zip(t, n, o):
        out.append((0, ni) if ti == NUM else _key(str(oi)) if ti == TEXT else (2, ni) if ti == BOOL else None)
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
            return next((i for i in idx if keys[i] and keys[i][0] == 1 and pat.fullmatch(keys[i][2])), None)
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
    at_once = _match_at_once(x, arr, typ)
    if at_once is not None:
        return at_once
    keys = KeysOf(arr, lambda kk: _flat(arr, kk))
    K = _K(x, arr, typ)
    ms = _ints(typ, K, 1)

    def one(k):
        vec = keys(k)
        m = ms[k]
        if isinstance(m, ErrorCode):
            return m
        xv = _py(x, k) if x is not None else 0.0
        if vec is None or isinstance(xv, ErrorCode):
            return xv if isinstance(xv, ErrorCode) else ErrorCode(NA)
        i = find_in(xv if xv is not None else 0.0, vec, mode=0 if m == 0 else (1 if m > 0 else -1), wild=True)
        return ErrorCode(NA) if i is None else float(i + 1)
    return _cells(K, one)


def _match_at_once(x, arr, typ) -> V | None:
    """MATCH of each cell's number in one vector of numbers, or of its text in one vector of texts, with one match
    type for all (MATCH(I3,$B$4:$B$18) down a column), at once: what find_in gives each (exact: the first equal;
    1: the last before the first greater; -1: the last before the first smaller; texts compared by their keys, as
    _keys makes them).  None where it is not that case (mixed kinds, an exact match with a wildcard)."""
    if x is None or arr.shape[0] != 1 or x.shape[1:] != (1, 1) or x.typ is not None and len(set(x.typ.ravel())) > 1:
        return None
    m = 1
    if typ is not None:
        if typ.shape != (1, 1, 1) or not (typ.typ is None or typ.typ[0, 0, 0] == NUM):
            return None
        m = int(typ.num[0, 0, 0])
    vec = _flat(arr, 0)
    kind = NUM if x.typ is None else int(x.typ.flat[0])
    if vec is None or kind not in (NUM, TEXT) or not (vec[0] == kind).all():
        return None
    if kind == NUM:
        n, xs = vec[1][None, :], x.num[:, 0, :]
        if not np.isfinite(xs).all():
            return None
    else:  # texts as ranks: of their order (1, -1), or of their order and lowercase (exact), as find_in compares
        n, xs = [_key(str(o)) for o in vec[2]], [_key(str(o)) for o in x.obj[:, 0, 0]]
        if m == 0 and any(ch in k[2] for k in xs for ch in "*?~"):
            return None  # (a wildcard is find_in's)
        part = (lambda k: k[1:]) if m == 0 else (lambda k: k[1])
        rank = {k: i for i, k in enumerate(sorted({part(k) for k in n + xs}))}
        n = np.array([rank[part(k)] for k in n])[None, :]
        xs = np.array([rank[part(k)] for k in xs])[:, None]
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
    K = _K(*args)
    mms, sms = _ints(args[2] if len(args) > 2 else None, K, 0), _ints(args[3] if len(args) > 3 else None, K, 1)

    def one(k):
        vec = keys(k)
        mm, sm = mms[k], sms[k]
        xv = _py(x, k)
        if vec is None or isinstance(xv, ErrorCode):
            return xv if isinstance(xv, ErrorCode) else ErrorCode(NA)
        i = _xfind(xv, vec, mm, sm)
        return ErrorCode(NA) if i is None else ErrorCode(VALUE) if i == BAD_MODE else float(i + 1)
    return _cells(K, one)


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
    K = _K(x, table, col, approx)
    cs = _ints(col, K)

    def one(k):
        kk = k if table.shape[0] > 1 else 0
        t, n, o = table.types()[kk], table.num[kk], table.objs()[kk]
        if not vertical:
            t, n, o = t.T, n.T, o.T
        c = cs[k]
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
    return _cells(K, one)


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
    mms, sms = _ints(args[4] if len(args) > 4 else None, K, 0), _ints(args[5] if len(args) > 5 else None, K, 1)
    out = []
    for k in range(K):
        vec = keys(k)
        mm, sm = mms[k], sms[k]
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


__all__ = ["find", "BLANK", "ERR"]
