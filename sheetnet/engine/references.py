"""A formula's references resolved while it is parsed, for the first cell of a group: sheet-qualified and
quoted names, A1/$A$1, ranges, whole rows and columns, defined names (sheet scope first, a LAMBDA among them)
and Excel Table structured references.  A defined name's formula is parsed where it is used
(sheetnet.engine.parse)."""

from __future__ import annotations

import re

from . import parse as parsing
from .graph import walk
from .address import MAX_COLS, MAX_ROWS, col_index
from .values import ERRORS, REF, EngineError

A1_PART = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})$")
COL_PART = re.compile(r"^(\$?)([A-Za-z]{1,3})$")
ROW_PART = re.compile(r"^(\$?)([0-9]{1,7})$")
TABLE_REF = re.compile(r"^([A-Za-z_\\][A-Za-z0-9_.\\]*)\[(.*)\]$", re.S)
_EXTERNAL = re.compile(r"^'?\[[^\]]*\][^\[]*!")  # [Book.xlsx]Sheet1!A1, '[1]Sheet 1'!A1
_EXTERNAL_INDEX = re.compile(r"^'?\[\d+\]")


def _split_sheet(text: str):
    if "!" not in text:
        return None, text
    if text.startswith("'"):
        end = text.index("'!", 1) if "'!" in text else -1
        if end < 0:
            raise ValueError(text)
        return text[1:end].replace("''", "'"), text[end + 2:]
    sheet, _, rest = text.rpartition("!")
    return sheet, rest


def reference(text: str, ctx):
    """A RANGE operand: cell/range/whole row or column, maybe sheet-qualified; a name; a table ref."""
    if "[" in text:  # (another workbook, or a table)
        if _EXTERNAL.match(text) or _EXTERNAL_INDEX.match(text):
            raise EngineError(f"{ctx.at()}: reference to another workbook ({text}) is not supported; refused")
        if text.startswith("[") and text.endswith("]"):  # a table's own column, written inside the table
            t = _table_at(ctx)
            if t is None:
                raise EngineError(f"{ctx.at()}: structured reference {text} outside any table")
            return table_reference(t.name, text[1:-1], ctx)
        m = TABLE_REF.match(text)
        if m and "!" not in text.split("[", 1)[0]:
            return table_reference(m.group(1), m.group(2), ctx)
    try:
        sheet, rest = _split_sheet(text)
    except ValueError:
        raise EngineError(f"{ctx.at()}: cannot read reference {text!r}") from None
    if sheet is not None and sheet.startswith("["):
        raise EngineError(f"{ctx.at()}: reference to another workbook ({text}) is not supported; refused")
    if rest.upper() == "#REF!":
        return ("err", REF)
    target = sheet if sheet is not None else ctx.sheet
    box = _a1_box(rest, ctx, target)
    if box is not None:
        if target not in ctx.sheet_index:
            return ("err", REF)
        return ("ref", ctx.sheet_index[target], *box)
    return name_reference(rest, sheet, ctx, text)


def _a1_box(rest: str, ctx, sheet: str):
    """(r0, c0, r1, c1, rel0, rel1) for A1, A1:B2, A:B or 1:2; None when rest is not an address."""
    a, sep, b = rest.partition(":")
    parts = [a, b] if sep else [a]
    cells = [A1_PART.match(p) for p in parts]
    # inside a defined name, relative parts are relative to A1 (as the file stores them): they move
    # with the cell that uses the name ($B1 used in row 5 is $B5; A$4 used in column C is C$4)
    dr, dc = (ctx.row, ctx.col) if ctx.names_seen else (0, 0)
    if all(cells):
        rc = [((int(m.group(4)) - 1 + (dr if not m.group(3) else 0)) % MAX_ROWS,
               (col_index(m.group(2).upper()) + (dc if not m.group(1) else 0)) % MAX_COLS, not m.group(3))
              for m in cells]
        (r0, c0, rel0), (r1, c1, rel1) = rc[0], rc[-1]
        if max(r0, r1) >= MAX_ROWS or max(c0, c1) >= MAX_COLS:
            return None
        if r1 < r0:
            r0, r1, rel0, rel1 = r1, r0, rel1, rel0
        return (r0, min(c0, c1), r1, max(c0, c1), rel0, rel1)
    if sep:
        cols = [COL_PART.match(p) for p in parts]
        if all(cols):
            c0, c1 = sorted((col_index(m.group(2).upper()) + (dc if not m.group(1) else 0)) % MAX_COLS for m in cols)
            return (0, c0, MAX_ROWS - 1, c1, False, False)  # read as far as the column is in use
        rows = [ROW_PART.match(p) for p in parts]
        if all(rows):
            (r0, d0), (r1, d1) = [((int(m.group(2)) - 1 + (dr if not m.group(1) else 0)) % MAX_ROWS, not m.group(1))
                                  for m in rows]
            return (min(r0, r1), 0, max(r0, r1), MAX_COLS - 1, d0, d1)
    return None


