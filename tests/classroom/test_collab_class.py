"""The collab lesson in class: a student at LibreOffice types the lookups, the dot products and the RMSE (right,
another way, or with the usual mistakes), pastes Solver's Params and saves; graded with no lesson-specific code.

Formulas typed by hand in LibreOffice's notation, as a student would: none comes from sheetnet's formula code.
"""

import pytest

from sheetnet.classroom.exercise import make_exercise
from sheetnet.classroom.grade import Key, grade_file

from .student import earned, typist

FIRST = 4


@pytest.fixture(scope="module")
def collab_ex(tmp_path_factory):
    ex = make_exercise("collab", tmp_path_factory.mktemp("collab-ex"), seed=0)
    return ex, Key.load(ex.key)


def _rows(n, *fs):
    return [[f(r) for f in fs] for r in range(FIRST, FIRST + n)]


def do_collab(lo, src, dst, n, params=None, mistakes=()):
    """dotprod: UserF B:F, MovieF G:K, Preds L, Loss M, RMSE B1, Params P4:T18 and P21:T35; bias: the same with
    Dot L, UserB M, MovieB N, Preds O, Loss P, Params S4:W18, S21:W35, S38:S52, S55:S69."""
    m = set(mistakes)
    last = FIRST + n - 1
    lo.load(src)
    uid = "C" if "other_id" in m else "B"
    if "offset" in m:  # right another way: OFFSET from the block's corner
        user = [lambda r, k=k: f"=OFFSET($P$3;$data.$B{r};{k})" for k in range(5)]
    else:
        user = [lambda r, k=k: f"=INDEX($P$4:$T$18;$data.{uid}{r};{k + 1})" for k in range(5)]
    movie = [lambda r, k=k: f"=INDEX($P$21:$T$35;$data.C{r};{k + 1})" for k in range(5)]
    lo.fill("dotprod", f"B{FIRST}:M{last}", _rows(n, *user, *movie, lambda r: f"=SUMPRODUCT(B{r}:F{r};G{r}:K{r})",
                                                   lambda r: f"=(L{r}-A{r})^2"))
    lo.set("dotprod", {"B1": f"=AVERAGE(M{FIRST}:M{last})" if "no_sqrt" in m else f"=SQRT(AVERAGE(M{FIRST}:M{last}))"})
    user = [lambda r, k=k: f"=INDEX($S$4:$W$18;$data.B{r};{k + 1})" for k in range(5)]
    movie = [lambda r, k=k: f"=INDEX($S$21:$W$35;$data.C{r};{k + 1})" for k in range(5)]
    lo.fill("bias", f"B{FIRST}:P{last}", _rows(
        n, *user, *movie, lambda r: f"=SUMPRODUCT(B{r}:F{r};G{r}:K{r})", lambda r: f"=INDEX($S$38:$S$52;$data.B{r})",
        lambda r: f"=INDEX($S$55:$S$69;$data.C{r})", lambda r: f"=L{r}+M{r}+N{r}", lambda r: f"=(O{r}-A{r})^2"))
    lo.set("bias", {"B1": f"=SQRT(AVERAGE(P{FIRST}:P{last}))"})
    for sheet, blocks in (("dotprod", ("P4:T18", "P21:T35")), ("bias", ("S4:W18", "S21:W35", "S38:S52", "S55:S69"))):
        if params is None:
            continue
        theta, k = params[sheet], 0
        for ref, width in zip(blocks, (5, 5, 1, 1)):
            rows = [list(theta[k + i * width:k + (i + 1) * width]) for i in range(15)]
            lo.paste(sheet, ref, rows)
            k += 15 * width
    lo.calc()
    lo.save(dst, "Calc MS Excel 2007 XML")
    return dst


@pytest.fixture(scope="module")
def typed(lo, collab_ex, tmp_path_factory):
    ex, key = collab_ex
    return typist(lo, ex, key, tmp_path_factory.mktemp("collab-typed"), do_collab)


def test_collab_typed_in_libreoffice_earns_full_marks(typed, collab_ex):
    ex, key = collab_ex
    full = sum(r.points for r in key.rungs)
    assert full == 13
    for mistakes in ((), ("offset",)):
        g = grade_file(typed(mistakes), key)
        assert g.error is None and g.total == full, (mistakes, earned(g))
    assert grade_file(ex.student, key).total == 0


def test_solver_not_run_on_collab(typed, collab_ex):
    _, key = collab_ex
    g = grade_file(typed(solve=False), key)
    got = earned(g)
    assert got["Solver on dotprod"] == 0 and got["Solver on bias"] == 0 and g.total == 9
    step = next(r for r in g.rungs if r.name == "Solver on dotprod").steps[0]
    assert step.mistake.label == "Solver not run" and step.cell == "dotprod!B1"


@pytest.mark.parametrize("mistake, rung, label, cell", [
    ("other_id", "user factors (INDEX)", "the other id", "dotprod!B5"),  # row 4: user 1 rates movie 1
    ("no_sqrt", "RMSE", "SQRT forgotten", "dotprod!B1"),
])
def test_each_collab_mistake_costs_its_rung_and_is_named(typed, collab_ex, mistake, rung, label, cell):
    _, key = collab_ex
    g = grade_file(typed([mistake]), key, hints=2)
    got = earned(g)
    assert got[rung] == 0
    for r in key.rungs:  # the other formula rungs keep their points (the wrong cells held at their right values)
        if r.name != rung and not r.solver:
            assert got[r.name] == r.points, (mistake, r.name)
    step = next(s for r in g.rungs if r.name == rung for s in r.steps if not s.ok)
    assert (step.mistake.label, step.cell) == (label, cell)
