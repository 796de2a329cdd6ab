"""The constructs of fast.ai's own teaching workbooks (collaborative filtering, convolutions, softmax and
cross-entropy), rebuilt small, each evaluated by the engine as LibreOffice evaluates them."""

import numpy as np
import pytest
import xlsxwriter

from sheetnet.engine import Engine

from .books import lo_cells, same, write_book


def _grid(cells, top, left, values):
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            cells[f"{chr(65 + left + j)}{top + i}"] = v


def collab_cells():
    rng = np.random.default_rng(3)
    cells = {}
    ratings = rng.integers(1, 6, (5, 5)).astype(float).tolist()
    for i, j in ((0, 1), (2, 3), (4, 0)):
        ratings[i][j] = None  # unrated: a blank, as the course's grid has
    _grid(cells, 2, 7, ratings)  # H2:L6
    _grid(cells, 25, 1, rng.uniform(0, 1, (5, 5)).round(4).tolist())  # user factors B25:F29
    _grid(cells, 19, 7, rng.uniform(0, 1, (5, 5)).round(4).tolist())  # movie factors H19:L23
    cells.update({f"{chr(72 + j)}18": 0.1 * j for j in range(5)})  # movie biases H18:L18
    cells.update({f"A{26 + i}": 0.05 * i for i in range(5)})  # user biases A26:A30
    for i in range(5):
        for j in range(5):
            col = chr(72 + j)
            cells[f"{col}{31 + i}"] = f'=IF({col}{2 + i}="",0,MMULT($B{25 + i}:$F{25 + i},{col}$19:{col}$23))'
            inner = f'IF({col}{2 + i}="",0,MMULT($B{25 + i}:$F{25 + i},{col}$19:{col}$23)+{col}$18+$A{26 + i})'
            cells[f"{col}{37 + i}"] = f"=_xlfn.SINGLE({inner})"  # Excel 365's @, as the bias sheet has it
            cells[f"{chr(ord(col) + 8)}{37 + i}"] = f"={inner}"  # P:T, the same without @ (LibreOffice 7.4 lacks @)
    cells["N31"] = "=SQRT(SUMXMY2(H2:L6,H31:L35)/COUNT(H2:L6))"
    cells["N37"] = "=SQRT(SUMXMY2(H2:L6,P37:T41)/COUNT(H2:L6))"
    # embedding lookups: an id found by MATCH, its factor row by an array OFFSET, a dot product
    for i in range(6):
        cells[f"B{45 + i}"] = 10 * (i + 1)  # ids, sorted
        _grid(cells, 45 + i, 2, [rng.uniform(0, 1, 5).round(3).tolist()])  # C:G factors
    cells.update({"I45": 30, "I46": 55, "I47": 60})
    for r in (45, 46, 47):
        cells[f"J{r}"] = f"=MATCH(I{r},$B$45:$B$50)"
        cells[f"K{r}:O{r}"] = f"{{=OFFSET($C$44:$G$44,J{r},0)}}"
        cells[f"P{r}"] = f"=SUMPRODUCT(K{r}:O{r},$C$45:$G$45)"
    return cells


def conv_cells():
    rng = np.random.default_rng(4)
    cells = {}
    _grid(cells, 1, 0, rng.uniform(0, 1, (6, 6)).round(3).tolist())  # a 6x6 image A1:F6
    _grid(cells, 1, 7, [[1, 0, -1], [2, 0, -2], [1, 0, -1]])  # a 3x3 filter H1:J3
    for i in range(4):
        for j in range(4):
            top, left = 1 + i, j
            block = f"{chr(65 + left)}{top}:{chr(67 + left)}{top + 2}"
            cells[f"{chr(76 + j)}{1 + i}"] = f"{{=MAX(0,SUM({block}*$H$1:$J$3))}}"  # L1:O4, one array formula each
    cells.update({"Q1": "=MAX(L1:M2)", "R1": "=MAX(N1:O2)", "Q2": "=MAX(L3:M4)", "R2": "=MAX(N3:O4)"})
    _grid(cells, 6, 11, [[0.3, 0.7], [0.9, 0.1]])  # a dropout mask L6:M7 (the course draws it with RAND)
    cells["P6"] = 0.5
    cells.update({"Q6": "=IF(L6>($P$6+0.001),Q1,0)", "R6": "=IF(M6>($P$6+0.001),R1,0)",
                  "Q7": "=IF(L7>($P$6+0.001),Q2,0)", "R7": "=IF(M7>($P$6+0.001),R2,0)"})
    cells["S6"] = "=COUNTIF(Q6:R7,0)"
    _grid(cells, 9, 16, [[0.2, -0.4], [0.5, 0.1]])  # dense weights Q9:R10
    cells["S9"] = "=SUMPRODUCT(Q6:R7,Q9:R10)+SUMPRODUCT(Q1:R2,Q9:R10)"
    return cells


