"""A sheet's usual formula cells read in bulk: a column of one formula dragged down becomes one run in a
few passes over the whole part, where reading them one by one cost about two microseconds a cell (a
conv lesson's 2,900 cells: 5.7 ms of its 15).

A formula continues the run above it (sheetnet.engine.sheetxml) exactly when it is the run's byte template
rendered at its row.  Here the cells are sorted by column and row once, and each run's template renders a
window of the rows below at once (one format string, mapped), compared with their texts at once; the window
doubles while they agree, so a run costs about its length and a column of unlike formulas one template a
cell, as one by one.

The usual cells are `<c r="B7" s="3" t="str"><f>...</f><v>...</v></c>` with `<f aca="false">`
(LibreOffice), `<f ca="1">` (Excel's mark of a volatile formula), `<f t="array" ref="B7">` (a one-cell
{=...}, as Excel and XlsxWriter write it) or `<f t="array" ref="B7:F7">` (over several cells; Excel adds
aca="1" and ca="1" where it is volatile) as the formula; every other cell stays in the text returned, for
the cell-by-cell reading.
"""

from __future__ import annotations

import re

import numpy as np

from .address import a1, col_index
from .bulkcells import cells_at, cut_at
from .sheetdata import MAX_FORMULA, ArrayFormula, Run
from .template import ByteTemplate
from .xmlvalues import unescape

_FORMULA = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="[0-9]{1,9}")?(?: t="([a-z]{1,9})")?>'
                      rb'<f( t="array" ref="\1\2"| t="array"(?: aca="[01]")? ref="\1\2:([A-Z]{1,3})([1-9][0-9]{0,6})"'
                      rb'(?: ca="1")?| aca="false"| ca="1")?>([^<]{1,8192})</f>(?:<v>([^<]*)</v>)?</c>')
_GROUPS = 9  # the split's parts a cell: the text before it, and its eight groups
_FIRST_WINDOW = 8
_WHOLE = 32  # a chain this long or shorter is compared in one window


class Formulas:
    """The usual formula cells of a part: `plain` and `arrays` are runs (col, r0, k, raw bytes of the first);
    `boxes`: the array formulas over several cells, (r0, c0, r1, c1, raw bytes) each; rows, cols, types, values:
    each cell's, for its cached value; `rest`: the part without them, `cuts`: where in it they were."""

    __slots__ = ("plain", "arrays", "boxes", "rows", "cols", "types", "values", "rest", "cuts")


def formula_runs(data: bytes, place) -> Formulas | None:
    """The part's usual formula cells as runs, or None where it has none.  place(r, c, ref) refuses a cell
    beyond the sheet (called for the largest row and column)."""
    parts = _FORMULA.split(data)
    n = len(parts) // _GROUPS
    if not n:
        return None
    kinds, ends, raws = parts[4::_GROUPS], parts[5::_GROUPS], parts[7::_GROUPS]
    rows, cols = cells_at(parts[1::_GROUPS], parts[2::_GROUPS], place)
    arrays = np.zeros(n, np.int8)  # 0 plain, 1 a one-cell array, 2 an array over several cells
    arrays[[i for i, k in enumerate(kinds) if k is not None and k[1] == 116]] = 1  # (116: the t of t="array")
    boxed = [i for i, e in enumerate(ends) if e is not None]
    arrays[boxed] = 2
    out = Formulas()
    out.boxes = _boxes(boxed, rows, cols, parts, place)

    order = np.lexsort((rows, cols, arrays))  # by kind, column and row
    order = order[:n - len(boxed)]  # (the boxes: each its own)
    r, c, a = rows[order], cols[order], arrays[order]
    near = np.zeros(len(order), bool)  # cell i (in this order) is just below cell i-1, formulas of one kind
    near[1:] = (a[1:] == a[:-1]) & (c[1:] == c[:-1]) & (r[1:] == r[:-1] + 1)
    texts = list(map(raws.__getitem__, order.tolist()))
    row_list = r.tolist()
    out.plain, out.arrays = [], []
    starts = np.flatnonzero(~near).tolist()
    for b, e in zip(starts, starts[1:] + [len(order)]):  # each chain of cells one below the other
        i = b
        while i < e:
            j = _run_end(texts, row_list, i, e)
            (out.arrays if a[i] else out.plain).append((int(c[i]), row_list[i], j - i, texts[i]))
            i = j
    out.rows, out.cols = rows, cols
    out.types, out.values = parts[3::_GROUPS], parts[8::_GROUPS]
    between = parts[0::_GROUPS]
    out.rest, out.cuts = b"".join(between), cut_at(between, n)
    return out


