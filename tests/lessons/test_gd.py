"""gd: the lesson 3 notebook's gradient descent unrolled into rows, against the notebook, torch.optim and
LibreOffice."""

import subprocess
import sys
import zipfile

import numpy as np
import pytest

from sheetnet.crosscheck.check_training import check_training
from sheetnet.engine import Engine
from sheetnet.lessons.prepare import prepare
from sheetnet.lessons.template import load_template
from sheetnet.lessons.training_book import numpy_fns
from sheetnet.lessons.workbook import build_workbook
from sheetnet.model.layout import FIRST_ROW
from sheetnet.training import optimizers as O

# the notebook's ten printed losses and its params after them (../shared reference: torch, float64 data)
NOTEBOOK = [2.421855, 2.401041, 2.359414, 2.296973, 2.213719, 2.109651, 1.984769, 1.853476, 1.716607, 1.582453]
NOTEBOOK_ABC = [1.8291, 1.1273, 1.3650]


@pytest.fixture(scope="module")
def gd(tmp_path_factory):
    data = prepare(load_template("gd"))
    path = tmp_path_factory.mktemp("gd") / "gd.xlsx"
    return path, build_workbook(path, data), data


def test_the_notebooks_data(gd):
    _, _, data = gd
    assert data.n == 20
    assert np.round(data.y[:5], 4).tolist() == [11.8690, 6.5433, 5.9396, 2.6304, 1.7947]
    import torch
    assert data.X[:, 1].tolist() == torch.linspace(-2, 2, 20).double().tolist()  # float32 steps, as the notebook
    assert (data.X[:, 0] == data.X[:, 1] ** 2).all() and (data.X[:, 2] == 1).all()


def test_notebook_sheet_reproduces_the_notebook(gd):
    _, res, _ = gd
    v = res.training.values["notebook"]
    assert np.max(np.abs(v["losses"][:10] - NOTEBOOK)) < 1e-6
    assert np.max(np.abs(v["thetas"][10] - NOTEBOOK_ABC)) < 1e-4


def test_zeroed_gradient_falls_more_slowly(gd):
    _, res, _ = gd
    zeroed = res.training.values["gd"]["losses"][:10]
    assert np.round(zeroed, 6).tolist() == [2.421855, 2.401041, 2.380227, 2.359414, 2.3386, 2.317787, 2.296973,
                                            2.276159, 2.255346, 2.234532]
    assert (zeroed[1:] > np.array(NOTEBOOK[1:]) - 1e-6).all()


def test_every_sheet_follows_torch_optim_and_libreoffice(gd):
    path, res, _ = gd
    checks = check_training(path, use_libreoffice=True)
    assert [c.sheet for c in checks] == ["notebook", "gd", "sgd", "momentum", "rmsprop", "adam"]
    for c in checks:
        assert c.ok, "\n".join(c.table())
        params = dict(c.rows)["params"]
        assert params["workbook-torch"] <= 1e-12 and params["LibreOffice-workbook"] <= 1e-12
        assert c.fd_gap < 1e-6  # the derivative columns equal the central differences beside them


def test_libreoffice_equals_numpy_in_every_cell(lo, gd):
    path, res, _ = gd
    lo.load(path)
    for sp in res.training.sheets:
        v = res.training.values[sp.name]
        got = lo.values(sp.name)
        rows = np.array([[x if isinstance(x, float) else np.nan for x in r[:sp.col_state + len(sp.states) * 3]]
                         for r in got[FIRST_ROW:FIRST_ROW + sp.steps + 1]])
        assert np.max(np.abs(rows[:, sp.col_params:sp.col_params + 3] - v["thetas"])) <= 1e-9
        assert np.max(np.abs(rows[:, sp.col_loss] - v["losses"])) <= 1e-9
        assert np.max(np.abs(rows[:-1, sp.col_grad:sp.col_grad + 3] - v["grads"])) <= 1e-9
        assert np.max(np.abs(rows[:-1, sp.col_fd:sp.col_fd + 3] - v["fd"])) <= 1e-9
        for s in sp.states:
            c = sp.state_col(s, 0)
            assert np.max(np.abs(rows[:-1, c:c + 3] - v["states"][s])) <= 1e-9
        assert lo.errors(sp.name, "A1:Z40") == {}


