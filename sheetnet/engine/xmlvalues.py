"""A cell's value from its XML text (unescaped, typed, looked up), and the check every part passes."""

from __future__ import annotations

import re
from xml.parsers import expat

import numpy as np

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


_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # (no character of XML 1.0)


def cut_cleanly(stages: list, texts: list) -> bool:
    """Is a part well-formed where the reading in bulk cut cells out of it, so that checking what is left (with
    check_xml) checks it all?  stages: (what was left, where the cells were cut from it), each reading's; each
    cut must lie between two tags (a '>' before it, a '<' after), never inside a tag or a value.  texts: the cut
    cells' character data (formulas, cached values), which must be XML's characters and references.  The
    cut cells themselves are of the shapes the readings' expressions allow: tags, names and attributes
    well-formed by construction.  False: check the whole part."""
    for rest, cuts in stages:
        if len(cuts):
            a = np.frombuffer(rest, np.uint8)
            if cuts[0] < 1 or cuts[-1] >= len(a) or (a[cuts - 1] != 62).any() or (a[cuts] != 60).any():
                return False
    blob = b"\n".join(filter(None, texts))
    if b"]]>" in blob:
        return False
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if _BAD_CHAR.search(text):
        return False
    if "&" in text:  # each one a reference unescape() knows, a character's of XML 1.0
        refs = _ENTITY.findall(text)
        if len(refs) != text.count("&"):
            return False
        for ref in refs:
            if ref[0] == "#":
                if len(ref) > 9:  # (zeros before a character's number: the whole part's check says)
                    return False
                cp = int(ref[2:], 16) if ref[1] == "x" else int(ref[1:])
                if not (cp in (9, 10, 13) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or 0x10000 <= cp <= 0x10FFFF):
                    return False
    return True