def _boxes(boxed: list, rows, cols, parts: list, place) -> list:
    """The array formulas over several cells (cells `boxed` of the split): (r0, c0, r1, c1, raw) each, their box as
    its ref says; place() is called for the largest far corner, as the cell-by-cell reading places each."""
    out = []
    for i in boxed:
        g = i * _GROUPS
        out.append((int(rows[i]), int(cols[i]), int(parts[g + 6]) - 1, col_index(parts[g + 5]), parts[g + 7]))
    for j in (2, 3) if out else ():
        far = max(out, key=lambda b: b[j])
        place(far[2], far[3], f"{a1(far[0], far[1])}:{a1(far[2], far[3])}")
    return out


def _run_end(texts: list, rows: list, i: int, e: int) -> int:
    """The end of the run that begins at cell i of a chain ending at e: the first cell below that is not the
    template of cell i rendered at its row."""
    if i + 1 == e:
        return e
    tpl = ByteTemplate(texts[i], rows[i])
    if tpl.render(rows[i + 1]) != texts[i + 1]:
        return i + 1
    j = i + 2
    width = e - j if e - j <= _WHOLE else _FIRST_WINDOW  # (a short chain at once: a few rows' waste at most)
    while j < e:
        hi = min(e, j + width)
        same = list(map(bytes.__eq__, tpl.render_rows(rows[j], hi - j), texts[j:hi]))
        if False in same:
            return j + same.index(False)
        j, width = hi, width * 2
    return e


def put_formulas(fs: Formulas, b) -> set:
    """The runs read in bulk into the sheet being read (b: sheetxml's builder), and their cells' cached values
    where wanted; the ids of the runs."""
    sd = b.sd
    runs = [Run(c, r0, k, unescape(raw)) for c, r0, k, raw in fs.plain]
    sd.runs += runs
    sd.arrays += [ArrayFormula(r0, c, (r0, c, r0, c), unescape(raw), False, k) for c, r0, k, raw in fs.arrays]
    sd.arrays += [ArrayFormula(r0, c0, (r0, c0, r1, c1), unescape(raw)) for r0, c0, r1, c1, raw in fs.boxes]
    if sd.cached is not None:
        want = b.want
        for r, c, t, v in zip(fs.rows.tolist(), fs.cols.tolist(), fs.types, fs.values):
            if v is not None and (want is None or (r, c) in want):
                sd.cached[(r, c)] = b.value_or_refusal(None if t is None else t.decode(), v, r, c)
    return {id(run) for run in runs}


def joined(runs: list, readings: dict) -> list:
    """The runs with runs read differently (in bulk, {id: which bulk reading}, or cell by cell) one just below
    the other in a column (an Excel shared formula below a first cell typed plain) joined where the lower's text
    is the upper's template at its row, as one reading of them all would have made them one run.  (Two runs
    read the same way, one below the other, are two: that reading found the lower no row of the upper.)"""
    runs.sort(key=lambda run: (run.col, run.r0))
    out: list = []
    mixed: set = set()  # the runs joined from two readings
    for run in runs:
        up = out[-1] if out else None
        if up is not None and up.col == run.col and up.r0 + up.k == run.r0 and \
                (id(up) in mixed or readings.get(id(up)) != readings.get(id(run))) and \
                up.tpl.render(run.r0) == run.text:
            up.k += run.k
            mixed.add(id(up))
        else:
            out.append(run)
    out.sort(key=lambda run: (run.r0, run.col))
    return out


_CHILD = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="[0-9]{1,9}")?(?: t="([a-z]{1,9})")?>'
                    rb'<f t="shared"(?: ca="1")? si="([0-9]{1,9})"/>(?:<v>([^<]*)</v>)?</c>')  # (ca: Excel's "volatile")
_ANCHOR = re.compile(rb'<f\s[^>/]*\bt="shared"[^>/]*>(?=[^<])')  # a shared formula's first cell, with its text
_SI = re.compile(rb'\bsi="([^"]*)"')


