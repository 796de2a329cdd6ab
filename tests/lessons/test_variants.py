"""Any small net from one description: sigmoid + log loss, absolute error, deeper layers, another data set.

For each: LibreOffice, recalculating from scratch, equals numpy on every formula cell (and the cached
values); the engine, numpy and torch agree; autograd equals finite differences on the workbook; solve
lowers the loss; the same seed gives the same bytes.
"""

import subprocess
import sys

import numpy as np
import pytest

from sheetnet.crosscheck.check import check_workbook
from sheetnet.engine import Engine
from sheetnet.lessons.prepare import prepare
from sheetnet.lessons.template import parse_template
from sheetnet.lessons.workbook import build_workbook
from sheetnet.model import stored
from sheetnet.solver.solve import solve_workbook

from ..helpers import assert_recalculated_equal, cached_values, formula_cells

VARIANTS = {
    "sigmoid-logloss": dict(output="sigmoid", loss="logloss"),
    "mae": dict(loss="mae"),
    "layers-5-3": dict(layers=[5, 3]),
}

HOUSES = """name = "houses"
title = "House prices"
target = "Price"
inputs = ["Rooms", "Area", "Town"]
[[features]]
name = "Rooms"
column = "Rooms"
transform = "value"
[[features]]
name = "Area_N"
column = "Area"
transform = "div_max"
[[features]]
name = "log_Area"
column = "Area"
transform = "log10p1"
[[features]]
name = "North"
column = "Town"
transform = "dummy"
level = "north"
[[features]]
name = "Bias"
transform = "const"
value = 1
label = "Const"
"""


