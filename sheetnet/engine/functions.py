"""Spreadsheet functions over value blocks (K, h, w): each formula cell of a group at once.

Aggregates (SUM, AVERAGE, ...) reduce each cell's h x w block; scalar functions work element by
element.  Semantics follow Excel: cell ranges skip text and booleans in SUM/AVERAGE/COUNT/MAX/MIN,
literal arguments are coerced; SUMPRODUCT treats non-numbers as 0; errors propagate, the first one
(in reading order) winning.
"""

from __future__ import annotations

import fnmatch
import math
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from .values import (
    BLANK,
    BOOL,
    ERR,
    NUM,
    TEXT,
    VALUE,
    EngineError,
    V,
    finish,
    first_error,
    parse_number,
    to_bool,
    to_number,
    where,
    with_errors,
)

AGGREGATES = {"SUM", "AVERAGE", "COUNT", "COUNTA", "MAX", "MIN", "SUMSQ", "AND", "OR"}
ARRAY_ARGS = {"SUMPRODUCT", "MMULT", "TRANSPOSE", "INDEX", "SUMIF", "COUNTIF", "ROWS", "COLUMNS"} | AGGREGATES


def _first_error_per_cell(v: V):
    """(K,) object array: each cell's first error code in reading order, or None."""
    if v.typ is None:
        return None
    e = v.typ == ERR
    if not e.any():
        return None
    K = v.shape[0]
    flat_e = e.reshape(K, -1)
    idx = flat_e.argmax(axis=1)
    codes = v.objs().reshape(K, -1)[np.arange(K), idx]
    return np.where(flat_e.any(axis=1), codes, None)


def _cell_result(num_k: np.ndarray, err_k, div0=None) -> V:
    """A (K,) result vector as a (K,1,1) block, with per-cell errors."""
    num = np.asarray(num_k, dtype=float).reshape(-1, 1, 1)
    err = None if err_k is None else np.asarray(err_k, object).reshape(-1, 1, 1)
    d0 = None if div0 is None else np.asarray(div0).reshape(-1, 1, 1)
    return finish(num, err, d0)


def _agg_inputs(args):
    """For SUM-like functions: per arg, (numbers with nan where not counted, counted mask, errors (K,))."""
    out = []
    for v in args:
        if v.ref:
            if v.typ is None:
                out.append((v.num, np.ones(v.shape, bool), None))
            else:
                counted = v.typ == NUM
                out.append((np.where(counted, v.num, np.nan), counted, _first_error_per_cell(v)))
        else:
            num, err = to_number(v)
            w = with_errors(V(num), err)
            out.append((num, np.ones(v.shape, bool), _first_error_per_cell(w)))
    return out


def _reduce(args):
    parts = _agg_inputs(args)
    K = max(p[0].shape[0] for p in parts)
    errs = first_error(*[None if e is None else np.broadcast_to(e, (K,)) for _, _, e in parts])
    return parts, K, errs


def f_sum(args):
    parts, K, err = _reduce(args)
    total = sum(np.broadcast_to(np.where(c, n, 0.0).sum(axis=(1, 2)), (K,)) for n, c, _ in parts)
    return _cell_result(total, err)


def f_sumsq(args):
    parts, K, err = _reduce(args)
    total = sum(np.broadcast_to(np.where(c, n, 0.0) ** 2, n.shape).sum(axis=(1, 2)) for n, c, _ in parts)
    return _cell_result(np.broadcast_to(total, (K,)), err)


def f_count(args):
    K = max(a.shape[0] for a in args)
    total = np.zeros(K)
    for v in args:
        if v.ref:
            t = v.types()
            total = total + (t == NUM).sum(axis=(1, 2))
        else:
            num, err = to_number(v)
            ok = np.ones(v.shape, bool) if err is None else (err == None)  # noqa: E711
            total = total + ok.sum(axis=(1, 2))
    return _cell_result(total, None)


def f_counta(args):
    K = max(a.shape[0] for a in args)
    total = np.zeros(K)
    for v in args:
        total = total + (v.types() != BLANK).sum(axis=(1, 2)) if v.ref else total + np.prod(v.shape[1:])
    return _cell_result(total, None)


def f_average(args):
    parts, K, err = _reduce(args)
    total = sum(np.broadcast_to(np.where(c, n, 0.0).sum(axis=(1, 2)), (K,)) for n, c, _ in parts)
    count = sum(np.broadcast_to(c.sum(axis=(1, 2)), (K,)) for n, c, _ in parts)
    with np.errstate(all="ignore"):
        return _cell_result(total / count, err, div0=np.asarray(count) == 0)


