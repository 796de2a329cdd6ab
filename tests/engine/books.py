"""Workbooks written for the engine's tests, and the same cells as LibreOffice computes them."""

import xlsxwriter

from sheetnet.crosscheck.libreoffice import ERROR_CODES
from sheetnet.engine import ErrorCode
from sheetnet.engine.package import parse_cell


def write_book(path, sheets: dict):
    """{sheet: {"A1": value, "B1": "=formula", "C1:C3": "{=array}", "D1:D9": "dyn:=dynamic array"}}."""
    wb = xlsxwriter.Workbook(str(path), {"use_future_functions": True})
    for name, cells in sheets.items():
        ws = wb.add_worksheet(name)
        for ref, v in cells.items():
            if isinstance(v, str) and v.startswith("dyn:"):
                ws.write_dynamic_array_formula(ref, v[4:])
            elif isinstance(v, str) and v.startswith("{="):
                ws.write_array_formula(ref if ":" in ref else f"{ref}:{ref}", v)
            elif isinstance(v, str) and v.startswith("="):
                ws.write_formula(ref, v, None, 0)
            elif isinstance(v, bool):
                ws.write_boolean(ref, v)
            elif v is not None:
                ws.write(ref, v)
    wb.close()
    return path


def lo_cells(lo, path, sheet, refs):
    """{ref: LibreOffice's value, or its error as the text Excel shows}."""
    lo.load(path)
    out = {}
    for ref in refs:
        r, c = parse_cell(ref)
        v = lo.values(sheet, f"{ref}:{ref}")[0][0]
        e = lo.errors(sheet, f"{ref}:{ref}")
        out[ref] = ERROR_CODES.get(next(iter(e.values())), "ERR") if e else v
    return out


def same(mine, lov, rel=1e-12) -> bool:
    """Engine value vs LibreOffice's (booleans come through UNO as 1/0, errors as their text)."""
    if isinstance(mine, ErrorCode):
        return str(mine) == lov
    if isinstance(mine, bool):
        return lov == float(mine)
    if isinstance(mine, float) and isinstance(lov, float):
        return abs(mine - lov) <= rel * max(1.0, abs(lov))
    return mine == lov or (mine is None and lov in ("", 0.0))