def entropy_cells():
    cells = {f"B{2 + i}": v for i, v in enumerate([1.5, -0.3, 2.2, 0.1, 0.7])}
    for i in range(5):
        cells[f"C{2 + i}"] = f"=EXP(B{2 + i})"
        cells[f"D{2 + i}"] = f"=C{2 + i}/$C$7"
        cells[f"E{2 + i}"] = 1 if i == 2 else 0
        cells[f"F{2 + i}"] = f"=E{2 + i}*LOG(D{2 + i})"
        cells[f"G{2 + i}"] = f"=-IF(E{2 + i}=1,LOG(D{2 + i}),LOG(1-D{2 + i}))"
    cells.update({"C7": "=SUM(C2:C6)", "F7": "=-SUM(F2:F6)", "G7": "=SUM(G2:G6)"})
    return cells


@pytest.mark.parametrize("make", [collab_cells, conv_cells, entropy_cells], ids=["collab", "conv", "entropy"])
def test_teaching_constructs_match_libreoffice(lo, tmp_path, make):
    cells = make()
    path = write_book(tmp_path / "t.xlsx", {"s": cells})
    eng = Engine.load(path)
    refs = [r for ref, v in cells.items() if isinstance(v, str) and v.startswith(("=", "{=")) and "SINGLE" not in v
            for r in _cells_of(ref)]
    want = lo_cells(lo, path, "s", refs)
    for ref in refs:
        assert same(eng.get(f"s!{ref}"), want[ref]), (ref, eng.get(f"s!{ref}"), want[ref])
    for ref, v in cells.items():  # @x is x where one value is needed: the same as the cell beside it
        if isinstance(v, str) and "SINGLE" in v:
            twin = f"{chr(ord(ref[0]) + 8)}{ref[1:]}"
            assert same(eng.get(f"s!{ref}"), want[twin]) and isinstance(want[twin], float)
    assert len(refs) >= 10


def _cells_of(ref):
    if ":" not in ref:
        return [ref]
    a, b = ref.split(":")
    row = a[1:]
    return [f"{chr(c)}{row}" for c in range(ord(a[0]), ord(b[0]) + 1)]


def test_volatile_cells_can_keep_the_values_the_workbook_cached(tmp_path):
    """A dropout mask drawn with RAND(): with volatile="cached" every cell downstream equals what the
    spreadsheet that saved the file computed (the fast.ai files compare this way)."""
    path = tmp_path / "r.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    draws = [0.2, 0.9, 0.55]
    for i, d in enumerate(draws):
        ws.write_formula(i, 0, "=RAND()", None, d)  # as Excel saved them
        ws.write_formula(i, 1, f"=IF(A{i + 1}>0.5,10,0)", None, 10 if d > 0.5 else 0)
    ws.write_formula(3, 1, "=SUM(B1:B3)", None, 20)
    wb.close()
    cached = Engine.load(path, volatile="cached")
    assert [cached.get(f"s!A{i + 1}") for i in range(3)] == draws and cached.get("s!B4") == 20.0
    fresh = Engine.load(path, seed=1)
    assert fresh.get("s!A1") not in draws and fresh.get("s!B4") in (0.0, 10.0, 20.0, 30.0)
