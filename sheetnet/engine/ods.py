"""Read a LibreOffice .ods workbook (content.xml) into the same Book an .xlsx gives, with the same limits.

Cells, repeated rows and columns (a repeat of empty cells costs nothing), formulas in OpenFormula
(translated to Excel's syntax: sheetnet.engine.openformula), array formulas, named ranges and
expressions.  Nothing is run.  Solving writes back to .xlsx only.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ..errors import SheetnetError
from .address import a1, parse_cell, parse_range
from .book import Book, Table, bounded_float, bounded_int
from .openformula import address, translate
from .sheetxml import MAX_COLS, MAX_FORMULA, MAX_ROWS, ArrayFormula, SheetData, _Builder
from .template import RowTemplate
from .values import EngineError

T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
O = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
X = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
MAX_REPEATED_CELLS = 5_000_000  # cells a file may make by repeating non-empty ones


def read_ods(pkg, path: Path, cached: bool = False):
    if "content.xml" not in pkg.names:
        raise SheetnetError(f"{path}: not an .ods workbook (no content.xml)")
    book = Book(str(path), [], {}, kind="ods")
    budget = [MAX_REPEATED_CELLS]
    sheet_data = None
    builder = None
    row = col = 0
    row_repeat = 1
    row_cells: list = []
    scope = None  # the sheet whose named expressions are being read (None: the workbook's)
    ranges: list = []  # database ranges: (name, target, has a header row)
    for event, el in _events(pkg):
        tag = el.tag
        if event == "start":
            if tag == f"{T}table":
                name = el.get(f"{T}name") or f"Sheet{len(book.sheets) + 1}"
                book.sheets.append(name)
                sheet_data = SheetData(name)
                builder = _Builder(sheet_data, f"{path}: sheet {name}", [],
                                   frozenset(cached.get(name, ())) if isinstance(cached, dict) else cached)
                book.data[name] = sheet_data
                scope = name
                row = 0
            elif tag == f"{T}table-row":
                row_repeat = int(el.get(f"{T}number-rows-repeated", "1"))
                row_cells = []
                col = 0
                if el.get(f"{T}visibility") in ("collapse", "filter") and sheet_data is not None:
                    sheet_data.hidden_rows.update(range(row, row + min(row_repeat, 65536)))
            continue
        # end events
        if tag in (f"{T}table-cell", f"{T}covered-table-cell"):
            rep = int(el.get(f"{T}number-columns-repeated", "1"))
            if _has_content(el):  # a cell covered by a merge keeps (and computes) its own content
                row_cells.append((col, rep, _cell(el, path)))
            col += rep
            el.clear()
        elif tag == f"{T}table-row":
            if row_cells:
                for r in range(row, row + row_repeat):
                    for c0, rep, cell in row_cells:
                        for c in range(c0, c0 + rep):
                            _put(builder, r, c, cell, path)
                        budget[0] -= rep
                    if budget[0] < 0:
                        raise SheetnetError(f"{path}: repeats cells past the {MAX_REPEATED_CELLS} sheetnet reads")
            row += row_repeat
            if row > MAX_ROWS + 1 and row_cells:
                raise SheetnetError(f"{path}: sheet {sheet_data.name}: row {row} is beyond a sheet's {MAX_ROWS} rows")
            el.clear()
        elif tag == f"{T}named-range":
            _name(book, scope, el.get(f"{T}name"), _rebase(address(el.get(f"{T}cell-range-address", ""), str(path)),
                                                           el.get(f"{T}base-cell-address", "")))
        elif tag == f"{T}named-expression":
            _name(book, scope, el.get(f"{T}name"), _rebase(translate(el.get(f"{T}expression", ""), str(path)),
                                                           el.get(f"{T}base-cell-address", "")))
        elif tag == f"{T}table":
            scope = None
            el.clear()
        elif tag == f"{T}iteration" and el.get(f"{T}status") == "enable":
            book.iterate = (bounded_int(el.get(f"{T}steps"), 100, 1, 32767),
                            bounded_float(el.get(f"{T}minimum-difference"), 0.001))
        elif tag == f"{T}database-range":
            ranges.append((el.get(f"{T}name"), el.get(f"{T}target-range-address", ""),
                           el.get(f"{T}contains-header", "true") != "false"))
    for name, target, header in ranges:  # LibreOffice's database ranges: Excel's tables
        _table(book, name, address(target, str(path)), header)
    return book


def _table(book, name, ref, header):
    sheet, _, box = ref.rpartition("!")
    sheet = sheet.strip("'").replace("''", "'")
    if not name or sheet not in book.data:
        return
    try:
        r0, c0, r1, c1 = parse_range(box.replace("$", ""))
    except ValueError:
        return
    texts = {(r, c): v for r, c, v in book.data[sheet].other if r == r0}
    columns = [str(texts.get((r0, c), f"Column{c - c0 + 1}")) if header else f"Column{c - c0 + 1}"
               for c in range(c0, c1 + 1)]
    book.tables[name.upper()] = Table(name, sheet, (r0, c0, r1, c1), columns, header_rows=int(header))


def _events(pkg):
    from xml.etree.ElementTree import iterparse

    with pkg._guarded("content.xml") as f:
        yield from iterparse(f, events=("start", "end"))


_BASE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_CELL_REF = re.compile(r'"(?:[^"]|"")*"|(?<![A-Za-z_\d.])(\$?)([A-Z]{1,3})(\$?)(\d{1,7})(?![\d(A-Za-z_])')


def _rebase(text: str, base: str) -> str:
    """A name's relative parts are relative to its base cell in ODF, to A1 in sheetnet (as in .xlsx)."""
    m = _BASE.search(base or "")
    if not m:
        return text
    br, bc = parse_cell(m.group(1).upper() + m.group(2))
    if br == 0 and bc == 0:
        return text

    def fix(x):
        if x.group(2) is None:  # a string: as it is
            return x.group(0)
        r, c = parse_cell(x.group(2) + x.group(4))
        if not x.group(1):
            c = (c - bc) % MAX_COLS
        if not x.group(3):
            r = (r - br) % MAX_ROWS
        return f"{x.group(1)}{a1(0, c)[:-1]}{x.group(3)}{r + 1}"
    return _CELL_REF.sub(fix, text)


