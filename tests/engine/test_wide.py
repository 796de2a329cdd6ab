"""Columns of one formula side by side, evaluated as one block: the same values, bit for bit, as column by
column, for random formulas over numbers, text, blanks, booleans and errors, before and after changes;
and what the block cannot do (an implicit intersection, a column reading another, a held column) done
column by column."""

import random

import pytest
import xlsxwriter

from sheetnet.engine import Engine, wide

K, W = 7, 4  # rows and columns of each block of formulas


def _col(c):
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[c] if c < 26 else "A" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[c - 26]


def _ref(rng, h=1, w=1):
    """A reference template: (column, row, column fixed?, row fixed?, h, w) into the inputs A1:J20."""
    return (rng.randrange(0, 10 - w - W + 1), rng.randrange(0, 20 - h - K + 1), rng.random() < 0.4,
            rng.random() < 0.4, h, w)


def _text(ref, i, j):
    c, r, cabs, rabs, h, w = ref
    c0, r0 = c + (0 if cabs else j), r + (0 if rabs else i)
    a = f"{'$' if cabs else ''}{_col(c0)}{'$' if rabs else ''}{r0 + 1}"
    if (h, w) == (1, 1):
        return a
    return a + f":{'$' if cabs else ''}{_col(c0 + w - 1)}{'$' if rabs else ''}{r0 + h}"


SHAPES = [
    ("{a}*2+{b}", False), ("IF({a}>0.5,{b},-{a})", False), ("SUM({R})", False), ("MAX(0,SUM({R}*{S}))", True),
    ("MAX(0,SUM({R}*{S}))", False), ("MMULT({P},{Q})", False), ('{a}&"x"', False), ('IF({a}="",0,{a}*3)', False),
    ("1/{a}", False), ("SUMPRODUCT({R},{S})", False), ("ROUND({a},1)-{b}", False), ("ROW()+{a}", False),
    ("{R}", False), ("AVERAGE({R})+COUNT({S})", False), ("IFERROR(1/{a},-1)", False), ('{a}<>"t3"', False),
]


