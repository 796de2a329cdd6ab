"""Exercise workbooks from a lesson's description: the students' (blank rungs, highlighted, the rest locked),
the solution (every answer in, Solver run), personal copies for a roster, and the teacher's key.

    res = make_exercise("titanic", "class/", roster="roster.csv", seed=0)
    res.student, res.solution, res.key, res.personal     # paths

Only the key knows the answers and every student's rows and params; it never goes in a student file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..atomic import atomic_path, check_writable
from ..errors import SheetnetError
from ..lessons.prepare import Dataset, feature_op
from ..lessons.printing import print_setup
from ..lessons.workbook import (close, data_description, new_workbook, plan, store_solver_model, write_data_sheet,
                                write_description)
from ..model.layout import ABOUT_SHEET, DATA_SHEET, DESCRIPTION_SHEET
from ..model.styles import COLOURS, formats
from ..model.xlsx import write_model_sheet
from .ladder import ladder, locate, to_json
from .reference import PERTURB_SCALES, column_sha, perturbed_param
from .tasks import TASKS_SHEET, write_tasks

KEY_FORMAT = "sheetnet exercise key v1"
STUDENT_PROPERTY = "sheetnet student"
WORKBOOK_PROPERTY = "sheetnet workbook"


@dataclass
class ExerciseResult:
    folder: Path
    student: Path | None
    solution: Path
    key: Path
    personal: dict = field(default_factory=dict)  # student id -> path
    rungs: list = field(default_factory=list)

    def summary(self) -> list[str]:
        lines = [f"{len(self.rungs)} rungs, {sum(r.points for r in self.rungs):g} points: "
                 + "; ".join(f"{r.name} ({r.points:g})" for r in self.rungs)]
        if self.student:
            lines.append(f"students' workbook: {self.student.name}")
        if self.personal:
            lines.append(f"{len(self.personal)} personal workbooks (own rows and params): "
                         + ", ".join(p.name for p in list(self.personal.values())[:5])
                         + (" ..." if len(self.personal) > 5 else ""))
        lines.append(f"solution: {self.solution.name}; the teacher's key: {self.key.name} (keep it to yourself)")
        return lines


def read_roster(path) -> list[tuple[str, str]]:
    """(id, name) rows of a CSV with columns id,name (a header row; ids unique, safe as file names)."""
    from ..lessons.csvfile import read_csv

    table = read_csv(path).frame
    cols = {c.lower(): c for c in table.columns}
    if "id" not in cols:
        raise SheetnetError(f"{path}: a roster needs an 'id' column (and 'name')")
    out, seen = [], set()
    for i in range(len(table)):
        sid = str(table[cols["id"]][i]).strip()
        if not sid or not all(ch.isalnum() or ch in "-_." for ch in sid) or sid.startswith("."):
            raise SheetnetError(f"{path}: line {i + 2}: id {sid!r} must be letters, digits, - _ or . (it names a file)")
        if sid in seen:
            raise SheetnetError(f"{path}: line {i + 2}: id {sid!r} appears twice")
        seen.add(sid)
        out.append((sid, str(table[cols["name"]][i]).strip() if "name" in cols else sid))
    if not out:
        raise SheetnetError(f"{path}: the roster has no students")
    return out


def pick_rungs(rungs, steps):
    """The rungs named (by rung name or step id, any case, comma-separated); every name must be one."""
    wanted = [s.strip() for s in (steps.split(",") if isinstance(steps, str) else steps) if s.strip()]
    known = {r.name.lower(): r for r in rungs} | {sid.lower(): r for r in rungs for sid in r.steps}
    unknown = [w for w in wanted if w.lower() not in known]
    if unknown or not wanted:
        raise SheetnetError(f"--steps {', '.join(unknown) or '(none)'}: not a task of this lesson; its tasks: "
                            + "; ".join(r.name for r in rungs))
    picked = {id(known[w.lower()]) for w in wanted}
    return [r for r in rungs if id(r) in picked]


def make_exercise(template, out_dir, *, data=None, roster=None, steps=None, seed: int = 0, blanks=None,
                  progress=None, variant=None) -> ExerciseResult:
    from ..lessons.loading import load_data

    t, ds = load_data(template, data, blanks, variant)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = plan(ds, seed=seed)
    rungs = ladder(t, base)
    if steps:
        rungs = pick_rungs(rungs, steps)
    students = read_roster(roster) if roster else []
    paths = {"solution": out / f"{t.name}-solution.xlsx", "key": out / f"{t.name}-key.json",
             "student": None if students else out / f"{t.name}-student.xlsx"}
    for p in [v for v in paths.values() if v] + [out / f"{sid}.xlsx" for sid, _ in students]:
        check_writable(p)
    solved = solve_rungs(base, ds, rungs)
    write_exercise(paths["solution"], ds, base, rungs, seed, answers=True, params=solved, label="solution")
    key = {"format": KEY_FORMAT, "lesson": t.name, "title": t.title, "made_by": f"sheetnet {__version__}",
           "seed": seed, "rows": ds.n, "ladder": to_json(rungs),
           "steps": {sid: locate(sid, base).__dict__ for r in rungs for sid in r.steps if not sid.startswith("solve:")},
           "models": [json.loads(m.to_json()) for m in base.models], "data": data_description(base.data_layout, t),
           "features": _features(base), "raw": _raw(base, ds), "best_linear_loss": base.best_linear_loss, "tolerance": 1e-9,
           "perturbations": 3, "perturb_scales": perturb_scales(base, ds),
           "fingerprint_column": _fingerprint_column(t), "students": [],
           "solution": {"params": {k: v.tolist() for k, v in solved.items()}}}
    personal = {}
    if paths["student"]:
        write_exercise(paths["student"], ds, base, rungs, seed, answers=False, label="students")
        key["students"].append(_entry(None, None, seed, np.arange(ds.n), base, ds, t))
    for i, (sid, name) in enumerate(students):
        s_seed = int(np.random.default_rng([seed, i, 7]).integers(0, 2**31))
        order = np.random.default_rng(s_seed).permutation(ds.n)
        mine = _reorder(ds, order)
        res = plan(mine, seed=s_seed)
        p = out / f"{sid}.xlsx"
        write_exercise(p, mine, res, rungs, s_seed, answers=False, label=f"student {sid}", student=(sid, name))
        key["students"].append(_entry(sid, name, s_seed, order, res, mine, t))
        personal[sid] = p
        if progress:
            progress(i + 1, len(students))
    with atomic_path(paths["key"]) as tmp:
        tmp.write_text(json.dumps(key, indent=1) + "\n")
    return ExerciseResult(out, paths["student"], paths["solution"], paths["key"], personal, rungs)


def _features(res) -> dict:
    """What the grader needs of each feature: its op, constant, source column and formula."""
    from ..lessons.workbook import feature_formula

    dl = res.data_layout
    out = {}
    for i, col in enumerate(dl.columns):
        if col.role == "feature":
            f = col.feature
            op, arg = feature_op(f)
            out[f.name] = {"op": op, "arg": arg, "col": i, "source": dl.source_col(f.column) if f.column else None,
                           "formula": feature_formula(f, dl) or (f"={arg:g}" if op == "const" else "")}
    return out


def perturb_scales(res, ds) -> list:
    """Each perturbation's params scale, halved until the lesson's models stay finite on seeded draws like the
    grader's (a deep net's EXP overflows at params of 5: every right answer would then look wrong)."""
    rng = np.random.default_rng(20261127)
    out = []
    for k, scale in enumerate(PERTURB_SCALES):
        for _ in range(20):
            draws = [np.array([perturbed_param(rng, k, scale) for _ in range(m.n_params)])
                     for m in res.models for _ in range(3)]
            models = [m for m in res.models for _ in range(3)]
            with np.errstate(all="ignore"):
                ok = all(np.isfinite(v).all() for m, th in zip(models, draws)
                         for v in m.forward(ds.X, ds.y, th).values() if isinstance(v, (float, np.ndarray)))
            if ok:
                break
            scale /= 2
        out.append(scale)
    return out


def _raw(res, ds) -> list:
    """The data sheet's columns of values (what a perturbation shuffles): name, column, text or numbers."""
    ids = {m.features[int(s.arg)] for m in res.models for s in m.steps if s.op == "lookup"}
    out = []
    for i, col in enumerate(res.data_layout.columns):
        if col.role in ("target", "input") or (col.role == "feature" and col.feature.transform == "value"):
            name = col.feature.column if col.role == "feature" else col.name
            out.append({"name": col.name, "col": i, "text": ds.frame[name].dtype == object,
                        "ids": col.name in ids})  # ids (a lookup's row numbers) are shuffled, never scaled
    return out


