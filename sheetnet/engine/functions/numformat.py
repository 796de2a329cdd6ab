"""Excel number formats for TEXT(): digits (0 # ?), decimals, thousands, percent, scientific, literal
text, sections (positive;negative;zero;text) and dates and times (y m d h s AM/PM, [h]).

A format beyond these (fractions, conditions, locale codes) is refused with its text named, never
turned into a guess.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

from ..dates import shown, to_date
from ..values import EngineError

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_DATE_TOKEN = re.compile(r"(yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|AM/PM|am/pm|A/P|a/p|\[h+\]|\[m+\]"
                         r"|\[s+\]|\.0+)", re.I)


def _sections(fmt: str) -> list[str]:
    out, cur, quoted, i = [], "", False, 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and i + 1 < len(fmt) and not quoted:
            cur += fmt[i:i + 2]
            i += 2
            continue
        if ch == ";" and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    out.append(cur)
    return out


def _literal(part: str) -> tuple[str, list]:
    """(the format with literals replaced by \\x01, [the literals in order])."""
    lits, out, i = [], [], 0
    while i < len(part):
        ch = part[i]
        if ch == '"':
            j = part.find('"', i + 1)
            j = len(part) if j < 0 else j
            lits.append(part[i + 1:j])
            out.append("\x01")
            i = j + 1
        elif ch == "\\" and i + 1 < len(part):
            lits.append(part[i + 1])
            out.append("\x01")
            i += 2
        elif ch == "_" and i + 1 < len(part):  # a space the width of the next character
            lits.append(" ")
            out.append("\x01")
            i += 2
        elif ch == "*" and i + 1 < len(part):  # fill: nothing in a text
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out), lits


def format_number(value, fmt: str) -> str:
    if isinstance(value, str):
        secs = _sections(fmt)
        if len(secs) >= 4:
            f, lits = _literal(secs[3])
            return _put_literals(f.replace("@", value), lits)
        f, lits = _literal(fmt)
        return _put_literals(f.replace("@", value), lits) if "@" in fmt else value
    if fmt.strip().lower() in ("", "general"):
        from ..values import number_text
        return number_text(value)
    secs = _sections(fmt)
    part = secs[0]
    neg_sign = False
    if len(secs) >= 2 and value < 0:
        part, value = secs[1], -value
    elif len(secs) >= 3 and value == 0:
        part = secs[2]
    elif value < 0:
        neg_sign = True
        value = -value
    part = re.sub(r"\[(Red|Black|Blue|Green|White|Yellow|Cyan|Magenta|Color\d+)\]", "", part, flags=re.I)
    if re.search(r"\[[<>=$]", part) or re.search(r"[#0?]\s*/\s*[#0?\d]", re.sub(r'"[^"]*"', "", part)):
        raise EngineError(f"TEXT format {fmt!r} is not supported")
    f, lits = _literal(part)
    if _DATE_TOKEN.search(f) and re.search(r"[ymdhs]", f, re.I) and not re.fullmatch(r"[0#?,.%E+\-\x01 ]*", f):
        out = _date(value, f)
    else:
        out = _digits(value, f)
    return ("-" if neg_sign and re.search(r"[1-9]", out) else "") + _put_literals(out, lits)


def _put_literals(s: str, lits: list) -> str:
    it = iter(lits)
    return re.sub("\x01", lambda m: next(it, ""), s)


def _round(x: float, places: int) -> Decimal:
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _digits(value: float, f: str) -> str:
    pct = f.count("%")
    value = value * (100 ** pct)
    start = min((i for i in (f.find(c) for c in "0#?.") if i >= 0), default=-1)
    if start < 0:  # no digits at all: the literal text
        return f
    m = re.compile(r"([0#?,]*)(?:\.([0#?]*))?(?:([Ee])([+-])([0#]+))?").match(f, start)
    int_pat, dec_pat = m.group(1) or "", m.group(2) or ""
    sci = m.group(3)
    while int_pat.endswith(","):  # a trailing comma divides by 1,000
        int_pat = int_pat[:-1]
        value /= 1000.0
    thousands = "," in int_pat
    int_pat = int_pat.replace(",", "")
    places = len(dec_pat)
    exp_text = ""
    if sci:
        exp = 0
        if value != 0:
            exp = int(Decimal(repr(value)).adjusted()) - (max(len(int_pat), 1) - 1)
            mant = _round(value / 10 ** exp, places)
            if mant >= Decimal(10) ** max(len(int_pat), 1):
                exp += 1
        value = value / (10 ** exp) if value else 0.0
        digits = len(m.group(5))
        exp_text = m.group(3) + ("-" if exp < 0 else "+" if m.group(4) == "+" else "") + str(abs(exp)).zfill(digits)
    q = _round(value, places)
    whole, _, frac = f"{q:f}".partition(".")
    whole = whole.lstrip("-")
    need = int_pat.count("0")
    if whole == "0" and need == 0:
        whole = ""
    whole = whole.zfill(need) if need else whole
    if thousands and whole:
        whole = f"{int(whole):,}"
    if int_pat.count("?") and len(whole) < len(int_pat):
        whole = " " * (len(int_pat) - len(whole)) + whole
    frac = (frac + "0" * places)[:places]
    keep = len(dec_pat.rstrip("#?"))
    body = frac.rstrip("0")
    frac = body + frac[len(body):keep] if len(body) < keep else body
    frac = frac + " " * (len(dec_pat.rstrip("#")) - len(frac)) if "?" in dec_pat else frac
    num = whole + ("." + frac if "." in m.group(0) else "")
    return f[:start] + num + exp_text + f[m.end():]


def _date(value: float, f: str) -> str:
    d = to_date(value)
    if d is None:
        raise EngineError(f"TEXT: {value} is not a date Excel can show")
    year, month, day = shown(value)  # Excel's own: serial 0 is 1900-01-00, 60 is 1900-02-29
    weekday = (math.floor(value) + 5) % 7  # Monday 0, as Excel counts (serial 1 is a Sunday)
    ampm = bool(re.search(r"AM/PM|A/P", f, re.I))
    tokens = _DATE_TOKEN.split(f)
    out = []
    for i, tok in enumerate(tokens):
        if i % 2 == 0:
            out.append(tok)
            continue
        low = tok.lower()
        prev = next((t.lower() for t in reversed(tokens[1:i:2]) if t), "")
        nxt = next((t.lower() for t in tokens[i + 1::2] if t), "")
        if low in ("yyyy",):
            out.append(f"{year:04d}")
        elif low == "yy":
            out.append(f"{year % 100:02d}")
        elif low in ("m", "mm") and (prev.startswith("h") or nxt.startswith("s") or prev.startswith("[h")):
            out.append(f"{d.minute:02d}" if low == "mm" else str(d.minute))
        elif low == "m":
            out.append(str(month))
        elif low == "mm":
            out.append(f"{month:02d}")
        elif low == "mmm":
            out.append(MONTHS[month - 1][:3])
        elif low == "mmmm":
            out.append(MONTHS[month - 1])
        elif low == "mmmmm":
            out.append(MONTHS[month - 1][0])
        elif low == "d":
            out.append(str(day))
        elif low == "dd":
            out.append(f"{day:02d}")
        elif low == "ddd":
            out.append(DAYS[weekday][:3])
        elif low == "dddd":
            out.append(DAYS[weekday])
        elif low in ("h", "hh"):
            h = d.hour % 12 or 12 if ampm else d.hour
            out.append(f"{h:02d}" if low == "hh" else str(h))
        elif low in ("s", "ss"):
            out.append(f"{d.second:02d}" if low == "ss" else str(d.second))
        elif low.startswith("[h"):
            out.append(str(int(value * 24)))
        elif low.startswith("[m"):
            out.append(str(int(value * 1440)))
        elif low.startswith("[s"):
            out.append(str(int(round(value * 86400))))
        elif low in ("am/pm", "a/p"):
            pm = d.hour >= 12
            t = ("PM" if pm else "AM") if low == "am/pm" else ("P" if pm else "A")
            out.append(t if tok[0].isupper() else t.lower())
        elif low.startswith("."):
            frac = value * 86400 - int(value * 86400)
            out.append("." + f"{frac:.{len(low) - 1}f}"[2:])
        else:
            out.append(tok)
    return "".join(out)
