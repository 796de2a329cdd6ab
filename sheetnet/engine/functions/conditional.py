"""Conditional aggregates: SUMIF, COUNTIF, AVERAGEIF and their -S forms, MAXIFS, MINIFS.

A criterion is a number (equal to it, or to text that reads as it), a boolean, or text: an optional
operator (= <> < > <= >=) and an operand, wildcards * ? ~ for text equality, case-insensitive; "="
alone matches blanks and "<>" alone anything not blank.  An array of criteria gives an array of
results (SUMPRODUCT(SUMIF(A:A,{"a","b"},B:B))).
"""

from __future__ import annotations

import re

import numpy as np

from .. import collate
from ..values import BLANK, BOOL, ERR, NUM, TEXT, VALUE, V, finish, parse_number
from .registry import fn

_OP = re.compile(r"^(<=|>=|<>|<|>|=)?(.*)$", re.S)
_NUM_OPS = {None: np.equal, "=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater,
            "<=": np.less_equal, ">=": np.greater_equal}


def wildcard(pattern: str) -> re.Pattern:
    """Excel's * ? and ~ escapes as a regular expression (whole text, case-insensitive)."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~" and i + 1 < len(pattern) and pattern[i + 1] in "*?~":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S | re.I)


class Cells:
    """A range's cells, flattened, with what criteria need computed once."""

    def __init__(self, typ, num, obj):
        self.typ, self.num = typ.ravel(), num.ravel()
        self.obj = obj.ravel()
        self._low = self._parsed = None

    @property
    def low(self):
        if self._low is None:
            self._low = np.array([o.lower() if t == TEXT else None for t, o in zip(self.typ, self.obj)], object)
        return self._low

    @property
    def parsed(self):
        """Text cells that read as numbers ("3"), as numbers (nan elsewhere)."""
        if self._parsed is None:
            self._parsed = np.array([(parse_number(o) if t == TEXT else None) for t, o in zip(self.typ, self.obj)],
                                    dtype=float)
        return self._parsed


def matches(cells: Cells, crit) -> np.ndarray:
    """Which cells a criterion (a Python value) picks."""
    t, n = cells.typ, cells.num
    if isinstance(crit, bool):
        return (t == BOOL) & ((n != 0) == crit)
    if isinstance(crit, float):
        with np.errstate(invalid="ignore"):
            return ((t == NUM) & (n == crit)) | ((t == TEXT) & (cells.parsed == crit))
    if crit is None:
        crit = ""
    if not isinstance(crit, str):  # an error as the criterion picks nothing
        return np.zeros(t.shape, bool)
    op, rest = _OP.match(crit).groups()
    x = parse_number(rest)
    if x is not None:
        f = _NUM_OPS[op]
        with np.errstate(invalid="ignore"):
            hit = (t == NUM) & f(n, x)
            if op in (None, "=", "<>"):
                eq = (t == TEXT) & (cells.parsed == x)
                hit = hit | eq if op != "<>" else (hit & ~eq) | ((t != NUM) & ~eq)
        return hit
    if op in (None, "=", "<>"):
        if rest == "":
            blank = (t == BLANK) | ((t == TEXT) & (cells.low == ""))
            if op is None:
                return blank
            return blank if op == "=" else ~(t == BLANK)
        pat = wildcard(rest)
        hit = (t == TEXT) & np.array([bool(pat.fullmatch(s)) if s is not None else False for s in cells.low])
        return ~hit if op == "<>" else hit
    r = collate.key(rest)  # (texts in a spreadsheet's order: sheetnet.engine.collate)
    cmp = {"<": lambda a: a < r, ">": lambda a: a > r, "<=": lambda a: a <= r, ">=": lambda a: a >= r}[op]
    return (t == TEXT) & np.array([cmp(collate.key(s)) if s is not None else False for s in cells.low])


def _criteria(v: V, K: int):
    """Each formula cell's criteria as Python values: (K, ch, cw) nested lists and the shape (ch, cw)."""
    v = v if v is not None else V(np.zeros((1, 1, 1)))
    ch, cw = v.shape[1:]
    kk = max(K, v.shape[0])
    vals = [[[v.python(k if v.shape[0] > 1 else 0, i, j) for j in range(cw)] for i in range(ch)] for k in range(kk)]
    return vals, (ch, cw), kk


def _ranges(pairs, K):
    """[(Cells per cell k (or one shared), criteria)] for (range, criterion) pairs."""
    out = []
    for rng, crit in pairs:
        cvals, cshape, kk = _criteria(crit, K)
        shared = rng.shape[0] == 1
        cells = [Cells(rng.types()[k], rng.num[k], rng.objs()[k]) for k in range(1 if shared else rng.shape[0])]
        out.append((cells, cvals, cshape, shared, rng.shape[1:]))
    return out


