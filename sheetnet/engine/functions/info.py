"""What a value or a reference is: TYPE, ERROR.TYPE, SHEET, SHEETS, ADDRESS, AREAS, CELL."""

from __future__ import annotations

import math
import re

import numpy as np

from ..address import a1 as cell_a1
from ..values import BLANK, BOOL, ERR, NUM, TEXT, EngineError, ErrorCode, V
from .registry import fn, is_reference
from .text import CellError, as_number, as_text, elementwise, from_python

NA, VALUE = "#N/A", "#VALUE!"
_ERROR_NUMBERS = {"#NULL!": 1, "#DIV/0!": 2, "#VALUE!": 3, "#REF!": 4, "#NAME?": 5, "#NUM!": 6, "#N/A": 7,
                  "#GETTING_DATA": 8, "#SPILL!": 9, "#CONNECT!": 10, "#BLOCKED!": 11, "#UNKNOWN!": 12, "#FIELD!": 13,
                  "#CALC!": 14}


@fn("TYPE", 1, 1, mode="lazy")
def f_type(nodes, ctx):
    node = nodes[0]
    if is_reference(node, ctx):
        boxes = ctx.boxes(node)
        if any((b[3] - b[1] + 1) * (b[4] - b[2] + 1) > 1 for b in boxes):
            return V(np.full((len(boxes), 1, 1), 16.0))  # a range where one value is wanted: Excel's #VALUE!, 16
    v = ctx.eval(node, scalar=False, array=True)
    if v.shape[1:] != (1, 1):
        return V(np.full((v.shape[0], 1, 1), 64.0))
    t = v.types()[:, 0, 0]
    code = np.select([t == TEXT, t == BOOL, t == ERR], [2.0, 4.0, 16.0], 1.0)
    return V(code.reshape(-1, 1, 1))


@fn("ERROR.TYPE", 1, 1)
def f_error_type(args):
    v = args[0]
    t, o = v.types(), v.objs()
    num = np.full(v.shape, np.nan)
    typ = np.full(v.shape, ERR, np.uint8)
    obj = np.full(v.shape, NA, object)
    for idx in np.ndindex(v.shape):
        if t[idx] == ERR and o[idx] in _ERROR_NUMBERS:
            num[idx], typ[idx], obj[idx] = float(_ERROR_NUMBERS[o[idx]]), NUM, None
    return V(num, typ, obj)


@fn("SHEET", 0, 1, mode="lazy")
def f_sheet(nodes, ctx):
    if not nodes or nodes[0][0] == "missing":
        return V(np.full((ctx.k, 1, 1), float(ctx.g.sheet + 1)))
    if is_reference(nodes[0], ctx):
        return V(np.array([b[0] + 1 for b in ctx.boxes(nodes[0])], float).reshape(-1, 1, 1))
    names = {s.upper(): i for i, s in enumerate(ctx.eng.sheets)}

    def f(v):
        if v[0] != TEXT:
            raise CellError(VALUE)
        i = names.get(v[2].upper())
        if i is None:
            raise CellError(NA)
        return float(i + 1)
    return elementwise([ctx.eval(nodes[0])], f)


@fn("SHEETS", 0, 1, mode="lazy")
def f_sheets(nodes, ctx):
    if not nodes or nodes[0][0] == "missing":
        return V(np.full((ctx.k, 1, 1), float(len(ctx.eng.sheets))))
    if is_reference(nodes[0], ctx):
        return V(np.ones((len(ctx.boxes(nodes[0])), 1, 1)))
    return V.errors((ctx.k, 1, 1), VALUE)


def _quoted(sheet: str) -> str:
    return sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else "'" + sheet.replace("'", "''") + "'"


def _address(row, col, abs_num=None, a1=None, sheet=None):
    r, c = math.trunc(as_number(row)), math.trunc(as_number(col))
    kind = math.trunc(as_number(abs_num)) if abs_num is not None and abs_num[0] != BLANK else 1
    style_a1 = a1 is None or a1[0] == BLANK or as_number(a1) != 0
    if not (1 <= r <= 1_048_576 and 1 <= c <= 16_384) or kind not in (1, 2, 3, 4):
        raise CellError(VALUE)
    if style_a1:
        letters = cell_a1(0, c - 1)[:-1]
        text = ("$" if kind in (1, 3) else "") + letters + ("$" if kind in (1, 2) else "") + str(r)
    else:
        text = (f"R{r}" if kind in (1, 2) else f"R[{r}]") + (f"C{c}" if kind in (1, 3) else f"C[{c}]")
    if sheet is not None and sheet[0] != BLANK:
        name = as_text(sheet)
        text = (_quoted(name) + "!" if name else "!") + text
    return text


@fn("ADDRESS", 2, 5)
def f_address(args):
    return elementwise(args, _address)


@fn("AREAS", 1, 1, mode="lazy")
def f_areas(nodes, ctx):
    if not is_reference(nodes[0], ctx):
        return V.errors((ctx.k, 1, 1), VALUE)
    return V(np.ones((len(ctx.boxes(nodes[0])), 1, 1)))



@fn("CELL", 1, 2, mode="lazy")
def f_cell(nodes, ctx):
    """CELL's address, row, col, contents and type of a reference's top-left cell; what it says about the
    file, formats and the cell selected in the window is refused, not guessed."""
    info = ctx.eval(nodes[0])
    kinds = {str(o).lower() for t, o in zip(info.types().ravel(), info.objs().ravel()) if t == TEXT}
    if len(kinds) != 1 or info.types().ravel()[0] != TEXT:
        return V.errors((ctx.k, 1, 1), VALUE)
    kind = kinds.pop()
    if len(nodes) < 2 or nodes[1][0] == "missing" or not is_reference(nodes[1], ctx):
        raise EngineError(f'CELL("{kind}") without a reference means the cell selected in Excel\'s window; refused')
    if kind not in ("address", "row", "col", "contents", "type"):
        raise EngineError(f'CELL("{kind}") is not supported (address, row, col, contents and type are); refused')
    out = []
    for s, r0, c0, _, _ in ctx.boxes(nodes[1]):
        if kind == "row":
            out.append(float(r0 + 1))
        elif kind == "col":
            out.append(float(c0 + 1))
        elif kind == "address":
            here = "$" + cell_a1(r0, c0).rstrip("0123456789") + "$" + str(r0 + 1)
            out.append(here if s == ctx.g.sheet else f"{_quoted(ctx.eng.sheets[s])}!{here}")
        else:
            v = ctx.read(s, r0, c0, r0, c0)
            t = v.types().ravel()[0]
            if kind == "type":
                out.append("b" if t == BLANK else "l" if t == TEXT else "v")
            else:
                out.append(ErrorCode(v.objs().ravel()[0]) if t == ERR else v.objs().ravel()[0] if t == TEXT else
                           None if t == BLANK else bool(v.num.ravel()[0]) if t == BOOL else float(v.num.ravel()[0]))
    return from_python(np.array(out, object).reshape(-1, 1, 1))
