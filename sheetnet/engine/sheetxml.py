"""Read one worksheet's XML fast: values into arrays, formulas into runs (a column dragged down is one run).

The part is first checked by expat (C, no handlers but the refusal of DTDs and entities), so a
malformed or hostile part is refused; then one regular expression walks the cells.  Parts written
another way than the usual (namespace prefixes, the r attribute not first, comments, CDATA) take a
slower path over ElementTree that reads exactly the same things.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import SheetnetError
from .address import MAX_COLS, MAX_ROWS, a1, col_index, parse_range
from .bulkcells import BULK_BYTES, PARALLEL_CHECK_BYTES, XmlCheck, plain_numbers
from .bulkformulas import formula_runs, joined, put_formulas, put_shared, shared_children
from .sheetdata import MAX_FORMULA, ArrayFormula, Run, SheetData  # noqa: F401 (re-exported)
from .sheettree import scan_tree as _scan_tree
from .template import ByteTemplate as raw_tpl
from .template import ColTemplate, RowTemplate, shifted
from .xmlvalues import check_xml, cut_cleanly, shared, typed, unescape

FORMULA_BYTES = 1 << 12  # parts this large take the bulk formula reading (below, cell by cell costs less)

# (the inside of a cell unrolled, [^<]* then each "<" not of "</c>": what .*? matches, in two thirds of the time)
_CELL = re.compile(rb'<c r="([A-Z]{1,3})(0*[1-9][0-9]{0,11})"([^>]*?)(/>|>([^<]*(?:<(?!/c>)[^<]*)*)</c>)')
_ROW_HIDDEN = re.compile(rb'<row\b[^>]*?\br="([0-9]+)"[^>]*?\bhidden="(?:1|true)"')
_ATTR = re.compile(rb'\b(t|cm)="([^"]*)"')
_F = re.compile(rb'<f(\s[^>]*?)?(?:/>|>(.*?)</f>)', re.S)
_F_ATTR = re.compile(rb'\b(t|ref|si)="([^"]*)"')
_V = re.compile(rb"<v>(.*?)</v>", re.S)
_T = re.compile(rb"<t(?:\s[^>]*)?>(.*?)</t>", re.S)
_RPH = re.compile(rb"<rPh\b.*?</rPh>", re.S)


def _one_value(text: str) -> bool:
    """Is the formula one @ (_xlfn.SINGLE(...)) as a whole?  Excel 365 marks it a dynamic array (cm), but it
    gives one value and never spills: a one-cell array formula as any other (a column of them is a run)."""
    if not text.startswith("_xlfn.SINGLE("):
        return False
    depth, inside = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            inside = not inside
        elif inside:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False


def _continues(op, raw: bytes, r: int, digits: bytes) -> bool:
    """Is `raw`, the formula of row r (written `digits`), the open run `op` one row further down?  op: [its
    first item, its byte template, its next row, its first formula's raw bytes, its first row]; the template
    is made when a second row comes (most runs never have one)."""
    if op is None or op[2] != r:
        return False
    if op[1] is None:
        if op[3] is None:
            return False
        op[1] = raw_tpl(op[3], op[4])
    return op[1].matches(raw, r, digits)


class _Builder:
    def __init__(self, sd: SheetData, where: str, strings: list, want_cached: bool):
        self.sd, self.where, self.strings = sd, where, strings
        self.open: dict = {}  # col -> the run being extended
        self.shared: dict = {}  # si -> (anchor row, col, text)
        self.shared_col: dict = {}  # (si, col) -> RowTemplate
        self.shared_moved: dict = {}  # si -> ColTemplate of its anchor's text (None: shifted() moves it)
        self.cut: tuple = ([], [], None)  # what the bulk readings cut out (see _fast)
        self.want = None  # the cells whose cached values are kept (None: every formula cell's)
        if isinstance(want_cached, (set, frozenset)):
            self.want, want_cached = want_cached, bool(want_cached)
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

    def value(self, t, v: bytes | None, r: int = 0, c: int = 0):
        """A value cell (or a formula's cached value) from its type and raw <v> text."""
        if t is None or t == "n":
            return None if v is None else float(v)
        if t == "s":
            return None if v is None else shared(self.strings, v)
        return typed(t, None if v is None else unescape(v), lambda: f"{self.where}, cell {a1(r, c)}")

    def value_or_refusal(self, t, v: bytes, r: int, c: int):
        """value(), or the refusal naming the cell where its raw text is no value of its type."""
        try:
            return self.value(t, v, r, c)
        except (ValueError, IndexError):
            raw = v.decode("utf-8", "replace")[:40]
            what = "the number of no shared string" if t == "s" else "no value of its type" if t else "not a number"
            raise SheetnetError(f"{self.where}, cell {a1(r, c)}: holds {raw!r}, {what}; refused") from None

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

    def formula_cell(self, r, c, ref, text, cached) -> SheetData:
        """A formula's text refused if longer than Excel's limit; its cached value kept where wanted."""
        if len(text) > MAX_FORMULA:
            raise SheetnetError(f"{self.where}!{ref}: formula of {len(text)} characters is longer than Excel's "
                                f"{MAX_FORMULA}; refused")
        sd = self.sd
        if cached is not None and sd.cached is not None and (self.want is None or (r, c) in self.want):
            sd.cached[(r, c)] = cached
        return sd

    def formula(self, r, c, ref, text, fattrs, cached, dynamic, raw=None):
        """A formula cell: text may be None for a shared formula's child; raw: its escaped bytes."""
        ftype = fattrs.get("t")
        if ftype == "shared":
            si = fattrs.get("si")
            if text:
                self.shared[si] = (r, c, text)
            elif si in self.shared:
                text = self.shared_text(si, r, c)
            else:
                text = None
        if not text:
            return False
        sd = self.formula_cell(r, c, ref, text, cached)
        if ftype == "array":
            box = parse_range(fattrs.get("ref") or ref)
            if dynamic and box[0] == box[2] and box[1] == box[3] and _one_value(text):
                dynamic = False
            self.place(box[2], box[3], fattrs.get("ref") or ref)
            sd.arrays.append(ArrayFormula(r, c, box, text, dynamic))
            return True
        op = self.open.get(c)
        if op is not None and op[2] == r and op[0].tpl.render(r) == text:
            op[0].k += 1
            op[2] += 1
        else:
            run = Run(c, r, 1, text)
            sd.runs.append(run)
            self.open[c] = [run, None, r + 1, raw, r]  # the column's open run (see _continues)
        return True

    def shared_template(self, si: str, c: int) -> RowTemplate:
        """The template of shared formula si's cells in column c: its first cell's text moved to that column."""
        tpl = self.shared_col.get((si, c))
        if tpl is None:
            tpl = self.shared_col[(si, c)] = RowTemplate(self.moved(si, c), self.shared[si][0])
        return tpl

    def moved(self, si: str, c: int) -> str:
        """Shared formula si's anchor text moved along its row to column c."""
        ar, ac, atext = self.shared[si]
        if c == ac:
            return atext
        if si not in self.shared_moved:
            self.shared_moved[si] = ColTemplate.make(atext)
        ct = self.shared_moved[si]
        moved = ct.render(c - ac) if ct is not None else None
        return moved if moved is not None else shifted(atext, a1(ar, ac), a1(ar, c))

    def shared_text(self, si: str, r: int, c: int) -> str:
        """The text of shared formula si's cell (r, c): on its anchor's row, moved along it (a formula shared
        across a row: no template a column)."""
        return self.moved(si, c) if r == self.shared[si][0] else self.shared_template(si, c).render(r)

    def array_cell(self, r, c, text, cached, dynamic):
        """An array formula whose box is its own cell (already placed): what formula() does for it, less the
        parsing of its attributes and box; the ArrayFormula, or None (no text: its value)."""
        if not text:
            return self.put_value(r, c, cached)
        sd = self.formula_cell(r, c, a1(r, c), text, cached)
        a = ArrayFormula(r, c, (r, c, r, c), text, dynamic)
        sd.arrays.append(a)
        return a


def scan_sheet(data: bytes, name: str, where: str, strings: list, want_cached=False) -> SheetData:
    """want_cached: keep formulas' cached values (True), or only these (r, c) cells' (a set), or
    {sheet name: set} of which this sheet's entry counts."""
    if isinstance(want_cached, dict):
        want_cached = frozenset(want_cached.get(name, ()))
    # a large part is checked on a second core while it is read; another, once read: what the bulk readings left
    # of it, where they cut cleanly (sheetnet.engine.xmlvalues.cut_cleanly), else all of it
    check = XmlCheck(check_xml, data, where) if len(data) >= PARALLEL_CHECK_BYTES else None
    checked = check is not None
    try:
        sd = SheetData(name)
        b = _Builder(sd, where, strings, want_cached)
        body = data.find(b"<sheetData")
        if body < 0 or b"<!--" in data or b"<![CDATA[" in data or data.rfind(b"<?") >= 10 or \
                not _fast(data, body, b):
            if not checked:
                check_xml(data, where)
                checked = True
            sd = SheetData(name)
            _scan_tree(data, _Builder(sd, where, strings, want_cached))
    except BaseException:
        if check is not None:
            check.result()  # a malformed part is refused as that, as when the check came first
        elif not checked:
            check_xml(data, where)
        raise
    if check is not None:
        check.result()
    elif not checked:
        stages, texts, rest = b.cut
        if not (rest is not data and cut_cleanly(stages, texts) and _well_formed(rest, where)):
            check_xml(data, where)
    vals = np.frombuffer(sd.vals, np.float64)
    if len(vals) and not np.isfinite(vals).all():  # <v>nan</v>, <v>1e999</v>: no number a spreadsheet holds
        i = int(np.flatnonzero(~np.isfinite(vals))[0])
        raise SheetnetError(f"{where}, cell {a1(sd.rows[i], sd.cols[i])}: holds {float(vals[i])} as a number, which is "
                            f"no number a spreadsheet holds; refused")
    return sd


def _well_formed(rest: bytes, where: str) -> bool:
    try:
        check_xml(rest, where)
    except SheetnetError:
        return False  # (the whole part's check then says where)
    return True


def _fast(data: bytes, body: int, b: _Builder) -> bool:
    """The usual layout, one regular expression a cell; False when some cell does not fit it.  b.cut: what the
    bulk readings cut out (stages, texts) and the part they left (sheetnet.engine.xmlvalues.cut_cleanly)."""
    sd = b.sd
    stages, texts = [], []
    if b'hidden="' in data:
        for m in _ROW_HIDDEN.finditer(data):
            sd.hidden_rows.add(int(m.group(1)) - 1)
    bulk = plain_numbers(data, b.place) if len(data) >= BULK_BYTES else None
    if bulk is not None:  # most of a large sheet: its plain numbers at once, then the other cells one by one
        rr, cc, vv, data, cuts = bulk
        stages.append((data, cuts))
        sd.rows.frombytes(rr.astype(np.int32).tobytes())
        sd.cols.frombytes(cc.astype(np.int32).tobytes())
        sd.vals.frombytes(vv.tobytes())
        body = data.find(b"<sheetData")
    fs = formula_runs(data, b.place) if len(data) >= FORMULA_BYTES and b"<f" in data else None
    readings: dict = {}  # id of a run read in bulk -> which bulk reading
    if fs is not None:  # the usual formula cells, as runs at once; the other cells one by one
        data = fs.rest
        stages.append((data, fs.cuts))
        texts += [raw for *_, raw in fs.plain + fs.arrays + fs.boxes] + fs.values  # (a run's other rows: its first's text
        body = data.find(b"<sheetData")                                     # with other digits)
        readings.update(dict.fromkeys(put_formulas(fs, b), "f"))
    sh = shared_children(data, b.place) if len(data) >= FORMULA_BYTES and b'<f t="shared"' in data else None
    if sh is not None:  # a shared formula's cells (Excel's way of a dragged range), taken after their first cells
        data = sh.rest
        stages.append((data, sh.cuts))
        texts += sh.values
        body = data.find(b"<sheetData")
    b.cut = (stages, texts, data)
    cells = _CELL.findall(data, body)
    try:
        _cells(cells, b)
    except (ValueError, IndexError):
        _name_bad_cell(data, body, b)
        raise
    if len(cells) != data.count(b"<c ", body) + data.count(b"<c>", body):
        return False
    if sh is not None:
        readings.update(dict.fromkeys(put_shared(sh, b), "s"))
    if fs is not None or sh is not None:  # the runs and arrays in the order of their first cells, as one reading
        sd.runs = joined(sd.runs, readings)
        sd.arrays.sort(key=lambda a: (a.row, a.col))
    return True


def _cells(cells, b):
    """The cells of the usual layout, one by one.  A row or column beyond the largest so far is placed (b.place
    keeps sd.max_row and sd.max_col; the bulk readings placed theirs)."""
    sd = b.sd
    max_r, max_c = sd.max_row, sd.max_col
    cols: dict = {}
    rows_a, cols_a, vals_a, other, strings = sd.rows, sd.cols, sd.vals, sd.other, b.strings
    open_runs, cached, want = b.open, sd.cached, b.want
    open_arrays: dict = {}  # col -> the run of one-cell {=...} being extended, as open_runs (its ArrayFormula first)
    for letters, digits, attrs, end, inner in cells:
        c = cols.get(letters)
        if c is None:
            c = cols[letters] = col_index(letters)
            if c > max_c:
                max_c = c
                b.place(0, c, (letters + digits).decode())  # refuses a cell beyond the sheet's columns
        r = int(digits) - 1
        if r > max_r:
            max_r = r
            b.place(r, 0, (letters + digits).decode())
        t = None
        dynamic = False
        if attrs and (not attrs.endswith(b' t="n"') or b'cm="' in attrs):  # (LibreOffice marks numbers t="n")
            i = attrs.find(b' t="')
            if i >= 0:
                t = attrs[i + 4:attrs.find(b'"', i + 4)].decode()
            if b'cm="' in attrs:
                dynamic = dict(_ATTR.findall(attrs)).get(b"cm", b"0") != b"0"
        if not inner:
            continue
        head = inner[:3]
        if head == b"<v>" and inner[-4:] == b"</v>" and t is None:  # the usual number
            raw = inner[3:-4]
            if b"<" not in raw:
                rows_a.append(r)
                cols_a.append(c)
                vals_a.append(float(raw))
                continue
        k = 3 if head == b"<f>" else 15 if inner[:15] == b'<f aca="false">' else 10 if inner[:10] == b'<f ca="1">' \
            else 0
        if k:  # the usual formula: <f>text</f><v>cached</v> (LibreOffice writes <f aca="false">; Excel marks a
            # volatile formula <f ca="1">)
            j = inner.find(b"</f>")
            raw = inner[k:j]
            op = open_runs.get(c)
            if _continues(op, raw, r, digits):
                op[0].k += 1
                op[2] += 1
                if cached is not None and (want is None or (r, c) in want):
                    vm = _V.search(inner, j)
                    if vm is not None:
                        cached[(r, c)] = b.value(t, vm.group(1), r, c)
                continue
            vm = _V.search(inner, j) if cached is not None and (want is None or (r, c) in want) else None
            b.formula(r, c, a1(r, c), unescape(raw), {}, b.value(t, vm.group(1), r, c) if vm else None, False, raw)
            continue
        if inner[:3] == b"<v>" and inner[-4:] == b"</v>" and b"<" not in inner[3:-4]:
            raw = inner[3:-4]
            if t is None or t == "n":
                rows_a.append(r)
                cols_a.append(c)
                vals_a.append(float(raw))
            elif t == "s":
                other.append((r, c, shared(strings, raw)))
            else:
                x = typed(t, unescape(raw), lambda: f"{b.where}, cell {(letters + digits).decode()}")
                if x is not None:
                    other.append((r, c, x))
            continue
        if inner[:18] == b'<f t="array" ref="':  # {=...} typed in one cell, as Excel and XlsxWriter store it
            e = inner.find(b'">', 18)
            j = inner.find(b"</f>", e)
            if e > 0 and j > 0 and inner[18:e] == letters + digits and b'"' not in inner[18:e]:
                raw = inner[e + 2:j]
                op = open_arrays.get(c)
                below = bool(raw) and _continues(op, raw, r, digits)  # the one above, a row down
                marked = dynamic  # (cm: Excel 365's mark; one @ as a whole is one value all the same)
                if dynamic and (below and op[5] or _one_value(unescape(raw))):  # (below one marked alike: as it is)
                    dynamic = False
                vm = _V.search(inner, j) if cached is not None and (want is None or (r, c) in want) else None
                if not dynamic and below:  # its run
                    op[0].k += 1
                    op[2] += 1
                    if vm is not None:
                        cached[(r, c)] = b.value(t, vm.group(1), r, c)
                    continue
                a = b.array_cell(r, c, unescape(raw), b.value(t, vm.group(1), r, c) if vm else None, dynamic)
                open_arrays[c] = [a, None, r + 1, raw, r, marked] if a is not None and not dynamic else None
                continue
        if t == "inlineStr" and inner[:7] == b"<is><t>" and inner[-9:] == b"</t></is>" and b"<" not in inner[7:-9]:
            other.append((r, c, unescape(inner[7:-9])))  # an inline string, as XlsxWriter streams them
            continue
        fm = _F.search(inner) if b"<f" in inner else None
        vm = _V.search(inner)
        raw = vm.group(1) if vm else None
        if t == "inlineStr":
            x = "".join(unescape(s) for s in _T.findall(_RPH.sub(b"", inner)))
        else:
            x = b.value(t, raw, r, c)
        if fm is not None:
            fattrs = {k.decode(): v.decode() for k, v in _F_ATTR.findall(fm.group(1) or b"")}
            text = unescape(fm.group(2)) if fm.group(2) else None
            cv = x if vm is not None or t == "inlineStr" else None  # (no <v>: no cached value, as above)
            if b.formula(r, c, a1(r, c), text, fattrs, cv, dynamic, fm.group(2) if not fattrs else None):
                continue
        b.put_value(r, c, x)


def _name_bad_cell(data: bytes, body: int, b: _Builder):
    """After the fast reading stumbled on a value: the cell, in one line (a refusal)."""
    for m in _CELL.finditer(data, body):
        letters, digits, attrs, _, inner = m.groups()
        i = attrs.find(b' t="') if attrs else -1
        t = attrs[i + 4:attrs.find(b'"', i + 4)].decode() if i >= 0 else None
        vm = _V.search(inner or b"")
        if vm is None or t == "inlineStr":
            continue
        b.value_or_refusal(t, vm.group(1), int(digits) - 1, col_index(letters))
