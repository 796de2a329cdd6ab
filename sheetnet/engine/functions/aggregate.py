"""Aggregates over ranges and arrays: each formula cell's block (h x w) reduced, K cells at once.

Excel's semantics: in a cell range, SUM/AVERAGE/COUNT/MAX/MIN/... skip text, booleans and blanks;
values typed as arguments are coerced (TRUE is 1, "3" is 3, other text is #VALUE!); errors
propagate, the first one in reading order winning.
"""

from __future__ import annotations

import numpy as np

from ...numerics import weighted_sum
from ..values import (BLANK, BOOL, ERR, NUM, NUMERR, TEXT, VALUE, DIV0, V, bool_result, finish, first_error, to_bool,
                      to_number, with_errors)
from .registry import fn, is_reference as _is_reference


def first_error_per_cell(v: V):
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


def cell_result(num_k, err_k=None, div0=None) -> V:
    """A (K,) result vector as a (K,1,1) block, with per-cell errors."""
    num = np.asarray(num_k, dtype=float).reshape(-1, 1, 1)
    err = None if err_k is None else np.asarray(err_k, object).reshape(-1, 1, 1)
    d0 = None if div0 is None else np.asarray(div0).reshape(-1, 1, 1)
    return finish(num, err, d0)


def numbers_of(args):
    """For SUM-like functions: per argument, (numbers with nan where not counted, counted mask, errors (K,))."""
    out = []
    for v in args:
        if v is None:
            continue
        if v.ref or v.shape[1:] != (1, 1):  # ranges and arrays: only their numbers count (text, TRUE skipped)
            if v.typ is None:
                out.append((v.num, np.ones(v.shape, bool), None))
            else:
                counted = v.typ == NUM
                out.append((np.where(counted, v.num, np.nan), counted, first_error_per_cell(v)))
        else:
            num, err = to_number(v)
            w = with_errors(V(num), err)
            out.append((num, np.ones(v.shape, bool), first_error_per_cell(w)))
    return out


def reduce_args(args):
    parts = numbers_of(args)
    K = max([p[0].shape[0] for p in parts] or [1])
    errs = first_error(*[None if e is None else np.broadcast_to(e, (K,)) for _, _, e in parts])
    return parts, K, errs


def values_per_cell(args):
    """(K, [each cell's counted numbers as a 1-D array], errors): for MEDIAN, LARGE, STDEV, ..."""
    parts, K, err = reduce_args(args)
    cells = []
    for k in range(K):
        chunks = []
        for n, c, _ in parts:
            kk = k if n.shape[0] > 1 else 0
            chunks.append(n[kk][np.broadcast_to(c, n.shape)[kk]].ravel())
        cells.append(np.concatenate(chunks) if chunks else np.zeros(0))
    return K, cells, err


def per_cell(x):
    """(K, h, w) -> (K, h*w), C-contiguous: each cell's values in reading order, so that adding them up does
    not depend on how the block lies in memory (a window of the grid, a copy, a block of several columns)."""
    return np.ascontiguousarray(x.reshape(x.shape[0], -1))


def _sum(parts, K, f=lambda x: x):
    return sum((np.broadcast_to(per_cell(np.where(c, f(n), 0.0)).sum(axis=1), (K,)) for n, c, _ in parts), np.zeros(K))


@fn("SUM", arrays="all")
def f_sum(args):
    parts, K, err = reduce_args(args)
    return cell_result(_sum(parts, K), err)


@fn("SUMSQ", arrays="all")
def f_sumsq(args):
    parts, K, err = reduce_args(args)
    return cell_result(_sum(parts, K, lambda x: x * x), err)


@fn("PRODUCT", arrays="all")
def f_product(args):
    parts, K, err = reduce_args(args)
    total = np.ones(K)
    for n, c, _ in parts:
        total = total * np.broadcast_to(per_cell(np.where(c, n, 1.0)).prod(axis=1), (K,))
    any_ = sum((np.broadcast_to(c.reshape(c.shape[0], -1).any(axis=1), (K,)) for _, c, _ in parts), np.zeros(K)) > 0
    return cell_result(np.where(any_, total, 0.0), err)


