"""LibreOffice's own format: a class on LibreOffice hands in .ods files, read like .xlsx."""

import subprocess
import sys

import pytest

from sheetnet.crosscheck.check import check_workbook
from sheetnet.engine import Engine
from sheetnet.lessons.workbook import build_workbook

from .books import lo_cells, same, write_book
from .test_functions import EXTRA, FORMULAS, INPUTS


def test_the_functions_book_saved_as_ods_evaluates_as_libreoffice_does(lo, tmp_path):
    cells = dict(INPUTS)
    formulas = FORMULAS + EXTRA
    refs = [f"H{i + 1}" for i in range(len(formulas))]
    cells.update(dict(zip(refs, formulas)))
    xlsx = write_book(tmp_path / "f.xlsx", {"s": cells})
    lo.load(xlsx)
    ods = tmp_path / "f.ods"
    lo.save(ods, "calc8")
    a, b = Engine.load(xlsx), Engine.load(ods)
    assert b.book.kind == "ods"
    want = lo_cells(lo, ods, "s", refs)
    for ref, f in zip(refs, formulas):
        assert a.get(f"s!{ref}") == b.get(f"s!{ref}") or same(a.get(f"s!{ref}"), b.get(f"s!{ref}")), f
        if f not in EXTRA:
            assert same(b.get(f"s!{ref}"), want[ref]), (f, b.get(f"s!{ref}"), want[ref])
    assert b.formula_text(0, 0, 7).startswith("SUMXMY2(")  # the OpenFormula text, read back as Excel's


def test_the_lesson_saved_as_ods_checks_and_solves(lo, titanic, tmp_path):
    book = tmp_path / "t.xlsx"
    res = build_workbook(book, titanic, seed=0)
    lo.load(book)
    lo.set("nnet", {"J4": 0.25})
    lo.calc()
    ods = tmp_path / "t.ods"
    lo.save(ods, "calc8")
    eng = Engine.load(ods)
    assert eng.get("linear!B1") == pytest.approx(res.values["linear"]["loss"], rel=1e-12)
    checks = check_workbook(ods, device="cpu", use_libreoffice=True)
    assert [c.sheet for c in checks] == ["linear", "nnet", "mmult"] and all(c.ok for c in checks)
    r = subprocess.run([sys.executable, "-m", "sheetnet.cli", "solve", str(ods)], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "save this one as .xlsx" in r.stderr
    from sheetnet.solver.solve import solve_workbook
    done, _ = solve_workbook(ods, sheets=["linear"], write=False)
    assert done[0].result.fun == pytest.approx(res.best_linear_loss, abs=1e-9)


def test_hostile_ods_files_are_refused(tmp_path):
    import zipfile

    from sheetnet.errors import SheetnetError

    p = tmp_path / "bomb.ods"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    with pytest.raises(SheetnetError, match="DTD"):
        Engine.load(p)
    body = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body><office:spreadsheet>'
            '<table:table table:name="s"><table:table-row table:number-rows-repeated="1000000">'
            '<table:table-cell table:number-columns-repeated="1000" office:value-type="float" office:value="1"/>'
            '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", body)
    with pytest.raises(SheetnetError, match="repeats cells"):
        Engine.load(p)


def test_a_formula_in_a_cell_covered_by_a_merge_is_evaluated(lo, tmp_path):
    """A1:B1 merged over B1's =A1*2: LibreOffice still computes B1 (C1 = B1+1 reads it), and so must we."""
    import xlsxwriter

    from ..helpers import rewrite_parts

    src = tmp_path / "m.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("S")
    ws.write_number("A1", 1)
    ws.write_formula("B1", "=A1*2", None, 0)
    ws.write_formula("C1", "=B1+1", None, 0)
    wb.close()
    plain, merged = tmp_path / "m.ods", tmp_path / "merged.ods"
    lo.load(src)
    lo.save(plain, "calc8")
    def merge(name, data):
        if name != "content.xml":
            return data
        a = b'<table:table-cell office:value-type="float" office:value="1"'
        b = b'<table:table-cell table:formula="of:=[.A1]*2"'
        assert a in data and b in data
        data = data.replace(a, b'<table:table-cell table:number-columns-spanned="2" '
                               b'table:number-rows-spanned="1" office:value-type="float" office:value="1"')
        i = data.index(b)
        j = data.index(b"</table:table-cell>", i)
        return (data[:i] + b"<table:covered-table-cell" + data[i + len(b"<table:table-cell"):j] +
                b"</table:covered-table-cell>" + data[j + len(b"</table:table-cell>"):])
    rewrite_parts(plain, merged, merge)
    lo.load(merged)
    want = lo.values("S", "A1:C1")[0]
    eng = Engine.load(merged)
    assert [eng.get(f"S!{c}1") for c in "ABC"] == want == [1.0, 2.0, 3.0]
