"""A sheet's usual formula cells read in bulk (sheetnet.engine.bulkformulas): the same runs, arrays and
cached values as the cell-by-cell reading, each run's every row its first formula's template at that row."""

import random
import re

import pytest

from sheetnet.engine import Engine, sheetxml
from sheetnet.engine.address import a1
from sheetnet.engine.template import RowTemplate
from sheetnet.errors import SheetnetError

HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>')
TAIL = b"</sheetData></worksheet>"

# formulas of a column, by row (1-based, as written): runs that continue, break, grow a digit (row 9 to 10,
# 99 to 100), keep absolute rows, hold strings naming cells, numbers with leading zeros or many digits, and
# strides that are no run
FORMS = [
    lambda r: f"A{r}*A{r}", lambda r: f"$B{r}+C$1*{r}", lambda r: f'IF(A{r}="A{r}",B{r - 1 if r > 1 else r},0)',
    lambda r: f"MAX(0,SUM(A{r}:C{r + 2}*$E$1:$G$3))", lambda r: f"A{2 * r}+1", lambda r: f"A0{r}+1",
    lambda r: f"A{r}*0.30000000000000004", lambda r: f"A{r}*1234567890123456789", lambda r: "SUM(A1:A5)",
    lambda r: f"A{r}&amp;\"x&lt;{r}\"", lambda r: f"B{r}/007", lambda r: f"{r}.05+A{r}", lambda r: f"A{r}+A{r % 3 + 1}",
]


def _cell(ref: str, text: str, kind: str, rng) -> bytes:
    s = f' s="{rng.randrange(3)}"' if rng.random() < 0.3 else ""
    t = rng.choice(["", "", ' t="str"', ' t="n"', ' t="e"'])
    v = {"": "<v>1.5</v>", ' t="n"': "<v>2</v>", ' t="str"': "<v>x</v>", ' t="e"': "<v>#N/A</v>"}[t]
    if rng.random() < 0.1:
        v = ""
    r, c = int(re.search("[0-9]+", ref).group()) - 1, sum((ord(ch) - 64) * 26 ** i for i, ch in
                                                          enumerate(reversed(re.match("[A-Z]+", ref).group()))) - 1
    far = a1(r + rng.choice([0, 0, 1, 2]), c + rng.choice([0, 1, 4]))  # (an array over several cells: its far corner)
    f = {"plain": f"<f>{text}</f>", "lo": f'<f aca="false">{text}</f>', "array": f'<f t="array" ref="{ref}">{text}</f>',
         "shared": f'<f t="shared" ref="{ref}" si="0">{text}</f>', "box": f'<f t="array" ref="{ref}:{far}">{text}</f>',
         "box_ca": f'<f t="array" aca="1" ref="{ref}:{far}" ca="1">{text}</f>',
         "one_ca": f'<f t="array" aca="1" ref="{ref}" ca="1">{text}</f>', "ca": f'<f ca="1">{text}</f>'}[kind]
    return f'<c r="{ref}"{s}{t}>{f}{v}</c>'.encode()


def _sheet(rng) -> bytes:
    cells = {}
    for col in range(rng.randrange(1, 7)):
        r = rng.randrange(1, 12)
        while r < 130:
            form, kind = rng.choice(FORMS[:4] * 3 + FORMS), rng.choice(["plain", "plain", "lo", "array", "shared", "box",
                                                                        "box_ca", "one_ca", "ca"])
            for _ in range(rng.choice([1, 1, 2, 3, 8, 20, 40])):
                if rng.random() < 0.05:  # a value or a blank row in between
                    cells[(r, col)] = f'<c r="{a1(r - 1, col)}"><v>{r}</v></c>'.encode() if rng.random() < 0.5 else b""
                else:
                    cells[(r, col)] = _cell(a1(r - 1, col), form(r), "plain" if kind == "shared" and
                                            (r, col) in cells else kind, rng)
                r += 1
            r += rng.choice([0, 0, 1])
    for r in range(1, 41):  # and one sure run, across a digit's growth, beside them
        cells[(r, 7)] = _cell(f"H{r}", f"A{r}*$B$1+C{r + 1}", "plain", rng)
    rows = {}
    for (r, col), xml in sorted(cells.items()):
        rows.setdefault(r, []).append(xml)
    return HEAD + b"".join(b'<row r="%d">' % r + b"".join(x) + b"</row>" for r, x in sorted(rows.items())) + TAIL


