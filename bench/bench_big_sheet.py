"""A large plain sheet: 3 million numbers and one SUM (issue 14's file), read by `sheetnet calc`.

    python bench/bench_big_sheet.py [--rows 100000] [--cols 30] [--runs 3]

Writes the workbook as Excel does (one <c r="B7"><v>..</v></c> a cell, numbers 0 to 999, seeded),
then times the whole command (wall, median of --runs) and its peak memory, on two cores and with
SHEETNET_NO_FORK=1 (one core: the XML check in line), checks the SUM against numpy's, and times
ironcalc loading and evaluating the same file when it is installed (pip install ironcalc).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
R_NS = b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = b"http://schemas.openxmlformats.org/package/2006/relationships"


def letters(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, m = divmod(c - 1, 26)
        s = chr(65 + m) + s
    return s


def write_book(path: Path, rows: int, cols: int) -> float:
    """The workbook, and the sum numpy gives."""
    vals = np.random.default_rng(0).integers(0, 1000, (rows, cols))
    names = [letters(c).encode() for c in range(cols)]
    last = letters(cols - 1)
    parts = [HEAD, b"<worksheet " + NS + b"><sheetData>"]
    for r in range(rows):
        cells = b"".join(b'<c r="%s%d"><v>%d</v></c>' % (names[c], r + 1, v) for c, v in enumerate(vals[r]))
        if r == 0:
            cells += b'<c r="%s1"><f>SUM(A1:%s%d)</f><v>0</v></c>' % (letters(cols + 1).encode(), last.encode(), rows)
        parts.append(b'<row r="%d">%s</row>' % (r + 1, cells))
    parts.append(b"</sheetData></worksheet>")
    ct = (HEAD + b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          b'<Default Extension="xml" ContentType="application/xml"/>'
          b'<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          b'spreadsheetml.styles+xml"/>'
          b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          b'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
          b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    rels = (HEAD + b'<Relationships xmlns="' + PKG_REL + b'"><Relationship Id="rId1" Type="' + REL +
            b'/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = (HEAD + b"<workbook " + NS + b" " + R_NS + b'><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/>'
          b"</sheets></workbook>")
    wbrels = (HEAD + b'<Relationships xmlns="' + PKG_REL + b'"><Relationship Id="rId1" Type="' + REL +
              b'/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="' + REL +
              b'/styles" Target="styles.xml"/></Relationships>')
    styles = (HEAD + b"<styleSheet " + NS + b'><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font>'
              b'</fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1">'
              b'<border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
              b'</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
              b'</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
              b"</styleSheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in (("[Content_Types].xml", ct), ("_rels/.rels", rels), ("xl/workbook.xml", wb),
                           ("xl/_rels/workbook.xml.rels", wbrels), ("xl/styles.xml", styles),
                           ("xl/worksheets/sheet1.xml", b"".join(parts))):
            z.writestr(name, data)
    return float(vals.sum())


# runs a command and says its peak memory: a fresh parent each time, so one command's peak is not another's
WRAP = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); t = time.perf_counter() - t; "
        "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr); "
        "print(t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)")


def run(cmd, env, runs) -> tuple[float, float, str]:
    """(median wall s, peak memory MB, stdout) of the whole command."""
    times, peaks, out = [], [], ""
    for _ in range(runs):
        r = subprocess.run([sys.executable, "-c", WRAP, *cmd], env=env, capture_output=True, text=True, check=True)
        t, kb = r.stderr.strip().splitlines()[-1].split()
        times.append(float(t))
        peaks.append(int(kb) / 1024)
        out = r.stdout.strip()
    return statistics.median(times), max(peaks), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--cols", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "onesum.xlsx"
        want = write_book(path, a.rows, a.cols)
        cell = f"{letters(a.cols + 1)}1"
        print(f"{a.rows * a.cols:,} numbers and one SUM: {path.stat().st_size / 1e6:.1f} MB .xlsx, "
              f"{a.runs} runs each, median\n")
        print("| reader | wall s | peak memory MB | SUM |")
        print("|---|---:|---:|---|")
        cmd = [sys.executable, "-m", "sheetnet", "calc", str(path), "--cells", cell]
        for label, extra in (("`sheetnet calc` (two cores)", {}), ("`sheetnet calc`, SHEETNET_NO_FORK=1",
                                                                    {"SHEETNET_NO_FORK": "1"})):
            t, mb, out = run(cmd, env | extra, a.runs)
            ok = "= numpy" if float(out) == want else f"{out} (numpy {want})"
            print(f"| {label} | {t:.2f} | {mb:.0f} | {ok} |", flush=True)
        try:
            import ironcalc  # noqa: F401
        except ImportError:
            return
        code = (f"import ironcalc; m = ironcalc.load_from_xlsx({str(path)!r}, 'en', 'UTC'); m.evaluate(); "
                f"print(m.get_cell_content(0, 1, {a.cols + 2}) and m.get_formatted_cell_value(0, 1, {a.cols + 2}))")
        try:
            t, mb, out = run([sys.executable, "-c", code], env, a.runs)
        except subprocess.CalledProcessError as e:
            print(f"| python: ironcalc 0.9.1 | refused: {e.stderr.strip().splitlines()[-1]} | | |")
            return
        ok = "= numpy" if out and float(out) == want else f"{out} (numpy {want})"
        print(f"| python: ironcalc 0.9.1 loads and evaluates | {t:.2f} | {mb:.0f} | {ok} |")


if __name__ == "__main__":
    main()
