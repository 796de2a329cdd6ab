"""One-row array formulas typed in each row ({=OFFSET($C$3:$G$3,L3,0)} over M3:Q3, M4:Q4, ...: the course's
collab_filter.xlsx looks up each rating's factors so) are one group over all their rows, evaluated at once; every
cell equals LibreOffice's, also where a row's result is narrower, taller or of another size than its row's."""

import numpy as np
import pytest

from sheetnet.engine import Engine
from sheetnet.engine.package import parse_cell

from .books import lo_cells, same, write_book

ROWS = range(12, 32)  # the data rows
FIRST, LAST = ROWS[0], ROWS[-1]


def _cols(a: str, n: int) -> list[str]:
    from sheetnet.engine.address import col_index, col_letters

    return [col_letters(col_index(a) + i) for i in range(n)]


def _book(path, rows: dict | None = None):
    """Factors in B3:G8 (ids 1..6 in B), a scale in C10:G10, and per data row an id, a number and a width; `rows`:
    {"M:Q": "{=...{r}...}"} typed in each data row (r: the row's number)."""
    cells = {f"B{3 + i}": i + 1 for i in range(6)}
    cells.update({f"{c}{3 + i}": round(((i * 5 + j) * 0.37) % 1.3 - 0.4, 3) for i in range(6) for j, c in enumerate("CDEFG")})
    cells.update({f"{c}10": 0.5 + j for j, c in enumerate("CDEFG")})
    for r in ROWS:
        cells.update({f"I{r}": (r * 7) % 6 + 1, f"J{r}": ((r * 3) % 9) / 2, f"K{r}": (r % 5) + 1,
                      f"L{r}": f"=MATCH(I{r},$B$3:$B$8)"})
        for box, f in (rows or {}).items():
            a, b = box.split(":")
            cells[f"{a}{r}:{b}{r}"] = f.replace("{r}", str(r)).replace("{r-1}", str(r - 1))
    return write_book(path, {"s": cells})


ARRAYS = {
    "M:Q": "{=OFFSET($C$2:$G$2,L{r},0)}",  # collab_filter's lookup of a row of factors
    "S:W": "{=$C$10:$G$10*J{r}}",  # a row times a number
    "Z:AD": "{=OFFSET($C$2:$E$2,L{r},0)}",  # three wide in a box of five: #N/A beyond
    "AF:AH": "{=J{r}*2}",  # one number: repeated across the row
    "AJ:AL": "{=OFFSET($C$2:$E$3,L{r},0)}",  # two rows tall in a row: its first row
    "AN:AR": "{=OFFSET($C$2,L{r},0,1,K{r})}",  # each row's own width: one row at a time
    "AT:AV": '{=IF(M{r}:O{r}>0.2,"hi","lo")}',  # text
    "AX:AZ": "{=1/(M{r}:O{r}-M{r})}",  # an error in the first cell
}


def _refs():
    return [f"{c}{r}" for r in ROWS for box in ARRAYS for c in _cols(box.split(":")[0], len(_span(box)))]


def _span(box):
    from sheetnet.engine.address import col_index

    a, b = box.split(":")
    return range(col_index(a), col_index(b) + 1)


def test_rows_of_one_row_arrays_are_one_group_each_and_agree_with_libreoffice(lo, tmp_path):
    path = _book(tmp_path / "rows.xlsx", ARRAYS)
    eng = Engine.load(path)
    runs = [g for g in eng.groups if g.array_rows]
    assert len(runs) == len(ARRAYS) and all(g.k == len(ROWS) for g in runs)
    want = lo_cells(lo, path, "s", _refs())
    got = {ref: eng.get(f"s!{ref}") for ref in want}
    assert all(same(got[ref], want[ref]) for ref in want), [(r, got[r], want[r]) for r in want if not same(got[r],
                                                                                                           want[r])]
    # what each kind of row gives, beyond agreeing: the checks would pass on a sheet of blanks otherwise
    for r in ROWS:  # each row's factors: row L of the table
        i = int(eng.get(f"s!L{r}"))
        assert [got[f"{c}{r}"] for c in "MNOPQ"] == [eng.get(f"s!{c}{2 + i}") for c in "CDEFG"]
    assert [str(got[f"{c}12"]) for c in ("AC", "AD")] == ["#N/A", "#N/A"] and isinstance(got["AB12"], float)
    assert len({got[f"{c}14"] for c in ("AF", "AG", "AH")}) == 1 and got["AF14"] == 2 * eng.get("s!J14")
    assert {got[f"AT{r}"] for r in ROWS} == {"hi", "lo"} and str(got["AX12"]) == "#DIV/0!"
    widths = {r: eng.get(f"s!K{r}") for r in ROWS}
    for r in ROWS:  # each row's own width: one value repeats, else #N/A past it
        vals = [got[f"{c}{r}"] for c in _cols("AN", 5)]
        if widths[r] == 1:
            assert len(set(vals)) == 1
        else:
            assert all(str(v) == "#N/A" for v in vals[int(widths[r]):]) and all(isinstance(v, float)
                                                                               for v in vals[:int(widths[r])])


