"""Build a tabular lesson (Titanic, or any template) as a live-formula .xlsx.

About, data (the CSV's columns as values, the features as formulas), one sheet per model, and a
hidden sheet with every model's description.  Every formula is written with the value numpy
computes for it (its cached result), so any viewer shows real numbers before recalculating.
Sheets are streamed row by row (XlsxWriter's constant_memory mode): memory stays flat.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xlsxwriter

from .. import __version__
from ..atomic import atomic_path
from ..errors import SheetnetError
from ..model.layout import (
    ABOUT_SHEET,
    DATA_SHEET,
    DESCRIPTION_SHEET,
    FIRST_ROW,
    HEADER_ROW,
    NOTE_ROW,
    TOTAL_ROW,
    DataLayout,
    ModelLayout,
)
from ..model.nets import (collab, convnet, exact15, initial_params, lesson_models, pin_blocks, softmax,
                          tie_blocks)
from ..model.ops import OPS
from ..model.stored import description_rows
from ..model.styles import formats
from ..model.xlsx import exact_writer, write_model_sheet
from ..solver.names import solver_names
from .about import write_about
from .prepare import Dataset, feature_op
from .printing import print_setup

FIXED_DATE = _dt.datetime(2000, 1, 1)  # document dates fixed: same inputs, same bytes
MAX_TEXT = 32767  # a cell's text limit in Excel


@dataclass
class BuildResult:
    path: Path
    rows: int
    rows_read: int
    models: list
    params: dict  # model name -> theta
    values: dict = field(default_factory=dict)  # model name -> forward() dict
    best_linear_loss: float = math.nan
    layouts: dict = field(default_factory=dict)  # model name -> ModelLayout
    data_layout: DataLayout | None = None
    notes: list = field(default_factory=list)
    training: object = None  # the unrolled optimizer sheets' plan (lessons with [training])
    baseline: object = None  # the pixel-similarity baseline's numbers (lessons with baseline = "pixels")
    sheets: list = field(default_factory=list)  # the visible sheets written, in order

    def summary(self) -> list[str]:
        lines = []
        if self.baseline is not None:
            b = self.baseline
            acc = [(tag, p) for tag, p in (("L1", b.pred_l1), ("L2", b.pred_l2), ("linear", b.pred_linear))
                   if p is not None]
            lines.append(f"pixels  accuracy on {len(b.va)} valid / {len(b.tr)} train images: " + ", ".join(
                f"{tag} {b.accuracy(p):.4f} / {b.accuracy(p, split='train'):.4f}" for tag, p in acc))
        if self.training is not None:
            for sp in self.training.sheets:
                v = self.training.values[sp.name]["losses"]
                lines.append(f"{sp.name:<9} Loss {v[0]:.6f} -> {v[-1]:.6f} after {sp.steps} steps "
                             f"(lr {sp.hyper['lr']:g})")
        for m in self.models:
            v = self.values[m.name]
            acc = f"  Accuracy {v['accuracy']:.4f}" if "accuracy" in v else ""
            lines.append(f"{m.name:<7} Loss {v['loss']:.6f}{acc}")
        return lines


def lesson_descriptions(data: Dataset, hidden=None, layers=None, output=None, loss=None):
    """The template's model sheets (linear, nnet, mmult or some of them); None takes the template's choice."""
    t = data.template
    nets, heads = {"nnet", "mmult"} & set(t.models), {"linear", "nnet", "mmult"} & set(t.models)
    for flag, given, fits, where in (
            ("--hidden/--relus", hidden, nets, "the nnet and mmult sheets (titanic, relu)"),
            ("--layers", layers, nets, "the nnet and mmult sheets (titanic, relu)"),
            ("--activation", output, heads, "the linear, nnet and mmult sheets (titanic, relu, gd, digits)"),
            ("--loss", loss, heads, "the linear, nnet and mmult sheets (titanic, relu, gd, digits)")):
        if given is not None and not fits:
            raise SheetnetError(f"{flag} applies to {where}, not to {t.name}'s {', '.join(t.models)}")
    labels = [f.param_label for f in t.features]
    if layers is None and t.layers:  # the template's layers, their width set by hidden (relu's --relus)
        layers = (hidden,) * len(t.layers) if hidden else t.layers
    models = lesson_models(t.feature_names, t.target, labels, hidden=hidden or t.hidden, layers=layers,
                           output=output or t.output, loss=loss or t.loss, binary=data.binary) \
        if heads else []
    if "softmax" in t.models:
        models.append(softmax(t.feature_names, t.target, t.classes, labels))
    if "conv" in t.models:
        models.append(convnet(t.feature_names, t.target, t.classes, t.image or (8, 8), t.filters))
    for name in ("dotprod", "bias"):
        if name in t.models:
            users, movies = _id_counts(data)
            models.append(collab(t.feature_names, t.target, users, movies, t.factors, biases=name == "bias"))
    return [m for m in models if m.name in t.models]


def _id_counts(data: Dataset) -> tuple[int, int]:
    """collab: how many users and movies, from the two id features (whole numbers from 1)."""
    out = []
    for j, f in enumerate(data.template.features[:2]):
        ids = data.X[:, j]
        if len(ids) == 0 or (ids != np.round(ids)).any() or ids.min() < 1:
            i = int(np.flatnonzero((ids != np.round(ids)) | (ids < 1))[0]) if len(ids) else 0
            raise SheetnetError(f"{data.source}: column {f.column}, data row {i + 1}: ids are whole numbers from 1 "
                                f"(the row of the params block they look up), not {ids[i]:g}")
        out.append(int(ids.max()))
    return out[0], out[1]


def lesson_start(models, seed: int, template) -> dict:
    """The seeded starting params, with the template's [start] blocks pinned and its [tie] blocks tied."""
    start = pin_blocks(initial_params(models, seed), models, template.start, template.source)
    return tie_blocks(start, models, template.tie, template.source)


