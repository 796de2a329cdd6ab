"""Text: CONCAT, CONCATENATE, TEXTJOIN, TEXT (number formats), LEN, UPPER, LOWER, TRIM, LEFT, RIGHT, MID,
FIND, SEARCH, SUBSTITUTE, REPT, EXACT, VALUE.  Element by element; numbers become text as a cell in
General format shows them; errors propagate."""

from __future__ import annotations

import re

import numpy as np

from ..dates import text_to_serial
from ..values import BLANK, BOOL, ERR, NUM, TEXT, VALUE, V, ErrorCode, number_text, parse_number, to_number
from .conditional import wildcard
from .numformat import format_number
from .registry import fn


def text_of(t, n, o):
    """One value as text (None for an error: the caller propagates it)."""
    if t == NUM:
        return number_text(n)
    if t == BOOL:
        return "TRUE" if n else "FALSE"
    if t == TEXT:
        return o
    if t == BLANK:
        return ""
    return None


def elementwise(args, f, out_text=True):
    """Apply f(*python values) to every element of the (broadcast) arguments; errors propagate."""
    args = [a if a is not None else V.scalar(None) for a in args]
    shape = np.broadcast_shapes(*[a.shape for a in args])
    bs = [a.broadcast(shape) for a in args]
    typ = [b.types() for b in bs]
    num = [b.num for b in bs]
    obj = [b.objs() for b in bs]
    out = np.empty(shape, object)
    for idx in np.ndindex(shape):
        vals, err = [], None
        for i in range(len(bs)):
            t = typ[i][idx]
            if t == ERR:
                err = err or ErrorCode(obj[i][idx])
                break
            vals.append((t, num[i][idx], obj[i][idx]))
        if err is not None:
            out[idx] = err
            continue
        try:
            out[idx] = f(*vals)
        except CellError as e:
            out[idx] = ErrorCode(e.code)
    return from_python(out)


class CellError(Exception):
    def __init__(self, code):
        self.code = code


def from_python(out: np.ndarray) -> V:
    """An object array of Python values (str, float, bool, ErrorCode, None) as a value block."""
    flat = out.ravel()
    typ = np.array([ERR if isinstance(x, ErrorCode) else BOOL if isinstance(x, bool) else TEXT if isinstance(x, str)
                    else BLANK if x is None else NUM for x in flat], np.uint8).reshape(out.shape)
    num = np.array([float(x) if isinstance(x, (bool, int, float)) and not isinstance(x, ErrorCode) else np.nan
                    for x in flat]).reshape(out.shape)
    obj = np.array([str(x) if isinstance(x, str) else None for x in flat], object).reshape(out.shape)
    if (typ == NUM).all():
        return V(num)
    return V(num, typ, obj)


def as_text(v):
    s = text_of(*v)
    if s is None:
        raise CellError(VALUE)
    return s


def as_number(v, default=None):
    t, n, o = v
    if t == BLANK and default is not None:
        return default
    if t in (NUM, BOOL, BLANK):
        return float(n)
    x = parse_number(o) if t == TEXT else None
    if x is None:
        raise CellError(VALUE)
    return x


def _flat_texts(v: V, k: int):
    kk = k if v.shape[0] > 1 else 0
    out = []
    for t, n, o in zip(v.types()[kk].ravel(), v.num[kk].ravel(), v.objs()[kk].ravel()):
        if t == ERR:
            raise CellError(o)
        out.append(text_of(t, n, o))
    return out


def _joined(args, f):
    K = max(a.shape[0] for a in args if a is not None)
    out = np.empty((K, 1, 1), object)
    for k in range(K):
        try:
            out[k, 0, 0] = f(k)
        except CellError as e:
            out[k, 0, 0] = ErrorCode(e.code)
    return from_python(out)


@fn("CONCAT", 1, 255, arrays="all")
def f_concat(args):
    return _joined(args, lambda k: "".join(s for a in args if a is not None for s in _flat_texts(a, k)))


@fn("CONCATENATE", 1, 255)
def f_concatenate(args):
    return elementwise(args, lambda *vs: "".join(as_text(v) for v in vs))


@fn("TEXTJOIN", 3, 255, arrays=set(range(2, 255)), keep_omitted=True)
def f_textjoin(args):
    def one(k):
        delim = _flat_texts(args[0], k)[0] if args[0] is not None else ""
        skip = args[1] is not None and bool(args[1].num[min(k, args[1].shape[0] - 1)].ravel()[0])
        parts = [s for a in args[2:] if a is not None for s in _flat_texts(a, k)]
        return delim.join(p for p in parts if not (skip and p == ""))
    return _joined(args, one)