def test_a_changed_input_recomputes_every_row(lo, tmp_path):
    path = _book(tmp_path / "rows.xlsx", ARRAYS)
    eng = Engine.load(path, inputs=["s!C2:G8", "s!J12:J31", "s!C10:G10"])
    change = {"s!D5": 2.5, "s!J20": 4.0, "s!E10": -1.0, "s!C8": 0.75}
    eng.set(change)
    lo.load(path)
    lo.set("s", {k.split("!")[1]: v for k, v in change.items()})
    lo.calc()
    refs = _refs()
    from sheetnet.crosscheck.libreoffice import ERROR_CODES

    for ref in refs:
        r, c = parse_cell(ref)
        v = lo.values("s", f"{ref}:{ref}")[0][0]
        e = lo.errors("s", f"{ref}:{ref}")
        want = ERROR_CODES.get(next(iter(e.values())), "ERR") if e else v
        assert same(eng.get(f"s!{ref}"), want), (ref, eng.get(f"s!{ref}"), want)
    row = [r for r in ROWS if eng.get(f"s!L{r}") == 3][0]  # a row that reads the changed factor D5
    assert eng.get(f"s!N{row}") == 2.5 and eng.get("s!U20") == pytest.approx(-4.0, rel=0, abs=0)


def test_formula_text_and_formulatext_name_each_rows_own_formula(tmp_path):
    path = _book(tmp_path / "t.xlsx", {"M:Q": ARRAYS["M:Q"]})
    eng = Engine.load(path)
    s = eng.index["s"]
    g = eng.groups[eng.group_at(s, 14, parse_cell("M1")[1])]
    assert g.array_rows and g.k == len(ROWS)
    m, n = parse_cell("M15"), parse_cell("N15")
    assert eng.formula_text(s, *m) == "OFFSET($C$2:$G$2,L15,0)" and eng.formula_text(s, *n) is None
    path2 = tmp_path / "t2.xlsx"
    cells = {"A1": "=FORMULATEXT(N15)", "A2": "=FORMULATEXT(M12)", "A3": "=ISFORMULA(P20)", "A4": "=SUM(M15#)"}
    import openpyxl  # (the test's own copy: add three formulas to the book above)

    wb = openpyxl.load_workbook(path)
    for ref, f in cells.items():
        wb["s"][ref] = f
    wb.save(path2)
    eng2 = Engine.load(path2)
    assert eng2.get("s!A1") == "{=OFFSET($C$2:$G$2,L15,0)}" and eng2.get("s!A2") == "{=OFFSET($C$2:$G$2,L12,0)}"
    assert eng2.get("s!A3") is True
    assert eng2.get("s!A4") == sum(eng2.get("s!M15:Q15")[0]) != sum(map(sum, eng2.get("s!M15:Q16")))


def test_rows_that_read_the_row_above_are_split_into_one_formula_a_row(lo, tmp_path):
    """{=BB12:BD12+1} in row 13, {=BB13:BD13+1} in row 14, ...: the run reads its own cells, so each row is its
    own array formula, in order."""
    path = _book(tmp_path / "up.xlsx", {"BB:BD": "{=BB{r-1}:BD{r-1}+J{r}}"})
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for j, c in enumerate(("BB", "BC", "BD")):
        wb["s"][f"{c}11"] = j + 1.0
    wb.save(path)
    eng = Engine.load(path)
    assert not any(g.array_rows for g in eng.groups)
    assert sum(1 for g in eng.groups if g.array_box) == len(ROWS)
    refs = [f"{c}{r}" for r in ROWS for c in ("BB", "BC", "BD")]
    want = lo_cells(lo, path, "s", refs)
    assert all(same(eng.get(f"s!{ref}"), want[ref]) for ref in refs)
    js = sum(eng.get(f"s!J{r}") for r in ROWS)
    assert eng.get(f"s!BD{LAST}") == pytest.approx(3.0 + js, rel=1e-15)


