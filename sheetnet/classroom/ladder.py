"""The exercise's ladder: rungs of steps from the lesson's description, and where each step's cells are.

A step is "data.FEATURE" (a feature column of the data sheet, with the MAX cell a div_max feature
divides by), "SHEET.STEP" (a model sheet's step: its columns, its MMULT block or its total cell) or
"solve:SHEET" (Solver run on that sheet: graded by optimality).  The template may give the ladder
([[exercise.ladder]]); without one, every step is a rung.  Nothing here is lesson-specific code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..errors import SheetnetError
from ..lessons.prepare import feature_op
from ..model.layout import DATA_SHEET, FIRST_ROW, TOTAL_ROW, cell
from ..model.ops import OPS, level_text


@dataclass
class Rung:
    name: str
    steps: list
    points: float = 1.0
    task: str = ""
    requires: str = ""  # a function the rung's formulas must use (MMULT)
    bound: float | None = None  # Solver: the loss must be at most this
    converged: bool = True  # Solver: judged as Excel's Solver stops (False: the bound alone, for a loss with no minimum)

    @property
    def solver(self) -> str | None:
        return self.steps[0][len("solve:"):] if self.steps and self.steps[0].startswith("solve:") else None


@dataclass
class StepCells:
    """Where one step sits: its sheet, the box of its cells, and any helper cells blank with it."""

    id: str
    sheet: str
    box: tuple  # (r0, c0, r1, c1), 0-based
    aux: list = field(default_factory=list)  # [(r, c)] (div_max: the MAX in row 1)
    kind: str = "column"  # "column" (one formula a row), "block" (one MMULT), "total", "feature"
    op: str = ""
    model: str | None = None  # the model sheet, for model steps
    step: str = ""  # the step's (or feature's) name

    def cells(self):
        r0, c0, r1, c1 = self.box
        return [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)] + list(self.aux)

    def a1(self) -> str:
        r0, c0, r1, c1 = self.box
        rng = cell(r0, c0) if (r0, c0) == (r1, c1) else f"{cell(r0, c0)}:{cell(r1, c1)}"
        aux = "".join(f" and {cell(r, c)}" for r, c in self.aux)
        return f"{self.sheet}!{rng}{aux}"


def locate(step_id: str, result) -> StepCells:
    """A step id's cells in the lesson workbook planned in `result` (sheetnet.lessons.workbook.plan)."""
    where, _, name = step_id.partition(".")
    dl = result.data_layout
    if where == DATA_SHEET:
        for i, col in enumerate(dl.columns):
            if col.role == "feature" and col.name == name:
                f = col.feature
                aux = [(TOTAL_ROW, dl.source_col(f.column))] if f.transform == "div_max" else []
                return StepCells(step_id, DATA_SHEET, (FIRST_ROW, i, dl.last_row, i), aux, "feature",
                                 feature_op(f)[0], None, name)
        raise SheetnetError(f"exercise: no feature {name!r} on the data sheet")
    ml = result.layouts.get(where)
    if ml is None:
        raise SheetnetError(f"exercise: no sheet {where!r} (model sheets: {', '.join(result.layouts)})")
    try:
        s = ml.model.step(name)
    except KeyError:
        raise SheetnetError(f"exercise: sheet {where} has no step {name!r} (its steps: "
                            f"{', '.join(x.name for x in ml.model.steps)})") from None
    if s.is_total:
        r, c = ml.total_cell(s.name)
        return StepCells(step_id, where, (r, c, r, c), [], "total", s.op, where, name)
    c0, c1 = ml.col(s.columns[0]), ml.col(s.columns[-1])
    kind = "block" if (OPS[s.op].kind == "layer" and ml.model.mmult) else "column"
    return StepCells(step_id, where, (FIRST_ROW, c0, ml.last_row, c1), [], kind, s.op, where, name)


def ladder(template, result) -> list[Rung]:
    """The template's ladder, or one rung per step (features, every model step, then Solver per sheet)."""
    if template.exercise:
        rungs = [Rung(name=str(r.get("name") or ", ".join(r["steps"])), steps=list(r["steps"]),
                      points=float(r.get("points", 1)), task=str(r.get("task", "")), requires=str(r.get("requires", "")),
                      bound=float(r["bound"]) if "bound" in r else None,
                      converged=bool(r.get("converged", True))) for r in template.exercise]
    else:
        rungs = [Rung(f.name, [f"{DATA_SHEET}.{f.name}"]) for f in template.features if f.transform != "value"]
        for m in result.models:
            rungs += [Rung(f"{m.name}: {s.name}", [f"{m.name}.{s.name}"]) for s in m.steps]
            rungs.append(Rung(f"Solver on {m.name}", [f"solve:{m.name}"], bound=None))
    for r in rungs:
        for sid in r.steps:
            if not sid.startswith("solve:"):
                locate(sid, result)  # refuses a step that is not in the workbook
            elif sid[6:] not in result.layouts:
                raise SheetnetError(f"exercise: rung {r.name!r}: no model sheet {sid[6:]!r}")
        if not r.task:
            r.task = task_words(r, result)
    return rungs


def task_words(r: Rung, result) -> str:
    """The task in words, from the op table and the layout."""
    if r.solver:
        ml = result.layouts[r.solver]
        goal = f"{r.solver}!{cell(*ml.loss_cell)}"
        extra = f"; the loss must be at most {r.bound:g}" if r.bound is not None else ""
        return (f"Run Solver on {r.solver}: minimise {goal} by changing the yellow Params "
                f"({', '.join(a.split('!')[1] for a in ml.params_areas())}){extra}.")
    parts = [f"{locate(sid, result).a1()}: {step_words(sid, result, r.requires)}" for sid in r.steps]
    needs = f" (use {r.requires})" if r.requires and r.requires.upper() + "(" not in " ".join(parts) else ""
    return "; ".join(parts) + needs + "."


