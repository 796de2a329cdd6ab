"""Every bundled lesson at its default size: build time (median of 5), file size, formula count, and
how long LibreOffice takes to open and recalculate the result (what a teacher waits for instead).

    python bench/bench_lessons.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main():
    from sheetnet import api
    from sheetnet.crosscheck import libreoffice
    from sheetnet.engine import Engine

    tmp = Path(tempfile.mkdtemp(prefix="sheetnet-bench-lessons-"))
    rows = []
    lo = libreoffice.LibreOffice() if libreoffice.find() else None
    try:
        for name, variant in (("titanic", None), ("gd", None), ("gd", "line"), ("relu", None), ("digits", None),
                              ("softmax", None), ("collab", None), ("conv", None)):
            out = tmp / f"{name}-{variant or 'default'}.xlsx"
            times = []
            for _ in range(5):
                t = time.perf_counter()
                api.build(name, out, variant=variant)
                times.append(time.perf_counter() - t)
            size = out.stat().st_size
            with zipfile.ZipFile(out) as z:
                xml = sum(z.getinfo(n).file_size for n in z.namelist())
            t = time.perf_counter()
            eng = Engine.load(out)
            eng_s = time.perf_counter() - t
            n_f = len(eng.formula_cells())
            lo_s = float("nan")
            if lo:
                t = time.perf_counter()
                lo.load(out)
                lo_s = time.perf_counter() - t
            rows.append((f"{name}{' --model ' + variant if variant else ''}", statistics.median(times), size, xml,
                         n_f, eng_s, lo_s))
    finally:
        if lo:
            lo.close()
    print(f"{'lesson':<18}{'build s':>9}{'file KB':>9}{'XML KB':>9}{'formulas':>10}{'engine s':>10}"
          f"{'LibreOffice s':>15}{'LO/build':>10}")
    for name, b, size, xml, n_f, e, lo_s in rows:
        print(f"{name:<18}{b:>9.3f}{size / 1024:>9.0f}{xml / 1024:>9.0f}{n_f:>10}{e:>10.3f}{lo_s:>15.3f}{lo_s / b:>9.1f}x")


if __name__ == "__main__":
    main()
