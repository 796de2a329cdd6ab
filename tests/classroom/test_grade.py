"""The grader on workbooks LibreOffice made: students' formulas typed into Calc over UNO and saved."""

import shutil

import pytest

from sheetnet.classroom.grade import grade_file
from tests.helpers import formula_cells, strip_cached_values

SOLVERS = {"Solver on linear", "Solver on the net"}
FORMULA_RUNGS = {"Age_N", "log_Fare", "the dummies", "Ones", "Linear", "Loss and its AVERAGE", "Lin1/Lin2",
                 "ReLU1/ReLU2", "Preds", "MMULT"}


def earned(g):
    return {r.name: r.earned for r in g.rungs}


def wrong_steps(g):
    return [s for r in g.rungs for s in r.steps if not s.ok]


def test_ladder_is_the_lessons(plain_key):
    assert [r.name for r in plain_key.rungs] == [
        "Age_N", "log_Fare", "the dummies", "Ones", "Linear", "Loss and its AVERAGE", "Solver on linear", "Lin1/Lin2",
        "ReLU1/ReLU2", "Preds", "MMULT", "Solver on the net"]
    assert sum(r.points for r in plain_key.rungs) == 18


def test_work_typed_in_libreoffice_gets_full_marks(work, plain_key):
    g = grade_file(work(), plain_key)
    assert g.error is None and g.flags == []
    assert g.total == g.possible == 18
    assert all(s.ok for r in g.rungs for s in r.steps)


# right work written another way, typed in LibreOffice: full marks for each (the table of equivalent forms)
EQUIVALENT_FORMS = {
    "offset_linear": "Linear = SUMPRODUCT(OFFSET($data.$G$1;ROW()-1;0;1;10);INDIRECT(\"linear!$F$4:$O$4\")): "
                     "references made at run time, after the features they read",
    "relu_if": "ReLU = IF(Lin<0;0;Lin) (the default student writes MAX(0;Lin))",
    "loss_reversed": "Loss = (Survived-Linear)^2, not (Linear-Survived)^2",
    "whole_column": "Loss total = AVERAGE(C:C), a whole column (its header is text)",
    "named_params": "Linear = SUMPRODUCT($data.G4:P4;Params), Params a named range",
    "array_blocks": "one array formula over a block: two dummies, the Loss column, both ReLU columns",
    "mixed_dollars": "Linear = SUMPRODUCT($data.$G4:$P4;F$4:O$4), Age_N = E4/E$1: other $ that give the same cells",
    "max_inline": "Age_N = E4/MAX($E$4:$E$715), no MAX cell in E1",
}


@pytest.mark.parametrize("form", sorted(EQUIVALENT_FORMS))
def test_right_work_in_an_equivalent_form_gets_full_marks(lo, work, plain_key, form):
    g = grade_file(work([form]), plain_key)
    assert g.error is None and g.flags == []
    assert g.total == g.possible == 18, [(s.id, s.reason) for r in g.rungs for s in r.steps if not s.ok]
    lo.load(work([form]))  # and the Tasks sheet's self-check agrees, as LibreOffice computes it
    assert [v[0] for v in lo.values("Tasks", "F5:F16")] == ["done"] * 11 + ["checked when graded"]


def test_right_work_with_let_gets_full_marks(work, plain_key, tmp_path):
    """LET (Excel 365; LibreOffice 24.8 on): Loss = LET(d,Linear-Survived,d^2), written as Excel stores it."""
    import openpyxl

    wb = openpyxl.load_workbook(work())
    ws = wb["linear"]
    for r in range(4, 4 + plain_key.rows):
        ws[f"C{r}"] = f"=_xlfn.LET(_xlpm.d,B{r}-A{r},_xlpm.d^2)"
    wb.save(tmp_path / "let.xlsx")
    g = grade_file(tmp_path / "let.xlsx", plain_key)
    assert g.total == g.possible == 18, [(s.id, s.reason) for r in g.rungs for s in r.steps if not s.ok]


def test_solution_workbook_gets_full_marks(plain, plain_key):
    g = grade_file(plain.solution, plain_key)
    assert (g.total, g.error) == (18, None)


