"""The xlsx rendering of a model: its formulas, laid out, each with its cached value from numpy.

    cells = formulas(model, layout)     # every formula of the sheet, from the steps and the op table
    write_model_sheet(ws, fm, model, layout, theta, values)

Formulas stay within what Excel 2010+, LibreOffice and Google Sheets share: the MMULT rendering is
a legacy array formula, never a dynamic array, and no _xlfn. function is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from .graph import Model
from .layout import DATA_SHEET, FIRST_ROW, HEADER_ROW, NOTE_ROW, ModelLayout, col_name
from .ops import ACCURACY_OPS, OPS


@dataclass(frozen=True)
class Formula:
    """One step's formula on the sheet: a column (per row, {r} for the row number), a block (one
    array formula over several columns and every row) or a total (one cell)."""

    step: str
    kind: str  # "column" | "block" | "total"
    text: str  # with the leading "="
    col: int  # the column (block: its first column)
    width: int = 1
    unit: int = 0
    row: int = FIRST_ROW  # totals: their row

    def at(self, r: int) -> str:
        """The column formula for Excel row r (1-based)."""
        return self.text.replace("{r}", str(r))


def formulas(model: Model, ml: ModelLayout) -> list[Formula]:
    """Every formula of a model sheet, in step order (the target column first)."""
    target = col_name(ml.data_target)
    out = [Formula(model.target, "column", f"={DATA_SHEET}!{target}{{r}}", 0)]
    for s in model.steps:
        op = OPS[s.op]
        ins = [ml.ref(i) for i in s.inputs]
        p = ml.pref(model.param(s.params)) if s.params else None
        if s.is_total:
            r, c = ml.total_cell(s.name)
            out.append(Formula(s.name, "total", "=" + op.formula(ins, p, s.arg, 0), c, row=r))
        elif op.kind == "layer" and model.mmult:
            out.append(Formula(s.name, "block", "{=" + op.whole(ins, p, s.arg) + "}", ml.col(s.columns[0]),
                               width=len(s.columns)))
        else:
            for u, c in enumerate(s.columns):
                out.append(Formula(s.name, "column", "=" + op.formula(ins, p, s.arg, u), ml.col(c), unit=u))
    return out


def exact_writer(ws):
    """Two changes to how XlsxWriter writes this sheet's cells (its private hooks, pinned by tests):

    - numbers are written with Python's shortest round-trip repr instead of 16 significant digits,
      so every data, param and array cell reads back as exactly the double numpy used;
    - formulas skip the per-formula future-function regex pass (most of the time on big sheets):
      sheetnet writes no such function, and the formula text is written unchanged.
    """
    def number_element(number, attributes=()):
        attr = "".join(f' {k}="{ws._escape_attributes(v)}"' for k, v in attributes)
        ws.fh.write(f"<c{attr}><v>{num_text(number)}</v></c>")

    def prepare(formula, expand_future_functions=False):
        if formula.startswith("{") and formula.endswith("}"):
            formula = formula[1:-1]
        return formula[1:] if formula.startswith("=") else formula

    ws._xml_number_element = number_element
    ws._prepare_formula = prepare


def num_text(x) -> str:
    r = repr(float(x))
    return r[:-2] if r.endswith(".0") else r


def write_model_sheet(ws, fm, model: Model, ml: ModelLayout, theta, vals: dict, live_rand=False, tick=None,
                      note: str | None = None, blanks=frozenset(), styles=None):
    """Stream one model sheet.  `blanks`: steps left empty (exercises); `styles`: step -> format."""
    exact_writer(ws)
    n = ml.n
    cols = model.column_values(vals)
    fs = formulas(model, ml)
    styles = styles or {}
    per_row, blocks = [], []
    for f in fs:
        fmt = styles.get(f.step) or (fm["computed_int"] if f.col == 0 else fm["computed"])
        if f.kind == "column":
            name = ml.columns[f.col]
            per_row.append((f, cols[name], fmt))
        elif f.kind == "block":
            blocks.append((f, fmt))
    # params: {(row, col): (kind, value)}
    cells = {}
    W = model.blocks(theta)
    for p in model.params:
        h0 = ml.block_origin(p.name)
        r0, c0, r1, c1 = ml.block_range(p)
        cells[(h0, ml.params_col)] = ("head", p.name)
        units = list(p.unit_labels)
        ins = list(p.in_labels) + (["bias"] if p.bias else [])
        down, across = (ins, units) if model.mmult else (units, ins)
        for j, lab in enumerate(across):
            cells[(h0, c0 + j)] = ("head", lab)
        for i, lab in enumerate(down):
            cells[(r0 + i, ml.params_col)] = ("label", lab)
        for u in range(p.units):
            for j in range(p.inputs + int(p.bias)):
                cells[ml.param_cell(p, u, j)] = ("param", W[p.name][u, j])
    # widths, top rows
    for c, name in enumerate(ml.columns):
        ws.set_column(c, c, max(9, len(name) + 2))
    last_col = max(c for _, c in cells) if cells else ml.params_col
    ws.set_column(ml.params_col, ml.params_col, 10)
    ws.set_column(ml.params_col + 1, last_col, 10)
    for f in fs:
        if f.kind == "total":
            s = model.step(f.step)
            ws.write_string(f.row, f.col - 1, s.label, fm["total_label"])
            fmt = fm["accuracy"] if s.op in ACCURACY_OPS else fm["total"]
            if f.step in blanks:
                ws.write_blank(f.row, f.col, None, styles.get(f.step, fmt))
            else:
                ws.write_formula(f.row, f.col, f.text, styles.get(f.step, fmt), float(vals[f.step]))
    ws.write_string(NOTE_ROW, 0, note or "Change the yellow Params and watch Preds and Loss move; Solver minimises "
                                         "Loss (B1) by changing them.", fm["note"])
    for c, name in enumerate(ml.columns):
        ws.write_string(HEADER_ROW, c, name, fm["header"])
    for (r, c), item in sorted(cells.items()):  # rows are streamed in order: the first block's header now
        if r < FIRST_ROW:
            _param_cell(ws, fm, r, c, item, live_rand)
    ws.freeze_panes(FIRST_ROW, 0)
    param_rows = {r for r, _ in cells}
    rows_needed = max(n, max((r - FIRST_ROW + 1 for r in param_rows), default=0))
    step = 4096
    for i in range(rows_needed):
        r = FIRST_ROW + i
        if i < n:
            R = r + 1
            for f, v, fmt in per_row:
                if f.step in blanks:
                    ws.write_blank(r, f.col, None, fmt)
                else:
                    ws.write_formula(r, f.col, f.at(R), fmt, float(v[i]))
            for f, fmt in blocks:
                s = model.step(f.step)
                for u, cname in enumerate(s.columns):
                    c = f.col + u
                    if f.step in blanks:
                        ws.write_blank(r, c, None, fmt)
                    elif i == 0 and u == 0:
                        ws.write_array_formula(FIRST_ROW, f.col, ml.last_row, f.col + f.width - 1, f.text, fmt,
                                               float(cols[cname][0]))
                    else:
                        ws.write_number(r, c, float(cols[cname][i]), fmt)
            if tick and ((i + 1) % step == 0 or i + 1 == n):
                tick((i % step) + 1)
        for c in range(ml.params_col, last_col + 1):
            item = cells.get((r, c))
            if item is not None:
                _param_cell(ws, fm, r, c, item, live_rand)


def _param_cell(ws, fm, r, c, item, live_rand):
    kind, v = item
    if kind == "head":
        ws.write_string(r, c, v, fm["header"])
    elif kind == "label":
        ws.write_string(r, c, v, fm["param_label"])
    elif live_rand:
        ws.write_formula(r, c, "=RAND()-0.5", fm["param"], float(v))
    else:
        ws.write_number(r, c, float(v), fm["param"])


def numpy_cells(model: Model, ml: ModelLayout, vals: dict, y) -> dict:
    """{(row, col): value}: what numpy says every formula cell of the sheet must hold."""
    out = {}
    cols = model.column_values(vals)
    for f in formulas(model, ml):
        if f.kind == "total":
            out[(f.row, f.col)] = float(vals[f.step])
            continue
        names = ml.columns[f.col:f.col + f.width]
        for name in names:
            c = ml.col(name)
            col = cols[name]
            for i in range(ml.n):
                out[(FIRST_ROW + i, c)] = float(col[i])
    return out
