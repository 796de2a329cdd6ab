"""A lesson's [training] section as sheets: one unrolled optimizer sheet each, the batches SGD draws,
and charts (the loss by step, log scale; the data with the fit at the first and the last step).

    [training]
    model = "linear"            # the lesson's model sheet the optimizers train
    optimizers = ["notebook", "gd", "sgd", "momentum", "rmsprop", "adam"]
    steps = 30
    start = [1.1, 1.1, 1.1]     # the params of row 0 (or one number for all)
    lr = 0.01                   # or a table: lr = { adam = 0.1 }, the rest 0.01
    batch_size = 5              # sgd
    momentum = 0.9              # any other hyperparameter an optimizer takes
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import SheetnetError
from ..model import unrolled as U
from ..model.layout import DATA_SHEET, FIRST_ROW, HEADER_ROW, NOTE_ROW, cell
from ..model.ops import OPS
from ..training import optimizers as O

BATCHES_SHEET = "Batches"
CHARTS_SHEET = "Charts"
MAX_STEPS = 5000


@dataclass
class TrainingPlan:
    model: object
    loss_op: str
    sheets: list  # SheetPlan
    values: dict = field(default_factory=dict)  # sheet -> numpy values
    theta0: np.ndarray | None = None


def options(template, optimizer=None, steps=None, lr=None) -> dict:
    """The [training] table with the command line's choices applied."""
    tr = dict(template.training)
    if optimizer:
        names = [o.strip() for o in str(optimizer).split(",")]
        for o in names:
            O.get(o)
        tr["optimizers"] = names
    if steps is not None:
        tr["steps"] = int(steps)
    if lr is not None:
        tr["lr"] = float(lr)
    return tr


