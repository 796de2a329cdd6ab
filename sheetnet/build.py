"""Render the lesson as a live-formula .xlsx: About, data, then one sheet per model.

Every formula is written with the value numpy computes for it (its cached result), so any viewer
shows real numbers before recalculating.  Sheets are streamed row by row (XlsxWriter's
constant_memory mode), so memory stays flat however many rows there are.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xlsxwriter

from . import __version__
from .atomic import atomic_path
from .data import Dataset
from .errors import SheetnetError
from .layout import (ABOUT_SHEET, DATA_SHEET, FIRST_ROW, HEADER_ROW, NOTE_ROW, TOTAL_ROW, DataLayout,
                     ModelLayout, col_name)
from .models import Model, exact15, initial_params, lesson_models
from .solver_names import solver_names

FIXED_DATE = _dt.datetime(2000, 1, 1)  # document dates fixed: same inputs, same bytes
MAX_TEXT = 32767  # a cell's text limit in Excel

COLOURS = {"input": "#DDEBF7", "param": "#FFF2CC", "computed": "#FFFFFF", "total": "#FCE4D6",
           "header": "#D9D9D9", "feature": "#E2EFDA"}


@dataclass
class BuildResult:
    path: Path
    rows: int
    rows_read: int
    models: list
    params: dict
    values: dict = field(default_factory=dict)  # model name -> forward() dict
    best_linear_loss: float = math.nan

    def summary(self) -> list[str]:
        lines = []
        for m in self.models:
            v = self.values[m.name]
            lines.append(f"{m.name:<7} Loss {v['loss']:.6f}  Accuracy {v['accuracy']:.4f}")
        return lines


def _formats(wb):
    def f(**kw):
        return wb.add_format(kw)

    border = {"border": 1, "border_color": "#BFBFBF"}
    return {
        "input": f(bg_color=COLOURS["input"], **border),
        "input_text": f(bg_color=COLOURS["input"], **border),
        "feature": f(bg_color=COLOURS["feature"], num_format="0.0000", **border),
        "computed": f(num_format="0.0000"),
        "computed_int": f(num_format="0"),
        "param": f(bg_color=COLOURS["param"], num_format="0.0000", bold=True, **border),
        "param_label": f(bold=True, align="right"),
        "total": f(bg_color=COLOURS["total"], num_format="0.000000", bold=True, **border),
        "accuracy": f(bg_color=COLOURS["total"], num_format="0.00%", bold=True, **border),
        "total_label": f(bold=True, align="right"),
        "header": f(bold=True, bg_color=COLOURS["header"], bottom=2, align="center"),
        "note": f(italic=True, font_color="#595959"),
        "info": f(font_color="#595959"),
        "title": f(bold=True, font_size=16),
        "h2": f(bold=True, font_size=12),
        "text": f(text_wrap=False),
        "mono": f(font_name="Consolas"),
    }


def _exact_writer(ws):
    """Two changes to how XlsxWriter writes this sheet's cells (its private hooks, pinned by tests):

    - numbers are written with Python's shortest round-trip repr instead of 16 significant digits,
      so every data, param and array cell reads back as exactly the double numpy used;
    - formulas skip the per-formula future-function regex pass (most of the time on big sheets):
      sheetnet writes no such function, and the formula text is written unchanged.
    """
    def number_element(number, attributes=()):
        attr = "".join(f' {k}="{ws._escape_attributes(v)}"' for k, v in attributes)
        ws.fh.write(f"<c{attr}><v>{_num(number)}</v></c>")

    def prepare(formula, expand_future_functions=False):
        if formula.startswith("{") and formula.endswith("}"):
            formula = formula[1:-1]
        return formula[1:] if formula.startswith("=") else formula

    ws._xml_number_element = number_element
    ws._prepare_formula = prepare


def _num(x) -> str:
    r = repr(float(x))
    return r[:-2] if r.endswith(".0") else r


def build_workbook(path, data: Dataset, *, seed: int = 0, hidden: int = 2, params: dict | None = None,
                   live_rand: bool = False, progress=None) -> BuildResult:
    """Write the lesson workbook for `data` to `path` (atomically) and say what it holds."""
    template = data.template
    labels = [f.param_label for f in template.features]
    models = lesson_models(template.feature_names, labels, hidden)
    start = initial_params(models, seed)
    if params:
        for name, W in params.items():
            m = next((m for m in models if m.name == name), None)
            if m is None:
                raise SheetnetError(f"no model named {name!r}")
            start[name] = exact15(m.check_params(W))
    values = {m.name: m.forward(data.X, data.y, start[m.name]) for m in models}
    w_ls = np.linalg.lstsq(data.X, data.y, rcond=None)[0]
    best = float(np.mean((data.X @ w_ls - data.y) ** 2))
    result = BuildResult(Path(path), data.n, data.n_read, models, start, values, best)
    dl = DataLayout.of(template, data.n)
    total_rows = data.n * (1 + len(models))
    done = [0]

    def tick(k):
        done[0] += k
        if progress:
            progress(done[0], total_rows)

    with atomic_path(path, ".xlsx") as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
        wb.set_properties({"title": template.title, "subject": "fast.ai lesson 3 in a spreadsheet",
                           "author": "sheetnet", "comments": f"sheetnet {__version__}, seed {seed}",
                           "created": FIXED_DATE})
        fm = _formats(wb)
        about = wb.add_worksheet(ABOUT_SHEET)
        ws_data = wb.add_worksheet(DATA_SHEET)
        model_sheets = [(m, wb.add_worksheet(m.name)) for m in models]
        _write_about(about, fm, data, dl, models, result, seed, live_rand)
        _write_data(ws_data, fm, data, dl, tick)
        for m, ws in model_sheets:
            ml = ModelLayout(m, data.n)
            _write_model(ws, fm, m, ml, dl, data, start[m.name], values[m.name], live_rand, tick)
            for name, value in solver_names(ml.loss_ref(), ml.params_ref()).items():
                wb.define_name(f"{m.name}!{name}", f"={value}")
                wb.defined_names[-1][3] = True  # hidden, as Excel stores them
        about.activate()
        try:
            wb.close()
        except (OSError, xlsxwriter.exceptions.XlsxWriterException) as e:
            raise SheetnetError(f"{path}: cannot write the workbook ({e})") from None
    return result


def _write_about(ws, fm, data: Dataset, dl: DataLayout, models, result: BuildResult, seed, live_rand):
    t = data.template
    src = Path(data.source)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()[:16] if src.exists() else "-"
    last = FIRST_ROW + data.n  # Excel row number of the last data row
    fa, fb = dl.feature_cols
    feats = f"{col_name(fa)}:{col_name(fb)}"
    lines = [
        ("title", f"{t.title}: a neural net in a spreadsheet"),
        ("text", "The fast.ai Practical Deep Learning lesson 3 models, built by sheetnet. Every number is a live formula."),
        ("", ""),
        ("h2", "The sheets"),
        ("text", f"data     the {data.n} passengers kept (of {data.n_read}: "
                 + (f"rows with a blank {' or '.join(t.blank_columns)} dropped" if t.blanks == "drop"
                    else f"blanks in {', '.join(t.blank_columns)} filled with the column's mode")
                 + f"), rows 4 to {last}. Columns {feats} are the model's inputs (features)."),
        ("text", "linear   Linear = SUMPRODUCT(features, Params); Loss = (Linear-Survived)^2; B1 = AVERAGE(Loss)."),
        ("text", f"nnet     {len(models[1].dot_steps)} hidden units: Lin = SUMPRODUCT(features, Params row); "
                 "ReLU = IF(Lin<0,0,Lin); Preds = sum of ReLUs; Loss = (Preds-Survived)^2."),
        ("text", "mmult    the same net, with every Lin column from one MMULT(features, Params block). "
                 "Same params as nnet, so the same numbers."),
        ("", ""),
        ("h2", "What to try"),
        ("text", "1. On linear, type a new value into a yellow Params cell: Linear, Loss and the total Loss (B1) change."),
        ("text", "2. Excel: Data > Solver > Solve. The Solver model is already filled in: minimise B1 by changing the Params."),
        ("text", "   LibreOffice 24.2+ reads it too (Tools > Solver). Google Sheets has no Solver: run  sheetnet solve  instead."),
        ("text", f"3. The best a linear model can do on these rows is a Loss of {result.best_linear_loss:.6f} (least squares)."),
        ("text", "4. Compare nnet and mmult: two ways to write the same net. Which one would you rather extend to 10 hidden units?"),
        ("text", "5. Accuracy (D1) counts a passenger as predicted to survive when the prediction is above 0.5."),
        ("", ""),
        ("h2", "Colours"),
    ]
    r = 0
    for style, text in lines:
        if text:
            ws.write_string(r, 0, text, fm[style])
        r += 1
    for style, text in (("input", "data: values from the CSV"), ("feature", "features: formulas from the data"),
                        ("param", "Params: change these (Solver does)"), ("computed", "computed: formulas"),
                        ("total", "Loss and Accuracy")):
        ws.write_string(r, 0, "", fm[style])
        ws.write_string(r, 1, text)
        r += 1
    r += 1
    ws.write_string(r, 0, "Starting point", fm["h2"])
    r += 1
    init = "=RAND()-0.5 (live: press F9 for new ones)" if live_rand else f"seeded: seed {seed}, uniform in [-0.5, 0.5)"
    ws.write_string(r, 0, f"Initial params: {init}.")
    r += 1
    for line in result.summary():
        ws.write_string(r, 0, "   " + line, fm["mono"])
        r += 1
    r += 1
    ws.write_string(r, 0, f"Data: {src.name} (sha256 {digest}...), template {t.name}. Made by sheetnet {__version__}.",
                    fm["note"])
    ws.set_column(0, 0, 3)
    ws.set_column(1, 1, 40)
    ws.hide_gridlines(2)


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


def _data_writers(fm, data: Dataset, dl: DataLayout):
    """One writer per data sheet column: f(ws, row_index, excel_row) writes that column's cell."""
    frame, writers, maxes = data.frame, [], {}
    for c, col in enumerate(dl.columns):
        if col.role in ("target", "input"):
            vals = frame[col.name].to_numpy()
            writers.append(lambda ws, i, R, c=c, vals=vals: _number_or_text(ws, R - 1, c, vals[i], fm["input"]))
        elif col.role == "info":
            vals = frame[col.name].to_numpy()
            writers.append(lambda ws, i, R, c=c, vals=vals: _number_or_text(
                ws, R - 1, c, _info_value(str(vals[i])), fm["info"]))
        else:
            f, j = col.feature, dl.columns.index(col) - dl.feature_cols[0]
            xj = data.X[:, j]
            if f.transform == "value":
                writers.append(lambda ws, i, R, c=c, xj=xj: ws.write_number(R - 1, c, xj[i], fm["input"]))
            elif f.transform == "const":
                writers.append(lambda ws, i, R, c=c, xj=xj: ws.write_number(R - 1, c, xj[i], fm["feature"]))
            else:
                tpl = _feature_formula(f, col_name(dl.source_col(f.column)))
                if f.transform == "div_max":
                    maxes[dl.source_col(f.column)] = data.maxes[f.column]
                writers.append(lambda ws, i, R, c=c, xj=xj, tpl=tpl:
                               ws.write_formula(R - 1, c, tpl.format(r=R), fm["feature"], float(xj[i])))
    return writers, maxes


