"""Read one worksheet's XML fast: values into arrays, formulas into runs (a column dragged down is one run).

The part is first checked by expat (C, no handlers but the refusal of DTDs and entities), so a
malformed or hostile part is refused; then one regular expression walks the cells.  Parts written
another way than the usual (namespace prefixes, the r attribute not first, comments, CDATA) take a
slower path over ElementTree that reads exactly the same things.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field
from xml.etree.ElementTree import fromstring
from xml.parsers import expat

from ..errors import SheetnetError
from .dates import iso_to_serial
from .template import RowTemplate, shifted
from .values import ErrorCode

MAX_ROWS, MAX_COLS = 1_048_576, 16_384
MAX_FORMULA = 8192  # Excel's own limit on a formula's length
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,12})"([^>]*?)(/>|>(.*?)</c>)', re.S)
_ROW_HIDDEN = re.compile(rb'<row\b[^>]*?\br="([0-9]+)"[^>]*?\bhidden="(?:1|true)"')
_ATTR = re.compile(rb'\b(t|cm)="([^"]*)"')
_F = re.compile(rb'<f(\s[^>]*?)?(?:/>|>(.*?)</f>)', re.S)
_F_ATTR = re.compile(rb'\b(t|ref|si)="([^"]*)"')
_V = re.compile(rb"<v>(.*?)</v>", re.S)
_T = re.compile(rb"<t(?:\s[^>]*)?>(.*?)</t>", re.S)
_RPH = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def col_index(letters) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch if isinstance(ch, int) else ord(ch)) - 64
    return n - 1


def unescape(raw: bytes) -> str:
    s = raw.decode("utf-8")
    if "&" not in s:
        return s
    return _ENTITY.sub(lambda m: _NAMED.get(m.group(1)) or chr(int(m.group(1)[2:], 16) if m.group(1)[1] == "x"
                                                                   else int(m.group(1)[1:])), s)


@dataclass
class Run:
    """Formulas in rows r0 .. r0+k-1 of column `col` that differ only by row."""

    col: int
    r0: int
    k: int
    text: str  # the first cell's formula, without "="
    tpl: RowTemplate

    def text_at(self, r: int) -> str:
        return self.tpl.render(r)


@dataclass
class ArrayFormula:
    row: int
    col: int
    box: tuple  # (r0, c0, r1, c1) it fills
    text: str
    dynamic: bool = False  # an Excel 365 dynamic array (spills; blanks, not #N/A, where it ends early)


@dataclass
class SheetData:
    name: str
    rows: array = field(default_factory=lambda: array("i"))  # numeric value cells
    cols: array = field(default_factory=lambda: array("i"))
    vals: array = field(default_factory=lambda: array("d"))
    other: list = field(default_factory=list)  # (r, c, value): text, bool, ErrorCode text ("#N/A", is_error)
    runs: list = field(default_factory=list)
    arrays: list = field(default_factory=list)
    hidden_rows: set = field(default_factory=set)
    cached: dict | None = None  # (r, c) -> cached value of formula cells, when asked for
    max_row: int = -1
    max_col: int = -1

    def cells(self):
        """Every occupied (r, c): values, formulas and array blocks."""
        yield from zip(self.rows, self.cols)
        for r, c, _ in self.other:
            yield r, c
        for run in self.runs:
            for i in range(run.k):
                yield run.r0 + i, run.col
        for a in self.arrays:
            r0, c0, r1, c1 = a.box
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    yield r, c

    def formula_at(self) -> dict:
        """{(r, c): formula text} of every formula cell (array formulas: the anchor)."""
        out = {}
        for run in self.runs:
            for i in range(run.k):
                out[(run.r0 + i, run.col)] = run.text_at(run.r0 + i)
        for a in self.arrays:
            out[(a.row, a.col)] = a.text
        return out


class _Builder:
    def __init__(self, sd: SheetData, where: str, strings: list, want_cached: bool):
        self.sd, self.where, self.strings = sd, where, strings
        self.open: dict = {}  # col -> the run being extended
        self.shared: dict = {}  # si -> (anchor row, col, text)
        self.shared_col: dict = {}  # (si, col) -> RowTemplate
        if want_cached:
            sd.cached = {}

    def place(self, r: int, c: int, ref: str):
        if r >= MAX_ROWS or c >= MAX_COLS:
            raise SheetnetError(f"{self.where}: cell {ref} is beyond a sheet's {MAX_ROWS} rows and {MAX_COLS} columns; "
                                f"refused")
        sd = self.sd
        if r > sd.max_row:
            sd.max_row = r
        if c > sd.max_col:
            sd.max_col = c

    def value(self, t, v: bytes | None):
        """A value cell (or a formula's cached value) from its type and raw <v> text."""
        if t is None or t == "n":
            return None if v is None else float(v)
        if t == "s":
            return None if v is None else self.strings[int(v)]
        return typed(t, None if v is None else unescape(v))

    def put_value(self, r, c, x):
        sd = self.sd
        if x is None:
            return
        if type(x) is float:
            sd.rows.append(r)
            sd.cols.append(c)
            sd.vals.append(x)
        else:
            sd.other.append((r, c, x))

    def formula(self, r, c, ref, text, fattrs, cached, dynamic):
        """A formula cell: text may be None for a shared formula's child."""
        ftype = fattrs.get("t")
        if ftype == "shared":
            si = fattrs.get("si")
            if text:
                self.shared[si] = (r, c, text)
            elif si in self.shared:
                ar, ac, atext = self.shared[si]
                tpl = self.shared_col.get((si, c))
                if tpl is None:
                    origin = _a1(ar, ac)
                    moved = atext if c == ac else shifted(atext, origin, _a1(ar, c))
                    tpl = self.shared_col[(si, c)] = RowTemplate(moved, ar)
                text = tpl.render(r)
            else:
                text = None
        if not text:
            return False
        if len(text) > MAX_FORMULA:
            raise SheetnetError(f"{self.where}!{ref}: formula of {len(text)} characters is longer than Excel's "
                                f"{MAX_FORMULA}; refused")
        sd = self.sd
        if cached is not None and sd.cached is not None:
            sd.cached[(r, c)] = cached
        if ftype == "array":
            from .package import parse_range
            box = parse_range(fattrs.get("ref") or ref)
            self.place(box[2], box[3], fattrs.get("ref") or ref)
            sd.arrays.append(ArrayFormula(r, c, box, text, dynamic))
            return True
        run = self.open.get(c)
        if run is not None and run.r0 + run.k == r and run.tpl.render(r) == text:
            run.k += 1
        else:
            run = Run(c, r, 1, text, RowTemplate(text, r))
            sd.runs.append(run)
            self.open[c] = run
        return True


def typed(t: str, text: str | None):
    """A cell value from its type and its (unescaped) <v> text: t = str, b, e or d."""
    if t == "str":
        return text if text is not None else ""
    if t == "b":
        return text in ("1", "true")
    if t == "e":
        return ErrorCode(text or "#N/A")
    if t == "d":
        return iso_to_serial(text) if text else None
    if t in (None, "n"):
        return None if text is None else float(text)
    return None


def _a1(r, c):
    from .package import a1
    return a1(r, c)


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


def scan_sheet(data: bytes, name: str, where: str, strings: list, want_cached: bool = False) -> SheetData:
    check_xml(data, where)
    sd = SheetData(name)
    b = _Builder(sd, where, strings, want_cached)
    body = data.find(b"<sheetData")
    fast = (body >= 0 and b"<!--" not in data and b"<![CDATA[" not in data and data.rfind(b"<?") < 10
            and data.count(b"<c ", body) + data.count(b"<c>", body) == sum(1 for _ in _CELL.finditer(data, body)))
    if not fast:
        _scan_tree(data, b)
        return sd
    for m in _ROW_HIDDEN.finditer(data):
        sd.hidden_rows.add(int(m.group(1)) - 1)
    cols: dict = {}
    for m in _CELL.finditer(data, body):
        letters, digits, attrs, end, inner = m.groups()
        c = cols.get(letters)
        if c is None:
            c = cols[letters] = col_index(letters)
        r = int(digits) - 1
        b.place(r, c, (letters + digits).decode())
        t = dynamic = None
        if attrs:
            for k, v in _ATTR.findall(attrs):
                if k == b"t":
                    t = v.decode()
                else:
                    dynamic = v != b"0"
        if not inner:
            continue
        if inner.startswith(b"<f>"):  # the usual shape: <f>text</f><v>cached</v>
            j = inner.find(b"</f>")
            text = unescape(inner[3:j])
            vm = _V.search(inner, j)
            cached = b.value(t, vm.group(1)) if (vm and sd.cached is not None) else None
            b.formula(r, c, (letters + digits).decode(), text, {}, cached, False)
            continue
        fm = _F.search(inner) if b"<f" in inner else None
        vm = _V.search(inner)
        raw = vm.group(1) if vm else None
        if t == "inlineStr":
            x = "".join(unescape(s) for s in _T.findall(_RPH.sub(b"", inner)))
        else:
            x = b.value(t, raw)
        if fm is not None:
            fattrs = {k.decode(): v.decode() for k, v in _F_ATTR.findall(fm.group(1) or b"")}
            text = unescape(fm.group(2)) if fm.group(2) else None
            if b.formula(r, c, (letters + digits).decode(), text, fattrs, x, bool(dynamic)):
                continue
        b.put_value(r, c, x)
    return sd


def _scan_tree(data: bytes, b: _Builder):
    """The slow path: the same reading over ElementTree (any prefix, any attribute order)."""
    root = fromstring(data)
    sd = b.sd
    for row in root.iter(f"{NS}row"):
        rr = row.get("r")
        if row.get("hidden") in ("1", "true") and rr:
            sd.hidden_rows.add(int(rr) - 1)
        next_col = 0
        for el in row.iter(f"{NS}c"):
            ref = el.get("r")
            if ref:
                m = re.match(r"^([A-Z]{1,3})([0-9]{1,12})$", ref)
                if not m:
                    raise SheetnetError(f"{b.where}: bad cell address {ref!r}")
                c, r = col_index(m.group(1)), int(m.group(2)) - 1
            else:
                if not rr:
                    raise SheetnetError(f"{b.where}: a cell with no address in a row with no number")
                r, c = int(rr) - 1, next_col
                ref = _a1(r, c)
            next_col = c + 1
            b.place(r, c, ref)
            t = el.get("t")
            f = el.find(f"{NS}f")
            v = el.find(f"{NS}v")
            text = v.text if v is not None else None
            if t == "inlineStr":
                x = "".join(tt.text or "" for tt in el.iter(f"{NS}t") if tt not in _phonetic(el))
            elif t == "s":
                x = b.strings[int(text)] if text is not None else None
            else:
                x = typed(t, text)
            if f is not None:
                if b.formula(r, c, ref, f.text or None, dict(f.attrib), x, el.get("cm") not in (None, "0")):
                    continue
            b.put_value(r, c, x)


def _phonetic(el):
    return {t for ph in el.iter(f"{NS}rPh") for t in ph.iter(f"{NS}t")}