def houses_csv(path, n=60, seed=4):
    rng = np.random.default_rng(seed)
    rooms = rng.integers(1, 7, n)
    area = rng.uniform(30, 250, n).round(1)
    town = rng.choice(["north", "south", "North"], n)
    price = (0.4 * rooms + 0.01 * area + (np.char.lower(town.astype(str)) == "north") * 0.8 +
             rng.normal(0, 0.2, n)).round(3)
    lines = ["Rooms,Area,Town,Price"] + [f"{r},{a},{t},{p}" for r, a, t, p in zip(rooms, area, town, price)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module", params=list(VARIANTS) + ["houses-layers-4"])
def variant(request, tmp_path_factory, titanic):
    d = tmp_path_factory.mktemp(request.param)
    if request.param == "houses-layers-4":
        data = prepare(parse_template(HOUSES, "houses.toml", d), houses_csv(d / "houses.csv"))
        kw = dict(layers=[4])
    else:
        data, kw = titanic, VARIANTS[request.param]
    path = d / "book.xlsx"
    return request.param, path, build_workbook(path, data, seed=1, **kw), data, kw


def test_libreoffice_recalculates_every_cell_to_numpy(lo, variant):
    name, path, res, data, _ = variant
    n = assert_recalculated_equal(lo, path, res, data)
    assert n > 3 * data.n


def test_engine_numpy_and_torch_agree_and_autograd_is_exact(variant):
    name, path, res, data, _ = variant
    checks = check_workbook(path, device="cpu", use_libreoffice=False)
    assert [c.sheet for c in checks] == ["linear", "nnet", "mmult"]
    for c in checks:
        assert c.ok, c.table()
        assert max(v for _, d in c.rows for v in d.values()) <= 1e-9
        assert c.grad_rel <= 1e-6


def test_solve_lowers_the_loss(variant, tmp_path):
    name, path, res, data, _ = variant
    done, out = solve_workbook(path, output=tmp_path / "solved.xlsx")
    for d in done:
        assert d.result.fun < d.result.before - 1e-3, (d.sheet, d.result.before, d.result.fun)
        assert d.problem.route == "lesson model"  # the description recognised the sheet
    eng = Engine.load(out)
    for d in done:
        assert eng.get(f"{d.sheet}!B1") == pytest.approx(d.result.fun, rel=1e-12)


def test_same_seed_same_bytes(variant, tmp_path):
    name, path, res, data, kw = variant
    again = tmp_path / "again.xlsx"
    build_workbook(again, data, seed=1, **kw)
    assert again.read_bytes() == path.read_bytes()


def test_the_formulas_say_what_the_variant_is(variant):
    name, path, res, data, _ = variant
    f = formula_cells(path)
    if name == "sigmoid-logloss":
        assert f["linear"][(3, 2)] == "=1/(1+EXP(-IF(B4<-700,-700,B4)))"
        assert f["linear"][(3, 3)] == "=-IF(A4=1,LN(MAX(C4,1E-15)),LN(MAX(1-C4,1E-15)))"
        assert f["nnet"][(3, 6)] == "=1/(1+EXP(-IF(F4<-700,-700,F4)))"  # Preds = sigmoid(Sum)
    elif name == "mae":
        assert f["linear"][(3, 2)] == "=ABS(B4-A4)"
    elif name == "layers-5-3":
        # layer 2 reads layer 1's ReLUs (G:K) with its params row and a bias
        assert f["nnet"][(3, 11)] == "=SUMPRODUCT($G4:$K4,$V$11:$Z$11)+$AA$11"
        assert f["mmult"][(3, 11)] == "{=MMULT($G$4:$K$715,$V$16:$X$20)+$V$21:$X$21}"
    else:  # another target name, no accuracy for a number
        assert f["linear"][(3, 0)] == "=data!A4" and (0, 3) not in f["linear"]  # no Accuracy in D1
        v = cached_values(path)
        assert v["linear"][(2, 0)] == v["data"][(2, 0)] == "Price"
        assert f["nnet"][(3, 9)] == "=SUMPRODUCT($F4:$I4,$N$10:$Q$10)+$R$10"  # the output layer over ReLU1..ReLU4


def test_the_recogniser_works_from_the_description_and_refuses_other_sheets(variant, tmp_path):
    name, path, res, data, _ = variant
    eng = Engine.load(path)
    sheets = stored.lesson_sheets(eng)
    assert [ls.model for ls in sheets] == res.models
    assert all(stored.verify(eng, ls) for ls in sheets)
    assert stored.find(eng, "data") is None and stored.find(eng, "About") is None


def test_cli_builds_the_variants(tmp_path):
    out = tmp_path / "v.xlsx"
    r = subprocess.run([sys.executable, "-m", "sheetnet.cli", "build", "titanic", "--layers", "5,3", "--output",
                        "sigmoid", "--loss", "logloss", "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "nnet    Loss" in r.stdout
    assert "--output is now --activation" in r.stderr  # the old spelling works, with a note
    r = subprocess.run([sys.executable, "-m", "sheetnet.cli", "build", "titanic", "--activation", "softmax"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--activation takes linear or sigmoid" in r.stderr


def test_cli_refuses_what_it_cannot_build_in_one_line(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "sheetnet", *args], capture_output=True, text=True, cwd=tmp_path)

    for args, words in [(("build", "relu", "--relus", "0"), "--relus must be at least 1, not 0"),
                        (("build", "relu", "--relus", "-1"), "--relus must be at least 1, not -1"),
                        (("build", "titanic", "--hidden", "0"), "--hidden must be at least 1, not 0"),
                        (("build", "relu", "-o", "z.ods"), "z.ods: -o writes .xlsx files"),
                        (("build", "relu", "-o", "out.csv"), "out.csv: -o writes .xlsx files")]:
        r = run(*args)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and words in r.stderr, (args, r.stderr)
        assert "--layers" not in r.stderr
    assert not any(tmp_path.iterdir())  # nothing written
    assert run("build", "relu", "-o", "r.xlsx").returncode == 0
    before = (tmp_path / "r.xlsx").read_bytes()
    for args in (("calc", "r.xlsx", "-o", "r.xlsx"), ("solve", "r.xlsx", "-o", "r.xlsx"),
                 ("train", "r.xlsx", "-o", "./r.xlsx")):
        r = run(*args)
        assert r.returncode == 2 and "names an input of this command" in r.stderr, (args, r.stderr)
    assert (tmp_path / "r.xlsx").read_bytes() == before