def _feature_formula(f, src: str) -> str:
    """The formula of one feature cell, with {r} standing for the row number."""
    if f.transform == "div_max":
        return f"={src}{{r}}/${src}${TOTAL_ROW + 1}"
    if f.transform == "log10p1":
        return f"=LOG10({src}{{r}}+1)"
    if f.transform == "dummy":
        if isinstance(f.level, str):
            lvl = '"' + f.level.replace('"', '""').replace("{", "{{").replace("}", "}}") + '"'
        else:
            lvl = repr(float(f.level)).removesuffix(".0")
        return f"=IF({src}{{r}}={lvl},1,0)"
    raise ValueError(f.transform)


def _write_data(ws, fm, data: Dataset, dl: DataLayout, tick):
    _exact_writer(ws)
    writers, maxes = _data_writers(fm, data, dl)
    for c, col in enumerate(dl.columns):
        width = 40 if col.name.lower() == "name" else max(9, len(col.name) + 2)
        ws.set_column(c, c, width)
    # row 1: MAX of each column a div_max feature divides by
    for c, m in sorted(maxes.items()):
        if c - 1 >= 0 and c - 1 not in maxes:
            ws.write_string(TOTAL_ROW, c - 1, "Max:", fm["total_label"])
        ws.write_formula(TOTAL_ROW, c, f"=MAX({dl.column_range(c, False)})", fm["total"], m)
    ws.write_string(NOTE_ROW, 0, "Blue: the CSV's values. Green: the features, formulas the models read. "
                                 "Row r is the same passenger on every sheet.", fm["note"])
    for c, col in enumerate(dl.columns):
        ws.write_string(HEADER_ROW, c, col.name, fm["header"])
    ws.freeze_panes(FIRST_ROW, 0)
    step = 4096
    for i in range(data.n):
        R = FIRST_ROW + i + 1
        for w in writers:
            w(ws, i, R)
        if (i + 1) % step == 0 or i + 1 == data.n:
            tick((i % step) + 1)