def _read(data: bytes, monkeypatch, bulk: bool, cached=True):
    if not bulk:
        monkeypatch.setattr(sheetxml, "formula_runs", lambda *a: None)
    else:  # (however small the sheet)
        monkeypatch.setattr(sheetxml, "FORMULA_BYTES", 0)
    try:
        sd = sheetxml.scan_sheet(data, "s", "s", [], want_cached=cached)
    finally:
        monkeypatch.undo()
    return ([(r.col, r.r0, r.k, r.text) for r in sd.runs],
            [(a.row, a.col, a.box, a.text, a.dynamic, a.k) for a in sd.arrays],
            sd.cached, sd.max_row, sd.max_col, sorted(zip(sd.rows, sd.cols, sd.vals)), sorted(map(repr, sd.other)))


@pytest.mark.parametrize("seed", range(12))
def test_bulk_formulas_are_read_as_cell_by_cell(monkeypatch, seed):
    rng = random.Random(seed)
    data = _sheet(rng)
    got, want = _read(data, monkeypatch, True), _read(data, monkeypatch, False)
    assert got == want
    runs, arrays = got[0], [(c, r0, k, text) for r0, c, _, text, _, k in got[1]]
    assert (7, 0, 40, "A1*$B$1+C2") in runs and sum(k > 1 for _, _, k, _ in runs + arrays) >= 4  # (runs were made)
    assert any(box[:2] != box[2:] for _, _, box, *_ in got[1])  # (and arrays over several cells)
    texts = dict(((r, c), t) for r, c, t in _texts(data))
    for c, r0, k, text in runs + arrays:  # the ground truth: a run's first text is its cell's, each row its template's
        tpl = RowTemplate(text, r0)
        assert text == texts[(r0, c)] and all(tpl.render(r) == texts[(r, c)] for r in range(r0 + 1, r0 + k))


def _texts(data: bytes):
    import html
    import re
    for ref, body in re.findall(rb'<c r="([A-Z]+[0-9]+)"[^>]*>(.*?)</c>', data):
        m = re.search(rb"<f[^>]*>(.*?)</f>", body)
        if m:
            col = sum((ch - 64) * 26 ** i for i, ch in enumerate(reversed(re.match(rb"[A-Z]+", ref).group()))) - 1
            yield int(re.search(rb"[0-9]+", ref).group()) - 1, col, html.unescape(m.group(1).decode())


def test_a_shared_formula_under_a_plain_first_cell_is_one_run(monkeypatch):
    """Excel writes a dragged range's first cell plain and the rest as a shared formula: one run, both ways."""
    cells = [b'<c r="B1"><f>A1*A1</f><v>1</v></c>', b'<c r="B2"><f t="shared" ref="B2:B5" si="0">A2*A2</f><v>4</v></c>']
    cells += [b'<c r="B%d"><f t="shared" si="0"/><v>0</v></c>' % r for r in range(3, 6)]
    cells += [b'<c r="B6"><f>A6*A6</f><v>36</v></c>', b'<c r="B7"><f>A7*A7</f><v>49</v></c>']
    data = HEAD + b"".join(b'<row r="%d">' % (i + 1) + c + b"</row>" for i, c in enumerate(cells)) + TAIL
    for bulk in (True, False):
        assert _read(data, monkeypatch, bulk)[0] == [(1, 0, 7, "A1*A1")]


@pytest.mark.parametrize("bulk", [True, False])
def test_a_cached_value_that_is_no_number_is_refused_with_its_cell(tmp_path, monkeypatch, bulk):
    import zipfile

    import xlsxwriter
    p = tmp_path / "v.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("s")
    for r in range(5):
        ws.write_number(r, 0, r)
        ws.write_formula(r, 1, f"=A{r + 1}*2", None, 2 * r)
    wb.close()
    with zipfile.ZipFile(p) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    part = "xl/worksheets/sheet1.xml"
    assert b"<f>A4*2</f><v>6</v>" in parts[part]
    parts[part] = parts[part].replace(b"<f>A4*2</f><v>6</v>", b"<f>A4*2</f><v></v>")
    with zipfile.ZipFile(p, "w") as z:
        for n, d in parts.items():
            z.writestr(n, d)
    monkeypatch.setattr(sheetxml, "FORMULA_BYTES", 0 if bulk else 1 << 60)  # (the part is small)
    assert Engine.load(p).get("s!B5") == 8  # (cached values not read)
    with pytest.raises(SheetnetError, match=r"sheet s, cell B4: holds '', not a number; refused"):
        Engine.load(p, volatile="cached")