def _name(book, scope, name, text):
    if name:
        book.names[(scope, name.upper())] = text


def _has_content(el) -> bool:
    return el.get(f"{T}formula") is not None or el.get(f"{O}value-type") is not None or len(el)


def _cell(el, path):
    """(kind, value or formula text, array span) of one cell."""
    f = el.get(f"{T}formula")
    vt = el.get(f"{O}value-type")
    value = None
    if vt in ("float", "percentage", "currency"):
        value = float(el.get(f"{O}value", "0"))
    elif vt == "boolean":
        value = el.get(f"{O}boolean-value") == "true"
    elif vt == "date":
        value = _date(el.get(f"{O}date-value", ""))
    elif vt == "time":
        value = _time(el.get(f"{O}time-value", ""))
    elif vt == "string":
        value = el.get(f"{O}string-value")
        if value is None:
            value = "\n".join(_text(p) for p in el.iter(f"{X}p"))
    if f is not None:
        span = (int(el.get(f"{T}number-matrix-rows-spanned", "0")), int(el.get(f"{T}number-matrix-columns-spanned", "0")))
        return ("formula", f, value, span)
    return ("value", value, None, None)


def _text(p) -> str:
    out = [p.text or ""]
    for ch in p:
        if ch.tag == f"{X}s":
            out.append(" " * int(ch.get(f"{X}c", "1")))
        elif ch.tag == f"{X}tab":
            out.append("\t")
        elif ch.tag == f"{X}line-break":
            out.append("\n")
        else:
            out.append(_text(ch))
        out.append(ch.tail or "")
    return "".join(out)


def _date(s: str) -> float | None:
    from .dates import iso_to_serial

    try:
        return iso_to_serial(s)
    except ValueError:
        return None


def _time(s: str) -> float | None:
    m = re.fullmatch(r"-?PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", s)
    if not m:
        return None
    h, mi, se = int(m.group(1) or 0), int(m.group(2) or 0), float(m.group(3) or 0)
    return (h * 3600 + mi * 60 + se) / 86400


def _put(b: _Builder, r: int, c: int, cell, path):
    kind, a, value, span = cell
    if c >= MAX_COLS:
        raise SheetnetError(f"{path}: sheet {b.sd.name}: column {c + 1} is beyond a sheet's {MAX_COLS} columns")
    b.place(r, c, f"row {r + 1}, column {c + 1}")
    if kind == "value":
        b.put_value(r, c, None if a == "" else a)
        return

    where = f"{b.where}!{a1(r, c)}"
    try:
        text = translate(a, where)
    except EngineError as e:
        raise SheetnetError(str(e)) from None
    if len(text) > MAX_FORMULA:
        raise SheetnetError(f"{where}: formula of {len(text)} characters is longer than {MAX_FORMULA}; refused")
    if b.sd.cached is not None and (b.want is None or (r, c) in b.want):
        b.sd.cached[(r, c)] = value
    rows, cols = span
    if rows or cols:
        box = (r, c, r + max(rows, 1) - 1, c + max(cols, 1) - 1)
        b.place(box[2], box[3], f"row {box[2] + 1}")
        b.sd.arrays.append(ArrayFormula(r, c, box, text))
        return
    b.formula(r, c, a1(r, c), text, {}, value, False)


__all__ = ["read_ods", "RowTemplate", "dt"]