def _step_formula(s, ml: ModelLayout, dl: DataLayout) -> str | None:
    """One step's per-row formula, {r} standing for the row number (None: part of the MMULT block)."""
    L = {name: col_name(ml.col(name)) for name in ml.columns}
    if s.op == "dot":
        if ml.model.kind == "mmult":
            return None
        return f"=SUMPRODUCT({dl.feature_row_template()},{ml.param_row_range(s.args[0])})"
    if s.op == "relu":
        x = f"{L[s.args[0]]}{{r}}"
        return f"=IF({x}<0,0,{x})"
    if s.op == "add":
        return "=" + "+".join(f"{L[a]}{{r}}" for a in s.args)
    if s.op == "sqerr":
        return f"=({L[s.args[0]]}{{r}}-{L['Survived']}{{r}})^2"
    raise ValueError(s.op)


def _write_model(ws, fm, m: Model, ml: ModelLayout, dl: DataLayout, data: Dataset, W, vals, live_rand, tick):
    _exact_writer(ws)
    n, last = data.n, ml.last_row + 1
    target_col = col_name(dl.index(data.template.target))
    # per-row columns
    row_writers = [(0, f"={DATA_SHEET}!{target_col}{{r}}", data.y, fm["computed_int"])]
    for s in m.steps:
        tpl = _step_formula(s, ml, dl)
        if tpl is not None:
            row_writers.append((ml.col(s.name), tpl, vals[s.name], fm["computed"]))
    mm_cols = [ml.col(s.name) for s in m.dot_steps] if m.kind == "mmult" else []
    mm_vals = [vals[s.name] for s in m.dot_steps]
    # the params block: {(row, col): (kind, value)}
    block = {}
    pc = ml.params_col
    h, nf = m.param_shape
    for k in range(h):
        for j in range(nf):
            block[ml.param_cell(k, j)] = ("param", W[k, j])
    if m.kind == "mmult":
        for j in range(nf):
            block[(FIRST_ROW + j, pc)] = ("label", m.param_labels[j])
    else:
        for k, s in enumerate(m.dot_steps):
            block[(FIRST_ROW + k, pc)] = ("label", s.name)
    # widths, top rows
    for c, name in enumerate(ml.columns):
        ws.set_column(c, c, max(9, len(name) + 2))
    ws.set_column(pc, pc, 10)
    ws.set_column(pc + 1, pc + (h if m.kind == "mmult" else nf), 10)
    ws.write_string(TOTAL_ROW, 0, "Loss", fm["total_label"])
    ws.write_formula(*ml.loss_cell, f"=AVERAGE({ml.column_range('Loss')})", fm["total"], vals["loss"])
    ws.write_string(TOTAL_ROW, 2, "Accuracy", fm["total_label"])
    P, S = ml.column_range(m.pred), ml.column_range("Survived")
    ws.write_formula(*ml.accuracy_cell, f"=SUMPRODUCT(--(({P}>0.5)=({S}>0.5)))/COUNT({S})", fm["accuracy"],
                     vals["accuracy"])
    ws.write_string(NOTE_ROW, 0, "Change the yellow Params and watch Preds and Loss move; Solver minimises Loss (B1) "
                                 "by changing them.", fm["note"])
    for c, name in enumerate(ml.columns):
        ws.write_string(HEADER_ROW, c, name, fm["header"])
    ws.write_string(HEADER_ROW, pc, "Params", fm["header"])
    heads = [s.name for s in m.dot_steps] if m.kind == "mmult" else list(m.param_labels)
    for i, name in enumerate(heads):
        ws.write_string(HEADER_ROW, pc + 1 + i, name, fm["header"])
    ws.freeze_panes(FIRST_ROW, 0)
    rows_needed = max(n, (nf if m.kind == "mmult" else h))
    step = 4096
    for i in range(rows_needed):
        r = FIRST_ROW + i
        R = r + 1
        if i < n:
            for c, tpl, v, fmt in row_writers:
                ws.write_formula(r, c, tpl.format(r=R), fmt, float(v[i]))
            for k, c in enumerate(mm_cols):
                if i == 0 and k == 0:
                    ws.write_array_formula(FIRST_ROW, mm_cols[0], last - 1, mm_cols[-1],
                                           f"{{=MMULT({dl.feature_block()},{ml.params_range()})}}",
                                           fm["computed"], float(mm_vals[0][0]))
                else:
                    ws.write_number(r, c, float(mm_vals[k][i]), fm["computed"])
            if (i + 1) % step == 0 or i + 1 == n:
                tick((i % step) + 1)
        for c in range(pc, pc + 1 + max(h, nf)):
            item = block.get((r, c))
            if item is None:
                continue
            kind, v = item
            if kind == "label":
                ws.write_string(r, c, v, fm["param_label"])
            elif live_rand:
                ws.write_formula(r, c, "=RAND()-0.5", fm["param"], float(v))
            else:
                ws.write_number(r, c, float(v), fm["param"])