def _conditional(target: V | None, pairs, how: str):
    """The engine of every *IF(S): per formula cell and per criteria element, reduce the target where all hold."""
    K = max([v.shape[0] for v in [target, *[x for p in pairs for x in p]] if v is not None] or [1])
    ranges = _ranges(pairs, K)
    shapes = {r[4] for r in ranges} | ({target.shape[1:]} if target is not None and how != "sumif" else set())
    if len(shapes) > 1:
        return V.errors((K, 1, 1), VALUE)
    cshape = np.broadcast_shapes(*[r[2] for r in ranges])
    KK = max([K] + [len(r[1]) for r in ranges])
    out = np.zeros((KK,) + cshape)
    err = np.full(out.shape, None, object)
    memo: dict = {}
    for k in range(KK):
        for i in range(cshape[0]):
            for j in range(cshape[1]):
                mask = None
                for idx, (cells, cvals, cs, shared, _) in enumerate(ranges):
                    ck = cvals[k if len(cvals) > 1 else 0][i if cs[0] > 1 else 0][j if cs[1] > 1 else 0]
                    cc = cells[0 if shared else k]
                    key = (idx, 0 if shared else k, type(ck).__name__, ck)
                    m = memo.get(key)
                    if m is None:
                        m = memo[key] = matches(cc, ck)
                    mask = m if mask is None else (mask & m)
                out[k, i, j], err[k, i, j] = _reduce(target, k, mask, how)
    return finish(out, err if (err != None).any() else None,  # noqa: E711
                  np.isnan(out) & (err == None) if how == "average" else None)  # noqa: E711


def _reduce(target, k, mask, how):
    if how == "count":
        return float(mask.sum()), None
    t = target.types()[k if target.shape[0] > 1 else 0].ravel()
    n = target.num[k if target.shape[0] > 1 else 0].ravel()
    if how == "sumif" and t.size != mask.size:  # SUMIF's sum range: its top-left cell, the criteria range's shape
        m = np.zeros(t.size, bool)
        m[:min(mask.size, t.size)] = mask[:t.size]
        mask = m
    sel = mask & (t == NUM)
    hit_err = mask & (t == ERR)
    if hit_err.any():
        return np.nan, target.objs()[k if target.shape[0] > 1 else 0].ravel()[np.argmax(hit_err)]
    x = n[sel]
    if how in ("sum", "sumif"):
        return float(x.sum()) if x.size else 0.0, None
    if how == "average":
        return (float(x.mean()), None) if x.size else (np.nan, None)
    if how == "max":
        return (float(x.max()) if x.size else 0.0), None
    return (float(x.min()) if x.size else 0.0), None


@fn("SUMIF", 2, 3, arrays={0, 2}, keep_omitted=True)
def f_sumif(args):
    args = [V.scalar(None) if a is None and i < 2 else a for i, a in enumerate(args)]
    target = args[2] if len(args) > 2 and args[2] is not None else args[0]
    return _conditional(target, [(args[0], args[1])], "sumif")


@fn("COUNTIF", 2, 2, arrays={0})
def f_countif(args):
    return _conditional(None, [(args[0], args[1])], "count")


@fn("AVERAGEIF", 2, 3, arrays={0, 2}, keep_omitted=True)
def f_averageif(args):
    args = [V.scalar(None) if a is None and i < 2 else a for i, a in enumerate(args)]
    target = args[2] if len(args) > 2 and args[2] is not None else args[0]
    return _conditional(target, [(args[0], args[1])], "average")


def _pairs_of(args):
    return [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 2)]


@fn("SUMIFS", 3, 255, arrays={0} | set(range(1, 255, 2)))
def f_sumifs(args):
    return _conditional(args[0], _pairs_of(args[1:]), "sum") if len(args) % 2 else V.errors((1, 1, 1), VALUE)


@fn("COUNTIFS", 2, 254, arrays=set(range(0, 254, 2)))
def f_countifs(args):
    return _conditional(None, _pairs_of(args), "count") if len(args) % 2 == 0 else V.errors((1, 1, 1), VALUE)


@fn("AVERAGEIFS", 3, 255, arrays={0} | set(range(1, 255, 2)))
def f_averageifs(args):
    return _conditional(args[0], _pairs_of(args[1:]), "average") if len(args) % 2 else V.errors((1, 1, 1), VALUE)


@fn("MAXIFS", 3, 255, arrays={0} | set(range(1, 255, 2)))
def f_maxifs(args):
    return _conditional(args[0], _pairs_of(args[1:]), "max") if len(args) % 2 else V.errors((1, 1, 1), VALUE)


@fn("MINIFS", 3, 255, arrays={0} | set(range(1, 255, 2)))
def f_minifs(args):
    return _conditional(args[0], _pairs_of(args[1:]), "min") if len(args) % 2 else V.errors((1, 1, 1), VALUE)
