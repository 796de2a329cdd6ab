"""Workbooks shaped like the course's other sheets, built from the same constructs (never copied):

- conv: a 28x28 image, two 3x3 filters, a first layer of `{=MAX(0,SUM(window*filter))}` typed in each
  cell (as conv-example.xlsx has it), a second layer over it, and 2x2 max-pooling;
- collab: a 15x15 ratings crosstab, 15x5 user and 5x15 item factors, each prediction
  `=IF(rating="",0,MMULT(user row,item column))`, and the RMSE over the rated cells;
- gd: gradient descent on a line, one row per step, each row reading the row above (a recurrence);
- ratings: one rating a row (collab_filter.xlsx's movielens_emb sheet), its user's and its movie's factors looked
  up by `{=OFFSET($C$3:$G$3,L3,0)}` typed over five cells of each row (after a MATCH of the id), their
  SUMPRODUCT, the squared error, and the RMSE.
"""

from __future__ import annotations

import numpy as np
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell as rc


def conv_book(path):
    rng = np.random.default_rng(0)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("conv")
    img = np.clip(rng.normal(0.3, 0.4, (28, 28)), 0, 1)
    for r in range(28):
        for c in range(28):
            ws.write_number(r, c, float(img[r, c]))
    filters = [np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], float), np.array([[1, 0, -1]] * 3, float)]
    for k, f in enumerate(filters):  # the filters at AE1:AG3 and AE5:AG7
        for i in range(3):
            for j in range(3):
                ws.write_number(k * 4 + i, 30 + j, f[i, j])
    fa = ["$AE$1:$AG$3", "$AE$5:$AG$7"]
    top = 30  # layer 1 from row 31, 26x26 per filter, side by side
    for k in range(2):
        for r in range(26):
            for c in range(26):
                win = f"{rc(r, c)}:{rc(r + 2, c + 2)}"
                ws.write_array_formula(top + r, k * 27 + c, top + r, k * 27 + c,
                                       "{=MAX(0,SUM(" + win + "*" + fa[k] + "))}", None, 0)
    top2 = 60  # layer 2: both channels of layer 1 through the first filter, 24x24
    for r in range(24):
        for c in range(24):
            a = f"{rc(top + r, c)}:{rc(top + r + 2, c + 2)}"
            b = f"{rc(top + r, 27 + c)}:{rc(top + r + 2, 27 + c + 2)}"
            ws.write_array_formula(top2 + r, c, top2 + r, c,
                                   "{=MAX(0,SUM(" + a + "*$AE$1:$AG$3)+SUM(" + b + "*$AE$5:$AG$7))}", None, 0)
    top3 = 90  # 2x2 max-pooling, stride 2: 12x12
    for r in range(12):
        for c in range(12):
            ws.write_formula(top3 + r, c, f"=MAX({rc(top2 + 2 * r, 2 * c)}:{rc(top2 + 2 * r + 1, 2 * c + 1)})", None, 0)
    ws.write_formula(105, 0, f"=SUM({rc(top3, 0)}:{rc(top3 + 11, 11)})", None, 0)
    wb.close()
    return path, "conv!A106"


def collab_book(path, movies=15, rmse=True):
    """The crosstab of 15 users by `movies` movies; without its RMSE cell where rmse is False."""
    rng = np.random.default_rng(0)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("collab")
    n = 15
    for i in range(n):  # ratings at H2:V16, blank where unrated
        for j in range(movies):
            if rng.random() < 0.7:
                ws.write_number(1 + i, 7 + j, float(rng.integers(1, 6)))
    for i in range(n):  # user factors B25:F39, item factors H19:V23
        for f in range(5):
            ws.write_number(24 + i, 1 + f, float(rng.normal(0, 0.5)))
    for f in range(5):
        for j in range(movies):
            ws.write_number(18 + f, 7 + j, float(rng.normal(0, 0.5)))
    for i in range(n):  # predictions H25:V39
        for j in range(movies):
            rating = rc(1 + i, 7 + j)
            user = f"${rc(24 + i, 1)[0]}{25 + i}:${rc(24 + i, 5)[0]}{25 + i}"
            col = rc(18, 7 + j)[:-2]
            ws.write_formula(24 + i, 7 + j, f'=IF({rating}="",0,MMULT({user},{col}$19:{col}$23))', None, 0)
    if rmse:
        last = rc(0, 7 + movies - 1)[:-1]
        ws.write_formula(41, 7, f"=SQRT(SUMXMY2(H2:{last}16,H25:{last}39)/COUNT(H2:{last}16))", None, 0)
    wb.close()
    return path, "collab!H42" if rmse else "collab!H25"


