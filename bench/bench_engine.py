"""sheetnet's formula engine against the engines a user would otherwise pick, on the lesson workbook.

    python bench/bench_engine.py            # 712 rows and 100,000 rows
    python bench/bench_engine.py --quick    # 712 rows only

"load+eval": read the .xlsx and evaluate every formula, ignoring cached values.  "change": set
the 20 nnet params and read the recomputed total loss.  "error" is each engine's nnet loss minus
numpy's.  Competitors: the `formulas` and `pycel` packages (pip install formulas pycel), and
LibreOffice headless both by file conversion (a process per file) and in-process over UNO.
`formulas` and pycel are run at 712 rows only: ../shared/reference/engines.md measured them at
10k rows taking minutes (formulas: 307 s to load, 977 s to prepare; pycel: 143-333 s to evaluate).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sheetnet.engine import Engine  # noqa: E402
from sheetnet.lessons.prepare import feature_matrix, prepare  # noqa: E402
from sheetnet.lessons.template import load_template  # noqa: E402
from sheetnet.lessons.workbook import build_workbook  # noqa: E402

PARAMS = [f"{c}{r}" for r in (4, 5) for c in "JKLMNOPQRS"]


def timed(fn, reps):
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def workbook(folder: Path, rows: int):
    t = load_template("titanic")
    data = prepare(t)
    if rows != data.n:
        idx = np.random.default_rng(0).integers(0, data.n, rows)
        frame = data.frame.iloc[idx].reset_index(drop=True)
        X, maxes = feature_matrix(t, frame)
        data = type(data)(data.source, t, frame, rows, X, frame[t.target].to_numpy(float), maxes)
    p = folder / f"lesson_{rows}.xlsx"
    res = build_workbook(p, data, seed=0)
    return p, res, data


def new_params(k):
    return {c: 0.01 * ((i * 7 + k) % 13 - 6) for i, c in enumerate(PARAMS)}


def bench_sheetnet(path, rows, res, data, reps):
    load = timed(lambda: Engine.load(path), reps)
    eng = Engine.load(path)
    k = [0]

    def change():
        k[0] += 1
        eng.set({f"nnet!{c}": v for c, v in new_params(k[0]).items()})
        return eng.get("nnet!B1")
    chg = timed(change, 200 if rows < 10_000 else 20)
    return load, chg, eng.get("nnet!B1") - _want(res, data, k[0])


def _want(res, data, k):
    W = np.array(list(new_params(k).values())).reshape(2, 10)
    return res.models[1].loss(data.X, data.y, W)


def bench_numpy(res, data, rows):
    m, W = res.models[1], res.params["nnet"]
    return timed(lambda: m.loss(data.X, data.y, W), 200 if rows < 10_000 else 20)


def bench_lo_uno(path, rows, res, data, reps):
    from sheetnet.crosscheck.libreoffice import LibreOffice

    with LibreOffice() as lo:
        load = timed(lambda: lo.load(path), reps)
        k = [0]

        def change():
            k[0] += 1
            lo.set("nnet", new_params(k[0]))
            return lo.values("nnet", "B1")[0][0]
        chg = timed(change, 50 if rows < 10_000 else 5)
        err = change() - _want(res, data, k[0])
    return load, chg, err


def bench_lo_convert(path, reps):
    soffice = shutil.which("soffice")
    with tempfile.TemporaryDirectory() as d:
        from sheetnet.crosscheck.libreoffice import make_profile

        profile = make_profile(d)

        def run():
            subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                            "--convert-to", "csv", "--outdir", d, str(path)], capture_output=True, check=True)
        return timed(run, reps)


def bench_formulas(path, res, data):
    import formulas

    t = time.perf_counter()
    model = formulas.ExcelModel().loads(str(path)).finish()
    sol = model.calculate()
    load = time.perf_counter() - t
    key = next(k for k in sol if k.upper().endswith("NNET'!B1"))
    prefix = key[: key.upper().rindex("NNET'!B1")]
    k = [0]

    def change():
        k[0] += 1
        ins = {f"{prefix}NNET'!{c}": v for c, v in new_params(k[0]).items()}
        out = model.calculate(inputs=ins, outputs=[key])
        return float(np.ravel(out[key].value)[0])
    chg = timed(change, 3)
    return load, chg, change() - _want(res, data, k[0])


def bench_pycel(path, res, data):
    from pycel import ExcelCompiler

    t = time.perf_counter()
    xl = ExcelCompiler(filename=str(path))
    xl.recalculate()
    v = xl.evaluate("nnet!B1")
    load = time.perf_counter() - t
    k = [0]

    def change():
        k[0] += 1
        for c, val in new_params(k[0]).items():
            xl.set_value(f"nnet!{c}", val)
        return xl.evaluate("nnet!B1")
    chg = timed(change, 5)
    return load, chg, change() - _want(res, data, k[0]) if v is not None else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    sizes = [712] if a.quick else [712, 100_000]
    print(f"{'rows':>7} {'engine':<24} {'load+eval s':>11} {'change ms':>10} {'error':>9} {'change vs sheetnet':>18}")
    with tempfile.TemporaryDirectory() as d:
        for rows in sizes:
            path, res, data = workbook(Path(d), rows)
            reps = 5 if rows < 10_000 else 3
            results = {}
            load, chg, err = bench_sheetnet(path, rows, res, data, reps)
            results["sheetnet"] = (load, chg, err)
            results["numpy (same maths)"] = (float("nan"), bench_numpy(res, data, rows), 0.0)
            if shutil.which("soffice"):
                results["LibreOffice UNO"] = bench_lo_uno(path, rows, res, data, reps)
                results["LibreOffice convert"] = (bench_lo_convert(path, min(reps, 3)), float("nan"), float("nan"))
            if rows < 10_000:
                for name, fn in (("formulas 1.3", bench_formulas), ("pycel", bench_pycel)):
                    try:
                        results[name] = fn(path, res, data)
                    except ImportError:
                        print(f"        ({name}: not installed; pip install formulas pycel)")
                    except Exception as e:  # a competitor failing is a result, not a crash
                        print(f"        ({name} failed: {type(e).__name__}: {str(e)[:80]})")
            base = results["sheetnet"][1]
            for name, (load, chg, err) in results.items():
                ratio = f"{chg / base:>17.1f}x" if chg == chg else f"{'':>18}"
                print(f"{rows:>7} {name:<24} {load:>11.3f} {chg * 1e3:>10.3f} {err:>9.1e} {ratio}", flush=True)


if __name__ == "__main__":
    main()
