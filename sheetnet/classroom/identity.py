"""Who handed a workbook in, and whose work it is: the student property, every data column's row order
(each personal workbook shuffles its rows its own way), the starting Params, the teacher's solution,
and a fingerprint of the formulas for the class's copies check."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..model.layout import FIRST_ROW, HEADER_ROW
from .key import Key
from .reference import cell_text, column_sha, values


def identify(eng, key: Key, g, path: Path):
    from .feedback import student_property

    sid = student_property(path)
    data_s = eng.index["data"]
    col = next((c["col"] for c in key.d["raw"] if c["name"] == key.d["fingerprint_column"]), None)
    owner = None
    if col is None:  # an info column: find it by its header
        for c in range(0, 64):
            if eng.value_at(data_s, HEADER_ROW, c) == key.d["fingerprint_column"]:
                col = c
                break
    if col is not None:
        vals = values(eng, data_s, (FIRST_ROW, col, FIRST_ROW + key.rows - 1, col))[:, 0]
        text = "\n".join(cell_text(v) for v in vals)
        owner = key.by_rows.get(hashlib.sha256(text.encode()).hexdigest())
    stem = path.stem
    g.student = sid or (owner["id"] if owner else None) or (stem if stem in key.students else None)
    info = key.students.get(g.student)
    g.name = info["name"] if info else None
    if owner is not None and owner["id"] and g.student and owner["id"] != g.student:
        g.flags.append(f"rows belong to {owner['id']}'s workbook")
    if stem in key.students and g.student and stem != g.student:
        g.flags.append(f"handed in as {stem} but it is {g.student}'s workbook")
    if key.students and owner is None:
        g.flags.append("rows match no student's workbook (re-sorted or edited?)")
    if key.students and g.student and g.student not in key.students:
        g.flags.append(f"{g.student} is not on the roster")
    for name, ml in key.layouts.items():  # params still at another student's start
        s = eng.index[name]
        theta = np.array([eng.number(s, r, c) for r, c in ml.param_cells()])
        for other in key.students.values():
            if other["id"] != g.student and np.array_equal(theta, np.asarray(other["params"].get(name, []))):
                g.flags.append(f"{name} params are {other['id']}'s")
    _column_owners(eng, key, g, data_s)
    if student_property(path, "sheetnet workbook") == "solution":
        g.flags.append("this is the teacher's solution workbook (its properties say so)")


def _column_owners(eng, key: Key, g, data_s: int):
    """Whose row order each data column is in: a personal workbook's rows are shuffled its own way, so a
    copy with a few columns pasted over (an id, the names) keeps its source's order everywhere else."""
    entries = [st for st in key.d["students"] if st.get("id") and st.get("columns_sha")]
    if len(entries) < 2:
        return
    headers = {}
    for c in range(min(eng.grids[data_s].num.shape[1], 4096)):
        v = eng.value_at(data_s, HEADER_ROW, c)
        if isinstance(v, str):
            headers.setdefault(v, c)
    owners: dict = {}
    for name in entries[0]["columns_sha"]:
        c = headers.get(name)
        if c is None:
            continue
        sha = column_sha(values(eng, data_s, (FIRST_ROW, c, FIRST_ROW + key.rows - 1, c))[:, 0])
        who = [st["id"] for st in entries if st["columns_sha"].get(name) == sha]
        if len(who) == 1:  # a column the same for several students (all one value) says nothing
            owners.setdefault(who[0], []).append(name)
    if len(owners) > 1:
        parts = [f"{', '.join(cols)} in {sid}'s" for sid, cols in sorted(owners.items(), key=lambda x: -len(x[1]))]
        g.flags.append("the data columns are in two students' row orders: " + "; ".join(parts) +
                       " (a copy with some columns pasted over?)")
    elif owners:
        (sid, cols), = owners.items()
        flag = f"rows belong to {sid}'s workbook"
        if g.student and sid != g.student and flag not in g.flags:
            g.flags.append(flag)


def formula_fingerprint(eng, key) -> str:
    h = hashlib.sha256()
    for sid, sc in sorted(key.steps.items()):
        s = eng.index[sc.sheet]
        for r, c in sc.cells()[:3] + sc.cells()[-2:]:
            h.update(f"{sid}|{eng.formula_text(s, r, c)}|{eng.value_at(s, r, c)!r}\n".encode())
    return h.hexdigest()