@fn("LEN", 1, 1)
def f_len(args):
    return elementwise(args, lambda v: float(len(as_text(v))))


@fn("UPPER", 1, 1)
def f_upper(args):
    return elementwise(args, lambda v: as_text(v).upper())


@fn("LOWER", 1, 1)
def f_lower(args):
    return elementwise(args, lambda v: as_text(v).lower())


@fn("TRIM", 1, 1)
def f_trim(args):
    return elementwise(args, lambda v: re.sub(" +", " ", as_text(v).strip(" ")))


def _count(v, default):
    n = as_number(v) if v is not None else default  # LEFT(s,) takes 0 characters, LEFT(s) one
    if n < 0:
        raise CellError(VALUE)
    return int(n)


@fn("LEFT", 1, 2)
def f_left(args):
    args = list(args) + [None] * (2 - len(args))
    n = args[1] if args[1] is not None else V.scalar(1.0)
    return elementwise([args[0], n], lambda s, k: as_text(s)[:_count(k, 1)])


@fn("RIGHT", 1, 2)
def f_right(args):
    args = list(args) + [None] * (2 - len(args))
    n = args[1] if args[1] is not None else V.scalar(1.0)

    def f(s, k):
        c = _count(k, 1)
        return as_text(s)[len(as_text(s)) - c:] if c else ""
    return elementwise([args[0], n], f)


@fn("MID", 3, 3)
def f_mid(args):
    def f(s, a, b):
        start, cnt = as_number(a), as_number(b)
        if start < 1 or cnt < 0:
            raise CellError(VALUE)
        return as_text(s)[int(start) - 1:int(start) - 1 + int(cnt)]
    return elementwise(args, f)


def _find(case: bool):
    """FIND (case-sensitive, literal) and SEARCH (case-insensitive, with * ? ~ wildcards)."""
    def f(needle, hay, start=None):
        n, h = as_text(needle), as_text(hay)
        st = int(as_number(start)) if start is not None else 1
        if st < 1 or st > len(h) + 1:
            raise CellError(VALUE)
        if case:
            i = h.find(n, st - 1)
        else:
            pat = wildcard(n)
            i = next((j for j in range(st - 1, len(h) + 1) if pat.match(h, j)), -1)
        if i < 0:
            raise CellError(VALUE)
        return float(i + 1)
    return f


@fn("FIND", 2, 3)
def f_find(args):
    return elementwise(args, _find(True))


@fn("SEARCH", 2, 3)
def f_search(args):
    return elementwise(args, _find(False))


@fn("SUBSTITUTE", 3, 4)
def f_substitute(args):
    def f(s, old, new, which=None):
        s, old, new = as_text(s), as_text(old), as_text(new)
        if not old:
            return s
        if which is None:
            return s.replace(old, new)
        n = int(as_number(which))
        if n < 1:
            raise CellError(VALUE)
        i = -1
        for _ in range(n):
            i = s.find(old, i + 1)
            if i < 0:
                return s
        return s[:i] + new + s[i + len(old):]
    return elementwise(args, f)


@fn("REPT", 2, 2)
def f_rept(args):
    def f(s, n):
        c = as_number(n)
        if c < 0 or len(as_text(s)) * c > 32767:
            raise CellError(VALUE)
        return as_text(s) * int(c)
    return elementwise(args, f)


@fn("EXACT", 2, 2)
def f_exact(args):
    return elementwise(args, lambda a, b: as_text(a) == as_text(b))


@fn("VALUE", 1, 1)
def f_value(args):
    def f(v):
        t, n, o = v
        if t in (NUM, BLANK):
            return float(n)
        if t == BOOL:
            raise CellError(VALUE)
        x = parse_number(o)
        if x is None:
            x = text_to_serial(o)
        if x is None:
            raise CellError(VALUE)
        return x
    return elementwise(args, f)


@fn("TEXT", 2, 2)
def f_text(args):
    def f(v, fmt):
        t, n, o = v
        fmt_s = as_text(fmt)
        if fmt_s == "":
            return ""
        if t == TEXT:
            x = parse_number(o)
            if x is None:
                return format_number(o, fmt_s)
            n = x
        elif t == BLANK:
            n = 0.0
        return format_number(float(n), fmt_s)
    return elementwise(args, f)


@fn("T", 1, 1)
def f_t(args):
    return elementwise(args, lambda v: v[2] if v[0] == TEXT else "")


__all__ = ["elementwise", "from_python", "text_of", "to_number"]