def _book(path, seed, numbers_only=False):
    """numbers_only: the inputs numbers, and a few blanks (what the compiled path of a block takes)."""
    rng = random.Random(seed)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for r in range(20):
        for c in range(10):
            x = rng.random()
            if numbers_only:
                if x < 0.97 or r == 0:
                    ws.write_number(r, c, round(rng.uniform(-2, 2), 3))
                continue
            if x < 0.6:
                ws.write_number(r, c, round(rng.uniform(-2, 2), 3) if x > 0.05 else 0)
            elif x < 0.7:
                ws.write_string(r, c, f"t{rng.randrange(5)}")
            elif x < 0.75:
                ws.write_boolean(r, c, rng.random() < 0.5)
            elif x < 0.8 or c == 9 and r % 4 == 0:  # (errors: formulas, away from the cells changed below)
                if c >= 5:
                    ws.write_formula(r, c, "=1/0", None, 0)
    blocks = []
    for b, (shape, array) in enumerate(SHAPES):
        refs = dict(a=_ref(rng), b=_ref(rng), R=_ref(rng, 2, 3), S=_ref(rng, 2, 3), P=_ref(rng, 1, 3),
                    Q=_ref(rng, 3, 1))
        top, left = 22 + (b // 3) * (K + 1), (b % 3) * (W + 1)
        for i in range(K):
            for j in range(W):
                text = "=" + shape.format(**{n: _text(ref, i, j) for n, ref in refs.items()})
                if array:
                    ws.write_array_formula(top + i, left + j, top + i, left + j, "{" + text + "}", None, 0)
                else:
                    ws.write_formula(top + i, left + j, text, None, 0)
        blocks.append((top, left))
    wb.close()
    return path, blocks


def _grid(eng, blocks):
    return repr([[eng.get(f"S!{_col(left + j)}{top + i + 1}") for j in range(W) for i in range(K)]
                 for top, left in blocks])


@pytest.mark.parametrize("seed", range(4))
def test_a_block_gives_the_values_column_by_column_gives(tmp_path, monkeypatch, seed):
    path, blocks = _book(tmp_path / "w.xlsx", seed)
    eng = Engine.load(path)
    assert len({id(b) for b in eng.batches.values()}) >= 8  # most of the shapes are batched
    with monkeypatch.context() as m:
        m.setattr(wide, "find", lambda *a: [])
        plain = Engine.load(path)
    assert not plain.batches
    assert _grid(eng, blocks) == _grid(plain, blocks)
    for change in ({"S!B3": "t3", "S!C4": None}, {"S!B3": 0.0, "S!D5": True}, {"S!E6": 1.5, "S!A1": "x"}):
        eng.set(change)
        plain.set(change)
        assert _grid(eng, blocks) == _grid(plain, blocks), change


@pytest.mark.parametrize("seed", range(4))
def test_a_compiled_block_gives_the_general_paths_bits(tmp_path, monkeypatch, seed):
    """Blocks over numbers (and a few blanks) take their compiled path where they can
    (sheetnet.engine.compiled_wide): the same bits as the general path, before and after changes.  (Columns
    compiled alone are not made blocks: here they are not compiled alone.)"""
    from sheetnet.engine import compile as C

    path, blocks = _book(tmp_path / "n.xlsx", seed, numbers_only=True)
    engines = []
    for wide_too in (True, False):
        with monkeypatch.context() as m:
            m.setattr(C, "compile_group", lambda eng, g: None)
            if not wide_too:
                m.setattr(C, "compile_wide", lambda eng, wg: None)
            engines.append(Engine.load(path))
    eng, general = engines
    compiled = [b for b in {id(b): b for b in eng.batches.values()}.values() if b.fast]
    assert len(compiled) >= 4 and not any(b.fast for b in general.batches.values())
    assert _grid(eng, blocks) == _grid(general, blocks)
    for change in ({"S!B3": None, "S!C4": 0.25}, {"S!B3": 1e300, "S!D5": -1e300}, {"S!B3": "t", "S!D5": None},
                   {"S!B3": 0.5, "S!A1": True}):
        with monkeypatch.context() as m:
            m.setattr(C, "compile_group", lambda eng, g: None)
            eng.set(change)
            m.setattr(C, "compile_wide", lambda eng, wg: None)
            general.set(change)
        assert _grid(eng, blocks) == _grid(general, blocks), change


def test_what_the_block_cannot_do_is_done_column_by_column(tmp_path, monkeypatch):
    wb = xlsxwriter.Workbook(str(tmp_path / "f.xlsx"))
    ws = wb.add_worksheet("S")
    for r in range(6):
        for c in range(4):
            ws.write_number(r, c, r * 4 + c)
    for r in range(6):
        for c in range(3):
            ws.write_formula(r, 6 + c, f"={_col(c)}$1:{_col(c)}$6*2", None, 0)  # an implicit intersection by row
            ws.write_formula(r, 10 + c, f'=IF({_col(c)}{r + 1}="","",{_col(c)}{r + 1}+1)', None, 0)  # (not compiled)
    wb.close()
    p = tmp_path / "f.xlsx"
    calls = []
    real = wide.read

    def counting(eng, node, g):
        calls.append(g.cols)
        return real(eng, node, g)
    monkeypatch.setattr(wide, "read", counting)
    from sheetnet.engine import expr
    monkeypatch.setattr(expr, "wide_read", counting)
    eng = Engine.load(p)
    assert len({id(b) for b in eng.batches.values()}) == 2 and calls  # both tried as blocks
    assert [[eng.get(f"S!{_col(6 + c)}{r + 1}") for c in range(3)] for r in range(6)] == \
        [[(r * 4 + c) * 2 for c in range(3)] for r in range(6)]
    eng.hold([(0, 0, 10, 99.0)])  # a held cell: its column's group stops computing, the block goes column by column
    eng.set({"S!B1": 50.0})
    assert eng.get("S!K1") == 99.0 and eng.get("S!L1") == 51.0 and eng.get("S!K2") == 5.0


def test_columns_reading_each_other_are_not_one_block(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "r.xlsx"))
    ws = wb.add_worksheet("S")
    for r in range(5):
        ws.write_number(r, 0, r + 1)
        for c in range(1, 4):
            ws.write_formula(r, c, f"={_col(c - 1)}{r + 1}*2", None, 0)  # each column doubles the one on its left
    wb.close()
    eng = Engine.load(tmp_path / "r.xlsx")
    assert not eng.batches
    assert [eng.get(f"S!D{r + 1}") for r in range(5)] == [(r + 1) * 8.0 for r in range(5)]