def test_a_run_of_a_thousand_rows_with_breaks_reads_in_windows(monkeypatch):
    """The doubling window finds each break, wherever it falls."""
    cells = []
    for r in range(1, 1001):
        text = f"A{r}*{r % 97 == 0 and 2 or 1}+B{r}"
        cells.append(b'<row r="%d"><c r="C%d"><f>%s</f></c></row>' % (r, r, text.encode()))
    data = HEAD + b"".join(cells) + TAIL
    got = _read(data, monkeypatch, True, cached=False)[0]
    assert got == _read(data, monkeypatch, False, cached=False)[0]
    assert [k for _, _, k, _ in got][:4] == [96, 1, 96, 1] and sum(k for _, _, k, _ in got) == 1000


SHARED_FORMS = ["A{r}*2+$B$1", "SUM(A{r}:B{r})*C$1", 'IF(A{r}="",0,A{r}&"x")', "A{r}*2+$B$1", "MAX(A1:A{r})"]


def _shared_sheet(rng) -> bytes:
    """Excel's shared formulas: an anchor (the first cell, with the text and the box) and its other cells
    (<f t="shared" si=".."/>, some marked ca="1"), over 2-D boxes, stretches of one formula or of two alike
    one below the other, beside plain formulas, values, blanks, and a volatile array box's cells."""
    cells, si = {}, 0
    for _ in range(rng.randrange(3, 9)):
        r0, c0 = rng.randrange(1, 60), rng.randrange(0, 8)
        h, w = rng.choice([1, 2, 5, 20, 40]), rng.choice([1, 1, 2, 4])
        form = rng.choice(SHARED_FORMS)
        ca = ' ca="1"' if rng.random() < 0.4 else ""
        for r in range(r0, r0 + h):
            for c in range(c0, c0 + w):
                if (r, c) in cells:
                    continue
                ref = a1(r - 1, c)
                v = rng.choice(["<v>1.5</v>", "", "<v>7</v>"])
                if (r, c) == (r0, c0):
                    text = form.format(r=r).replace("&", "&amp;")
                    f = f'<f t="shared" ref="{ref}:{a1(r0 + h - 2, c0 + w - 1)}"{ca} si="{si}">{text}</f>'
                elif rng.random() < 0.05:
                    f, v = "", f"<v>{r}</v>"  # a value inside the box
                else:
                    f = f'<f t="shared"{ca if rng.random() < 0.8 else ""} si="{si}"/>'
                s = f' s="{rng.randrange(3)}"' if rng.random() < 0.3 else ""
                cells[(r, c)] = f'<c r="{ref}"{s}>{f}{v}</c>'.encode()
        si += 1
    for r in range(1, 80):  # plain formulas and values about them, and an array box's cells
        c = rng.randrange(0, 10)
        if (r, c) not in cells:
            cells[(r, c)] = rng.choice([f'<c r="{a1(r - 1, c)}"><f>A{r}*2+$B$1</f><v>3</v></c>',
                                        f'<c r="{a1(r - 1, c)}"><v>{r}</v></c>',
                                        f'<c r="{a1(r - 1, c)}"><f ca="1"/><v>{r}.5</v></c>']).encode()
    rows = {}
    for (r, col), xml in sorted(cells.items()):
        rows.setdefault(r, []).append(xml)
    return HEAD + b"".join(b'<row r="%d">' % r + b"".join(x) + b"</row>" for r, x in sorted(rows.items())) + TAIL


def _read_shared(data: bytes, monkeypatch, bulk: bool):
    from sheetnet.engine import bulkcells

    if bulk:
        monkeypatch.setattr(sheetxml, "FORMULA_BYTES", 0)
        monkeypatch.setattr(sheetxml, "BULK_BYTES", 0)
    else:
        monkeypatch.setattr(sheetxml, "shared_children", lambda *a: None)
        monkeypatch.setattr(sheetxml, "formula_runs", lambda *a: None)
        monkeypatch.setattr(bulkcells, "_PLAIN", re.compile(b"(?!x)x"))  # (no cell read in bulk)
    return _read(data, monkeypatch, bulk)


@pytest.mark.parametrize("seed", range(16))
def test_shared_formulas_are_read_as_cell_by_cell(monkeypatch, seed):
    """Shared formulas' cells taken in bulk, once their anchors are read, make the runs, the cached values and the
    values the cell-by-cell reading makes; each run's every row is its anchor's text moved there."""
    rng = random.Random(seed)
    data = _shared_sheet(rng)
    got, want = _read_shared(data, monkeypatch, True), _read_shared(data, monkeypatch, False)
    assert got == want
    assert sum(k > 1 for _, _, k, _ in got[0]) >= 2  # (runs were made)


