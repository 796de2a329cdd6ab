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
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

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


def interleaved(a, b, reps):
    """Medians of a and b timed in turn, a then b, reps times (on a shared machine, both see the same drift)."""
    ta, tb = [], []
    for _ in range(3):
        a(), b()
    for _ in range(reps):
        for fn, out in ((a, ta), (b, tb)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return statistics.median(ta), statistics.median(tb)


def workbook(folder: Path, rows: int):
    t = load_template("titanic")
    data = prepare(t)
    if rows != data.n:
        idx = np.random.default_rng(0).integers(0, data.n, rows)
        frame = data.frame.take(idx)
        X, maxes = feature_matrix(t, frame)
        data = type(data)(data.source, t, frame, rows, X, frame[t.target].astype(float), maxes)
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
    chg = timed(change, 200 if rows < 10_000 else 30)
    return load, chg, eng.get("nnet!B1") - _want(res, data, k[0])


def _want(res, data, k):
    return res.models[1].loss(data.X, data.y, np.array(list(new_params(k).values())))


def bench_numpy(res, data, rows):
    m, W = res.models[1], res.params["nnet"]
    return timed(lambda: m.forward(data.X, data.y, W), 200 if rows < 10_000 else 30)


def bench_ironcalc(path, rows, res, data, reps):
    import ironcalc

    def load_eval():
        m = ironcalc.load_from_xlsx(str(path), "en", "UTC")
        m.evaluate()
        return m
    load = timed(load_eval, reps)
    m = load_eval()
    sheet = ["About", "data", "linear", "nnet", "mmult"].index("nnet")
    k = [0]

    def change():
        k[0] += 1
        for c, v in new_params(k[0]).items():
            m.update_cell_with_number(sheet, int(c[1:]), ord(c[0]) - 64, v)
        m.evaluate()
        return m.get_cell_value_by_ref("nnet!B1")
    chg = timed(change, 50 if rows < 10_000 else 5)
    return load, chg, change() - _want(res, data, k[0])


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


def grid_layouts(d: Path):
    """The course's other layouts (bench/grid_books.py): load + evaluate, sheetnet and ironcalc timed in turn, one
    cell checked."""
    from grid_books import collab_book, conv_book, gd_book, one_formula_book, ratings_book

    print(f"{'layout':<18} {'sheetnet ms':>11} {'ironcalc ms':>11} {'sheetnet vs ironcalc':>21} {'same value':>11}")
    books = (("conv", conv_book), ("collab", collab_book), ("gd", gd_book), ("collab ratings", ratings_book),
             # what collab's time is made of: a load's fixed cost, and its columns without the RMSE cell
             ("one formula", one_formula_book),
             *[(f"collab x{m}, no RMSE", lambda p, m=m: collab_book(p, m, rmse=False)) for m in (15, 30, 60)])
    for name, make in books:
        path, cell = make(d / f"{name.replace(' ', '_').replace(',', '')}.xlsx")
        mine = Engine.load(path).get(cell)
        try:
            import ironcalc
        except ImportError:
            print(f"{name:<18} {timed(lambda: Engine.load(path), 21) * 1e3:>11.2f}  (ironcalc not installed: pip install "
                  f"ironcalc==0.9.1)")
            continue

        def load_eval():
            m = ironcalc.load_from_xlsx(str(path), "en", "UTC")
            m.evaluate()
            return m
        ours, theirs = interleaved(lambda: Engine.load(path), load_eval, 31)
        value = load_eval().get_cell_value_by_ref(cell)
        agree = abs(float(value) - mine) <= 1e-9 * max(1.0, abs(mine))
        print(f"{name:<18} {ours * 1e3:>11.2f} {theirs * 1e3:>11.2f} {ours / theirs:>20.2f}x {str(agree):>11}")
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--slow", action="store_true", help="also formulas and pycel, at 712 rows")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        grid_layouts(Path(d))
    sizes = [712] if a.quick else [712, 20_000, 100_000]
    print(f"{'rows':>7} {'engine':<24} {'load+eval s':>11} {'change ms':>10} {'error':>9} {'load vs sheetnet':>17} "
          f"{'change vs sheetnet':>19}")
    with tempfile.TemporaryDirectory() as d:
        for rows in sizes:
            path, res, data = workbook(Path(d), rows)
            reps = 7 if rows < 10_000 else 3
            results = {}
            results["sheetnet"] = bench_sheetnet(path, rows, res, data, reps)
            results["numpy, same maths"] = (float("nan"), bench_numpy(res, data, rows), 0.0)
            try:
                results["ironcalc 0.9.1 (Rust)"] = bench_ironcalc(path, rows, res, data, reps)
            except ImportError:
                print("        (ironcalc: not installed; pip install ironcalc==0.9.1)")
            if shutil.which("soffice"):
                results["LibreOffice over UNO"] = bench_lo_uno(path, rows, res, data, min(reps, 3))
            if a.slow and rows < 10_000:
                for name, fn in (("formulas 1.3", bench_formulas), ("pycel", bench_pycel)):
                    try:
                        results[name] = fn(path, res, data)
                    except ImportError:
                        print(f"        ({name}: not installed; pip install formulas pycel)")
                    except Exception as e:  # a competitor failing is a result, not a crash
                        print(f"        ({name} failed: {type(e).__name__}: {str(e)[:80]})")
            base_load, base = results["sheetnet"][0], results["sheetnet"][1]
            for name, (load, chg, err) in results.items():
                lr = f"{load / base_load:>16.2f}x" if load == load else f"{'':>17}"
                ratio = f"{chg / base:>18.2f}x" if chg == chg else f"{'':>19}"
                print(f"{rows:>7} {name:<24} {load:>11.3f} {chg * 1e3:>10.3f} {err:>9.1e} {lr} {ratio}", flush=True)


if __name__ == "__main__":
    main()
