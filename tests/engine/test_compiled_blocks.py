"""A block of columns' compiled path (sheetnet.engine.compiled_wide): collab's predictions,
=IF(H2="",0,MMULT($B15:$D15,H$11:H$13)) over a crosstab with blanks, and blocks of other references that move
by row, by column, both or neither, give the general path's bits, before and after changes that bring text,
errors and overflows in (which the general path then computes)."""

import random

from sheetnet.engine import Engine
from sheetnet.engine import compile as C
from sheetnet.engine.graph import refs

from .books import write_book

COLS = "HIJKL"


def _book(tmp_path):
    rnd = random.Random(11)
    cells = {}
    for r in range(2, 10):  # ratings, H2:L9, with blanks
        for c in COLS:
            if rnd.random() < 0.65:
                cells[f"{c}{r}"] = rnd.randint(1, 5)
    cells["K5"], cells["Z1"] = "=1/Z1", 0.5  # a rating computed: an error when Z1 is 0
    for r in range(11, 14):  # a movie's factors, H11:L13
        for c in COLS:
            cells[f"{c}{r}"] = rnd.uniform(-1, 2)
    for r in range(15, 23):  # a user's factors, B15:D22
        for c in "BCD":
            cells[f"{c}{r}"] = rnd.uniform(-1, 2)
    for i, r in enumerate(range(15, 23)):
        for c in COLS:
            cells[f"{c}{r}"] = f'=IF({c}{r - 13}="",0,MMULT($B{r}:$D{r},{c}$11:{c}$13))'  # the predictions
            n = "NOPQR"[COLS.index(c)]
            cells[f"{n}{r}"] = f'=IF({c}{r - 13}<>"",{c}{r}-{c}{r - 13},0)*2'  # the errors, from the block above
            t = "TUVWX"[COLS.index(c)]
            cells[f"{t}{r}"] = f"=$B{r}*{c}$11-MMULT($B$15:$D$15,$H$11:$H$13)+{c}{r}/4"
    return write_book(tmp_path / "blocks.xlsx", {"s": cells}), cells


CHANGES = [
    {"s!H2": None, "s!I2": 4.0, "s!L9": 2.0},  # a rating removed, others given
    {"s!J3": "x"},  # text among the ratings: ="" is FALSE there (J16 a product), and P16 (J16-J3) is #VALUE!
    {"s!J3": None, "s!C17": "y"},  # text among the factors: MMULT's #VALUE! where a rating is
    {"s!C17": 1e200, "s!I12": 1e200},  # an overflow (I4 is rated)
    {"s!C17": 0.5, "s!I12": -0.25},
    {"s!Z1": 0.0},  # K5 is #DIV/0!: so are K18 (=IF(K5="",..)) and Q18
    {"s!Z1": 4.0},
]


def _run(path, monkeypatch, general: bool):
    if general:
        monkeypatch.setattr(C, "compile_group", lambda eng, g: None)
        monkeypatch.setattr(C, "compile_wide", lambda eng, wg: None)
    eng = Engine.load(path)
    got = [eng.get("s!H15:X22")]
    for change in CHANGES:
        eng.set(change)
        got.append(eng.get("s!H15:X22"))
    monkeypatch.undo()
    return eng, got


def test_blocks_are_compiled_and_give_the_general_paths_bits(tmp_path, monkeypatch):
    path, cells = _book(tmp_path)
    eng, fast = _run(path, monkeypatch, False)
    general_eng, general = _run(path, monkeypatch, True)
    assert repr(fast) == repr(general)
    batches = {id(b): b for b in general_eng.batches.values()}.values()
    assert sorted(len(b.members) for b in batches) == [5, 5, 5] and all(b.fast is False for b in batches)
    # the predictions and T:X are blocks, compiled (and the compiled path answers); N:R's columns compile alone
    eng = Engine.load(path)
    batches = {id(b): b for b in eng.batches.values()}.values()
    assert sorted(eng.groups[b.members[0]].col for b in batches) == [7, 19]
    assert all(b.fast and b.fast(0) is not None for b in batches)
    assert all(g.fast is not None for g in eng.groups if 13 <= g.col <= 17)
    # what the changes did, through the compiled path where it could
    h2 = fast[0][0][0]
    assert (h2 == 0.0) == ("H2" not in cells) and fast[1][0][0] == 0.0 and fast[1][0][1] != 0.0  # H2 unrated, I2 rated
    assert isinstance(fast[2][1][2], float) and str(fast[2][1][8]) == "#VALUE!"  # J3's text: J16, P16
    assert str(fast[3][1][8]) != "#VALUE!"
    assert "#VALUE!" in [str(v) for v in fast[3][2]] and "#NUM!" in [str(v) for row in fast[4] for v in row]
    assert str(fast[6][3][3]) == str(fast[6][3][9]) == "#DIV/0!" and fast[7][3][3] == fast[0][3][3] != 0.0


def test_a_blocks_other_columns_make_their_ast_only_when_asked(tmp_path):
    """A crosstab's columns after the first take the first's AST lazily (sheetnet.engine.parsecache.Moved): the
    load computes them as one block without making theirs; asked for, each is what parsing its own text gives."""
    from sheetnet.engine.parse import Context, parse

    path, _ = _book(tmp_path)
    eng = Engine.load(path)
    block = [g for g in eng.groups if 8 <= g.col <= 11 and g.r0 == 14]  # I:L of the predictions
    assert len(block) == 4 and all(g._node is None and g.lazy is not None for g in block)
    for g in block:
        want = parse(g.formula, Context(eng.book, eng.index, eng.sheets[g.sheet], g.r0, g.col, eng._extent))
        assert g.ref_nodes() == refs(want)
        assert g.node == want and g.lazy is None
