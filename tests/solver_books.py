"""Small workbooks with Solver models stored the way Excel stores them, for solve tests."""

import xlsxwriter

from sheetnet.solver.names import DEFAULTS

from .helpers import write_cells


def solver_book(path, cells: dict, model: dict, sheet="s", extra=None, in_memory=True):
    """cells: {"A1": value or "=formula"}; model: solver_* overrides (opt, adj, typ, eng, neg, constraints)."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": not in_memory})
    ws = wb.add_worksheet(sheet)
    write_cells(ws, cells)
    names = {**{k: str(v) for k, v in DEFAULTS.items()}}
    cons = model.pop("constraints", [])
    names.update({f"solver_{k}": str(v) for k, v in model.items()})
    names["solver_num"] = str(len(cons))
    for i, (lhs, rel, rhs) in enumerate(cons, 1):
        names[f"solver_lhs{i}"] = f"{sheet}!{lhs}"
        names[f"solver_rel{i}"] = str({"<=": 1, "=": 2, ">=": 3, "int": 4, "bin": 5}[rel])
        names[f"solver_rhs{i}"] = rhs if isinstance(rhs, str) and not rhs.replace(".", "").lstrip("-").isdigit() \
            else str(rhs)
    for k, v in names.items():
        if k in ("solver_opt", "solver_adj") or k.startswith("solver_lhs") or (k.startswith("solver_rhs") and "$" in v):
            v = v if "!" in v else f"{sheet}!{v}"
        wb.define_name(f"{sheet}!{k}", f"={v}")
        wb.defined_names[-1][3] = True
    if extra:
        extra(wb, ws)
    wb.close()
    return path