def test_rows_merge_only_where_the_text_moves_with_the_row_and_the_columns_match(tmp_path):
    import xlsxwriter

    path = tmp_path / "m.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    for r in range(1, 30):
        ws.write(f"A{r}", r)
    for r in range(1, 6):  # a run of five
        ws.write_array_formula(f"C{r}:E{r}", f"{{=A{r}*{{1,2,3}}}}")
    ws.write_array_formula("C6:D6", "{=A6*{1,2}}")  # other columns
    for r in range(7, 10):  # then A1 in each: not moved by row
        ws.write_array_formula(f"C{r}:E{r}", "{=A1*{1,2,3}}")
    for r in (11, 12, 14, 15):  # a gap between 12 and 14
        ws.write_array_formula(f"C{r}:E{r}", f"{{=A{r}+{{1,2,3}}}}")
    ws.write_array_formula("C17:E18", "{=A17:A18*{1,2,3}}")  # two rows: one formula
    for r in (20, 21):  # then one row below them, moved a column along
        ws.write_array_formula(f"C{r}:E{r}", f"{{=A{r}*{{1,2,3}}}}")
    ws.write_array_formula("D22:F22", "{=A22*{1,2,3}}")
    wb.close()
    eng = Engine.load(path)
    arrays = sorted((g.r0, g.k, g.array_rows) for g in eng.groups if g.array_box)
    assert arrays == [(0, 5, True), (5, 1, False), (6, 1, False), (7, 1, False), (8, 1, False), (10, 2, True),
                      (13, 2, True), (16, 1, False), (19, 2, True), (21, 1, False)]  # (the A1 rows: not moved by row)
    assert eng.get("s!C22:F22") == [[None, 22.0, 44.0, 66.0]]
    got = np.array(eng.get("s!C1:E18"), dtype=object)
    assert got[4].tolist() == [5.0, 10.0, 15.0] and got[8].tolist() == [1.0, 2.0, 3.0] and got[14].tolist() == \
        [16.0, 17.0, 18.0] and got[17].tolist() == [18.0, 36.0, 54.0]


def test_libreoffice_typed_rows_read_back_as_one_group(lo, tmp_path):
    """A student enters {=OFFSET(...)} row by row with Ctrl+Shift+Enter in LibreOffice and saves as .xlsx."""
    base = _book(tmp_path / "base.xlsx")
    lo.load(base)
    for r in ROWS:
        lo.array("s", f"M{r}:Q{r}", f"=OFFSET($C$2:$G$2;L{r};0)")
        lo.array("s", f"S{r}:W{r}", f"=$C$10:$G$10*J{r}")
    lo.set("s", {"BF1": f"=SUMPRODUCT(M{FIRST}:Q{LAST};S{FIRST}:W{LAST})"})
    lo.calc()
    out = tmp_path / "typed.xlsx"
    lo.save(out)
    total = lo.values("s", "BF1:BF1")[0][0]
    eng = Engine.load(out)
    assert sum(1 for g in eng.groups if g.array_rows) == 2
    assert eng.get("s!BF1") == pytest.approx(total, rel=1e-13) and total != 0
    assert np.array(eng.get(f"s!M{FIRST}:Q{LAST}")).shape == (len(ROWS), 5)


def test_gradient_through_rows_of_array_formulas(tmp_path):
    from sheetnet.engine.grad import Differentiable

    path = _book(tmp_path / "g.xlsx", {"S:W": ARRAYS["S:W"]})
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb["s"]["BF1"] = f"=SUMPRODUCT(S{FIRST}:W{LAST},S{FIRST}:W{LAST})"
    wb.save(path)
    eng = Engine.load(path, inputs=["s!C10:G10"])
    assert sum(1 for g in eng.groups if g.array_rows) == 1
    f = Differentiable(eng, ["s!C10:G10"], ["s!BF1"])
    x = np.array([0.3, -1.2, 2.0, 0.7, -0.1])
    value, grad = f.value_and_grad(x)
    J = np.array([eng.get(f"s!J{r}") for r in ROWS])
    assert value == pytest.approx(float((J ** 2).sum() * (x ** 2).sum()), rel=1e-14)
    np.testing.assert_allclose(grad, 2 * (J ** 2).sum() * x, rtol=1e-14)
    eng.set({f"s!{c}10": v for c, v in zip("CDEFG", x)})
    assert eng.get("s!BF1") == pytest.approx(value, rel=1e-14)