def plan_training(template, data, models, seed: int = 0, optimizer=None, steps=None, lr=None) -> TrainingPlan:
    tr = options(template, optimizer, steps, lr)
    name = tr.get("model", "linear")
    m = next((m for m in models if m.name == name), None)
    if m is None:
        raise SheetnetError(f"{template.source}: [training] model {name!r} is not one of the lesson's sheets")
    loss_op = U.linear_parts(m)
    T = int(tr.get("steps", 30))
    if not 1 <= T <= MAX_STEPS:
        raise SheetnetError(f"--steps must be between 1 and {MAX_STEPS}, not {T}")
    P = m.n_params
    start = tr.get("start", 0.0)
    theta0 = np.full(P, float(start)) if np.isscalar(start) else np.asarray(start, float)
    if theta0.shape != (P,):
        raise SheetnetError(f"{template.source}: [training] start needs {P} numbers, not {len(theta0)}")
    names = tr.get("optimizers", list(O.OPTIMIZERS))
    lr_opt = tr.get("lr", 0.01)
    plans = []
    X, y = data.X, data.y
    n = len(y)
    for oname in names:
        opt = O.get(oname)
        hyper = {}
        for h, default in opt.hyper:
            v = lr_opt if h == "lr" else tr.get(h, default)
            if isinstance(v, dict):
                v = v.get(oname, default)
            hyper[h] = float(v)
        bl = O.batches(n, int(tr.get("batch_size", max(1, n // 4))), T, seed) if opt.minibatch else []
        plans.append(U.SheetPlan(oname, oname, hyper, T, P, tuple(m.param_labels), opt.state, opt.minibatch, bl))
    tp = TrainingPlan(m, loss_op, plans, theta0=theta0)
    loss, grad, sum_rows = numpy_fns(loss_op, X, y)
    for sp in plans:
        th, losses, g, st = O.run(O.get(sp.optimizer), loss, grad, theta0, sp.hyper, T, sp.batches)
        fd = U.finite_differences(sum_rows, th, T, sp.batches, sp.minibatch)
        tp.values[sp.name] = {"thetas": th, "losses": losses, "grads": g, "fd": fd, "states": st}
    return tp


def numpy_fns(loss_op: str, X, y):
    """numpy's loss(theta) on every row, grad(theta, rows) on a batch, sum_rows(theta, rows) -> (sum, n)."""
    op = OPS[loss_op]

    def sum_rows(theta, rows):
        Xr, yr = (X, y) if rows is None else (X[rows], y[rows])
        return float(np.sum(op.forward([_pred(Xr, theta)[:, None], yr[:, None]], None, None))), len(yr)

    def loss(theta):
        s, k = sum_rows(theta, None)
        return s / k

    def grad(theta, rows):
        Xr, yr = (X, y) if rows is None else (X[rows], y[rows])
        d = op.backward(np.ones((len(yr), 1)), [_pred(Xr, theta)[:, None], yr[:, None]], None, None, None)[0][0][:, 0]
        return np.array([np.sum(d * Xr[:, j]) for j in range(Xr.shape[1])]) / len(yr)

    return loss, grad, sum_rows


def _pred(X, theta):
    """Linear's prediction, added left to right as the formula's a*x1+b*x2+... is."""
    out = theta[0] * X[:, 0]
    for j in range(1, X.shape[1]):
        out = out + theta[j] * X[:, j]
    return out


def write_training(wb, fm, tp: TrainingPlan, data, dl, progress=None):
    """Batches (when SGD is shown), one sheet per optimizer, and the Charts sheet."""
    n = data.n
    a, b = dl.feature_cols
    feats = [f"{DATA_SHEET}!{cell(FIRST_ROW, c, True)}:{cell(FIRST_ROW + n - 1, c, True)}" for c in range(a, b + 1)]
    tcol = dl.index(data.template.target)
    target = f"{DATA_SHEET}!{cell(FIRST_ROW, tcol, True)}:{cell(FIRST_ROW + n - 1, tcol, True)}"
    sheets = {sp.name: wb.add_worksheet(sp.name) for sp in tp.sheets}
    mini = [sp for sp in tp.sheets if sp.minibatch]
    batch_refs = _write_batches(wb.add_worksheet(BATCHES_SHEET), fm, mini[0], data, dl, feats, target) if mini else None
    for sp in tp.sheets:
        opt = O.get(sp.optimizer)
        f = U.Formulas(sp, opt, tp.loss_op, feats, target, n, batch_refs if sp.minibatch else None)
        note = (f"{opt.title}: row t holds the params after t steps. Yellow cells: the start (row 0), the "
                f"hyperparameters and h; change one and every row recomputes. dLoss columns are the derivative, "
                f"FD the central difference.")
        U.write_sheet(sheets[sp.name], fm, sp, f, tp.values[sp.name], note)
        if progress:
            progress(sp.name)
    write_charts(wb.add_worksheet(CHARTS_SHEET), wb, fm, tp, data, dl)


def _write_batches(ws, fm, sp, data, dl, feats, target):
    """Each step's batch: its data rows (seeded shuffle, every epoch anew), copied with INDEX."""
    a, b = dl.feature_cols
    names = [dl.columns[c].name for c in range(a, b + 1)] + [data.template.target]
    ws.write(0, 0, "The rows of each SGD step's batch: a seeded shuffle of the data rows, cut into batches, anew each "
             "epoch. The values are INDEX formulas into the data sheet.", fm["note"])
    for c, h in enumerate(["Step", "Row"] + names):
        ws.write(HEADER_ROW, c, h, fm["header"])
    r = FIRST_ROW
    refs = []
    cols = feats + [target]
    values = np.column_stack([data.X, data.y])
    for t, rows in enumerate(sp.batches):
        r0 = r
        for i in rows:
            ws.write_number(r, 0, t, fm["computed_int"])
            ws.write_number(r, 1, int(i) + 1, fm["input"])
            for k, rng in enumerate(cols):
                ws.write_formula(r, 2 + k, f"=INDEX({rng},{cell(r, 1, False)})", fm["computed"], float(values[i, k]))
            r += 1
        blk = [f"{BATCHES_SHEET}!{cell(r0, 2 + k, True)}:{cell(r - 1, 2 + k, True)}" for k in range(len(cols))]
        refs.append((blk[:-1], blk[-1], len(rows)))
    return refs


def write_charts(ws, wb, fm, tp: TrainingPlan, data, dl):
    """The loss of every optimizer by step (log scale), and the data with the first and the last fit."""
    ws.write(0, 0, "Charts", fm["title"])
    ws.write(NOTE_ROW, 0, "The loss by step of each optimizer sheet (log scale), and the data with the fit of the "
             f"first sheet ({tp.sheets[0].name}) at its first and last step. The table feeds the second chart.",
             fm["note"])
    first = tp.sheets[0]
    src = _x_column(data, dl)
    a, b = dl.feature_cols
    heads = [src[0], data.template.target, "step 0", f"step {first.steps}"]
    for c, h in enumerate(heads):
        ws.write(HEADER_ROW, c, h, fm["header"])
    th = tp.values[first.name]["thetas"]
    n = data.n
    p0 = f"{first.name}!{cell(FIRST_ROW, first.col_params, True)}:{cell(FIRST_ROW, first.col_params + first.n_params - 1, True)}"
    pT = f"{first.name}!{cell(first.last_row, first.col_params, True)}:" \
         f"{cell(first.last_row, first.col_params + first.n_params - 1, True)}"
    tcol = dl.index(data.template.target)
    for i in range(n):
        r = FIRST_ROW + i
        ws.write_formula(r, 0, f"={DATA_SHEET}!{cell(r, src[1])}", fm["computed"], float(src[2][i]))
        ws.write_formula(r, 1, f"={DATA_SHEET}!{cell(r, tcol)}", fm["computed"], float(data.y[i]))
        row = f"{DATA_SHEET}!{cell(r, a)}:{cell(r, b)}"
        ws.write_formula(r, 2, f"=SUMPRODUCT({row},{p0})", fm["computed"], float(_pred(data.X[i:i + 1], th[0])[0]))
        ws.write_formula(r, 3, f"=SUMPRODUCT({row},{pT})", fm["computed"], float(_pred(data.X[i:i + 1], th[-1])[0]))
    last = FIRST_ROW + n - 1
    ch = wb.add_chart({"type": "line"})
    for sp in tp.sheets:
        ch.add_series({"name": sp.name, "categories": [sp.name, FIRST_ROW, 0, sp.last_row, 0],
                       "values": [sp.name, FIRST_ROW, sp.col_loss, sp.last_row, sp.col_loss], "marker": {"type": "none"}})
    ch.set_title({"name": "Loss by step"})
    ch.set_x_axis({"name": "step"})
    ch.set_y_axis({"name": "loss (log scale)", "log_base": 10})
    ch.set_size({"width": 620, "height": 360})
    ws.insert_chart(HEADER_ROW, 6, ch)
    sc = wb.add_chart({"type": "scatter", "subtype": "straight"})
    sc.add_series({"name": "data", "categories": [CHARTS_SHEET, FIRST_ROW, 0, last, 0],
                   "values": [CHARTS_SHEET, FIRST_ROW, 1, last, 1], "marker": {"type": "circle", "size": 5},
                   "line": {"none": True}})
    for k, label in ((2, "step 0"), (3, f"step {first.steps}")):
        sc.add_series({"name": label, "categories": [CHARTS_SHEET, FIRST_ROW, 0, last, 0],
                       "values": [CHARTS_SHEET, FIRST_ROW, k, last, k], "marker": {"type": "none"}})
    sc.set_title({"name": f"The fit ({first.name})"})
    sc.set_x_axis({"name": src[0]})
    sc.set_y_axis({"name": data.template.target})
    sc.set_size({"width": 620, "height": 360})
    ws.insert_chart(HEADER_ROW + 20, 6, sc)
    ws.set_column(0, 3, 11)


def _x_column(data, dl):
    """The raw input the charts plot against: the first `value` feature's column (name, data col, values)."""
    a, b = dl.feature_cols
    for c in range(a, b + 1):
        f = dl.columns[c].feature
        if f.transform == "value":
            return f.name, c, data.X[:, c - a]
    src = next(f.column for f in data.template.features if f.column)
    return src, dl.source_col(src), np.asarray(data.frame[src], dtype=float)
