"""The About sheet of a tabular lesson: what each sheet shows, what to try, the colour code."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .. import __version__
from ..model.layout import FIRST_ROW, col_name
from ..model.ops import ACCURACY_OPS, OPS
from ..model.styles import LEGEND


def _loss_words(m) -> str:
    s = m.step("Loss")
    return f"Loss = {OPS[s.op].doc.replace('pred', m.pred).replace('target', m.target)}"


EXCEL_SOLVER_LIMIT = 200  # variable cells Excel's Solver takes (its own message: "Too many Variable Cells")


def _solver_limit(models) -> str:
    counts = ", ".join(f"{m.name} {m.n_params}" for m in models)
    over = [m.name for m in models if m.n_params > EXCEL_SOLVER_LIMIT]
    return (f"Params: {counts}. Excel's Solver takes at most {EXCEL_SOLVER_LIMIT} variable cells"
            + (f": {', '.join(over)} is over it, so use LibreOffice's Solver or  sheetnet solve  there." if over
               else ", so it solves every sheet here."))


def sheet_lines(data, dl, models, result) -> list[tuple[str, str]]:
    t = data.template
    last = FIRST_ROW + data.n
    fa, fb = dl.feature_cols
    kept = ("every row kept" if not t.blank_columns else
            f"rows with a blank {' or '.join(t.blank_columns)} dropped" if t.blanks == "drop"
            else f"blanks in {', '.join(t.blank_columns)} filled with the column's mode")
    lines = [("text", f"data     the {data.n} rows kept (of {data.n_read}: {kept}), rows 4 to {last}. "
                      f"Columns {col_name(fa)}:{col_name(fb)} are the model's inputs (features).")]
    for m in models:
        total = result.layouts[m.name].loss_cell
        how = OPS[m.step(m.loss_step).op].doc.replace("column", "Loss")
        lines.append(("text", f"{m.name:<8} {m.about}; {_loss_words(m)}; {col_name(total[1])}1 = {how}."))
    if result.training is not None:
        from ..training.optimizers import OPTIMIZERS
        for sp in result.training.sheets:
            lines.append(("text", f"{sp.name:<8} {OPTIMIZERS[sp.optimizer].title}: one row a step ({sp.steps} steps), "
                                  f"params, Loss, each dLoss/dparam as a formula, FD beside it, the state."))
        if any(sp.minibatch for sp in result.training.sheets):
            lines.append(("text", "Batches  the rows of each SGD step's minibatch (a seeded shuffle each epoch)."))
        lines.append(("text", "Charts   the loss of every optimizer by step (log scale), and the data with the fit."))
    if t.baseline == "pixels":
        lines.append(("text", "pixels   the mean image of each class, every image's L1 and L2 distance to them, the "
                              "accuracy; the linear weights as an image."))
    if t.baseline == "image":
        lines.append(("text", "image    one image through every layer, as grids with colour scales: the pixels, the filters, "
                              "each channel of Conv1 and Conv2, the pooled channels and the Softmax (B2 picks the row)."))
    if t.baseline == "crosstab":
        lines.append(("text", "crosstab the ratings as the course shows them (users down, movies across, blank where not "
                              "rated) and every predicted rating from the first sheet's factors, rated or not; their RMSE."))
    deep = [m for m in models if any(p.bias for p in m.params)]
    if deep:
        lines.append(("text", "         Deeper nets: Lin2_3 is unit 3 of hidden layer 2, ReLU2_3 its ReLU; each layer's "
                              "Params block has one row per unit and a bias column (MMULT: one column per unit)."))
    return lines


def write_about(ws, fm, data, dl, result, seed, live_rand):
    t = data.template
    models = result.models
    src = Path(data.source)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()[:16] if src.exists() else "-"
    mse = all(m.step("Loss").op == "sqerr" and m.step(m.loss_step).op == "mean" and m.step(m.loss_step).inputs == ("Loss",)
              and not any(s.op == "lookup" for s in m.steps) for m in models)  # least squares means something
    acc = [m for m in models if any(s.op in ACCURACY_OPS for s in m.steps)]
    lines = [
        ("title", f"{t.title}: a neural net in a spreadsheet"),
        ("text", f"{t.subject or 'A lesson'}, built by sheetnet. Every number is a live formula."),
        *[("text", line) for line in t.teaches.strip().splitlines() if line.strip()],
        ("", ""),
        ("h2", "The sheets"),
        *sheet_lines(data, dl, models, result),
        ("", ""),
        ("h2", "What to try"),
    ]
    tries = [(f"On {models[0].name}, type a new value into a yellow Params cell: every column and the total Loss "
              f"(B1) change.", ""),
             ("Excel: Data > Solver > Solve. The Solver model is already filled in: minimise B1 by changing the "
              "Params.", "LibreOffice 24.2+ reads it too (Tools > Solver). Google Sheets has no Solver: run  "
                         "sheetnet solve  instead."),
             (_solver_limit(models), "")]
    if mse:
        tries.append((f"The best a linear model can do on these rows is a Loss of {result.best_linear_loss:.6f} "
                      f"(least squares).", ""))
    if len(models) >= 3:
        tries.append((f"Compare {models[1].name} and {models[2].name}: two ways to write the same net. Which one would "
                      "you rather extend to 10 hidden units?", ""))
    if any(s.op == "accuracy" for m in acc for s in m.steps):
        tries.append(("Accuracy (D1) counts a row as predicted to be 1 when the prediction is above 0.5.", ""))
    if any(s.op == "classacc" for m in acc for s in m.steps):
        tries.append(("Accuracy (D1) is the share of rows whose Class (the column of the highest Softmax, counted "
                      "from 0) is the target.", ""))
    tries += [(line, "") for line in t.try_this]
    for k, (line, more) in enumerate(tries, start=1):
        lines.append(("text", f"{k}. {line}"))
        if more:
            lines.append(("text", f"   {more}"))
    lines += [("", ""), ("h2", "Colours")]
    r = 0
    for style, text in lines:
        if text:
            ws.write_string(r, 0, text, fm[style])
        r += 1
    for style, text in LEGEND:
        ws.write_string(r, 0, "", fm[style])
        ws.write_string(r, 1, text)
        r += 1
    r += 1
    ws.write_string(r, 0, "Starting point", fm["h2"])
    r += 1
    init = "=RAND()-0.5 (live: press F9 for new ones)" if live_rand else f"seeded: seed {seed}, uniform in [-0.5, 0.5)"
    if t.training and "start" in t.training:
        init = f"the lesson's start, {t.training['start']}"
    elif t.fit:
        init = (f"trained by torch {t.fit.get('optimizer', 'sgd')} on the train rows (lr {t.fit.get('lr', 1.0)}, batch "
                f"{t.fit.get('batch_size', 256)}, {t.fit.get('epochs', 20)} epochs) from a seeded start (seed {seed})")
    ws.write_string(r, 0, f"Initial params: {init}.")
    r += 1
    for line in result.summary():
        ws.write_string(r, 0, "   " + line, fm["mono"])
        r += 1
    for note in result.notes:
        ws.write_string(r, 0, note, fm["note"])
        r += 1
    r += 1
    ws.write_string(r, 0, f"Data: {src.name} (sha256 {digest}...), template {t.name}. Made by sheetnet {__version__}.",
                    fm["note"])
    ws.set_column(0, 0, 3)
    ws.set_column(1, 1, 40)
    ws.hide_gridlines(2)