def test_rows_that_read_rows_above_at_run_time_run_one_after_another(lo, tmp_path):
    """{=OFFSET($M$2:$Q$2,ROW()-3,0)*2+J{r}}: each row reads the row above through OFFSET, which no text shows:
    the run computes its rows in turn (as one formula a row would); a row that reads its own row is circular."""
    import xlsxwriter

    from sheetnet.errors import SheetnetError

    path = tmp_path / "off.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    for c in range(5):
        ws.write(1, 12 + c, c + 1.0)  # M2:Q2
    for r in range(2, 12):
        ws.write(r, 9, (r % 4) - 1.5)  # J
        ws.write_array_formula(r, 12, r, 16, f"{{=OFFSET($M$2:$Q$2,ROW()-3,0)*2+J{r + 1}}}")
    wb.close()
    eng = Engine.load(path)
    assert [(g.k, g.array_rows) for g in eng.groups] == [(10, True)]
    refs = [f"{c}{r}" for r in range(3, 13) for c in "MNOPQ"]
    want = lo_cells(lo, path, "s", refs)
    assert all(same(eng.get(f"s!{ref}"), want[ref]) for ref in refs)
    row = [1.0, 2.0, 3.0, 4.0, 5.0]
    for r in range(3, 13):
        row = [2 * x + eng.get(f"s!J{r}") for x in row]
    assert [eng.get(f"s!{c}12") for c in "MNOPQ"] == row
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    for r in range(2, 6):  # each row reads its own row: circular
        ws.write_array_formula(r, 12, r, 16, "{=OFFSET($M$2:$Q$2,ROW()-2,0)+1}")
    wb.close()
    with pytest.raises(SheetnetError, match=r"s!M3: OFFSET/INDIRECT reads s!M3:Q6 while that run of formulas is "
                                            r"computed"):
        Engine.load(path)


def test_a_change_recomputes_rows_that_read_rows_above(tmp_path):
    import xlsxwriter

    path = tmp_path / "off.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    for c in range(3):
        ws.write(1, 12 + c, 1.0)
    for r in range(2, 8):
        ws.write(r, 9, 0.0)
        ws.write_array_formula(r, 12, r, 14, f"{{=OFFSET($M$2:$O$2,ROW()-3,0)+J{r + 1}}}")
    wb.close()
    eng = Engine.load(path, inputs=["s!J3:J8", "s!M2:O2"])
    assert eng.get("s!M8:O8") == [[1.0, 1.0, 1.0]]
    eng.set({"s!J4": 2.0, "s!N2": 5.0})
    assert eng.get("s!M8:O8") == [[3.0, 7.0, 3.0]] and eng.get("s!M3:O3") == [[1.0, 5.0, 1.0]]


ODD_ROWS = [
    "{{=SUM(A{r}:$A$30)*$C$3:$E$3}}",  # a mixed range: each row its own size
    "{{=A{r}:C{r}/B{r}}}",
    "{{=IFERROR(1/(A{r}:C{r}-2),\"x\")}}",
    "{{=TRANSPOSE(A{r}:A{s})}}",  # a column turned into a row
    "{{=INDEX($C$3:$G$8,MOD({r},6)+1,0)}}",
    "{{=OFFSET($C$2,MOD({r},6)+1,0,1,MOD({r},3)+1)+0}}",  # each row its own width
    "{{=MMULT(A{r}:B{r},$C$3:$E$4)}}",
    "{{=A{r}&\"-\"&$C$3:$E$3}}",
    "{{=(A{r}:C{r}>1)*1}}",
    "{{=ROW(A{r}:C{r})+COLUMN(A{r}:C{r})}}",
]


@pytest.mark.parametrize("form", ODD_ROWS)
def test_a_run_gives_what_one_formula_a_row_gives(tmp_path, monkeypatch, form):
    """Each shape, as one group over its rows and as one array formula a row (the reading before this group
    existed), cell for cell, errors and text included."""
    import xlsxwriter

    from sheetnet.engine import building

    path = tmp_path / "odd.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    for r in range(30):
        ws.write(r, 0, (r * 7) % 5 - 1.0)
        ws.write(r, 1, (r * 3) % 4 + 0.5)
        if r % 7:
            ws.write(r, 2, r % 3)
    for i in range(2, 8):
        for j in range(2, 7):
            ws.write(i, j, (i * j) % 5 - 1.5)
    for r in range(11, 25):
        ws.write_array_formula(r - 1, 9, r - 1, 12, form.format(r=r, s=r + 3), None, 0)
    wb.close()
    merged = Engine.load(path)
    assert [g.k for g in merged.groups if g.array_box and g.array_rows] in ([14], [])
    monkeypatch.setattr(building, "_row_runs", lambda arrays: [("one", a, 1) for a in arrays])
    single = Engine.load(path)
    assert not any(g.array_rows for g in single.groups)
    got, want = merged.get("s!J10:M24"), single.get("s!J10:M24")
    assert [[repr(x) for x in row] for row in got] == [[repr(x) for x in row] for row in want]
    assert any(isinstance(x, (float, str)) for row in got for x in row)
