"""A cell's value from its XML text (unescaped, typed, looked up), and the check every part passes first."""

from __future__ import annotations

import re
from xml.parsers import expat

from ..errors import SheetnetError
from .dates import iso_to_serial
from .values import ErrorCode

_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def unescape(raw: bytes) -> str:
    s = raw.decode("utf-8")
    if "&" not in s:
        return s
    return _ENTITY.sub(lambda m: _NAMED.get(m.group(1)) or chr(int(m.group(1)[2:], 16) if m.group(1)[1] == "x"
                                                                   else int(m.group(1)[1:])), s)


# Excel's error values, the newer ones included: any other in a file is refused, not carried
EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
                "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!"}


def typed(t: str, text: str | None, where=None):
    """A cell value from its type and its (unescaped) <v> text: t = str, b, e or d.  where(): the cell,
    for the message when an error value is not one of Excel's."""
    if t == "str":
        return text if text is not None else ""
    if t == "b":
        return text in ("1", "true")
    if t == "e":
        if text and text.upper() not in EXCEL_ERRORS:
            raise SheetnetError(f"{where() if where else 'a cell'}: holds the error value {text[:40]!r}, which is "
                                f"not one of Excel's; refused")
        return ErrorCode(text.upper() if text else "#N/A")
    if t == "d":
        return iso_to_serial(text) if text else None
    if t in (None, "n"):
        return None if text is None else float(text)
    return None


def shared(strings: list, raw) -> str:
    """Shared string number `raw` (IndexError when the workbook has no such string, a negative one included)."""
    k = int(raw)
    if k < 0:
        raise IndexError(k)
    return strings[k]


def check_xml(data: bytes, where: str):
    """Well-formed XML with no DTD or entity declarations, or a one-line refusal."""
    p = expat.ParserCreate()

    def refuse(*a):
        raise SheetnetError(f"{where}: declares a DTD or entities; refused")
    p.StartDoctypeDeclHandler = refuse
    p.EntityDeclHandler = refuse
    try:
        p.Parse(data, True)
    except expat.ExpatError as e:
        raise SheetnetError(f"{where}: malformed XML ({expat.ErrorString(e.code)}, line {e.lineno})") from None
