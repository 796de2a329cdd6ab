"""The Tasks sheet: each rung in words, its cells and points, and a live self-check ("done" / "not yet").

The self-check recomputes each step another way, over whole columns, from the op table's array
form (ops.Op.whole), and compares: nothing on the sheet shows an answer, and its formulas are hidden
while the sheet is protected (in the spirit of nbgrader's hidden tests).  It needs no sheetnet:
Excel, LibreOffice and Google Sheets compute it as the student types.
"""

from __future__ import annotations

from ..lessons.prepare import feature_op
from ..model.layout import DATA_SHEET, FIRST_ROW, cell, column_ref
from ..model.ops import OPS
from .ladder import locate
from .solvercheck import GAIN

TASKS_SHEET = "Tasks"
TOL = "1E-9"
HELPERS = 7  # column H: the first hidden helper cell of a long self-check


def least_squares(model) -> bool:
    """A linear model under the mean squared error: its optimum is least squares, a formula can check it."""
    return [(st.op, st.inputs[0]) for st in model.steps if not st.is_total or st.op == "mean"][:3] == [
        ("linear", "features"), ("sqerr", model.steps[0].name), ("mean", model.steps[1].name)]


def solver_words(r, res) -> str:
    """What the self-check says when it passes: "done" only where it asks all the grader asks."""
    if r.solver and (r.converged and not least_squares(res.layouts[r.solver].model)):
        return "checked when graded"  # a formula sees the bound, not that Solver finished
    if not r.solver and any(not _has_whole(sid, res) for sid in r.steps):
        return "checked when graded"  # a step no array formula can recompute (a convolution): its formulas only
    return "done"


def _has_whole(sid: str, res) -> bool:
    sc = locate(sid, res)
    return sc.kind in ("feature", "total") or OPS[res.layouts[sc.model].model.step(sc.step).op].whole is not None


def _box(sheet: str, box) -> str:
    r0, c0, r1, c1 = box
    return f"{sheet}!{cell(r0, c0, True)}:{cell(r1, c1, True)}"


def step_check(sid: str, res) -> str:
    """A boolean expression: the step's cells compute what its op computes from its inputs."""
    sc = locate(sid, res)
    r0, c0, r1, c1 = sc.box
    n = (r1 - r0 + 1) * (c1 - c0 + 1)
    cells = _box(sc.sheet, sc.box)
    if sc.kind == "feature":
        dl = res.data_layout
        f = next(col.feature for col in dl.columns if col.name == sc.step)
        op, arg = feature_op(f)
        src = [column_ref(f"{DATA_SHEET}!", [dl.source_col(f.column)], FIRST_ROW, dl.last_row)] if f.column else []
        expr = OPS[op].whole(src, None, arg)
        checks = [_column_check(cells, expr, n)]
        for r, c in sc.aux:  # the MAX a div_max feature divides by
            aux = f"{DATA_SHEET}!{cell(r, c, True)}"  # (or left blank: the MAX may sit in each formula)
            checks.append(f"OR(ISBLANK({aux}),ABS({aux}-MAX({src[0].whole}))<={TOL}*(1+ABS(MAX({src[0].whole}))))")
        return ",".join(checks)
    ml = res.layouts[sc.model]
    m = ml.model
    s = m.step(sc.step)
    prefix = f"{sc.model}!"
    ins = [ml.ref(i, prefix) for i in s.inputs]
    p = ml.pref(m.param(s.params), prefix) if s.params else None
    if sc.kind != "total" and OPS[s.op].whole is None:  # no array form (conv, maxpool): its formulas only
        return ""
    if sc.kind == "total":
        expr = OPS[s.op].formula(ins, p, s.arg, 0)
        return f"ABS({cells}-({expr}))<={TOL}*(1+ABS({expr}))"
    return _column_check(cells, OPS[s.op].whole(ins, p, s.arg), n)


def _structure_check(sid: str, res, requires: str) -> str:
    """What the grader asks that a formula can see: the step's first and last cells are formulas
    (ISFORMULA: pasted values are not), and use the function the rung requires (FORMULATEXT).  Both are
    Excel 2013's, stored as Excel stores them (_xlfn.): Excel 2010 shows #NAME? in this column only."""
    sc = locate(sid, res)
    if sc.kind == "feature":
        f = next(col.feature for col in res.data_layout.columns if col.name == sc.step)
        if feature_op(f)[0] == "const":  # a typed constant (Ones) is the answer
            return ""
    r0, c0, r1, c1 = sc.box
    ends = {cell(r0, c0, True), cell(r1, c1, True)}
    out = "".join(f",_xlfn.ISFORMULA({sc.sheet}!{e})" for e in sorted(ends))
    if requires:
        out += "".join(f',ISNUMBER(SEARCH("{requires}(",_xlfn.FORMULATEXT({sc.sheet}!{e})))' for e in sorted(ends))
    return out