def test_untouched_workbook_gets_nothing(plain, plain_key):
    g = grade_file(plain.student, plain_key)
    assert g.total == 0 and g.error is None
    for r in g.rungs:
        if r.name not in SOLVERS:
            assert r.steps[0].mistake.label == "empty", r.name


def test_pasted_values_earn_nothing_on_formula_rungs(work, plain_key):
    g = grade_file(work(["paste_values"]), plain_key)
    got = earned(g)
    for name in FORMULA_RUNGS - {"Ones"}:  # Ones is a constant: typing 1 is the answer
        assert got[name] == 0, name
    # Ones is the template's constant (a typed 1 is the answer); a Solver task over pasted values has
    # nothing solved: the loss does not follow the Params
    assert got["Ones"] == 1 and got["Solver on linear"] == 0 and got["Solver on the net"] == 0
    assert g.total == 1
    labels = {s.mistake.label for s in wrong_steps(g)}
    assert labels == {"values pasted"}


def test_solver_not_run(work, plain_key):
    g = grade_file(work(solve=False), plain_key)
    got = earned(g)
    assert {n for n, v in got.items() if v == 0} == SOLVERS
    lin = next(r for r in g.rungs if r.name == "Solver on linear").steps[0]
    assert lin.mistake.label == "Solver not run" and lin.cell == "linear!B1"
    assert lin.got > lin.expected  # the student's loss, above where a Solver-like run takes it
    assert 0 <= lin.expected - plain_key.d["best_linear_loss"] < 1e-4  # (near least squares: Solver's own stop)


