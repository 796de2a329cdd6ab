"""softmax: one score per class, EXP, normalised by the row's sum, -LN of the true class (the course's
entropy_example.xlsx on real digits): the formulas, LibreOffice's recalculation, torch's cross_entropy."""

import subprocess
import sys

import numpy as np
import pytest

from sheetnet.errors import SheetnetError
from sheetnet.lessons.prepare import prepare
from sheetnet.lessons.template import load_template, parse_template
from sheetnet.model.nets import softmax
from sheetnet.solver.solve import solve_workbook

from ..helpers import assert_recalculated_equal, formula_cells, lesson_fixtures


data, built = lesson_fixtures("softmax")


def test_the_data_are_three_digits_with_their_class_numbers(data):
    assert data.n == 536 and data.X.shape == (536, 65) and not data.binary
    digits = data.frame["digit"].astype(int)
    assert np.bincount(data.y.astype(int)).tolist() == [183, 179, 174]
    assert (np.array([3, 7, 8])[data.y.astype(int)] == digits).all()
    assert data.X[:, :64].max() == 1.0 and (data.X[:, 64] == 1).all()


def test_the_sheet_is_the_courses_softmax(built, data, lo):
    p, res = built
    m = res.models[0]
    assert [x.name for x in res.models] == ["softmax"] and m.n_params == 195  # Excel's Solver takes 200
    f = formula_cells(p)["softmax"]
    assert f[(3, 1)] == "=SUMPRODUCT(data!$BO4:$EA4,$O$4:$CA$4)"
    assert f[(3, 4)] == "=EXP(B4)"
    assert f[(3, 7)] == "=E4/SUM($E4:$G4)"
    assert f[(3, 10)] == "=-LN(INDEX($H4:$J4,1,A4+1))"
    assert f[(3, 11)] == "=MATCH(MAX($H4:$J4),$H4:$J4,0)-1"
    assert f[(0, 1)] == "=AVERAGE(K4:K539)"
    assert f[(0, 3)] == "=SUMPRODUCT(--(L4:L539=A4:A539))/COUNT(A4:A539)"
    # LibreOffice, recalculating from scratch, gets numpy's numbers (also the cached ones)
    assert assert_recalculated_equal(lo, p, res, data) == 536 * (64 + 12) + 2  # pixels; class, 3 Lin, 3 Exp, 3 Softmax, Loss, Class; 2 totals
    v = res.values["softmax"]
    assert v["loss"] == pytest.approx(1.478581, abs=1e-6) and v["accuracy"] == pytest.approx(184 / 536)


