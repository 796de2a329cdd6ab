"""The pixel-similarity baseline (fastbook chapter 4) as a sheet of formulas, and the [fit] step
that trains a model's params in torch before the workbook is written.

pixels sheet:
    row 4, 5      the mean image of each class over the train rows (AVERAGEIFS per pixel)
    the grids     the two means and the linear model's weights as shaded images (colour scales)
    the table     each validation image: its L1 (mean absolute difference) and L2 (root mean squared
                  difference) to each mean, the class of the nearer, right or wrong; the linear
                  model's prediction beside them
    the summary   accuracy of L1, L2 and the linear model on the validation rows, and per class
"""

from __future__ import annotations

import numpy as np

from ..errors import SheetnetError
from ..model.layout import DATA_SHEET, FIRST_ROW, cell, col_name

SHEET = "pixels"
MEANS_ROW = 3  # 0-based: the first class's mean image as one row
GRID_ROW = 7
SUMMARY_ROW = 18
TABLE_ROW = 27  # the header of the validation table


def split_rows(data):
    """(train, valid) row indices from the template's split column (all rows train when it has none)."""
    t = data.template
    if not t.split:
        return np.arange(data.n), np.arange(0)
    col = np.array([str(v).strip().lower() for v in data.frame[t.split]], dtype=object)
    bad = sorted(set(col) - {"train", "valid"})
    if bad:
        raise SheetnetError(f"{data.source}: column {t.split}: {bad[0]!r} is neither train nor valid")
    return np.flatnonzero(col == "train"), np.flatnonzero(col == "valid")


def fit_params(data, models, seed: int, start: dict) -> dict:
    """[fit]: the named model's params trained by torch on the train rows, from its seeded start."""
    from ..model.nets import exact15
    from ..training.train import train

    f = data.template.fit
    name = f.get("model", "linear")
    m = next((m for m in models if m.name == name), None)
    if m is None:
        raise SheetnetError(f"{data.template.source}: [fit] model {name!r} is not one of the lesson's sheets")
    tr, _ = split_rows(data)
    res = train(m, data.X[tr], data.y[tr], start[name], optimizer=f.get("optimizer", "sgd"), lr=float(f.get("lr", 1.0)),
                epochs=int(f.get("epochs", 20)), batch_size=int(f.get("batch_size", 256)), valid=None, seed=seed,
                device="cpu")
    return {name: exact15(res.W)}


class Baseline:
    """numpy's numbers of the pixels sheet (its cached values; the tests' reference), for every image."""

    def __init__(self, data, preds=None):
        t = data.template
        self.k = t.image[0] * t.image[1] if t.image else data.X.shape[1]
        self.tr, self.va = split_rows(data)
        self.is_valid = np.zeros(data.n, bool)
        self.is_valid[self.va] = True
        X, y = data.X[:, :self.k], data.y
        self.labels = _labels(data)
        self.means = np.array([X[self.tr][y[self.tr] == v].mean(axis=0) for v in (1.0, 0.0)])
        d = X[:, None, :] - self.means[None, :, :]
        self.l1 = np.abs(d).sum(axis=2) / self.k
        self.l2 = np.sqrt((d * d).sum(axis=2) / self.k)
        self.truth = y
        self.pred_l1 = np.where(self.l1[:, 0] < self.l1[:, 1], 1.0, 0.0)
        self.pred_l2 = np.where(self.l2[:, 0] < self.l2[:, 1], 1.0, 0.0)
        self.pred_linear = None if preds is None else np.where(preds > 0.5, 1.0, 0.0)

    def accuracy(self, pred, cls=None, split="valid") -> float:
        keep = self.is_valid if split == "valid" else ~self.is_valid
        if cls is not None:
            keep = keep & (self.truth == cls)
        return float(np.mean(pred[keep] == self.truth[keep]))


def _label(v) -> str:
    """A class's name as a person writes it: 3, not 3.0."""
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _labels(data):
    """What the target's 1 and 0 mean, from the first input column when it names the classes (digit)."""
    t = data.template
    if t.inputs:
        col = data.frame[t.inputs[0]]
        one = sorted({_label(v) for v, y in zip(col, data.y) if y == 1})
        zero = sorted({_label(v) for v, y in zip(col, data.y) if y == 0})
        if len(one) == 1 and len(zero) == 1:
            return one[0], zero[0]
    return "1", "0"


