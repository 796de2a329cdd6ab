"""Commands start fast: importing sheetnet, its engine and its command line loads no heavy library;
the train loop's own optimizer steps are torch.optim's, bit for bit, without torch.optim's start-up."""

import subprocess
import sys

import numpy as np
import pytest

HEAVY = ("torch", "scipy", "pandas", "matplotlib", "xlsxwriter", "openpyxl", "torch._dynamo")


def test_importing_sheetnet_loads_no_heavy_library():
    code = ("import sys, sheetnet, sheetnet.engine, sheetnet.cli, sheetnet.api\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_calc_loads_no_heavy_library(tmp_path):
    from sheetnet.lessons.workbook import build_workbook
    from sheetnet.lessons.prepare import prepare
    from sheetnet.lessons.template import load_template

    p = build_workbook(tmp_path / "r.xlsx", prepare(load_template("relu")), seed=0).path
    code = ("import sys\nfrom sheetnet.cli import main\nmain(['calc', sys.argv[1], '--cells', 'B1'])\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_training_imports_no_dynamo(titanic):
    code = ("import sys\nfrom sheetnet.lessons.prepare import prepare\nfrom sheetnet.lessons.template import "
            "load_template\nfrom sheetnet.lessons.workbook import lesson_descriptions, initial_params\n"
            "from sheetnet.training.train import train\n"
            "d = prepare(load_template('titanic')); m = lesson_descriptions(d)[1]\n"
            "r = train(m, d.X, d.y, initial_params([m], 0)[m.name], optimizer='adam', epochs=2, batch_size=32)\n"
            "print('torch._dynamo' in sys.modules, 'torch.optim' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "False"


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_train_steps_are_torch_optim_bit_for_bit(name):
    from sheetnet.torchenv import get_torch
    from sheetnet.training.steps import Steps

    torch = get_torch()
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(40, 5, dtype=torch.float64, generator=gen)
    y = torch.randn(40, dtype=torch.float64, generator=gen)
    w0 = torch.randn(5, dtype=torch.float64, generator=gen)
    a = w0.clone().requires_grad_(True)
    b = w0.clone().requires_grad_(True)
    mine = Steps(name, a, 0.05, momentum=0.9)
    ref = {"sgd": lambda: torch.optim.SGD([b], lr=0.05), "momentum": lambda: torch.optim.SGD([b], lr=0.05, momentum=0.9),
           "adam": lambda: torch.optim.Adam([b], lr=0.05)}[name]()
    for k in range(25):
        for p, o in ((a, mine), (b, ref)):
            o.zero_grad()
            ((X[k % 4::4] @ p - y[k % 4::4]) ** 2).mean().backward()
            o.step()
        assert torch.equal(a.detach(), b.detach()), k


def test_threads_are_one_for_small_work_and_restored():
    from sheetnet.torchenv import get_torch, threads

    torch = get_torch()
    before = torch.get_num_threads()
    with threads(1000) as n:
        assert n == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with threads(1e12) as n:  # large work: torch's own count
        assert n == before
    assert torch.get_num_threads() == before
    from sheetnet import torchenv
    saved, torchenv.MAX_THREADS = torchenv.MAX_THREADS, 1
    try:
        with threads(1e12) as n:  # a cap holds for large work
            assert n == 1 and torch.get_num_threads() == 1
    finally:
        torchenv.MAX_THREADS = saved
    assert torch.get_num_threads() == before


def test_numerics_match_numpy_and_libm():
    import math

    from sheetnet import numerics

    rng = np.random.default_rng(0)
    X, W, w = rng.standard_normal((30, 7)), rng.standard_normal((7, 3)), rng.standard_normal(7)
    np.testing.assert_allclose(numerics.weighted_sum(X, w), X @ w, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(numerics.matmul(X, W), X @ W, rtol=1e-13, atol=1e-14)
    # SUMPRODUCT's order: left to right
    assert numerics.weighted_sum(X[:1], w)[0] == sum((X[0, i] * w[i] for i in range(1, 7)), X[0, 0] * w[0])
    v = np.array([-1.0, 0.0, 1e-300, 0.5, 2.0, 710.0, np.inf, -np.inf, np.nan])
    with np.errstate(all="ignore"):
        for f, m, ref in ((numerics.exp, math.exp, np.exp), (numerics.ln, math.log, np.log),
                          (numerics.log10, math.log10, np.log10), (numerics.tanh, math.tanh, np.tanh)):
            got = f(v)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(ref(v)))
            ok = np.isfinite(ref(v))
            np.testing.assert_allclose(got[ok], ref(v)[ok], rtol=1e-15)
            assert all(got[i] == m(v[i]) for i in np.flatnonzero(ok))
