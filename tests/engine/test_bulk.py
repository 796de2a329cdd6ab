"""A large sheet's plain numbers read in bulk: the same cells as the cell-by-cell reading, bad values
refused with their cell either way, and the XML check on a second core refusing what it refused in line."""

import zipfile

import pytest
import xlsxwriter

from sheetnet.engine import Engine, bulkcells, sheetxml
from sheetnet.errors import SheetnetError

ROWS = 3000
PART = "xl/worksheets/sheet1.xml"


def big_book(path, patch=None):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    bold = wb.add_format({"bold": True})
    for r in range(ROWS):
        ws.write_number(r, 0, r)
        ws.write_number(r, 1, (r + 1) / 7)  # 17 digits
        ws.write_number(r, 2, -(r + 1) * 1e-20)  # an exponent
        ws.write_number(r, 3, r * 0.5, bold)  # s="1"
        ws.write_string(r, 4, f"t{r % 50}")
        ws.write_boolean(r, 5, r % 2 == 0)
        ws.write_formula(r, 6, f"=A{r + 1}+B{r + 1}", None, r + (r + 1) / 7)
        ws.write_blank(r, 7, None, bold)
    ws.write_number(ROWS + 5, 30, 123456789.125)  # a far cell, AE3006
    wb.close()
    if patch:
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        parts[PART] = patch(parts[PART])
        with zipfile.ZipFile(path, "w") as z:
            for n, d in parts.items():
                z.writestr(n, d)
    return path


def t_n(data: bytes) -> bytes:
    """LibreOffice's spelling of some numbers: s="0" t="n"."""
    for r in range(1, ROWS, 7):
        data = data.replace(b'<c r="A%d"><v>' % r, b'<c r="A%d" s="0" t="n"><v>' % r)
    return data


def read(path, bulk: bool, monkeypatch):
    monkeypatch.setattr(sheetxml, "BULK_BYTES", 1 << 16 if bulk else 1 << 60)
    with zipfile.ZipFile(path) as z:
        data = z.read(PART)
        strings = z.read("xl/sharedStrings.xml")
    import re
    words = [w.decode() for w in re.findall(rb"<t>([^<]*)</t>", strings)]
    return sheetxml.scan_sheet(data, "s", "s", words, want_cached=True)


def test_the_bulk_reading_reads_what_the_cell_by_cell_reading_reads(tmp_path, monkeypatch):
    p = big_book(tmp_path / "big.xlsx", t_n)
    with zipfile.ZipFile(p) as z:
        data = z.read(PART)
    assert len(data) > 1 << 16 and b't="n"' in data
    bulk = bulkcells.plain_numbers(data, lambda *a: None)
    assert bulk is not None and len(bulk[2]) == 4 * ROWS + 1  # A to D and the far cell, in bulk
    a, b = read(p, True, monkeypatch), read(p, False, monkeypatch)

    def numbers(sd):
        return sorted(zip(sd.rows, sd.cols, sd.vals))

    assert numbers(a) == numbers(b) and len(numbers(a)) == 4 * ROWS + 1
    assert sorted(a.other, key=str) == sorted(b.other, key=str) and len(a.other) == 2 * ROWS
    assert [(r.col, r.r0, r.k, r.text) for r in a.runs] == [(r.col, r.r0, r.k, r.text) for r in b.runs]
    assert a.cached == b.cached and (a.max_row, a.max_col) == (b.max_row, b.max_col) == (ROWS + 5, 30)
    eng = Engine.load(p)
    as_written = float(f"{8 / 7:.16g}")  # (XlsxWriter writes 16 digits)
    assert eng.get("s!B8") == as_written and eng.get("s!C3") == -3e-20 and eng.get("s!G8") == 7 + as_written
    assert eng.get("s!AE3006") == 123456789.125 and eng.get("s!E51") == "t0" and eng.get("s!F1") is True


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("value, words", [
    (b"<v>1e</v>", "cell A4: holds '1e', not a number"),
    (b"<v>1e999</v>", "cell A4: holds inf as a number"),
    (b"<v>nan</v>", "cell A4: holds nan as a number"),
])
def test_a_value_that_is_no_number_is_refused_with_its_cell(tmp_path, monkeypatch, bulk, value, words):
    p = big_book(tmp_path / "bad.xlsx", lambda d: d.replace(b'<c r="A4"><v>3</v>', b'<c r="A4">' + value, 1))
    monkeypatch.setattr(sheetxml, "BULK_BYTES", 1 << 16 if bulk else 1 << 60)
    with pytest.raises(SheetnetError) as e:
        Engine.load(p)
    assert words in str(e.value) and str(p) in str(e.value) and "sheet s" in str(e.value), str(e.value)


@pytest.mark.parametrize("index", [b"999", b"-1", b"x"])
def test_a_shared_string_that_is_not_there_is_refused_with_its_cell(tmp_path, index):
    p = big_book(tmp_path / "s.xlsx", lambda d: d.replace(b'<c r="E2" t="s"><v>1</v>', b'<c r="E2" t="s"><v>'
                                                          + index + b"</v>", 1))
    with pytest.raises(SheetnetError, match=r"sheet s, cell E2: holds '.*', the number of no shared string; refused"):
        Engine.load(p)


def test_a_bulk_cell_beyond_the_sheet_is_refused(tmp_path):
    p = big_book(tmp_path / "far.xlsx", lambda d: d.replace(b'<c r="AE3006">', b'<c r="AE3000000">'))
    with pytest.raises(SheetnetError, match="AE3000000 is beyond a sheet's"):
        Engine.load(p)


@pytest.mark.parametrize("patch, words", [
    (lambda d: d[:-200], "malformed XML"),
    (lambda d: d.replace(b"?>", b'?><!DOCTYPE worksheet [<!ENTITY e "x">]>', 1), "declares a DTD"),
])
def test_the_xml_check_on_a_second_core_refuses_as_in_line(tmp_path, monkeypatch, patch, words):
    p = big_book(tmp_path / "x.xlsx", patch)
    for parallel in (0, 1 << 60):  # checked in a forked process (where there are two cores), then in line
        monkeypatch.setattr(bulkcells, "PARALLEL_CHECK_BYTES", parallel)
        with pytest.raises(SheetnetError) as e:
            Engine.load(p)
        assert words in str(e.value) and "sheet s" in str(e.value) and "\n" not in str(e.value)


def test_a_good_part_checked_on_a_second_core_loads(tmp_path, monkeypatch):
    monkeypatch.setattr(bulkcells, "PARALLEL_CHECK_BYTES", 0)
    eng = Engine.load(big_book(tmp_path / "g.xlsx"))
    assert eng.get("s!A3000") == 2999 and eng.get("s!G1") == float(f"{1 / 7:.16g}")


def test_no_second_process_to_be_had_checks_in_line(tmp_path, monkeypatch):
    import os

    def no_fork():
        raise OSError(12, "Cannot allocate memory")
    monkeypatch.setattr(bulkcells, "PARALLEL_CHECK_BYTES", 0)
    monkeypatch.setattr(os, "fork", no_fork)
    assert Engine.load(big_book(tmp_path / "g.xlsx")).get("s!A3000") == 2999
    with pytest.raises(SheetnetError, match="malformed XML"):
        Engine.load(big_book(tmp_path / "m.xlsx", lambda d: d[:-200]))
