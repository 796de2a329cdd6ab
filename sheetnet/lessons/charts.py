"""Charts a lesson asks for (template key `chart`): the data and a model's predictions, live.

"fit": on each model sheet, the target and the model's Preds against the first value feature (x),
as points and a line, so Solver's work shows as the line bending onto the points.  The chart reads
the sheet's own cells: change a Params cell, run Solver, and it redraws.
"""

from __future__ import annotations

from ..model.layout import DATA_SHEET, FIRST_ROW


def fit_chart(wb, ws, m, ml, data, dl):
    a, b = dl.feature_cols
    xcol = next((c for c in range(a, b + 1) if dl.columns[c].feature.transform == "value"), a)
    last = FIRST_ROW + data.n - 1
    pred = ml.col(m.pred)
    ch = wb.add_chart({"type": "scatter", "subtype": "straight"})
    ch.add_series({"name": data.template.target, "categories": [DATA_SHEET, FIRST_ROW, xcol, last, xcol],
                   "values": [m.name, FIRST_ROW, 0, last, 0], "marker": {"type": "circle", "size": 5},
                   "line": {"none": True}})
    ch.add_series({"name": m.pred, "categories": [DATA_SHEET, FIRST_ROW, xcol, last, xcol],
                   "values": [m.name, FIRST_ROW, pred, last, pred], "marker": {"type": "none"},
                   "line": {"width": 2}})
    ch.set_title({"name": f"{data.template.target} and {m.pred} against {dl.columns[xcol].name}"})
    ch.set_x_axis({"name": dl.columns[xcol].name})
    ch.set_legend({"position": "bottom"})
    ch.set_size({"width": 560, "height": 340})
    r0, c0, r1, c1 = ml.block_range(m.params[-1])
    ws.insert_chart(r1 + 3, ml.params_col, ch)