def plan(data: Dataset, *, seed: int = 0, hidden: int | None = None, layers=None, output: str | None = None,
         loss: str | None = None,
         params: dict | None = None, models=None, path=None) -> BuildResult:
    """What a lesson workbook will hold: its models, their seeded params, every value numpy computes."""
    template = data.template
    models = models or lesson_descriptions(data, hidden, layers, output, loss)
    start = lesson_start(models, seed, template)
    for name, theta in (params or {}).items():
        m = next((m for m in models if m.name == name), None)
        if m is None:
            raise SheetnetError(f"no model named {name!r}")
        theta = np.asarray(theta, float).reshape(-1)
        if theta.size != m.n_params:
            raise SheetnetError(f"{name}: needs {m.n_params} params, got {theta.size}")
        start[name] = exact15(theta)
    values = {m.name: m.forward(data.X, data.y, start[m.name]) for m in models}
    w_ls = np.linalg.lstsq(data.X, data.y, rcond=None)[0]
    best = float(np.mean((data.X @ w_ls - data.y) ** 2))
    dl = DataLayout.of(template, data.n)
    layouts = {m.name: ModelLayout(m, data.n, dl.feature_cols, dl.index(template.target)) for m in models}
    return BuildResult(Path(path) if path else Path(), data.n, data.n_read, models, start, values, best, layouts, dl,
                       list(data.notes))


