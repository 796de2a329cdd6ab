"""Where everything sits in the lesson workbook, shared by the writer and every reader.

As in the course's workbook: row 1 holds totals (MAX, Loss, Accuracy), row 3 the headers, and
the data rows start at row 4 on every sheet, so row r means the same passenger on every sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .models import Model
from .template import Template

TOTAL_ROW = 0  # 0-based: Excel row 1
NOTE_ROW = 1  # Excel row 2
HEADER_ROW = 2  # Excel row 3
FIRST_ROW = 3  # Excel row 4
DATA_SHEET = "data"
ABOUT_SHEET = "About"


def cell(row: int, col: int, absolute: bool = False) -> str:
    return xl_rowcol_to_cell(row, col, absolute, absolute)


def col_name(col: int) -> str:
    return xl_col_to_name(col)


@dataclass(frozen=True)
class DataColumn:
    name: str
    role: str  # "target" | "input" | "feature" | "info"
    feature: object = None  # template Feature for role "feature"


@dataclass(frozen=True)
class DataLayout:
    """The data sheet: target, raw inputs, the feature block (contiguous), then info columns."""

    columns: tuple[DataColumn, ...]
    n: int  # data rows

    @classmethod
    def of(cls, template: Template, n: int) -> DataLayout:
        value_feats = {f.column for f in template.features if f.transform == "value"}
        cols = [DataColumn(template.target, "target")]
        cols += [DataColumn(c, "input") for c in template.inputs if c not in value_feats and c != template.target]
        cols += [DataColumn(f.name, "feature", f) for f in template.features]
        cols += [DataColumn(c, "info") for c in template.info]
        return cls(tuple(cols), n)

    @property
    def last_row(self) -> int:
        return FIRST_ROW + self.n - 1

    def index(self, name: str) -> int:
        for i, c in enumerate(self.columns):
            if c.name == name:
                return i
        raise KeyError(name)

    def source_col(self, column: str) -> int:
        """Where a raw CSV column sits (a `value` feature holds its own column's raw values)."""
        for i, c in enumerate(self.columns):
            if c.role in ("target", "input", "info") and c.name == column:
                return i
            if c.role == "feature" and c.feature.transform == "value" and c.feature.column == column:
                return i
        raise KeyError(column)

    @property
    def feature_cols(self) -> tuple[int, int]:
        idx = [i for i, c in enumerate(self.columns) if c.role == "feature"]
        return idx[0], idx[-1]

    def column_range(self, col: int, absolute=True) -> str:
        return f"{cell(FIRST_ROW, col, absolute)}:{cell(self.last_row, col, absolute)}"

    def feature_block(self) -> str:
        a, b = self.feature_cols
        return f"{DATA_SHEET}!{cell(FIRST_ROW, a, True)}:{cell(self.last_row, b, True)}"

    def feature_row_template(self) -> str:
        """The features of one row, {r} standing for the row number: data!$G{r}:$P{r}."""
        a, b = self.feature_cols
        return f"{DATA_SHEET}!${col_name(a)}{{r}}:${col_name(b)}{{r}}"


@dataclass(frozen=True)
class ModelLayout:
    """A model sheet: Survived, one column per step, a gap, then the Params block."""

    model: Model
    n: int

    @property
    def sheet(self) -> str:
        return self.model.name

    @property
    def columns(self) -> tuple[str, ...]:
        return ("Survived", *(s.name for s in self.model.steps))

    def col(self, name: str) -> int:
        return self.columns.index(name)

    @property
    def last_row(self) -> int:
        return FIRST_ROW + self.n - 1

    @property
    def params_col(self) -> int:
        """The column of the params block's row labels (the block's values start one to the right)."""
        return len(self.columns) + 1

    def param_cell(self, k: int, j: int) -> tuple[int, int]:
        """(row, col) of W[k, j]: rows of params for linear/nnet, a features x hidden block for mmult."""
        c0 = self.params_col + 1
        if self.model.kind == "mmult":
            return FIRST_ROW + j, c0 + k
        return FIRST_ROW + k, c0 + j

    def params_range(self) -> str:
        h, f = self.model.param_shape
        r0, c0 = self.param_cell(0, 0)
        r1, c1 = self.param_cell(h - 1, f - 1)
        return f"{cell(r0, c0, True)}:{cell(r1, c1, True)}"

    def param_row_range(self, k: int) -> str:
        r0, c0 = self.param_cell(k, 0)
        r1, c1 = self.param_cell(k, self.model.n_features - 1)
        return f"{cell(r0, c0, True)}:{cell(r1, c1, True)}"

    def column_range(self, name: str, absolute=False) -> str:
        c = self.col(name)
        return f"{cell(FIRST_ROW, c, absolute)}:{cell(self.last_row, c, absolute)}"

    # totals in row 1: A1 "Loss", B1 value, C1 "Accuracy", D1 value
    loss_cell = (TOTAL_ROW, 1)
    accuracy_cell = (TOTAL_ROW, 3)

    def loss_ref(self) -> str:
        return f"{self.sheet}!{cell(*self.loss_cell, True)}"

    def params_ref(self) -> str:
        return f"{self.sheet}!{self.params_range()}"
