"""Excel's Solver model as it lives in a workbook: hidden, sheet-scoped defined names.

Values as in the course workbook (see the README's "Solver model" section).
"""

from __future__ import annotations

MAX_INT = 2147483647

# name -> value, in the order Excel lists them; solver_opt and solver_adj are added per sheet.
DEFAULTS = {
    "solver_typ": 2,  # 1 max, 2 min, 3 value of
    "solver_val": 0,
    "solver_eng": 1,  # 1 GRG Nonlinear, 2 Simplex LP, 3 Evolutionary
    "solver_neg": 2,  # 2: variables may be negative
    "solver_num": 0,  # constraints
    "solver_cvg": 0.0001,
    "solver_pre": 0.000001,
    "solver_drv": 1,
    "solver_est": 1,
    "solver_nwt": 1,
    "solver_scl": 1,
    "solver_sho": 2,
    "solver_itr": MAX_INT,
    "solver_tim": MAX_INT,
    "solver_msl": 2,
    "solver_ssz": 100,
    "solver_rsd": 0,
    "solver_rbv": 1,
    "solver_mrt": 0.075,
    "solver_mni": 30,
    "solver_tol": 0.01,
    "solver_rlx": 2,
    "solver_mip": MAX_INT,
    "solver_nod": MAX_INT,
    "solver_ver": 3,
}


def solver_names(objective: str, variables: str) -> dict[str, str]:
    """The defined names (value as the formula text Excel stores) for one sheet's Solver model."""
    names = {"solver_opt": objective, "solver_adj": variables}
    names.update({k: repr(v) if isinstance(v, float) else str(v) for k, v in DEFAULTS.items()})
    return names
