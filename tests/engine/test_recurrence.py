"""Row recurrences (columns feeding each other down the rows) run as one loop over their column groups:
each cell's value as a loop over the rows computes it, held cells kept, bands that start on different
rows, gradients through it, and the cycles that are not recurrences split or refused as before."""

import re

import numpy as np
import pytest
import xlsxwriter

from sheetnet.engine import Engine
from sheetnet.errors import SheetnetError

from ..helpers import rewrite_parts, write_cells

ROWS = 30


def _book(path, cells, iterate=False):
    wb = xlsxwriter.Workbook(str(path))
    write_cells(wb.add_worksheet("S"), cells)
    wb.close()
    if iterate:
        on = b' iterate="1" iterateCount="100" iterateDelta="0"'
        rewrite_parts(path, path, lambda name, data: re.sub(
            rb"<calcPr([^/]*)/>", lambda m: b"<calcPr" + m.group(1) + on + b"/>", data)
            if name == "xl/workbook.xml" else data)
    return path


def _steps(lr=0.1):
    """Params in A, their gradients in C (this row's, from the row above's params): a gradient step a row."""
    cells = {"A1": 3.0, "E1": lr}
    for r in range(2, ROWS + 1):
        cells[f"C{r}"] = f"=2*A{r - 1}-1"
        cells[f"A{r}"] = f"=A{r - 1}-$E$1*C{r}"
    return cells


def _loop(a, lr=0.1, held=None):
    out = [a]
    for r in range(2, ROWS + 1):
        c = 2 * out[-1] - 1
        out.append(held[r] if held and r in held else out[-1] - lr * c)
    return out


def test_a_recurrence_is_one_group_a_column_and_gives_the_loops_values(tmp_path):
    eng = Engine.load(_book(tmp_path / "r.xlsx", _steps()))
    assert len(eng.groups) == 2 and len({id(u) for u in eng.units.values()}) == 1
    assert [eng.get(f"S!A{r}") for r in range(1, ROWS + 1)] == _loop(3.0)
    eng.set({"S!E1": 0.25})  # a change upstream reruns it
    assert [eng.get(f"S!A{r}") for r in range(1, ROWS + 1)] == _loop(3.0, 0.25)


def test_a_held_cell_stays_and_the_rows_below_go_on_from_it(tmp_path):
    eng = Engine.load(_book(tmp_path / "r.xlsx", _steps()))
    eng.hold([(0, 9, 0, 7.5)])  # A10 held at 7.5
    want = _loop(3.0, held={10: 7.5})
    assert [eng.get(f"S!A{r}") for r in range(1, ROWS + 1)] == want and eng.get("S!C11") == 2 * 7.5 - 1
    eng.set({"S!E1": 0.2})
    assert [eng.get(f"S!A{r}") for r in range(1, ROWS + 1)] == _loop(3.0, 0.2, held={10: 7.5})


def test_columns_starting_on_different_rows(tmp_path):
    """B from row 2 reads A of its own row; A from row 3 reads B of the row above (A2 is a number)."""
    cells = {"A1": 1.0, "A2": 2.0}
    for r in range(2, ROWS + 1):
        cells[f"B{r}"] = f"=A{r}*3"
        if r >= 3:
            cells[f"A{r}"] = f"=B{r - 1}/2+1"
    eng = Engine.load(_book(tmp_path / "b.xlsx", cells))
    assert len({id(u) for u in eng.units.values()}) == 1
    a, b = {2: 2.0}, {}
    for r in range(2, ROWS + 1):
        if r >= 3:
            a[r] = b[r - 1] / 2 + 1
        b[r] = a[r] * 3
    assert [eng.get(f"S!B{r}") for r in range(2, ROWS + 1)] == [b[r] for r in range(2, ROWS + 1)]
    assert [eng.get(f"S!A{r}") for r in range(3, ROWS + 1)] == [a[r] for r in range(3, ROWS + 1)]


def test_a_cycle_that_reads_a_row_below_is_split_into_cells_as_before(tmp_path):
    """A(r) = B(r+1)*2, B(r) = A(r-2)+1: no cell reads itself, but no row-by-row order either."""
    cells = {"A1": 1.0, "B1": 0.0, "B2": 5.0}
    for r in range(2, 12):
        cells[f"A{r}"] = f"=B{r + 1}*2"
    for r in range(3, 13):
        cells[f"B{r}"] = f"=A{r - 2}+1"
    eng = Engine.load(_book(tmp_path / "s.xlsx", cells))
    assert not eng.units and len(eng.groups) > 2
    a, b = {1: 1.0}, {}
    for r in range(2, 12):
        b[r + 1] = a[r - 1] + 1
        a[r] = b[r + 1] * 2
    assert [eng.get(f"S!A{r}") for r in range(1, 12)] == [a[r] for r in range(1, 12)]


