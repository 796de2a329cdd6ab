"""Packages whose writers named things loosely, read as Excel reads them: part names compared ignoring case (a
relationship names xl/sharedStrings.xml for the part xl/SharedStrings.xml), folders separated by backslashes, and
cell addresses in lower case (xlrd3's test files hold each of these, written by real tools)."""

import re
import zipfile

import pytest
import xlsxwriter

from sheetnet.engine import Engine
from sheetnet.errors import SheetnetError

from ..helpers import rewrite_parts


def _book(path):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write("A1", "alpha")
    ws.write("A2", 2.5)
    ws.write("B1", "beta")
    ws.write_formula("B2", '=A2*4&" "&A1&B1', None, "")
    ws.write_formula("C2", "=LEN(B2)", None, 0)
    wb.close()
    return path


def _renamed(src, dst, rename, edit=lambda name, data: data):
    with zipfile.ZipFile(src) as zin:
        parts = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts:
            zout.writestr(rename(name), edit(name, data))
    return dst


WANT = {"S!A1": "alpha", "S!B2": "10 alphabeta", "S!C2": 12.0}


@pytest.mark.parametrize("rename", [
    lambda n: n.replace("sharedStrings", "SharedStrings"),  # (the relationship still says sharedStrings.xml)
    lambda n: n.replace("sharedStrings", "sharedstrings").replace("sheet1", "Sheet1"),
    lambda n: n.replace("/", "\\"),  # every folder by a backslash, [Content_Types].xml's too
    lambda n: n.upper() if n.startswith("xl/") else n,
])
def test_part_names_are_compared_ignoring_case_and_backslashes(tmp_path, rename):
    src = _book(tmp_path / "a.xlsx")
    eng = Engine.load(_renamed(src, tmp_path / "b.xlsx", rename))
    assert {ref: eng.get(ref) for ref in WANT} == WANT


def test_two_parts_one_name_but_for_case_answer_for_neither(tmp_path):
    """xl/SharedStrings.xml and xl/SHAREDSTRINGS.XML both there, the relationship naming xl/sharedStrings.xml: no
    part is picked by guess, so the strings are missing and their cell is refused by name."""
    src = _book(tmp_path / "a.xlsx")
    with zipfile.ZipFile(src) as z:
        strings = z.read("xl/sharedStrings.xml")
    dst = _renamed(src, tmp_path / "b.xlsx", lambda n: n.replace("sharedStrings", "SharedStrings"))
    with zipfile.ZipFile(dst, "a") as z:
        z.writestr("xl/SHAREDSTRINGS.XML", strings.replace(b"alpha", b"gamma"))
    with pytest.raises(SheetnetError, match=r"sheet S, cell A1: .*shared string"):
        Engine.load(dst)


def test_lower_case_cell_addresses_read_as_upper_case(tmp_path):
    src = _book(tmp_path / "a.xlsx")
    dst = rewrite_parts(src, tmp_path / "b.xlsx", lambda name, data: re.sub(
        rb'(<c r=")([A-Z]+)([0-9]+")', lambda m: m.group(1) + m.group(2).lower() + m.group(3), data)
        if name == "xl/worksheets/sheet1.xml" else data)
    with zipfile.ZipFile(dst) as z:
        assert b'<c r="a1"' in z.read("xl/worksheets/sheet1.xml")
    eng = Engine.load(dst)
    assert {ref: eng.get(ref) for ref in WANT} == WANT
