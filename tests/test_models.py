import numpy as np
import pytest

from sheetnet.models import build_model, initial_params, lesson_models

from .conftest import COURSE_LINEAR


def test_linear_forward_is_sumproduct(titanic):
    m = build_model("linear", titanic.template.feature_names)
    W = np.array(COURSE_LINEAR)
    v = m.forward(titanic.X, titanic.y, W)
    by_hand = np.array([sum(x * w for x, w in zip(row, COURSE_LINEAR)) for row in titanic.X])
    np.testing.assert_allclose(v["Linear"], by_hand, rtol=0, atol=1e-15)
    np.testing.assert_allclose(v["Loss"], (by_hand - titanic.y) ** 2, rtol=0, atol=1e-15)
    # the course's Solver answer (params rounded to 6 places) is within 1e-9 of the least-squares optimum
    w_ls = np.linalg.lstsq(titanic.X, titanic.y, rcond=None)[0]
    best = np.mean((titanic.X @ w_ls - titanic.y) ** 2)
    assert best == pytest.approx(0.14422714930732, abs=1e-13)
    assert v["loss"] == pytest.approx(0.1442271, abs=1e-7)
    assert 0 <= v["loss"] - best < 1e-9
    assert v["accuracy"] == pytest.approx(568 / 712, abs=1e-15)  # the course: 0.7978


def test_nnet_and_mmult_are_two_relus_summed(titanic):
    X, y = titanic.X, titanic.y
    W = initial_params(lesson_models(titanic.template.feature_names), seed=3)["nnet"]
    lin = [sum(X[:, j] * W[k, j] for j in range(10)) for k in range(2)]
    preds = sum(np.where(l < 0, 0, l) for l in lin)
    for kind in ("nnet", "mmult"):
        v = build_model(kind, titanic.template.feature_names).forward(X, y, W)
        np.testing.assert_allclose(v["Lin2"], lin[1], rtol=0, atol=1e-14)
        np.testing.assert_allclose(v["Preds"], preds, rtol=0, atol=1e-14)
        assert v["loss"] == pytest.approx(np.mean((preds - y) ** 2), rel=1e-14)


@pytest.mark.parametrize("kind, hidden", [("linear", 1), ("nnet", 2), ("mmult", 2), ("nnet", 5)])
def test_gradient_matches_central_differences(titanic, kind, hidden):
    m = build_model(kind, titanic.template.feature_names, hidden=hidden)
    rng = np.random.default_rng(7)
    W = rng.uniform(-0.5, 0.5, m.param_shape)
    loss, g = m.loss_and_grad(titanic.X, titanic.y, W)
    assert loss == m.loss(titanic.X, titanic.y, W)
    h = 1e-6
    fd = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[idx] = h
        fd[idx] = (m.loss(titanic.X, titanic.y, W + e) - m.loss(titanic.X, titanic.y, W - e)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_initial_params_are_seeded_and_shared_by_the_nets(titanic):
    models = lesson_models(titanic.template.feature_names)
    a, b, c = initial_params(models, 0), initial_params(models, 0), initial_params(models, 1)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["linear"], c["linear"])
    assert np.array_equal(a["nnet"], a["mmult"]) and a["nnet"].shape == (2, 10)
    assert all(((-0.5 <= v) & (v < 0.5)).all() for v in a.values())
    # written with 16 significant digits, each param reads back as the same double
    assert all(float(f"{x:.16G}") == x for v in a.values() for x in v.ravel())