@pytest.mark.parametrize("cells, where", [
    ({"A1": 1, "B1": 1, **{f"A{r}": f"=B{r}+1" for r in range(2, 6)}, **{f"B{r}": f"=A{r}*2" for r in range(2, 6)}},
     "S!A2"),  # the cells of a row read each other round
    ({"A1": 1, **{f"A{r}": f"=A{r}+A{r - 1}" for r in range(2, 6)}}, "S!A2"),  # each cell reads itself
])
def test_a_cycle_of_cells_is_still_a_circular_reference(tmp_path, cells, where):
    with pytest.raises(SheetnetError, match="circular reference") as e:
        Engine.load(_book(tmp_path / "c.xlsx", cells))
    assert where in str(e.value)


def test_the_gradient_through_a_recurrence_equals_the_loops(tmp_path):
    from sheetnet.engine.grad import Differentiable

    path = _book(tmp_path / "r.xlsx", _steps())
    eng = Engine.load(path, inputs=["S!A1", "S!E1"])
    f = Differentiable(eng, ["S!A1", "S!E1"], [f"S!A{ROWS}"])
    value, grad = f.value_and_grad(np.array([3.0, 0.1]))
    assert value == _loop(3.0)[-1]
    # a(r) = (1 - 2 lr) a(r-1) + lr: d/da1 = (1 - 2 lr)^(n-1); d/dlr by the same recursion
    n = ROWS - 1
    da, dl = 1.0, 0.0
    a = 3.0
    for _ in range(n):
        dl = (1 - 2 * 0.1) * dl + (1 - 2 * a)
        da = (1 - 2 * 0.1) * da
        a = a - 0.1 * (2 * a - 1)
    np.testing.assert_allclose(grad, [da, dl], rtol=1e-12)


def test_a_recurrence_downstream_of_an_iterated_cycle(tmp_path):
    """With iterations on: X1 and Y1 converge; the recurrence reading X1 ends as the loop with X1's value."""
    cells = {"X1": "=Y1/2+1", "Y1": "=X1", "A1": 1.0, "B1": 1.0}
    for r in range(2, 12):
        cells[f"A{r}"] = f"=B{r - 1}+$X$1"
        cells[f"B{r}"] = f"=A{r}*0.5"
    eng = Engine.load(_book(tmp_path / "i.xlsx", cells, iterate=True))
    x = eng.get("S!X1")
    assert abs(x - 2.0) < 1e-9
    a, b = [1.0], [1.0]
    for _ in range(2, 12):
        a.append(b[-1] + x)
        b.append(a[-1] * 0.5)
    assert [eng.get(f"S!A{r}") for r in range(1, 12)] == a and [eng.get(f"S!B{r}") for r in range(1, 12)] == b


def test_a_reference_made_at_run_time_waits_for_everything_the_recurrence_reads(tmp_path):
    """OFFSET reads the params while they are still to be computed: the recurrence runs first, and only
    after the column its gradients read (X, itself computed from Y) is."""
    cells = {"A1": 3.0, "E1": 0.1, "Z1": "=SUM(OFFSET(A1,0,0,10,1))"}
    for r in range(1, ROWS + 1):
        cells[f"Y{r}"] = 1.0
        cells[f"X{r}"] = f"=Y{r}*2"
    for r in range(2, ROWS + 1):
        cells[f"C{r}"] = f"=X{r}*A{r - 1}-1"
        cells[f"A{r}"] = f"=A{r - 1}-$E$1*C{r}"
    eng = Engine.load(_book(tmp_path / "o.xlsx", cells))
    want = _loop(3.0)
    assert [eng.get(f"S!A{r}") for r in range(1, ROWS + 1)] == want
    assert eng.get("S!Z1") == sum(want[:10])


def test_a_fixed_reference_into_the_recurrence_itself(tmp_path):
    """A(r) = A(r-1) + $C$2 + $E$1, C(r) = A(r-1)/2: $C$2 is a cell of the loop (checked as it is computed),
    $E$1 lies outside it (checked once a run: text there sends A down the general path, and back)."""
    cells = {"A1": 4.0, "E1": 1.0}
    for r in range(2, 12):
        cells[f"C{r}"] = f"=A{r - 1}/2"
        cells[f"A{r}"] = f"=A{r - 1}+$C$2+$E$1"
    eng = Engine.load(_book(tmp_path / "f.xlsx", cells))
    assert len({id(u) for u in eng.units.values()}) == 1

    def want(e1):
        a = [4.0]
        for _ in range(2, 12):
            a.append(a[-1] + 2.0 + e1)
        return a
    assert [eng.get(f"S!A{r}") for r in range(1, 12)] == want(1.0)
    eng.set({"S!E1": "x"})
    assert [str(eng.get(f"S!A{r}")) for r in range(2, 12)] == ["#VALUE!"] * 10
    eng.set({"S!E1": 0.5})
    assert [eng.get(f"S!A{r}") for r in range(1, 12)] == want(0.5)