# mistake typed in LibreOffice -> (the rung it costs, the hint's label, the first wrong cell, the stronger hint)
MISTAKES = {
    "LN": ("log_Fare", "LN for LOG10", "data!J4", "=LOG10(F4+1)"),
    "sliding": ("Age_N", "sliding reference", "data!I5", "=E5/$E$1"),
    "sliding_max": ("Age_N", "sliding reference", "data!I502", "=E502/$E$1"),  # below the oldest passenger
    "no_norm": ("Age_N", "not normalised", "data!I4", "=E4/$E$1"),
    "typed_number": ("Age_N", "number typed in", "data!I4", "=E4/$E$1"),
    "if_reversed": ("the dummies", "IF turned round", "data!K4", "=IF(C4=1,1,0)"),
    "dummy_level": ("the dummies", "level 'Q' for 'S'", "data!M4", '=IF(B4="S",1,0)'),
    "no_ones": ("Linear", "Ones forgotten", "linear!B4", "=SUMPRODUCT(data!$G4:$P4,$F$4:$O$4)"),
    "off_by_one": ("Linear", "off by one row", "linear!B4", "=SUMPRODUCT(data!$G4:$P4,$F$4:$O$4)"),
    "sum": ("Loss and its AVERAGE", "SUM for AVERAGE", "linear!B1", "=AVERAGE(C4:C715)"),
    "relu_reversed": ("ReLU1/ReLU2", "IF turned round", "nnet!D4", "=IF(B4<0,0,B4)"),
    "no_mmult": ("MMULT", "no MMULT", "mmult!B4", "{=MMULT(data!$G$4:$P$715,$J$4:$K$13)}"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_one_mistake_costs_its_rung_and_is_named(work, plain_key, mistake):
    rung, label, cell, fix = MISTAKES[mistake]
    g = grade_file(work([mistake]), plain_key, hints=2)
    got = earned(g)
    assert got[rung] == 0
    # carry-forward: every other formula rung keeps its points, the wrong cells being held at their right values
    for name in FORMULA_RUNGS - {rung}:
        assert got[name] == next(r.points for r in plain_key.rungs if r.name == name), (mistake, name)
    step = next(s for r in g.rungs if r.name == rung for s in r.steps if not s.ok)
    assert (step.mistake.label, step.cell, step.solution) == (label, cell, fix)
    assert step in g.wrong_cells[cell.split("!")[0]][cell.split("!")[1]]


def test_mistakes_together_each_named(work, plain_key):
    g = grade_file(work(["LN", "sum", "relu_reversed", "no_mmult"]), plain_key)
    labels = {r.name: [s.mistake.label for s in r.steps if not s.ok] for r in g.rungs if r.name not in SOLVERS}
    assert labels == {"Age_N": [], "log_Fare": ["LN for LOG10"], "the dummies": [], "Ones": [], "Linear": [],
                      "Loss and its AVERAGE": ["SUM for AVERAGE"], "Lin1/Lin2": [], "ReLU1/ReLU2": ["IF turned round"],
                      "Preds": [], "MMULT": ["no MMULT"]}
    assert g.total == 18 - 1 - 1 - 1 - 2 - sum(2 for r in g.rungs if r.name in SOLVERS and not r.ok)


def test_cached_values_do_not_matter(work, plain_key, tmp_path):
    """The grader recomputes: a file whose formulas' stored values are all 0 grades the same."""
    for mistakes in ([], ["LN"]):
        src = work(mistakes)
        poisoned = tmp_path / f"poisoned-{len(mistakes)}.xlsx"
        strip_cached_values(src, poisoned, poison=0)
        a, b = grade_file(src, plain_key), grade_file(poisoned, plain_key)
        assert earned(a) == earned(b)
        assert [(s.id, s.cell, s.reason) for s in wrong_steps(a)] == [(s.id, s.cell, s.reason) for s in wrong_steps(b)]


def test_ods_from_libreoffice_is_graded(work, plain_key):
    g = grade_file(work(fmt="ods"), plain_key)
    assert (g.total, g.error) == (18, None)
    g = grade_file(work(["LN"], fmt="ods"), plain_key)
    assert earned(g)["log_Fare"] == 0


def test_personal_workbook_identified_and_swaps_flagged(work, roster_class, roster_key, tmp_path):
    done = work(src=roster_class.personal["a1"], key=roster_key, name="a1-done")
    g = grade_file(done, roster_key)
    assert (g.student, g.name, g.total, g.flags) == ("a1", "Ada Lovelace", 18, [])
    shutil.copy(done, tmp_path / "b2.xlsx")  # a1's work handed in under b2's name
    g = grade_file(tmp_path / "b2.xlsx", roster_key)
    assert g.student == "a1" and "handed in as b2 but it is a1's workbook" in g.flags


def test_rows_of_another_exercise_flagged(work, roster_key):
    g = grade_file(work(), roster_key)  # the plain exercise's workbook against the roster's key
    assert "rows match no student's workbook (re-sorted or edited?)" in g.flags


def test_personal_workbooks_differ_and_hold_no_answers(roster_class, roster_key):
    import zipfile

    orders = [tuple(s["order"]) for s in roster_key.d["students"]]
    assert len(set(orders)) == 3 and all(sorted(o) == list(range(roster_key.rows)) for o in orders)
    answers = [repr(round(v, 9))[:10] for v in roster_key.d["solution"]["params"]["linear"]]
    for path in roster_class.personal.values():
        with zipfile.ZipFile(path) as z:
            text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        assert not any(a in text for a in answers)
        cells = formula_cells(path)  # the blanks are blank (only the Tasks sheet's self-checks know the steps)
        assert not [rc for rc in cells["data"] if rc[1] >= 8 and rc[0] >= 3]
        assert not [rc for rc in cells["linear"] if rc[1] in (1, 2) and rc[0] >= 3] and (0, 1) not in cells["linear"]


def test_every_hint_on_a_cell_reaches_its_comment(work, plain_key, tmp_path):
    """linear!B1 is wrong twice (SUM for AVERAGE, and Solver not run): the marked copy's comment there has
    both, with the stronger hint and the formula the cell should hold, as the page has them."""
    import openpyxl

    from sheetnet.classroom.feedback import mark_workbook, page

    g = grade_file(work(["sum"], solve=False), plain_key, hints=2)
    steps = g.wrong_cells["linear"]["B1"]
    assert sorted(s.id for s in steps) == ["linear.Loss total", "solve:linear"]
    dst = mark_workbook(work(["sum"], solve=False), tmp_path / "m.xlsx", g, hints=2)
    text = openpyxl.load_workbook(dst)["linear"]["B1"].comment.text
    html = page(g, plain_key, 2)
    for s in steps:
        assert s.reason in text and s.mistake.hint in text and s.mistake.stronger in text
    assert "This cell should hold =AVERAGE(C4:C" in text and "=AVERAGE(C4:C" in html
