"""`sheetnet exercise`: the workbooks handed out, as LibreOffice shows them, and the key."""

import json
import subprocess
import sys

import openpyxl
import pytest

from sheetnet.classroom.exercise import make_exercise

TASK_CHECKS = "F5:F16"  # the Tasks sheet's self-check column, one row per rung


def checks(lo, path):
    lo.load(path)
    return [row[0] for row in lo.values("Tasks", TASK_CHECKS)]


def test_self_checks_follow_the_students_work(lo, plain, work):
    # the net's Solver: a formula sees the loss under its bound, the grader checks the minimum
    right = ["done"] * 11 + ["checked when graded"]
    assert checks(lo, plain.student) == ["not yet"] * 12
    assert checks(lo, work()) == right
    assert checks(lo, plain.solution) == right
    got = checks(lo, work(["LN", "no_mmult"]))
    # log_Fare, Solver on linear (its Params are not the optimum of these features), and MMULT done with
    # SUMPRODUCTs (FORMULATEXT sees no MMULT): never "done" where the grader gives 0 for a reason a formula sees
    assert [i + 1 for i, v in enumerate(got) if v != right[i]] == [2, 7, 11]
    pasted = checks(lo, work(["paste_values"]))  # ISFORMULA: pasted values are not done (Ones may be a typed 1)
    assert [i + 1 for i, v in enumerate(pasted) if v == right[i]] == [4]


def test_student_workbook_locks_all_but_the_tasks(plain):
    wb = openpyxl.load_workbook(plain.student)
    assert wb.sheetnames[:3] == ["Tasks", "About", "data"]
    data, linear = wb["data"], wb["linear"]
    assert data.protection.sheet and linear.protection.sheet
    assert data["A4"].protection.locked and data["E4"].protection.locked  # the CSV's values
    assert not data["I4"].protection.locked and not data["P715"].protection.locked  # Age_N .. Ones: the student's
    assert not linear["B4"].protection.locked and not linear["F4"].protection.locked  # Linear, and a Param
    assert linear["A4"].protection.locked  # the target column reads the data sheet
    assert data["I4"].value is None and linear["B1"].value is None


def test_same_seed_same_bytes(tmp_path, roster_class):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\na1,Ada Lovelace\nb2,Bob Byte\nc3,Cy Cell\n")
    again = make_exercise("titanic", tmp_path / "again", roster=roster, seed=0)
    for name in ("a1.xlsx", "b2.xlsx", "c3.xlsx", "titanic-solution.xlsx", "titanic-key.json"):
        assert (again.folder / name).read_bytes() == (roster_class.folder / name).read_bytes(), name
    other = make_exercise("titanic", tmp_path / "other", roster=roster, seed=1)
    k0 = json.loads(roster_class.key.read_text())
    k1 = json.loads(other.key.read_text())
    assert k0["students"][0]["order"] != k1["students"][0]["order"]


def test_key_knows_each_students_rows_and_start(roster_key):
    ids = [s["id"] for s in roster_key.d["students"]]
    assert ids == ["a1", "b2", "c3"]
    assert [s["name"] for s in roster_key.d["students"]] == ["Ada Lovelace", "Bob Byte", "Cy Cell"]
    starts = {tuple(s["params"]["linear"]) for s in roster_key.d["students"]}
    assert len(starts) == 3  # own starting params each


def test_exercise_cli(tmp_path):
    out = subprocess.run([sys.executable, "-m", "sheetnet", "exercise", "titanic", "-o", str(tmp_path / "c"),
                          "--steps", "age_n, LOG_FARE"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "2 rungs, 2 points: Age_N (1); log_Fare (1)" in out.stdout
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["titanic-key.json", "titanic-solution.xlsx",
                                                                 "titanic-student.xlsx"]


def test_bad_roster_is_one_line_and_writes_nothing(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\na1,Ada\na1,Again\n")
    out = subprocess.run([sys.executable, "-m", "sheetnet", "exercise", "titanic", "-o", str(tmp_path / "c"),
                          "--roster", str(roster)], capture_output=True, text=True)
    assert out.returncode != 0 and out.stderr.count("\n") == 1
    assert "roster.csv: line 3: id 'a1' appears twice" in out.stderr
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())
    roster.write_text("id,name\n../evil,Eve\n")
    out = subprocess.run([sys.executable, "-m", "sheetnet", "exercise", "titanic", "-o", str(tmp_path / "c"),
                          "--roster", str(roster)], capture_output=True, text=True)
    assert out.returncode != 0 and "must be letters, digits" in out.stderr


def test_unknown_steps_is_one_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "sheetnet", "exercise", "titanic", "-o", str(tmp_path / "c"),
                          "--steps", "Age_N,Nope"], capture_output=True, text=True)
    want = ("sheetnet: error: --steps Nope: not a task of this lesson; its tasks: Age_N; log_Fare; the dummies; "
            "Ones; Linear; Loss and its AVERAGE; Solver on linear; Lin1/Lin2; ReLU1/ReLU2; Preds; MMULT; "
            "Solver on the net")
    assert out.returncode != 0 and out.stderr.strip() == want


