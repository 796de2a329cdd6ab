"""relu: "draw the owl", a curve from a weighted sum of ReLUs, fitted by the Solver model it carries."""

import zipfile

import numpy as np
import pytest

from sheetnet.lessons.prepare import prepare
from sheetnet.lessons.template import load_template
from sheetnet.lessons.workbook import build_workbook
from sheetnet.solver.solve import solve_workbook

from ..helpers import assert_recalculated_equal, formula_cells


@pytest.fixture(scope="module")
def relu_data():
    return prepare(load_template("relu"))


def test_the_sheet_is_relus_summed(relu_data, tmp_path, lo):
    res = build_workbook(tmp_path / "relu.xlsx", relu_data)
    assert [m.name for m in res.models] == ["nnet"]
    f = formula_cells(tmp_path / "relu.xlsx")["nnet"]
    # x, Ones -> Lin1..Lin5 -> ReLU1..ReLU5 -> Preds = their weighted sum plus a bias, squared error, mean
    assert f[(3, 1)] == "=SUMPRODUCT(data!$B4:$C4,$P$4:$Q$4)"
    assert f[(3, 6)] == "=IF(B4<0,0,B4)"
    assert f[(3, 11)] == "=SUMPRODUCT($G4:$K4,$P$11:$T$11)+$U$11"
    assert f[(0, 1)] == "=AVERAGE(M4:M53)"
    assert assert_recalculated_equal(lo, tmp_path / "relu.xlsx", res, relu_data) > 50 * 12
    with zipfile.ZipFile(tmp_path / "relu.xlsx") as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert "<c:f>nnet!$L$4:$L$53</c:f>" in chart and "<c:f>data!$B$4:$B$53</c:f>" in chart


def test_more_relus_fit_better(relu_data, tmp_path, lo):
    """The README's table: the loss Solver (multistart) reaches falls as ReLUs are added."""
    best = []
    for n in (1, 2, 5, 10):
        p = tmp_path / f"relu{n}.xlsx"
        build_workbook(p, relu_data, hidden=n)
        done, out = solve_workbook(p, multistart=20, seed=0, output=tmp_path / f"relu{n}.solved.xlsx")
        best.append(done[0].result.fun)
        if n == 10:
            lo.load(out)  # the answer written back: LibreOffice's own recalculation gives the same loss
            assert abs(lo.values("nnet", "B1:B1")[0][0] - best[-1]) <= 1e-9
            with zipfile.ZipFile(out) as z:
                assert "xl/charts/chart1.xml" in z.namelist()  # written back without losing the chart
    assert all(b < a for a, b in zip(best, best[1:])), best
    assert best[-1] < 0.005  # ten ReLUs follow the wave down to its noise (0.05^2 = 0.0025)
    assert np.round(best, 4).tolist() == [0.4351, 0.1247, 0.0184, 0.0025]
