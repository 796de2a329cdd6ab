"""The careless student, the cheat and the hostile file, against the grader: a student's file never
makes sheetnet write outside its output folder or over an input, its text never runs in the teacher's
spreadsheet, and a file that is not graded gets no score (not a zero an LMS would record)."""

import csv
import re
import subprocess
import sys

import pytest

from sheetnet.classroom.batch import csv_safe, grade_class, safe_stem
from sheetnet.errors import SheetnetError

from ..helpers import rewrite_parts


def _with_property(src, dst, student_id, name):
    """The workbook with its `sheetnet student` properties replaced (XML a spreadsheet would not write)."""
    def esc(v):
        return v.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")

    def edit(part, data):
        if part != "docProps/custom.xml":
            return data
        text = re.sub(r'(name="sheetnet student"[^>]*>\s*<vt:lpwstr>)[^<]*', lambda m: m.group(1) + esc(student_id),
                      data.decode())
        text = re.sub(r'(name="sheetnet student name"[^>]*>\s*<vt:lpwstr>)[^<]*', lambda m: m.group(1) + esc(name),
                      text)
        return text.encode()
    return rewrite_parts(src, dst, edit)


def test_hostile_ids_and_names_stay_in_the_folder_and_never_run(work, roster_class, roster_key, tmp_path):
    done = work(src=roster_class.personal["a1"], key=roster_key, name="a1-done")
    hand = tmp_path / "handed-in"
    hand.mkdir()
    outside = tmp_path / "elsewhere"
    _with_property(done, hand / "one.xlsx", "../../../../" + str(outside.relative_to("/")) + "/x",
                   '=HYPERLINK("http://evil.example","click")')
    _with_property(done, hand / "two.xlsx", "/" + str(outside.relative_to("/")) + "/y", "+cmd|' /C calc'!A0")
    _with_property(done, hand / "three.xlsx", "sub/dir/that/does/not/exist", "@SUM(1+1)")
    _with_property(done, hand / "four.xlsx", "..", "-2+3")
    _with_property(done, hand / "five.xlsx", '=HYPERLINK("http://evil.example","click")', "Eve")
    _with_property(done, hand / "six.xlsx", "@SUM(1+1)", "Mallory")
    book, feedback = tmp_path / "gradebook.csv", tmp_path / "feedback"
    cls = grade_class(roster_class.key, [hand], book, feedback=feedback, workers=1)
    assert not outside.exists()
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()
                     and not p.is_relative_to(hand))
    assert all(w == "gradebook.csv" or (w.startswith("feedback/") and w.count("/") == 1) for w in written), written
    assert len([w for w in written if w.endswith(".html")]) == 6  # one page each: one odd id stops no one
    rows = list(csv.reader(book.open()))
    for row in rows[1:]:
        assert not any(cell[:1] in "=+-@" and cell for cell in row), row
    ids = {row[1] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in ids and "'@SUM(1+1)" in ids
    assert all(g.total == 18 for g in cls.grades)  # the work itself is right


def test_safe_names():
    assert safe_stem("../../etc/passwd") == "etc_passwd"
    assert safe_stem("/abs/path") == "abs_path"
    assert safe_stem("..") == "student" and safe_stem("") == "student"
    assert safe_stem("Ada Lovelace") == "Ada_Lovelace" and safe_stem("a1") == "a1"
    assert csv_safe("=1+1") == "'=1+1" and csv_safe("-3") == "'-3" and csv_safe("Ada") == "Ada"


def test_outputs_never_replace_inputs_and_bad_settings_are_one_line(work, plain, tmp_path):
    right = tmp_path / "ada.xlsx"
    right.write_bytes(work().read_bytes())
    before_key, before_work = plain.key.read_bytes(), right.read_bytes()

    def run(*args):
        return subprocess.run([sys.executable, "-m", "sheetnet", "grade", str(plain.key), *args],
                              capture_output=True, text=True, timeout=300)
    for args, words in ([(str(right), "-o", str(right)), "names an input"],
                        [(str(right), "-o", str(plain.key)), "names an input"],
                        [(str(right), "--workers", "-3"), "--workers must be a whole number of at least 1"],
                        [(str(right), "--workers", "0"), "--workers must be a whole number of at least 1"],
                        [(str(right), "--timeout", "0"), "--timeout must be a positive number"],
                        [(str(right), "--timeout", "nan"), "--timeout must be a positive number"],
                        [(str(right), "--timeout", "inf"), "--timeout must be a positive number"]):
        r = run(*args)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and words in r.stderr, (args, r.stderr)
    assert plain.key.read_bytes() == before_key and right.read_bytes() == before_work


def test_a_folder_graded_twice_skips_its_own_outputs_and_blanks_what_is_not_graded(work, plain, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ada.xlsx").write_bytes(work().read_bytes())
    (folder / "bob.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")  # corrupt: not graded
    (folder / "cy.xls").write_bytes(b"\xd0\xcf\x11\xe0old excel")
    book = folder / "gradebook.csv"
    first = grade_class(plain.key, [folder], book, feedback=folder / "feedback", workers=1)
    second = grade_class(plain.key, [folder], book, feedback=folder / "feedback", workers=1)
    for cls in (first, second):
        assert sorted(p.name for p in map(lambda g: __import__("pathlib").Path(g.file), cls.grades)) == \
            ["ada.xlsx", "bob.xlsx", "cy.xls"]
    rows = {r[1]: r for r in csv.reader(book.open())}
    assert rows["ada"][5] == "18"
    for sid in ("bob", "cy"):
        assert all(cell == "" for cell in rows[sid][5:-2]), rows[sid]  # no zeros for an LMS to record
        assert rows[sid][-1].startswith("not graded")
    assert "median 18 of 18 (graded ones)" in "\n".join(first.summary())


def test_the_median_is_the_median():
    from sheetnet.classroom.batch import ClassResult
    from sheetnet.classroom.grade import Grade, RungResult

    class K:
        rungs = []
    grades = [Grade("a.xlsx", rungs=[RungResult("all", 18.0, t)]) for t in (16.0, 8.0)]
    text = "\n".join(ClassResult(K(), grades).summary())
    assert "median 12 of 18" in text


def test_grade_class_refuses_bad_settings_from_python(plain, tmp_path):
    with pytest.raises(SheetnetError, match="--workers"):
        grade_class(plain.key, [], tmp_path / "g.csv", workers=-3)
    with pytest.raises(SheetnetError, match="--timeout"):
        grade_class(plain.key, [], tmp_path / "g.csv", timeout=float("nan"))


def test_a_check_cannot_be_switched_off(work, plain, tmp_path):
    """Preds = D4+E4+0*N(A4): the Solver check runs on the sheet's own loss (equal to the description's
    here, so on the description), so Params short of the minimum still lose the task."""
    import numpy as np
    import openpyxl

    from sheetnet.classroom.grade import Key, grade_file

    key = Key.load(plain.key)
    wb = openpyxl.load_workbook(work())
    ws = wb["nnet"]
    for r in range(4, 4 + key.rows):
        ws[f"F{r}"] = f"=D{r}+E{r}+0*N(A{r})"
    right = tmp_path / "n-right.xlsx"
    wb.save(right)
    g = grade_file(right, key)
    assert {r.name: r.earned for r in g.rungs}["Solver on the net"] == 2  # the minimum: still full marks
    theta = np.array([[ws.cell(row, col).value for col in range(10, 20)] for row in (4, 5)], float)
    for i, row in enumerate((4, 5)):
        for j, col in enumerate(range(10, 20)):
            ws.cell(row, col).value = float(theta[i, j] * 0.9)
    short = tmp_path / "n-short.xlsx"
    wb.save(short)
    g = grade_file(short, key)
    step = next(s for r in g.rungs if r.name == "Solver on the net" for s in r.steps)
    assert not step.ok and "Solver is not finished" in step.reason, step
    assert step.got > 0.1455 and 0.1439 < step.expected < 0.1440  # the loss, and where a Solver-like run from there takes it


def test_a_required_function_in_one_cell_or_a_dead_branch_is_not_enough(work, plain, tmp_path):
    """The MMULT task: MMULT in mmult!B4 only (plain SUMPRODUCTs below), or MMULT inside IF(0,...) in
    every cell, earns nothing for that task; the real array formula earns it."""
    import openpyxl

    from sheetnet.classroom.grade import Key, grade_file

    key = Key.load(plain.key)
    last = 3 + key.rows
    wb = openpyxl.load_workbook(work(["no_mmult"]))
    ws = wb["mmult"]
    ws["B4"] = "=IF(0,MMULT(1,1),SUMPRODUCT(data!$G4:$P4,TRANSPOSE($J$4:$J$13)))"
    one = tmp_path / "one-cell.xlsx"
    wb.save(one)
    for r in range(4, last + 1):
        for col, p in (("B", "J"), ("C", "K")):
            ws[f"{col}{r}"] = f"=IF(FALSE,MMULT(1,1),SUMPRODUCT(data!$G{r}:$P{r},TRANSPOSE(${p}$4:${p}$13)))"
    dead = tmp_path / "dead-branch.xlsx"
    wb.save(dead)
    for book in (one, dead):
        g = grade_file(book, key)
        got = {r.name: r.earned for r in g.rungs}
        assert got["MMULT"] == 0, (book.name, got)
    g = grade_file(work(), key)
    assert {r.name: r.earned for r in g.rungs}["MMULT"] == 2


def test_a_copy_with_some_columns_pasted_over_is_flagged(work, roster_class, roster_key, tmp_path):
    """Ada's finished workbook handed in as Bob's: its property changed to Bob's id, Bob's PassengerId and
    Name pasted over, brackets added to 7 formulas, Bob's starting mmult Params typed in.  The work is right
    (full marks) but every other data column is still in Ada's row order: flagged for the teacher."""
    import openpyxl

    from sheetnet.classroom.grade import grade_file

    ada = work(src=roster_class.personal["a1"], key=roster_key, name="a1-done")
    assert grade_file(ada, roster_key).flags == []
    bob_start = openpyxl.load_workbook(roster_class.personal["b2"])["data"]
    wb = openpyxl.load_workbook(ada)
    data = wb["data"]
    head = {data.cell(3, c).value: c for c in range(1, data.max_column + 1)}
    for col in ("PassengerId", "Name"):
        for r in range(4, 4 + roster_key.rows):
            data.cell(r, head[col]).value = bob_start.cell(r, head[col]).value
    for r in range(4, 11):  # brackets added to 7 formulas
        data[f"J{r}"] = f"=(LOG10(F{r}+1))"
    bob_mmult = roster_key.students["b2"]["params"]["mmult"]
    mm = wb["mmult"]
    for k, v in enumerate(bob_mmult):  # J4:K13, row by row as the key stores them
        mm.cell(4 + k // 2, 10 + k % 2).value = v
    wb.save(tmp_path / "copy.xlsx")
    bob = _with_property(tmp_path / "copy.xlsx", tmp_path / "b2.xlsx", "b2", "Bob Byte")
    g = grade_file(bob, roster_key)
    assert g.student == "b2" and g.total == 18
    flag = next(f for f in g.flags if f.startswith("the data columns are in two students' row orders"))
    assert "in a1's" in flag and "PassengerId, Name in b2's" in flag


def test_the_teachers_solution_handed_in_is_flagged(roster_class, roster_key, plain, plain_key, tmp_path):
    from sheetnet.classroom.grade import grade_file

    for ex, key in ((roster_class, roster_key), (plain, plain_key)):
        g = grade_file(ex.solution, key)
        assert g.total == 18 and "this is the teacher's solution workbook (its properties say so)" in g.flags
    assert not any("solution" in f for f in grade_file(roster_class.personal["a1"], roster_key).flags)
