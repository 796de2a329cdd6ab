"""The differential fuzzer: random workbooks (tests/workbook_gen.py) evaluated by the engine and by
LibreOffice recalculating from scratch must agree in every formula cell.  Seeded: the same workbooks
on every run; SHEETNET_FUZZ_WORKBOOKS=N checks N of them, `python bench/bench_fuzz_workbooks.py` thousands."""

import os

from sheetnet.engine import Engine

from .. import workbook_gen as W
from .test_engine import close, same

COUNT = int(os.environ.get("SHEETNET_FUZZ_WORKBOOKS", "150"))


def test_random_workbooks_match_libreoffice(lo, tmp_path):
    bad, cycles, rows = [], 0, 0
    for seed in range(COUNT):
        path = tmp_path / f"w{seed}.xlsx"
        cells, cycle = W.workbook(path, seed)
        cycles += cycle
        eng = Engine.load(path)
        rows += any(g.array_rows for g in eng.groups)
        lo.load(path)
        for where, mine, theirs in W.differences(eng, lo, path, cells, cycle, close, same,
                                                 lambda lo_, s: lo_.errors(s, "A1:M8")):
            bad.append(f"seed {seed} {where}: engine {mine!r}, LibreOffice {theirs!r}")
    assert cycles > COUNT // 8 and rows > COUNT // 8  # the cycles and runs of one-row arrays are really drawn
    assert not bad, f"{len(bad)} differences:\n" + "\n".join(bad[:30])