def _fingerprint_column(t) -> str:
    """The column whose order identifies a student's rows (an id column when there is one)."""
    for c in t.info:
        if "id" in c.lower():
            return c
    return t.inputs[0] if t.inputs else t.target


def _entry(sid, name, seed, order, res, ds, t) -> dict:
    col = _fingerprint_column(t)
    values = [str(v) for v in ds.frame[col].tolist()]
    return {"id": sid, "name": name, "seed": seed, "order": [int(i) for i in order],
            "rows_sha": hashlib.sha256("\n".join(values).encode()).hexdigest(),
            "columns_sha": {c: column_sha(ds.frame[c].tolist()) for c in ds.frame.columns},
            "params": {m.name: res.params[m.name].tolist() for m in res.models}}


def _reorder(ds: Dataset, order) -> Dataset:
    frame = ds.frame.take(order)
    return Dataset(ds.source, ds.template, frame, ds.n_read, ds.X[order], ds.y[order], dict(ds.maxes), ds.binary,
                   list(ds.notes))


def solve_rungs(res, ds, rungs) -> dict:
    """Every Solver rung's sheet solved from its starting params (BFGS, exact gradients): the perfect answer."""
    from ..solver.optimize import minimize
    from ..solver.plain import Plain
    from .solvercheck import GAIN, solver_like

    out = {}
    for r in rungs:
        if r.solver:
            m = next(m for m in res.models if m.name == r.solver)
            prob = Plain(lambda x, m=m: m.loss_and_grad(ds.X, ds.y, x), res.params[m.name])
            if not r.converged and r.bound is not None:  # a bound alone: where Excel's Solver stops is the answer
                x, loss, _ = solver_like(prob.value_and_grad, np.asarray(res.params[m.name], float))
                if loss <= 0.8 * r.bound:  # (inside it with room; else solved to the end as below)
                    out[m.name] = x
                    continue
            x = minimize(prob, method="grg").x
            for _ in range(20):  # polished until a Solver-like run finds nothing left (a loss with kinks: gd)
                x2, after, _ = solver_like(prob.value_and_grad, x)
                if not after < prob.value(x) * (1 - GAIN / 100):
                    break
                x = x2
            out[m.name] = x
    return out


