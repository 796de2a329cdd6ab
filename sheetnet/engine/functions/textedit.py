"""More text: characters and their codes (CHAR, CODE in Windows-1252 as Excel has them; UNICHAR,
UNICODE), CLEAN, PROPER, REPLACE, FIXED, NUMBERVALUE, TEXTBEFORE and TEXTAFTER."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from ..values import TEXT, VALUE, number_text, parse_number
from .registry import fn
from .text import CellError, as_number, as_text, elementwise

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
