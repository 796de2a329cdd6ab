"""Does a third spreadsheet compute the lessons as sheetnet writes them?  Every lesson, built at its defaults,
recalculated from scratch by LibreOffice Calc and by Gnumeric (`ssconvert --recalc`), every formula cell
compared with the value sheetnet cached (numpy's).

    python bench/bench_compat.py                 # needs LibreOffice (scripts/test installs it) and
                                                 # Gnumeric (apt-get install gnumeric)
    python bench/bench_compat.py --lessons gd,relu

Prints, per lesson, how many formula cells agree (relative 1e-9) and the first cells that do not.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LESSONS = ("titanic", "gd", "relu", "digits", "softmax", "collab", "conv")
TOL = 1e-9


def formula_cells(path):
    """{sheet: {(row, col): cached value}} for every formula cell of a workbook sheetnet wrote."""
    import openpyxl

    forms = openpyxl.load_workbook(path, read_only=True)
    vals = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out = {}
    for ws in forms.worksheets:
        if ws.sheet_state != "visible":
            continue
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                v = getattr(c, "value", None)
                if isinstance(v, str) and v.startswith("=") or type(v).__name__ == "ArrayFormula":
                    cells[(c.row, c.column)] = None
        for row in vals[ws.title].iter_rows():
            for c in row:
                if getattr(c, "row", None) and (c.row, c.column) in cells:
                    cells[(c.row, c.column)] = c.value
        out[ws.title] = cells
    return out


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= TOL * max(1.0, abs(b))
    return (a in (None, "")) == (b in (None, "")) and (a in (None, "") or a == b)


def gnumeric_values(src, out_dir):
    """Gnumeric's recalculation, saved as .xlsx and read back: {sheet: {(row, col): value}}."""
    import openpyxl

    dst = Path(out_dir) / f"{Path(src).stem}.gnumeric.xlsx"
    subprocess.run(["ssconvert", "--recalc", str(src), str(dst)], check=True, capture_output=True, timeout=600)
    wb = openpyxl.load_workbook(dst, read_only=True, data_only=True)
    return {ws.title: {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if getattr(c, "row", None)}
            for ws in wb.worksheets}


def libreoffice_values(lo, src, sheets):
    lo.load(src)
    out = {}
    for s in sheets:
        grid = lo.values(s)
        out[s] = {(r + 1, c + 1): v for r, row in enumerate(grid) for c, v in enumerate(row)}
    return out


def main():
    from sheetnet import api
    from sheetnet.crosscheck import libreoffice

    ap = argparse.ArgumentParser()
    ap.add_argument("--lessons", default=",".join(LESSONS), help="lessons to build and compare (default: all)")
    a = ap.parse_args()
    have_gnumeric = shutil.which("ssconvert") is not None
    lo = libreoffice.LibreOffice() if libreoffice.find() else None
    if not have_gnumeric or lo is None:
        print(f"needs {'Gnumeric (apt-get install gnumeric)' if not have_gnumeric else ''}"
              f"{' and ' if not have_gnumeric and lo is None else ''}{'LibreOffice' if lo is None else ''}")
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name in a.lessons.split(","):
                src = Path(tmp) / f"{name}.xlsx"
                api.build(name, src, seed=0)
                cached = formula_cells(src)
                n = sum(len(c) for c in cached.values())
                results = {}
                for engine, get in (("LibreOffice", lambda: libreoffice_values(lo, src, list(cached)) if lo else None),
                                    ("Gnumeric", lambda: gnumeric_values(src, tmp) if have_gnumeric else None)):
                    got = get()
                    if got is None:
                        results[engine] = ("-", [])
                        continue
                    bad = [(s, rc, v, got.get(s, {}).get(rc)) for s, cells in cached.items() for rc, v in cells.items()
                           if not _same(got.get(s, {}).get(rc), v)]
                    results[engine] = (n - len(bad), bad)
                rows.append((name, n, results))
                print(f"{name:<8} {n:>7} formula cells: " + ", ".join(
                    f"{e} {r[0]} agree" for e, r in results.items()), flush=True)
                for e, (_, bad) in results.items():
                    for s, (r, c), want, got in bad[:3]:
                        from openpyxl.utils import get_column_letter
                        print(f"           {e}: {s}!{get_column_letter(c)}{r} is {got!r}, sheetnet cached {want!r}")
    finally:
        if lo is not None:
            lo.close()
    print(f"\n{'lesson':<8} {'formulas':>9} {'LibreOffice agree':>18} {'Gnumeric agree':>15}")
    for name, n, results in rows:
        lo_ok, gn_ok = results["LibreOffice"][0], results["Gnumeric"][0]
        print(f"{name:<8} {n:>9} {lo_ok!s:>18} {gn_ok!s:>15}")


if __name__ == "__main__":
    main()
