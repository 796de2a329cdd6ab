"""The op table's entry type and the table itself (sheetnet.model.ops fills it; see its docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Op:
    name: str
    kind: str  # "map" (columns from columns), "layer" (columns from a block and params), "lookup" (a params row
    #            per id), "total", "feature"
    doc: str  # the formula in words, for the About and Tasks sheets
    formula: Callable
    forward: Callable
    backward: Callable | None = None
    torch: Callable | None = None
    whole: Callable | None = None
    units: Callable | None = None  # units(inputs' widths, arg): output columns (default: the first input's)
    needs_target: bool = False  # the last input is the target column (no gradient flows into it)
    binary: bool = False  # needs 0/1 targets
    dformula: Callable | None = None  # a loss: its derivative in the prediction, dformula(pred, target) (text)
    fits: Callable | None = None  # a layer: fits(param, input width, columns, arg) when not units x inputs


OPS: dict[str, Op] = {}


def _register(*ops):
    for op in ops:
        OPS[op.name] = op


def ones_col(ref) -> str:
    """A K x 1 column of ones for MMULT: the row sums of a block with K columns (ref: a layout Ref)."""
    return f"TRANSPOSE(COLUMN({ref.first_row})^0)"


def sum_columns(cols):
    """Left-to-right sum of columns, the order a spreadsheet's =A+B+C adds in."""
    total = cols[0]
    for c in cols[1:]:
        total = total + c
    return total
