"""Where everything sits on a lesson sheet, shared by the writer and every reader.

As in the course's workbook: row 1 holds totals (MAX, Loss, Accuracy), row 3 the headers, and
the data rows start at row 4 on every sheet, so row r means the same passenger on every sheet.

A model sheet: the target in A, then every step's columns, a gap, then the Params blocks (stacked,
a blank row between them).  Totals sit in row 1: A1 "Loss", B1 its value, C1 "Accuracy", D1 ...
"""

from __future__ import annotations

from dataclasses import dataclass

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .graph import FEATURES, Model, Param

TOTAL_ROW = 0  # 0-based: Excel row 1
NOTE_ROW = 1  # Excel row 2
HEADER_ROW = 2  # Excel row 3
FIRST_ROW = 3  # Excel row 4
DATA_SHEET = "data"
ABOUT_SHEET = "About"
DESCRIPTION_SHEET = "sheetnet"  # hidden: the model descriptions, read back by check, solve, train, grade


def cell(row: int, col: int, absolute: bool = False) -> str:
    return xl_rowcol_to_cell(row, col, absolute, absolute)


def col_name(col: int) -> str:
    return xl_col_to_name(col)


@dataclass(frozen=True)
class Ref:
    """How a formula reads one input: per row ({r} for the row number) and as whole columns."""

    cols: tuple  # each column of the input, this row: ("D{r}", "E{r}")
    block: str  # the input's columns of this row as one range: "$D{r}:$E{r}"
    whole: str  # every row: "$D$4:$E$715"
    rel_whole: str = ""  # every row, relative ("D4:D715"), as the totals write it
    col_wholes: tuple = ()  # each column, every row
    aux: str = ""  # a helper cell the op uses (div_max: the MAX in row 1)
    first_row: str = ""


@dataclass(frozen=True)
class PRef:
    """How a formula reads a params block."""

    weights: tuple  # per unit, its weights: "$F$4:$O$4" (rows) or "$J$4:$J$13" (transposed)
    bias: tuple  # per unit, its bias cell (empty when the block has none)
    block: str  # the displayed weights block
    bias_row: str  # the displayed bias cells (a row under the block when transposed, else a column)
    transposed: bool


def column_ref(sheet_prefix: str, cols: list[int], first: int, last: int) -> Ref:
    """A Ref for columns `cols` (contiguous), data rows first..last (0-based)."""
    p = sheet_prefix
    a, b = cols[0], cols[-1]
    names = [col_name(c) for c in cols]
    return Ref(cols=tuple(f"{p}{n}{{r}}" for n in names),
               block=f"{p}${col_name(a)}{{r}}:${col_name(b)}{{r}}",
               whole=f"{p}{cell(first, a, True)}:{cell(last, b, True)}",
               rel_whole=f"{p}{cell(first, a)}:{cell(last, b)}",
               col_wholes=tuple(f"{p}{cell(first, c, True)}:{cell(last, c, True)}" for c in cols),
               first_row=f"{p}{cell(first, a, True)}:{cell(first, b, True)}")


