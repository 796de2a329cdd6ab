"""collab: user and movie factors (embeddings) looked up by INDEX, their dot product, the RMSE; the course's
crosstab of ratings and predictions; LibreOffice's recalculation and torch's embedding model agree."""

import subprocess
import sys

import numpy as np
import pytest

from sheetnet.errors import SheetnetError
from sheetnet.lessons.prepare import prepare
from sheetnet.lessons.template import load_template
from sheetnet.lessons.workbook import build_workbook
from sheetnet.model.nets import collab

from ..helpers import assert_recalculated_equal, formula_cells, lesson_fixtures


data, built = lesson_fixtures("collab")


def test_the_sheets_are_the_courses_lookups_and_dot_products(built, data, lo):
    p, res = built
    assert [m.name for m in res.models] == ["dotprod", "bias"] and data.n == 173
    assert [m.n_params for m in res.models] == [150, 180]  # both within Excel's Solver limit of 200
    f = formula_cells(p)
    d = f["dotprod"]
    assert d[(3, 1)] == "=INDEX($P$4:$T$18,data!B4,1)" and d[(3, 5)] == "=INDEX($P$4:$T$18,data!B4,5)"
    assert d[(3, 6)] == "=INDEX($P$21:$T$35,data!C4,1)"
    assert d[(3, 11)] == "=SUMPRODUCT($B4:$F4,$G4:$K4)" and d[(3, 12)] == "=(L4-A4)^2"
    assert d[(0, 1)] == "=SQRT(AVERAGE(M4:M176))"
    b = f["bias"]
    assert b[(3, 11)] == "=SUMPRODUCT($B4:$F4,$G4:$K4)" and b[(3, 12)] == "=INDEX($S$38:$S$52,data!B4,1)"
    assert b[(3, 14)] == "=L4+M4+N4" and b[(3, 15)] == "=(O4-A4)^2"
    c = f["crosstab"]
    assert c[(4, 1)] == ('=IF(COUNTIFS(data!$B$4:$B$176,$A5,data!$C$4:$C$176,B$4)=0,"",SUMIFS(data!$A$4:$A$176,'
                         'data!$B$4:$B$176,$A5,data!$C$4:$C$176,B$4))')
    assert c[(22, 1)] == "=SUMPRODUCT(OFFSET(dotprod!$P$4:$T$4,$A23-1,0),OFFSET(dotprod!$P$21:$T$21,B$22-1,0))"
    assert c[(0, 17)] == "{=SQRT(SUM(IF(ISNUMBER(B5:P19),(B5:P19-B23:P37)^2))/COUNT(B5:P19))}"
    # LibreOffice, recalculating from scratch, gets numpy's numbers on the model sheets (also the cached ones)
    assert assert_recalculated_equal(lo, p, res, data, skip=("crosstab",)) == 173 * (1 + 12 + 16) + 2
    # and on the crosstab: the ratings where rated (blank elsewhere), every prediction, the RMSE = dotprod's Loss
    grid = lo.values("crosstab", "A1:R37")
    rated = {(int(u), int(m)): r for u, m, r in zip(data.X[:, 0], data.X[:, 1], data.y)}
    for u in range(1, 16):
        for m in range(1, 16):
            assert grid[3 + u][m] == rated.get((u, m), "")
    th = res.params["dotprod"]
    W = res.models[0].blocks(th)
    np.testing.assert_allclose(np.array(grid[22:37])[:, 1:16].astype(float), W["Users"] @ W["Movies"].T, rtol=1e-12)
    assert grid[0][17] == pytest.approx(res.values["dotprod"]["loss"], rel=1e-12)
    # the third grid: the true ratings the data were made from; R2 the predictions' RMSE on the unrated cells
    import csv
    from sheetnet.lessons.resources import bundled

    truth = np.zeros((15, 15))
    for row in csv.DictReader(open(bundled("datasets/collab/truth.csv"))):
        truth[int(row["user"]) - 1, int(row["movie"]) - 1] = float(row["truth"])
    full = lo.values("crosstab", "A1:R55")
    np.testing.assert_array_equal(np.array(full[40:55])[:, 1:16].astype(float), truth)
    blank = np.array([[(u + 1, m + 1) not in rated for m in range(15)] for u in range(15)])
    pred = W["Users"] @ W["Movies"].T
    assert full[1][17] == pytest.approx(np.sqrt(np.mean((truth[blank] - pred[blank]) ** 2)), rel=1e-12)