def ratings_book(path, rows=206):
    rng = np.random.default_rng(0)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("ratings")
    for top in (3, 21):  # ids 1..15 in B4:B18 (users) and B22:B36 (movies), five factors each beside them
        for i in range(15):
            ws.write_number(top + i, 1, i + 1)
            for f in range(5):
                ws.write_number(top + i, 2 + f, float(rng.uniform(0, 1)))
    for r in range(2, 2 + rows):  # from row 3: user I, movie J, rating K
        n = r + 1
        ws.write_number(r, 8, int(rng.integers(1, 16)))
        ws.write_number(r, 9, int(rng.integers(1, 16)))
        ws.write_number(r, 10, float(rng.integers(1, 11)) / 2)
        ws.write_formula(r, 11, f"=MATCH(I{n},$B$4:$B$18)", None, 0)
        ws.write_array_formula(r, 12, r, 16, f"{{=OFFSET($C$3:$G$3,L{n},0)}}", None, 0)
        ws.write_formula(r, 17, f"=MATCH(J{n},$B$22:$B$36)", None, 0)
        ws.write_array_formula(r, 18, r, 22, f"{{=OFFSET($C$21:$G$21,$R{n},0)}}", None, 0)
        ws.write_formula(r, 23, f"=SUMPRODUCT(M{n}:Q{n},S{n}:W{n})", None, 0)
        ws.write_formula(r, 24, f"=(K{n}-X{n})^2", None, 0)
    ws.write_formula(0, 26, f"=SQRT(AVERAGE(Y3:Y{2 + rows}))", None, 0)
    wb.close()
    return path, "ratings!AA1"


def one_formula_book(path):
    """A number and one formula: what every load costs."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    ws.write_number(0, 0, 1.0)
    ws.write_formula(0, 1, "=A1*2", None, 2.0)
    wb.close()
    return path, "s!B1"


def gd_book(path, steps=300):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("gd")
    xs = np.linspace(-1, 1, 20)
    for i, x in enumerate(xs):  # the data at A2:B21: y = 3x + 2
        ws.write_number(1 + i, 0, float(x))
        ws.write_number(1 + i, 1, float(3 * x + 2))
    ws.write_number(0, 4, 0.1)  # learning rate E1
    ws.write_number(1, 3, 0.0)  # a and b start at D2:E2
    ws.write_number(1, 4, 0.0)
    for k in range(2, steps + 2):  # each step: gradients of the mean squared error, then the update
        r = k + 1
        ws.write_formula(k, 5, f"=SUMPRODUCT(2*(D{r - 1}*$A$2:$A$21+E{r - 1}-$B$2:$B$21)*$A$2:$A$21)/20", None, 0)
        ws.write_formula(k, 6, f"=SUMPRODUCT(2*(D{r - 1}*$A$2:$A$21+E{r - 1}-$B$2:$B$21))/20", None, 0)
        ws.write_formula(k, 3, f"=D{r - 1}-$E$1*F{r}", None, 0)
        ws.write_formula(k, 4, f"=E{r - 1}-$E$1*G{r}", None, 0)
    wb.close()
    return path, f"gd!D{steps + 2}"
