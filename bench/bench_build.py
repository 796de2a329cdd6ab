"""Time and peak memory to build the lesson workbook, for 712 rows and synthetic 100k / 1M rows.

    python bench/bench_build.py            # 712, 100k, 1M rows
    python bench/bench_build.py --quick    # 712 and 100k only

Each case runs in its own process (so peak memory is its own).  Synthetic rows are Titanic rows
drawn with replacement (seeded).  "writer MB" is the peak resident memory above what the process
held once its data was prepared: the cost of writing the workbook itself, which should stay flat
as rows grow (sheets are streamed row by row).  The alternative a user would pick is the same
build with XlsxWriter's default in-memory mode, shown for the sizes where it fits.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one(rows: int, mode: str) -> dict:
    import numpy as np

    from sheetnet.lessons import workbook as B
    from sheetnet.lessons.prepare import feature_matrix, prepare
    from sheetnet.lessons.template import load_template

    t = load_template("titanic")
    data = prepare(t)
    if rows != data.n:
        rng = np.random.default_rng(0)
        idx = rng.integers(0, data.n, rows)
        frame = data.frame.take(idx)
        X, maxes = feature_matrix(t, frame)
        data = type(data)(data.source, t, frame, rows, X, frame[t.target].astype(float), maxes)
    if mode == "in-memory":  # XlsxWriter's default mode: every cell kept until close()
        orig = B.xlsxwriter.Workbook

        def wb(path, opts):
            return orig(path, {**opts, "constant_memory": False})
        B.xlsxwriter.Workbook = wb
    base = rss_mb()
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        B.build_workbook(os.path.join(d, "t.xlsx"), data, seed=0)
        secs = time.perf_counter() - t0
        size = os.path.getsize(os.path.join(d, "t.xlsx"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "mode": mode, "seconds": secs, "peak_mb": peak, "writer_mb": peak - base,
            "file_mb": size / 2**20}


def run_case(rows: int, mode: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", str(rows), mode], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--one", nargs=2)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(int(a.one[0]), a.one[1])))
        return
    cases = [(712, 5), (100_000, 3)] + ([] if a.quick else [(1_000_000, 1)])
    print(f"{'rows':>9} {'mode':<10} {'runs':>4} {'median s':>9} {'rows/s':>9} {'peak MB':>8} {'writer MB':>9} "
          f"{'file MB':>8} {'vs in-memory':>12}")
    for rows, reps in cases:
        res = {}
        for mode in ("streamed", "in-memory"):
            if mode == "in-memory" and rows > 100_000:
                continue
            runs = [run_case(rows, mode) for _ in range(reps)]
            res[mode] = r = {k: statistics.median(x[k] for x in runs) for k in ("seconds", "peak_mb", "writer_mb", "file_mb")}
            ratio = ""
            if mode == "in-memory":
                s = res["streamed"]
                ratio = f"{r['seconds'] / s['seconds']:.2f}x time, {r['writer_mb'] / max(s['writer_mb'], 1):.1f}x mem"
            print(f"{rows:>9} {mode:<10} {reps:>4} {r['seconds']:>9.3f} {rows / r['seconds']:>9.0f} "
                  f"{r['peak_mb']:>8.0f} {r['writer_mb']:>9.0f} {r['file_mb']:>8.1f} {ratio:>12}", flush=True)


if __name__ == "__main__":
    main()
