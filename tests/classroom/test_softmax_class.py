"""The softmax lesson in class: a student at LibreOffice types the steps (right, another way, or with the
lesson's usual mistakes), pastes Solver's Params and saves; the grader marks it with no lesson-specific code.

Formulas typed by hand in LibreOffice's notation, as a student would: none comes from sheetnet's formula code.
"""

import pytest

from sheetnet.classroom.exercise import make_exercise
from sheetnet.classroom.grade import Key, grade_file

from .student import earned, typist

FIRST = 4
CLASSES = 3


@pytest.fixture(scope="module")
def softmax_ex(tmp_path_factory):
    ex = make_exercise("softmax", tmp_path_factory.mktemp("softmax-ex"), seed=0)
    return ex, Key.load(ex.key)


def _cols(n, *fs):
    return [[f(r) for f in fs] for r in range(FIRST, FIRST + n)]


def do_softmax(lo, src, dst, n, params=None, mistakes=()):
    """data: the 64 pixels / 16 (BO:DZ) and Ones (EA); softmax: Lin (B:D), Exp (E:G), Softmax (H:J), Loss (K),
    Class (L), the Loss in B1 and the Accuracy in D1; Params O4:CA6."""
    m = set(mistakes)
    last = FIRST + n - 1
    lo.load(src)
    from xlsxwriter.utility import xl_col_to_name as col
    raw = [col(2 + k) for k in range(64)]  # C..BN
    lo.fill("data", f"BO{FIRST}:EA{last}", [[f"={c}{r}/16" for c in raw] + ["1"] for r in range(FIRST, last + 1)])
    lin = (lambda k: lambda r: f"=SUMPRODUCT($data.BO{r}:EA{r};$O${4 + k}:$CA${4 + k})")
    ex = (lambda c: lambda r: f"={c}{r}") if "exp_missing" in m else (lambda c: lambda r: f"=EXP({c}{r})")
    if "no_norm" in m:
        sm = lambda c: lambda r: f"={c}{r}"  # noqa: E731
    elif "col_sum" in m:
        sm = lambda c: lambda r: f"={c}{r}/SUM({c}${FIRST}:{c}${last})"  # noqa: E731
    else:
        sm = lambda c: lambda r: f"={c}{r}/SUM($E{r}:$G{r})"  # noqa: E731
    if "log10" in m:  # the course's own sheet: LOG, base 10
        loss = lambda r: f"=-LOG(INDEX(H{r}:J{r};1;A{r}+1))"  # noqa: E731
    elif "sumproduct_loss" in m:  # right another way: the true class picked by a comparison
        loss = lambda r: f"=-LN(SUMPRODUCT(H{r}:J{r};--(COLUMN(H{r}:J{r})-COLUMN(H{r})=A{r})))"  # noqa: E731
    else:
        loss = lambda r: f"=-LN(INDEX(H{r}:J{r};1;A{r}+1))"  # noqa: E731
    cls = (lambda r: f"=MATCH(MAX(H{r}:J{r});H{r}:J{r};0)") if "from1" in m else \
        (lambda r: f"=MATCH(MAX(H{r}:J{r});H{r}:J{r};0)-1")
    lo.fill("softmax", f"B{FIRST}:L{last}", _cols(n, lin(0), lin(1), lin(2), ex("B"), ex("C"), ex("D"), sm("E"),
                                                   sm("F"), sm("G"), loss, cls))
    lo.set("softmax", {"B1": f"=AVERAGE(K{FIRST}:K{last})",
                       "D1": f"=SUMPRODUCT(--(L{FIRST}:L{last}=A{FIRST}:A{last}))/COUNT(A{FIRST}:A{last})"})
    if params is not None:
        theta = params["softmax"]
        lo.paste("softmax", "O4:CA6", [list(theta[i:i + 65]) for i in range(0, len(theta), 65)])
    lo.calc()
    lo.save(dst, "Calc MS Excel 2007 XML")
    return dst


@pytest.fixture(scope="module")
def typed(lo, softmax_ex, tmp_path_factory):
    ex, key = softmax_ex
    return typist(lo, ex, key, tmp_path_factory.mktemp("softmax-typed"), do_softmax)


def test_the_softmax_typed_in_libreoffice_earns_full_marks(typed, softmax_ex):
    ex, key = softmax_ex
    full = sum(r.points for r in key.rungs)
    assert full == 13
    for mistakes in ((), ("sumproduct_loss",)):
        g = grade_file(typed(mistakes), key)
        assert g.error is None and g.total == full, (mistakes, earned(g))
    assert grade_file(ex.student, key).total == 0


def test_solver_not_run_on_the_softmax(typed, softmax_ex):
    _, key = softmax_ex
    g = grade_file(typed(solve=False), key)
    got = earned(g)
    assert got["Solver on softmax"] == 0 and g.total == 11
    step = next(r for r in g.rungs if r.name == "Solver on softmax").steps[0]
    assert step.mistake.label == "Solver not run" and step.cell == "softmax!B1"


# mistake typed in LibreOffice -> (the rung it costs, the hint's label, the first wrong cell; log10: the rows
# where the solved Softmax of the true class is not exactly 1, where LN and LOG give 0 alike)
MISTAKES = {
    "exp_missing": ("Exp", "EXP missing", "softmax!E4"),
    "no_norm": ("Softmax", "EXP not normalised", "softmax!H4"),
    "col_sum": ("Softmax", "column sum for row sum", "softmax!H4"),
    "log10": ("cross-entropy", "LOG for LN", "softmax!K137"),
    "from1": ("Class and Accuracy", "counted from 1", "softmax!L4"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_softmax_mistake_costs_its_rung_and_is_named(typed, softmax_ex, mistake):
    _, key = softmax_ex
    rung, label, cell = MISTAKES[mistake]
    g = grade_file(typed([mistake]), key, hints=2)
    got = earned(g)
    points = {r.name: r.points for r in key.rungs}
    assert got[rung] == 0
    for name in points:  # the other rungs keep their points (the wrong cells held at their right values)
        if name not in (rung, "Solver on softmax"):
            assert got[name] == points[name], (mistake, name)
    step = next(s for r in g.rungs if r.name == rung for s in r.steps if not s.ok)
    assert (step.mistake.label, step.cell) == (label, cell)