@fn("COUNT", arrays="all", keep_omitted=True)
def f_count(args):
    K = max([a.shape[0] for a in args if a is not None] or [1])
    total = np.zeros(K)
    for v in args:
        if v is None:
            total = total + 1  # an omitted argument counts, as a 0 would
            continue
        if v.ref:
            total = total + (v.types() == NUM).sum(axis=(1, 2))
        elif v.shape[1:] != (1, 1):  # a computed array: only its numbers count
            total = total + (v.types() == NUM).sum(axis=(1, 2))
        else:  # a value typed as an argument counts when it reads as a number ("3", TRUE)
            _, err = to_number(v)
            ok = np.ones(v.shape, bool) if err is None else (err == None)  # noqa: E711
            total = total + ok.sum(axis=(1, 2))
    return cell_result(total)


@fn("COUNTA", arrays="all", keep_omitted=True)
def f_counta(args):
    K = max([a.shape[0] for a in args if a is not None] or [1])
    total = np.zeros(K)
    for v in args:
        if v is None:
            total = total + 1
        elif v.ref:
            total = total + (v.types() != BLANK).sum(axis=(1, 2))
        else:
            total = total + np.prod(v.shape[1:])
    return cell_result(total)


@fn("COUNTBLANK", 1, 1, mode="lazy")
def f_countblank(nodes, ctx):
    """Blank cells and empty texts; a whole column counts all its 1,048,576 cells."""

    if _is_reference(nodes[0], ctx):
        out = []
        for s, r0, c0, r1, c1 in ctx.boxes(nodes[0]):
            v = ctx.read(s, r0, c0, r1, c1)
            t = v.types()
            filled = ((t != BLANK) & ~((t == TEXT) & (v.objs() == ""))).sum()
            out.append((r1 - r0 + 1) * (c1 - c0 + 1) - filled)
        return cell_result(np.array(out, float))
    v = ctx.eval(nodes[0], scalar=False, array=True)
    t = v.types()
    blank = (t == BLANK) | ((t == TEXT) & (v.objs() == ""))
    return cell_result(blank.sum(axis=(1, 2)))


@fn("AVERAGE", arrays="all")
def f_average(args):
    parts, K, err = reduce_args(args)
    total = _sum(parts, K)
    count = sum((np.broadcast_to(c.sum(axis=(1, 2)), (K,)) for n, c, _ in parts), np.zeros(K))
    with np.errstate(all="ignore"):
        return cell_result(total / count, err, div0=count == 0)


def _minmax(args, f, init):
    parts, K, err = reduce_args(args)
    best = np.full(K, init)
    any_ = np.zeros(K, bool)
    for n, c, _ in parts:
        vals = np.where(c, n, init)
        best = f(best, f.reduce(vals.reshape(vals.shape[0], -1), axis=1))
        any_ = any_ | c.reshape(c.shape[0], -1).any(axis=1)
    return cell_result(np.where(any_, best, 0.0), err)


@fn("MAX", arrays="all")
def f_max(args):
    return _minmax(args, np.maximum, -np.inf)


@fn("MIN", arrays="all")
def f_min(args):
    return _minmax(args, np.minimum, np.inf)


def _per_cell(args, f, need=1):
    """Apply f(values) -> float to each cell's counted numbers; #DIV/0! (or #NUM!) below `need` values."""
    K, cells, err = values_per_cell(args)
    out = np.empty(K)
    short = np.zeros(K, bool)
    for k, x in enumerate(cells):
        if len(x) < need:
            out[k], short[k] = np.nan, True
        else:
            out[k] = f(x)
    return cell_result(out, err, div0=short)


@fn("MEDIAN", arrays="all")
def f_median(args):
    K, cells, err = values_per_cell(args)
    out = np.array([np.median(x) if len(x) else np.nan for x in cells])
    return cell_result(out, err)  # no numbers: #NUM!


def _var(ddof):
    def f(x):
        return float(np.sum((x - x.mean()) ** 2) / (len(x) - ddof))
    return f


@fn("VAR", arrays="all", aliases=("VAR.S",))
def f_var(args):
    return _per_cell(args, _var(1), need=2)


@fn("VARP", arrays="all", aliases=("VAR.P",))
def f_varp(args):
    return _per_cell(args, _var(0), need=1)


@fn("STDEV", arrays="all", aliases=("STDEV.S",))
def f_stdev(args):
    return _per_cell(args, lambda x: np.sqrt(_var(1)(x)), need=2)


@fn("STDEVP", arrays="all", aliases=("STDEV.P",))
def f_stdevp(args):
    return _per_cell(args, lambda x: np.sqrt(_var(0)(x)), need=1)


