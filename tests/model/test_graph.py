"""The description: the lesson's models as steps over the op table, and the numpy rendering."""

import numpy as np
import pytest
import torch

from sheetnet.errors import SheetnetError
from sheetnet.model import nets
from sheetnet.model.graph import Model
from sheetnet.model.nets import initial_params, lesson_models
from sheetnet.model.ops import EPS, OPS
from sheetnet.model.twin import Twin

from ..conftest import COURSE_LINEAR


def models(titanic, **kw):
    t = titanic.template
    return lesson_models(t.feature_names, t.target, [f.param_label for f in t.features], **kw)


def test_linear_forward_is_sumproduct(titanic):
    m = models(titanic)[0]
    W = np.array(COURSE_LINEAR)
    v = m.forward(titanic.X, titanic.y, W)
    cols = m.column_values(v)
    by_hand = np.array([sum(x * w for x, w in zip(row, COURSE_LINEAR)) for row in titanic.X])
    np.testing.assert_allclose(cols["Linear"], by_hand, rtol=0, atol=1e-15)
    np.testing.assert_allclose(cols["Loss"], (by_hand - titanic.y) ** 2, rtol=0, atol=1e-15)
    # the course's Solver answer (params rounded to 6 places) is within 1e-9 of the least-squares optimum
    w_ls = np.linalg.lstsq(titanic.X, titanic.y, rcond=None)[0]
    best = np.mean((titanic.X @ w_ls - titanic.y) ** 2)
    assert best == pytest.approx(0.14422714930732, abs=1e-13)
    assert v["loss"] == pytest.approx(0.1442271, abs=1e-7)
    assert 0 <= v["loss"] - best < 1e-9
    assert v["accuracy"] == pytest.approx(568 / 712, abs=1e-15)  # the course: 0.7978


def test_nnet_and_mmult_are_two_relus_summed(titanic):
    X, y = titanic.X, titanic.y
    ms = models(titanic)
    W = initial_params(ms, seed=3)["nnet"].reshape(2, 10)
    lin = [sum(X[:, j] * W[k, j] for j in range(10)) for k in range(2)]
    preds = sum(np.where(x < 0, 0, x) for x in lin)
    for m in ms[1:]:
        cols = m.column_values(m.forward(X, y, W.ravel()))
        np.testing.assert_allclose(cols["Lin2"], lin[1], rtol=0, atol=1e-14)
        np.testing.assert_allclose(cols["Preds"], preds, rtol=0, atol=1e-14)
        assert m.loss(X, y, W.ravel()) == pytest.approx(np.mean((preds - y) ** 2), rel=1e-14)


VARIANTS = [dict(), dict(hidden=5), dict(output="sigmoid", loss="logloss"), dict(loss="mae"),
            dict(layers=[5, 3]), dict(layers=[4], output="sigmoid", loss="mse")]


@pytest.mark.parametrize("kw", VARIANTS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "lesson")
def test_gradient_matches_central_differences_and_torch(titanic, kw):
    for m in models(titanic, **kw):
        rng = np.random.default_rng(7)
        theta = rng.uniform(-0.5, 0.5, m.n_params)
        loss, g = m.loss_and_grad(titanic.X, titanic.y, theta)
        assert loss == m.loss(titanic.X, titanic.y, theta)
        h = 1e-6
        fd = np.array([(m.loss(titanic.X, titanic.y, theta + h * e) - m.loss(titanic.X, titanic.y, theta - h * e))
                       / (2 * h) for e in np.eye(m.n_params)])
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)
        tl, tg = Twin(m, theta, device="cpu").loss_and_grad(titanic.X, titanic.y)
        assert float(tl) == pytest.approx(loss, rel=1e-13)
        np.testing.assert_allclose(tg, g, rtol=1e-10, atol=1e-14)


