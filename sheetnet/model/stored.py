"""The model descriptions a workbook carries, and the recogniser that reads a model sheet back.

`sheetnet build` writes every model sheet's description (and the data sheet's: target, features,
rows) as JSON text on a hidden sheet named "sheetnet".  check, train, compare and the solver's
fast route read it back: the description says where every column and param sits, and the model
is only trusted after `verify` shows its numbers equal the sheet's own formulas, at the sheet's
params and at another point.  A sheet without a description, or whose formulas compute something
else, is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import SheetnetError
from .graph import Model
from .layout import DESCRIPTION_SHEET, FIRST_ROW, HEADER_ROW, ModelLayout

if TYPE_CHECKING:  # the engine loads where a workbook is read, not where one is built
    from ..engine import Engine

FORMAT = "sheetnet model description v1"
MAX_TEXT = 32767


def description_rows(data: dict, models: list[Model]) -> list[list[str]]:
    """The hidden sheet's rows: a title, the data sheet's description, then one row per model."""
    rows = [[FORMAT, "Read by sheetnet check, solve, train and grade. Editing it makes them refuse the workbook."],
            ["data", json.dumps(data, separators=(",", ":"))]]
    rows += [[m.name, m.to_json()] for m in models]
    for r in rows:
        if len(r[1]) > MAX_TEXT:
            raise SheetnetError(f"model {r[0]}: its description is longer than a cell holds ({len(r[1])} characters)")
    return rows


def read_descriptions(eng: Engine) -> tuple[dict, dict]:
    """(data description, {sheet: Model}) from a workbook's hidden sheet; ({}, {}) when it has none."""
    s = eng.index.get(DESCRIPTION_SHEET)
    if s is None or eng.get("A1", sheet=DESCRIPTION_SHEET) != FORMAT:
        return {}, {}
    data, models = {}, {}
    for r in range(1, 200):
        name, text = eng.get(f"A{r + 1}", sheet=DESCRIPTION_SHEET), eng.get(f"B{r + 1}", sheet=DESCRIPTION_SHEET)
        if not isinstance(name, str) or not isinstance(text, str):
            break
        if name == "training":  # the unrolled optimizer sheets (read by training_sheets)
            continue
        if name == "data":
            try:
                data = json.loads(text)
            except ValueError:
                raise SheetnetError(f"sheet {DESCRIPTION_SHEET}: the data description is not readable") from None
            continue
        try:
            models[name] = Model.from_json(text)
        except SheetnetError as e:
            raise SheetnetError(f"sheet {DESCRIPTION_SHEET}, row {r + 1}: {e}") from None
    return data, models


@dataclass
class LessonSheet:
    sheet: str
    model: Model
    layout: ModelLayout
    X: np.ndarray  # (rows, features) as the workbook computes them
    y: np.ndarray
    cells: list  # (sheet index, row, col) of the params, in the order the caller reads them
    order: np.ndarray  # theta = x[order] for x in the callers' order

    @property
    def feature_names(self) -> list:
        return list(self.model.features)

    def to_theta(self, x) -> np.ndarray:
        return np.asarray(x, float)[..., self.order]

    def from_theta(self, theta) -> np.ndarray:
        out = np.empty_like(np.asarray(theta, float))
        out[..., self.order] = theta
        return out

    def params(self, eng: Engine) -> np.ndarray:
        """theta as the workbook holds it now."""
        return self.to_theta([eng.number(s, r, c) for s, r, c in self.cells])

    @property
    def canonical_order(self) -> np.ndarray | None:
        return None if np.array_equal(self.order, np.arange(len(self.order))) else self.order