def _kth(args, largest: bool):
    arr, kv = args[0], args[1]
    K0, cells, err = values_per_cell([arr])
    kn, ke = to_number(kv)
    K = max(K0, kn.shape[0])
    out = np.empty(K)
    for k in range(K):
        x = np.sort(cells[k if K0 > 1 else 0])
        kj = kn[k if kn.shape[0] > 1 else 0, 0, 0]
        j = int(np.ceil(kj - 1e-12)) if np.isfinite(kj) else 0  # not a number: its error, below
        out[k] = (x[-j] if largest else x[j - 1]) if 1 <= j <= len(x) else np.nan
    return cell_result(out, first_error(None if err is None else np.broadcast_to(err, (K,)),
                                        None if ke is None else np.broadcast_to(ke[:, 0, 0], (K,))))


@fn("LARGE", 2, 2, arrays={0})
def f_large(args):
    return _kth(args, True)


@fn("SMALL", 2, 2, arrays={0})
def f_small(args):
    return _kth(args, False)


@fn("RANK", 2, 3, arrays={1}, aliases=("RANK.EQ",))
def f_rank(args):
    (x, ex) = to_number(args[0])
    K0, cells, err = values_per_cell([args[1]])
    asc = to_number(args[2])[0] if len(args) > 2 and args[2] is not None else np.zeros((1, 1, 1))
    K = max(x.shape[0], K0, asc.shape[0])
    out = np.empty(K)
    for k in range(K):
        v = x[min(k, x.shape[0] - 1), 0, 0]
        ref = cells[min(k, K0 - 1)]
        a = asc[min(k, asc.shape[0] - 1), 0, 0] != 0
        if not np.any(ref == v):
            out[k] = np.nan
        else:
            out[k] = 1 + (np.sum(ref < v) if a else np.sum(ref > v))
    err2 = np.where(np.isnan(out), "#N/A", None)
    return cell_result(np.nan_to_num(out), first_error(None if ex is None else np.broadcast_to(ex[:, 0, 0], (K,)),
                                                         err, err2))


@fn("SUMPRODUCT", arrays="all", inner_array=True)
def f_sumproduct(args):
    shapes = {a.shape[1:] for a in args}
    K = max(a.shape[0] for a in args)
    if len(shapes) != 1:
        return V.errors((K, 1, 1), VALUE)
    if len(args) == 2 and args[0].typ is None and args[1].typ is None and 1 in (args[0].shape[0], args[1].shape[0]):
        # each cell's row of numbers against one shared block (features . Params): a matrix-vector product
        a, b = (args[0], args[1]) if args[1].shape[0] == 1 else (args[1], args[0])
        return cell_result(weighted_sum(a.num.reshape(a.shape[0], -1), b.num.reshape(-1)))
    prod, errs = None, []
    for v in args:
        if v.typ is None:
            n = v.num
        else:
            n = np.where(v.typ == NUM, v.num, 0.0)
            errs.append(first_error_per_cell(v))
        prod = n if prod is None else prod * n
    total = np.broadcast_to(per_cell(prod).sum(axis=1) if prod.shape[1] * prod.shape[2] > 1 else prod[:, 0, 0], (K,))
    err = first_error(*[None if e is None else np.broadcast_to(e, (K,)) for e in errs])
    return cell_result(total, err)


def _pairs(args, f):
    """SUMXMY2 and friends: two arrays of the same size, pairs where both are numbers."""
    a, b = args
    K = max(a.shape[0], b.shape[0])
    if a.shape[1] * a.shape[2] != b.shape[1] * b.shape[2]:
        return V.errors((K, 1, 1), "#N/A")
    err = first_error(*[None if e is None else np.broadcast_to(e, (K,)) for e in
                        (first_error_per_cell(a), first_error_per_cell(b))])

    def rows(x):  # (K, h*w), broadcast only where it is one cell's
        x = x.reshape(x.shape[0], -1)
        return x if x.shape[0] == K else np.broadcast_to(x, (K, x.shape[1]))
    x, y = rows(a.num), rows(b.num)
    ok = [rows(v.typ) == NUM for v in (a, b) if v.typ is not None]  # (where either holds other than numbers)
    with np.errstate(all="ignore"):
        d = f(x, y)
        if ok:
            d = np.where(ok[0] & ok[1] if len(ok) == 2 else ok[0], d, 0.0)
        return cell_result(per_cell(d).sum(axis=1), err)


PAIRS = {"SUMXMY2": lambda x, y: (x - y) ** 2, "SUMX2MY2": lambda x, y: x * x - y * y,
         "SUMX2PY2": lambda x, y: x * x + y * y}  # (the compiled path's too: sheetnet.engine.compiled_sums)