def test_every_op_numpy_gradient_and_torch_agree():
    """Each op of the table on its own: numpy forward = torch forward; numpy backward = autograd."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 3))
    y = rng.integers(0, 2, size=(7, 1)).astype(float)
    p = rng.uniform(0.05, 0.95, size=(7, 1))
    W = rng.normal(size=(2, 4))
    P = rng.uniform(0.05, 1.0, size=(7, 3))
    P = P / P.sum(axis=1, keepdims=True)
    cls = rng.integers(0, 3, size=(7, 1)).astype(float)
    ids = np.c_[rng.integers(1, 5, 7), rng.integers(1, 4, 7)].astype(float)
    E = rng.normal(size=(4, 3))
    cases = {"relu": ([x], None, None), "sigmoid": ([x], None, None), "tanh": ([x], None, None),
             "add": ([x], None, None), "sum": ([x], None, None), "sqerr": ([p, y], None, None),
             "abserr": ([p, y], None, None), "logloss": ([p, y], None, None), "mnistloss": ([p, y], None, None),
             "linear": ([x], W, None), "mean": ([p], None, None),
             # softmax's and collab's (ops_softmax.py, ops_embed.py)
             "exp": ([x], None, None), "normalise": ([np.exp(x)], None, None), "crossent": ([P, cls], None, None),
             "rowdot": ([x, x[::-1].copy()], None, None), "lookup": ([ids], E, 0), "rootmean": ([p], None, None),
             # conv's: 3x3 filters over two 5x6 channels, 2x2 pooling over a 2x4x4 block
             "conv": ([rng.normal(size=(7, 60))], rng.normal(size=(3, 18)), [2, 5, 6]),
             "maxpool": ([rng.normal(size=(7, 32))], None, [2, 4, 4])}
    assert set(cases) == {k for k, op in OPS.items() if op.backward is not None and op.kind != "feature"}
    for name, (xs, w, arg) in cases.items():
        op = OPS[name]
        out = op.forward(xs, w, arg)
        txs = [torch.tensor(a, requires_grad=name != "lookup") for a in xs]
        tw = None if w is None else torch.tensor(w, requires_grad=True)
        tout = op.torch(txs, tw, arg)
        np.testing.assert_allclose(tout.detach().numpy(), out, rtol=1e-14, atol=1e-15, err_msg=name)
        g = np.ones_like(out) if np.ndim(out) else 1.0
        gx, gw = op.backward(g, xs, w, out, arg)
        tout.sum().backward()
        for gi, ti in zip(gx, txs):
            if gi is not None:
                np.testing.assert_allclose(gi, ti.grad.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)
        if w is not None:
            np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)

def test_log_loss_stays_finite_at_0_and_1():
    op = OPS["logloss"]
    p = np.array([[0.0], [1.0], [1.0], [0.0], [0.5]])
    y = np.array([[1.0], [0.0], [1.0], [0.0], [1.0]])
    out = op.forward([p, y], None, None)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[:, 0], [-np.log(EPS), -np.log(EPS), 0.0, 0.0, np.log(2)], rtol=1e-15)
    t = op.torch([torch.tensor(p), torch.tensor(y)], None, None).numpy()
    np.testing.assert_array_equal(t, out)


def test_initial_params_are_seeded_and_shared_by_the_nets(titanic):
    ms = models(titanic)
    a, b, c = initial_params(ms, 0), initial_params(ms, 0), initial_params(ms, 1)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["linear"], c["linear"])
    assert np.array_equal(a["nnet"], a["mmult"]) and a["nnet"].shape == (20,)
    assert all(((-0.5 <= v) & (v < 0.5)).all() for v in a.values())
    # written with 16 significant digits, each param reads back as the same double
    assert all(float(f"{x:.16G}") == x for v in a.values() for x in v.ravel())


def test_deeper_layers_are_named_for_students(titanic):
    m = models(titanic, layers=[5, 3], output="sigmoid", loss="logloss")[1]
    assert m.columns == ("Lin1_1", "Lin1_2", "Lin1_3", "Lin1_4", "Lin1_5", "ReLU1_1", "ReLU1_2", "ReLU1_3", "ReLU1_4",
                         "ReLU1_5", "Lin2_1", "Lin2_2", "Lin2_3", "ReLU2_1", "ReLU2_2", "ReLU2_3", "Out", "Preds", "Loss")
    assert [(p.name, p.shape) for p in m.params] == [("Params1", (5, 10)), ("Params2", (3, 6)), ("Params3", (1, 4))]
    assert m.n_params == 50 + 18 + 4


def test_descriptions_round_trip_and_bad_ones_are_refused(titanic):
    for m in models(titanic, layers=[5, 3], output="sigmoid", loss="logloss"):
        assert Model.from_json(m.to_json()) == m
    text = models(titanic)[1].to_json()
    for bad, words in [(text.replace('"relu"', '"rm -rf"'), "unknown op"),
                       (text.replace('"inputs":["Lin"]', '"inputs":["Nope"]'), "which no earlier step makes"),
                       ("{", "not a sheetnet model description"),
                       (text.replace('"units":2', '"units":3'), "does not fit")]:
        with pytest.raises(SheetnetError, match=words):
            Model.from_json(bad)


def test_binary_losses_need_a_binary_target():
    with pytest.raises(SheetnetError, match="needs a 0/1 target"):
        nets.linear(["a", "b"], "price", loss="logloss", binary=False)
    m = nets.linear(["a", "b"], "price", binary=False)
    assert [s.op for s in m.steps] == ["linear", "sqerr", "mean"]  # no accuracy for a number target
