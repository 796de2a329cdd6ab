"""The conv lesson's image sheet: one image through every layer, as the course's conv-example.xlsx shows it.

Each grid is formulas reading the data and conv sheets' row (the image in row 4 by default), with a colour
scale: the image, the filters, each channel of Conv1 and Conv2, the pooled channels, and the Softmax.
Change the row number in B2 to follow another image (INDEX by that row).
"""

from __future__ import annotations

import numpy as np

from ..model.layout import DATA_SHEET, FIRST_ROW, cell, col_name
from ..model.styles import DIVERGING_SCALE
from ..model.xlsx import exact_writer

SHEET = "image"
ROW_CELL = (1, 1)  # B2: which data row the grids show


def write_image_view(wb, fm, data, dl, result):
    m = next(m for m in result.models if m.name == "conv")
    ml = result.layouts[m.name]
    vals = result.values[m.name]
    theta = m.blocks(result.params[m.name])
    row0 = FIRST_ROW + 1  # Excel row of the first image
    pick = f"$B${ROW_CELL[0] + 1}"
    out = {}  # (row, col) -> (text, formula or number, value)

    def index_of(sheet, c):  # the column c of the chosen row
        rng = f"{sheet}!${col_name(c)}${row0}:${col_name(c)}${FIRST_ROW + data.n}"
        return f"INDEX({rng},{pick}-{FIRST_ROW})"

    def grid(r0, c0, title, cells, shape, values, scale=True):
        out[r0, c0] = ("h", title, None)
        h, w = shape
        for i in range(h):
            for j in range(w):
                out[r0 + 1 + i, c0 + j] = ("f", cells(i, j), float(values[i * w + j]))
        if scale:
            grids.append(f"{cell(r0 + 1, c0)}:{cell(r0 + h, c0 + w - 1)}")

    grids: list = []
    out[0, 0] = ("n", "One image through every layer (the row in B2; type another row number to follow another image). "
                      "Blue: high.", None)
    out[1, 0] = ("h", "data row", None)
    out[1, 1] = ("v", row0, None)
    fa = dl.feature_cols[0]
    H, W = data.template.image or (8, 8)

    def filters(top, x, pname):  # each filter of a block, channel by channel, as 3x3 grids from column x
        p = m.param(pname)
        for o in range(p.units):
            r, c = ml.param_cell(p, o, 0)
            for ch in range(p.inputs // 9):
                grid(top, x, f"{pname} {o + 1}" + (f", ch {ch + 1}" if p.inputs > 9 else ""),
                     lambda i, j, r=r, c=c, ch=ch: f"={m.name}!{cell(r, c + ch * 9 + i * 3 + j, True)}", (3, 3),
                     theta[pname][o, ch * 9:(ch + 1) * 9])
                x += 4

    grid(3, 0, "image (pixels / 16)", lambda i, j: "=" + index_of(DATA_SHEET, fa + i * W + j), (H, W),
         data.X[0, :H * W])
    filters(3, W + 2, "Filters1")
    top = 3 + H + 2
    for name, (h, w), pname in (("Conv1", (H - 2, W - 2), None), ("Conv2", (H - 4, W - 4), "Filters2"),
                                ("Pool", ((H - 4) // 2, (W - 4) // 2), None)):
        st = m.step(name)
        per, x = h * w, 0
        for o in range(len(st.columns) // per):
            c0 = ml.col(st.columns[o * per])
            grid(top, x, f"{name} channel {o + 1}",
                 lambda i, j, c0=c0, w=w: "=" + index_of(m.name, c0 + i * w + j), (h, w),
                 vals[name][0][o * per:(o + 1) * per])
            x += w + 1
        if pname:
            filters(top, x + 1, pname)
        if name == "Pool":
            sm = m.step("Softmax")
            c0 = ml.col(sm.columns[0])
            grid(top, x + 1, "Softmax (" + ", ".join(data.template.classes) + ")",
                 lambda i, j: "=" + index_of(m.name, c0 + j), (1, len(sm.columns)), np.asarray(vals["Softmax"][0]),
                 False)
        top += h + 3
    ws = wb.add_worksheet(SHEET)
    exact_writer(ws)  # numbers as the shortest text that reads back as the same double
    for (r, c), (kind, what, v) in sorted(out.items()):
        if kind == "f":
            ws.write_formula(r, c, what, fm["computed"], v)
        elif kind == "v":
            ws.write_number(r, c, what, fm["param"])
        else:
            ws.write_string(r, c, what, fm["note"] if kind == "n" else fm["h2"])
    for g in grids:
        ws.conditional_format(g, DIVERGING_SCALE)
    ws.set_column(0, 40, 6.5)
    return ws
