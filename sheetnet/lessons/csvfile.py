"""Read a CSV as people's spreadsheets save them, and say what was assumed.

Handles: UTF-8 (with or without a BOM), Windows-1252, UTF-16 with a BOM (Excel's "Unicode
text"), CRLF or LF line endings, comma, semicolon, tab or pipe separators (sniffed), and decimal
commas (a European Excel's "CSV (semicolon delimited)").  Real binary files are refused.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import SheetnetError
from .frame import Frame

MAX_CSV_BYTES = 1 << 30  # 1 GiB
MAX_ROWS = 1_048_576 - 3  # an Excel sheet's rows, less the three header rows
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d{1,3}(\.\d{3})*,\d+\s*$|^\s*[-+]?\d+,\d+\s*$")


@dataclass
class CsvTable:
    frame: Frame  # every cell as text ("" for blank)
    separator: str = ","
    encoding: str = "utf-8"
    decimal_comma: bool = False
    notes: list = field(default_factory=list)  # what was assumed, in words


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        enc = "utf-16"
        try:
            return raw.decode(enc), "UTF-16"
        except UnicodeDecodeError:
            raise SheetnetError(f"{path}: not a readable UTF-16 text file") from None
    if raw[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF") or b"\x00" in raw[:65536]:
        hint = " (an Excel workbook? save it as CSV)" if raw[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0") else ""
        raise SheetnetError(f"{path}: not a CSV file (it looks binary){hint}")
    for enc, label in (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252")):
        try:
            return raw.decode(enc), label
        except UnicodeDecodeError:
            continue
    raise SheetnetError(f"{path}: not a CSV file (not readable as UTF-8, UTF-16 or Windows-1252 text)")


def _sniff(text: str) -> str:
    """The separator that splits the first lines into the same number (>1) of fields most often."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    best, best_score = ",", -1
    for sep in SEPARATORS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=sep)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        score = sum(1 for c in counts if c == counts[0]) * 1000 + counts[0]
        if score > best_score:
            best, best_score = sep, score
    return best


def read_csv(path: str | Path) -> CsvTable:
    """Every cell as text ("" for blank), with the separator, encoding and decimal mark sniffed."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SheetnetError(f"{path}: no such file") from None
    except OSError as e:
        raise SheetnetError(f"{path}: cannot read ({e.strerror})") from None
    if path.is_dir():
        raise SheetnetError(f"{path}: is a folder, not a CSV file")
    if size > MAX_CSV_BYTES:
        raise SheetnetError(f"{path}: {size} bytes is larger than the {MAX_CSV_BYTES} bytes sheetnet reads")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SheetnetError(f"{path}: cannot read ({e.strerror})") from None
    if not raw.strip():
        raise SheetnetError(f"{path}: the file is empty")
    text, encoding = _decode(path, raw)
    text = text.lstrip("\ufeff")
    sep = _sniff(text)
    frame = _table(path, text, sep)
    table = CsvTable(frame, sep, encoding)
    if sep == ";" or sep == "\t":
        table.decimal_comma = any(any(_DECIMAL_COMMA.match(v) for v in frame[c][:500]) for c in frame.columns)
    if sep != "," or encoding != "UTF-8" or table.decimal_comma:
        how = f"{SEPARATORS[sep]}-separated {encoding} text"
        if table.decimal_comma:
            how += " with decimal commas (1,5 read as 1.5)"
        table.notes.append(f"read {path.name} as {how}")
    return table


def _table(path: Path, text: str, sep: str) -> Frame:
    """The rows under the header as text columns: short rows padded with blanks, blank lines skipped."""
    try:
        rows = _rows(text, sep)
    except csv.Error as e:
        raise SheetnetError(f"{path}: not a valid CSV file ({e})") from None
    header = [c.strip() for c in rows[0]]
    k = len(header)
    if k < 2:
        raise SheetnetError(f"{path}: not a CSV file of columns (found one column, {header[0] if header else ''!r})")
    if len(rows) - 1 > MAX_ROWS:
        raise SheetnetError(f"{path}: {len(rows) - 1} rows do not fit in a spreadsheet (at most {MAX_ROWS})")
    names = []
    for i, c in enumerate(header):  # Unnamed: 2 for a blank header, a.1 for a second a (as pandas names them)
        c = c or f"Unnamed: {i}"
        name, j = c, 0
        while name in names:
            j += 1
            name = f"{c}.{j}"
        names.append(name)
    body = rows[1:]
    line = 2
    for r in body:
        if len(r) > k:
            if any(v.strip() for v in r[k:]):
                raise SheetnetError(f"{path}: line {line}: {len(r)} fields where the header has {k}")
            del r[k:]
        elif len(r) < k:
            r.extend([""] * (k - len(r)))
        line += 1
    cols = list(zip(*body)) if body else [()] * k
    out = Frame(n=len(body))
    for name, values in zip(names, cols):
        out[name] = np.array(values, dtype=object)
    return out


def _rows(text: str, sep: str) -> list[list[str]]:
    """The non-empty rows.  A quote opened and never closed is an error (it would swallow the rest of the
    file); other stray quotes ("x"y) are read leniently, as spreadsheets and pandas read them, as long as
    no field then runs across lines."""
    def read(strict):
        return [r for r in csv.reader(io.StringIO(text), delimiter=sep, quotechar='"', doublequote=True,
                                      strict=strict) if r]
    try:
        return read(True)
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            raise csv.Error('a quoted field is never closed: a " with no closing "') from None
    rows = read(False)  # stray quotes: read leniently, unless one made a field run across lines
    if any("\n" in v or "\r" in v for r in rows for v in r):
        raise csv.Error('a stray " makes a field run across lines (a quote opened and not closed where it should be)')
    return rows


def stripped(s) -> np.ndarray:
    """A text column without spaces around its values."""
    return np.array([v.strip() for v in s], dtype=object)


def to_number_text(s, decimal_comma: bool) -> np.ndarray:
    """Text of numbers as Python reads them: "1.234,5" -> "1234.5" when decimal commas are in use."""
    if not decimal_comma:
        return stripped(s)
    return np.array([_THOUSANDS.sub("", v.strip()).replace(",", ".") for v in s], dtype=object)


_THOUSANDS = re.compile(r"(?<=\d)\.(?=\d{3}(\D|$))")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity)", re.ASCII | re.IGNORECASE)


def parse_number(text: str) -> float | None:
    """A number as Excel reads one from a CSV (ASCII digits, a point, an exponent), correctly rounded; else None."""
    return float(text) if _NUMBER.fullmatch(text) else None
