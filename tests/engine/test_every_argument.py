"""Every function with every kind of argument: a value (Excel's, or its error value) or a refusal
written on purpose, never an internal exception surfacing as "cannot evaluate ... (SomePythonError)"."""

import xlsxwriter

from sheetnet.engine import Engine
from sheetnet.engine.functions import FUNCTIONS
from sheetnet.errors import SheetnetError

KINDS = {"number": "2.5", "negative": "-1", "text": '"a"', "number as text": '"3"', "blank": "Z99", "bool": "TRUE",
         "error": "1/0", "column": "A1:A3", "row": "A1:C1", "array": "{1,2;3,4}", "omitted": ""}


def _formulas(name, f):
    out = set()
    for n in range(f.lo, min(f.hi, 3) + 1):
        if n == 0:
            out.add(f"{name}()")
        for pos in range(n):
            for text in KINDS.values():
                if n == 1 and not text:  # F() is no call with one argument left out (Excel refuses it)
                    continue
                args = ["2"] * n
                args[pos] = text
                out.add(f"{name}({','.join(args)})")
    return sorted(out)


def _book(path, formulas):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_number("A1", 1)
    ws.write_string("A2", "x")
    ws.write_number("A3", 3)
    ws.write_number("B1", 2)
    ws.write_boolean("C1", True)
    for i, text in enumerate(formulas):
        ws.write_formula(i, 5, "=" + text, None, 0)
    wb.close()


def _internal(path, formulas):
    """The formulas (one workbook each) whose evaluation ends in an internal exception."""
    bad = []
    for text in formulas:
        _book(path, [text])
        try:
            Engine.load(path)
        except SheetnetError as e:
            if "cannot evaluate" in str(e):
                bad.append(f"{text}: {str(e).split(': ', 2)[-1]}")
    return bad


def test_every_function_with_every_kind_of_argument(tmp_path):
    names = sorted(FUNCTIONS)
    assert len(names) > 150
    bad = []
    for i in range(0, len(names), 20):  # twenty functions a workbook; a refused one is searched formula by formula
        formulas = [t for n in names[i:i + 20] for t in _formulas(n, FUNCTIONS[n])]
        path = tmp_path / f"f{i}.xlsx"
        _book(path, formulas)
        try:
            eng = Engine.load(path)
        except SheetnetError as e:
            if "cannot evaluate" in str(e) or "not supported" not in str(e):
                bad += _internal(tmp_path / "one.xlsx", formulas)
            continue
        for r in range(len(formulas)):
            eng.get(f"S!F{r + 1}")  # a value, an error value or a blank: anything but an exception
    assert not bad, "\n".join(bad[:20])
