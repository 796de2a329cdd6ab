"""Excel's Solver model as it lives in a workbook: hidden, sheet-scoped defined names.

Values as in the course workbook (see the README's "Solver model" section).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


# ---- reading a stored model back ------------------------------------------------------------------

RELATIONS = {1: "<=", 2: "=", 3: ">=", 4: "int", 5: "bin", 6: "dif"}
ENGINES = {1: "grg", 2: "simplex", 3: "evolutionary"}


@dataclass
class Constraint:
    lhs: str  # cell or range, sheet-qualified
    rel: str  # <=, =, >=, int, bin, dif
    rhs: str | None  # a cell/range, a number, or formula text (None for int/bin/dif)


@dataclass
class SolverModel:
    sheet: str
    objective: str  # sheet-qualified cell
    variables: list  # sheet-qualified cells or ranges
    typ: int = 2  # 1 max, 2 min, 3 value of
    value: float = 0.0
    engine: str = "grg"
    nonneg: bool = False
    constraints: list = field(default_factory=list)
    max_iter: int = MAX_INT
    max_time: float = MAX_INT
    convergence: float = 0.0001
    multistart: bool = False
    seed: int = 0
    population: int = 100

    @property
    def goal(self) -> str:
        return {1: "Max", 2: "Min", 3: f"Value of {self.value:g}"}[self.typ]


def _qualify(ref: str, sheet: str) -> str:
    ref = ref.strip().lstrip("=")
    return ref if "!" in ref else f"{sheet}!{ref}"


def _number(text: str | None, default):
    if text is None:
        return default
    try:
        return float(text.strip().lstrip("="))
    except ValueError:
        return default


def read_model(book, sheet: str) -> SolverModel | None:
    """The Solver model stored in `sheet` (names scoped to it), or None when it has none."""
    def name(n):
        return book.names.get((sheet, n.upper()))

    opt = name("solver_opt")
    if not opt:
        return None
    adj = name("solver_adj") or ""
    areas = [a for a in _split_areas(adj) if a]
    m = SolverModel(sheet=sheet, objective=_qualify(opt, sheet), variables=[_qualify(a, sheet) for a in areas])
    m.typ = int(_number(name("solver_typ"), 2))
    m.value = _number(name("solver_val"), 0.0)
    m.engine = ENGINES.get(int(_number(name("solver_eng"), 1)), "grg")
    m.nonneg = int(_number(name("solver_neg"), 2)) == 1
    m.max_iter = int(_number(name("solver_itr"), MAX_INT))
    m.max_time = _number(name("solver_tim"), MAX_INT)
    m.convergence = _number(name("solver_cvg"), 0.0001)
    m.multistart = int(_number(name("solver_msl"), 2)) == 1
    m.seed = int(_number(name("solver_rsd"), 0))
    m.population = int(_number(name("solver_ssz"), 100))
    for i in range(1, int(_number(name("solver_num"), 0)) + 1):
        lhs, rel, rhs = name(f"solver_lhs{i}"), name(f"solver_rel{i}"), name(f"solver_rhs{i}")
        if lhs is None or rel is None:
            continue
        r = RELATIONS.get(int(_number(rel, 1)), "<=")
        rhs_text = None if r in ("int", "bin", "dif") or rhs is None else rhs.strip().lstrip("=")
        m.constraints.append(Constraint(_qualify(lhs, sheet), r, rhs_text))
    return m


def _split_areas(text: str) -> list[str]:
    """'nnet!$J$4:$S$4,nnet!$J$5:$S$5' -> areas, commas inside quoted sheet names kept."""
    out, cur, quoted = [], "", False
    for ch in text.strip().lstrip("="):
        if ch == "'":
            quoted = not quoted
        if ch == "," and not quoted:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return out
