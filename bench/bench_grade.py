"""Grading a class: seconds per submission and for a whole class, against LibreOffice recalculating each file.

    python bench/bench_grade.py               # 300 submissions
    python bench/bench_grade.py --class 60

Submissions are made by LibreOffice: the Titanic exercise done right and with each of the usual
mistakes (tests/classroom/student.py types the formulas into Calc and saves), then copied to
fill the class.  "sheetnet grade" reads, recomputes (three perturbations, carry-forward, Solver
check by a Solver-like run) and writes the gradebook and feedback; the alternative a teacher
would otherwise run is LibreOffice headless opening and recalculating every file (values only,
no grading at all), timed per file on a sample.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KINDS = [(), ("LN",), ("sliding",), ("sum",), ("no_ones",), ("off_by_one",), ("relu_reversed",), ("no_mmult",),
         ("paste_values",), ("LN", "sum", "dummy_level")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--class", dest="n", type=int, default=300)
    ap.add_argument("--sample", type=int, default=10, help="files timed one by one (median)")
    args = ap.parse_args()

    from sheetnet.classroom.batch import grade_class
    from sheetnet.classroom.exercise import make_exercise
    from sheetnet.classroom.grade import Key, grade_file
    from sheetnet.crosscheck.libreoffice import LibreOffice
    from tests.classroom.student import do_exercise

    tmp = Path(tempfile.mkdtemp(prefix="sheetnet-bench-grade-"))
    try:
        ex = make_exercise("titanic", tmp / "class")
        key = Key.load(ex.key)
        made = []
        with LibreOffice() as lo:
            for i, kind in enumerate(KINDS):
                made.append(do_exercise(lo, ex.student, tmp / f"kind{i}.xlsx", key.rows, kind,
                                        params=key.d["solution"]["params"]))
            inbox = tmp / "inbox"
            inbox.mkdir()
            for i in range(args.n):
                shutil.copy(made[i % len(made)], inbox / f"s{i:04d}.xlsx")
            one = []
            for f in made[:args.sample]:
                t = time.perf_counter()
                grade_file(f, key)
                one.append(time.perf_counter() - t)
            lo_one = []
            for f in made[:args.sample]:
                t = time.perf_counter()
                lo.load(f)  # opens, then recalculates every formula
                lo_one.append(time.perf_counter() - t)
        t = time.perf_counter()
        res = grade_class(ex.key, [inbox], tmp / "gradebook.csv", feedback=tmp / "feedback")
        whole = time.perf_counter() - t
        cores = os.cpu_count() or 1
        g1, l1 = statistics.median(one), statistics.median(lo_one)
        print(f"one submission (median of {len(one)}): sheetnet grade {g1:.3f} s; LibreOffice open+recalculate "
              f"{l1:.3f} s (values only, no grading); ratio {l1 / g1:.1f}x")
        print(f"a class of {args.n} on {cores} cores: {whole:.1f} s with gradebook and feedback "
              f"({whole / args.n * 1000:.0f} ms a submission); LibreOffice one at a time would take "
              f"{l1 * args.n:.0f} s just to recalculate")
        print(f"median mark {statistics.median(g.total for g in res.grades):g} of 18")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
