"""Errors are reported with their cell; hostile workbooks are refused quickly and in bounded memory."""

import resource
import subprocess
import sys
import time
import zipfile

import pytest
import xlsxwriter

from sheetnet.engine import Engine, ErrorCode
from sheetnet.errors import SheetnetError

from ..helpers import write_cells


def book(path, cells, sheet="s"):
    wb = xlsxwriter.Workbook(str(path))
    write_cells(wb.add_worksheet(sheet), cells)
    wb.close()
    return path


def patched(src, dst, part, fn):
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            data = zi.read(info.filename)
            zo.writestr(info.filename, fn(data) if info.filename == part else data)
    return dst


def refused(path, *words, seconds=5.0):
    t = time.perf_counter()
    with pytest.raises(SheetnetError) as e:
        Engine.load(path)
    assert time.perf_counter() - t < seconds
    msg = str(e.value)
    assert "\n" not in msg and str(path) in msg
    for w in words:
        assert w in msg, msg
    return msg


def test_unsupported_function_names_cell_and_function(tmp_path):
    refused(book(tmp_path / "u.xlsx", {"A1": 1, "C3": "=BAHTTEXT(A1)"}), "s!C3", "BAHTTEXT", "not supported")


def test_circular_references_are_reported(tmp_path):
    refused(book(tmp_path / "c.xlsx", {"A1": "=B1+1", "B1": "=A1*2"}), "circular reference")
    refused(book(tmp_path / "c2.xlsx", {"A1": "=A1+1"}), "s!A1", "circular reference")


def test_a_running_total_is_not_circular(tmp_path):
    cells = {"A1": 1.0, **{f"A{r}": f"=A{r - 1}+{r}" for r in range(2, 40)}, "B1": "=SUM(A1:A39)"}
    e = Engine.load(book(tmp_path / "run.xlsx", cells))
    assert e.get("s!A39") == sum(range(1, 40))
    assert e.get("s!B1") == sum(sum(range(1, r + 1)) for r in range(1, 40))
    e.set({"s!A1": 11.0})
    assert e.get("s!A39") == sum(range(1, 40)) + 10


def test_errors_propagate_and_are_reported_with_their_cell(tmp_path):
    p = book(tmp_path / "e.xlsx", {"A1": 0, "B2": "=1/A1", "C3": "=B2+1", "D4": "=IFERROR(C3,-1)"})
    e = Engine.load(p)
    assert e.get("s!B2") == ErrorCode("#DIV/0!") and e.get("s!C3") == ErrorCode("#DIV/0!") and e.get("s!D4") == -1
    out = subprocess.run([sys.executable, "-m", "sheetnet.cli", "calc", str(p)], capture_output=True, text=True)
    assert out.returncode == 0 and "s!B2: #DIV/0!" in out.stdout and "s!C3: #DIV/0!" in out.stdout


def test_cli_refusal_is_one_line(tmp_path):
    p = book(tmp_path / "u.xlsx", {"A1": "=FANCY(1)"})
    out = subprocess.run([sys.executable, "-m", "sheetnet.cli", "calc", str(p)], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "FANCY" in out.stderr and "Traceback" not in out.stderr


def test_zip_bomb(tmp_path):
    base = book(tmp_path / "b.xlsx", {"A1": 1})
    bomb = patched(base, tmp_path / "bomb.xlsx", "xl/worksheets/sheet1.xml",
                   lambda d: d.replace(b"<sheetData>", b"<sheetData>" + b" " * (80 << 20)))
    assert bomb.stat().st_size < 1 << 20
    refused(bomb, "zip bomb")


def test_xml_entity_bomb(tmp_path):
    base = book(tmp_path / "b.xlsx", {"A1": "x"})
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                         for i in range(1, 10)) + b"]>")
    bomb = patched(base, tmp_path / "lol.xlsx", "xl/sharedStrings.xml",
                   lambda d: laughs + d.split(b"?>", 1)[1].replace(b"<t>x</t>", b"<t>&lol9;</t>"))
    refused(bomb, "DTD")


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "_rels/.rels"])
def test_an_entity_bomb_in_a_small_part_read_whole(tmp_path, part):
    """The workbook and its relationships are read whole and parsed from their bytes: a DTD anywhere in them is
    refused before parsing."""
    base = book(tmp_path / "b.xlsx", {"A1": 1})
    dtd = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    bomb = patched(base, tmp_path / "dtd.xlsx", part, lambda d: d.split(b"?>", 1)[0] + b"?>" + dtd + d.split(b"?>", 1)[1])
    refused(bomb, "DTD")