def _column_check(cells: str, expr: str, n: int) -> str:
    return f"COUNT({cells})={n},MAX(ABS({cells}-({expr})))<={TOL}*(1+MAX(ABS({expr})))"


CHUNK = 1500  # characters of one self-check formula at most: far below Excel's 8,192, also once LibreOffice
# has saved it (it writes 1E-9 as 0.000000001)


def rung_checks(r, res, ds) -> list[str]:
    """The rung's self-check as boolean expressions, each (but a single huge step) under CHUNK characters."""
    if r.solver:
        ml = res.layouts[r.solver]
        loss = f"{r.solver}!{cell(*ml.loss_cell, True)}"
        # the loss follows the Params through formulas: the loss cell and each computed column's ends
        formulas = [loss] + [f"{r.solver}!{cell(row, ml.col(c), True)}" for c in ml.model.columns
                             for row in (FIRST_ROW, ml.last_row)]
        parts = [",".join(f"_xlfn.ISFORMULA({x})" for x in formulas)]
        if r.bound is not None:
            parts.append(f"{loss}<={r.bound!r}")
        if r.converged and least_squares(ml.model):  # the optimum is known: within what the grader leaves
            parts.append(f"{loss}<={res.best_linear_loss!r}*(1+{GAIN!r})")
        return [",".join(parts)]
    chunks: list[str] = []
    for sid in r.steps:
        part = ",".join(p for p in (step_check(sid, res), _structure_check(sid, res, r.requires).lstrip(",")) if p)
        if chunks and len(chunks[-1]) + 1 + len(part) <= CHUNK:
            chunks[-1] += "," + part
        else:
            chunks.append(part)
    return chunks


def write_tasks(ws, wb, fm, rungs, res, ds, done: bool, student=None):
    title = wb.add_format({"bold": True, "font_size": 16})
    head = fm["header"]
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    hidden = wb.add_format({"hidden": True, "locked": True, "bold": True, "align": "center", "valign": "top"})
    ws.write_string(0, 0, f"{ds.template.title}: your tasks", title)
    who = f" Workbook of {student[1]} ({student[0]})." if student else ""
    ws.write_string(1, 0, "Fill in the orange cells on the sheets named below, in order; run Solver where a task "
                          f"says so. The last column says done once a task computes what it should.{who}")
    for c, h in enumerate(["#", "Task", "What to compute", "Cells", "Points", "Self-check"]):
        ws.write_string(3, c, h, head)
    helpers = 0
    for i, r in enumerate(rungs):
        row = 4 + i
        ws.write_number(row, 0, i + 1)
        ws.write_string(row, 1, r.name, wrap)
        ws.write_string(row, 2, r.task, wrap)
        where = ", ".join(locate(sid, res).a1() for sid in r.steps if not sid.startswith("solve:")) or \
            ", ".join(a for a in res.layouts[r.solver].params_areas())
        ws.write_string(row, 3, where, wrap)
        ws.write_number(row, 4, r.points)
        parts = rung_checks(r, res, ds)
        yes = solver_words(r, res)  # never "done" where the grader may still say no
        if len(parts) == 1:
            check = f'IFERROR(IF(AND({parts[0]}),"{yes}","not yet"),"not yet")'
        else:  # a long check in hidden helper cells (H, I, ... of this row), each well under the limit
            for j, part in enumerate(parts):
                ws.write_array_formula(row, HELPERS + j, row, HELPERS + j,
                                       '{=IFERROR(IF(AND(' + part + '),"ok","no"),"no")}', hidden, "ok" if done else "no")
            helpers = max(helpers, len(parts))
            check = (f'IF(COUNTIF({cell(row, HELPERS, False)}:{cell(row, HELPERS + len(parts) - 1, False)},"ok")='
                     f'{len(parts)},"{yes}","not yet")')
        ws.write_array_formula(row, 5, row, 5, "{=" + check + "}", hidden, yes if done else "not yet")
    total = 4 + len(rungs)
    ws.write_string(total, 3, "Total", head)
    ws.write_formula(total, 4, f"=SUM(E5:E{total})", head, sum(r.points for r in rungs))
    ws.set_column(0, 0, 4)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 70)
    ws.set_column(3, 3, 34)
    ws.set_column(5, 5, 12)
    if helpers:
        ws.set_column(HELPERS, HELPERS + helpers - 1, None, None, {"hidden": True})
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