def test_two_shared_formulas_one_below_the_other_in_a_column_are_one_run(monkeypatch):
    """D2:D5 shares B2*2; C6:D8 shares A6*2, which in column D is B6*2, the first one's formula rows further
    down: D2:D8 is one run, both ways (D6:D8 are the second's other cells, its first cell is C6)."""
    rows = [b'<c r="D2"><f t="shared" ref="D2:D5" si="0">B2*2</f><v>1</v></c>']
    rows += [b'<c r="D%d"><f t="shared" si="0"/><v>0</v></c>' % r for r in range(3, 6)]
    rows += [b'<c r="C6"><f t="shared" ref="C6:D8" si="1">A6*2</f><v>1</v></c><c r="D6"><f t="shared" si="1"/></c>']
    rows += [b'<c r="C%d"><f t="shared" si="1"/></c><c r="D%d"><f t="shared" si="1"/></c>' % (r, r) for r in (7, 8)]
    data = HEAD + b"".join(b'<row r="%d">' % (i + 2) + c + b"</row>" for i, c in enumerate(rows)) + TAIL
    for bulk in (True, False):
        runs = _read_shared(data, monkeypatch, bulk)[0]
        assert sorted(runs) == [(2, 5, 3, "A6*2"), (3, 1, 7, "B2*2")], (bulk, runs)


@pytest.mark.parametrize("far", ["XFE1", "B1048577"])
def test_an_array_box_beyond_the_sheet_is_refused_both_ways(monkeypatch, far):
    data = HEAD + b'<row r="1"><c r="A1"><f t="array" ref="A1:%s">1</f><v>1</v></c></row>' % far.encode() + TAIL
    for bulk in (True, False):
        with pytest.raises(SheetnetError, match=f"cell A1:{far} is beyond a sheet's"):
            _read(data, monkeypatch, bulk)


def test_a_formula_shared_across_a_row_joins_the_runs_above_it(monkeypatch):
    """C2:D5 a shared formula, then C6:E6 one shared across row 6 (collab_filter's crosstab shares each row's
    formula so): C6 and D6 are their column's formula a row down, so the runs C2:C6 and D2:D6, both ways; E6 is
    the row's text moved along it."""
    rows = [b'<c r="C2"><f t="shared" ref="C2:D5" si="0">A2*$B$1</f><v>1</v></c><c r="D2"><f t="shared" si="0"/></c>']
    rows += [b'<c r="C%d"><f t="shared" si="0"/><v>0</v></c><c r="D%d"><f t="shared" si="0"/></c>' % (r, r)
             for r in range(3, 6)]
    rows += [b'<c r="C6"><f t="shared" ref="C6:E6" si="1">A6*$B$1</f><v>1</v></c>'
             + b"".join(b'<c r="%s6"><f t="shared" si="1"/><v>0</v></c>' % c for c in (b"D", b"E"))]
    data = HEAD + b"".join(b'<row r="%d">' % (i + 2) + c + b"</row>" for i, c in enumerate(rows)) + TAIL
    for bulk in (True, False):
        runs = _read_shared(data, monkeypatch, bulk)[0]
        assert runs == [(2, 1, 5, "A2*$B$1"), (3, 1, 5, "B2*$B$1"), (4, 5, 1, "C6*$B$1")], (bulk, runs)


@pytest.mark.parametrize("case", ["before", "twice", "none"])
def test_shared_cells_whose_anchor_is_not_sure_are_read_cell_by_cell(monkeypatch, case):
    """A shared cell before its anchor in the part, an anchor written twice, a cell with no anchor: the part's
    shared cells are left to the cell-by-cell reading, which reads them in the part's order."""
    anchor = b'<c r="B2"><f t="shared" ref="B2:B9" si="0">A2*2</f><v>1</v></c>'
    child = b'<c r="B%d"><f t="shared" si="%s"/><v>5</v></c>'
    rows = {2: [anchor]} | {r: [child % (r, b"0")] for r in range(3, 10)}
    if case == "before":
        rows[1] = [child % (1, b"0")]  # (read cell by cell: no anchor yet, so its value)
    elif case == "twice":
        rows[12] = [b'<c r="B12"><f t="shared" ref="B12:B13" si="0">A12*3</f><v>1</v></c>', child % (13, b"0")]
    else:
        rows[11] = [child % (11, b"7")]
    data = HEAD + b"".join(b'<row r="%d">' % r + b"".join(x) + b"</row>" for r, x in sorted(rows.items())) + TAIL
    from sheetnet.engine import bulkformulas

    assert bulkformulas.shared_children(data, lambda *a: None) is None
    got, want = _read_shared(data, monkeypatch, True), _read_shared(data, monkeypatch, False)
    assert got == want and (1, 1, 8, "A2*2") in got[0]
