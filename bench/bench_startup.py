"""How fast each command starts: the wall time of the whole process, median of several runs.

    python bench/bench_startup.py [--runs 5]

Against what a user would run instead: a Python process that loads and evaluates the same workbook
with ironcalc (pip install ironcalc), and a bare `python -c "import torch"` for the commands that
train.  Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable


# as on a user's machine: Python writes its bytecode caches (some sandboxes set PYTHONDONTWRITEBYTECODE, and then
# every run compiles each changed module again: 40 ms of calc's start here), and one unmeasured run warms them
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(cmd, cwd, runs) -> float:
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        subprocess.run([PY, "-m", "sheetnet", "build", "titanic", "-o", "t.xlsx", "-q"], cwd=d, check=True)
        sn = [PY, "-m", "sheetnet"]
        ironcalc = [PY, "-c", "import ironcalc; m = ironcalc.load_from_xlsx('t.xlsx', 'en', 'UTC'); m.evaluate(); "
                              "print(m.get_formatted_cell_value(1, 0, 1))"]
        torch = [PY, "-c", "import torch"]
        rows = []
        try:
            base_calc = wall(ironcalc, d, a.runs)
        except subprocess.CalledProcessError:
            base_calc = None
        base_torch = wall(torch, d, a.runs)
        plan = [
            ("sheetnet --help", sn + ["--help"], None, None),
            ("sheetnet lessons", sn + ["lessons"], None, None),
            ("sheetnet calc t.xlsx --sheet linear --cells A1:A2", sn + ["calc", "t.xlsx", "--sheet", "linear",
                                                                         "--cells", "A1:A2"], base_calc, "ironcalc"),
            ("sheetnet build relu -o r.xlsx", sn + ["build", "relu", "-o", "r.xlsx"], base_calc, "ironcalc"),
            ("sheetnet build titanic -o b.xlsx", sn + ["build", "titanic", "-o", "b.xlsx"], base_calc, "ironcalc"),
            ("sheetnet train t.xlsx --optimizer adam --epochs 20 --batch-size 32",
             sn + ["train", "t.xlsx", "--model", "nnet", "--optimizer", "adam", "--epochs", "20", "--batch-size",
                   "32", "-o", "tr.xlsx"], base_torch, "import torch"),
        ]
        print(f"{a.runs} runs each, median wall time of the whole command\n")
        print("| command | wall s | against | ratio |")
        print("|---|---:|---|---:|")
        if base_calc is not None:
            print(f"| python: ironcalc loads and evaluates t.xlsx | {base_calc:.2f} | | |")
        print(f"| python -c \"import torch\" | {base_torch:.2f} | | |")
        for label, cmd, base, what in plan:
            t = wall(cmd, d, a.runs)
            ratio = f"{t / base:.2f}x" if base else ""
            rows.append((label, t))
            print(f"| `{label}` | {t:.2f} | {what or ''} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
