"""The README's main command: `sheetnet demo` on the bundled data, start to end, with its numbers,
and the same numbers and bytes when the machine is another (numpy without its AVX-512 code, another
OpenBLAS kernel, one thread where there were two)."""

import os
import re
import subprocess
import sys

# what another machine of the same kind may have: numpy's baseline code only, OpenBLAS's oldest
# kernels, single-threaded BLAS, OpenMP and torch
OTHER_MACHINE = {"NPY_ENABLE_CPU_FEATURES": "X86_V2", "OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1",
                 "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
TIMES = re.compile(r"\b\d+(\.\d+)? (ms|s)\b")


def _demo(folder, extra_env):
    env = dict(os.environ, **extra_env)
    return subprocess.Popen([sys.executable, "-m", "sheetnet", "demo"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder, env=env)


def test_demo_runs_every_part_with_the_same_numbers_on_another_machine(tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    runs = [_demo(here, {}), _demo(there, OTHER_MACHINE)]
    outs = [p.communicate(timeout=600) for p in runs]
    for p, (out, err) in zip(runs, outs):
        assert p.returncode == 0, err
    text = outs[0][0]
    for line in ("712 passengers kept of 891", "linear  Loss 0.575294 -> 0.144227",
                 "least-squares optimum for linear: 0.144227", "all agree",
                 "the notebook's ten losses: 2.421855 2.401041 2.359414 ... 1.582453",
                 "Solver (20 starts): Loss 0.791452 -> 0.018404",
                 "Solver: Loss 1.478581 -> 4.29e-05, accuracy 0.3433 -> 1.0000",
                 "RMSE dotprod 3.858759 -> 0.181158, bias 3.834722 -> 0.105364",
                 "(trained at build by torch Adam): Loss 0.003295, accuracy 1.0000",
                 "graded the solution 18/18 and the untouched students' workbook 0/18"):
        assert line in text, line
    names = ("titanic.xlsx", "titanic.solved.xlsx", "titanic.compare.xlsx", "titanic.compare.png", "gd.xlsx",
             "relu.xlsx", "digits.xlsx", "softmax.xlsx", "collab.xlsx", "conv.xlsx", "class/titanic-key.json", "class/gradebook.csv",
             "class/titanic-student.xlsx", "class/titanic-solution.xlsx")
    here, there = here / "sheetnet-demo", there / "sheetnet-demo"  # the demo writes into one folder
    for name in names:
        assert (here / name).exists(), name
    # every number but the times, and every workbook byte for byte (the compare files hold times)
    same = [TIMES.sub("T", o[0]).replace("Done in T", "") for o in outs]
    assert same[0] == same[1]
    for name in names:
        if "compare" not in name:
            assert (here / name).read_bytes() == (there / name).read_bytes(), name