def write_exercise(path, ds: Dataset, res, rungs, seed, answers: bool, params=None, label="", student=None):
    """One exercise workbook: Tasks first, then the lesson's sheets, the rungs' cells blank unless `answers`."""
    from ..lessons.about import write_about

    t = ds.template
    params = params or {}
    theta = {m.name: np.asarray(params.get(m.name, res.params[m.name]), float) for m in res.models}
    values = {m.name: m.forward(ds.X, ds.y, theta[m.name]) for m in res.models}
    blank_steps = set() if answers else {sid for r in rungs for sid in r.steps if not sid.startswith("solve:")}
    with atomic_path(path, ".xlsx") as tmp:
        wb = new_workbook(tmp, t, f"sheetnet {__version__} exercise ({label}), seed {seed}")
        wb.set_custom_property(WORKBOOK_PROPERTY, label)  # "solution", "students" or "student ID"
        if student:
            wb.set_custom_property(STUDENT_PROPERTY, student[0])
            wb.set_custom_property("sheetnet student name", student[1])
        fm = formats(wb)
        border = {"border": 1, "border_color": "#BFBFBF"}
        fm["param"] = wb.add_format({"bg_color": COLOURS["param"], "num_format": "0.0000", "bold": True,
                                     "locked": False, **border})
        task = wb.add_format({"bg_color": COLOURS["task"], "locked": False, "num_format": "0.0000", **border})
        tasks = wb.add_worksheet(TASKS_SHEET)
        about = wb.add_worksheet(ABOUT_SHEET)
        ws_data = wb.add_worksheet(DATA_SHEET)
        sheets = [(m, wb.add_worksheet(m.name)) for m in res.models]
        desc = wb.add_worksheet(DESCRIPTION_SHEET)
        shown = type(res)(**{**res.__dict__, "params": theta, "values": values})
        write_tasks(tasks, wb, fm, rungs, shown, ds, done=answers, student=student)
        write_about(about, fm, ds, res.data_layout, shown, seed, False)
        feats = {sid.split(".", 1)[1] for sid in blank_steps if sid.startswith(f"{DATA_SHEET}.")}
        write_data_sheet(ws_data, fm, ds, res.data_layout, blanks=feats, blank_style=task)
        for m, ws in sheets:
            steps = {sid.split(".", 1)[1] for sid in blank_steps if sid.startswith(f"{m.name}.")}
            ml = res.layouts[m.name]
            write_model_sheet(ws, fm, m, ml, theta[m.name], values[m.name], blanks=steps,
                              styles={s: task for s in steps},
                              note="Yellow: Params (Solver changes them). Orange: your cells - see the Tasks sheet.")
            store_solver_model(wb, m.name, ml)
        write_description(desc, data_description(res.data_layout, t), res.models)
        for ws in [about, ws_data] + [ws for _, ws in sheets]:
            ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True})
        tasks.activate()
        print_setup(wb, row_sheets={DATA_SHEET, *(m.name for m in res.models)})
        close(wb, path)
