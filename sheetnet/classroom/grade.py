"""Grade one submission against the teacher's key: recompute, never trust.

For every step of every rung:
  - carry-forward: the student's cells equal the step's op (sheetnet.model.ops) applied to the
    student's own upstream cells and params, so an early slip is not punished again downstream;
  - perturbation: the raw data are shuffled and the params changed (random and extreme), the
    workbook recomputed, and the step checked again: pasted numbers and constants typed where a
    reference belongs do not follow their inputs;
  - structure: the formulas use what the rung asks for (MMULT) and read their inputs.
Solver rungs are graded as Excel's Solver stops (solvercheck): a Solver-like run from the
student's Params on the student's own sheet must find almost nothing left to take, and the loss
must be under the rung's bound when it has one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..engine import Engine, ErrorCode
from ..engine.values import NUM, as_value
from ..engine.package import a1, parse_cell
from ..errors import SheetnetError
from ..model.layout import FIRST_ROW, HEADER_ROW
from ..model.xlsx import formulas as sheet_formulas
from .hints import PASTED, TYPED, Mistake, diagnose
from .identity import formula_fingerprint, identify
from .key import Key
from .ladder import StepCells
from .reference import PERTURB_SCALES, block, expected, numbers, perturbed_param
from .solvercheck import reference_loss, restart, verdict
from .tasks import TASKS_SHEET


@dataclass
class StepResult:
    id: str
    ok: bool
    reason: str = ""
    cell: str = ""  # the first wrong cell
    expected: object = None
    got: object = None
    mistake: Mistake | None = None
    solution: str = ""  # the formula the first wrong cell should hold (the strong hint)


@dataclass
class RungResult:
    name: str
    points: float
    earned: float
    steps: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.earned == self.points


@dataclass
class Grade:
    file: str
    student: str | None = None
    name: str | None = None
    rungs: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    error: str | None = None  # why it could not be graded (then every rung is 0)
    sha: str = ""  # of the file's bytes
    formulas: str = ""  # of the formulas typed in the rungs' cells (the same work handed in twice)
    wrong_cells: dict = field(default_factory=dict)  # sheet -> {A1: [the StepResults wrong there]}

    @property
    def total(self) -> float:
        return sum(r.earned for r in self.rungs)

    @property
    def possible(self) -> float:
        return sum(r.points for r in self.rungs)


def grade_file(path, key: Key, hints: int = 1, perturbations: int | None = None) -> Grade:
    path = Path(path)
    g = Grade(str(path))
    try:
        raw = path.read_bytes()
        g.sha = hashlib.sha256(raw).hexdigest()
        _grade(path, key, g, hints, key.d.get("perturbations", 3) if perturbations is None else perturbations)
    except SheetnetError as e:
        g.error = str(e).replace(f"{path}: ", "")
    except OSError as e:
        g.error = f"cannot read the file ({e.strerror})"
    if g.error:
        g.rungs = [RungResult(r.name, r.points, 0.0) for r in key.rungs]
    return g


def _grade(path: Path, key: Key, g: Grade, hints: int, k_perturb: int):
    if path.suffix.lower() == ".xls":
        raise SheetnetError("an Excel 97-2003 .xls file: save it as .xlsx (File > Save As) and hand it in again")
    inputs = [a for ml in key.layouts.values() for a in ml.params_areas()]
    eng = Engine.load(path, inputs=inputs, skip=(TASKS_SHEET,))  # the self-check: the grader's own checks are these
    if eng.book.kind == "xlsx" and _has_macros(path):
        g.flags.append("macros present (not run)")
    _check_layout(eng, key)
    identify(eng, key, g, path)
    pos = _Positions(eng, key)
    g.formulas = formula_fingerprint(eng, key)
    solved = {r.name: _solver_step(eng, key, pos, r) for r in key.rungs if r.solver}  # on the student's own cells
    base, own = {}, {}
    for sid, sc in key.steps.items():  # in the ladder's order: a wrong step is held at its right values, so the
        res = _step_ok(eng, key, pos, sc)  # steps after it are judged on right inputs (carry-forward)
        if not res.ok:
            if res.mistake is None and res.cell:
                res.mistake = diagnose(eng, key, pos, sc, res)
            if hints >= 2:
                res.solution = _solution_formula(key, sc, res.cell)
            if not own:  # before the first hold: what the student's own workbook shows, for the feedback
                own = {k: _step_ok(eng, key, pos, c) for k, c in key.steps.items()}
                own[""] = _Snapshot(eng, key)
            elif res.cell:  # say what the student's own workbook shows, not the held one
                mine = own[sid]
                if mine.cell == res.cell:
                    res.expected, res.got = mine.expected, mine.got
                else:
                    res.expected = None
                    sheet, _, ref = res.cell.partition("!")
                    res.got = own[""].value(sheet, *parse_cell(ref))
            _repair(eng, key, sc)
        base[sid] = res
    followed = {sid: True for sid in key.steps}
    for k in range(k_perturb if any(r.ok for r in base.values()) else 0):
        _perturb(eng, key, pos, k)
        for sid, sc in key.steps.items():
            if not base[sid].ok:  # a wrong step is held at what it should hold from its perturbed inputs
                _repair(eng, key, sc)
            elif followed[sid] and not _step_ok(eng, key, pos, sc).ok:
                followed[sid] = False
    # (the engine is left perturbed: what follows reads formulas, not values)
    for r in key.rungs:
        if r.solver:
            res = solved[r.name]
            rr = RungResult(r.name, r.points, r.points if res.ok else 0.0, [res])
        else:
            steps = []
            for sid in r.steps:
                sc, res = key.steps[sid], base[sid]
                if res.ok and not followed[sid]:
                    res = _not_followed(eng, sc)
                if res.ok and r.requires:
                    res = _requires(eng, key, sc, r.requires) or res
                if res.ok:
                    res = _reads_inputs(eng, key, sc) or res
                if not res.ok and hints >= 2 and not res.solution:
                    res.solution = _solution_formula(key, sc, res.cell)
                steps.append(res)
            ok = all(s.ok for s in steps)
            rr = RungResult(r.name, r.points, r.points if ok else 0.0, steps)
        g.rungs.append(rr)
        for s in rr.steps:
            if not s.ok and s.cell:
                sheet, _, ref = s.cell.partition("!")
                g.wrong_cells.setdefault(sheet, {}).setdefault(ref, []).append(s)


class _Snapshot:
    """The steps' sheets' values as they stand (copies of their grids' arrays), before anything is held."""

    def __init__(self, eng, key: Key):
        self.tiles = {name: [(t.r0, t.c0, t.r1, t.c1, t.num.copy(), t.typ.copy(), t.obj.copy())
                             for t in eng.grids[eng.index[name]].tiles] for name in {sc.sheet for sc in key.steps.values()}}

    def value(self, sheet: str, r: int, c: int):
        for r0, c0, r1, c1, num, typ, obj in self.tiles.get(sheet, ()):
            if r0 <= r <= r1 and c0 <= c <= c1:
                return as_value(num[r - r0, c - c0], typ[r - r0, c - c0], obj[r - r0, c - c0])
        return None


def _has_macros(path) -> bool:
    import zipfile

    try:
        return any(n.lower().endswith("vbaproject.bin") for n in zipfile.ZipFile(path).namelist())
    except zipfile.BadZipFile:
        return False


def _check_layout(eng: Engine, key: Key):
    for name, ml in key.layouts.items():
        if name not in eng.index:
            raise SheetnetError(f"sheet {name} is missing (the exercise's sheets must keep their names)")
        s = eng.index[name]
        for c, want in enumerate(ml.columns):
            got = eng.value_at(s, HEADER_ROW, c)
            if got != want:
                raise SheetnetError(f"sheet {name}: {a1(HEADER_ROW, c)} reads {got!r}, not {want!r}: columns were moved, "
                                    f"so the cells cannot be found; hand in the exercise's layout")


class _Positions:
    """What perturbations change (the data sheet's value columns and every param), and the columns now."""

    def __init__(self, eng: Engine, key: Key):
        self.data = eng.index["data"]
        self.params = [(eng.index[n], r, c) for n, ml in key.layouts.items() for r, c in ml.param_cells()]
        last = FIRST_ROW + key.rows - 1
        self.columns = [(c, block(eng, self.data, (FIRST_ROW, c["col"], last, c["col"]))) for c in key.d["raw"]]


def _perturb(eng: Engine, key: Key, pos: _Positions, k: int):
    """Perturbation k (seeded): rows of each value column shuffled; params random (k=0), extreme (k=1), tiny (k=2)."""
    rng = np.random.default_rng([20261124, k])
    blocks = []
    for c, (num, typ, obj) in pos.columns:
        perm = rng.permutation(key.rows)
        num, typ, obj = num[perm].copy(), typ[perm].copy(), obj[perm].copy()
        if k == 1 and not c["text"] and not c.get("ids") and c["col"] != key.d["data"]["target"]:
            num = np.where(typ == NUM, num * 1.75 + 0.5, num)  # extreme: a new maximum, every value moved
        blocks.append((pos.data, FIRST_ROW, c["col"], num, typ, obj))
    scale = key.d.get("perturb_scales", PERTURB_SCALES)[k % 3]  # (halved for deep nets at exercise time)
    for s, r, c in pos.params:
        v = perturbed_param(rng, k, scale)
        blocks.append((s, r, c, np.array([[v]]), np.array([[NUM]], np.uint8), np.array([[None]], object)))
    eng.put_blocks(blocks)  # one recompute for all


def _step_ok(eng, key, pos, sc: StepCells) -> StepResult:
    sheet = eng.index[sc.sheet]
    got, bad, vals = numbers(eng, sheet, sc.box)
    try:
        want = expected(eng, key, sc)
    except Exception as e:  # upstream cells that are not numbers: this step cannot be right
        return StepResult(sc.id, False, f"its inputs are not numbers ({type(e).__name__})", _first_cell(sc))
    tol = key.d.get("tolerance", 1e-9)
    r0, c0 = sc.box[0], sc.box[1]
    if bad is not None:
        i, j = bad
        v = vals[i, j]
        what = "empty" if v is None else f"the error {v}" if isinstance(v, ErrorCode) else f"the text {v!r}"
        w = want[i, j] if want.shape == got.shape else None
        return StepResult(sc.id, False, f"{a1(r0 + i, c0 + j)} is {what}", f"{sc.sheet}!{a1(r0 + i, c0 + j)}", w, v)
    if want.shape != got.shape:
        want = np.broadcast_to(want, got.shape) if want.size == 1 else want
    diff = np.abs(got - want) > tol * np.maximum(1.0, np.abs(want))
    diff |= ~np.isfinite(want)
    if diff.any():
        i, j = np.argwhere(diff)[0]
        return StepResult(sc.id, False, f"{diff.sum()} of {diff.size} cells differ from what the step computes",
                          f"{sc.sheet}!{a1(r0 + i, c0 + j)}", float(want[i, j]), float(got[i, j]))
    for r, c in sc.aux:  # div_max: the MAX cell (left blank is right too: the MAX may sit in each formula)
        v = eng.value_at(sheet, r, c)
        if v is None:
            continue
        m = _source_max(eng, key, sc)
        if not isinstance(v, float) or abs(v - m) > tol * max(1.0, abs(m)):
            return StepResult(sc.id, False, f"{a1(r, c)} is not the MAX of its column", f"{sc.sheet}!{a1(r, c)}", m, v)
    return StepResult(sc.id, True)


def _repair(eng, key: Key, sc: StepCells):
    """Hold a wrong step's cells at what they should hold (from its inputs as they stand)."""
    try:
        want = expected(eng, key, sc)
    except Exception:
        return
    r0, c0, r1, c1 = sc.box
    if want.size == 1:
        want = np.full((r1 - r0 + 1, c1 - c0 + 1), float(want.ravel()[0]))
    if want.shape != (r1 - r0 + 1, c1 - c0 + 1) or not np.isfinite(want).all():
        return
    s = eng.index[sc.sheet]
    cells = [(s, r0 + i, c0 + j, float(want[i, j])) for i in range(want.shape[0]) for j in range(want.shape[1])]
    cells += [(s, r, c, _source_max(eng, key, sc)) for r, c in sc.aux]  # div_max: the MAX cell
    eng.hold(cells)


def _source_max(eng, key: Key, sc: StepCells) -> float:
    """The MAX of a div_max feature's source column, as the data sheet holds it."""
    src = key.d["features"][sc.step]["source"]
    col = numbers(eng, eng.index[sc.sheet], (FIRST_ROW, src, FIRST_ROW + key.rows - 1, src))[0]
    return float(np.nanmax(col))


def _not_followed(eng, sc: StepCells) -> StepResult:
    """Right as the workbook stands, wrong once its inputs change: values pasted, or a number typed in a formula."""
    pasted = eng.group_at(eng.index[sc.sheet], sc.box[0], sc.box[1]) < 0
    why = PASTED if pasted else TYPED
    return StepResult(sc.id, False, "it matches only as the workbook stands: it does not follow its inputs when they "
                      "change (" + ("numbers pasted, not formulas" if pasted else "a number typed where a reference "
                                    "belongs") + ")", _first_cell(sc), mistake=why)


def _first_cell(sc: StepCells) -> str:
    return f"{sc.sheet}!{a1(sc.box[0], sc.box[1])}"


def _requires(eng, key, sc: StepCells, fn: str):
    """Every cell of the step's block uses fn (an array formula over the block: its one formula), and not
    only in a branch an IF never takes (IF(0,MMULT(...),...))."""
    s = eng.index[sc.sheet]
    seen: dict = {}
    want = fn.upper() + "("
    for r, c in sc.cells():
        gid = eng.group_at(s, r, c)
        if gid >= 0 and gid in seen:  # a run of formulas that differ only by row: one check for all
            continue
        g = eng.groups[gid] if gid >= 0 else None
        text = (g.text_at(r) if g is not None else "") or ""
        up = re.sub(r"\s+", "", text.upper())
        dead = re.search(r"IF\((0|FALSE|FALSE\(\)),[^,]*" + re.escape(want), up) is not None
        if want not in up or dead:
            return StepResult(sc.id, False, f"the task asks for {fn}; {a1(r, c)} is ={text}", f"{sc.sheet}!{a1(r, c)}",
                              mistake=Mistake("no " + fn, f"This step must use {fn}, in every cell of it.",
                                              f"Select the whole block and enter one {fn} array formula."))
        seen[gid] = True
    return None


def _reads_inputs(eng, key, sc: StepCells):
    """A formula step must read its inputs' cells (a typed number where a reference belongs fails here)."""
    s = eng.index[sc.sheet]
    i = eng.group_at(s, sc.box[0], sc.box[1])
    if i < 0:
        if sc.op == "const" or sc.kind == "feature" and key.d["features"][sc.step]["op"] == "const":
            return None
        return StepResult(sc.id, False, f"{a1(sc.box[0], sc.box[1])} holds a number, not a formula", _first_cell(sc),
                          mistake=PASTED)
    return None


def _solver_step(eng, key, pos, r) -> StepResult:
    """A Solver task: the loss computed from the Params by the sheet's formulas, under the rung's bound, and
    nothing much left for a Solver-like run from the student's Params to take (solvercheck)."""
    name = r.solver
    ml = key.layouts[name]
    s = eng.index[name]
    sid = f"solve:{name}"
    theta = np.array([eng.number(s, rr, c) for rr, c in ml.param_cells()])
    a, b = ml.data_features
    X = numbers(eng, eng.index["data"], (FIRST_ROW, a, ml.last_row, b))[0]
    y = numbers(eng, s, (FIRST_ROW, 0, ml.last_row, 0))[0][:, 0]
    where = f"{name}!{a1(*ml.loss_cell)}"
    if not (np.isfinite(X).all() and np.isfinite(y).all() and np.isfinite(theta).all()):
        return StepResult(sid, False, "the features, target or params are not all numbers yet", where)
    loss_group = eng.group_at(s, *ml.loss_cell)
    if loss_group < 0 or loss_group not in set(eng.dirty_groups([(s, rr, c) for rr, c in ml.param_cells()])):
        return StepResult(sid, False, "the loss is not computed from the Params by the sheet's formulas "
                                      "(values pasted?): there is nothing for Solver to have solved", where,
                          mistake=Mistake("values pasted", "Solver changes the Params and the loss follows: the "
                                          "sheet's cells must be formulas that compute the loss from them.",
                                          "Type the formulas again, then run Solver."))
    rr = restart(eng, ml, name, theta)
    if rr is None or not np.isfinite(rr.loss):
        return StepResult(sid, False, "not checked: the loss is not a number, or its slope in the Params could not "
                                      "be computed from this sheet's formulas; ask your teacher", where)
    reference = reference_loss(eng, ml, name, theta, key.d.get("solution", {}).get("params", {}).get(name))
    ok, why, mistake = verdict(rr, r.bound, getattr(r, "converged", True), reference)
    if ok:
        return StepResult(sid, True)
    return StepResult(sid, False, why, where, rr.after if r.bound is None or rr.loss <= r.bound else r.bound, rr.loss,
                      mistake)


def _solution_formula(key: Key, sc: StepCells, where: str) -> str:
    """The formula the first wrong cell should hold (the second, stronger hint)."""
    if not where:
        return ""
    ref = where.split("!", 1)[1]

    r, c = parse_cell(ref)
    if sc.kind == "feature":
        if (r, c) in sc.aux:
            src = key.d["features"][sc.step]["source"]
            return f"=MAX({a1(FIRST_ROW, src)}:{a1(FIRST_ROW + key.rows - 1, src)})"
        return key.d["features"][sc.step]["formula"].replace("{r}", str(r + 1))
    ml = key.layouts[sc.model]
    for f in sheet_formulas(ml.model, ml):
        if f.step == sc.step and (f.kind in ("total", "block") or f.col == c):
            return f.text if f.kind != "column" else f.at(r + 1)
    return ""