@dataclass(frozen=True)
class ModelLayout:
    model: Model
    n: int  # data rows
    data_features: tuple = (0, 0)  # first and last column of the features on the data sheet
    data_target: int = 0  # the target's column on the data sheet

    @property
    def sheet(self) -> str:
        return self.model.name

    @property
    def columns(self) -> tuple:
        return (self.model.target, *self.model.columns)

    def col(self, name: str) -> int:
        return self.columns.index(name)

    @property
    def last_row(self) -> int:
        return FIRST_ROW + self.n - 1

    # ---- totals ---------------------------------------------------------------------------------

    def total_cell(self, name: str) -> tuple[int, int]:
        """(row, col) of a total's value: the k-th total sits in row 1, column 2k+1 (B1, D1, ...)."""
        k = [s.name for s in self.model.totals].index(name)
        return TOTAL_ROW, 2 * k + 1

    @property
    def loss_cell(self) -> tuple[int, int]:
        return self.total_cell(self.model.loss_step)

    def loss_ref(self) -> str:
        return f"{self.sheet}!{cell(*self.loss_cell, True)}"

    # ---- params blocks ------------------------------------------------------------------------

    @property
    def params_col(self) -> int:
        """The column of the params blocks' row labels (a block's values start one to the right)."""
        return len(self.columns) + 1

    def block_origin(self, name: str) -> int:
        """The header row of a params block (0-based); its first values row is one below."""
        r = HEADER_ROW
        for p in self.model.params:
            if p.name == name:
                return r
            r += 1 + self.shown_shape(p)[0] + 1
        raise KeyError(name)

    def shown_shape(self, p: Param) -> tuple[int, int]:
        """(rows, cols) of a block as displayed: units x inputs(+bias), transposed for MMULT."""
        h, w = p.shape
        return (w, h) if self.model.mmult else (h, w)

    def param_cell(self, p: Param, unit: int, j: int) -> tuple[int, int]:
        """(row, col) of the param of `unit` for input j (j = p.inputs: the bias)."""
        r0, c0 = self.block_origin(p.name) + 1, self.params_col + 1
        return (r0 + j, c0 + unit) if self.model.mmult else (r0 + unit, c0 + j)

    def block_range(self, p: Param) -> tuple[int, int, int, int]:
        r0, c0 = self.block_origin(p.name) + 1, self.params_col + 1
        h, w = self.shown_shape(p)
        return r0, c0, r0 + h - 1, c0 + w - 1

    def param_cells(self) -> list[tuple[int, int]]:
        """Every param's (row, col), in theta's order (blocks in turn, each unit's row)."""
        out = []
        for p in self.model.params:
            for u in range(p.units):
                out += [self.param_cell(p, u, j) for j in range(p.inputs + int(p.bias))]
        return out

    def reading_cells(self) -> list[tuple[int, int]]:
        """Every param's (row, col) in reading order (Solver's order: block by block, row by row)."""
        out = []
        for p in self.model.params:
            r0, c0, r1, c1 = self.block_range(p)
            out += [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
        return out

    def params_areas(self) -> list[str]:
        out = []
        for p in self.model.params:
            r0, c0, r1, c1 = self.block_range(p)
            out.append(f"{self.sheet}!{cell(r0, c0, True)}:{cell(r1, c1, True)}")
        return out

    def pref(self, p: Param, prefix: str = "") -> PRef:
        """How formulas read a params block (`prefix`: "sheet!" when read from another sheet)."""
        c = lambda rc: cell(*rc, True)  # noqa: E731
        k = p.inputs
        weights = tuple(f"{prefix}{c(self.param_cell(p, u, 0))}:{c(self.param_cell(p, u, k - 1))}" if k > 1
                        else prefix + c(self.param_cell(p, u, 0)) for u in range(p.units))
        bias = tuple(prefix + c(self.param_cell(p, u, k)) for u in range(p.units)) if p.bias else ()
        block = f"{prefix}{c(self.param_cell(p, 0, 0))}:{c(self.param_cell(p, p.units - 1, k - 1))}"
        bias_row = f"{prefix}{c(self.param_cell(p, 0, k))}:{c(self.param_cell(p, p.units - 1, k))}" if p.bias else ""
        return PRef(weights, bias, block, bias_row, self.model.mmult)

    # ---- inputs -------------------------------------------------------------------------------

    def ref(self, name: str, prefix: str = "") -> Ref:
        """How this sheet's formulas read `name`: the features (data sheet), the target or a step
        (`prefix`: "sheet!" when read from another sheet)."""
        if name == FEATURES:
            a, b = self.data_features
            return column_ref(f"{DATA_SHEET}!", list(range(a, b + 1)), FIRST_ROW, self.last_row)
        if name == self.model.target:
            return column_ref(prefix, [0], FIRST_ROW, self.last_row)
        step = self.model.step(name)
        return column_ref(prefix, [self.col(c) for c in step.columns], FIRST_ROW, self.last_row)

    def column_range(self, name: str, absolute=False) -> str:
        c = self.col(name)
        return f"{cell(FIRST_ROW, c, absolute)}:{cell(self.last_row, c, absolute)}"


@dataclass(frozen=True)
class DataColumn:
    name: str
    role: str  # "target" | "input" | "feature" | "info"
    feature: object = None  # template Feature for role "feature"


@dataclass(frozen=True)
class DataLayout:
    """The data sheet: target, raw inputs, the feature block (contiguous), then info columns."""

    columns: tuple
    n: int  # data rows

    @classmethod
    def of(cls, template, n: int) -> DataLayout:
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

    def source_ref(self, column: str) -> Ref:
        """A raw column as a feature formula reads it (with the MAX cell of row 1 as its helper)."""
        c = self.source_col(column)
        r = column_ref("", [c], FIRST_ROW, self.last_row)
        return Ref(r.cols, r.block, r.whole, r.rel_whole, r.col_wholes, aux=cell(TOTAL_ROW, c, True),
                   first_row=r.first_row)
