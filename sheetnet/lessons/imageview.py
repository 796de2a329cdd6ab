"""The conv lesson's image sheet: one image through every layer, as the course's conv-example.xlsx shows it.

Each grid is formulas reading the data and conv sheets' row (the image in row 4 by default), with a colour
scale: the image, the filters, each channel of Conv1 and Conv2, the pooled channels, and the Softmax.
Change the row number in B2 to follow another image (INDEX by that row).
"""

from __future__ import annotations

import numpy as np

from ..model.layout import DATA_SHEET, FIRST_ROW, cell, col_name

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
    img = data.X[0, :64]
    grid(3, 0, "image (pixels / 16)", lambda i, j: "=" + index_of(DATA_SHEET, fa + i * 8 + j), (8, 8), img)
    for o in range(theta["Filters1"].shape[0]):
        r, c = ml.param_cell(m.param("Filters1"), o, 0)
        grid(3, 10 + 4 * o, f"Filters1 {o + 1}", lambda i, j, r=r, c=c: f"={m.name}!{cell(r, c + i * 3 + j, True)}",
             (3, 3), theta["Filters1"][o])
    shapes = [("Conv1", 6), ("Conv2", 4)]
    top = 13
    for name, side in shapes:
        st = m.step(name)
        v = vals[name][0]
        per = side * side
        for o in range(len(st.columns) // per):
            c0 = ml.col(st.columns[o * per])
            grid(top, o * (side + 1), f"{name} channel {o + 1}",
                 lambda i, j, c0=c0, side=side: "=" + index_of(m.name, c0 + i * side + j), (side, side),
                 v[o * per:(o + 1) * per])
        if name == "Conv2":
            p = m.param("Filters2")
            for o in range(p.units):
                r, c = ml.param_cell(p, o, 0)
                for ch in range(p.inputs // 9):
                    grid(top, 12 + 4 * (o * (p.inputs // 9) + ch), f"Filters2 {o + 1}, ch {ch + 1}",
                         lambda i, j, r=r, c=c, ch=ch: f"={m.name}!{cell(r, c + ch * 9 + i * 3 + j, True)}",
                         (3, 3), theta["Filters2"][o, ch * 9:(ch + 1) * 9])
        top += side + 3
    st = m.step("Pool")
    for o in range(len(st.columns) // 4):
        c0 = ml.col(st.columns[o * 4])
        grid(top, o * 3, f"Pool {o + 1}", lambda i, j, c0=c0: "=" + index_of(m.name, c0 + i * 2 + j), (2, 2),
             vals["Pool"][0][o * 4:(o + 1) * 4])
    sm = m.step("Softmax")
    c0 = ml.col(sm.columns[0])
    grid(top, 8, "Softmax (" + ", ".join(data.template.classes) + ")",
         lambda i, j: "=" + index_of(m.name, c0 + j), (1, len(sm.columns)), np.asarray(vals["Softmax"][0]), False)
    ws = wb.add_worksheet(SHEET)
    for (r, c), (kind, what, v) in sorted(out.items()):
        if kind == "f":
            ws.write_formula(r, c, what, fm["computed"], v)
        elif kind == "v":
            ws.write_number(r, c, what, fm["param"])
        else:
            ws.write_string(r, c, what, fm["note"] if kind == "n" else fm["h2"])
    scale = {"type": "3_color_scale", "min_color": "#F8696B", "mid_color": "#FFFFFF", "max_color": "#5A8AC6"}
    for g in grids:
        ws.conditional_format(g, scale)
    ws.set_column(0, 40, 6.5)
    return ws