def test_a_reference_made_at_run_time_waits_for_everything_the_block_reads(tmp_path):
    """OFFSET reads the block's first column while it is still to be computed: the block runs whole, so
    first the column its last column reads (C, itself computed from D)."""
    wb = xlsxwriter.Workbook(str(tmp_path / "o.xlsx"))
    ws = wb.add_worksheet("S")
    ws.write_number("F1", 0)
    ws.write_formula("Z1", "=SUM(OFFSET(F1,0,1,5,1))", None, 0)  # (its text names F1, not the block)
    for r in range(5):
        ws.write_number(r, 0, r + 1)
        ws.write_number(r, 1, 10 * (r + 1))
        ws.write_number(r, 3, 100 * (r + 1))
        ws.write_formula(r, 2, f"=D{r + 1}*2", None, 0)
        for c in range(3):
            ws.write_formula(r, 6 + c, f'=IF({_col(c)}{r + 1}="","",{_col(c)}{r + 1}+1)', None, 0)
    wb.close()
    eng = Engine.load(tmp_path / "o.xlsx")
    assert len({id(b) for b in eng.batches.values()}) == 1
    assert [eng.get(f"S!I{r + 1}") for r in range(5)] == [200.0 * (r + 1) + 1 for r in range(5)]
    assert eng.get("S!Z1") == sum(r + 2.0 for r in range(5))


@pytest.mark.parametrize("seed", range(3))
def test_single_cells_of_one_shape_anywhere_give_their_own_values(tmp_path, monkeypatch, seed):
    """A pooling layer (MAX over 2 x 2 blocks, stride 2) and other shapes scattered over a sheet, gathered into
    one evaluation each: the values each cell gives by itself, bit for bit, before and after changes."""
    rng = random.Random(seed)
    wb = xlsxwriter.Workbook(str(tmp_path / "g.xlsx"))
    ws = wb.add_worksheet("S")
    for r in range(20):
        for c in range(10):
            x = rng.random()
            if x < 0.8:
                ws.write_number(r, c, round(rng.uniform(-2, 2), 3))
            elif x < 0.9:
                ws.write_string(r, c, f"t{rng.randrange(3)}")
    shapes = ["=MAX({a}:{b})", "=SUM({a}:{b})*2", '=IF({a}="",0,{a}+{b})', "=SUMPRODUCT({a}:{b},{a}:{b})", "=1/{a}"]
    placed = []
    for k, shape in enumerate(shapes):
        for n in range(12):
            r, c = rng.randrange(0, 18), rng.randrange(0, 8)
            a, b = f"{_col(c)}{r + 1}", f"{_col(c + 1)}{r + 2}"
            cell = (25 + n, 12 + k)
            ws.write_formula(*cell, shape.format(a=a, b=b), None, 0)
            placed.append(cell)
    wb.close()
    eng = Engine.load(tmp_path / "g.xlsx")
    assert sum(b.gather is not None for b in {id(b): b for b in eng.batches.values()}.values()) == len(shapes)
    with monkeypatch.context() as m:
        m.setattr(wide, "find_gathers", lambda *a: [])
        plain = Engine.load(tmp_path / "g.xlsx")

    def values(e):
        return repr([e.get(f"S!{_col(c)}{r + 1}") for r, c in placed])
    assert values(eng) == values(plain)
    for change in ({"S!A1": "t1", "S!B2": None}, {"S!A1": 5.0, "S!C3": True}, {"S!D4": 0.0}):
        eng.set(change)
        plain.set(change)
        assert values(eng) == values(plain), change