def test_the_sheets_equal_torchs_embedding_model(built, data):
    import torch

    _, res = built
    for m in res.models:
        W = {k: torch.tensor(v, requires_grad=True) for k, v in m.blocks(res.params[m.name]).items()}
        u, mv = (torch.tensor(data.X[:, j]).long() - 1 for j in (0, 1))
        emb = torch.nn.functional.embedding
        pred = (emb(u, W["Users"]) * emb(mv, W["Movies"])).sum(dim=1)
        if m.name == "bias":
            pred = pred + emb(u, W["UserBias"])[:, 0] + emb(mv, W["MovieBias"])[:, 0]
        rmse = torch.sqrt(torch.nn.functional.mse_loss(pred, torch.tensor(data.y)))
        rmse.backward()
        loss, grad = m.loss_and_grad(data.X, data.y, res.params[m.name])
        assert loss == pytest.approx(rmse.item(), rel=1e-12)
        want = np.concatenate([W[p.name].grad.numpy().reshape(-1) for p in m.params])
        np.testing.assert_allclose(grad, want, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(res.values[m.name]["Preds"][:, 0], pred.detach().numpy(), rtol=1e-12)


def test_solver_fits_both_sheets_and_the_biases_fit_better(built, tmp_path):
    from sheetnet.solver.solve import solve_workbook

    p, res = built
    done, out = solve_workbook(p, output=tmp_path / "solved.xlsx")
    got = {d.sheet: d.result.fun for d in done}
    assert got["dotprod"] < 0.2 < 3.8 < res.values["dotprod"]["loss"] and got["bias"] < got["dotprod"]


def test_ids_must_be_whole_numbers(tmp_path):
    with pytest.raises(SheetnetError, match="5 factors|1 to 50 factors"):
        collab(["user", "movie"], "rating", 3, 3, factors=0)
    bad = tmp_path / "bad.csv"
    bad.write_text("user,movie,rating\n1,1,4\n2,2.5,3\n")  # any whole numbers are ids (renumbered 1..N); 2.5 is not
    r = subprocess.run([sys.executable, "-m", "sheetnet", "build", "collab", "--data", str(bad), "-o",
                        str(tmp_path / "o.xlsx")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "column movie, line 3: 2.5 is not a whole-number id" in r.stderr
    assert not (tmp_path / "o.xlsx").exists()


def test_movielens_own_file_keeps_the_most_active_users_and_most_rated_movies(tmp_path):
    """--data takes MovieLens's ratings.csv as it is (userId, movieId, rating, timestamp): the 15 users with the
    most ratings and the 15 most rated movies are kept, their ids renumbered 1..15 in their own order."""
    rng = np.random.default_rng(3)
    rows, seen = ["userId,movieId,rating,timestamp"], set()
    for k in range(2500):
        u, m = int(rng.zipf(1.6)) % 60 + 1, int(rng.zipf(1.4)) % 80 + 1
        if (u, m) not in seen:
            seen.add((u, m))
            rows.append(f"{u * 10},{m * 100},{rng.integers(1, 11) / 2},{964982703 + k}")
    src = tmp_path / "ratings.csv"
    src.write_text("\n".join(rows) + "\n")
    data = prepare(load_template("collab"), src)
    users, movies = np.array([u for u, _ in seen]), np.array([m for _, m in seen])
    top_u = np.sort(np.unique(users)[np.lexsort((np.unique(users), -np.unique(users, return_counts=True)[1]))][:15])
    top_m = np.sort(np.unique(movies)[np.lexsort((np.unique(movies), -np.unique(movies, return_counts=True)[1]))][:15])
    want = {(int(np.searchsorted(top_u, u)) + 1, int(np.searchsorted(top_m, m)) + 1) for u, m in seen
            if u in top_u and m in top_m}
    assert {(int(u), int(m)) for u, m in data.X} == want and data.n == len(want)
    assert data.X[:, 0].max() == 15 and data.X[:, 1].max() == 15
    assert data.notes[-1].startswith(f"kept the 15 users with the most ratings and the 15 most rated movies: "
                                     f"{len(want)} of {len(seen)} ratings")
    res = build_workbook(tmp_path / "ml.xlsx", data, seed=0)
    assert [m.n_params for m in res.models] == [150, 180]
    # a user rating a movie twice is one line naming it
    src.write_text("\n".join(rows[:3] + [rows[1]]) + "\n")
    with pytest.raises(SheetnetError, match=r"line 4: user \d+ rates movie \d+ a second time"):
        prepare(load_template("collab"), src)


def test_an_id_outside_the_block_is_refs_error_not_an_exception():
    """INDEX(block, 0 or 16, k) is #REF! in a spreadsheet: the lookup op gives NaN there (a student's edited id
    column is then a wrong step, not a crash), and truncates a fraction as INDEX does."""
    from sheetnet.model.ops import OPS

    W = np.arange(6.0).reshape(3, 2)
    x = np.array([[1, 2], [3, 1], [4, 1], [0, 2], [2.7, 1]])
    out = OPS["lookup"].forward([x], W, 0)
    np.testing.assert_array_equal(out[[0, 1, 4]], W[[0, 2, 1]])
    assert np.isnan(out[[2, 3]]).all()
    np.testing.assert_array_equal(OPS["lookup"].backward(np.ones((5, 2)), [x], W, out, 0)[1], np.ones((3, 2)))
