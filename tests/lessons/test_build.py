import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from sheetnet.errors import SheetnetError
from sheetnet.lessons.prepare import prepare
from sheetnet.lessons.resources import DATASETS
from sheetnet.lessons.workbook import build_workbook
from sheetnet.solver.names import DEFAULTS

from ..helpers import cached_values, formula_cells

TRAIN = DATASETS / "titanic" / "train.csv"


@pytest.fixture(scope="module")
def book(tmp_path_factory, titanic):
    p = tmp_path_factory.mktemp("b") / "titanic.xlsx"
    res = build_workbook(p, titanic, seed=0)
    return p, res


def test_sheets_in_lesson_order(book):
    p, res = book
    import openpyxl
    wb = openpyxl.load_workbook(p, read_only=True)
    assert wb.sheetnames == ["About", "data", "linear", "nnet", "mmult", "sheetnet"]
    assert wb["sheetnet"].sheet_state == "hidden"  # the model descriptions, read back by check, solve, grade


def test_formulas_are_the_lessons(book):
    f = formula_cells(book[0])
    d, lin, nn, mm = f["data"], f["linear"], f["nnet"], f["mmult"]
    # data sheet: row 4 (index 3) is the first passenger; E1 holds MAX(Age)
    assert d[(0, 4)] == "=MAX(E4:E715)"
    assert [d[(3, c)] for c in range(8, 14)] == ["=E4/$E$1", "=LOG10(F4+1)", "=IF(C4=1,1,0)", "=IF(C4=2,1,0)",
                                                  '=IF(B4="S",1,0)', '=IF(B4="C",1,0)']
    assert d[(714, 14)] == '=IF(D715="male",1,0)'
    assert (3, 15) not in d  # Ones: the value 1
    assert lin[(3, 1)] == "=SUMPRODUCT(data!$G4:$P4,$F$4:$O$4)"
    assert lin[(3, 2)] == "=(B4-A4)^2"
    assert lin[(0, 1)] == "=AVERAGE(C4:C715)"
    assert lin[(0, 3)] == "=SUMPRODUCT(--((B4:B715>0.5)=(A4:A715>0.5)))/COUNT(A4:A715)"
    assert [nn[(100, c)] for c in range(0, 7)] == [
        "=data!A101", "=SUMPRODUCT(data!$G101:$P101,$J$4:$S$4)", "=SUMPRODUCT(data!$G101:$P101,$J$5:$S$5)",
        "=IF(B101<0,0,B101)", "=IF(C101<0,0,C101)", "=D101+E101", "=(F101-A101)^2"]
    assert nn[(0, 1)] == "=AVERAGE(G4:G715)"
    # mmult: one legacy array formula over B4:C715 (no dynamic arrays, no _xlfn.)
    assert mm[(3, 1)] == mm[(714, 2)] == "{=MMULT(data!$G$4:$P$715,$J$4:$K$13)}"
    assert mm[(3, 3)] == "=IF(B4<0,0,B4)"


def test_no_future_functions_or_rand(book):
    with zipfile.ZipFile(book[0]) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))
    assert "_xlfn" not in xml and "RAND(" not in xml and "fullCalcOnLoad" in xml


def test_every_formula_has_its_real_cached_value(book, titanic):
    p, res = book
    f, v = formula_cells(p), cached_values(p)
    X, y = titanic.X, titanic.y
    n = titanic.n
    for j in range(2, 9):  # Age_N .. Male
        np.testing.assert_array_equal([v["data"][(3 + i, 6 + j)] for i in range(n)], X[:, j])
    for m in res.models:
        vals = res.values[m.name]
        cols = m.column_values(vals)
        for c, name in enumerate(["Survived", *m.columns]):
            got = np.array([v[m.name][(3 + i, c)] for i in range(n)])
            want = y if name == "Survived" else cols[name]
            np.testing.assert_array_equal(got, want)
            assert all((3 + i, c) in f[m.name] for i in range(n))
        assert v[m.name][(0, 1)] == vals["loss"] and v[m.name][(0, 3)] == vals["accuracy"]
    assert res.values["nnet"]["loss"] == res.values["mmult"]["loss"] == pytest.approx(0.5765441707343953, rel=1e-14)
    assert res.values["linear"]["loss"] == pytest.approx(0.5752937401855409, rel=1e-14)


def test_params_where_the_solver_model_says(book):
    p, res = book
    v = cached_values(p)
    W = res.params["nnet"].reshape(2, 10)
    np.testing.assert_array_equal([v["linear"][(3, 5 + j)] for j in range(10)], res.params["linear"])
    np.testing.assert_array_equal([[v["nnet"][(3 + k, 9 + j)] for j in range(10)] for k in range(2)], W)
    np.testing.assert_array_equal([[v["mmult"][(3 + j, 9 + k)] for j in range(10)] for k in range(2)], W)
    assert [v["mmult"][(3 + j, 8)] for j in range(10)][-1] == "Const"