@pytest.mark.parametrize("old, new, cell", [
    (b'<c r="B2"><f>A1*2</f>', b'<c r="B0"><f>A1*2</f>', "B0"),  # a formula read in bulk
    (b'<c r="A3"><v>5</v>', b'<c r="A0"><v>5</v>', "A0"),  # a number
    (b'<c r="A3"><v>5</v>', b'<c r="A00"><v>5</v>', "A00"),
])
def test_a_cell_in_row_zero_is_refused(tmp_path, monkeypatch, old, new, cell):
    """Rows are numbered from 1: row 0 once read as row -1, the last row of the sheet's values."""
    from sheetnet.engine import sheetxml

    monkeypatch.setattr(sheetxml, "FORMULA_BYTES", 0)  # (formulas read in bulk, however small the sheet)
    base = book(tmp_path / "b.xlsx", {"A1": 1, "B2": "=A1*2", "A3": 5})
    bad = patched(base, tmp_path / "z.xlsx", "xl/worksheets/sheet1.xml", lambda d: d.replace(old, new))
    refused(bad, f"bad cell address '{cell}'")
    leading = patched(base, tmp_path / "a.xlsx", "xl/worksheets/sheet1.xml", lambda d: d.replace(old, new.replace(
        cell.encode(), cell[0].encode() + b"0" + old.split(b'"')[1][1:])))  # a writer's leading zero (B02) is B2
    eng = Engine.load(leading)
    assert (eng.get("s!B2"), eng.get("s!A3")) == (2.0, 5.0)


def test_a_sheet_claiming_a_billion_rows(tmp_path):
    base = book(tmp_path / "b.xlsx", {"A1": 1})
    huge = patched(base, tmp_path / "rows.xlsx", "xl/worksheets/sheet1.xml",
                   lambda d: d.replace(b'<dimension ref="A1"/>', b'<dimension ref="A1:A1000000000"/>')
                   .replace(b'r="A1"', b'r="A1000000000"').replace(b'<row r="1"', b'<row r="1000000000"'))
    refused(huge, "A1000000000", "beyond")


def test_one_stray_cell_far_away_costs_what_the_cells_cost(tmp_path):
    """A cell typed at XFD1048576 (students type in odd places): memory follows the cells that exist."""
    p = book(tmp_path / "far.xlsx", {"A1": 2, "B1": "=A1*XFD1048576", "C1": "=SUM(XFD:XFD)+COUNT(A:A)",
                                     "XFD1048576": 21, "XFD1048575": "=A1+1"})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    eng = Engine.load(p)
    assert time.perf_counter() - t < 2.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB
    assert eng.get("s!B1") == 42.0 and eng.get("s!XFD1048575") == 3.0 and eng.get("s!C1") == 21 + 3 + 1
    eng.set({"s!A1": 5.0})
    assert eng.get("s!B1") == 105.0 and eng.get("s!C1") == 21 + 6 + 1


def test_formula_length_and_nesting(tmp_path):
    flat = "=" + "+".join(["1"] * 4000)  # 8,000 characters: Excel accepts it, so does the engine
    assert len(flat) == 8000
    assert Engine.load(book(tmp_path / "flat.xlsx", {"A1": flat})).get("s!A1") == 4000
    nested = "=" + "(" * 3999 + "1" + ")" * 3999  # 8,000 characters, 3,999 levels deep
    assert len(nested) == 8000
    refused(book(tmp_path / "deep.xlsx", {"A1": nested}), "s!A1", "nested")
    too_long = "=" + "+".join(["1"] * 4600)
    refused(patched(book(tmp_path / "l.xlsx", {"A1": "=1"}), tmp_path / "long.xlsx", "xl/worksheets/sheet1.xml",
                    lambda d: d.replace(b"<f>1</f>", b"<f>" + too_long[1:].encode() + b"</f>")), "longer than")