def _minmax(args, fn, init):
    parts, K, err = _reduce(args)
    best = np.full(K, init)
    any_ = np.zeros(K, bool)
    for n, c, _ in parts:
        vals = np.where(c, n, init)
        best = fn(best, fn.reduce(vals.reshape(vals.shape[0], -1), axis=1))
        any_ = any_ | c.reshape(c.shape[0], -1).any(axis=1)
    return _cell_result(np.where(any_, best, 0.0), err)


def f_max(args):
    return _minmax(args, np.maximum, -np.inf)


def f_min(args):
    return _minmax(args, np.minimum, np.inf)


def _logical(args, how):
    K = max(a.shape[0] for a in args)
    acc = np.full(K, how == "and")
    seen = np.zeros(K, bool)
    errs = []
    for v in args:
        if v.ref:
            t = v.types()
            use = (t == NUM) | (t == BOOL)
            b = v.num != 0
            errs.append(_first_error_per_cell(v))
        else:
            b, e = to_bool(v)
            use = np.ones(v.shape, bool)
            errs.append(_first_error_per_cell(with_errors(V(np.zeros(v.shape)), e)))
        bb = np.where(use, b, how == "and").reshape(v.shape[0], -1)
        red = bb.all(axis=1) if how == "and" else bb.any(axis=1)
        acc = (acc & red) if how == "and" else (acc | red)
        seen = seen | use.reshape(v.shape[0], -1).any(axis=1)
    err = first_error(*[None if e is None else np.broadcast_to(e, (K,)) for e in errs])
    err = first_error(err, np.where(~seen, VALUE, None))
    return _bool_result(acc.reshape(-1, 1, 1), err if err is None else np.asarray(err, object).reshape(-1, 1, 1))


def _bool_result(b: np.ndarray, err=None) -> V:
    v = V(b.astype(float), np.full(b.shape, BOOL, np.uint8))
    return with_errors(v, err)


def f_and(args):
    return _logical(args, "and")


def f_or(args):
    return _logical(args, "or")


def f_sumproduct(args):
    shapes = {a.shape[1:] for a in args}
    K = max(a.shape[0] for a in args)
    if len(shapes) != 1:
        return V.errors((K, 1, 1), VALUE)
    if len(args) == 2 and args[0].typ is None and args[1].typ is None and 1 in (args[0].shape[0], args[1].shape[0]):
        # each cell's row of numbers against one shared block (features . Params): a matrix-vector product
        a, b = (args[0], args[1]) if args[1].shape[0] == 1 else (args[1], args[0])
        return _cell_result(a.num.reshape(a.shape[0], -1) @ b.num.reshape(-1), None)
    prod, errs = None, []
    for v in args:
        if v.typ is None:
            n = v.num
        else:
            n = np.where(v.typ == NUM, v.num, 0.0)
            errs.append(_first_error_per_cell(v))
        prod = n if prod is None else prod * n
    total = np.broadcast_to(prod.sum(axis=(1, 2)) if prod.shape[1] * prod.shape[2] > 1 else prod[:, 0, 0], (K,))
    err = first_error(*[None if e is None else np.broadcast_to(e, (K,)) for e in errs])
    return _cell_result(total, err)


def f_mmult(args):
    if len(args) != 2:
        raise EngineError("MMULT takes two arguments")
    a, b = args
    if a.shape[2] != b.shape[1]:
        K = max(a.shape[0], b.shape[0])
        return V.errors((K, 1, 1), VALUE)
    bad = []
    for v in (a, b):
        if v.typ is not None:
            bad.append((v.typ != NUM).reshape(v.shape[0], -1).any(axis=1))
    out = np.matmul(a.num, b.num)
    if bad:
        anybad = np.broadcast_to(sum(np.broadcast_to(x, (out.shape[0],)).astype(int) for x in bad) > 0, (out.shape[0],))
        if anybad.any():
            return with_errors(V(np.where(anybad[:, None, None], np.nan, out)),
                               np.where(np.broadcast_to(anybad[:, None, None], out.shape), VALUE, None))
    return finish(out, None)


def f_transpose(args):
    v = args[0]
    t = lambda x: None if x is None else np.swapaxes(x, 1, 2)  # noqa: E731
    return V(t(v.num), t(v.typ), t(v.obj))


def f_rows(args):
    return _cell_result(np.full(args[0].shape[0], float(args[0].shape[1])), None)


def f_columns(args):
    return _cell_result(np.full(args[0].shape[0], float(args[0].shape[2])), None)


