"""Solver's way (a quasi-Newton method on all the training rows) against SGD's (many small steps).

One model, one start (the workbook's params), one seeded 80/20 split: the Solver mirror and
gradient descent in four flavours train on the same rows and are scored on the same held-out rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..engine import Engine
from ..errors import SheetnetError
from ..model import stored
from ..solver.optimize import MESSAGES
from ..solver.optimize import minimize as solver_minimize
from ..solver.plain import Plain
from .train import split, train

# (label, optimizer, learning rate, batch size); tuned so each converges on the lesson data
METHODS = [
    ("GD (full batch)", "gd", 0.05, None),
    ("SGD (batch 32)", "sgd", 0.05, 32),
    ("Momentum 0.9 (batch 32)", "momentum", 0.01, 32),
    ("Adam (batch 32)", "adam", 0.01, 32),
]
NEAR = 1e-4  # "reached the Solver's loss": within this of it


@dataclass
class Run:
    label: str
    train_loss: float
    valid_loss: float
    train_accuracy: float
    valid_accuracy: float
    seconds: float
    evals: float  # gradient evaluations, in passes over the training rows
    W: np.ndarray
    curve: list  # (seconds, evals, train loss)
    note: str = ""
    near_epoch: int | None = None  # first epoch within NEAR of the Solver's training loss
    near_seconds: float | None = None
    distance: float = 0.0  # |W - W_solver|


@dataclass
class Comparison:
    sheet: str
    model: str
    rows_train: int
    rows_valid: int
    runs: list = field(default_factory=list)
    epochs: int = 0
    device: str = "cpu"
    hidden: bool = False  # the model has hidden ReLU units (many local optima)

    @property
    def solver(self) -> Run:
        return self.runs[0]


def compare(path, sheet: str | None = None, epochs: int = 200, valid: float = 0.2, seed: int = 0, device=None,
            methods=None, progress: bool = False) -> Comparison:
    eng = Engine.load(path)
    if sheet is None:  # nnet, or the workbook's only model sheet
        sheet = stored.default_sheet(eng)
    if sheet not in eng.index:
        raise SheetnetError(f"{path}: no sheet named {sheet!r}")
    ls = stored.require(eng, sheet)
    m, W0 = ls.model, ls.params(eng)
    tr, va = split(len(ls.y), valid)
    Xtr, ytr, Xva, yva = ls.X[tr], ls.y[tr], ls.X[va], ls.y[va]
    cmp = Comparison(sheet, m.name, len(tr), len(va), epochs=epochs,
                     hidden=any(s.op == "relu" for s in m.steps))
    # the Solver mirror: BFGS with exact gradients, all training rows, from the workbook's params
    curve, t0, evals = [], time.perf_counter(), [0]

    def fg(x):
        evals[0] += 1
        return m.loss_and_grad(Xtr, ytr, x)
    prob = Plain(fg, W0)
    curve.append((0.0, 0, m.loss(Xtr, ytr, W0)))
    res = solver_minimize(prob, method="grg",
                          callback=lambda k, x, v: curve.append((time.perf_counter() - t0, evals[0], v)))
    Ws = res.x
    cmp.runs.append(_score("Solver mirror (GRG: BFGS)", m, Ws, Xtr, ytr, Xva, yva, res.seconds, res.nfev, curve,
                           f"{res.nit} iterations; {MESSAGES[res.status]}"))
    for label, opt, lr, bs in (methods or METHODS):
        r = train(m, ls.X, ls.y, W0, optimizer=opt, lr=lr, epochs=epochs, batch_size=bs, valid=valid, seed=seed,
                  device=device, progress=progress)
        cmp.device = r.device
        curve = [(h["seconds"], h["grad_evals"], h["train_loss"]) for h in r.history]
        note = f"lr {lr:g}, {r.epochs} epochs, {r.steps} steps" + (f"; {r.message}" if r.diverged else "")
        run = _score(label, m, r.W, Xtr, ytr, Xva, yva, r.seconds, r.history[-1]["grad_evals"], curve, note)
        target = cmp.solver.train_loss + NEAR
        hit = next((h for h in r.history if h["train_loss"] <= target), None)
        if hit:
            run.near_epoch, run.near_seconds = hit["epoch"], hit["seconds"]
        cmp.runs.append(run)
    for run in cmp.runs:
        run.distance = float(np.linalg.norm(run.W - cmp.solver.W))
    return cmp


def _score(label, m, W, Xtr, ytr, Xva, yva, seconds, evals, curve, note) -> Run:
    a = m.forward(Xtr, ytr, W)
    b = m.forward(Xva, yva, W) if len(yva) else {"loss": np.nan}
    return Run(label, a["loss"], b["loss"], a.get("accuracy", np.nan), b.get("accuracy", np.nan), seconds,
               float(evals), np.array(W), curve, note)


# ---- what people read and look at ------------------------------------------------------------------

COLUMNS = ["method", "train loss", "valid loss", "valid accuracy", "time (s)", "gradient evals",
           f"epochs to Solver's loss+{NEAR:g}", "distance from Solver's params", "notes"]


def table_rows(cmp: Comparison) -> list[list]:
    rows = []
    for r in cmp.runs:
        near = "-" if r is cmp.solver else (f"{r.near_epoch} ({r.near_seconds:.2f} s)" if r.near_epoch
                                            else f"not in {cmp.epochs}")
        rows.append([r.label, r.train_loss, r.valid_loss, r.valid_accuracy, r.seconds, r.evals, near, r.distance, r.note])
    return rows


def explain(cmp: Comparison) -> list[str]:
    s = cmp.solver
    others = [r for r in cmp.runs if r is not s]
    best = min(others, key=lambda r: r.train_loss)
    lines = [
        f"The Solver mirror (BFGS, a quasi-Newton method like Excel's GRG Nonlinear) reached a training loss of "
        f"{s.train_loss:.6f} in {s.seconds:.3f} s, using {s.evals:.0f} gradient evaluations over all "
        f"{cmp.rows_train} training rows. It learns the curvature of the loss as it goes and takes long, well-aimed "
        f"steps, so it needs few evaluations.",
        f"Gradient descent takes small steps along the gradient: with minibatches of 32 rows it makes "
        f"{int(np.ceil(cmp.rows_train / 32))} steps per epoch. After {cmp.epochs} epochs the best of them, "
        f"{best.label}, reached {best.train_loss:.6f} ({best.evals:.0f} passes over the data, {best.seconds:.2f} s).",
    ]
    for r in others:
        if r.near_epoch:
            lines.append(f"{r.label} came within {NEAR:g} of the Solver's training loss at epoch {r.near_epoch} "
                         f"({r.near_seconds:.2f} s).")
    if cmp.hidden:
        lines.append("The ReLU net has many local optima (a ReLU that is 0 on every row passes no gradient): "
                     "methods that end at similar losses can hold quite different params, as the distance column "
                     "shows, and a different start can end somewhere else entirely (sheetnet solve --multistart).")
    else:
        lines.append("The linear model's loss is a bowl with one bottom (convex), so every method that "
                     "converges heads to the same params; the distance column shows how close each got.")
    lines.append("The learning rate sets the step size: too small and SGD crawls, too large and the loss blows up "
                 "(sheetnet train --optimizer gd --lr 0.5 on the linear sheet diverges within a few epochs); Adam "
                 "scales each param's step by that param's own gradient history.")
    lines.append("Validation loss is measured on rows no method trained on: a method that lowers the training loss "
                 "but not the validation loss is fitting noise.")
    return lines


def markdown(cmp: Comparison, plot_name: str | None) -> str:
    rows = table_rows(cmp)
    out = [f"# Solver vs SGD on the {cmp.model} model (sheet {cmp.sheet})", "",
           f"{cmp.rows_train} training rows, {cmp.rows_valid} validation rows (seeded 80/20 split); every method "
           f"starts from the workbook's params; torch on {cmp.device}.", ""]
    out.append("| " + " | ".join(COLUMNS) + " |")
    out.append("|" + "---|" * len(COLUMNS))
    for r in rows:
        out.append("| " + " | ".join(_fmt(v) for v in r) + " |")
    out.append("")
    if plot_name:
        out += [f"![loss against time and against gradient evaluations]({plot_name})", ""]
    out += ["## What the plot shows", ""] + [f"- {line}" for line in explain(cmp)] + [""]
    return "\n".join(out)


def html(cmp: Comparison, plot_name: str | None) -> str:
    import html as h

    rows = table_rows(cmp)
    head = "".join(f"<th>{h.escape(c)}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{h.escape(_fmt(v))}</td>" for v in r) + "</tr>" for r in rows)
    items = "".join(f"<li>{h.escape(x)}</li>" for x in explain(cmp))
    img = f'<img src="{h.escape(plot_name)}" alt="loss curves" style="max-width:100%">' if plot_name else ""
    return (f"<!doctype html><meta charset='utf-8'><title>Solver vs SGD</title>"
            f"<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse}}"
            f"td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}td:first-child,td:last-child"
            f"{{text-align:left}}</style><h1>Solver vs SGD on the {h.escape(cmp.model)} model</h1>"
            f"<p>{cmp.rows_train} training rows, {cmp.rows_valid} validation rows (seeded 80/20 split); every method "
            f"starts from the workbook's params; torch on {h.escape(cmp.device)}.</p>"
            f"<table><tr>{head}</tr>{body}</table>{img}<h2>What the plot shows</h2><ul>{items}</ul>")


def _fmt(v) -> str:
    if isinstance(v, float):
        return "-" if v != v else f"{v:.6f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def plot(cmp: Comparison, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), dpi=110)
    for r in cmp.runs:
        t = np.array([c[0] for c in r.curve])
        e = np.array([c[1] for c in r.curve])
        y = np.array([c[2] for c in r.curve])
        style = dict(lw=2.2, color="black") if r is cmp.solver else dict(lw=1.4)
        keep = t > 0
        axes[0].plot(t[keep], y[keep], label=r.label, **style)
        keep = e > 0
        axes[1].plot(e[keep], y[keep], label=r.label, **style)
    lo = min(min(c[2] for c in r.curve) for r in cmp.runs)
    hi = max(r.curve[0][2] for r in cmp.runs)
    for ax, xl in zip(axes, ("wall time (s)", "gradient evaluations (passes over the training rows)")):
        ax.set_xscale("log")
        ax.set_ylim(lo - 0.05 * (hi - lo), min(hi, lo + 0.35) if hi > lo + 0.35 else hi + 0.01)
        ax.set_xlabel(xl)
        ax.set_ylabel("training loss")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Solver mirror vs gradient descent: the {cmp.model} model, {cmp.rows_train} training rows")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def draw_sheet(cmp: Comparison):
    """A function that fills a Compare sheet (XlsxWriter, streamed): the table, the words, a chart."""
    def draw(wb, ws):
        cells: dict = {}
        cells[(0, 0)] = f"Solver vs SGD on the {cmp.model} model (sheet {cmp.sheet})"
        cells[(1, 0)] = (f"{cmp.rows_train} training rows, {cmp.rows_valid} validation rows (seeded 80/20 split); "
                         f"every method starts from the workbook's params. Made by sheetnet compare.")
        for j, c in enumerate(COLUMNS):
            cells[(3, j)] = c
        rows = table_rows(cmp)
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                cells[(4 + i, j)] = round(v, 6) if isinstance(v, float) else v  # the sheet has no number formats
        top = 5 + len(rows)
        for i, line in enumerate(explain(cmp)):
            cells[(top + i, 0)] = line
        chart_row = top + len(explain(cmp)) + 1
        base = len(COLUMNS) + 1  # curve data to the right of the table
        cells[(3, base)] = "curves: gradient evaluations and training loss of each method"
        for k, r in enumerate(cmp.runs):
            c = base + 2 * k
            cells[(4, c)] = r.label
            cells[(5, c)], cells[(5, c + 1)] = "gradient evals", "train loss"
            for i, (_, e, loss) in enumerate(p for p in r.curve if p[1] > 0):
                cells[(6 + i, c)], cells[(6 + i, c + 1)] = float(e), float(loss)
        bold = wb.add_format({"bold": True})
        for (r, c) in sorted(cells):
            v = cells[(r, c)]
            if isinstance(v, str):
                ws.write_string(r, c, v, bold if r in (0, 3) else None)
            elif v == v:
                ws.write_number(r, c, float(v))
        chart = wb.add_chart({"type": "scatter", "subtype": "straight"})
        for k, r in enumerate(cmp.runs):
            c = base + 2 * k
            n = sum(1 for p in r.curve if p[1] > 0)
            if n == 0:
                continue
            chart.add_series({"name": r.label, "categories": [ws.name, 6, c, 5 + n, c],
                              "values": [ws.name, 6, c + 1, 5 + n, c + 1]})
        chart.set_title({"name": f"Training loss: Solver mirror vs gradient descent ({cmp.model})"})
        chart.set_x_axis({"name": "gradient evaluations (passes over the training rows)", "log_base": 10})
        chart.set_y_axis({"name": "training loss"})
        chart.set_size({"width": 900, "height": 420})
        ws.insert_chart(chart_row, 0, chart)
        ws.set_column(0, 0, 28)
        ws.set_column(1, len(COLUMNS) - 1, 14)
    return draw


def write_outputs(cmp: Comparison, src, out) -> list:
    """The workbook `out` (src plus a Compare sheet) and OUT.md, OUT.html, OUT.png beside it."""
    from pathlib import Path

    from ..atomic import atomic_path, check_writable
    from ..solver.addsheet import add_sheet

    out = Path(out)
    png, md, page = (out.with_name(f"{out.stem}{ext}") for ext in (".png", ".md", ".html"))
    for p in (out, png, md, page):
        check_writable(p)
    with atomic_path(png) as tmp:
        plot(cmp, tmp)
    with atomic_path(md) as tmp:
        tmp.write_text(markdown(cmp, png.name))
    with atomic_path(page) as tmp:
        tmp.write_text(html(cmp, png.name))
    add_sheet(src, out, "Compare", draw_sheet(cmp))
    return [out, md, page, png]
