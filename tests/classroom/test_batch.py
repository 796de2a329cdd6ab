"""`sheetnet grade` on a folder of hand-ins: the gradebook, the flags, the feedback, the refusals."""

import csv
import hashlib
import shutil
import subprocess
import sys
import zipfile

import openpyxl
import pytest

from sheetnet.classroom.batch import grade_class


def sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def handed_in(work, tmp_path_factory):
    d = tmp_path_factory.mktemp("inbox")
    shutil.copy(work(), d / "ann.xlsx")
    shutil.copy(work(), d / "ben.xlsx")  # the same file twice
    shutil.copy(work(["LN", "sum"]), d / "cat.xlsx")
    shutil.copy(work(), d / "dan.xlsm")
    with zipfile.ZipFile(d / "dan.xlsm", "a") as z:
        z.writestr("xl/vbaProject.bin", b"\0" * 64)
    (d / "eve.xlsx").write_bytes(bytes(range(256)) * 8)  # not a workbook
    (d / "fay.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    cfb = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
    cfb[600:600 + 32] = "EncryptedPackage".encode("utf-16-le")
    (d / "gus.xlsx").write_bytes(bytes(cfb))
    (d / ".hidden.xlsx").write_bytes(b"x")  # hidden files and Excel's lock files are not hand-ins
    (d / "~$ann.xlsx").write_bytes(b"x")
    return d


def test_cli_grades_a_folder(plain, handed_in, tmp_path):
    before = {p.name: sha(p) for p in handed_in.iterdir()}
    gb, fb = tmp_path / "gradebook.csv", tmp_path / "feedback"
    out = subprocess.run([sys.executable, "-m", "sheetnet", "grade", str(plain.key), str(handed_in), "-o", str(gb),
                          "--feedback", str(fb), "--hints", "2", "--workers", "2"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "7 submissions graded" in out.stdout and "LN for LOG10 (1)" in out.stdout
    assert {p.name: sha(p) for p in handed_in.iterdir()} == before  # hand-ins untouched
    rows = list(csv.DictReader(gb.open()))
    total = "Titanic: who survived? (18 pts)"
    by = {r["File"]: r for r in rows}
    assert list(by) == ["ann.xlsx", "ben.xlsx", "cat.xlsx", "dan.xlsm", "eve.xlsx", "fay.xls", "gus.xlsx"]
    assert [by[f][total] for f in by] == ["18", "18", "12", "18", "", "", ""]  # not graded: no score, the reason in Flags
    assert by["cat.xlsx"]["log_Fare (1 pts)"] == "0" and by["cat.xlsx"]["Loss and its AVERAGE (1 pts)"] == "0"
    assert by["ann.xlsx"]["Flags"].startswith("byte-identical to ben.xlsx")
    assert "the same formulas and values as dan.xlsm" in by["ann.xlsx"]["Flags"]
    assert by["dan.xlsm"]["Flags"].startswith("macros present (not run)")
    assert by["eve.xlsx"]["Flags"].startswith("not graded: not an .xlsx workbook")
    assert by["fay.xls"]["Flags"].startswith("not graded: an Excel 97-2003 .xls file")
    assert "encrypted" in by["gus.xlsx"]["Flags"]
    assert by["cat.xlsx"]["Flags"] == ""
    # feedback: a page each, and cat's workbook marked where it went wrong
    assert sorted(p.name for p in fb.iterdir()) == ["ann.html", "ben.html", "cat.html", "cat.marked.xlsx", "dan.html",
                                                    "eve.html", "fay.html", "gus.html"]
    page = (fb / "cat.html").read_text()
    assert "LN is the natural logarithm" in page and "=LOG10(F4+1)" in page and "12 / 18" in page
    wb = openpyxl.load_workbook(fb / "cat.marked.xlsx")
    assert "LN is the natural logarithm" in wb["data"]["J4"].comment.text
    assert wb["data"]["J4"].fill.fgColor.rgb == "FFF4B6B6"  # the marking red
    assert wb["linear"]["B1"].comment is not None and wb["data"]["I4"].comment is None


def test_marked_workbook_opens_in_libreoffice_with_the_students_numbers(lo, plain, handed_in, tmp_path):
    res = grade_class(plain.key, [handed_in / "cat.xlsx"], tmp_path / "gb.csv", feedback=tmp_path / "fb", workers=1)
    assert res.grades[0].total == 12
    lo.load(handed_in / "cat.xlsx")
    want = lo.values("linear", "A1:C20")
    lo.load(tmp_path / "fb" / "cat.marked.xlsx")
    assert lo.values("linear", "A1:C20") == want


def test_no_submissions_is_one_line(plain, tmp_path):
    out = subprocess.run([sys.executable, "-m", "sheetnet", "grade", str(plain.key), str(tmp_path / "nothing"),
                          "-o", str(tmp_path / "gb.csv")], capture_output=True, text=True)
    assert out.returncode != 0 and out.stderr.count("\n") == 1 and "no such file or folder" in out.stderr
    assert not (tmp_path / "gb.csv").exists()


def test_not_a_key_is_one_line(handed_in, tmp_path):
    bad = tmp_path / "key.json"
    bad.write_text('{"format": "something else"}')
    out = subprocess.run([sys.executable, "-m", "sheetnet", "grade", str(bad), str(handed_in), "-o",
                          str(tmp_path / "gb.csv")], capture_output=True, text=True)
    assert out.returncode != 0 and out.stderr.count("\n") == 1 and "not a sheetnet exercise key" in out.stderr


def test_a_submission_over_time_is_refused_and_the_rest_graded(plain, plain_key, work, tmp_path):
    from sheetnet.classroom.grade import grade_file

    grade_file(work(), plain_key)  # torch used in this process first: the graders must not inherit its threads
    res = grade_class(plain.key, [work(), work(["LN"])], tmp_path / "gb.csv", workers=2, timeout=0.01)
    assert [g.error for g in res.grades] == ["took longer than 0.01 s to grade; refused"] * 2
    assert [g.total for g in res.grades] == [0, 0]
    res = grade_class(plain.key, [work(), work(["LN"])], tmp_path / "gb.csv", workers=2)
    assert [g.total for g in res.grades] == [18, 13]
