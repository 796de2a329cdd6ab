"""The README's main command: `sheetnet demo` on the bundled data, start to end, with its numbers."""

import subprocess
import sys


def test_demo_runs_every_part(tmp_path):
    out = subprocess.run([sys.executable, "-m", "sheetnet", "demo", "-o", str(tmp_path / "titanic.xlsx")],
                         capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for line in ("712 passengers kept of 891", "linear  Loss 0.575294 -> 0.144227",
                 "least-squares optimum for linear: 0.144227", "all agree",
                 "the notebook's ten losses: 2.421855 2.401041 2.359414 ... 1.582453",
                 "Solver (20 starts): Loss 0.791452 -> 0.018404",
                 "graded the solution 18/18 and the untouched students' workbook 0/18"):
        assert line in text, line
    for name in ("titanic.xlsx", "titanic.solved.xlsx", "titanic.compare.xlsx", "titanic.compare.png", "gd.xlsx",
                 "relu.xlsx", "digits.xlsx", "class/titanic-key.json", "class/gradebook.csv"):
        assert (tmp_path / name).exists(), name
