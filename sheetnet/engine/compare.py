"""Comparison as the spreadsheet means it: numbers, text (case-insensitive), booleans and blanks,
in Excel's order (numbers < text < booleans), element by element with errors carried."""

from __future__ import annotations

import numpy as np

from . import collate
from .values import APPROX, BLANK, BOOL, ERR, NUM, TEXT, V, error_array, first_error, with_errors

CMP = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater, "<=": np.less_equal, ">=": np.greater_equal}


def compare(op, a: V, b: V) -> V:
    if a.typ is None and b.typ is None:
        r = CMP[op](order(a.num, b.num), 0)
        return V(r.astype(float), np.full(r.shape, BOOL, np.uint8))
    shape = np.broadcast_shapes(a.shape, b.shape)
    if op in ("=", "<>"):  # x="" (collab's test for a rating), where x holds no text and no error
        for v, t in ((a, b), (b, a)):
            if t.num.size == 1 and t.typ is not None and t.typ.flat[0] == TEXT and t.obj is not None:
                tv = v.types()
                if not (tv == TEXT).any() and not (tv == ERR).any():
                    eq = (tv == BLANK) if str(t.obj.flat[0]) == "" else np.zeros(tv.shape, bool)
                    r = np.broadcast_to(eq if op == "=" else ~eq, shape)
                    return V(r.astype(float), np.full(shape, BOOL, np.uint8))
    a0, b0 = a, b
    a, b = a.broadcast(shape), b.broadcast(shape)
    ta, tb = a.types(), b.types()
    err = first_error(error_array(a), error_array(b))
    if not ((ta == TEXT).any() or (tb == TEXT).any()):
        # numbers and booleans (blank: 0 or FALSE, as the other side): compare vectorised
        na, nb = np.where(ta == BLANK, 0.0, a.num), np.where(tb == BLANK, 0.0, b.num)
        ea, eb = np.where(ta == BLANK, tb, ta), np.where(tb == BLANK, ta, tb)
        rank_a, rank_b = np.where(ea == BOOL, 2, 0), np.where(eb == BOOL, 2, 0)
        c = np.where(rank_a == rank_b, order(na, nb), np.sign(rank_a - rank_b))
        r = CMP[op](np.nan_to_num(c), 0)
        return with_errors(V(r.astype(float), np.full(shape, BOOL, np.uint8)), err)
    if op in ("=", "<>") and err is None:
        return _equal(op, a, b, ta, tb, shape, a0, b0)
    oa, ob = a.objs(), b.objs()
    out = np.zeros(shape, bool)
    fa, fb = ta.ravel(), tb.ravel()
    na, nb, xa, xb = a.num.ravel(), b.num.ravel(), oa.ravel(), ob.ravel()
    fo = out.reshape(-1)
    for i in range(fo.size):
        if fa[i] == ERR or fb[i] == ERR:
            continue
        c = cmp_values(int(fa[i]), na[i], xa[i], int(fb[i]), nb[i], xb[i])
        fo[i] = {"=": c == 0, "<>": c != 0, "<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]
    return with_errors(V(out.astype(float), np.full(shape, BOOL, np.uint8)), err)


_LOWER = np.frompyfunc(lambda x: x.lower() if isinstance(x, str) else "", 1, 1)


def _lowered(v: V):
    """v's texts lowercased, "" elsewhere: at v's own size (the caller broadcasts), once for one value, and
    nothing to do where it holds no text."""
    t = v.types()
    if not (t == TEXT).any():
        return ""
    if t.size == 1:
        return str(v.objs().ravel()[0]).lower()
    return _LOWER(np.where(t == TEXT, v.objs(), ""))


def _equal(op, a: V, b: V, ta, tb, shape, a0: V, b0: V) -> V:
    """= and <> with text about, vectorised: a blank is "", 0 or FALSE as the other side is; text
    compares case-insensitively; numbers, text and booleans are never equal to each other.  a0, b0: a and b
    before they were broadcast to `shape`."""
    ea, eb = np.where(ta == BLANK, tb, ta), np.where(tb == BLANK, ta, tb)
    same = ea == eb
    text = same & (ea == TEXT)
    num = same & (ea != TEXT)
    eq = np.zeros(shape, bool)
    if text.any():
        same_text = _lowered(a0) == _lowered(b0)
        eq |= text & np.broadcast_to(np.asarray(same_text, bool), shape)
    if num.any():
        na, nb = np.where(ta == BLANK, 0.0, a.num), np.where(tb == BLANK, 0.0, b.num)
        eq |= num & (order(na, nb) == 0)
    eq |= (ta == BLANK) & (tb == BLANK)
    r = eq if op == "=" else ~eq
    return V(r.astype(float), np.full(shape, BOOL, np.uint8))


def cmp_values(ta, na, oa, tb, nb, ob) -> int:
    """Excel's ordering: numbers < text < booleans; text as a spreadsheet orders it (sheetnet.engine.collate: case
    ignored, accents after letters); blank is 0, "" or FALSE."""
    if ta == BLANK and tb == BLANK:
        return 0
    if ta == BLANK:
        ta, na, oa = (tb, 0.0, "") if tb != TEXT else (TEXT, 0.0, "")
    if tb == BLANK:
        tb, nb, ob = (ta, 0.0, "") if ta != TEXT else (TEXT, 0.0, "")
    rank = {NUM: 0, TEXT: 1, BOOL: 2}
    if ta != tb:
        return -1 if rank[ta] < rank[tb] else 1
    if ta == TEXT:
        return collate.compare(str(oa), str(ob))
    return int(order(np.float64(na), np.float64(nb)))


def order(a, b):
    """-1, 0 or 1 for a vs b, numbers within 2**-48 of each other counting as equal."""
    with np.errstate(invalid="ignore"):
        d = a - b
        tol = np.abs(a) * APPROX
        return np.where(np.abs(d) < tol, 0.0, np.sign(d))