def write_pixels(wb, fm, data, dl, result, seed: int):
    """The pixels sheet (after the model sheets: it reads the linear model's Preds and weights)."""
    t = data.template
    lin = next((m for m in result.models if m.name == "linear"), None)
    b = Baseline(data, None if lin is None else result.values[lin.name][lin.pred][:, 0])
    if not t.image or t.image[0] * t.image[1] > dl.feature_cols[1] - dl.feature_cols[0] + 1:
        raise SheetnetError(f"{t.source}: baseline = \"pixels\" needs image = [rows, cols] of the first features")
    ws = wb.add_worksheet(SHEET)
    k, H, W = b.k, t.image[0], t.image[1]
    a0 = dl.feature_cols[0]
    last = FIRST_ROW + data.n - 1
    tcol, scol = dl.index(t.target), dl.index(t.split)
    one, zero = b.labels
    ws.write(0, 0, f"Pixel similarity: {one} or {zero}?", fm["title"])
    ws.write(1, 0, f"The mean {one} and the mean {zero} over the train rows; each validation image goes to the "
             f"nearer mean (L1: mean absolute difference; L2: root mean squared difference). Then the linear "
             f"model's prediction for the same image.", fm["note"])
    ws.write(MEANS_ROW - 1, 0, "pixel", fm["header"])
    for j in range(k):
        ws.write(MEANS_ROW - 1, 1 + j, dl.columns[a0 + j].name, fm["header"])
    target = f"{DATA_SHEET}!{cell(FIRST_ROW, tcol, True)}:{cell(last, tcol, True)}"
    split = f"{DATA_SHEET}!{cell(FIRST_ROW, scol, True)}:{cell(last, scol, True)}"
    for i, (cls, label) in enumerate(((1, one), (0, zero))):
        ws.write(MEANS_ROW + i, 0, f"mean {label}", fm["total_label"])
        for j in range(k):
            col = f"{DATA_SHEET}!{cell(FIRST_ROW, a0 + j, True)}:{cell(last, a0 + j, True)}"
            ws.write_formula(MEANS_ROW + i, 1 + j, f'=AVERAGEIFS({col},{target},{cls},{split},"train")',
                             fm["computed"], float(b.means[i, j]))
    grids = [(f"mean {one}", MEANS_ROW), (f"mean {zero}", MEANS_ROW + 1)]
    ml = result.layouts[lin.name] if lin is not None else None
    ws.write(GRID_ROW - 1, 0, "images", fm["h2"])
    shown = grids + ([("linear weights", None)] if lin is not None else [])
    for g, (title, _) in enumerate(shown):
        ws.write(GRID_ROW - 1, 1 + g * (W + 1), title, fm["h2"])
    for i in range(H):  # row by row across the grids (the sheet is streamed)
        for g, (title, src_row) in enumerate(shown):
            c0 = 1 + g * (W + 1)
            for j in range(W):
                p = i * W + j
                if src_row is not None:
                    ws.write_formula(GRID_ROW + i, c0 + j, f"={cell(src_row, 1 + p)}", fm["computed"],
                                     float(b.means[src_row - MEANS_ROW, p]))
                else:
                    r, c = ml.param_cell(lin.params[0], 0, p)
                    ws.write_formula(GRID_ROW + i, c0 + j, f"={lin.name}!{cell(r, c)}", fm["computed"],
                                     float(result.params[lin.name][p]))
    for g, (title, src_row) in enumerate(shown):
        c0 = 1 + g * (W + 1)
        rng = f"{cell(GRID_ROW, c0)}:{cell(GRID_ROW + H - 1, c0 + W - 1)}"
        scale = ({"type": "2_color_scale", "min_color": "#FFFFFF", "max_color": "#000000"} if src_row is not None
                 else {"type": "3_color_scale", "min_color": "#C00000", "mid_color": "#FFFFFF", "max_color": "#2F5597",
                       "mid_type": "num", "mid_value": 0})
        ws.conditional_format(rng, scale)
    _table(ws, fm, data, dl, result, b, lin, ml)
    ws.set_column(0, 0, 16)
    ws.set_column(1, k, 7)
    return b