def f_index(args):
    arr = args[0]
    K = max(a.shape[0] for a in args)
    h, w = arr.shape[1:]
    idx = []
    for a in args[1:3]:
        if a is None:
            idx.append(None)
            continue
        n, e = to_number(a)
        if e is not None and (e != None).any():  # noqa: E711
            return with_errors(V(np.zeros((K, 1, 1))), np.broadcast_to(e[:, :1, :1], (K, 1, 1)))
        idx.append(np.broadcast_to(np.trunc(n[:, 0, 0]), (K,)).astype(int))
    r, c = (idx + [None, None])[:2]
    if c is None and (h == 1 or w == 1):  # one index into a row or a column
        if h == 1:
            r, c = np.ones(K, int), r
        else:
            c = np.ones(K, int)
    if c is None:
        c = np.ones(K, int) if w == 1 else None
    if r is None or c is None or (r == 0).any() or (c == 0).any():
        raise EngineError("INDEX returning a whole row or column is not supported")
    if (r < 1).any() or (c < 1).any() or (r > h).any() or (c > w).any():
        bad = (r < 1) | (c < 1) | (r > h) | (c > w)
        r, c = np.where(bad, 1, r), np.where(bad, 1, c)
    else:
        bad = None
    src = arr.broadcast((K, h, w))
    ks = np.arange(K)
    num = src.num[ks, r - 1, c - 1].reshape(K, 1, 1)
    typ = None if src.typ is None else src.typ[ks, r - 1, c - 1].reshape(K, 1, 1)
    obj = None if src.obj is None else src.obj[ks, r - 1, c - 1].reshape(K, 1, 1)
    out = V(num, typ, obj)
    if bad is not None:
        out = with_errors(out, np.where(bad.reshape(K, 1, 1), "#REF!", None))
    return out


_CRIT = re.compile(r"^(<=|>=|<>|<|>|=)?(.*)$", re.S)


def _criterion(crit):
    """A predicate over (typ, num, obj) for SUMIF/COUNTIF criteria like 3, ">0.5", "<>S", "a*"."""
    if isinstance(crit, (float, bool)) and not isinstance(crit, str):
        x = float(crit)
        return lambda t, n, o: (t == NUM and n == x) or (t == TEXT and parse_number(str(o)) == x)
    s = "" if crit is None else str(crit)
    op, rest = _CRIT.match(s).groups()
    num = parse_number(rest)
    if num is not None:
        ops = {None: np.equal, "=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater,
               "<=": np.less_equal, ">=": np.greater_equal}
        f = ops[op]

        def equal(t, n, o):  # "3" matches the number 3 and the text "3"
            return (t == NUM and n == num) or (t == TEXT and parse_number(str(o)) == num)
        if op == "<>":
            return lambda t, n, o: not equal(t, n, o)
        if op in (None, "="):
            return equal
        return lambda t, n, o: t == NUM and bool(f(n, num))
    if op in (None, "=", "<>"):
        if rest == "" and op is not None:
            pred = lambda t, n, o: t == BLANK  # noqa: E731
        else:
            pat = re.compile(fnmatch.translate(rest.lower()).replace(".*", ".*").replace("(?s:", "(?s:"), re.S)
            pred = lambda t, n, o: t == TEXT and bool(pat.match(str(o).lower()))  # noqa: E731
        return (lambda t, n, o: not pred(t, n, o)) if op == "<>" else pred
    cmp = {"<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}[op]
    return lambda t, n, o: t == TEXT and cmp(str(o).lower(), rest.lower())


def _if_family(args, summing):
    rng, crit = args[0], args[1]
    total_src = args[2] if summing and len(args) > 2 and args[2] is not None else rng
    K = max(a.shape[0] for a in args if a is not None)
    out = np.zeros(K)
    errs = np.full(K, None, object)
    src = rng.broadcast((K,) + rng.shape[1:])
    tot = total_src.broadcast((K,) + total_src.shape[1:])
    cv = crit.broadcast((K, 1, 1))
    typ, objs, tt = src.types(), src.objs(), tot.types()
    for k in range(K):
        pred = _criterion(cv.python(k))
        for i in range(src.shape[1]):
            for j in range(src.shape[2]):
                if pred(typ[k, i, j], src.num[k, i, j], objs[k, i, j]):
                    if not summing:
                        out[k] += 1
                    elif i < tot.shape[1] and j < tot.shape[2]:
                        if tt[k, i, j] == ERR and errs[k] is None:
                            errs[k] = tot.objs()[k, i, j]
                        elif tt[k, i, j] == NUM:
                            out[k] += tot.num[k, i, j]
    return _cell_result(out, errs if (errs != None).any() else None)  # noqa: E711


def f_sumif(args):
    return _if_family(args, True)


def f_countif(args):
    return _if_family(args, False)


# ---- element-wise functions -------------------------------------------------------------------

def _unary(fn, domain=None):
    def f(args):
        if len(args) != 1:
            raise EngineError("takes one argument")
        n, err = to_number(args[0])
        with np.errstate(all="ignore"):
            out = fn(n)
        if domain is not None:
            out = np.where(domain(n), out, np.nan)
        return finish(out, err)
    return f


def _binary_num(fn, div0=None):
    def f(args):
        (a, ea), (b, eb) = to_number(args[0]), to_number(args[1])
        with np.errstate(all="ignore"):
            out = fn(a, b)
        return finish(out, first_error(ea, eb), None if div0 is None else div0(a, b))
    return f


def power(a, b):
    with np.errstate(all="ignore"):
        out = np.power(a, b)
    return np.where((a == 0) & (b == 0), np.nan, out)


def _log(args):
    x, ex = to_number(args[0])
    if len(args) > 1 and args[1] is not None:
        b, eb = to_number(args[1])
    else:
        b, eb = np.full((1, 1, 1), 10.0), None
    with np.errstate(all="ignore"):
        out = np.where((x > 0) & (b > 0) & (b != 1), np.log(x) / np.log(b), np.nan)
    return finish(out, first_error(ex, eb), b == 1)


def _round_half_up(x, nd):
    if not math.isfinite(x):
        return x
    q = Decimal(1).scaleb(-int(nd))
    return float(Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP)) if abs(int(nd)) < 300 else x