def _gd(rows=40):
    """gd's sheet: a and b in D:E, their gradients in F:G sharing the residual 2*(a*x+b-y), data in A:B."""
    cells = {"E1": 0.1, "D2": 0.0, "E2": 0.0}
    for i in range(20):
        cells[f"A{i + 2}"] = (i - 10) / 8  # (exact in the 16 digits XlsxWriter writes)
        cells[f"B{i + 2}"] = 3 * (i - 10) / 8 + 2
    for r in range(3, rows + 3):
        cells[f"F{r}"] = f"=SUMPRODUCT(2*(D{r - 1}*$A$2:$A$21+E{r - 1}-$B$2:$B$21)*$A$2:$A$21)/20"
        cells[f"G{r}"] = f"=SUMPRODUCT(2*(D{r - 1}*$A$2:$A$21+E{r - 1}-$B$2:$B$21))/20"
        cells[f"D{r}"] = f"=D{r - 1}-$E$1*F{r}"
        cells[f"E{r}"] = f"=E{r - 1}-$E$1*G{r}"
    return cells


def _gd_loop(lr, x, y, rows=40, a=0.0, b=0.0, held=None):
    out = []
    for r in range(3, rows + 3):
        res = 2 * (a * x + b - y)
        f, g = np.add.reduce(res * x, axis=None) / 20, np.add.reduce(res, axis=None) / 20
        a, b = a - lr * f, b - lr * g
        if held and r in held:
            b = held[r]
        out.append((f, g, a, b))
    return out


def _values(eng, rows=40):
    return [tuple(eng.get(f"S!{c}{r}") for c in "FGDE") for r in range(3, rows + 3)]


def test_what_a_rows_cells_compute_alike_is_computed_once_a_row(tmp_path, monkeypatch):
    """The residual shared by gd's two gradients is worked out once a row: the same bits as each column on its
    own, and as the loop, run after run (a kept value is never an earlier run's), around a held cell."""
    from sheetnet.engine import compile as comp
    from sheetnet.engine import recurrence

    p = _book(tmp_path / "gd.xlsx", _gd())
    eng = Engine.load(p)
    u = next(iter(eng.units.values()))
    shared = comp.common_keys(eng.groups[m].node for m in u.members)
    assert len(shared) >= 1 and all("SUMPRODUCT" not in k for k in shared)  # (the residual, not the sums)
    calls = []
    real = comp._once_a_row

    def counting(f, off, stamp):
        def g():
            calls.append(1)
            return f()
        return real(g, off, stamp)
    monkeypatch.setattr(comp, "_once_a_row", counting)
    eng = Engine.load(p)
    x = np.array([(i - 10) / 8 for i in range(20)]).reshape(20, 1)
    y = 3 * x + 2
    want = _gd_loop(0.1, x, y)
    assert _values(eng) == [tuple(map(float, w)) for w in want]
    assert 0 < len(calls) <= 40 * len(shared)  # once a row, not once a cell
    monkeypatch.setattr(recurrence, "common_keys", lambda nodes: set())  # each column on its own
    alone = Engine.load(p)
    assert _values(alone) == _values(eng)
    for lr in (0.05, 0.2):  # run after run
        eng.set({"S!E1": lr})
        alone.set({"S!E1": lr})
        assert _values(eng) == _values(alone) == [tuple(map(float, w)) for w in _gd_loop(lr, x, y)]
    eng.hold([(0, 11, 4, 0.5)])  # E12 held: the rows below go on from it
    alone.hold([(0, 11, 4, 0.5)])
    assert _values(eng) == _values(alone) == [tuple(map(float, w)) for w in _gd_loop(0.2, x, y, held={12: 0.5})]
    eng.hold([(0, 14, 5, 0.0)])  # F15, the first to compute the residual, held: G15 works it out at its own row
    alone.hold([(0, 14, 5, 0.0)])
    assert _values(eng) == _values(alone) and eng.get("S!F15") == 0.0 and eng.get("S!G15") != _values(eng)[11][1]


def test_a_cell_on_the_general_path_beside_a_shared_expression(tmp_path):
    """A gradient whose data turns to text goes the general path (#VALUE!); its twin, reading the same residual,
    still computes from this row's values."""
    cells = _gd(12)
    cells["H1"] = 1.0
    for r in range(3, 15):  # a third gradient, sharing the residual, that reads H1 too
        cells[f"H{r}"] = f"=SUMPRODUCT(2*(D{r - 1}*$A$2:$A$21+E{r - 1}-$B$2:$B$21))/20*$H$1"
    eng = Engine.load(_book(tmp_path / "g.xlsx", cells))
    before = _values(eng, 12)
    eng.set({"S!H1": "text"})
    assert _values(eng, 12) == before and all(str(eng.get(f"S!H{r}")) == "#VALUE!" for r in range(3, 15))
    eng.set({"S!H1": 2.0})
    assert [eng.get(f"S!H{r}") for r in range(3, 15)] == [2 * g for _, g, _, _ in before]


def test_a_kept_value_serves_its_own_row_of_its_own_run_only():
    from sheetnet.engine.compile import _once_a_row

    off, stamp, made = [0], [1], []

    def f():
        made.append((off[0], stamp[0]))
        return float(len(made))
    kept = _once_a_row(f, off, stamp)
    assert (kept(), kept()) == (1.0, 1.0)  # one row: once
    off[0] = 1
    assert (kept(), kept()) == (2.0, 2.0)
    stamp[0] += 1  # the next run, ending where the last one did: worked out again
    assert kept() == 3.0 and made == [(0, 1), (1, 1), (1, 2)]