def _table(ws, fm, data, dl, result, b, lin, ml):
    t = data.template
    one, zero = b.labels
    k = b.k
    a0 = dl.feature_cols[0]
    n = data.n
    first, last = TABLE_ROW + 1, TABLE_ROW + n
    names = ["row", t.split, t.target, f"L1 to {one}", f"L1 to {zero}", "L1 says", "L1 right", f"L2 to {one}",
             f"L2 to {zero}", "L2 says", "L2 right"] + (["linear Preds", "linear says", "linear right"] if lin else [])
    col = {name: i for i, name in enumerate(names)}
    m3 = f"{cell(MEANS_ROW, 1, True)}:{cell(MEANS_ROW, k, True)}"
    m7 = f"{cell(MEANS_ROW + 1, 1, True)}:{cell(MEANS_ROW + 1, k, True)}"
    tcol, scol = dl.index(t.target), dl.index(t.split)
    preds = result.values[lin.name][lin.pred][:, 0] if lin is not None else None
    rng = {c: f"{cell(first, col[c], True)}:{cell(last, col[c], True)}" for c in col}
    sp, tgt = rng[t.split], rng[t.target]
    methods = [("L1", b.pred_l1), ("L2", b.pred_l2)] + ([("linear", b.pred_linear)] if lin is not None else [])
    ws.write(SUMMARY_ROW - 1, 0, "accuracy", fm["h2"])
    for j, head in enumerate([f"valid ({len(b.va)})", f"{one}s (valid)", f"{zero}s (valid)", f"train ({len(b.tr)})"]):
        ws.write(SUMMARY_ROW - 1, 1 + j, head, fm["header"])
    for i, (tag, pred) in enumerate(methods):
        right = rng[f"{tag} right"]
        ws.write(SUMMARY_ROW + i, 0, tag, fm["total_label"])
        cells = [(f'=AVERAGEIFS({right},{sp},"valid")', b.accuracy(pred)),
                 (f'=AVERAGEIFS({right},{sp},"valid",{tgt},1)', b.accuracy(pred, 1.0)),
                 (f'=AVERAGEIFS({right},{sp},"valid",{tgt},0)', b.accuracy(pred, 0.0)),
                 (f'=AVERAGEIFS({right},{sp},"train")', b.accuracy(pred, split="train"))]
        for j, (f, v) in enumerate(cells):
            ws.write_formula(SUMMARY_ROW + i, 1 + j, f, fm["accuracy_narrow"], v)  # (the grid's columns are narrow)
    ws.write(SUMMARY_ROW + len(methods) + 1, 0, "L1 and L2 compare an image with the two means made from the train "
             "rows; the linear model's weights were trained on the train rows only.", fm["note"])
    for name, c in col.items():
        ws.write(TABLE_ROW, c, name, fm["header"])
    for i in range(n):
        R = TABLE_ROW + 1 + i
        dr = FIRST_ROW + i  # the image's row on the data sheet
        img = f"{DATA_SHEET}!{cell(dr, a0, True)}:{cell(dr, a0 + k - 1, True)}"
        ws.write_number(R, col["row"], dr + 1, fm["computed_int"])
        ws.write_formula(R, col[t.split], f"={DATA_SHEET}!{cell(dr, scol)}", fm["info"],
                         "valid" if b.is_valid[i] else "train")
        ws.write_formula(R, col[t.target], f"={DATA_SHEET}!{cell(dr, tcol)}", fm["computed_int"], float(b.truth[i]))
        for name, mean, v in ((f"L1 to {one}", m3, b.l1[i, 0]), (f"L1 to {zero}", m7, b.l1[i, 1])):
            # an array formula: Gnumeric's SUMPRODUCT takes ABS(range) as one cell (#VALUE!); every spreadsheet sums this
            ws.write_array_formula(R, col[name], R, col[name], f"{{=SUM(ABS({img}-{mean}))/{k}}}", fm["computed"],
                                   float(v))
        for name, mean, v in ((f"L2 to {one}", m3, b.l2[i, 0]), (f"L2 to {zero}", m7, b.l2[i, 1])):
            ws.write_formula(R, col[name], f"=SQRT(SUMPRODUCT(({img}-{mean})^2)/{k})", fm["computed"], float(v))
        for tag, pred in (("L1", b.pred_l1[i]), ("L2", b.pred_l2[i])):
            a, z = cell(R, col[f"{tag} to {one}"]), cell(R, col[f"{tag} to {zero}"])
            ws.write_formula(R, col[f"{tag} says"], f"=IF({a}<{z},1,0)", fm["computed_int"], float(pred))
            ws.write_formula(R, col[f"{tag} right"], f"=IF({cell(R, col[f'{tag} says'])}={cell(R, col[t.target])},1,0)",
                             fm["computed_int"], float(pred == b.truth[i]))
        if lin is not None:
            pc = col_name(ml.col(lin.pred))
            p = float(preds[i])
            ws.write_formula(R, col["linear Preds"], f"={lin.name}!{pc}{dr + 1}", fm["computed"], p)
            ws.write_formula(R, col["linear says"], f"=IF({cell(R, col['linear Preds'])}>0.5,1,0)", fm["computed_int"],
                             float(p > 0.5))
            ws.write_formula(R, col["linear right"],
                             f"=IF({cell(R, col['linear says'])}={cell(R, col[t.target])},1,0)", fm["computed_int"],
                             float((p > 0.5) == (b.truth[i] == 1)))
