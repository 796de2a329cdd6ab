"""More text: characters and their codes (CHAR, CODE in Windows-1252 as Excel has them; UNICHAR,
UNICODE), CLEAN, PROPER, REPLACE, FIXED, DOLLAR, NUMBERVALUE, TEXTBEFORE, TEXTAFTER, TEXTSPLIT,
HYPERLINK (its value), VALUETOTEXT, ARRAYTOTEXT and the REGEX functions (Python's re for PCRE2)."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy as np

from ..values import BLANK, ERR, NUM, TEXT, VALUE, ErrorCode, V, number_text, parse_number
from .registry import fn
from .dynamic import per_cell
from .text import CellError, as_number, as_text, elementwise, from_python, text_of

NA = "#N/A"


def _char(v):
    n = math.trunc(as_number(v))
    if not 1 <= n <= 255:
        raise CellError(VALUE)
    return bytes([n]).decode("cp1252", errors="replace") if 128 <= n <= 159 else chr(n)


def _code(v):
    s = as_text(v)
    if not s:
        raise CellError(VALUE)
    ch = s[0]
    if ord(ch) < 128 or 160 <= ord(ch) <= 255:
        return float(ord(ch))
    try:
        return float(ch.encode("cp1252")[0])
    except UnicodeEncodeError:
        return 63.0  # "?", as Excel shows a character its code page lacks


def _unichar(v):
    n = math.trunc(as_number(v))
    if not 1 <= n <= 0x10FFFF or 0xD800 <= n <= 0xDFFF:
        raise CellError(VALUE)
    return chr(n)


def _unicode(v):
    s = as_text(v)
    if not s:
        raise CellError(VALUE)
    return float(ord(s[0]))


def _proper(v):
    out, prev = [], False
    for ch in as_text(v):
        out.append(ch.upper() if not prev else ch.lower())
        prev = ch.isalpha()
    return "".join(out)


def _replace(old, start, count, new):
    s, a, n = as_text(old), math.trunc(as_number(start)), math.trunc(as_number(count))
    if a < 1 or n < 0:
        raise CellError(VALUE)
    return s[:a - 1] + as_text(new) + s[a - 1 + n:]


def _fixed(v, decimals=None, no_commas=None):
    x = as_number(v)
    d = math.trunc(as_number(decimals)) if decimals is not None else 2
    if d > 127:
        raise CellError(VALUE)
    with localcontext() as ctx:  # up to 127 decimals, as Excel allows: beyond Decimal's default 28 digits
        ctx.prec = 500
        q = Decimal(repr(x))
        q = q.quantize(Decimal(1).scaleb(-d), ROUND_HALF_UP) if d >= 0 else \
            q.scaleb(d).quantize(Decimal(1), ROUND_HALF_UP).scaleb(-d)
    commas = not (no_commas is not None and as_number(no_commas) != 0)
    text = format(abs(q), f"{',' if commas else ''}.{max(d, 0)}f")
    return ("-" if q < 0 else "") + text


def _numbervalue(v, dec=None, group=None):
    s = as_text(v).replace(" ", "")
    d = as_text(dec)[:1] if dec is not None else "."
    g = as_text(group)[:1] if group is not None else ("," if d != "," else "")
    if d and g and d == g:
        raise CellError(VALUE)
    if not s:
        return 0.0
    if g:
        head, _, tail = s.partition(d) if d else (s, "", "")
        if g in tail:
            raise CellError(VALUE)
        s = head.replace(g, "") + (("." + tail) if _ else "")
    elif d and d != ".":
        s = s.replace(d, ".")
    pct = len(s) - len(s.rstrip("%"))
    x = parse_number(s.rstrip("%"))
    if x is None:
        raise CellError(VALUE)
    return x / 100 ** pct


def _find_nth(s, sep, n, case):
    hay, needle = (s, sep) if case else (s.lower(), sep.lower())
    if n > 0:
        at = -len(needle)
        for _ in range(n):
            at = hay.find(needle, at + max(len(needle), 1) if at >= 0 else 0)
            if at < 0:
                return None
        return at
    at = len(hay) + len(needle)
    for _ in range(-n):
        at = hay.rfind(needle, 0, max(at - len(needle), 0) if at <= len(hay) else len(hay))
        if at < 0:
            return None
    return at


def _text_around(after):
    def f(text, delim, instance=None, match_mode=None, match_end=None, if_not_found=None):
        s, sep = as_text(text), as_text(delim)
        n = math.trunc(as_number(instance)) if instance is not None else 1
        case = not (match_mode is not None and as_number(match_mode) != 0)
        if n == 0 or abs(n) > len(s) + 1:
            raise CellError(VALUE)
        at = _find_nth(s, sep, n, case)
        if at is None:
            if match_end is not None and as_number(match_end) != 0:
                at = len(s) if n > 0 else 0
                return s[at:] if after else s[:at]
            if if_not_found is not None:
                return if_not_found[2] if if_not_found[0] == TEXT else number_text(if_not_found[1])
            raise CellError(NA)
        return s[at + len(sep):] if after else s[:at]
    return f


fn("CHAR", 1, 1)(lambda args: elementwise(args, _char))
fn("CODE", 1, 1)(lambda args: elementwise(args, _code))
fn("UNICHAR", 1, 1)(lambda args: elementwise(args, _unichar))
fn("UNICODE", 1, 1)(lambda args: elementwise(args, _unicode))
fn("CLEAN", 1, 1)(lambda args: elementwise(args, lambda v: "".join(ch for ch in as_text(v) if ord(ch) >= 32)))
fn("PROPER", 1, 1)(lambda args: elementwise(args, _proper))
fn("REPLACE", 4, 4)(lambda args: elementwise(args, _replace))
fn("FIXED", 1, 3)(lambda args: elementwise(args, _fixed))
fn("NUMBERVALUE", 1, 3)(lambda args: elementwise(args, _numbervalue))
fn("TEXTBEFORE", 2, 6)(lambda args: elementwise(args, _text_around(False)))
fn("TEXTAFTER", 2, 6)(lambda args: elementwise(args, _text_around(True)))


# ---- links, money, values as text ------------------------------------------------------------------

def _hyperlink(link, friendly=None):
    if friendly is not None and friendly[0] != BLANK:
        return friendly[2] if friendly[0] == TEXT else (friendly[1] if friendly[0] == NUM else as_text(friendly))
    return as_text(link)


def _dollar(v, decimals=None):
    text = _fixed(v, decimals)
    neg = text.startswith("-")
    body = "$" + text.lstrip("-")
    return f"({body})" if neg else body  # Excel's en-US currency format: negatives in brackets


def _value_text(t, n, o, strict):
    if t == TEXT:
        return '"' + o.replace('"', '""') + '"' if strict else o
    if t == ERR:
        return o
    return text_of(t, n, o)


def _valuetotext(v, fmt=None):
    strict = fmt is not None and as_number(fmt) != 0
    return _value_text(*v, strict)


fn("HYPERLINK", 1, 2)(lambda args: elementwise(args, _hyperlink))
fn("DOLLAR", 1, 2)(lambda args: elementwise(args, _dollar))
fn("VALUETOTEXT", 1, 2)(lambda args: _per_cell_values(args, _valuetotext))


def _per_cell_values(args, f):
    """elementwise, but errors reach f as values (VALUETOTEXT shows them)."""
    v = args[0]
    rest = list(args[1:])
    out = np.empty(v.shape, object)
    t, n, o = v.types(), v.num, v.objs()
    for idx in np.ndindex(v.shape):
        extra = [(a.types().ravel()[0], a.num.ravel()[0], a.objs().ravel()[0]) for a in rest if a is not None]
        try:
            out[idx] = f((t[idx], n[idx], o[idx]), *extra)
        except CellError as e:
            out[idx] = ErrorCode(e.code)
    return from_python(out)


@fn("ARRAYTOTEXT", 1, 2, arrays={0})
def f_arraytotext(args):
    v = args[0]
    strict = len(args) > 1 and args[1] is not None and bool(args[1].num.ravel()[0])
    out = np.empty((v.shape[0], 1, 1), object)
    t, n, o = v.types(), v.num, v.objs()
    for k in range(v.shape[0]):
        rows = [[_value_text(t[k, i, j], n[k, i, j], o[k, i, j], strict) for j in range(v.shape[2])]
                for i in range(v.shape[1])]
        out[k, 0, 0] = "{" + ";".join(",".join(r) for r in rows) + "}" if strict else \
            ", ".join(x for r in rows for x in r)
    return from_python(out)


# ---- TEXTSPLIT and regular expressions ------------------------------------------------------------

def _texts_of(v: V | None, k: int) -> list:
    if v is None:
        return []
    kk = k if v.shape[0] > 1 else 0
    out = []
    for t, n, o in zip(v.types()[kk].ravel(), v.num[kk].ravel(), v.objs()[kk].ravel()):
        if t == ERR:
            raise CellError(o)
        out.append(text_of(t, n, o) or "")
    return out


def _one(v: V | None, k: int, default=None):
    if v is None:
        return default
    kk = k if v.shape[0] > 1 else 0
    t, n, o = v.types()[kk].ravel()[0], v.num[kk].ravel()[0], v.objs()[kk].ravel()[0]
    if t == ERR:
        raise CellError(o)
    return t, n, o


def _grid(rows) -> V:
    out = np.empty((1, len(rows), len(rows[0])), object)
    for i, r in enumerate(rows):
        out[0, i, :] = r
    return from_python(out)


@fn("TEXTSPLIT", 2, 6, arrays={1, 2}, keep_omitted=True)
def f_textsplit(args):
    args = list(args) + [None] * (6 - len(args))

    def one(k):
        text = as_text(_one(args[0], k))
        cols = [d for d in _texts_of(args[1], k) if d]
        rows_d = [d for d in _texts_of(args[2], k) if d]
        ignore = args[3] is not None and as_number(_one(args[3], k)) != 0
        flags = re.I if args[4] is not None and as_number(_one(args[4], k)) != 0 else 0
        pad = _one(args[5], k) if args[5] is not None else (ERR, np.nan, NA)
        if not cols and not rows_d:
            raise CellError(VALUE)

        def split(s, delims):
            if not delims:
                return [s]
            parts = re.split("|".join(re.escape(d) for d in sorted(delims, key=len, reverse=True)), s, flags=flags)
            return [p for p in parts if p] if ignore else parts
        lines = [split(line, cols) for line in split(text, rows_d)] or [[""]]
        width = max(len(line) for line in lines)
        fill = ErrorCode(pad[2]) if pad[0] == ERR else text_of(*pad)
        return _grid([line + [fill] * (width - len(line)) for line in lines])
    return per_cell(args, one)


def _pattern(p: str, case) -> re.Pattern:
    try:
        return re.compile(p, 0 if case is None or as_number(case) == 0 else re.I)
    except re.error:
        raise CellError(VALUE) from None


@fn("REGEXTEST", 2, 3)
def f_regextest(args):
    return elementwise(args, lambda t, p, c=None: bool(_pattern(as_text(p), c).search(as_text(t))))


@fn("REGEXEXTRACT", 2, 4, keep_omitted=True)
def f_regexextract(args):
    args = list(args) + [None] * (4 - len(args))

    def one(k):
        text, pat = as_text(_one(args[0], k)), as_text(_one(args[1], k))
        mode = int(as_number(_one(args[2], k))) if args[2] is not None else 0
        rx = _pattern(pat, _one(args[3], k) if args[3] is not None else None)
        if mode == 0:
            m = rx.search(text)
            if not m:
                raise CellError(NA)
            return from_python(np.array([[[m.group(0)]]], object))
        if mode == 1:
            found = [m.group(0) for m in rx.finditer(text)]
            if not found:
                raise CellError(NA)
            return _grid([[x] for x in found])
        if mode == 2:
            m = rx.search(text)
            if not m:
                raise CellError(NA)
            groups = [g if g is not None else "" for g in m.groups()] or [m.group(0)]
            return _grid([groups])
        raise CellError(VALUE)
    return per_cell(args, one)


def _regexreplace(t, p, r, occurrence=None, case=None):
    text, rx = as_text(t), _pattern(as_text(p), case)
    repl = re.sub(r"\$(\d+)", r"\\g<\1>", as_text(r).replace("\\", "\\\\"))
    n = int(as_number(occurrence)) if occurrence is not None else 0
    if n == 0:
        return rx.sub(repl, text)
    spans = list(rx.finditer(text))
    if not spans or abs(n) > len(spans):
        return text
    m = spans[n - 1] if n > 0 else spans[n]
    return text[:m.start()] + m.expand(repl) + text[m.end():]


fn("REGEXREPLACE", 3, 5)(lambda args: elementwise(args, _regexreplace))