def build_workbook(path, data: Dataset, *, seed: int = 0, hidden: int | None = None, layers=None,
                   output: str | None = None, loss: str | None = None, params: dict | None = None,
                   live_rand: bool = False, progress=None, models=None, optimizer=None, steps=None,
                   lr=None) -> BuildResult:
    """Write the lesson workbook for `data` to `path` (atomically) and say what it holds.

    A template with a [training] section also gets its unrolled optimizer sheets (optimizer, steps
    and lr override the template's); one with chart = "fit" a chart of the target and the fits."""
    from .training_book import plan_training, write_training

    template = data.template
    if template.training and params is None and "start" in template.training:  # the model sheet starts there too
        start = template.training["start"]
        params = {template.training.get("model", "linear"): [start] * len(template.features) if
                  isinstance(start, (int, float)) else start}
    if template.fit and params is None:  # params trained by torch before anything is written
        from .pixels import fit_params
        fit_models = models or lesson_descriptions(data, hidden, layers, output, loss)
        params = fit_params(data, fit_models, seed, lesson_start(fit_models, seed, template))
    result = plan(data, seed=seed, hidden=hidden, layers=layers, output=output, loss=loss, params=params,
                  models=models, path=path)
    if template.training or optimizer or steps or lr:
        if not template.training:
            raise SheetnetError(f"--optimizer, --steps and --lr apply to lessons with training sheets (gd), not "
                                f"{template.name}")
        result.training = plan_training(template, data, result.models, seed, optimizer, steps, lr)
    models, start, values, layouts, dl = result.models, result.params, result.values, result.layouts, result.data_layout
    total_rows = data.n * (1 + len(models))
    done = [0]

    def tick(k):
        done[0] += k
        if progress:
            progress(done[0], total_rows)

    with atomic_path(path, ".xlsx") as tmp:
        wb = new_workbook(tmp, template, f"sheetnet {__version__}, seed {seed}")
        fm = formats(wb)
        about = wb.add_worksheet(ABOUT_SHEET)
        ws_data = wb.add_worksheet(DATA_SHEET)
        sheets = [(m, wb.add_worksheet(m.name)) for m in models]
        write_about(about, fm, data, dl, result, seed, live_rand)
        write_data_sheet(ws_data, fm, data, dl, tick)
        for m, ws in sheets:
            ml = layouts[m.name]
            write_model_sheet(ws, fm, m, ml, start[m.name], values[m.name], live_rand, tick)
            store_solver_model(wb, m.name, ml)
            if template.chart == "fit":
                from .charts import fit_chart
                fit_chart(wb, ws, m, ml, data, dl)
        if result.training:
            write_training(wb, fm, result.training, data, dl)
        if template.baseline == "pixels":
            from .pixels import write_pixels
            result.baseline = write_pixels(wb, fm, data, dl, result, seed)
        if template.baseline == "image":
            from .imageview import write_image_view
            write_image_view(wb, fm, data, dl, result)
        if template.baseline == "crosstab":
            from .crosstab import write_crosstab
            write_crosstab(wb, fm, data, dl, result)
        result.sheets = [ws.get_name() for ws in wb.worksheets()]
        desc = wb.add_worksheet(DESCRIPTION_SHEET)
        write_description(desc, data_description(dl, template), models, result.training)
        about.activate()
        print_setup(wb, row_sheets={DATA_SHEET, *(m.name for m in models)})
        close(wb, path)
    return result


def new_workbook(tmp, template, comments: str):
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"title": template.title, "subject": template.subject or "a lesson in a spreadsheet",
                       "author": "sheetnet", "comments": comments, "created": FIXED_DATE})
    return wb


def close(wb, path):
    try:
        wb.close()
    except (OSError, xlsxwriter.exceptions.XlsxWriterException) as e:
        raise SheetnetError(f"{path}: cannot write the workbook ({e})") from None


def store_solver_model(wb, sheet: str, ml: ModelLayout):
    """Excel's Solver model for a sheet: minimise the loss by changing the params (hidden names)."""
    for name, value in solver_names(ml.loss_ref(), ",".join(ml.params_areas())).items():
        wb.define_name(f"{sheet}!{name}", f"={value}")
        wb.defined_names[-1][3] = True  # hidden, as Excel stores them


def data_description(dl: DataLayout, template) -> dict:
    return {"sheet": DATA_SHEET, "rows": dl.n, "features": list(dl.feature_cols), "target": dl.index(template.target),
            "target_name": template.target, "template": template.name}


def write_description(ws, data: dict, models, training=None):
    rows = description_rows(data, models)
    if training is not None:
        from ..model.unrolled import to_json
        rows.append(["training", to_json(training.sheets)])
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            ws.write_string(r, c, text)
    ws.hide()


