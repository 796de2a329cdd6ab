"""The engine of record: LibreOffice Calc, recalculating sheetnet's workbooks from scratch."""

import numpy as np
import pytest

from sheetnet.lessons.prepare import prepare
from sheetnet.lessons.workbook import build_workbook
from sheetnet.model.layout import FIRST_ROW, cell

from ..conftest import COURSE_LINEAR
from ..helpers import assert_recalculated_equal, cached_values, strip_cached_values


@pytest.fixture(scope="module")
def built(tmp_path_factory, titanic):
    p = tmp_path_factory.mktemp("lo") / "titanic.xlsx"
    return p, build_workbook(p, titanic, seed=0)


def test_every_formula_cell_recalculates_to_numpy(lo, built, titanic):
    p, res = built
    n = assert_recalculated_equal(lo, p, res, titanic)
    assert n == 1 + 7 * 712 + (2 + 3 * 712) + 2 * (2 + 7 * 712)  # MAX, 7 features, linear, nnet, mmult


def test_recalculation_is_real_not_cached_values_echoed(lo, built, titanic, tmp_path):
    """Every cached value replaced by 0: LibreOffice must still produce numpy's numbers."""
    p, res = built
    poisoned = tmp_path / "poisoned.xlsx"
    strip_cached_values(p, poisoned, poison=0)
    assert cached_values(poisoned)["nnet"][(0, 1)] == 0  # the trap is armed
    assert cached_values(poisoned)["mmult"][(400, 2)] == 0
    lo.load(poisoned)
    for m in res.models:
        got = lo.values(m.name)
        assert got[0][1] == pytest.approx(res.values[m.name]["loss"], rel=1e-12)
        col = res.layouts[m.name].col(m.pred)
        np.testing.assert_allclose([got[FIRST_ROW + i][col] for i in range(titanic.n)],
                                   m.column_values(res.values[m.name])[m.pred], rtol=1e-12, atol=1e-14)


def test_course_params_give_the_least_squares_loss(lo, built, titanic):
    p, res = built
    lo.load(p)
    lo.set("linear", {cell(3, 5 + j): w for j, w in enumerate(COURSE_LINEAR)})
    lo.calc()
    loss = lo.values("linear", "B1")[0][0]
    w_ls = np.linalg.lstsq(titanic.X, titanic.y, rcond=None)[0]
    optimum = float(np.mean((titanic.X @ w_ls - titanic.y) ** 2))
    assert abs(loss - optimum) < 1e-6
    assert loss == pytest.approx(0.1442271, abs=1e-7)
    assert loss == pytest.approx(float(np.mean((titanic.X @ np.array(COURSE_LINEAR) - titanic.y) ** 2)), rel=1e-12)
    assert lo.values("linear", "D1")[0][0] == pytest.approx(568 / 712, abs=1e-15)


def test_changing_a_param_moves_nnet_and_mmult_alike(lo, built, titanic):
    p, res = built
    lo.load(p)
    before = lo.values("nnet", "B1")[0][0]
    lo.set("nnet", {"J5": 0.25, "S4": -0.125})  # Lin2's SibSp weight, Lin1's Const
    lo.set("mmult", {"K4": 0.25, "J13": -0.125})  # the same two params in the MMULT block
    lo.calc()
    a, b = lo.values("nnet", "B1")[0][0], lo.values("mmult", "B1")[0][0]
    W = res.params["nnet"].reshape(2, 10).copy()
    W[1, 0], W[0, 9] = 0.25, -0.125
    want = res.models[1].loss(titanic.X, titanic.y, W.ravel())
    assert a != before
    assert a == pytest.approx(want, rel=1e-12) and b == pytest.approx(want, rel=1e-12)


def test_mode_filled_all_rows_workbook(lo, template, tmp_path):
    data = prepare(template.with_blanks("mode"))
    p = tmp_path / "mode.xlsx"
    res = build_workbook(p, data, seed=2, hidden=3)
    assert assert_recalculated_equal(lo, p, res, data) > 891 * 10