def named_lambda(name: str, ctx):
    """The parsed LAMBDA a defined name holds (sheet scope first), or None.  Inside its own body (a
    recursive LAMBDA) it is ("lambda_self", name, [node]), the node filled in once the body is parsed."""
    for scope in (ctx.sheet, None):
        formula = ctx.book.names.get((scope, name))
        if formula is not None and re.match(r"^=?\s*(_xlfn\.)?LAMBDA\s*\(", formula, re.I):
            if name in ctx.names_seen:
                return ("lambda_self", name, ctx.lambdas[name])
            saved, holder = ctx.names_seen, []
            ctx.names_seen, ctx.lambdas[name] = saved + (name,), holder
            try:
                node = parsing.parse(formula, ctx)
            finally:
                ctx.names_seen = saved
                del ctx.lambdas[name]
            if node[0] != "lambda":
                return None
            if any(n[0] == "ref" and (n[6] or n[7]) for n in walk(node)) and _calls_itself(node):
                raise EngineError(f"{ctx.at()}: defined name {name} is a LAMBDA that calls itself and reads cells "
                                  f"relative to where it is used; not supported")
            holder.append(node)
            return node
    return None


def _calls_itself(node) -> bool:
    return any(n[0] == "fn" and n[1] == "LAMBDA()" and n[2] and n[2][0][0] == "lambda_self" for n in walk(node))


def name_reference(name: str, sheet, ctx, text: str):
    key = name.upper().removeprefix("_XLPM.")
    if sheet is None and key in ctx.let_names:
        return ("name", key)
    scopes = [sheet] if sheet is not None else [ctx.sheet, None]
    for scope in scopes:
        formula = ctx.book.names.get((scope, key))
        if formula is not None:
            if key in ctx.names_seen:
                raise EngineError(f"{ctx.at()}: defined name {name} refers to itself")
            saved = ctx.names_seen
            ctx.names_seen = saved + (key,)
            try:
                return parsing.parse(formula, ctx)
            finally:
                ctx.names_seen = saved
    if sheet is None and key in ctx.book.tables:  # a table's name alone: its data rows, every column
        return table_reference(key, "", ctx)
    if key in ERRORS:
        return ("err", key)
    return ("err", "#NAME?")


def _table_at(ctx):
    for t in ctx.book.tables.values():
        r0, c0, r1, c1 = t.ref
        if t.sheet == ctx.sheet and r0 <= ctx.row <= r1 and c0 <= ctx.col <= c1:
            return t
    return None


def _unescape(col: str) -> str:
    return re.sub(r"'(.)", r"\1", col.strip())


def table_reference(table: str, spec: str, ctx):
    t = ctx.book.tables.get(table.upper())
    if t is None:
        return ("err", REF)
    r0, c0, r1, c1 = t.ref
    data0, data1 = r0 + t.header_rows, r1 - t.totals_rows
    items = _table_items(spec)
    specials = [i[0].lower() for i in items if isinstance(i, tuple) and i[0].startswith("#")]
    cols = [i for i in items if not (isinstance(i, tuple) and i[0].startswith("#"))]
    this_row = "#this row" in specials or spec.strip().startswith("@")
    if this_row:
        if not data0 <= ctx.row <= data1:
            return ("err", "#VALUE!")
        rows = (ctx.row, ctx.row, True, True)
    else:
        parts = set(specials) or {"#data"}
        if "#all" in parts:
            lo, hi = r0, r1
        else:
            lo = r0 if "#headers" in parts else data0 if "#data" in parts else data1 + 1
            hi = r1 if "#totals" in parts else data1 if "#data" in parts else r0 + t.header_rows - 1
        rows = (lo, hi, False, False)
    if cols:
        names = [c.lower() for c in t.columns]
        first, last = cols[0][0], cols[-1][-1]
        try:
            a, b = names.index(_unescape(first).lower()), names.index(_unescape(last).lower())
        except ValueError:
            return ("err", REF)
        ca, cb = c0 + min(a, b), c0 + max(a, b)
    else:
        ca, cb = c0, c1
    return ("ref", ctx.sheet_index[t.sheet], rows[0], ca, rows[1], cb, rows[2], rows[3])


def _table_items(spec: str):
    """'[#This Row],[A]:[B]' -> [('#This Row',), ('A', 'B')]; 'Age' -> [('Age',)]; '@Age' -> [('Age',)]."""
    spec = spec.strip()
    if spec.startswith("@"):
        spec = spec[1:]
        spec = spec[1:-1] if spec.startswith("[") and spec.endswith("]") else spec
        return [(spec,)] if spec else []
    if not spec:
        return []
    if not spec.startswith("["):
        return [(spec,)]
    items, i = [], 0
    while i < len(spec):
        if spec[i] in ", ":
            i += 1
            continue
        if spec[i] != "[":  # a bare column name, as XlsxWriter writes: [[#This Row],Age]
            j = spec.find(",", i)
            j = len(spec) if j < 0 else j
            items.append((spec[i:j].strip(),))
            i = j
            continue
        group = []
        while i < len(spec) and spec[i] == "[":
            j = i + 1
            while j < len(spec) and spec[j] != "]":
                j += 2 if spec[j] == "'" else 1
            group.append(spec[i + 1:j])
            i = j + 1
            if i < len(spec) and spec[i] == ":":
                i += 1
            else:
                break
        items.append(tuple(group))
    return items
