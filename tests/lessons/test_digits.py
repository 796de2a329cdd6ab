"""digits: the pixel-similarity baseline and a linear model on scikit-learn's 8x8 3s and 7s."""

import zipfile

import numpy as np
import pytest

from sheetnet.lessons.pixels import MEANS_ROW, SUMMARY_ROW, TABLE_ROW
from sheetnet.lessons.prepare import prepare
from sheetnet.lessons.template import load_template
from sheetnet.lessons.workbook import build_workbook

from ..helpers import assert_recalculated_equal


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    data = prepare(load_template("digits"))
    path = tmp_path_factory.mktemp("digits") / "digits.xlsx"
    return path, build_workbook(path, data), data


def _numpy_baseline(data):
    """The chapter's baseline, computed here from the CSV's own numbers."""
    frame = data.frame
    X = np.column_stack([frame[f"p{k}"].astype(float) / 16 for k in range(64)])
    train = frame["split"] == "train"
    y = frame["is3"].astype(float)
    mean3, mean7 = X[train & (y == 1)].mean(axis=0), X[train & (y == 0)].mean(axis=0)
    l1 = np.column_stack([np.abs(X - mean3).mean(axis=1), np.abs(X - mean7).mean(axis=1)])
    l2 = np.column_stack([np.sqrt(((X - mean3) ** 2).mean(axis=1)), np.sqrt(((X - mean7) ** 2).mean(axis=1))])
    return X, y, train, mean3, mean7, l1, l2


def test_data_is_the_3s_and_7s(digits):
    _, _, data = digits
    assert data.n == 362
    assert sorted(set(data.frame["digit"])) == [3.0, 7.0]
    assert (data.frame["split"] == "valid").sum() == 72
    assert data.X.shape == (362, 65) and data.X[:, :64].max() == 1.0 and (data.X[:, 64] == 1).all()


def test_baseline_accuracy_equals_numpy(digits):
    _, res, data = digits
    X, y, train, mean3, mean7, l1, l2 = _numpy_baseline(data)
    b = res.baseline
    assert np.max(np.abs(b.means - [mean3, mean7])) <= 1e-12
    assert np.max(np.abs(b.l1 - l1)) <= 1e-12 and np.max(np.abs(b.l2 - l2)) <= 1e-12
    valid = ~train
    pred = (l1[:, 0] < l1[:, 1]).astype(float)
    assert b.accuracy(b.pred_l1) == np.mean(pred[valid] == y[valid]) == 1.0
    assert b.accuracy(b.pred_l1, split="train") == np.mean(pred[train] == y[train])
    assert round(b.accuracy(b.pred_l1, split="train"), 4) == 0.9690


def test_trained_model_beats_the_baseline(digits):
    _, res, data = digits
    b = res.baseline
    # the 72 validation images are all told apart by every method (3 vs 7 in 8x8 is easy); on the train rows,
    # where the means were made, the pixel weights do better than either distance
    for pred in (b.pred_l1, b.pred_l2):
        assert b.accuracy(b.pred_linear) >= b.accuracy(pred)
        assert b.accuracy(b.pred_linear, split="train") > b.accuracy(pred, split="train")
    assert round(b.accuracy(b.pred_linear, split="train"), 4) == 0.9931


def test_libreoffice_recalculates_every_cell_as_numpy(lo, digits):
    path, res, data = digits
    assert assert_recalculated_equal(lo, path, res, data, skip=("pixels",)) > 362 * 64
    b = res.baseline
    means = np.array(lo.values("pixels", f"B{MEANS_ROW + 1}:BM{MEANS_ROW + 2}"), float)
    assert np.max(np.abs(means - b.means)) <= 1e-9
    table = lo.values("pixels", f"A{TABLE_ROW + 2}:N{TABLE_ROW + 1 + data.n}")
    got = np.array([[r[3], r[4], r[7], r[8]] for r in table], float)
    assert np.max(np.abs(got - np.column_stack([b.l1, b.l2]))) <= 1e-9
    assert [r[5] for r in table] == b.pred_l1.tolist() and [r[12] for r in table] == b.pred_linear.tolist()
    summary = lo.values("pixels", f"B{SUMMARY_ROW + 1}:E{SUMMARY_ROW + 3}")
    assert summary[0] == [b.accuracy(b.pred_l1), 1.0, 1.0, b.accuracy(b.pred_l1, split="train")]
    assert summary[2][3] == b.accuracy(b.pred_linear, split="train")
    assert lo.errors("pixels", f"A1:BZ{TABLE_ROW + 1 + data.n}") == {}


def test_images_are_shaded_grids(digits):
    path, res, _ = digits
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        sheets = [n for n in names if n.startswith("xl/worksheets/sheet")]
        xml = next(z.read(n).decode() for n in sheets if "AVERAGEIFS" in z.read(n).decode())
    assert xml.count("<colorScale>") == 3  # the mean 3, the mean 7 and the weights
    assert "<f>linear!G4</f>" in xml  # the weights grid reads the model's params (p0 first)


def test_the_classes_are_named_3_and_7_and_accuracies_fit_their_columns(tmp_path):
    """Labels say "3" and "7" (not "3.0"); the pixel summary's accuracies show 100.0% in the grid's narrow
    columns (0.00% showed ### in LibreOffice)."""
    import re
    import zipfile

    from sheetnet.lessons.prepare import prepare
    from sheetnet.lessons.template import load_template
    from sheetnet.lessons.workbook import build_workbook

    path = tmp_path / "d.xlsx"
    build_workbook(path, prepare(load_template("digits")), seed=0)
    with zipfile.ZipFile(path) as z:
        text = " ".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
        styles = z.read("xl/styles.xml").decode()
    assert "3.0" not in re.sub(r"<v>[^<]*</v>|<f>[^<]*</f>", "", text)
    assert "Pixel similarity: 3 or 7?" in text and "mean 3" in text
    assert 'formatCode="0.0%"' in styles
