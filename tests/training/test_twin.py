"""The torch twin, training, and Solver vs SGD."""

import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from sheetnet.crosscheck.check import check_workbook
from sheetnet.lessons.workbook import build_workbook
from sheetnet.model.nets import initial_params
from sheetnet.model.twin import Twin
from sheetnet.training.train import multistart, split, train

from ..helpers import lesson_models_of


@pytest.fixture(scope="module")
def book(tmp_path_factory, titanic):
    p = tmp_path_factory.mktemp("twin") / "titanic.xlsx"
    return p, build_workbook(p, titanic, seed=0)


def test_twin_equals_numpy_and_libreoffice_and_autograd_equals_finite_differences(book, lo):
    p, _ = book
    results = check_workbook(p, device="cpu", use_libreoffice=True)
    assert [r.sheet for r in results] == ["linear", "nnet", "mmult"]
    for r in results:
        assert r.ok
        for what, diffs in r.rows:
            assert set(diffs) == {"workbook-numpy", "workbook-torch", "numpy-torch", "LibreOffice-numpy"}
            assert max(diffs.values()) <= 1e-12, (r.sheet, what, diffs)
        assert r.grad_rel <= 1e-6


def _agrees_on_cuda(models, X, y):
    """Each model's torch twin on the GPU: numpy's loss (1e-12) and exact gradient (1e-10)."""
    for m in models:
        W = initial_params([m], 3)[m.name]
        tw = Twin(m, W, device="cuda")
        loss, g = tw.loss_and_grad(X, y)
        want, gw = m.loss_and_grad(X, y, W)
        assert float(loss) == pytest.approx(want, rel=1e-12) and str(tw.W.device).startswith("cuda")
        np.testing.assert_allclose(g, gw, rtol=1e-10, atol=1e-14)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_twin_on_cuda(titanic):
    _agrees_on_cuda(lesson_models_of(titanic), titanic.X, titanic.y)


def test_check_finds_a_tampered_sheet(book, tmp_path):
    p, res = book
    bad = tmp_path / "bad.xlsx"
    # one Preds formula no longer the sum of the ReLUs: the workbook no longer computes the model
    import re
    with zipfile.ZipFile(p) as z:
        xml = z.read("xl/worksheets/sheet4.xml").decode()
    assert "<f>D100+E100</f>" in xml
    with zipfile.ZipFile(p) as zi, zipfile.ZipFile(bad, "w") as zo:
        for info in zi.infolist():
            data = zi.read(info.filename)
            if info.filename == "xl/worksheets/sheet4.xml":
                data = re.sub(rb"<f>D100\+E100</f>", b"<f>D100+E100+0.5</f>", data)
            zo.writestr(info, data)
    out = subprocess.run([sys.executable, "-m", "sheetnet.cli", "check", str(bad), "--no-libreoffice"],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "DIFFERENT beyond tolerance: nnet" in out.stdout


def test_sgd_reaches_the_least_squares_optimum(titanic):
    m = lesson_models_of(titanic)[0]
    W0 = initial_params([m], 0)["linear"]
    w = np.linalg.lstsq(titanic.X, titanic.y, rcond=None)[0]
    optimum = float(np.mean((titanic.X @ w - titanic.y) ** 2))
    r = train(m, titanic.X, titanic.y, W0, optimizer="sgd", lr=0.05, epochs=300, batch_size=32, seed=0,
              target=optimum + 1e-4, device="cpu")
    assert not r.diverged and r.final["train_loss"] - optimum <= 1e-4
    assert r.epochs < 300  # it got there (the target stopped it)
    again = train(m, titanic.X, titanic.y, W0, optimizer="sgd", lr=0.05, epochs=r.epochs, batch_size=32, seed=0,
                  device="cpu")
    np.testing.assert_array_equal(again.W, r.W)  # seeded: the same numbers


@pytest.mark.parametrize("opt, lr", [("gd", 0.5), ("sgd", 3.0), ("momentum", 0.5)])
def test_divergence_is_reported_not_raised(titanic, opt, lr):
    m = lesson_models_of(titanic)[0]
    r = train(m, titanic.X, titanic.y, initial_params([m], 0)["linear"], optimizer=opt, lr=lr, epochs=100,
              batch_size=32 if opt != "gd" else None, device="cpu")
    assert r.diverged and "diverged at epoch" in r.message and r.epochs < 100


def test_validation_split_is_seeded_80_20(titanic):
    tr, va = split(712, 0.2)
    assert len(tr) == 570 and len(va) == 142 and not set(tr) & set(va)
    tr2, va2 = split(712, 0.2)
    assert np.array_equal(va, va2)
    m = lesson_models_of(titanic)[1]
    r = train(m, titanic.X, titanic.y, initial_params([m], 0)["nnet"], optimizer="adam", lr=0.01, epochs=5,
              batch_size=32, valid=0.2, device="cpu")
    assert {"valid_loss", "valid_accuracy", "train_loss", "train_accuracy"} <= set(r.final)
    assert r.final["valid_loss"] == pytest.approx(m.loss(titanic.X[va], titanic.y[va], r.W), rel=1e-12)


def test_batched_multistart_equals_a_loop_over_starts(titanic):
    m = lesson_models_of(titanic)[1]
    a = multistart(m, titanic.X, titanic.y, starts=6, seed=3, epochs=40, device="cpu", batched=True)
    b = multistart(m, titanic.X, titanic.y, starts=6, seed=3, epochs=40, device="cpu", batched=False)
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-10)
    np.testing.assert_allclose(a.W, b.W, rtol=1e-9, atol=1e-12)
    assert a.losses[a.best] == a.losses.min()
    assert a.losses[a.best] == pytest.approx(m.loss(titanic.X, titanic.y, a.W[a.best]), rel=1e-12)