_round_vec = np.frompyfunc(_round_half_up, 2, 1)


def f_round(args):
    (x, ex), (d, ed) = to_number(args[0]), to_number(args[1])
    xb, db = np.broadcast_arrays(x, np.trunc(d))
    return finish(_round_vec(xb, db).astype(float), first_error(ex, ed))


def f_if(args):
    cond = args[0]
    a = args[1] if len(args) > 1 and args[1] is not None else V.scalar(True)
    b = args[2] if len(args) > 2 and args[2] is not None else V.scalar(False)
    c, err = to_bool(cond)
    shape = np.broadcast_shapes(c.shape, a.shape, b.shape)
    out = where(np.broadcast_to(c, shape), a.broadcast(shape), b.broadcast(shape))
    return with_errors(out, None if err is None else np.broadcast_to(err, shape))


def f_iferror(args):
    v, alt = args[0], args[1]
    if v.typ is None:
        return v
    isn = v.typ == ERR
    shape = np.broadcast_shapes(v.shape, alt.shape)
    return where(np.broadcast_to(~isn, shape), v.broadcast(shape), alt.broadcast(shape))


def f_not(args):
    b, err = to_bool(args[0])
    return _bool_result(~b, err)


def _is(pred):
    def f(args):
        t = args[0].types()
        return _bool_result(pred(t))
    return f


FUNCTIONS = {
    "SUM": f_sum, "SUMSQ": f_sumsq, "COUNT": f_count, "COUNTA": f_counta, "AVERAGE": f_average, "MAX": f_max,
    "MIN": f_min, "AND": f_and, "OR": f_or, "SUMPRODUCT": f_sumproduct, "MMULT": f_mmult, "TRANSPOSE": f_transpose,
    "INDEX": f_index, "SUMIF": f_sumif, "COUNTIF": f_countif, "ROWS": f_rows, "COLUMNS": f_columns,
    "IF": f_if, "IFERROR": f_iferror, "NOT": f_not,
    "ABS": _unary(np.abs), "SQRT": _unary(np.sqrt, lambda x: x >= 0), "EXP": _unary(np.exp),
    "LN": _unary(np.log, lambda x: x > 0), "LOG10": _unary(np.log10, lambda x: x > 0), "LOG": _log,
    "TANH": _unary(np.tanh), "INT": _unary(np.floor), "SIGN": _unary(np.sign),
    "POWER": _binary_num(power, div0=lambda a, b: (a == 0) & (b < 0)),
    "MOD": _binary_num(lambda a, b: a - b * np.floor(a / b), div0=lambda a, b: b == 0),
    "ROUND": f_round,
    "ISERROR": _is(lambda t: t == ERR), "ISNUMBER": _is(lambda t: t == NUM), "ISBLANK": _is(lambda t: t == BLANK),
    "ISTEXT": _is(lambda t: t == TEXT),
}
CONSTANT_FUNCTIONS = {"PI": math.pi, "TRUE": True, "FALSE": False}
VOLATILE = {"RAND", "RANDBETWEEN"}
LAZY = {"IF", "IFERROR"}
ARITY = {"IF": (1, 3), "IFERROR": (2, 2), "NOT": (1, 1), "ROUND": (2, 2), "POWER": (2, 2), "MOD": (2, 2),
         "LOG": (1, 2), "MMULT": (2, 2), "TRANSPOSE": (1, 1), "INDEX": (2, 3), "SUMIF": (2, 3), "COUNTIF": (2, 2),
         "RAND": (0, 0), "RANDBETWEEN": (2, 2), "ROWS": (1, 1), "COLUMNS": (1, 1), "PI": (0, 0), "NA": (0, 0)}


def supported() -> list[str]:
    return sorted(set(FUNCTIONS) | VOLATILE | set(CONSTANT_FUNCTIONS) | {"NA"})

