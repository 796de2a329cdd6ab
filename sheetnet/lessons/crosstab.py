"""The collab lesson's crosstab sheet: the course's picture of the ratings and the predictions.

    the ratings   users down, movies across, blank where the user did not rate the movie
                  (=IF(COUNTIFS(...)=0,"",SUMIFS(...)) over the data sheet's rows)
    the preds     every user's predicted rating of every movie, rated or not, from the dotprod sheet's
                  factors: =SUMPRODUCT(OFFSET(Users block's first row,user-1,0),OFFSET(Movies' first row,movie-1,0))
    RMSE          over the rated cells only: the course's =SQRT(SUMXMY2(ratings,preds)/COUNT(ratings)) as
                  {=SQRT(SUM(IF(ISNUMBER(ratings),(ratings-preds)^2))/COUNT(ratings))}: the dotprod sheet's Loss
Both grids carry colour scales.  Every formula is written with numpy's value (its cached result).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import SheetnetError
from ..model.layout import DATA_SHEET, cell, col_name
from ..model.styles import DIVERGING_SCALE
from ..model.xlsx import exact_writer
from ..numerics import weighted_sum

SHEET = "crosstab"
TOP = 3  # 0-based row of the ratings grid's header (the movie numbers)


def first_row(block: str) -> str:
    """'dotprod!$P$4:$T$18' -> 'dotprod!$P$4:$T$4'."""
    head, _, end = block.rpartition(":")
    row = head.rpartition("$")[2]
    return f"{head}:{end.rsplit('$', 1)[0]}${row}"


def _truth(data, users: int, movies: int):
    """The template's true ratings (users x movies), only with the template's own data (else None)."""
    t = data.template
    if t.truth is None or t.data is None or Path(data.source).resolve() != Path(t.data).resolve():
        return None
    import csv

    out = np.full((users, movies), np.nan)
    try:
        with open(t.truth, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):  # float() reads back each shortest repr exactly
                u, m = int(row["user"]), int(row["movie"])
                if 1 <= u <= users and 1 <= m <= movies:
                    out[u - 1, m - 1] = float(row["truth"])
    except (OSError, KeyError, ValueError) as e:
        raise SheetnetError(f"{t.truth}: not the template's truth file ({type(e).__name__}: {e})") from None
    return None if np.isnan(out).any() else out


def write_crosstab(wb, fm, data, dl, result):
    """After the model sheets: it reads the dotprod (or bias) sheet's factor blocks."""
    m = next(m for m in result.models if m.name in ("dotprod", "bias"))
    ml = result.layouts[m.name]
    W = m.blocks(result.params[m.name])
    users, movies = W["Users"].shape[0], W["Movies"].shape[0]
    ids = data.X[:, :2].astype(int)
    rating = np.full((users, movies), np.nan)
    rating[ids[:, 0] - 1, ids[:, 1] - 1] = data.y
    pred = np.array([[weighted_sum(W["Users"][u][None, :], W["Movies"][j]).item() for j in range(movies)]
                     for u in range(users)])
    if m.name == "bias":
        pred = pred + W["UserBias"][:, :1] + W["MovieBias"][:, 0][None, :]
    ws = wb.add_worksheet(SHEET)
    exact_writer(ws)  # numbers as the shortest text that reads back as the same double
    rng = {c: dl.column_range(dl.index(c)) for c in (data.template.target, *data.template.feature_names[:2])}
    rcol, ucol, mcol = (f"{DATA_SHEET}!{rng[c]}" for c in (data.template.target, *data.template.feature_names[:2]))
    u_block, m_block = (ml.pref(m.param(n), f"{m.name}!").block for n in ("Users", "Movies"))
    pr = TOP + users + 3  # the predictions grid's header row
    out = {}  # (row, col) -> (text or formula, value): written row by row (the workbook streams its rows)
    for top, label in ((TOP, "user \\ movie"), (pr, "Preds")):
        out[top, 0] = (label, None)
        for j in range(movies):
            out[top, 1 + j] = (j + 1, None)
        for u in range(users):
            out[top + 1 + u, 0] = (u + 1, None)
    for u in range(users):
        for j in range(movies):
            r, c = TOP + 1 + u, 1 + j
            crit = f"{ucol},$A{r + 1},{mcol},{col_name(c)}${TOP + 1}"
            v = rating[u, j]
            out[r, c] = (f'=IF(COUNTIFS({crit})=0,"",SUMIFS({rcol},{crit}))', "" if np.isnan(v) else float(v))
            pc = f"{col_name(c)}${pr + 1}"
            # OFFSET of the block's first row, not INDEX(block,id,0): Gnumeric gives #REF! for a whole row by INDEX
            f = f"=SUMPRODUCT(OFFSET({first_row(u_block)},$A{pr + 2 + u}-1,0),OFFSET({first_row(m_block)},{pc}-1,0))"
            if m.name == "bias":
                ub, mb = (ml.pref(m.param(n), f"{m.name}!").block for n in ("UserBias", "MovieBias"))
                f += f"+INDEX({ub},$A{pr + 2 + u},1)+INDEX({mb},{pc},1)"
            out[pr + 1 + u, c] = (f, float(pred[u, j]))
    grid = f"{cell(TOP + 1, 1)}:{cell(TOP + users, movies)}"
    pgrid = f"{cell(pr + 1, 1)}:{cell(pr + users, movies)}"
    seen = ~np.isnan(rating)
    rmse = float(np.sqrt(np.sum((rating[seen] - pred[seen]) ** 2) / seen.sum()))
    out[0, 0] = (f"The ratings (blank: not rated), and every prediction from the {m.name} sheet's factors (blue: "
                 f"high). RMSE over the rated cells, in {cell(0, movies + 2)}:", "note")
    # the course's =SQRT(SUMXMY2(ratings,preds)/COUNT(ratings)) skips blank cells, but LibreOffice's SUMXMY2 stops
    # at the "" of an unrated formula cell (Err:519): the same sum as an array formula every spreadsheet computes
    out[0, movies + 2] = (f"{{=SQRT(SUM(IF(ISNUMBER({grid}),({grid}-{pgrid})^2))/COUNT({grid}))}}", rmse)
    grids = [grid, pgrid]
    truth = _truth(data, users, movies)
    if truth is not None:  # the ratings the factors made, before noise: how well are the blanks predicted?
        tr = pr + users + 3
        out[tr, 0] = ("truth", None)
        for j in range(movies):
            out[tr, 1 + j] = (j + 1, None)
        for u in range(users):
            out[tr + 1 + u, 0] = (u + 1, None)
            for j in range(movies):
                out[tr + 1 + u, 1 + j] = (float(truth[u, j]), "value")
        tgrid = f"{cell(tr + 1, 1)}:{cell(tr + users, movies)}"
        blank = ~seen
        off = float(np.sqrt(np.sum((truth[blank] - pred[blank]) ** 2) / max(1, blank.sum())))
        out[1, 0] = (f"The third grid: the true ratings the data were made from (before noise). RMSE of the "
                     f"predictions against them over the cells nobody rated, in {cell(1, movies + 2)}:", "note")
        out[1, movies + 2] = (f"{{=SQRT(SUM(IF(ISNUMBER({grid}),0,({tgrid}-{pgrid})^2))/(ROWS({grid})*COLUMNS({grid})"
                              f"-COUNT({grid})))}}", off)
        grids.append(tgrid)
    for (r, c), (what, v) in sorted(out.items()):
        if v == "value":
            ws.write_number(r, c, what, fm["input"])
        elif isinstance(what, str) and what.startswith("{="):
            ws.write_array_formula(r, c, r, c, what, fm["total"], v)
        elif isinstance(what, str) and what.startswith("="):
            ws.write_formula(r, c, what, fm["total"] if r == 0 else fm["computed"], v)
        elif isinstance(what, str):
            ws.write_string(r, c, what, fm["note"] if v == "note" else fm["header"])
        else:
            ws.write_number(r, c, what, fm["header"])
    for g in grids:
        ws.conditional_format(g, DIVERGING_SCALE)
    ws.set_column(0, 0, 12)
    ws.set_column(1, movies, 6)
    ws.freeze_panes(TOP + 1, 1)
    return rmse