def test_changing_the_learning_rate_reruns_live(lo, gd):
    """The lr cell typed in LibreOffice: every row recomputes, as torch.optim with that lr."""
    path, res, data = gd
    sp = next(s for s in res.training.sheets if s.name == "momentum")
    r, c = sp.hyper_cell("lr")
    lo.load(path)
    lo.set("momentum", {f"{chr(65 + c)}{r + 1}": 0.002})
    lo.calc()
    got = np.array([row[sp.col_params:sp.col_params + 3] for row in lo.values("momentum")[FIRST_ROW:FIRST_ROW + 31]])
    loss, grad, _ = numpy_fns("abserr", data.X, data.y)
    want = O.run(O.get("momentum"), loss, grad, [1.1, 1.1, 1.1], {"lr": 0.002, "momentum": 0.9}, 30)[0]
    assert np.max(np.abs(got - want)) <= 1e-12
    assert np.max(np.abs(want - res.training.values["momentum"]["thetas"])) > 0.01  # it did change
    # sheetnet's engine reads the same recurrence (params flowing down the rows) and reruns it too
    eng = Engine.load(path)
    s = eng.index["momentum"]
    eng.put([(s, r, c, 0.002)])
    mine = eng.numbers(s, FIRST_ROW, sp.col_params, FIRST_ROW + 30, sp.col_params + 2)
    assert np.max(np.abs(mine - want)) <= 1e-12


def test_engine_reads_the_whole_book_as_numpy(gd):
    path, res, _ = gd
    eng = Engine.load(path)
    for sp in res.training.sheets:
        s = eng.index[sp.name]
        th = eng.numbers(s, FIRST_ROW, sp.col_params, FIRST_ROW + sp.steps, sp.col_params + 2)
        assert np.max(np.abs(th - res.training.values[sp.name]["thetas"])) <= 1e-12


def test_sgd_batches_are_seeded_epochs(gd):
    _, res, _ = gd
    sp = next(s for s in res.training.sheets if s.name == "sgd")
    assert [len(b) for b in sp.batches[:4]] == [5, 5, 5, 5]
    for e in range(0, 28, 4):  # each epoch covers every row once
        assert sorted(np.concatenate(sp.batches[e:e + 4]).tolist()) == list(range(20))
    assert not np.array_equal(np.concatenate(sp.batches[:4]), np.concatenate(sp.batches[4:8]))


def test_charts_and_same_bytes(gd, tmp_path):
    path, res, data = gd
    with zipfile.ZipFile(path) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 2
        assert '<c:logBase val="10"/>' in z.read(charts[0]).decode()
    again = tmp_path / "again.xlsx"
    build_workbook(again, data)
    assert again.read_bytes() == path.read_bytes()


def test_line_variant_and_a_diverging_rate(lo, tmp_path):
    data = prepare(load_template("gd", "line"))
    assert data.n == 100
    res = build_workbook(tmp_path / "line.xlsx", data)
    assert res.training.values["gd"]["losses"][-1] < 0.1  # the line found (noise uniform(0,1) left: 1/12)
    big = build_workbook(tmp_path / "big.xlsx", data, optimizer="gd", lr=1.6)
    losses = big.training.values["gd"]["losses"]
    assert np.isfinite(losses).all() and losses[-1] > 1e6 * losses[0]  # grows step after step, not an error wall
    assert all(b > a for a, b in zip(losses[1:], losses[2:]))
    lo.load(tmp_path / "big.xlsx")
    assert lo.errors("gd", "A1:Z110") == {}
    assert [c.ok for c in check_training(tmp_path / "big.xlsx", use_libreoffice=False)] == [True]


def test_cli(tmp_path):
    out = subprocess.run([sys.executable, "-m", "sheetnet", "build", "gd", "-o", str(tmp_path / "g.xlsx"),
                          "--optimizer", "adam", "--steps", "200", "--lr", "0.05"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "adam      Loss 2.421855 -> " in out.stdout and "after 200 steps (lr 0.05)" in out.stdout
    out = subprocess.run([sys.executable, "-m", "sheetnet", "build", "gd", "-o", str(tmp_path / "g.xlsx"),
                          "--optimizer", "lbfgs"], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.strip() == ("sheetnet: error: --optimizer must be one of notebook, gd, "
                                                          "sgd, momentum, rmsprop, adam, not 'lbfgs'")
    out = subprocess.run([sys.executable, "-m", "sheetnet", "check", str(tmp_path / "g.xlsx"), "--no-libreoffice"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "all 1 training sheets follow torch.optim" in out.stdout
