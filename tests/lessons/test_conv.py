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
    from sheetnet.lessons.prepare import prepare

    data = prepare(t)
    v = m.forward(data.X, data.y, start)  # the README's numbers before training
    assert round(v["loss"], 6) == 1.575586 and round(v["accuracy"], 3) == 0.446
    with pytest.raises(SheetnetError, match=r"\[start\] Filters1 needs 18 numbers"):
        pin_blocks(initial_params([m], 0), [m], {"Filters1": (1.0, 2.0)}, "t.toml")
    with pytest.raises(SheetnetError, match=r"\[start\] Filters1 must be numbers"):
        parse_template(t.source and open(t.source).read().replace('Filters1 = [[1, 1, 1', 'Filters1 = [["a", 1, 1'),
                       "t.toml")


def lesson_models_of(t):
    from sheetnet.model.nets import convnet

    return [convnet(t.feature_names, t.target, t.classes, t.image, t.filters)]


def test_a_conv_layer_typed_wrong_in_libreoffice_is_named(tmp_path, lo):
    """The students' workbook done in LibreOffice, every task right but Conv1: typed without its ReLU, or each
    window row against the filter's column. The grader recomputes Conv1 from the student's own cells and names
    the mistake; the later layers keep their points (held at their right values)."""
    from xlsxwriter.utility import xl_col_to_name as col

    from sheetnet.classroom.exercise import make_exercise
    from sheetnet.classroom.grade import Key, grade_file

    ex = make_exercise("conv", tmp_path / "ex", seed=0)
    key = Key.load(ex.key)
    last = 3 + key.rows
    pix = [col(66 + k) for k in range(64)]  # data!BO:DZ, the pixels / 16
    tap = [col(126 + k) for k in range(18)]  # conv!DW:EN, a Filters row (9 taps a channel)

    def window_sum(r, cells, ch_width, c_in, o_row, i, j, turned=False):
        terms = []
        for c in range(c_in):
            for di in range(3):
                a = cells[c * ch_width * ch_width + (i + di) * ch_width + j]
                b = cells[c * ch_width * ch_width + (i + di) * ch_width + j + 2]
                if turned:  # the window's row di against the filter's column di, product by product
                    first = c * ch_width * ch_width + (i + di) * ch_width + j
                    terms += [f"{cells[first + dj]}{r}*${tap[c * 9 + dj * 3 + di]}${o_row}" for dj in range(3)]
                else:
                    terms.append(f"SUMPRODUCT({a}{r}:{b}{r};${tap[c * 9 + di * 3]}${o_row}:${tap[c * 9 + di * 3 + 2]}${o_row})")
        return "+".join(terms)

    c1 = [col(1 + k) for k in range(72)]
    c2 = [col(73 + k) for k in range(32)]
    for mistake, label in (("relu", "ReLU missing"), ("turned", "filter turned round")):
        lo.load(ex.student)
        lo.fill("data", f"BO4:DZ{last}", [[f"={col(2 + k)}{r}/16" for k in range(64)] for r in range(4, last + 1)])
        rows = []
        for r in range(4, last + 1):
            conv1 = [window_sum(r, [f"$data.{p}" for p in pix], 8, 1, 4 + o, i, j, mistake == "turned")
                     for o in range(2) for i in range(6) for j in range(6)]
            conv1 = [f"={x}" if mistake == "relu" else f"=MAX(0;{x})" for x in conv1]
            conv2 = [f"=MAX(0;{window_sum(r, c1, 6, 2, 8 + o, i, j)})" for o in range(2) for i in range(4) for j in range(4)]
            pool = [f"=MAX({c2[ch * 16 + 2 * i * 4 + 2 * j]}{r}:{c2[ch * 16 + 2 * i * 4 + 2 * j + 1]}{r};"
                    f"{c2[ch * 16 + (2 * i + 1) * 4 + 2 * j]}{r}:{c2[ch * 16 + (2 * i + 1) * 4 + 2 * j + 1]}{r})"
                    for ch in range(2) for i in range(2) for j in range(2)]
            lin = [f"=SUMPRODUCT(DB{r}:DI{r};$DW${12 + k}:$ED${12 + k})+$EE${12 + k}" for k in range(3)]
            exp = [f"=EXP({x}{r})" for x in ("DJ", "DK", "DL")]
            soft = [f"={x}{r}/SUM(DM{r}:DO{r})" for x in ("DM", "DN", "DO")]
            rows.append(conv1 + conv2 + pool + lin + exp + soft + [f"=-LN(INDEX(DP{r}:DR{r};1;A{r}+1))",
                                                                   f"=MATCH(MAX(DP{r}:DR{r});DP{r}:DR{r};0)-1"])
        lo.fill("conv", f"B4:DT{last}", rows)
        lo.set("conv", {"B1": f"=AVERAGE(DS4:DS{last})", "D1": f"=SUMPRODUCT(--(DT4:DT{last}=A4:A{last}))/COUNT(A4:A{last})"})
        lo.calc()
        out = tmp_path / f"{mistake}.xlsx"
        lo.save(out)
        g = grade_file(out, key, hints=2)
        got = {r.name: r.earned for r in g.rungs}
        assert got["Conv1 (3x3 filters, ReLU)"] == 0 and g.total == 14 - 3, (mistake, got)
        step = next(s for r in g.rungs for s in r.steps if not s.ok)
        assert step.mistake is not None and step.mistake.label == label and step.cell.startswith("conv!"), step