def step_words(sid: str, result, requires: str = "") -> str:
    """A step in words with its own names: the op's formula (the op table's doc) with x, pred and target
    replaced by the columns it reads, and a dummy's level, so a student knows what to type where."""
    sc = locate(sid, result)
    doc = OPS[sc.op].doc
    if sc.kind == "feature":
        dl = result.data_layout
        f = next(c.feature for c in dl.columns if c.role == "feature" and c.name == sc.step)
        src = f"{f.column} (column {cell(FIRST_ROW, dl.source_col(f.column))[:-len(str(FIRST_ROW + 1))]})" \
            if f.transform != "const" else ""
        op, arg = feature_op(f)
        if op == "dummy":
            return f"{sc.step} = 1 where {src} is {level_text(arg)}, else 0"
        if op == "const":
            return f"{sc.step} = {f.value:g} on every row"
        if op == "div_max":
            return f"{sc.step} = {src} / MAX of the {f.column} column (that MAX in {cell(*sc.aux[0])})" \
                if sc.aux else f"{sc.step} = {src} / MAX of the {f.column} column"
        if op == "scale":
            return f"{sc.step} = {src} / {arg:g}"
        return f"{sc.step} = " + doc.replace("x", src)
    m = result.layouts[sc.model].model
    step = m.step(sc.step)
    names = [", ".join(m.step(i).columns) if i in {s.name for s in m.steps} else i for i in step.inputs]
    if sc.op == "linear":
        what = "the features' row" if step.inputs[0] == "features" else f"the row of {_span(m.step(step.inputs[0]))}"
        bias = " + its bias" if m.param(step.params).bias else ""
        if requires.upper() == "MMULT":
            return (f"{', '.join(step.columns)} = MMULT({what.replace('row', 'block')}, the {step.params} block), one "
                    f"array formula over the whole block")
        return f"{', '.join(step.columns)} = SUMPRODUCT({what}, that column's row of {step.params}){bias}"
    special = _class_words(m, step)
    if special:
        return special
    if sc.op == "lookup":
        f = m.features[int(step.arg)]
        return (f"{', '.join(step.columns)} = INDEX(the {step.params} block, the row's {f}, factor k): the row of "
                f"{step.params} for that {f}")
    if sc.op == "rowdot":
        return f"{sc.step} = SUMPRODUCT(the row of {names[0]}, the row of {names[1]})"
    ins = m.step(step.inputs[0]).columns if step.inputs and step.inputs[0] in {s.name for s in m.steps} else ()
    if OPS[sc.op].kind == "map" and len(step.columns) > 1 and len(ins) == len(step.columns):
        return ", ".join(f"{c} = " + doc.replace("x", i) for c, i in zip(step.columns, ins))  # ReLU1 = IF(Lin1<0,...)
    x = names[0] if names else "x"
    steps = {s.name for s in m.steps}
    text = doc.replace("x1+x2+...", "+".join(c for i in step.inputs if i in steps for c in m.step(i).columns))
    text = text.replace("pred", x).replace("target", names[1] if len(names) > 1 else "target")
    text = text.replace("AVERAGE(column)", f"AVERAGE of the {x} column").replace("SUM(x1:xn)", f"SUM of {x}")
    return f"{', '.join(step.columns) if len(step.columns) > 1 else sc.step} = " + text.replace("x", x)


def _span(step) -> str:
    """A step's columns in words: "Lin_3, Lin_7, Lin_8", or the first to the last when there are many."""
    cols = step.columns
    return ", ".join(cols) if len(cols) <= 4 else f"{cols[0]} to {cols[-1]}"


def _class_words(m, step) -> str:
    """The softmax and conv ops in words (their op-table docs name no columns)."""
    ins = [m.step(i) for i in step.inputs if i in {s.name for s in m.steps}]
    src = _span(ins[0]) if ins else "the features"
    row = f"the row's {ins[0].columns[0]}:{ins[0].columns[-1]} cells" if ins else "the row"
    if step.op == "normalise":
        return f"{_span(step)} = each of {src} / SUM({row})"
    if step.op == "crossent":
        return f"{step.name} = -LN(INDEX({row}, 1, {step.inputs[1]}+1)): the true class's probability"
    if step.op == "argmax":
        return f"{step.name} = MATCH(MAX({row}), {row}, 0)-1: the most probable class, counted from 0"
    if step.op == "classacc":
        return f"{step.label or step.name} = the share of rows where {step.inputs[0]} = {step.inputs[1]}"
    if step.op == "conv":
        c, h, w = (int(v) for v in step.arg)
        what = "the image" if not ins else f"{src} ({c} channels of {h}x{w})"
        return (f"{_span(step)} = MAX(0, SUMPRODUCT of each row of the cell's 3x3 window of {what} with that row "
                f"of its filter in {step.params}, added over the window's rows and channels); channel k of the "
                f"output is filter k, cell ij the window at row i, column j")
    if step.op == "maxpool":
        return f"{_span(step)} = MAX of each 2x2 block of {src}, channel by channel"
    return ""


def to_json(rungs) -> list:
    return [asdict(r) for r in rungs]


def from_json(items) -> list[Rung]:
    return [Rung(**r) for r in items]
