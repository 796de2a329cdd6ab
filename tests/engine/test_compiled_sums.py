"""The compiled path's sums over ranges with blanks (sheetnet.engine.compiled_sums): COUNT and SUMXMY2 and its
friends give the general evaluator's bits, cell for cell, as the ranges gain and lose numbers, text, booleans
and errors; a range holding an error is left to the general path, which gives the error."""

import math
import random

from sheetnet.engine import Engine
from sheetnet.engine import compile as C
from sheetnet.engine import recurrence as R
from sheetnet.engine.values import ErrorCode

from .books import write_book

FORMULAS = {  # collab's RMSE and its neighbours, over a ratings block with blanks (B2:F9) and predictions (H2:L9)
    "N1": "=SQRT(SUMXMY2(B2:F9,H2:L9)/COUNT(B2:F9))",
    "N2": "=SUMX2MY2(B2:F9,H2:L9)",
    "N3": "=SUMX2PY2(H2:L9,B2:F9)",
    "N4": "=COUNT(B2:F9)",
    "N5": "=COUNT(B2:F9,H2:H9,B2:B3)",
    "N6": "=SUMXMY2(B2:F9,H2:L8)",  # one row short: #N/A
    "N7": "=SUMXMY2(B2:B9,H2:H9)*2+COUNT(B2:C9)",
    "F9": "=1/P20",  # a rating computed: an error when P20 is 0
    "P20": 4.0,
}
for _r in range(8, 11):  # dragged down, over absolute ranges: one value for the run, plus its row's own
    FORMULAS[f"N{_r}"] = f"=SUMXMY2($B$2:$F$9,$H$2:$L$9)+P{_r}"
    FORMULAS[f"P{_r}"] = _r / 3


def _book(tmp_path):
    rnd = random.Random(7)
    cells = {}
    for r in range(2, 10):
        for c in "BCDEF":
            if rnd.random() < 0.6:
                cells[f"{c}{r}"] = rnd.choice([1, 2, 3, 4, 5, 0.1 * rnd.randint(-30, 30)])
        for c in "HIJKL":
            cells[f"{c}{r}"] = rnd.uniform(-1, 6)
    cells.update(FORMULAS)
    # a recurrence whose rows count a moving window (split into single cells, each checked to be all numbers)
    cells["R1"] = 1.0
    for r in range(2, 30):
        cells[f"R{r}"] = f"=R{r - 1}*0.5+COUNT(T{r}:U{r + 1})"
    for r in range(1, 31):
        cells[f"T{r}"] = r
        cells[f"U{r}"] = r % 3
    return write_book(tmp_path / "sums.xlsx", {"s": cells})


CHANGES = [
    {"s!C3": None, "s!E7": 4.0},  # a rating removed, another given
    {"s!D4": "text", "s!J5": True},  # text and a boolean among the pairs: skipped, not counted
    {"s!P20": 0.0},  # F9 is #DIV/0!: the general path's error
    {"s!P20": 2.0, "s!H2": 1e200, "s!B2": -1e200},  # an overflow
    {"s!H2": 1.0, "s!B2": None, "s!U5": "x", "s!D4": 3.0},
]


def _run(path, monkeypatch, general: bool):
    if general:
        monkeypatch.setattr(C, "compile_group", lambda eng, g: None)
        monkeypatch.setattr(R, "compile_steps", lambda *a: None)
    eng = Engine.load(path)
    got = [eng.get("s!N1:N10"), eng.get("s!R1:R29")]
    for change in CHANGES:
        eng.set(change)
        got += [eng.get("s!N1:N10"), eng.get("s!R1:R29")]
    monkeypatch.undo()
    return eng, got


def test_sums_over_blanks_are_compiled_and_give_the_general_paths_bits(tmp_path, monkeypatch):
    path = _book(tmp_path)
    eng, fast = _run(path, monkeypatch, False)
    _, general = _run(path, monkeypatch, True)
    assert repr(fast) == repr(general)
    by_cell = {(g.r0, g.col): g for g in eng.groups}
    for r in (0, 1, 2, 3, 4, 6, 7):  # N1..N5, N7, N8:N10: compiled, and the compiled path answers
        g = by_cell[(r, 13)]
        assert g.fast is not None and g.fast() is not None, g.formula
    assert by_cell[(5, 13)].fast is None and fast[0][5] == [ErrorCode("#N/A")]  # N6: sizes unlike
    units = {id(u): u for u in eng.units.values()}  # the recurrence's COUNT over a moving window: compiled
    assert len(units) == 1 and all(step is not None for u in units.values() for step in u.steps.values())
    # what the changes did (each through the compiled path where it could, and identical to the general path)
    assert fast[0][3] == [27.0] and fast[2][3] == [28.0]  # COUNT: a rating removed, two given
    assert fast[4][3] == [27.0] and fast[4][4] == [36.0]  # text is not counted
    assert fast[6][0] == [ErrorCode("#DIV/0!")] and fast[6][3] == [26.0]  # an error: not counted by COUNT
    assert fast[8][0] == [ErrorCode("#NUM!")]
    assert math.isfinite(fast[10][0][0])
