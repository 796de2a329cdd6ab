"""Choices and questions: IF, IFS, SWITCH, IFERROR, IFNA, NOT, TRUE, FALSE, NA, the IS functions, N."""

from __future__ import annotations

import numpy as np

from ..compare import compare
from ..values import BLANK, BOOL, ERR, NUM, TEXT, VALUE, V, ErrorCode, bool_result, to_bool, to_number, where, with_errors
from .registry import fn

ZERO = V(np.zeros((1, 1, 1)))


def _given(args, i, absent):
    """Argument i: `absent` when not given at all, 0 when given empty (IF(1,,2) is 0, as in Excel)."""
    if len(args) <= i:
        return absent
    return ZERO if args[i] is None else args[i]


@fn("IF", 1, 3, keep_omitted=True)
def f_if(args):
    cond = args[0] if args[0] is not None else V.scalar(False)
    a = _given(args, 1, V.scalar(True))
    b = _given(args, 2, V.scalar(False))
    c, err = to_bool(cond)
    shape = np.broadcast_shapes(c.shape, a.shape, b.shape)
    out = where(np.broadcast_to(c, shape), a.broadcast(shape), b.broadcast(shape))
    return with_errors(out, None if err is None else np.broadcast_to(err, shape))


def _replace_errors(v: V, alt: V, which) -> V:
    if v.typ is None:
        return v
    hit = which(v)
    if not hit.any():
        return v
    shape = np.broadcast_shapes(v.shape, alt.shape)
    return where(np.broadcast_to(~hit, shape), v.broadcast(shape), alt.broadcast(shape))


@fn("IFERROR", 2, 2, keep_omitted=True)
def f_iferror(args):
    v = args[0] if args[0] is not None else ZERO
    return _replace_errors(v, _given(args, 1, ZERO), lambda v: v.typ == ERR)


@fn("IFNA", 2, 2, keep_omitted=True)
def f_ifna(args):
    v = args[0] if args[0] is not None else ZERO
    return _replace_errors(v, _given(args, 1, ZERO), lambda v: (v.typ == ERR) & (v.objs() == "#N/A"))


@fn("IFS", 2, 254, keep_omitted=True)
def f_ifs(args):
    if len(args) % 2:
        return V.errors((1, 1, 1), "#N/A")
    shape = np.broadcast_shapes(*[(a if a is not None else ZERO).shape for a in args])
    out = V.errors(shape, "#N/A")
    decided = np.zeros(shape, bool)
    for i in range(0, len(args), 2):
        c, err = to_bool(args[i] if args[i] is not None else V.scalar(False))
        c = np.broadcast_to(c, shape)
        val = (args[i + 1] if args[i + 1] is not None else ZERO).broadcast(shape)
        if err is not None:
            bad = np.broadcast_to(err != None, shape) & ~decided  # noqa: E711
            out = where(bad, with_errors(V(np.zeros(shape)), np.broadcast_to(err, shape)), out)
            decided = decided | bad
        take = c & ~decided
        out = where(take, val, out)
        decided = decided | take
    return out


@fn("SWITCH", 3, 254, keep_omitted=True)
def f_switch(args):

    expr = args[0] if args[0] is not None else ZERO
    rest = args[1:]
    default = rest[-1] if len(rest) % 2 else None
    pairs = [(rest[i], rest[i + 1]) for i in range(0, len(rest) - (len(rest) % 2), 2)]
    shape = np.broadcast_shapes(expr.shape, *[(x if x is not None else ZERO).shape for p in pairs for x in p])
    out = (default if default is not None else V.errors((1, 1, 1), "#N/A")).broadcast(shape)
    decided = np.zeros(shape, bool)
    if expr.typ is not None and (expr.typ == ERR).any():
        return expr.broadcast(shape)
    for value, result in pairs:
        hit = compare("=", expr, value if value is not None else ZERO)
        h = np.broadcast_to((hit.num != 0) & (hit.types() != ERR), shape) & ~decided
        out = where(h, (result if result is not None else ZERO).broadcast(shape), out)
        decided = decided | h
    return out


@fn("NOT", 1, 1)
def f_not(args):
    b, err = to_bool(args[0] if args[0] is not None else V.scalar(False))
    return bool_result(~b, err)


@fn("TRUE", 0, 0)
def f_true(args):
    return V.scalar(True)


@fn("FALSE", 0, 0)
def f_false(args):
    return V.scalar(False)


@fn("NA", 0, 0)
def f_na(args):
    return V.scalar(ErrorCode("#N/A"))


def _is(name, pred):
    @fn(name, 1, 1)
    def impl(args):
        v = args[0] if args[0] is not None else V.scalar(None)
        return bool_result(pred(v))
    return impl


_is("ISERROR", lambda v: v.types() == ERR)
_is("ISERR", lambda v: (v.types() == ERR) & (v.objs() != "#N/A"))
_is("ISNA", lambda v: (v.types() == ERR) & (v.objs() == "#N/A"))
_is("ISNUMBER", lambda v: v.types() == NUM)
_is("ISTEXT", lambda v: v.types() == TEXT)
_is("ISNONTEXT", lambda v: v.types() != TEXT)
_is("ISLOGICAL", lambda v: v.types() == BOOL)
_is("ISBLANK", lambda v: v.types() == BLANK)


def _parity(name, odd):
    @fn(name, 1, 1)
    def impl(args):
        v = args[0] if args[0] is not None else ZERO
        if v.typ is not None and ((v.typ == BOOL) | (v.typ == ERR)).any():
            bad = v.typ == BOOL
            v = with_errors(v, np.where(bad, VALUE, None)) if bad.any() else v
        n, err = to_number(v)
        return bool_result((np.trunc(n) % 2 != 0) == odd, err)
    return impl


_parity("ISEVEN", False)
_parity("ISODD", True)


@fn("ISREF", 1, 1, mode="lazy")
def f_isref(nodes, ctx):
    return bool_result(np.full((1, 1, 1), nodes[0][0] == "ref"))


@fn("N", 1, 1)
def f_n(args):
    v = (args[0] if args[0] is not None else ZERO).top_left()
    t = v.types()
    num = np.where(t == NUM, v.num, np.where(t == BOOL, v.num, 0.0))
    return with_errors(V(num), np.where(t == ERR, v.objs(), None) if (t == ERR).any() else None)
