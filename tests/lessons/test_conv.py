"""conv: the course's conv-example on the 8x8 digits: 3x3 filters with a ReLU, a second layer over both channels,
2x2 max-pooling, a dense layer and softmax; every cell equal to torch's conv2d / max_pool2d / linear."""

import numpy as np
import pytest

from sheetnet.lessons.workbook import build_workbook

from ..helpers import assert_recalculated_equal, formula_cells, lesson_fixtures


data, built = lesson_fixtures("conv")


def test_the_sheet_is_the_courses_convolutions(built, data, lo):
    p, res = built
    m = res.models[0]
    assert m.name == "conv" and m.n_params == 18 + 36 + 27  # within Excel's Solver limit of 200
    assert [len(m.step(s).columns) for s in ("Conv1", "Conv2", "Pool", "Lin")] == [72, 32, 8, 3]
    f = formula_cells(p)["conv"]
    assert f[(3, 1)] == ("=MAX(0,SUMPRODUCT(data!BO4:BQ4,$DW$4:$DY$4)+SUMPRODUCT(data!BW4:BY4,$DZ$4:$EB$4)"
                         "+SUMPRODUCT(data!CE4:CG4,$EC$4:$EE$4))")
    assert f[(3, 73)].startswith("=MAX(0,SUMPRODUCT(B4:D4,$DW$8:$DY$8)+SUMPRODUCT(H4:J4,$DZ$8:$EB$8)+")
    assert f[(3, 105)] == "=MAX(BV4:BW4,BZ4:CA4)"
    assert f[(3, 113)] == "=SUMPRODUCT($DB4:$DI4,$DW$12:$ED$12)+$EE$12"  # the pooled block, a Dense row, its bias
    # LibreOffice, recalculating from scratch, gets numpy's numbers (also the cached ones), on the image sheet too
    assert assert_recalculated_equal(lo, p, res, data, skip=("image",)) == 536 * (64 + 1 + 72 + 32 + 8 + 3 * 3 + 2) + 2
    grid = lo.values("image", "A1:AC33")
    np.testing.assert_allclose([[grid[14 + i][j] for j in range(6)] for i in range(6)],
                               res.values["conv"]["Conv1"][0][:36].reshape(6, 6), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose([grid[4 + i][:8] for i in range(8)], data.X[0].reshape(8, 8), rtol=1e-15)


def test_every_cell_equals_torchs_conv2d_max_pool2d_and_linear(built, data):
    import torch
    import torch.nn.functional as F

    _, res = built
    m = res.models[0]
    W = {k: torch.tensor(v, requires_grad=True) for k, v in m.blocks(res.params["conv"]).items()}
    img = torch.tensor(data.X).reshape(-1, 1, 8, 8)
    c1 = F.relu(F.conv2d(img, W["Filters1"].reshape(2, 1, 3, 3)))
    c2 = F.relu(F.conv2d(c1, W["Filters2"].reshape(2, 2, 3, 3)))
    pool = F.max_pool2d(c2, 2)
    scores = F.linear(pool.reshape(-1, 8), W["Dense"][:, :8], W["Dense"][:, 8])
    target = torch.tensor(data.y).long()
    loss = F.cross_entropy(scores, target)
    v = res.values["conv"]
    for name, t in (("Conv1", c1), ("Conv2", c2), ("Pool", pool), ("Lin", scores), ("Softmax", scores.softmax(1))):
        np.testing.assert_allclose(v[name], t.detach().reshape(len(data.y), -1).numpy(), rtol=1e-12, atol=1e-13,
                                   err_msg=name)
    assert v["loss"] == pytest.approx(loss.item(), rel=1e-12)
    loss.backward()
    grad = m.loss_and_grad(data.X, data.y, res.params["conv"])[1]
    np.testing.assert_allclose(grad, np.concatenate([W[p.name].grad.numpy().reshape(-1) for p in m.params]),
                               rtol=1e-9, atol=1e-12)


def test_the_weights_are_trained_at_build_the_same_way_every_time(built, data, tmp_path):
    _, res = built
    v = res.values["conv"]
    assert v["loss"] < 0.01 and v["accuracy"] == 1.0  # Adam, 300 full-batch epochs from the seeded start
    again = build_workbook(tmp_path / "again.xlsx", data, seed=0)
    assert np.array_equal(again.params["conv"], res.params["conv"])
    assert (tmp_path / "again.xlsx").read_bytes() == built[0].read_bytes()


def test_the_exercise_grades_the_solution_full_and_names_a_missing_relu(tmp_path):
    from sheetnet.classroom.exercise import make_exercise
    from sheetnet.classroom.grade import Key, grade_file
    from sheetnet.classroom.hints import _conv_mistakes

    ex = make_exercise("conv", tmp_path / "ex", seed=0)
    key = Key.load(ex.key)
    assert sum(r.points for r in key.rungs) == 14 and key.d["perturb_scales"] == [1.0, 2.5, 0.01]
    assert grade_file(ex.solution, key).total == 14 and grade_file(ex.student, key).total == 0
    # the hints recompute each mistake from the step's own inputs
    rng = np.random.default_rng(1)
    x, W = rng.normal(size=(4, 64)), rng.normal(size=(2, 9))
    labels = [mk.label for mk, _ in _conv_mistakes("conv", [x], W, [1, 8, 8])]
    assert labels == ["ReLU missing", "filter turned round"]


def test_conv1_starts_from_the_courses_edge_filters():
    from sheetnet.errors import SheetnetError
    from sheetnet.lessons.template import load_template, parse_template
    from sheetnet.model.nets import initial_params, pin_blocks

    t = load_template("conv")
    assert t.start["Filters1"] == (1, 1, 1, 0, 0, 0, -1, -1, -1, 1, 0, -1, 1, 0, -1, 1, 0, -1)  # top edge, left edge
    m = next(iter(lesson_models_of(t)))
    start = pin_blocks(initial_params([m], 0), [m], t.start)["conv"]
    assert start[:18].tolist() == list(t.start["Filters1"])
    assert np.array_equal(start[18:], initial_params([m], 0)["conv"][18:])  # the rest from the seed
    with pytest.raises(SheetnetError, match=r"\[start\] Filters1 needs 18 numbers"):
        pin_blocks(initial_params([m], 0), [m], {"Filters1": (1.0, 2.0)}, "t.toml")
    with pytest.raises(SheetnetError, match=r"\[start\] Filters1 must be numbers"):
        parse_template(t.source and open(t.source).read().replace('Filters1 = [[1, 1, 1', 'Filters1 = [["a", 1, 1'),
                       "t.toml")


def lesson_models_of(t):
    from sheetnet.model.nets import convnet

    return [convnet(t.feature_names, t.target, t.classes, t.image, t.filters)]
