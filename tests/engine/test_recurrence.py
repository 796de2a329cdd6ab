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