def test_compare_reports_tables_plots_and_a_sheet(book, tmp_path):
    p, _ = book
    src = tmp_path / "t.xlsx"
    src.write_bytes(p.read_bytes())
    out = subprocess.run([sys.executable, "-m", "sheetnet.cli", "compare", str(src), "--model", "linear"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    md = (tmp_path / "t.compare.md").read_text()
    assert "| Solver mirror (GRG: BFGS) |" in md and "SGD (batch 32)" in md and "What the plot shows" in md
    sgd = next(line for line in md.splitlines() if line.startswith("| SGD (batch 32)"))
    assert "(" in sgd.split("|")[7]  # epochs and seconds to within 1e-4 of the Solver's loss
    assert (tmp_path / "t.compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<table>" in (tmp_path / "t.compare.html").read_text()
    book_out = tmp_path / "t.compare.xlsx"
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(book_out) as b:
        added = set(b.namelist()) - set(a.namelist())
        assert any(n.startswith("xl/charts/chart") for n in added) and "xl/worksheets/sheet7.xml" in added
        for n in a.namelist():
            if n not in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                assert a.read(n) == b.read(n), n
    import openpyxl
    wb = openpyxl.load_workbook(book_out)
    assert wb.sheetnames[-1] == "Compare" and wb["Compare"]["A5"].value == "Solver mirror (GRG: BFGS)"


def test_train_cli_writes_params(book, tmp_path):
    p, _ = book
    src = tmp_path / "t.xlsx"
    src.write_bytes(p.read_bytes())
    out = subprocess.run([sys.executable, "-m", "sheetnet.cli", "train", str(src), "--model", "nnet", "--optimizer",
                          "adam", "--lr", "0.01", "--epochs", "30", "--batch-size", "64", "--params-out",
                          str(tmp_path / "p.json"), "-o", str(tmp_path / "trained.xlsx")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    params = json.loads((tmp_path / "p.json").read_text())
    from sheetnet.engine import Engine
    eng = Engine.load(tmp_path / "trained.xlsx")
    assert eng.get("nnet!J4") == params["params"]["nnet!J4"]
    theta = np.array(params["theta"])
    from sheetnet.model import stored
    ls = stored.require(eng, "nnet")
    assert eng.get("nnet!B1") == pytest.approx(ls.model.loss(ls.X, ls.y, theta), rel=1e-12)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
@pytest.mark.parametrize("lesson", ["softmax", "collab", "conv"])
def test_the_new_lessons_twins_on_cuda(lesson):
    """The softmax, embedding and convolution ops' torch forms on the GPU: numpy's loss and exact gradient."""
    from sheetnet.lessons.prepare import prepare
    from sheetnet.lessons.template import load_template
    from sheetnet.lessons.workbook import lesson_descriptions

    data = prepare(load_template(lesson))
    _agrees_on_cuda(lesson_descriptions(data), data.X, data.y)
