"""Make the bundled lesson datasets (gd/, relu/, digits/) byte for byte; tests/lessons/test_datasets.py
checks the files equal what this writes.

    python datasets/make_datasets.py            # rewrite them all (digits needs scikit-learn installed)

gd/quadratic.csv  the lesson 3 notebook's 20 points: np.random.seed(42), x = torch.linspace(-2, 2, 20),
                  y = f(x) * (1 + normal(scale=0.15)) + normal(scale=1.5) with f(x) = 3x^2 + 2x + 1
gd/line.csv       the 2018 lesson 2 line: 100 points, x uniform(-1, 1), y = 3x + 2 + uniform(0, 1)
relu/wiggly.csv   50 points of sin(2x) + x/2 on [-3, 3] plus a little noise (seeded)
digits/digits37.csv  the 3s and 7s of scikit-learn's 8x8 digits, pixels 0..16, split 80/20 (seeded)
digits/digits378.csv the 3s, 7s and 8s of the same digits, with their class number (softmax lesson)
collab/ratings.csv   15 users x 15 movies rated from known factors plus noise (collab lesson; seeded)
collab/truth.csv     every pair's true rating from those factors, before noise (the crosstab's truth grid)
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _num(v: float) -> str:
    """The shortest text that reads back as the same double."""
    return repr(float(v))


def _write(rows, header) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def quadratic() -> bytes:
    import torch

    np.random.seed(42)  # the notebook's own draws, in its order (numpy's legacy global generator)
    x = torch.linspace(-2, 2, steps=20)[:, None]  # float32, as the notebook makes it
    fx = 3 * x ** 2 + 2 * x + 1
    mult = np.random.normal(scale=0.15, size=tuple(x.shape))
    add = np.random.normal(scale=1.5, size=tuple(x.shape))
    y = fx.double().numpy() * (1 + mult) + add
    xs = x.double().numpy()[:, 0]
    return _write([[_num(a), _num(b)] for a, b in zip(xs, y[:, 0])], ["x", "y"])


def line() -> bytes:
    rng = np.random.default_rng(2018)
    x = rng.uniform(-1, 1, 100)
    y = 3 * x + 2 + rng.uniform(0, 1, 100)
    return _write([[_num(a), _num(b)] for a, b in zip(x, y)], ["x", "y"])


def wiggly() -> bytes:
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(-3, 3, 50))
    y = np.sin(2 * x) + x / 2 + rng.normal(0, 0.05, 50)
    return _write([[_num(a), _num(b)] for a, b in zip(x, y)], ["x", "y"])


def _sklearn_digits():
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise SystemExit("digits: scikit-learn is not installed (pip install scikit-learn)")
    src = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    return np.loadtxt(gzip.open(src), delimiter=",")


def digits378() -> bytes:
    """The 3s, 7s and 8s in scikit-learn's order: digit, class (0 for 3, 1 for 7, 2 for 8), p0..p63."""
    data = _sklearn_digits()
    classes = [3, 7, 8]
    rows = [[int(r[-1]), classes.index(int(r[-1]))] + [int(v) for v in r[:-1]]
            for r in data if int(r[-1]) in classes]
    return _write(rows, ["digit", "class"] + [f"p{k}" for k in range(64)])


def digits() -> bytes:
    data = _sklearn_digits()
    keep = data[(data[:, -1] == 3) | (data[:, -1] == 7)]
    rng = np.random.default_rng(7)
    valid = np.zeros(len(keep), bool)
    valid[rng.permutation(len(keep))[: round(0.2 * len(keep))]] = True
    rows = []
    for i, r in enumerate(keep):
        label = int(r[-1])
        rows.append([label, int(label == 3), "valid" if valid[i] else "train"] + [int(v) for v in r[:-1]])
    return _write(rows, ["digit", "is3", "split"] + [f"p{k}" for k in range(64)])


def _collab_draws():
    """The collab data's draws: the true ratings (before noise), the noisy half-star ratings, which are rated."""
    rng = np.random.default_rng(15)
    n, k = 15, 3
    U, M = rng.normal(0, 0.6, (n, k)), rng.normal(0, 0.6, (n, k))
    bu, bm = rng.normal(0, 0.4, n), rng.normal(0, 0.4, n)
    truth = 3.5 + bu[:, None] + bm[None, :] + U @ M.T
    r = truth + rng.normal(0, 0.3, (n, n))
    r = np.clip(np.round(r * 2) / 2, 0.5, 5.0)
    rated = rng.uniform(size=(n, n)) < 0.75
    return truth, r, rated


def ratings() -> bytes:
    """15 users x 15 movies from known factors: 3.5 + user bias + movie bias + (3 user factors . 3 movie
    factors) + noise, clipped to 0.5..5 and rounded to half stars as MovieLens's are; each pair rated with
    probability 0.75 (default_rng(15)); one row a rating, by user then movie."""
    _, r, rated = _collab_draws()
    n = r.shape[0]
    rows = [[i + 1, j + 1, _num(r[i, j])] for i in range(n) for j in range(n) if rated[i, j]]
    return _write(rows, ["user", "movie", "rating"])


def truth() -> bytes:
    """Every pair's true rating, the factors' own before noise and rounding (clipped to 0.5..5), rated or not."""
    t, _, _ = _collab_draws()
    t = np.clip(t, 0.5, 5.0)
    n = t.shape[0]
    return _write([[i + 1, j + 1, _num(t[i, j])] for i in range(n) for j in range(n)], ["user", "movie", "truth"])


MAKERS = {"gd/quadratic.csv": quadratic, "gd/line.csv": line, "relu/wiggly.csv": wiggly,
          "digits/digits37.csv": digits, "digits/digits378.csv": digits378,
          "collab/ratings.csv": ratings, "collab/truth.csv": truth}


def main(argv):
    for name, make in MAKERS.items():
        if argv and not any(a in name for a in argv):
            continue
        out = HERE / name
        out.parent.mkdir(exist_ok=True)
        out.write_bytes(make())
        print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
