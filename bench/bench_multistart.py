"""1,000 random starts of the nnet model: one batched tensor program against a Python loop over starts.

    python bench/bench_multistart.py                  # 1000 starts, CPU (and CUDA when present)
    python bench/bench_multistart.py --starts 200     # quicker
    python bench/bench_multistart.py --device cuda

Both run the same seeded starts with the same optimizer (Adam, full batch, 200 epochs) and reach
the same losses (checked); only the way the work is laid out differs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sheetnet.lessons.prepare import prepare  # noqa: E402
from sheetnet.lessons.template import load_template  # noqa: E402
from sheetnet.lessons.workbook import lesson_descriptions  # noqa: E402
from sheetnet.training.train import multistart  # noqa: E402


def main():
    from sheetnet import torchenv

    torch = torchenv.get_torch()

    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--device", action="append", help="cpu, cuda (default: cpu, plus cuda when present)")
    ap.add_argument("--threads", default="1,4", help="CPU thread counts to time beside sheetnet's pick (default 1,4)")
    ap.add_argument("--loop-starts", type=int, help="time the loop on this many starts and scale up (default: all)")
    a = ap.parse_args()
    devices = a.device or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    data = prepare(load_template("titanic"))
    m = lesson_descriptions(data)[1]
    print(f"nnet, {data.n} rows, {a.starts} starts, Adam lr 0.05, {a.epochs} full-batch epochs, float64")
    print(f"{'device':<8} {'way':<15} {'runs':>4} {'median s':>9} {'starts/s':>9} {'speedup':>8}  best loss / median loss")
    for dev in devices:
        name = torch.cuda.get_device_name(0) if dev.startswith("cuda") else "cpu"
        runs = [multistart(m, data.X, data.y, starts=a.starts, epochs=a.epochs, device=dev) for _ in range(3)]
        tb = statistics.median(r.seconds for r in runs)
        nloop = a.loop_starts or a.starts
        loop = multistart(m, data.X, data.y, starts=nloop, epochs=a.epochs, device=dev, batched=False)
        tl = loop.seconds * a.starts / nloop
        same = np.allclose(loop.losses, runs[0].losses[:nloop], rtol=1e-9, atol=1e-12)
        r = runs[0]
        way = f"batched, {pick_threads(data.n * m.n_params * a.starts)} thr" if dev == "cpu" else "batched"
        print(f"{dev:<8} {way:<15} {3:>4} {tb:>9.2f} {a.starts / tb:>9.0f} {tl / tb:>7.1f}x  "
              f"{r.losses.min():.6f} / {np.median(r.losses):.6f}   ({name})")
        scaled = "" if nloop == a.starts else f" (timed on {nloop}, scaled)"
        print(f"{dev:<8} {'python loop':<15} {1:>4} {tl:>9.2f} {a.starts / tl:>9.0f} {1:>7.1f}x  "
              f"same losses as batched: {same}{scaled}", flush=True)
        if dev == "cpu":  # what sheetnet's thread choice is worth against fixed counts
            own = torch.get_num_threads()
            for n in sorted({int(x) for x in a.threads.split(",")} - {pick_threads(data.n * m.n_params * a.starts)}):
                if n > own:
                    continue
                saved = torchenv.SMALL_WORK, torchenv.MAX_THREADS
                torchenv.SMALL_WORK, torchenv.MAX_THREADS = 0, n
                try:
                    runs_t = [multistart(m, data.X, data.y, starts=a.starts, epochs=a.epochs, device=dev)
                              for _ in range(3)]
                finally:
                    torchenv.SMALL_WORK, torchenv.MAX_THREADS = saved
                tt = statistics.median(r.seconds for r in runs_t)
                same_t = np.allclose(runs_t[0].losses, runs[0].losses, rtol=1e-9, atol=1e-12)
                print(f"{dev:<8} {'batched, ' + str(n) + ' thr':<15} {3:>4} {tt:>9.2f} {a.starts / tt:>9.0f} "
                      f"{tl / tt:>7.1f}x  {tt / tb:.2f}x the time of sheetnet's pick; same losses: {same_t}",
                      flush=True)


def pick_threads(work):
    """The thread count torchenv.threads gives this much work on this machine."""
    from sheetnet import torchenv

    with torchenv.threads(work) as n:
        return n

if __name__ == "__main__":
    main()