def test_single_cells_reading_one_another_are_not_gathered(tmp_path):
    """Nine single cells of one shape, each reading the one before directly; nine more, each reading the one
    before through a third cell: neither set is gathered (the order could not keep them together), and every
    value is the chain's."""
    wb = xlsxwriter.Workbook(str(tmp_path / "c.xlsx"))
    ws = wb.add_worksheet("S")
    ws.write_number(0, 0, 1.0)
    prev = "A1"
    for i in range(9):  # K1, L3, M5, ...: each twice the one before
        r, c = 2 * i, 10 + i
        ws.write_formula(r, c, f"={prev}*2", None, 0)
        prev = f"{_col(c)}{r + 1}"
    prev = "A1"
    for i in range(9):  # K31, L33, ...: one more than three times the one before, through U32, V34, ...
        r, c = 30 + 2 * i, 10 + i
        ws.write_formula(r, c, f"={prev}+1", None, 0)
        ws.write_formula(r + 1, 20 + i, f"={_col(c)}{r + 1}*3", None, 0)
        prev = f"{_col(20 + i)}{r + 2}"
    wb.close()
    eng = Engine.load(tmp_path / "c.xlsx")
    assert not any(b.gather is not None for b in eng.batches.values())
    assert [eng.get(f"S!{_col(10 + i)}{2 * i + 1}") for i in range(9)] == [2.0 ** (i + 1) for i in range(9)]
    x, want = 1.0, []
    for i in range(9):
        x = x + 1
        want.append(x)
        x = x * 3
    assert [eng.get(f"S!{_col(10 + i)}{31 + 2 * i}") for i in range(9)] == want


def test_single_cells_far_apart_are_not_gathered(tmp_path, monkeypatch):
    """Eight cells of one shape spread over a million rows and thousands of columns: no grid over their span
    (bounded memory), each computed by itself; close together, the same cells are gathered."""
    from xlsxwriter.utility import xl_rowcol_to_cell as cell

    def book(name, dr, dc):
        wb = xlsxwriter.Workbook(str(tmp_path / name))
        ws = wb.add_worksheet("S")
        for i in range(8):
            ws.write_number(i * dr, i * dc, i + 1.0)
            ws.write_formula(i * dr + 1, i * dc, f"={cell(i * dr, i * dc)}*2", None, 0)
        wb.close()
        return Engine.load(tmp_path / name)
    for eng, (dr, dc), gathered in ((book("far.xlsx", 130_000, 2_000), (130_000, 2_000), False),
                                    (book("near.xlsx", 3, 2), (3, 2), True)):
        assert bool(eng.batches) == gathered
        assert [eng.get(f"S!{cell(i * dr + 1, i * dc)}") for i in range(8)] == [2.0 * (i + 1) for i in range(8)]


def test_single_cells_reading_one_another_anywhere_are_never_gathered(tmp_path):
    """Ten cells of one shape at random places, each reading the one written before it: whatever the places,
    the chain's values (a box read is checked against the cells by its rows and its columns, never mixed)."""
    from xlsxwriter.utility import xl_rowcol_to_cell as cell

    for seed in range(40):
        rng = random.Random(seed)
        places: list = []
        while len(places) < 10:
            p = (rng.randrange(1, 30), rng.randrange(1, 30))
            if p not in places:
                places.append(p)
        wb = xlsxwriter.Workbook(str(tmp_path / f"chain{seed}.xlsx"))
        ws = wb.add_worksheet("S")
        ws.write_number(0, 0, 1.0)
        prev = "A1"
        for r, c in places:
            ws.write_formula(r, c, f"={prev}*2", None, 0)
            prev = cell(r, c)
        wb.close()
        eng = Engine.load(tmp_path / f"chain{seed}.xlsx")
        assert [eng.get(f"S!{cell(r, c)}") for r, c in places] == [2.0 ** (i + 1) for i in range(10)], seed