def find(eng: Engine, sheet: str, param_cells=None, descriptions=None) -> LessonSheet | None:
    """The lesson model on `sheet` as its stored description lays it out, or None when it has none or
    the sheet does not look like it.  `param_cells`: the order the caller reads the params in."""
    data, models = descriptions if descriptions is not None else read_descriptions(eng)
    m = models.get(sheet)
    s = eng.index.get(sheet)
    ds = eng.index.get(data.get("sheet", "data"))
    if m is None or s is None or ds is None:
        return None
    try:
        n = int(data["rows"])
        f0, f1 = (int(v) for v in data["features"])
        target_col = int(data["target"])
    except (KeyError, TypeError, ValueError):
        return None
    ml = ModelLayout(m, n, (f0, f1), target_col)
    heads = eng.get(f"A{HEADER_ROW + 1}:{_col(len(ml.columns) - 1)}{HEADER_ROW + 1}", sheet=sheet)[0]
    if list(heads) != list(ml.columns):
        return None
    names = eng.get(f"{_col(f0)}{HEADER_ROW + 1}:{_col(f1)}{HEADER_ROW + 1}", sheet=eng.sheets[ds])[0]
    if list(names) != list(m.features):
        return None
    X = eng.numbers(ds, FIRST_ROW, f0, FIRST_ROW + n - 1, f1)
    y = eng.numbers(s, FIRST_ROW, 0, FIRST_ROW + n - 1, 0)[:, 0]
    if X.shape != (n, len(m.features)) or y.shape != (n,):
        return None
    canonical = [(s, r, c) for r, c in ml.param_cells()]
    cells = list(param_cells) if param_cells is not None else [(s, r, c) for r, c in ml.reading_cells()]
    where = {rc: i for i, rc in enumerate(cells)}
    if len(cells) != len(canonical) or set(where) != set(canonical):
        return None
    order = np.array([where[rc] for rc in canonical])
    return LessonSheet(sheet, m, ml, X, y, cells, order)


def _col(c: int) -> str:
    from .layout import col_name
    return col_name(c)


def verify(eng: Engine, ls: LessonSheet, tries=2, tol=1e-12) -> bool:
    """Do the model's numbers equal the sheet's, at the current params and at one other point?"""
    s = eng.index[ls.sheet]
    r_loss, c_loss = ls.layout.loss_cell
    x0 = np.array([eng.number(si, r, c) for si, r, c in ls.cells])
    rows = np.array([r for _, r, _ in ls.cells])
    cols = np.array([c for _, _, c in ls.cells])
    rng = np.random.default_rng(12345)
    ok = True
    for k in range(tries):
        x = x0 if k == 0 else x0 + rng.uniform(-0.3, 0.3, x0.size)
        eng.set_many(s, rows, cols, x)
        v = eng.value_at(s, r_loss, c_loss)
        want = ls.model.loss(ls.X, ls.y, ls.to_theta(x))
        if not isinstance(v, float) or not abs(v - want) <= tol * max(1.0, abs(v)):
            ok = False
            break
    eng.set_many(s, rows, cols, x0)
    return ok


def lesson_sheets(eng: Engine) -> list[LessonSheet]:
    """Every sheet laid out as its stored description says (whether or not its formulas still compute it)."""
    desc = read_descriptions(eng)
    return [ls for ls in (find(eng, s, descriptions=desc) for s in desc[1]) if ls is not None]


def default_sheet(eng: Engine) -> str:
    """The model sheet a command takes when none is named: nnet when the workbook has one, else its first."""
    names = list(read_descriptions(eng)[1])
    if not names:
        raise SheetnetError("no sheetnet model description in this workbook (built by sheetnet build?)")
    return "nnet" if "nnet" in names else names[0]


def require(eng: Engine, sheet: str) -> LessonSheet:
    desc = read_descriptions(eng)
    if not desc[1]:
        raise SheetnetError("no sheetnet model description in this workbook (built by sheetnet build?)")
    if sheet not in desc[1]:
        raise SheetnetError(f"sheet {sheet} is not a model sheet (model sheets: {', '.join(desc[1])})")
    ls = find(eng, sheet, descriptions=desc)
    if ls is None:
        raise SheetnetError(f"sheet {sheet} is not laid out as its description says (columns or params moved?)")
    if not verify(eng, ls):
        raise SheetnetError(f"sheet {sheet}: its formulas do not compute the model its description says (edited?)")
    return ls
