"""The differential fuzzer at scale: N random workbooks (tests/workbook_gen.py), sheetnet's engine
against LibreOffice recalculating each from scratch; prints the count and every difference.

    python bench/bench_fuzz_workbooks.py [--count 2000] [--start 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sheetnet.crosscheck.libreoffice import LibreOffice  # noqa: E402
from sheetnet.engine import Engine  # noqa: E402
from sheetnet.errors import SheetnetError  # noqa: E402
from tests import workbook_gen as W  # noqa: E402
from tests.engine.test_engine import close, same  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--start", type=int, default=0, help="first seed (the tests use 0..149)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    bad, refused, cells_total, cycles = [], [], 0, 0
    with tempfile.TemporaryDirectory() as d, LibreOffice() as lo:
        for seed in range(a.start, a.start + a.count):
            path = Path(d) / f"w{seed}.xlsx"
            cells, cycle = W.workbook(path, seed)
            cycles += cycle
            cells_total += sum(len(v) for v in cells.values())
            try:
                eng = Engine.load(path)
            except SheetnetError as e:
                refused.append(f"seed {seed}: {e}")
                continue
            lo.load(path)
            for where, mine, theirs in W.differences(eng, lo, path, cells, cycle, close, same,
                                                     lambda lo_, s: lo_.errors(s, "A1:M8")):
                bad.append(f"seed {seed} {where}: engine {mine!r}, LibreOffice {theirs!r}")
            if (seed - a.start + 1) % 200 == 0:
                print(f"  {seed - a.start + 1} workbooks, {len(bad)} differences so far", flush=True)
    print(f"{a.count} workbooks (seeds {a.start}..{a.start + a.count - 1}), {cells_total} formula cells, "
          f"{cycles} with an iterated cycle, {time.perf_counter() - t0:.0f} s")
    print(f"differences: {len(bad)}; refused: {len(refused)}")
    for line in bad + refused:
        print("  " + line)


if __name__ == "__main__":
    main()
