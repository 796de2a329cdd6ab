"""The formula engine against numpy and against LibreOffice, the engine of record."""

import os
import re
import zipfile

import numpy as np
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings

from sheetnet.crosscheck.libreoffice import ERROR_CODES
from sheetnet.engine import Engine, ErrorCode
from sheetnet.errors import SheetnetError
from sheetnet.lessons.workbook import build_workbook

from .. import formula_gen as G
from ..helpers import numpy_cells, rewrite_parts, write_cells


@pytest.fixture(scope="module")
def lesson(tmp_path_factory, titanic):
    p = tmp_path_factory.mktemp("eng") / "titanic.xlsx"
    return p, build_workbook(p, titanic, seed=0)


def close(a, b, rel=1e-12, floor=1e-15):
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), floor)


def same(engine_value, lo_value, lo_error):
    """Engine value vs LibreOffice's (booleans come through UNO as 1/0)."""
    if lo_error is not None:
        return isinstance(engine_value, ErrorCode) and str(engine_value) == ERROR_CODES.get(lo_error, lo_error)
    if isinstance(engine_value, ErrorCode):
        return False
    if isinstance(lo_value, str):
        return engine_value == lo_value
    if engine_value is None:
        return lo_value == 0.0
    return close(float(engine_value), float(lo_value))


def test_lesson_workbook_matches_numpy(lesson, titanic):
    p, res = lesson
    eng = Engine.load(p)
    want = numpy_cells(res, titanic)
    n = 0
    for (sheet, r, c) in eng.formula_cells():
        got = eng.grids[eng.index[sheet]].value(r, c)
        assert close(got, want[sheet][(r, c)]), (sheet, r, c, got, want[sheet][(r, c)])
        n += 1
    assert n == 17095


def test_lesson_workbook_matches_libreoffice(lo, lesson):
    p, _ = lesson
    eng = Engine.load(p)
    lo.load(p)
    for sheet in ("data", "linear", "nnet", "mmult"):
        got = lo.values(sheet)
        for (s, r, c) in eng.formula_cells():
            if s == sheet:
                assert close(eng.grids[eng.index[s]].value(r, c), got[r][c], rel=1e-12)


def test_workbook_saved_by_libreoffice(lo, lesson, tmp_path):
    """LibreOffice's own xlsx (its shared strings, its formula spelling) evaluates the same, every cell."""
    p, res = lesson
    saved = tmp_path / "by_lo.xlsx"
    lo.load(p)
    lo.set("nnet", {"J4": 0.3, "K5": -0.2})
    lo.calc()
    lo.save(saved)
    eng = Engine.load(saved)
    lo.load(saved)
    n = 0
    for sheet in ("data", "linear", "nnet", "mmult"):
        got = lo.values(sheet)
        for (s, r, c) in eng.formula_cells():
            if s == sheet:
                assert close(eng.grids[eng.index[s]].value(r, c), got[r][c]), (s, r, c)
                n += 1
    assert n == 17095
    assert eng.get("nnet!B1") != res.values["nnet"]["loss"]  # the edit is seen


def test_recompute_after_a_change_equals_a_fresh_evaluation(lesson, tmp_path, titanic):
    p, res = lesson
    eng = Engine.load(p)
    eng.set({"nnet!J4": 0.3, "nnet!S5": -0.4, "linear!F4": 1.5})
    W = res.params["nnet"].reshape(2, 10).copy()
    W[0, 0], W[1, 9] = 0.3, -0.4
    assert eng.get("nnet!B1") == pytest.approx(res.models[1].loss(titanic.X, titanic.y, W.ravel()), rel=1e-13)
    assert eng.get("mmult!B1") == pytest.approx(res.values["mmult"]["loss"], rel=1e-15)  # untouched
    params = {"nnet": W.ravel(), "linear": res.params["linear"].copy()}
    params["linear"][0] = 1.5
    fresh = Engine.load(build_workbook(tmp_path / "f.xlsx", titanic, seed=0, params=params).path)
    for sheet in ("linear", "nnet"):
        assert eng.get(f"{sheet}!A4:G715") == fresh.get(f"{sheet}!A4:G715")