@pytest.mark.parametrize("formula", ["=[1]Sheet1!A1+1", "='[other.xlsx]Sheet1'!A1", "=[other.xlsx]Sheet1!A1*2"])
def test_external_workbook_references_are_refused(tmp_path, formula):
    base = book(tmp_path / "b.xlsx", {"A1": "=1"})
    p = patched(base, tmp_path / "ext.xlsx", "xl/worksheets/sheet1.xml",
                lambda d: d.replace(b"<f>1</f>", b"<f>" + formula[1:].replace("&", "&amp;").encode() + b"</f>"))
    refused(p, "another workbook")


@pytest.mark.parametrize("content, words", [(b"hello, world", "not an .xlsx"), (b"", "not an .xlsx"),
                                            (b"PK\x03\x04garbage", "not an .xlsx")])
def test_not_a_workbook(tmp_path, content, words):
    p = tmp_path / "x.xlsx"
    p.write_bytes(content)
    refused(p, words)


def test_every_command_reads_within_memory_and_time(tmp_path):
    """Not only the grader: calc (and solve, check, train, which load the same way) stop with one line
    past --max-memory or --max-seconds, write nothing, and leave the input as it was."""
    import subprocess
    import sys

    import xlsxwriter

    path = tmp_path / "many.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("S")
    ws.write_formula(0, 0, "=SUM(B2:CW5001)", None, 0)
    for r in range(1, 5001):
        for c in range(1, 101):
            ws.write_number(r, c, (r * c) % 97)
    wb.close()
    before = path.read_bytes()
    for flags, words in ((["--max-memory", "40"], "needs more than 40 MB of memory"),
                         (["--max-seconds", "0.05"], "takes longer than 0.05 s")):
        for cmd in (["calc", str(path), "-o", str(tmp_path / "out.xlsx")], ["solve", str(path)]):
            r = subprocess.run([sys.executable, "-m", "sheetnet", *flags, *cmd], capture_output=True, text=True)
            assert r.returncode == 2 and r.stderr.count("\n") == 1 and words in r.stderr, (flags, cmd, r.stderr)
    assert not (tmp_path / "out.xlsx").exists() and path.read_bytes() == before
    csv = tmp_path / "big.csv"  # build --data reads a CSV from anywhere: the same bounds
    csv.write_text("Survived,Pclass,Sex,Age,SibSp,Parch,Fare,Embarked\n" + "1,1,male,30,0,0,7.25,S\n" * 100_000)
    r = subprocess.run([sys.executable, "-m", "sheetnet", "--max-seconds", "0.05", "build", "titanic", "--data",
                        str(csv), "-o", str(tmp_path / "b.xlsx")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "big.csv: takes longer than 0.05 s" in r.stderr
    assert not (tmp_path / "b.xlsx").exists()
    r = subprocess.run([sys.executable, "-m", "sheetnet", "calc", str(path), "--cells", "A1"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and float(r.stdout) == sum((r * c) % 97 for r in range(1, 5001) for c in range(1, 101))


def _restored(src, dst, compression):
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", compression) as zo:
        for info in zi.infolist():
            zo.writestr(info.filename, zi.read(info.filename))
    return dst


def _central(data: bytes, name: bytes, offset: int, value: bytes) -> bytes:
    """The zip's bytes with a field of the central directory's entry for `name` replaced."""
    i = data.index(b"PK\x01\x02")  # the first entry of the central directory
    while True:
        n = int.from_bytes(data[i + 28:i + 30], "little")
        if data[i + 46:i + 46 + n] == name:
            return data[:i + offset] + value + data[i + offset + len(value):]
        m, k = int.from_bytes(data[i + 30:i + 32], "little"), int.from_bytes(data[i + 32:i + 34], "little")
        i += 46 + n + m + k


def test_small_parts_read_straight_from_their_headers_as_zipfile_reads_them(tmp_path):
    """Small parts are inflated straight from their local headers; anything the zip's directory does not vouch
    for (its CRC, its size, its name) is left to zipfile, which refuses it."""
    from sheetnet.engine.package import _Package

    base = book(tmp_path / "b.xlsx", {"A1": 2, "A2": "=A1*3", "B1": "text"})
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        p = _restored(base, tmp_path / f"{compression}.xlsx", compression)
        pkg = _Package(p)
        for info in pkg.zip.infolist():
            assert pkg._inflated(info) == pkg.zip.read(info.filename)
        eng = Engine.load(p)
        assert (eng.get("s!A2"), eng.get("s!B1")) == (6.0, "text")
    data = base.read_bytes()
    sheet = b"xl/worksheets/sheet1.xml"
    crc = (tmp_path / "crc.xlsx")
    crc.write_bytes(_central(data, sheet, 16, b"\0\0\0\0"))
    refused(crc, "CRC")
    with zipfile.ZipFile(base) as z:
        size = z.getinfo(sheet.decode()).file_size
    short = tmp_path / "short.xlsx"  # the directory says the sheet is 10 bytes shorter than it is
    short.write_bytes(_central(data, sheet, 24, (size - 10).to_bytes(4, "little")))
    refused(short, "not a readable .xlsx workbook")
    named = tmp_path / "named.xlsx"  # the local header names another part than the directory does
    local = data.index(sheet)  # (the local header's copy of the name comes first in the file)
    assert data[local - 30:local - 26] == b"PK\x03\x04"
    named.write_bytes(data[:local] + b"xl/worksheets/sheet9.xml" + data[local + len(sheet):])
    refused(named, "not a readable .xlsx workbook")


def _bulk_book(path):
    """A sheet large enough to be read in bulk: numbers, a column of formulas, a shared formula, text."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    for r in range(120):
        ws.write_number(r, 0, r + 1)
        ws.write_formula(r, 1, f"=A{r + 1}*2", None, 2 * (r + 1))
    ws.write_formula(0, 2, '=A1&"<&>"', None, "1<&>")
    ws.write_string(0, 3, "text")
    wb.close()
    return path


@pytest.mark.parametrize("old, new", [
    (b"<f>A5*2</f>", b"<f>A5*2&foo;</f>"),  # an entity XML does not know, in a formula read in bulk
    (b"<f>A5*2</f><v>10</v>", b'<f>A5*2</f><v>1&0</v>'),  # a bare &, in a cached value
    (b"<f>A5*2</f>", b"<f>A5*2\x01</f>"),  # no character of XML
    (b"<f>A5*2</f>", b"<f>A5*2\xff</f>"),  # no UTF-8
    (b"<f>A5*2</f><v>10</v>", b"<f>A5*2</f><v>1]]>0</v>"),
    (b"<f>A5*2</f>", b"<f>A5*2&#0;</f>"),
    (b"<f>A5*2</f>", b"<f>A5*2&#xD800;</f>"),
    (b'<row r="3"', b'<row r="3" x="<c r="Z1"><v>1</v></c>"'),  # a cell inside a value
    (b'<row r="3"', b'<row r="3" <c r="Z1"><v>1</v></c>'),  # a cell inside a tag
    (b"</sheetData>", b""),  # an element left open
])
def test_a_malformed_sheet_read_in_bulk_is_refused(tmp_path, old, new):
    """Where the bulk readings cut cells out of a part, only what they leave is parsed as XML: what they cut must
    be character data XML allows, between tags, or the whole part is checked, and refused where it is malformed."""
    base = _bulk_book(tmp_path / "b.xlsx")
    with zipfile.ZipFile(base) as z:
        assert old in z.read("xl/worksheets/sheet1.xml")
    bad = patched(base, tmp_path / "bad.xlsx", "xl/worksheets/sheet1.xml", lambda d: d.replace(old, new, 1))
    refused(bad, "malformed XML")


def test_a_sheet_read_in_bulk_with_references_in_its_text(tmp_path):
    base = _bulk_book(tmp_path / "b.xlsx")
    ok = patched(base, tmp_path / "ok.xlsx", "xl/worksheets/sheet1.xml",
                 lambda d: d.replace(b"<f>A5*2</f>", b"<f>A5*2+(&#65;1=&#x41;1)*0</f>", 1))
    eng = Engine.load(ok)
    assert (eng.get("s!B5"), eng.get("s!C1"), eng.get("s!B120")) == (10.0, "1<&>", 240.0)
    with zipfile.ZipFile(ok) as z:
        assert b"&amp;" in z.read("xl/worksheets/sheet1.xml") and len(z.read("xl/worksheets/sheet1.xml")) > 4096