def test_the_cells_equal_torchs_softmax_and_cross_entropy(built, data):
    import torch

    _, res = built
    m, theta = res.models[0], res.params["softmax"]
    v = m.forward(data.X, data.y, theta)
    scores = torch.tensor(data.X) @ torch.tensor(m.blocks(theta)["Params"]).T
    target = torch.tensor(data.y).long()
    np.testing.assert_allclose(v["Lin"], scores.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(v["Softmax"], torch.softmax(scores, dim=1).numpy(), rtol=1e-12, atol=1e-15)
    ls = torch.log_softmax(scores, dim=1).gather(1, target[:, None]).numpy()
    np.testing.assert_allclose(-v["Loss"], ls, rtol=1e-12)
    assert v["loss"] == pytest.approx(torch.nn.functional.cross_entropy(scores, target).item(), rel=1e-12)
    assert (v["Class"][:, 0] == scores.argmax(dim=1).numpy()).all()
    # the description's exact gradient is torch's autograd of cross_entropy
    W = torch.tensor(m.blocks(theta)["Params"], requires_grad=True)
    torch.nn.functional.cross_entropy(torch.tensor(data.X) @ W.T, target).backward()
    np.testing.assert_allclose(m.loss_and_grad(data.X, data.y, theta)[1], W.grad.numpy().reshape(-1),
                               rtol=1e-10, atol=1e-14)
    # the course's LOG (base 10) is the same loss divided by LN(10)
    pt = np.take_along_axis(v["Softmax"], data.y.astype(int)[:, None], axis=1)
    assert np.mean(-np.log10(pt)) * np.log(10) == pytest.approx(v["loss"], rel=1e-12)


def test_solver_fits_it_and_libreoffice_agrees(built, lo, tmp_path):
    p, res = built
    done, out = solve_workbook(p, output=tmp_path / "solved.xlsx")
    r = done[0].result
    assert r.fun < 1e-3 < res.values["softmax"]["loss"]
    lo.load(out)
    loss, acc = lo.values("softmax", "B1:D1")[0][::2]
    assert abs(loss - r.fun) <= 1e-9 and acc == 1.0  # separable: every image right once solved


def test_the_about_sheet_says_ln_and_the_solver_limit(built):
    from sheetnet.engine import Engine

    p, _ = built
    eng = Engine.load(p)
    text = " ".join(str(eng.get(f"About!A{r}")) for r in range(1, 40))
    assert "LOG (base 10)" in text and "LN(10) = 2.3026" in text
    assert "Params: softmax 195. Excel's Solver takes at most 200 variable cells, so it solves every sheet here." in text
    assert "Class (the column of the highest Softmax, counted from 0)" in text


def test_one_softmax_op_per_class_count_and_its_refusals():
    m = softmax(["a", "b", "Ones"], "y", ["cat", "dog"])
    assert m.step("Softmax").columns == ("Softmax_cat", "Softmax_dog") and m.n_params == 6
    with pytest.raises(SheetnetError, match="2 to 50 different classes"):
        softmax(["a"], "y", ["x"])
    with pytest.raises(SheetnetError, match="go together"):
        parse_template('name = "t"\ntarget = "y"\nmodels = ["softmax"]\n[[features]]\nname = "a"\n'
                       'column = "a"\ntransform = "value"\n')


def test_a_target_that_is_not_a_class_number_is_one_line(tmp_path):
    src = load_template("softmax").data.read_text().splitlines()
    src[5] = src[5].replace(",2,", ",3,", 1) if ",2," in src[5][:6] else "8,3" + src[5][3:]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(src) + "\n")
    out = tmp_path / "o.xlsx"
    r = subprocess.run([sys.executable, "-m", "sheetnet", "build", "softmax", "--data", str(bad), "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "column class, line 6: 3 is not a class number 0 to 2" in r.stderr and not out.exists()


@pytest.mark.parametrize("lesson, option", [("softmax", "--hidden"), ("collab", "--layers"), ("conv", "--activation"),
                                            ("collab", "--loss"), ("digits", "--relus")])
def test_options_for_other_sheets_are_refused_not_ignored(tmp_path, lesson, option):
    value = {"--activation": "sigmoid", "--loss": "mae"}.get(option, "3")
    r = subprocess.run([sys.executable, "-m", "sheetnet", "build", lesson, option, value, "-o", str(tmp_path / "o.xlsx")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "applies to the" in r.stderr and f"not to {lesson}'s" in r.stderr and not (tmp_path / "o.xlsx").exists()


def test_two_classes_the_softmax_is_the_sigmoid_and_its_loss_the_log_loss(tmp_path, lo):
    """--model two: the softmax of 3 or 7 beside the sigmoid with the log loss, its row for 7 at 0 and its row for 3
    tied to the linear sheet's Params: Softmax_3 is Preds on every row and the two Losses are one number, in
    LibreOffice's recalculation too."""
    from sheetnet.lessons.workbook import build_workbook
    from sheetnet.model.nets import initial_params, tie_blocks

    data = prepare(load_template("softmax", variant="two"))
    assert data.binary and data.n == 362
    p = tmp_path / "two.xlsx"
    res = build_workbook(p, data, seed=0)
    assert [m.name for m in res.models] == ["linear", "softmax"]
    lin, sm = res.values["linear"], res.values["softmax"]
    np.testing.assert_allclose(sm["Softmax"][:, 1], lin["Preds"][:, 0], rtol=1e-15, atol=1e-16)
    assert sm["loss"] == pytest.approx(lin["loss"], rel=1e-15) and sm["accuracy"] == lin["accuracy"]
    assert res.params["softmax"][:65].tolist() == [0.0] * 65
    assert res.params["softmax"][65:].tolist() == res.params["linear"].tolist()
    assert assert_recalculated_equal(lo, p, res, data) > 362 * 70
    b1 = {s: lo.values(s, "B1:B1")[0][0] for s in ("linear", "softmax")}
    assert abs(b1["linear"] - b1["softmax"]) <= 1e-15
    with pytest.raises(SheetnetError, match=r"\[tie\] softmax.Params = linear.Nope: no such model.block"):
        tie_blocks(initial_params(res.models, 0), res.models, {"softmax.Params": "linear.Nope"})


def test_a_class_outside_the_columns_is_refs_error_not_an_exception():
    """INDEX(probs,1,class+1) outside the row is #REF!: the cross-entropy op gives NaN there (a student's edited
    class column is a wrong step, not a crash)."""
    from sheetnet.model.ops import OPS

    P = np.array([[0.2, 0.3, 0.5]] * 4)
    y = np.array([[0.0], [2.0], [3.0], [-1.0]])
    out = OPS["crossent"].forward([P, y], None, None)[:, 0]
    np.testing.assert_allclose(out[:2], -np.log([0.2, 0.5]), rtol=1e-15)
    assert np.isnan(out[2:]).all()