def _random_book(path, formulas, numbers, texts):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("in")
    for i, x in enumerate(numbers):
        ws.write_number(i % 4, i // 4, x)
    for i, t in enumerate(texts):
        ws.write_string(i, 3, t)
    ws.write_boolean(0, 6, True)
    ws.write_boolean(1, 6, False)
    f = wb.add_worksheet("f")
    for i, text in enumerate(formulas):
        f.write_formula(i, 0, text, None, 0)
    wb.close()


# the same 40 examples on every run (CI stays deterministic); SHEETNET_FUZZ_EXAMPLES=N explores afresh
@settings(max_examples=int(os.environ.get("SHEETNET_FUZZ_EXAMPLES", "40")), deadline=None, database=None,
          derandomize="SHEETNET_FUZZ_EXAMPLES" not in os.environ,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(formulas=G.st.lists(G.formulas, min_size=25, max_size=25), numbers=G.inputs, texts=G.texts)
def test_random_formulas_match_libreoffice(lo, tmp_path, formulas, numbers, texts):
    path = tmp_path / "random.xlsx"
    _random_book(path, formulas, numbers, texts)
    eng = Engine.load(path)
    lo.load(path)
    n = len(formulas)
    vals, errs = lo.values("f", f"A1:A{n}"), lo.errors("f", f"A1:A{n}")
    for i, text in enumerate(formulas):
        mine = eng.get(f"f!A{i + 1}")
        assert same(mine, vals[i][0], errs.get((i, 0))), \
            f"{text}\n  inputs {numbers} {texts}\n  engine {mine!r}  LibreOffice {vals[i][0]!r} error {errs.get((i, 0))}"


def test_excel_style_lesson_gives_the_same_losses(lesson, titanic, tmp_path, lo):
    from .. import excel_style

    p, res = lesson
    path = tmp_path / "by_hand.xlsx"
    excel_style.build(path, titanic, res.params["linear"].reshape(1, 10), res.params["nnet"].reshape(2, 10))
    eng = Engine.load(path)
    want = [res.values[m]["loss"] for m in ("linear", "nnet", "mmult")]
    got = eng.get("loss!A2:C2")[0]
    for g, w in zip(got, want):
        assert g == pytest.approx(w, rel=1e-12)
    # and LibreOffice agrees with the engine on the hand-built layout
    lo.load(path)
    for g, l in zip(got, lo.values("loss", "A2:C2")[0]):
        assert close(g, l)
    # a change on the params sheet reaches the losses on the loss sheet through the table
    eng.set({"params!B5": 0.3, "params!B9": 0.3})
    W = res.params["nnet"].copy()
    W[0] = 0.3
    want_net = res.models[1].loss(titanic.X, titanic.y, W)
    assert eng.get("loss!B2") == pytest.approx(want_net, rel=1e-12)
    assert eng.get("loss!C2") == pytest.approx(want_net, rel=1e-12)


@pytest.mark.parametrize("sheet, block, kind", [("linear", "F4:O4", "linear"), ("nnet", "J4:S5", "nnet"),
                                                ("mmult", "J4:K13", "mmult")])
def test_gradient_path_is_exact(lesson, titanic, sheet, block, kind):
    from sheetnet.engine.grad import Differentiable

    p, res = lesson
    eng = Engine.load(p, inputs=[f"{sheet}!{block}"])
    f = Differentiable(eng, [f"{sheet}!{block}"], [f"{sheet}!B1"])
    rng = np.random.default_rng(1)
    x = rng.uniform(-0.5, 0.5, 20 if kind != "linear" else 10)
    value, grad = f.value_and_grad(x)
    m = next(m for m in res.models if m.name == kind)
    W = x.reshape(10, 2).T.ravel() if kind == "mmult" else x  # the mmult block is features x hidden
    loss, gW = m.loss_and_grad(titanic.X, titanic.y, W)
    assert value == pytest.approx(loss, rel=1e-13)
    np.testing.assert_allclose(grad, gW.reshape(2, 10).T.ravel() if kind == "mmult" else gW, rtol=1e-12, atol=1e-15)


def test_gradient_through_tables_and_sheets_matches_finite_differences(lesson, titanic, tmp_path):
    from sheetnet.engine.grad import Differentiable

    from .. import excel_style

    p, res = lesson
    path = tmp_path / "by_hand.xlsx"
    excel_style.build(path, titanic, res.params["linear"].reshape(1, 10), res.params["nnet"].reshape(2, 10))
    eng = Engine.load(path)
    f = Differentiable(eng, ["params!B5:K6"], ["loss!B2"])
    x = res.params["nnet"].ravel()
    value, grad = f.value_and_grad(x)
    assert value == pytest.approx(res.values["nnet"]["loss"], rel=1e-12)
    h = 1e-6
    for j in (0, 3, 9, 12, 19):
        cell = f"params!{'BCDEFGHIJK'[j % 10]}{5 + j // 10}"
        eng.set({cell: x[j] + h})
        up = eng.get("loss!B2")
        eng.set({cell: x[j] - h})
        down = eng.get("loss!B2")
        eng.set({cell: x[j]})
        assert grad[j] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9)


CONSTANT_ERRORS = ["=1/0", "=LN(0)", "=SQRT(-1)", "=LOG10(0)", "=1/0+1", "=IFERROR(1/0,7)", "=ISERROR(1/0)",
                   "=-1/0", "=EXP(1000)*0", "=10/(5-5)", "=ASIN(2)", "=SUM(1,1/0)", "=IF(TRUE,1,1/0)",
                   "=ISERR(LN(0))", "=2*LN(0)"]


def test_a_constant_error_is_the_error_value_in_its_cell(lo, tmp_path):
    """A stray =1/0 is #DIV/0! in its cell (as LibreOffice and Excel give), not a refused workbook."""
    path = tmp_path / "constant.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("f")
    for i, text in enumerate(CONSTANT_ERRORS):
        ws.write_formula(i, 0, text, None, 0)
        ws.write_formula(i, 1, f"=A{i + 1}", None, 0)  # and a cell that reads it
    ws.write_number(0, 2, 3.0)
    ws.write_formula(1, 2, "=C1*2", None, 0)  # an unrelated cell still computes
    wb.close()
    eng = Engine.load(path)
    lo.load(path)
    n = len(CONSTANT_ERRORS)
    vals, errs = lo.values("f", f"A1:B{n}"), lo.errors("f", f"A1:B{n}")
    for i, text in enumerate(CONSTANT_ERRORS):
        for j, col in enumerate("AB"):
            mine = eng.get(f"f!{col}{i + 1}")
            assert same(mine, vals[i][j], errs.get((i, j))), f"{text}: engine {mine!r} LibreOffice {vals[i][j]!r} " \
                                                           f"{errs.get((i, j))}"
    assert eng.get("f!C2") == 6.0


def _dynamic_book(path):
    """The issue's cases: OFFSET/INDIRECT reading formula cells that the static order does not know of."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_formula("A1", "=MAX(A3:A5)", None, 0)
    for i, v in enumerate([2, 4, 8]):
        r = 3 + i
        ws.write_number(f"A{r}", v)
        ws.write_formula(f"B{r}", f"=A{r}/$A$1", None, 0)
        ws.write_formula(f"C{r}", "=OFFSET($B$1,ROW()-1,0)", None, 0)
        ws.write_formula(f"D{r}", '=INDIRECT("B"&ROW())', None, 0)
        ws.write_formula(f"E{r}", "=SUM(OFFSET($B$3,0,0,ROW()-2,1))", None, 0)
    t = wb.add_worksheet("T")
    t.write_number("A4", 10)
    t.write_formula("B4", "=A4+1", None, 0)
    t.write_formula("C4", "=B4+1", None, 0)
    t.write_formula("A1", "=C4", None, 0)
    t.write_formula("B8", '=INDIRECT("A1")', None, 0)
    t.write_formula("B9", '=SUM(INDIRECT("A1"))', None, 0)
    t.write_formula("B10", '=INDIRECT("S!B5")*2', None, 0)
    t.write_formula("B11", "=SUMPRODUCT(OFFSET(S!$A$1,2,0,3,1),INDIRECT(\"S!B3:B5\"))", None, 0)
    # a model sheet: Linear by SUMPRODUCT of OFFSET rows and INDIRECT params, the features themselves formulas
    m = wb.add_worksheet("m")
    for r in range(4, 9):
        m.write_number(f"A{r}", r * 1.5)
        m.write_formula(f"B{r}", f"=A{r}/$A$1", None, 0)
        m.write_formula(f"C{r}", f"=LOG10(A{r}+1)", None, 0)
        m.write_formula(f"E{r}", '=SUMPRODUCT(OFFSET($B$1,ROW()-1,0,1,2),INDIRECT("m!$G$4:$H$4"))', None, 0)
    m.write_formula("A1", "=MAX(A4:A8)", None, 0)
    m.write_formula("G4", "=0.5+0", None, 0)
    m.write_formula("H4", "=-0.25*1", None, 0)
    wb.close()


def test_dynamic_references_read_cells_only_once_they_are_final(lo, tmp_path):
    path = tmp_path / "dynamic.xlsx"
    _dynamic_book(path)
    eng = Engine.load(path)
    lo.load(path)
    cells = {"S": ["A1"] + [f"{c}{r}" for r in (3, 4, 5) for c in "BCDE"],
             "T": ["A1", "B8", "B9", "B10", "B11"],
             "m": [f"{c}{r}" for r in range(4, 9) for c in "BCE"]}
    for sheet, refs in cells.items():
        vals = lo.values(sheet, "A1:H11")
        for ref in refs:
            r, c = int(ref[1:]) - 1, ord(ref[0]) - 65
            mine = eng.get(f"{sheet}!{ref}")
            assert not isinstance(mine, ErrorCode) and close(float(mine), float(vals[r][c])), (sheet, ref, mine,
                                                                                              vals[r][c])
    assert eng.get("S!C4") == 0.5 and eng.get("T!B8") == 12.0
    # a change reaches them too
    eng.set({"A5": 16.0}, sheet="S")
    assert eng.get("S!C3") == 0.125 and eng.get("S!D5") == 1.0


def test_a_reference_made_at_run_time_to_its_own_cells_is_refused(tmp_path):
    path = tmp_path / "self.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_formula("E1", '=INDIRECT("E1")+1', None, 0)
    ws.write_number("C2", 1)
    wb.close()
    with pytest.raises(SheetnetError, match=r"S!E1: circular reference"):
        Engine.load(path)


def test_references_of_different_sizes_per_cell_are_each_cell_s_own(lo, tmp_path):
    """One run of formulas whose OFFSET, INDEX, CHOOSE or XLOOKUP gives each cell a range of its own
    size: every cell sums its own range (not the first cell's size, not a top-left value)."""
    path = tmp_path / "ragged.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for r in range(1, 7):
        ws.write_number(f"A{r}", r * r)
        ws.write_number(f"B{r}", 10 * r)
    for r in range(1, 5):
        ws.write_formula(f"D{r}", "=SUM(OFFSET($A$1,0,0,ROW(),1))", None, 0)
        ws.write_formula(f"E{r}", "=SUM(CHOOSE(ROW(),$A$1:$A$2,$A$1:$A$3,$A$1:$B$1,$B$1:$B$6))", None, 0)
        ws.write_formula(f"F{r}", "=SUM(INDEX($A$1:$B$6,0,MOD(ROW(),2)+1))+SUM(INDEX($A$1:$B$6,ROW(),0))", None, 0)
        ws.write_formula(f"G{r}", "=COUNT(OFFSET($A$1,ROW()-1,0,7-ROW(),2))", None, 0)
    wb.close()
    eng = Engine.load(path)
    lo.load(path)
    vals = lo.values("S", "A1:G4")
    for r in range(4):
        for c in "DEFG":
            mine, want = eng.get(f"S!{c}{r + 1}"), vals[r][ord(c) - 65]
            assert not isinstance(mine, ErrorCode) and close(float(mine), float(want)), (c, r + 1, mine, want)
    assert [eng.get(f"S!D{r}") for r in range(1, 5)] == [1.0, 5.0, 14.0, 30.0]


def test_sumif_resizes_and_arrays_skip_text(lo, tmp_path):
    """SUMIF(I1:I4,"a",H1) sums H1:H4 (the sum range resized from its top-left, its formula cells
    computed first); AVERAGE and SMALL skip text and booleans inside arrays as inside ranges."""
    path = tmp_path / "sumif.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for r, i in enumerate(["a", "b", "a", "a"], start=1):
        ws.write_formula(f"H{r}", "=ROW()*10", None, 0)
        ws.write_string(f"I{r}", i)
        ws.write_formula(f"K{r}", f"=SUMIF($I$1:$I$4,I{r},H$1)", None, 0)
        ws.write_formula(f"N{r}", f'=AVERAGEIF(I{r}:I4,"a",H{r})', None, 0)
    ws.write_formula("J1", '=SUMIF(I1:I4,"a",H1)', None, 0)
    ws.write_formula("J2", '=AVERAGEIF(I1:I4,"a",H1)', None, 0)
    ws.write_formula("J3", '=SUMIF(I1:I4,"a",H2:H2)', None, 0)
    for r, v in enumerate([10, 5, 3, -1], start=1):
        ws.write_number(f"L{r}", v)
    ws.write_array_formula("M1:M1", '{=AVERAGE(IF(L1:L4>0,L1:L4,""))}', None, 0)
    ws.write_formula("M2", '=SMALL({1,"-1"},1)', None, 0)
    ws.write_formula("M3", '=SUM({1,"2",TRUE,4})', None, 0)
    ws.write_array_formula("M4:M4", '{=MAX(IF(L1:L4<4,L1:L4,"no"))}', None, 0)
    wb.close()
    eng = Engine.load(path)
    lo.load(path)
    vals = lo.values("S", "H1:N4")
    for ref in ("J1", "J2", "J3", "K1", "K2", "K3", "K4", "M1", "M2", "M4", "N1", "N2", "N3", "N4"):
        r, c = int(ref[1:]) - 1, ord(ref[0]) - ord("H")
        mine = eng.get(f"S!{ref}")
        assert not isinstance(mine, ErrorCode) and close(float(mine), float(vals[r][c])), (ref, mine, vals[r][c])
    assert (eng.get("S!J1"), eng.get("S!M1"), eng.get("S!M2")) == (80.0, 6.0, 1.0)
    assert eng.get("S!M3") == 5.0  # Excel skips the text and TRUE in an array (LibreOffice counts TRUE: 6)


def _names_book(path):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Worksheet")
    other = wb.add_worksheet("Other")
    for r in range(1, 9):
        ws.write_number(f"A{r}", r)
        ws.write_number(f"B{r}", r * 10)
        ws.write_number(f"C{r}", r * 100)
    wb.define_name("HOURS_PER_DAY", "=Worksheet!$B1")  # relative row: the row of the cell using it
    wb.define_name("COLUMN_DATA", "=Worksheet!A$4:A$8")  # relative column: the column using it
    wb.define_name("FIRST", "=Worksheet!$A$2")
    wb.define_name("SECOND", "=Worksheet!$A$3")
    wb.define_name("PRODUCT_NAME", "=FIRST*SECOND")  # a name whose value is a formula
    wb.define_name("Worksheet!local_thing", "=Worksheet!$C$1:$C$3")  # sheet-local, the same name twice
    wb.define_name("Other!local_thing", "=Other!$A$1")
    ws.write_formula("E5", "=HOURS_PER_DAY", None, 0)
    ws.write_formula("C10", "=SUM(COLUMN_DATA)", None, 0)
    ws.write_formula("D10", "=SUM(COLUMN_DATA)", None, 0)
    ws.write_formula("E1", "=PRODUCT_NAME", None, 0)
    ws.write_formula("E2", "=SUM(local_thing)", None, 0)
    for r in range(1, 4):
        ws.write_formula(f"G{r}", "=HOURS_PER_DAY*2", None, 0)
    other.write_number("A1", 7)
    other.write_formula("B1", "=local_thing*2", None, 0)
    ws.add_table("I1:J4", {"name": "Table1", "columns": [{"header": "x"}, {"header": "y"}],
                           "data": [[1, 2], [3, 4], [5, 6]]})
    ws.write_formula("E3", '=SUM(INDIRECT("Table1"))', None, 0)
    ws.write_formula("E4", '=SUM(INDIRECT("Table1[y]"))+SUM(Table1[x])', None, 0)
    wb.close()


NAME_CELLS = {"Worksheet": ["E1", "E2", "E3", "E4", "E5", "C10", "D10", "G1", "G2", "G3"], "Other": ["B1"]}


def test_defined_names_mean_what_excel_and_libreoffice_mean(lo, tmp_path):
    """Relative names move with the cell that uses them, sheet-local names win on their sheet, names
    may be formulas, a table's name is its data; the same in LibreOffice's own .ods of the workbook,
    also when its names are stored relative to another base cell."""
    path = tmp_path / "names.xlsx"
    _names_book(path)
    lo.load(path)
    want = {s: lo.values(s, "A1:J10") for s in NAME_CELLS}
    ods = tmp_path / "names.ods"
    lo.save(ods, "calc8")
    moved = tmp_path / "moved.ods"  # HOURS_PER_DAY stored relative to A3: $B3 there is $B1 here
    old = b'table:name="HOURS_PER_DAY" table:base-cell-address="$Worksheet.$A$1" ' \
          b'table:cell-range-address="$Worksheet.$B1"'
    assert old in zipfile.ZipFile(ods).read("content.xml")
    rewrite_parts(ods, moved, lambda name, data: data.replace(old, old.replace(b"$A$1", b"$A$3").replace(
        b".$B1", b".$B3")) if name == "content.xml" else data)
    for book in (path, ods, moved):
        eng = Engine.load(book)
        for s, refs in NAME_CELLS.items():
            for ref in refs:
                r, c = int(ref[1:]) - 1, ord(ref[0]) - 65
                mine = eng.get(f"{s}!{ref}")
                assert not isinstance(mine, ErrorCode) and close(float(mine), float(want[s][r][c])), \
                    (book.name, s, ref, mine, want[s][r][c])
    assert eng.get("Worksheet!E5") == 50.0 and eng.get("Worksheet!C10") == 3000.0 and eng.get("Worksheet!E3") == 21.0


def test_dates_and_text_as_excel_shows_them(lo, tmp_path):
    """Serial 0 is 1900-01-00 and 60 is 1900-02-29 in Excel (LibreOffice counts from 1899-12-30 and has
    no 1900-02-29: these are Excel's values); the rest as LibreOffice gives."""
    path = tmp_path / "dates.xlsx"
    excel = {"=DAY(0)": 0.0, "=MONTH(0)": 1.0, "=YEAR(0)": 1900.0, '=TEXT(60,"yyyy-mm-dd")': "1900-02-29",
             '=TEXT(0,"yyyy-mm-dd")': "1900-01-00", '=TEXT(61,"dddd d mmmm")': "Thursday 1 March",
             '=TEXT(1,"ddd")': "Sun", "=DATE(1900,2,29)": 60.0, "=EOMONTH(-1,0)": ErrorCode("#NUM!"),
             "=XMATCH(2,B40:B42,5)": ErrorCode("#VALUE!")}  # (LibreOffice 7.4 has no XMATCH)
    same_as_lo = ['=SEARCH("a","banana",3)', '=FIND("a","banana",3)', '=SEARCH("a","banana",9)',
                  '=FIND("n","banana",0)', '=SWITCH(1/0,1,"a","b")', '=SWITCH(2,1,"a")', '=EOMONTH("x",0)',
                  "=MATCH(5,B40:B44,0)", '=MATCH("b",C40:C42,0)']
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    texts = list(excel) + same_as_lo + ["=FORMULATEXT(A30)"]
    for i, text in enumerate(texts):
        ws.write_formula(i, 0, text, None, 0)
    ws.write_formula("A30", "=_xlfn.XLOOKUP(1,B40:B42,B40:B42)", None, 0)
    for i in range(5):
        ws.write_number(39 + i, 1, i + 1)
    for i, t in enumerate("abc"):
        ws.write_string(39 + i, 2, t)
    wb.close()
    eng = Engine.load(path)
    for i, (text, want) in enumerate(excel.items()):
        assert eng.get(f"S!A{i + 1}") == want, text
    lo.load(path)
    n = len(texts)
    vals, errs = lo.values("S", f"A1:A{n}"), lo.errors("S", f"A1:A{n}")
    for i in range(len(excel), len(excel) + len(same_as_lo)):
        assert same(eng.get(f"S!A{i + 1}"), vals[i][0], errs.get((i, 0))), texts[i]
    assert eng.get(f"S!A{n}") == "=XLOOKUP(1,B40:B42,B40:B42)"  # as Excel shows it, no _xlfn.


def test_what_the_engine_cannot_mean_is_refused_with_the_cell(tmp_path):
    path = tmp_path / "regex.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_formula("A1", '=XMATCH("a.*",B1:B3,3)', None, 0)  # a regular expression: not implemented
    wb.close()
    with pytest.raises(SheetnetError, match=r"S!A1: match mode 3 \(regular expressions\) is not supported"):
        Engine.load(path)
    bogus = rewrite_parts(path, tmp_path / "bogus.xlsx", lambda name, data: re.sub(
        rb'<c r="A1"[^>]*>.*?</c>', b'<c r="A1" t="e"><v>#BOGUS!</v></c>', data)
        if name == "xl/worksheets/sheet1.xml" else data)
    with pytest.raises(SheetnetError, match=r"sheet S, cell A1: holds the error value '#BOGUS!'"):
        Engine.load(bogus)


def _iterative_book(path, cells, count=100, delta=0.001):
    """A workbook with Excel's iterative calculation switched on (calcPr iterate, as Excel stores it)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    write_cells(ws, cells)
    wb.close()
    on = f' iterate="1" iterateCount="{count}" iterateDelta="{delta}"'.encode()
    return rewrite_parts(path, path, lambda name, data: re.sub(
        rb"<calcPr([^/]*)/>", lambda m: b"<calcPr" + m.group(1) + on + b"/>", data)
        if name == "xl/workbook.xml" else data)


def test_iterative_calculation(lo, tmp_path):
    """With iterations on, a cycle is iterated: converging ones reach their fixed point within the
    delta, as in LibreOffice (also from LibreOffice's own .ods); a counter counts the steps (Excel's
    value: LibreOffice reports Err:523 for a cycle that has not converged); without them, refused."""
    conv = _iterative_book(tmp_path / "conv.xlsx", {"A1": "=B1/2+1", "B1": "=A1", "C1": "=A1*10", "A3": "=B3+1",
                                                     "B3": "=A3*0.5", "C3": "=A3+B3"})
    fixed = {"A1": 2.0, "B1": 2.0, "C1": 20.0, "A3": 2.0, "B3": 1.0, "C3": 3.0}
    lo.load(conv)
    vals = lo.values("S", "A1:C3")
    ods = tmp_path / "conv.ods"
    lo.save(ods, "calc8")
    for book in (conv, ods):
        eng = Engine.load(book)
        for ref, want in fixed.items():
            mine, theirs = eng.get(f"S!{ref}"), vals[int(ref[1]) - 1][ord(ref[0]) - 65]
            scale = 10 * max(1.0, abs(want)) * 0.001
            assert abs(mine - want) <= scale and abs(theirs - want) <= scale and abs(mine - theirs) <= scale, \
                (book.name, ref, mine, theirs)
    count = _iterative_book(tmp_path / "count.xlsx", {"A1": "=A1+1", "B1": "=A1*2", "A2": "=IF(A3>=50,A2,A2+1)",
                                                       "A3": "=A3+1"}, count=100, delta=0)
    eng = Engine.load(count)
    assert [eng.get(r) for r in ("S!A1", "S!B1", "S!A3", "S!A2")] == [100.0, 200.0, 100.0, 49.0]
    off = tmp_path / "off.xlsx"
    wb = xlsxwriter.Workbook(str(off))
    write_cells(wb.add_worksheet("S"), {"A1": "=B1/2+1", "B1": "=A1"})
    wb.close()
    with pytest.raises(SheetnetError, match=r"S!A1: circular reference"):
        Engine.load(off)


def test_indirect_over_several_sheets_at_once_is_refused(tmp_path):
    """INDIRECT("S"&ROW(INDIRECT("1:3"))&"!A1:A3") is three references in one cell: refused with the cell
    named, not the first sheet's numbers alone."""
    path = tmp_path / "three.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for n in ("S1", "S2", "S3"):
        ws = wb.add_worksheet(n)
        for r in range(3):
            ws.write_number(r, 0, r + 1 + 10 * int(n[1]))
    t = wb.add_worksheet("T")
    t.write_formula("A1", '=SUMPRODUCT(SUM(INDIRECT("S"&ROW(INDIRECT("1:3"))&"!A1:A3")))', None, 0)
    wb.close()
    with pytest.raises(SheetnetError, match=r"T!A1: INDIRECT of an array of texts"):
        Engine.load(path)


def test_skipped_sheets_are_not_computed_unless_something_reads_them(tmp_path):
    """Engine(skip=...): a self-check sheet nothing else reads is left blank (a grader has no use for it);
    read by another sheet, or with a run-time reference anywhere, it is computed as ever."""
    def book(name, main_reads_tasks=False, runtime=False):
        path = tmp_path / name
        wb = xlsxwriter.Workbook(str(path))
        a, t = wb.add_worksheet("A"), wb.add_worksheet("Tasks")
        a.write_column("A1", [1.0, 2.0, 3.0])
        a.write_formula("B1", "=SUM(A1:A3)" if not runtime else '=SUM(INDIRECT("A1:A3"))')
        t.write_formula("A1", "=A!B1*10")
        t.write_formula("B1", "=A1+1")
        if main_reads_tasks:
            a.write_formula("C1", "=Tasks!B1*2")
        wb.close()
        return path

    e = Engine.load(book("plain.xlsx"), skip=("Tasks",))
    assert e.value_at(e.index["A"], 0, 1) == 6.0
    assert e.value_at(e.index["Tasks"], 0, 0) is None and e.value_at(e.index["Tasks"], 0, 1) is None
    e.set({"A1": 5.0}, sheet="A")
    assert e.value_at(e.index["A"], 0, 1) == 10.0 and e.value_at(e.index["Tasks"], 0, 0) is None
    e = Engine.load(book("read.xlsx", main_reads_tasks=True), skip=("Tasks",))
    assert e.value_at(e.index["A"], 0, 2) == 122.0 and e.value_at(e.index["Tasks"], 0, 1) == 61.0
    e = Engine.load(book("runtime.xlsx", runtime=True), skip=("Tasks",))
    assert e.value_at(e.index["Tasks"], 0, 1) == 61.0
    e = Engine.load(book("plain.xlsx"))
    assert e.value_at(e.index["Tasks"], 0, 1) == 61.0


def test_single_cell_array_formulas_down_a_column_are_one_group(lo, tmp_path):
    """{=MAX(0,SUM(A1:C3*$F$1:$H$3))} typed in each cell of a grid (as the course's conv sheet has them):
    each column is one group evaluated with array semantics, and every cell equals LibreOffice's."""
    from .books import lo_cells, same, write_book

    cells = {f"{'ABCDE'[c]}{r + 1}": float((r * 5 + c) % 7 - 3) for r in range(10) for c in range(5)}
    cells.update({f"{'FGH'[c]}{r + 1}": float((r + 2 * c) % 3 - 1) for r in range(3) for c in range(3)})
    for r in range(8):
        for c in range(3):
            box = f"{'ABC'[c]}{r + 1}:{'CDE'[c]}{r + 3}"
            cells[f"{'JKL'[c]}{r + 1}"] = "{=MAX(0,SUM(" + box + "*$F$1:$H$3))}"
    cells["N1"] = "=FORMULATEXT(J2)"
    path = write_book(tmp_path / "grid.xlsx", {"s": cells})
    eng = Engine.load(path)
    refs = [f"{c}{r}" for c in "JKL" for r in range(1, 9)]
    assert sum(1 for g in eng.groups if g.array_eval) == 3 and all(g.k == 8 for g in eng.groups if g.array_eval)
    want = lo_cells(lo, path, "s", refs)
    assert all(same(eng.get(f"s!{ref}"), want[ref]) for ref in refs), [(r, eng.get(f"s!{r}"), want[r]) for r in refs]
    assert any(want[r] > 0 for r in refs) and eng.get("s!N1") == "{=MAX(0,SUM(A2:C4*$F$1:$H$3))}"


def test_row_and_column_of_a_relative_range_filled_down(lo, tmp_path):
    """COLUMN(B4:D4) inside SUMPRODUCT, filled down: each cell's own column numbers (a student's way to pick
    the true class's probability); the group once gave #VALUE! or 0 where LibreOffice gives the number."""
    from .books import lo_cells, same, write_book

    forms = ["=SUMPRODUCT(B{r}:D{r},--(COLUMN(B{r}:D{r})-COLUMN(B{r})=E{r}))", "=SUMPRODUCT(--(ROW(B{r}:B6)>3))",
             "=SUMPRODUCT(--(COLUMN(B{r}:D{r})=3))", "=SUM(ROW(B{r}:D{r}))+COLUMN(C{r})",
             "=SUMPRODUCT(B{r}:D{r},COLUMN(B{r}:D{r}))"]
    cells = {}
    for r in range(1, 7):
        cells.update({f"B{r}": r, f"C{r}": 2 * r, f"D{r}": 3 * r, f"E{r}": r % 3})
        for j, f in enumerate(forms):
            cells[f"{'GHIJK'[j]}{r}"] = f.replace("{r}", str(r))
    path = write_book(tmp_path / "rowcol.xlsx", {"s": cells})
    eng = Engine.load(path)
    refs = [f"{c}{r}" for c in "GHIJK" for r in range(1, 7)]
    want = lo_cells(lo, path, "s", refs)
    assert all(same(eng.get(f"s!{ref}"), want[ref]) for ref in refs), [(r, eng.get(f"s!{r}"), want[r]) for r in refs]
    assert [want[f"G{r}"] for r in range(1, 7)] == [2.0, 6.0, 3.0, 8.0, 15.0, 6.0]