@fn("SUMXMY2", 2, 2, arrays="all", inner_array=True)
def f_sumxmy2(args):
    return _pairs(args, PAIRS["SUMXMY2"])


@fn("SUMX2MY2", 2, 2, arrays="all", inner_array=True)
def f_sumx2my2(args):
    return _pairs(args, PAIRS["SUMX2MY2"])


@fn("SUMX2PY2", 2, 2, arrays="all", inner_array=True)
def f_sumx2py2(args):
    return _pairs(args, PAIRS["SUMX2PY2"])


def _logical(args, how):
    args = [a for a in args if a is not None]
    K = max(a.shape[0] for a in args)
    acc = np.zeros(K, int) if how == "xor" else np.full(K, how == "and")
    seen = np.zeros(K, bool)
    errs = []
    for v in args:
        if v.ref:
            t = v.types()
            use = (t == NUM) | (t == BOOL)
            b = v.num != 0
            errs.append(first_error_per_cell(v))
        else:
            b, e = to_bool(v)
            use = np.ones(v.shape, bool)
            errs.append(first_error_per_cell(with_errors(V(np.zeros(v.shape)), e)))
        if how == "xor":
            acc = acc + np.where(use, b, False).reshape(v.shape[0], -1).sum(axis=1)
        else:
            bb = np.where(use, b, how == "and").reshape(v.shape[0], -1)
            red = bb.all(axis=1) if how == "and" else bb.any(axis=1)
            acc = (acc & red) if how == "and" else (acc | red)
        seen = seen | use.reshape(v.shape[0], -1).any(axis=1)
    err = first_error(*[None if e is None else np.broadcast_to(e, (K,)) for e in errs])
    err = first_error(err, np.where(~seen, VALUE, None))
    if how == "xor":
        acc = acc % 2 == 1
    return bool_result(np.asarray(acc).reshape(-1, 1, 1), err if err is None else np.asarray(err, object).reshape(-1, 1, 1))


@fn("AND", arrays="all")
def f_and(args):
    return _logical(args, "and")


@fn("OR", arrays="all")
def f_or(args):
    return _logical(args, "or")


@fn("XOR", arrays="all")
def f_xor(args):
    return _logical(args, "xor")


SUBTOTALS = {1: "AVERAGE", 2: "COUNT", 3: "COUNTA", 4: "MAX", 5: "MIN", 6: "PRODUCT", 7: "STDEV", 8: "STDEVP",
             9: "SUM", 10: "VAR", 11: "VARP"}


@fn("SUBTOTAL", 2, 255, mode="lazy")
def f_subtotal(nodes, ctx):
    """SUBTOTAL(function, refs...): cells holding SUBTOTAL are left out; 101-111 also leave out hidden rows."""
    from .registry import FUNCTIONS

    code, ce = to_number(ctx.eval(nodes[0]))
    codes = np.unique(code)
    if ce is not None or len(codes) != 1 or int(codes[0]) % 100 not in SUBTOTALS or int(codes[0]) > 111:
        return V.errors((ctx.k, 1, 1), VALUE)
    c = int(codes[0])
    eng = ctx.eng
    vals = []
    for node in nodes[1:]:
        boxes = ctx.boxes(node)
        if len({b for b in boxes}) != 1:
            raise_unsupported("SUBTOTAL over references that move with the row")
        s, r0, c0, r1, c1 = boxes[0]
        v = ctx.read(s, r0, c0, r1, c1)
        drop = np.zeros(v.shape[1:], bool)
        for r in range(r0, r1 + 1):
            for cc in range(c0, c1 + 1):
                i = eng.group_at(s, r, cc)
                if i >= 0 and "SUBTOTAL(" in eng.groups[i].formula.upper():
                    drop[r - r0, cc - c0] = True
            if c > 100 and r in eng.book.data[eng.sheets[s]].hidden_rows:
                drop[r - r0, :] = True
        if drop.any():
            typ = np.where(drop[None], BLANK, v.types())
            v = V(np.where(drop[None], 0.0, v.num), typ, np.where(drop[None], None, v.objs()), ref=True)
        vals.append(v)
    out = FUNCTIONS[SUBTOTALS[c % 100]].impl(vals)
    return out.broadcast((ctx.k, 1, 1)) if out.shape[0] == 1 else out


def raise_unsupported(what):
    from ..values import EngineError
    raise EngineError(f"{what} is not supported")


__all__ = ["cell_result", "numbers_of", "reduce_args", "values_per_cell", "bool_result", "first_error_per_cell",
           "DIV0", "NUMERR"]