class Children:
    """A shared formula's other cells (`<f t="shared" si="0"/>`): rows, cols, types, sis, values by cell, in the
    part's order; `rest`: the part without them, `cuts`: where in it they were."""

    __slots__ = ("rows", "cols", "types", "sis", "values", "rest", "cuts")


def shared_children(data: bytes, place) -> Children | None:
    """The part's shared formulas' other cells, split out; None where it has none, or where any of them might
    read otherwise than cell by cell: a formula's first cell (its anchor) written twice or not before its cells,
    or a cell with no anchor.  place(r, c, ref): as formula_runs."""
    parts = _CHILD.split(data)
    n = len(parts) // 6
    if not n:
        return None
    texts, sis = parts[0::6], parts[4::6]
    rest = b"".join(texts)
    anchors: dict = {}  # si -> where its anchor is in the rest
    for m in _ANCHOR.finditer(rest):
        si = _SI.search(m.group(0))
        if si is None or si.group(1) in anchors:
            return None
        anchors[si.group(1)] = m.start()
    at = cut_at(texts, n)
    first = dict(zip(reversed(sis), range(n - 1, -1, -1)))  # si -> its first cell, in the part's order
    for si, i in first.items():
        if si not in anchors or anchors[si] >= at[i]:
            return None
    out = Children()
    out.rows, out.cols = cells_at(parts[1::6], parts[2::6], place)
    out.types, out.sis, out.values, out.rest, out.cuts = parts[3::6], [si.decode() for si in sis], parts[5::6], rest, at
    return out


def put_shared(ch: Children, b) -> list:
    """The shared formulas' other cells as runs, once the cell-by-cell reading has read their anchors (b:
    sheetxml's builder): what reading them cell by cell makes, each stretch of one formula down a column taken
    at once where its template is its run's.  The ids of the runs."""
    sd, runs = b.sd, []
    order = np.lexsort((ch.rows, ch.cols)).tolist()
    rows, cols = ch.rows.tolist(), ch.cols.tolist()
    i, n = 0, len(order)
    while i < n:  # each stretch: one column, one formula, rows one below the other
        a = order[i]
        c, r0, si = cols[a], rows[a], ch.sis[a]
        j = i + 1
        while j < n and cols[order[j]] == c and rows[order[j]] == r0 + (j - i) and ch.sis[order[j]] == si:
            j += 1
        if j - i == 1:  # one cell (a formula shared across a row): its text, and no template for its column
            text = b.shared_text(si, r0, c)
            if len(text) > MAX_FORMULA:
                b.formula_cell(r0, c, a1(r0, c), text, None)  # refuses it, by name
            _join(runs, c, r0, text)
            i = j
            continue
        tpl = b.shared_template(si, c)
        if len(tpl.render(r0 + j - i - 1)) > MAX_FORMULA:  # (the longest is the last: rows only gain digits)
            for r in range(r0, r0 + j - i):
                b.formula_cell(r, c, a1(r, c), tpl.render(r), None)  # refuses the first too long, by name
        _stretch(runs, c, r0, r0 + j - i, tpl)
        i = j
    sd.runs += runs
    if sd.cached is not None:
        want = b.want
        for r, c, t, v in zip(rows, cols, ch.types, ch.values):
            if v is not None and (want is None or (r, c) in want):
                sd.cached[(r, c)] = b.value_or_refusal(None if t is None else t.decode(), v, r, c)
    return [id(run) for run in runs]


def _stretch(runs: list, c: int, r: int, end: int, tpl):
    """Rows r..end-1 of column c, each the template's text at its row, into the runs as reading them one by one
    does (a row joins the run just above where its text is that run's template at its row): at once where the
    run's template is this one."""
    while r < end:
        up = runs[-1] if runs else None
        if up is not None and up.col == c and up.r0 + up.k == r and up.tpl.key == tpl.key:
            up.k += end - r  # (every row left is the run's template at its row)
            return
        _join(runs, c, r, tpl.render(r))
        r += 1


def _join(runs: list, c: int, r: int, text: str):
    """Row r of column c, holding text, into the runs: the run just above it where text is its template at r,
    else a run of its own."""
    up = runs[-1] if runs else None
    if up is not None and up.col == c and up.r0 + up.k == r and up.tpl.render(r) == text:
        up.k += 1
    else:
        runs.append(Run(c, r, 1, text))