def test_a_block_and_gathered_cells_are_computed_at_once_not_by_the_fallback(tmp_path, monkeypatch):
    """The fallback (column by column) hides any error of the block's own path behind right values: here the
    block and the gathered cells must compute without it."""
    from sheetnet.engine.evaluate import Engine as E

    wb = xlsxwriter.Workbook(str(tmp_path / "at_once.xlsx"))
    ws = wb.add_worksheet("S")
    for r in range(8):
        for c in range(8):
            ws.write_number(r, c, (r * 8 + c) % 5 - 2)
            if r % 3 == 0:
                ws.write_string(r, c + 8, "t")
    for r in range(8):
        for c in range(4):
            ws.write_formula(10 + r, c, f'=IF({_col(c)}{r + 1}="","",{_col(c)}{r + 1}*$A$1)', None, 0)
    for r in range(4):
        for c in range(4):
            ws.write_formula(20 + r, c, f"=MAX({_col(2 * c)}{2 * r + 1}:{_col(2 * c + 1)}{2 * r + 2})", None, 0)
    wb.close()
    ran = []
    real = E._run
    monkeypatch.setattr(E, "_run", lambda self, g: (ran.append(g.id), real(self, g)))
    eng = Engine.load(tmp_path / "at_once.xlsx")
    kinds = sorted(b.gather is not None for b in {id(b): b for b in eng.batches.values()}.values())
    assert kinds == [False, True]
    assert not set(ran) & set(eng.batches)  # no member went the fallback's way
    assert eng.get("S!B12") == ((8 + 1) % 5 - 2) * -2.0 and eng.get("S!A21") == max(-2, -1, 1, 2)
    # the gathered cells' own compiled paths were never made (sheetnet.engine.compile.LATER) ...
    from sheetnet.engine.compile import LATER

    gathered = [m for m, b in eng.batches.items() if b.gather is not None]
    assert len(gathered) == 16 and all(eng.groups[m].fast is LATER for m in gathered)
    eng.hold([(0, 20, 0, 5.0)])  # ... until a held cell sends the gather column by column: made then, and right
    eng.set({"S!A1": 2.0, "S!C2": 3.0})  # (B21 is the MAX of C1:D2: 0, 1, now 3, and -1)
    assert eng.get("S!A21") == 5.0 and eng.get("S!B21") == 3.0
    held = eng.grids[0].group(20, 0)  # (A21's: it never runs again)
    assert all((eng.groups[m].fast is LATER) == (m == held) for m in gathered)


def test_columns_of_one_shape_not_dragged_across_are_not_one_block(tmp_path):
    """Columns of one shape whose references do not move one column a column (typed, not dragged: A beside C, or
    A twice then B) are computed each by its own text."""
    wb = xlsxwriter.Workbook(str(tmp_path / "typed.xlsx"))
    ws = wb.add_worksheet("S")
    for r in range(5):
        for c in range(4):
            ws.write_number(r, c, 10 * r + c)
        for j, src in enumerate("ACB"):  # two columns apart, then back one
            ws.write_formula(r, 6 + j, f"=ROUND({src}{r + 1},0)*2", None, 0)  # (not compiled alone)
        for j, src in enumerate("AAB"):  # still, then one across
            ws.write_formula(r, 10 + j, f"=ROUND({src}{r + 1},0)+1", None, 0)
        for j, src in enumerate("AC"):  # two columns apart, and no third
            ws.write_formula(r, 14 + j, f"=ROUND({src}{r + 1},0)-1", None, 0)
    wb.close()
    eng = Engine.load(tmp_path / "typed.xlsx")
    assert not eng.batches
    for r in range(5):
        assert [eng.get(f"S!{_col(6 + j)}{r + 1}") for j in range(3)] == [(10 * r + c) * 2.0 for c in (0, 2, 1)]
        assert [eng.get(f"S!{_col(10 + j)}{r + 1}") for j in range(3)] == [10 * r + c + 1.0 for c in (0, 0, 1)]
        assert [eng.get(f"S!{_col(14 + j)}{r + 1}") for j in range(2)] == [10 * r + c - 1.0 for c in (0, 2)]


def test_boxes_touching_the_formulas_at_an_edge_wait_for_them(tmp_path):
    """A box that reaches a sheet's formula cells only at their first or last row or column (the grid's
    formula_box: boxes outside it read no group) still waits for them; the readers are on a sheet before."""
    from .books import write_book

    data = {"C3": "=D3+1", "D3": 5, "E7": "=C3*2", "B2": 1, "F8": 1}  # s's formula cells lie in C3:E7
    readers = {"A1": "=SUM(s!A1:C3)", "A2": "=SUM(s!E7:F9)", "A3": "=SUM(s!C1:C3)", "A4": "=SUM(s!A3:C3)",
               "A5": "=SUM(s!E7:E9)", "A6": "=SUM(s!F7:H7)+SUM(s!A1:B9)"}  # (A6: beside the box, none)
    path = write_book(tmp_path / "edges.xlsx", {"r": readers, "s": data})
    eng = Engine.load(path)
    want = [7.0, 13.0, 6.0, 6.0, 12.0, 1.0]
    assert [eng.get(f"r!A{i}") for i in range(1, 7)] == want
    eng.set({"s!D3": 1.0})
    assert [eng.get(f"r!A{i}") for i in range(1, 7)] == [3.0, 5.0, 2.0, 2.0, 4.0, 1.0]