def test_solver_model_is_stored_as_excel_stores_it(book):
    with zipfile.ZipFile(book[0]) as z:
        wbxml = z.read("xl/workbook.xml").decode()
    names = re.findall(r'<definedName name="(solver_\w+)" localSheetId="(\d)" hidden="1">([^<]*)</definedName>', wbxml)
    by_sheet = {}
    for name, sheet, value in names:
        by_sheet.setdefault(int(sheet), {})[name] = value
    assert sorted(by_sheet) == [2, 3, 4]  # linear, nnet, mmult
    assert by_sheet[2]["solver_opt"] == "linear!$B$1" and by_sheet[2]["solver_adj"] == "linear!$F$4:$O$4"
    assert by_sheet[3]["solver_adj"] == "nnet!$J$4:$S$5" and by_sheet[4]["solver_adj"] == "mmult!$J$4:$K$13"
    for s in by_sheet.values():
        assert (s["solver_typ"], s["solver_eng"], s["solver_neg"], s["solver_num"], s["solver_cvg"], s["solver_ver"]) \
            == ("2", "1", "2", "0", "0.0001", "3")
        assert set(s) == set(DEFAULTS) | {"solver_opt", "solver_adj"}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, titanic):
    a, b, c = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    build_workbook(a, titanic, seed=5)
    build_workbook(b, titanic, seed=5)
    build_workbook(c, titanic, seed=6)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_live_rand_writes_rand_with_cached_draws(tmp_path, titanic):
    p = tmp_path / "r.xlsx"
    res = build_workbook(p, titanic, seed=0, live_rand=True)
    f, v = formula_cells(p), cached_values(p)
    assert f["linear"][(3, 5)] == "=RAND()-0.5" and v["linear"][(3, 5)] == res.params["linear"][0]


def test_hidden_units_is_a_parameter(tmp_path, titanic):
    p = tmp_path / "h.xlsx"
    res = build_workbook(p, titanic, seed=0, hidden=3)
    f = formula_cells(p)
    assert f["nnet"][(3, 7)] == "=D4+E4+F4" or f["nnet"][(3, 7)] == "=E4+F4+G4"
    assert f["mmult"][(3, 1)] == "{=MMULT(data!$G$4:$P$715,$L$4:$N$13)}"
    assert res.values["nnet"]["loss"] == res.values["mmult"]["loss"]


def test_name_that_looks_like_a_formula_stays_text(tmp_path, template):
    csv = tmp_path / "evil.csv"
    csv.write_text(TRAIN.read_text().replace('"Braund, Mr. Owen Harris"', '"=HYPERLINK(""http://x"",""y"")"'))
    p = tmp_path / "evil.xlsx"
    build_workbook(p, prepare(template, csv), seed=0)
    assert cached_values(p)["data"][(3, 17)] == '=HYPERLINK("http://x","y")'
    assert (3, 17) not in formula_cells(p)["data"]
    with zipfile.ZipFile(p) as z:
        assert "HYPERLINK" not in re.sub(r"<is><t>[^<]*</t></is>", "", z.read("xl/worksheets/sheet2.xml").decode())


def test_existing_output_replaced_atomically_or_not_at_all(tmp_path, titanic, template):
    out = tmp_path / "keep.xlsx"
    out.write_bytes(b"the old file")
    with pytest.raises(SheetnetError):
        build_workbook(out, titanic, seed=0, params={"linear": [1, 2, 3]})  # wrong number of params
    assert out.read_bytes() == b"the old file"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["keep.xlsx"]  # no half-written temp file left
    build_workbook(out, titanic, seed=0)
    assert zipfile.is_zipfile(out)


def test_cli_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    out = tmp_path / "o.xlsx"
    r = subprocess.run([sys.executable, "-m", "sheetnet.cli", "build", "titanic", "--data", str(bad), "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "missing column 'Survived'" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("lesson", ["titanic", "gd", "relu", "digits", "softmax", "collab", "conv"])
def test_every_sheet_prints_landscape_one_page_wide_with_its_header_rows(tmp_path, lesson):
    """Page setup in the package: every visible sheet landscape and one page wide; About on one page; the
    data and model sheets repeat rows 1-3 on each page (titanic printed as 113 pages in LibreOffice before,
    56 now)."""
    from sheetnet.lessons.template import load_template

    path = tmp_path / f"{lesson}.xlsx"
    res = build_workbook(path, prepare(load_template(lesson)), seed=0)
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode()
        names = re.findall(r'<sheet name="([^"]+)" sheetId="\d+"(?: state="(\w+)")?', book)
        for i, (name, state) in enumerate(names):
            xml = z.read(f"xl/worksheets/sheet{i + 1}.xml").decode()
            if state == "hidden":
                continue
            setup = re.search(r"<pageSetup [^>]*>", xml).group(0)
            assert 'orientation="landscape"' in setup and '<pageSetUpPr fitToPage="1"/>' in xml, name
            assert ('fitToHeight="0"' in setup) == (name != "About"), name
            if name in ["data"] + [m.name for m in res.models]:
                assert f'localSheetId="{i}">{name}!$1:$3<' in book, name


@pytest.mark.parametrize("lesson", ["softmax", "collab", "conv"])
def test_the_course_spreadsheets_pass_check(tmp_path, lesson, lo):
    """`sheetnet check` on each new lesson: sheetnet's engine, LibreOffice, numpy and torch agree on every cell
    (1e-9 relative to the value's size), and autograd agrees with central differences on the workbook."""
    from sheetnet.crosscheck.check import check_workbook
    from sheetnet.lessons.template import load_template

    path = tmp_path / f"{lesson}.xlsx"
    build_workbook(path, prepare(load_template(lesson)), seed=0)
    results = check_workbook(path, device="cpu", use_libreoffice=True)
    assert results and all(r.ok for r in results), [line for r in results for line in r.table()]
    assert all("LibreOffice-numpy" in d for r in results for _, d in r.rows)
    worst = max(v for r in results for _, d in r.rows for k, v in d.items() if k == "numpy-torch")
    assert worst <= 1e-12
