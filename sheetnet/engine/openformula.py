"""OpenFormula (a LibreOffice .ods file's table:formula) to the Excel formula text the parser reads.

    of:=SUM([.A1:.B2];['My sheet'.C3])*2   ->   SUM(A1:B2,'My sheet'!C3)*2
    of:=COM.MICROSOFT.IFS(...)             ->   IFS(...)
    {1;2|3;4}                              ->   {1,2;3,4}

References in brackets, ; between arguments, | between array rows, the COM.MICROSOFT. and
ORG.OPENOFFICE. prefixes and the few names ODF spells differently.  Unions (~), intersections (!)
and references to other documents are refused with the cell named.
"""

from __future__ import annotations

import re

from .values import EngineError

NAMES = {"FORMULA": "FORMULATEXT", "CEILING.XCL": "CEILING", "FLOOR.XCL": "FLOOR", "LEGACY.NORMSDIST": "NORMSDIST",
         "LEGACY.NORMSINV": "NORMSINV", "ROUNDSIG": "ROUND"}
PREFIXES = ("COM.MICROSOFT.", "ORG.OPENOFFICE.", "ORG.LIBREOFFICE.", "_XLFN.")
_REF = re.compile(r"\[([^\]]*)\]")
_PART = re.compile(r"^(\$?)(?:('(?:[^']|'')+'|[^.'\[\]]*))?\.(.+)$")


def _part(p: str, where: str) -> tuple[str | None, str]:
    """'$Sheet1.$A$1' -> ('Sheet1', '$A$1'); '.A1' -> (None, 'A1')."""
    m = _PART.match(p.strip())
    if not m:
        raise EngineError(f"{where}: cannot read the reference [{p}]")
    sheet = m.group(2) or None
    if sheet and sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, m.group(3)


def _quote(sheet: str) -> str:
    return sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else "'" + sheet.replace("'", "''") + "'"


def reference(inner: str, where: str) -> str:
    """The inside of [...] as an Excel reference."""
    if "#" in inner and "'" in inner.split("#")[0] or inner.startswith("'file:") or "://" in inner:
        raise EngineError(f"{where}: reference to another document ([{inner}]) is not supported; refused")
    if inner.strip().upper() in ("#REF!", ".#REF!"):
        return "#REF!"
    a, sep, b = inner.partition(":")
    s1, r1 = _part(a, where)
    prefix = f"{_quote(s1)}!" if s1 else ""
    if not sep:
        return prefix + r1
    s2, r2 = _part(b, where)
    if s2 is not None and s2 != s1:
        raise EngineError(f"{where}: a range across sheets ([{inner}]) is not supported; refused")
    return f"{prefix}{r1}:{r2}"


def translate(formula: str, where: str) -> str:
    """An ODF table:formula (with its of: or msoxl: prefix) as Excel formula text without "="."""
    text = formula
    for pre in ("of:", "msoxl:", "oooc:"):
        if text.lower().startswith(pre):
            text = text[len(pre):]
            break
    text = text.lstrip("=")
    out, i, depth_brace = [], 0, 0
    while i < len(text):
        ch = text[i]
        if ch == '"':  # a string: copied as it is
            j = i + 1
            while j < len(text):
                if text[j] == '"':
                    if j + 1 < len(text) and text[j + 1] == '"':
                        j += 2
                        continue
                    break
                j += 1
            out.append(text[i:j + 1])
            i = j + 1
            continue
        if ch == "[":
            j = text.find("]", i)
            if j < 0:
                raise EngineError(f"{where}: cannot parse ={text[:80]}")
            out.append(reference(text[i + 1:j], where))
            i = j + 1
            continue
        if ch == "{":
            depth_brace += 1
        elif ch == "}":
            depth_brace -= 1
        elif ch == ";":  # between arguments, and between an array's columns
            out.append(",")
            i += 1
            continue
        elif ch == "|" and depth_brace:
            out.append(";")
            i += 1
            continue
        elif ch == "~":
            raise EngineError(f"{where}: the union operator (~) is not supported")
        elif ch == "!" and not (out and out[-1].endswith(("'", "#REF"))):
            raise EngineError(f"{where}: the intersection operator (!) is not supported")
        out.append(ch)
        i += 1
    return _names("".join(out))


_FUNC = re.compile(r"(?<![A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_.]*)\(")
_STRING = re.compile(r'"(?:[^"]|"")*"')


def _names(text: str) -> str:
    """Function names as Excel spells them (outside string literals)."""
    def fix(m):
        up = m.group(1).upper()
        for p in PREFIXES:
            if up.startswith(p):
                up = up[len(p):]
        return NAMES.get(up, up) + "("
    out, last = [], 0
    for m in _STRING.finditer(text):
        out.append(_FUNC.sub(fix, text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_FUNC.sub(fix, text[last:]))
    return "".join(out)


def address(addr: str, where: str) -> str:
    """A table:cell-range-address ($Sheet1.$A$1:.$B$2) as an Excel reference."""
    return reference(addr, where)