def _number_or_text(ws, r, c, v, fmt, text_fmt=None):
    if isinstance(v, str):
        if v == "":
            ws.write_blank(r, c, None, text_fmt or fmt)
        else:
            ws.write_string(r, c, v[:MAX_TEXT], text_fmt or fmt)  # text stays text: never a formula
    elif v is None or (isinstance(v, float) and not math.isfinite(v)):
        ws.write_blank(r, c, None, fmt)
    else:
        ws.write_number(r, c, float(v), fmt)


def _info_value(v: str):
    """Info columns: a plain decimal number is written as a number, anything else as text."""
    s = v.strip()
    if s and len(s) < 20 and s.lstrip("-").replace(".", "", 1).isdigit():
        return float(s)
    return v


def feature_formula(f, dl: DataLayout) -> str | None:
    """The formula of one feature cell, {r} for the row number (None: written as values)."""
    if f.transform in ("value", "const"):
        return None
    op, arg = feature_op(f)
    return "=" + OPS[op].formula([dl.source_ref(f.column)], None, arg, 0)


def _data_writers(fm, data: Dataset, dl: DataLayout):
    """One writer per data sheet column: f(ws, row_index, excel_row) writes that column's cell."""
    frame, writers, maxes = data.frame, [], {}
    for c, col in enumerate(dl.columns):
        if col.role in ("target", "input"):
            vals = frame[col.name]
            writers.append(lambda ws, i, R, c=c, vals=vals: _number_or_text(ws, R - 1, c, vals[i], fm["input"]))
        elif col.role == "info":
            vals = frame[col.name]
            writers.append(lambda ws, i, R, c=c, vals=vals: _number_or_text(
                ws, R - 1, c, _info_value(str(vals[i])), fm["info"]))
        else:
            f, j = col.feature, dl.columns.index(col) - dl.feature_cols[0]
            xj = data.X[:, j]
            tpl = feature_formula(f, dl)
            if tpl is None:
                style = fm["input"] if f.transform == "value" else fm["feature"]
                writers.append(lambda ws, i, R, c=c, xj=xj, s=style: ws.write_number(R - 1, c, xj[i], s))
            else:
                if f.transform == "div_max":
                    maxes[dl.source_col(f.column)] = data.maxes[f.column]
                writers.append(lambda ws, i, R, c=c, xj=xj, tpl=tpl:
                               ws.write_formula(R - 1, c, tpl.replace("{r}", str(R)), fm["feature"], float(xj[i])))
    return writers, maxes


def write_data_sheet(ws, fm, data: Dataset, dl: DataLayout, tick=None, blanks=frozenset(), blank_style=None):
    """The data sheet; `blanks`: feature names left empty (exercises), in `blank_style`."""
    exact_writer(ws)
    writers, maxes = _data_writers(fm, data, dl)
    for c, col in enumerate(dl.columns):
        width = 40 if col.name.lower() == "name" else max(9, len(col.name) + 2)
        ws.set_column(c, c, width)
        if col.name in blanks:
            writers[c] = (lambda ws, i, R, c=c: ws.write_blank(R - 1, c, None, blank_style))
    blank_max = {dl.source_col(f.column) for f in data.template.features if f.name in blanks and f.transform == "div_max"}
    # row 1: MAX of each column a div_max feature divides by
    for c, m in sorted(maxes.items()):
        if c - 1 >= 0 and c - 1 not in maxes:
            ws.write_string(TOTAL_ROW, c - 1, "Max:", fm["total_label"])
        if c in blank_max:
            ws.write_blank(TOTAL_ROW, c, None, blank_style)
        else:
            ws.write_formula(TOTAL_ROW, c, f"=MAX({dl.column_range(c, False)})", fm["total"], m)
    ws.write_string(NOTE_ROW, 0, "Blue: the CSV's values. Green: the features, formulas the models read. "
                                 "Row r is the same example on every sheet.", fm["note"])
    for c, col in enumerate(dl.columns):
        ws.write_string(HEADER_ROW, c, col.name, fm["header"])
    ws.freeze_panes(FIRST_ROW, 0)
    step = 4096
    for i in range(data.n):
        R = FIRST_ROW + i + 1
        for w in writers:
            w(ws, i, R)
        if tick and ((i + 1) % step == 0 or i + 1 == data.n):
            tick((i % step) + 1)

