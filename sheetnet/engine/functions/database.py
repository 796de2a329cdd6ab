"""Database functions: DSUM, DAVERAGE, DCOUNT, DCOUNTA, DGET, DMAX, DMIN, DPRODUCT, DSTDEV, DSTDEVP,
DVAR, DVARP over a table with a header row, a field (its label or 1-based number) and a criteria
range (labels over rows of conditions: the conditions in a row all hold, any row will do; each
condition as COUNTIF reads one; a blank condition is anything)."""

from __future__ import annotations

import numpy as np

from ..values import BLANK, ERR, NUM, TEXT, V, as_value
from .aggregate import cell_result
from .conditional import Cells, matches
from .registry import fn

VALUE, NUMERR, DIV0 = "#VALUE!", "#NUM!", "#DIV/0!"


def _block(v: V, k: int):
    kk = k if v.shape[0] > 1 else 0
    return v.num[kk], v.types()[kk], v.objs()[kk]


def _label(t, n, o) -> str | None:
    if t == TEXT:
        return o.strip().lower()
    if t == NUM:
        x = float(n)
        return (str(int(x)) if x == int(x) else repr(x)).lower()
    return None


def _selected(db: V, field: V | None, crit: V, k: int):
    """(the field column's (num, typ, obj) over the records the criteria pick); field None: whole records."""
    num, typ, obj = _block(db, k)
    heads = [_label(typ[0, j], num[0, j], obj[0, j]) for j in range(num.shape[1])]
    col = None
    fn_, ft, fo = _block(field, k) if field is not None else (None, None, None)
    if field is not None and ft.ravel()[0] != BLANK:  # (DCOUNT(db,,criteria): the records themselves)
        t, n, o = ft.ravel()[0], fn_.ravel()[0], fo.ravel()[0]
        if t == ERR:
            raise _Stop(o)
        if t == NUM:
            col = int(np.trunc(n)) - 1
            if not 0 <= col < num.shape[1]:
                raise _Stop(VALUE)
        elif t == TEXT:
            want = o.strip().lower()
            if want not in heads:
                raise _Stop(VALUE)
            col = heads.index(want)
        else:
            raise _Stop(VALUE)
    cn, ct, co = _block(crit, k)
    if cn.shape[0] < 2:
        raise _Stop(VALUE)
    records = num.shape[0] - 1
    pick = np.zeros(records, bool)
    for i in range(1, cn.shape[0]):
        row = np.ones(records, bool)
        for j in range(cn.shape[1]):
            if ct[i, j] == BLANK:
                continue
            name = _label(ct[0, j], cn[0, j], co[0, j])
            if name not in heads:
                raise _Stop(VALUE)
            c = heads.index(name)
            cells = Cells(typ[1:, c], num[1:, c], obj[1:, c])
            row &= matches(cells, as_value(cn[i, j], ct[i, j], co[i, j]))
        pick |= row
    if col is None:
        return None, pick
    return (num[1:, col][pick], typ[1:, col][pick], obj[1:, col][pick]), pick


class _Stop(Exception):
    def __init__(self, code):
        self.code = code


def _dfn(name, f, numbers_only=True, need=1, count_all=False):
    @fn(name, 2 if count_all else 3, 3, arrays={0, 2}, keep_omitted=True)
    def impl(args):
        db, field, crit = (list(args) + [None] * 3)[:3]
        if crit is None:
            crit, field = field, None
        K = max(a.shape[0] for a in (db, field, crit) if a is not None)
        out = np.empty(K)
        err = np.full(K, None, object)
        div0 = np.zeros(K, bool)
        for k in range(K):
            try:
                sel, pick = _selected(db, field, crit, k)
                if sel is None:  # DCOUNTA / DCOUNT with no field: the records
                    out[k] = float(pick.sum())
                    continue
                num, typ, obj = sel
                if count_all:
                    out[k] = float(np.sum(typ != BLANK))
                    continue
                errs = obj[typ == ERR]
                if len(errs) and name not in ("DCOUNT",):
                    raise _Stop(errs[0])
                x = num[typ == NUM]
                if len(x) < need:
                    out[k], div0[k] = np.nan, name not in ("DGET",)
                    if name == "DGET":
                        err[k] = VALUE
                    continue
                out[k] = f(x)
            except _Stop as e:
                out[k], err[k] = np.nan, e.code
        return cell_result(out, err if (err != None).any() else None, div0)  # noqa: E711
    return impl


def _dget(x):
    if len(x) > 1:
        raise _Stop(NUMERR)
    return float(x[0])


_dfn("DSUM", lambda x: float(np.sum(x)), need=0)
_dfn("DAVERAGE", lambda x: float(np.mean(x)))
_dfn("DCOUNT", lambda x: float(len(x)), need=0)
_dfn("DCOUNTA", None, count_all=True)
_dfn("DGET", _dget)
_dfn("DMAX", lambda x: float(np.max(x)) if len(x) else 0.0, need=0)
_dfn("DMIN", lambda x: float(np.min(x)) if len(x) else 0.0, need=0)
_dfn("DPRODUCT", lambda x: float(np.prod(x)) if len(x) else 0.0, need=0)
_dfn("DSTDEV", lambda x: float(np.std(x, ddof=1)), need=2)
_dfn("DSTDEVP", lambda x: float(np.std(x)))
_dfn("DVAR", lambda x: float(np.var(x, ddof=1)), need=2)
_dfn("DVARP", lambda x: float(np.var(x)))
