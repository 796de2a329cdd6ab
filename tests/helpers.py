"""Reading a generated workbook back for tests: formulas and cached values, cell by cell."""

import re
import zipfile

import openpyxl
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

from sheetnet.model.layout import FIRST_ROW, cell
from sheetnet.model.xlsx import numpy_cells as _model_cells


def formula_cells(path):
    """{sheet: {(row0, col0): formula text}} for every formula cell, array blocks' every cell included."""
    wb = openpyxl.load_workbook(path, data_only=False)
    out = {}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, ArrayFormula):
                    c0, r0, c1, r1 = range_boundaries(v.ref)
                    for r in range(r0, r1 + 1):
                        for cc in range(c0, c1 + 1):
                            cells[(r - 1, cc - 1)] = "{" + v.text + "}"
                elif c.data_type == "f":
                    cells[(c.row - 1, c.column - 1)] = v
        out[ws.title] = cells
    return out


def cached_values(path):
    """{sheet: {(row0, col0): value}} as stored in the file (what a viewer shows before recalculating)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    return {ws.title: {(c.row - 1, c.column - 1): c.value for row in ws.iter_rows() for c in row if c.value is not None}
            for ws in wb.worksheets}


def rewrite_parts(src, dst, edit):
    """Copy a zip package (xlsx, ods) with edit(part name, bytes) -> bytes applied to every part: XML
    a spreadsheet would not write, for the tests of what the engine and the grader do with it.
    dst may be src."""
    with zipfile.ZipFile(src) as zin:
        parts = [(item, zin.read(item.filename)) for item in zin.infolist()]
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item, data in parts:
            zout.writestr(item, edit(item.filename, data))
    return dst


def strip_cached_values(src, dst, poison=0):
    """Copy an xlsx, replacing every formula cell's cached <v> with `poison`."""
    rewrite_parts(src, dst, lambda name, data: _poison(data.decode(), poison).encode()
                  if name.startswith("xl/worksheets/sheet") else data)


def _poison(text, poison):
    blocks = [range_boundaries(ref) for ref in re.findall(r'<f t="array" ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"', text)]

    def in_block(ref):
        m = re.match(r"([A-Z]+)([0-9]+)", ref)
        col = openpyxl.utils.column_index_from_string(m.group(1))
        row = int(m.group(2))
        return any(c0 <= col <= c1 and r0 <= row <= r1 for c0, r0, c1, r1 in blocks)

    def fix(m):
        cell = m.group(0)
        if "<f" in cell or in_block(m.group(1)):
            return re.sub(r"<v>[^<]*</v>", f"<v>{poison}</v>", cell)
        return cell

    return re.sub(r'<c r="([A-Z]+[0-9]+)"[^>]*>(?:(?!</c>).)*</c>', fix, text)


def write_cells(ws, cells: dict):
    """{"A1": value or "=formula"} into an XlsxWriter worksheet (formulas with a cached 0)."""
    for ref, v in cells.items():
        if isinstance(v, str) and v.startswith("="):
            ws.write_formula(ref, v, None, 0)
        else:
            ws.write(ref, v)


def lesson_models_of(data, **kw):
    """The lesson's three model descriptions over a prepared data set."""
    from sheetnet.model.nets import lesson_models

    t = data.template
    return lesson_models(t.feature_names, t.target, [f.param_label for f in t.features], binary=data.binary, **kw)


def numpy_cells(res, data):
    """{sheet: {(row0, col0): value}}: what numpy says every formula cell must hold."""
    dl = res.data_layout
    out = {"data": {}}
    f0 = dl.feature_cols[0]
    for j, f in enumerate(data.template.features):
        for i in range(data.n):
            out["data"][(FIRST_ROW + i, f0 + j)] = data.X[i, j]
    for col, m in data.maxes.items():
        out["data"][(0, dl.source_col(col))] = m
    for m in res.models:
        out[m.name] = _model_cells(m, res.layouts[m.name], res.values[m.name], data.y)
    return out


def assert_recalculated_equal(lo, path, res, data, tol=1e-9, skip=()):
    """Every formula cell of the data and model sheets (not those in `skip`, which a test checks itself)."""
    formulas, cached, want = formula_cells(path), cached_values(path), numpy_cells(res, data)
    lo.load(path)
    checked = 0
    for sheet, cells in formulas.items():
        if not cells or sheet in skip:
            continue
        got = lo.values(sheet)
        assert set(cells) <= set(want[sheet]), f"{sheet}: formula cells numpy does not predict"
        for (r, c) in cells:
            w = want[sheet][(r, c)]
            assert isinstance(got[r][c], float), f"{sheet}!{cell(r, c)} = {got[r][c]!r}"
            assert abs(got[r][c] - w) <= tol * max(1.0, abs(w)), f"{sheet}!{cell(r, c)}: LibreOffice {got[r][c]} numpy {w}"
            assert abs(cached[sheet][(r, c)] - w) <= tol * max(1.0, abs(w)), f"{sheet}!{cell(r, c)} cached"
            checked += 1
    return checked




def lesson_fixtures(name: str, seed: int = 0):
    """Module fixtures (data, built) for a bundled lesson: its prepared data, and (path, BuildResult) of its
    workbook built once.  In a test module: data, built = lesson_fixtures("conv")."""
    import pytest

    from sheetnet.lessons.prepare import prepare
    from sheetnet.lessons.template import load_template
    from sheetnet.lessons.workbook import build_workbook

    @pytest.fixture(scope="module")
    def data():
        return prepare(load_template(name))

    @pytest.fixture(scope="module")
    def built(data, tmp_path_factory):
        p = tmp_path_factory.mktemp(name) / f"{name}.xlsx"
        return p, build_workbook(p, data, seed=seed)

    return data, built