def test_task_words_name_the_columns_and_levels(plain):
    tasks = {r.name: r.task for r in plain.rungs}
    assert tasks["Age_N"] == "data!I4:I715 and E1: Age_N = Age (column E) / MAX of the Age column (that MAX in E1)."
    assert "Pclass_1 = 1 where Pclass (column C) is 1, else 0" in tasks["the dummies"]
    assert 'Embark_S = 1 where Embarked (column B) is "S", else 0' in tasks["the dummies"]
    assert tasks["MMULT"].startswith("mmult!B4:C715: Lin1, Lin2 = MMULT(the features' block, the Params block)")
    assert "SUMPRODUCT" not in tasks["MMULT"]
    assert tasks["ReLU1/ReLU2"] == "nnet!D4:E715: ReLU1 = IF(Lin1<0,0,Lin1), ReLU2 = IF(Lin2<0,0,Lin2)."
    assert tasks["Loss and its AVERAGE"] == ("linear!C4:C715: Loss = (Linear-Survived)^2; linear!B1: Loss total = "
                                             "AVERAGE of the Loss column.")


def test_every_lesson_makes_an_exercise_the_grader_reads(tmp_path):
    """No lesson-specific code: gd and relu get ladders from their descriptions, digits from its template."""
    from sheetnet.classroom.grade import Key, grade_file

    for lesson, points in (("gd", 6), ("relu", 7), ("digits", 10), ("softmax", 13), ("collab", 13), ("conv", 14)):
        ex = make_exercise(lesson, tmp_path / lesson)
        key = Key.load(ex.key)
        assert sum(r.points for r in key.rungs) == points
        assert grade_file(ex.solution, key).total == points
        assert grade_file(ex.student, key).total == 0


@pytest.mark.parametrize("lesson", ["titanic", "gd", "relu", "digits", "softmax", "collab", "conv"])
def test_every_lessons_exercise_saved_by_libreoffice_grades_right(lesson, lo, tmp_path):
    """The solution and the untouched workbook, opened and saved by LibreOffice (which rewrites every
    formula, 1E-9 as 0.000000001): full marks and nothing; no generated formula near Excel's limit; the
    self-checks of the formula tasks say done in LibreOffice for the solution."""
    from sheetnet.classroom.exercise import make_exercise
    from sheetnet.classroom.grade import Key, grade_file

    ex = make_exercise(lesson, tmp_path / lesson, seed=0)
    key = Key.load(ex.key)
    got = {}
    for name, src in (("solution", ex.solution), ("student", ex.student)):
        lo.load(src)
        out = tmp_path / f"{name}-by-lo.xlsx"
        lo.save(out)
        g = grade_file(out, key)
        assert g.error is None, g.error
        got[name] = g.total
        if name == "solution":
            checks = [v[0] for v in lo.values("Tasks", f"F5:F{4 + len(key.rungs)}")]
            for r, v in zip(key.rungs, checks):
                if r.name.startswith("Solver"):
                    continue
                # a convolution has no array form a formula could recompute: its self-check sees the formulas only
                formulas_only = lesson == "conv" and r.name.startswith(("Conv1", "Conv2", "max-pooling"))
                assert v == ("checked when graded" if formulas_only else "done"), (r.name, v)
    assert got == {"solution": sum(r.points for r in key.rungs), "student": 0}


def test_a_lessons_variant_is_handed_out_too(tmp_path):
    """`sheetnet exercise softmax --model two`: the two-class variant, graded like any lesson."""
    from sheetnet.classroom.grade import Key, grade_file

    ex = make_exercise("softmax", tmp_path / "two", variant="two")
    key = Key.load(ex.key)
    assert key.rows == 362 and [m["name"] for m in key.d["models"]] == ["linear", "softmax"]
    assert grade_file(ex.solution, key).total == 13 and grade_file(ex.student, key).total == 0
    r = subprocess.run([sys.executable, "-m", "sheetnet", "exercise", "relu", "--model", "nope", "-o",
                        str(tmp_path / "x")], capture_output=True, text=True)
    assert r.returncode == 2 and "no variant 'nope'" in r.stderr and r.stderr.count("\n") == 1
