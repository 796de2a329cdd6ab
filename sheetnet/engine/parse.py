"""Formula text to a small AST, on top of openpyxl's formula tokenizer.

References are resolved while parsing, for the first cell of a group: sheet-qualified and quoted
names, A1/$A$1, ranges, whole rows and columns, defined names (sheet scope first) and Excel Table
structured references.  A reference whose row moves with the formula's row is marked relative,
so the same AST evaluates a whole column of formulas at once.

Nodes are tuples:
    ("num", x) ("str", s) ("bool", b) ("err", code) ("arr", V)
    ("ref", sheet, r0, c0, r1, c1, rel0, rel1)   rows relative to the group's first cell when rel
    ("neg", a) ("pct", a) ("bin", op, a, b) ("fn", NAME, args) ("missing",) (an omitted argument)
    ("let", [(NAME, value)], body) ("name", NAME) (a LET name) ("lambda", [NAME], body)
"""

from __future__ import annotations

import re

import numpy as np

from .tokenizer import Token, TokenizerError
from .tokenizer import tokens as tokenize
from .graph import walk
from .package import MAX_COLS, MAX_ROWS, a1, col_index
from .values import ERRORS, REF, EngineError, V

MAX_DEPTH = 64  # Excel allows 64 nested levels of functions
BP = {"=": 10, "<>": 10, "<": 10, ">": 10, "<=": 10, ">=": 10, "&": 20, "+": 30, "-": 30, "*": 40, "/": 40, "^": 50}
PREFIX_BP, POSTFIX_BP = 60, 70
INTERSECT_BP = 80

A1_PART = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})$")
COL_PART = re.compile(r"^(\$?)([A-Za-z]{1,3})$")
ROW_PART = re.compile(r"^(\$?)([0-9]{1,7})$")
TABLE_REF = re.compile(r"^([A-Za-z_\\][A-Za-z0-9_.\\]*)\[(.*)\]$", re.S)
_EXTERNAL = re.compile(r"^'?\[[^\]]*\][^\[]*!")  # [Book.xlsx]Sheet1!A1, '[1]Sheet 1'!A1
_EXTERNAL_INDEX = re.compile(r"^'?\[\d+\]")


class Context:
    """What a parse needs to know: the workbook's names, tables, sheets, and the cell it is in."""

    def __init__(self, book, sheet_index: dict, sheet: str, row: int, col: int, extent):
        self.book, self.sheet_index, self.sheet, self.row, self.col = book, sheet_index, sheet, row, col
        self.extent = extent  # extent(sheet, c0, c1): rows in use there, where a whole-column reference ends
        self.depth = 0
        self.names_seen: tuple = ()
        self.let_names: tuple = ()
        self.lambdas: dict = {}  # a named LAMBDA being parsed -> the list its parsed node goes into (recursion)

    def at(self):
        return f"{self.sheet}!{a1(self.row, self.col)}"


_SPILL = re.compile(r"((?:'[^']+'|[A-Za-z_][\w.]*)!)?(\$?[A-Za-z]{1,3}\$?[0-9]{1,7})#")
_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def _spill_refs(text: str) -> str:
    """A1# (the spill of the dynamic array at A1), as Excel stores it: _xlfn.ANCHORARRAY(A1)."""
    if "#" not in text:
        return text
    out, last = [], 0
    for m in _QUOTED.finditer(text):
        out.append(_SPILL.sub(r"_xlfn.ANCHORARRAY(\1\2)", text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_SPILL.sub(r"_xlfn.ANCHORARRAY(\1\2)", text[last:]))
    return "".join(out)


def parse(formula: str, ctx: Context):
    text = _spill_refs(formula if formula.startswith("=") else "=" + formula)
    try:
        tokens = tokenize(text)
    except TokenizerError as e:
        raise EngineError(f"{ctx.at()}: cannot parse formula ={formula[:80]} ({e})") from None
    p = _Parser(tokens, ctx, formula)
    node = p.expr(0)
    if p.i < len(p.toks):
        raise EngineError(f"{ctx.at()}: cannot parse formula ={formula[:80]} (unexpected {p.toks[p.i].value!r})")
    return node


class _Parser:
    def __init__(self, tokens, ctx: Context, formula: str):
        self.toks, self.ctx, self.formula, self.i, self.calls = [], ctx, formula, 0, 0
        for k, t in enumerate(tokens):
            if t.type == Token.WSPACE:
                prev = tokens[k - 1] if k else None
                nxt = tokens[k + 1] if k + 1 < len(tokens) else None
                if prev is not None and nxt is not None and _is_operand_end(prev) and _is_operand_start(nxt):
                    self.toks.append(Token(" ", Token.OP_IN))  # the intersection operator (A1:C3 B2:D4)
                continue
            self.toks.append(t)

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self):
        t = self.peek()
        if t is None:
            raise EngineError(f"{self.ctx.at()}: formula ={self.formula[:80]} ends too early")
        self.i += 1
        return t

    def expr(self, min_bp: int):
        self.ctx.depth += 1
        if self.ctx.depth > MAX_DEPTH * 4:
            raise EngineError(f"{self.ctx.at()}: formula nested more than {MAX_DEPTH} levels deep; refused")
        left = self.prefix()
        while True:
            t = self.peek()
            if t is None:
                break
            if t.type == Token.OP_POST:
                if POSTFIX_BP < min_bp:
                    break
                self.take()
                left = ("pct", left)
                continue
            if t.type == Token.OP_IN and t.value in BP:
                bp = BP[t.value]
                if bp <= min_bp:  # all binary operators are left-associative in Excel
                    break
                self.take()
                right = self.expr(bp)
                left = ("bin", t.value, left, right)
                continue
            if t.type == Token.OP_IN and t.value == " ":  # binds tighter than every other binary operator
                if INTERSECT_BP <= min_bp:
                    break
                self.take()
                left = _intersection(left, self.expr(INTERSECT_BP), self.ctx)
                continue
            if t.type == Token.OP_IN and t.value == "," and self.calls:
                break  # the next argument of LAMBDA(...)(a, b)
            if t.type == Token.OP_IN and t.value == ",":
                raise EngineError(f"{self.ctx.at()}: the union operator (A1,B1) is not supported")
            if t.type == Token.OP_IN and t.value == ":":
                raise EngineError(f"{self.ctx.at()}: ranges built with ':' between expressions are not supported")
            break
        self.ctx.depth -= 1
        return left

    def prefix(self):
        t = self.take()
        if t.type == Token.OP_PRE:
            operand = self.expr(PREFIX_BP)
            return ("neg", operand) if t.value == "-" else operand
        if t.type == Token.OPERAND:
            return self.operand(t)
        if t.type == Token.PAREN and t.subtype == Token.OPEN:
            node = self.expr(0)
            close = self.take()
            if close.type != Token.PAREN:
                raise EngineError(f"{self.ctx.at()}: the union operator (A1,B1) is not supported")
            return node
        if t.type == Token.FUNC and t.subtype == Token.OPEN:
            node = self.function(t.value[:-1])
            while node[0] == "lambda" and self.peek() is not None and self.peek().type == Token.PAREN and \
                    self.peek().subtype == Token.OPEN:
                node = self.call(node)
            return node
        if t.type == Token.ARRAY and t.subtype == Token.OPEN:
            return self.array()
        raise EngineError(f"{self.ctx.at()}: cannot parse formula ={self.formula[:80]} (unexpected {t.value!r})")

    def function(self, name: str):
        name = name.upper()
        for pre in ("_XLFN._XLWS.", "_XLFN.", "_XLWS.", "_XLPM."):
            if name.startswith(pre):
                name = name[len(pre):]
        if name == "LET":
            return self.let()
        if name == "LAMBDA":
            return self.lambda_()
        named = _named_lambda(name, self.ctx)
        if named is not None:  # a defined name that is a LAMBDA, called as a function
            name = "LAMBDA()"
        args = [] if named is None else [named]
        if self.peek() is not None and self.peek().type == Token.FUNC and self.peek().subtype == Token.CLOSE:
            self.take()
            return ("fn", name, args)
        while True:
            nxt = self.peek()
            if nxt is not None and (nxt.type == Token.SEP and nxt.subtype == Token.ARG or
                                    nxt.type == Token.FUNC and nxt.subtype == Token.CLOSE):
                args.append(("missing",))
            else:
                args.append(self.expr(0))
            t = self.take()
            if t.type == Token.FUNC and t.subtype == Token.CLOSE:
                return ("fn", name, args)
            if not (t.type == Token.SEP and t.subtype == Token.ARG):
                raise EngineError(f"{self.ctx.at()}: cannot parse {name}(...) (unexpected {t.value!r})")

    def call(self, lam):
        """LAMBDA(x, y, body)(3, 4): the LAMBDA called where it is written, as a named one is."""
        self.take()  # (
        args = [lam]
        if self.peek() is not None and self.peek().type == Token.PAREN and self.peek().subtype == Token.CLOSE:
            self.take()
            return ("fn", "LAMBDA()", args)
        self.calls += 1  # its arguments are separated by what the tokenizer reads as the union operator
        try:
            while True:
                args.append(self.expr(0))
                t = self.take()
                if t.type == Token.PAREN and t.subtype == Token.CLOSE:
                    return ("fn", "LAMBDA()", args)
                if not (t.type == Token.OP_IN and t.value == ","):
                    raise EngineError(f"{self.ctx.at()}: cannot parse LAMBDA(...)(...) (unexpected {t.value!r})")
        finally:
            self.calls -= 1

    def let(self):
        """LET(name1, value1, [name2, value2, ...], calculation): names bound left to right."""
        pairs, saved = [], self.ctx.let_names
        try:
            while True:
                t = self.take()
                if t.type == Token.FUNC and t.subtype == Token.CLOSE:
                    raise EngineError(f"{self.ctx.at()}: LET needs a calculation after its names")
                nxt = self.peek()
                if t.type == Token.OPERAND and t.subtype == Token.RANGE and nxt is not None and \
                        nxt.type == Token.SEP and nxt.subtype == Token.ARG and re.match(r"^[A-Za-z_][\w.]*$", t.value):
                    self.take()
                    name = t.value.upper().removeprefix("_XLPM.")
                    value = self.expr(0)
                    pairs.append((name, value))
                    self.ctx.let_names = self.ctx.let_names + (name,)
                    sep = self.take()
                    if sep.type == Token.FUNC and sep.subtype == Token.CLOSE:
                        raise EngineError(f"{self.ctx.at()}: LET needs a calculation after its names")
                    continue
                self.i -= 1
                body = self.expr(0)
                close = self.take()
                if not (close.type == Token.FUNC and close.subtype == Token.CLOSE) or not pairs:
                    raise EngineError(f"{self.ctx.at()}: cannot parse LET(...)")
                return ("let", pairs, body)
        finally:
            self.ctx.let_names = saved

    def lambda_(self):
        """LAMBDA(param1, ..., calculation): ("lambda", params, body); its params are names in the body."""
        params, saved = [], self.ctx.let_names
        try:
            while True:
                t = self.take()
                nxt = self.peek()
                if t.type == Token.OPERAND and t.subtype == Token.RANGE and nxt is not None and \
                        nxt.type == Token.SEP and nxt.subtype == Token.ARG and re.match(r"^[A-Za-z_][\w.]*$", t.value):
                    self.take()
                    params.append(t.value.upper().removeprefix("_XLPM."))
                    self.ctx.let_names = self.ctx.let_names + (params[-1],)
                    continue
                self.i -= 1
                body = self.expr(0)
                close = self.take()
                if not (close.type == Token.FUNC and close.subtype == Token.CLOSE):
                    raise EngineError(f"{self.ctx.at()}: cannot parse LAMBDA(...)")
                return ("lambda", params, body)
        finally:
            self.ctx.let_names = saved

    def array(self):
        rows, row = [], []
        while True:
            t = self.take()
            if t.type == Token.OPERAND:
                row.append(_const(self.operand(t), self.ctx))
            elif t.type == Token.OP_PRE and t.value == "-":
                row.append(-_const(self.operand(self.take()), self.ctx))
            elif t.type == Token.SEP and t.subtype == Token.ROW:
                rows.append(row)
                row = []
            elif t.type == Token.ARRAY and t.subtype == Token.CLOSE:
                rows.append(row)
                break
        if len({len(r) for r in rows}) != 1:
            raise EngineError(f"{self.ctx.at()}: array constant rows differ in length")
        h, w = len(rows), len(rows[0])
        vals = [x for r in rows for x in r]
        out = [V.scalar(x) for x in vals]
        num = np.array([o.num[0, 0, 0] for o in out]).reshape(1, h, w)
        if all(o.typ is None for o in out):
            return ("arr", V(num))
        typ = np.array([o.types()[0, 0, 0] for o in out], np.uint8).reshape(1, h, w)
        obj = np.array([o.objs()[0, 0, 0] for o in out], object).reshape(1, h, w)
        return ("arr", V(num, typ, obj))

    def operand(self, t):
        v, sub = t.value, t.subtype
        if sub == Token.NUMBER:
            return ("num", float(v))
        if sub == Token.TEXT:
            return ("str", v[1:-1].replace('""', '"'))
        if sub == Token.LOGICAL:
            return ("bool", v.upper() == "TRUE")
        if sub == Token.ERROR:
            return ("err", v.upper())
        return reference(v, self.ctx)


def _const(node, ctx):
    kind = node[0]
    if kind in ("num", "str", "bool"):
        return node[1]
    if kind == "err":
        from .values import ErrorCode
        return ErrorCode(node[1])
    raise EngineError(f"{ctx.at()}: array constants hold only numbers, text, TRUE/FALSE and errors")


def _intersection(a, b, ctx):
    """A1:C3 B2:D4: the cells both ranges hold (#NULL! where none), for references fixed in the formula with
    the same row anchoring (else the intersection would move differently from cell to cell: refused)."""
    if a[0] != "ref" or b[0] != "ref":
        raise EngineError(f"{ctx.at()}: the intersection operator takes two references written in the formula")
    _, sa, r0a, c0a, r1a, c1a, p0a, p1a = a
    _, sb, r0b, c0b, r1b, c1b, p0b, p1b = b
    if sa != sb:
        return ("err", "#NULL!")
    if (p0a or p1a or p0b or p1b) and (p0a, p1a) != (p0b, p1b):
        raise EngineError(f"{ctx.at()}: an intersection of ranges anchored differently ($) is not supported")
    r0, r1, c0, c1 = max(r0a, r0b), min(r1a, r1b), max(c0a, c0b), min(c1a, c1b)
    if r0 > r1 or c0 > c1:
        return ("err", "#NULL!")
    return ("ref", sa, r0, c0, r1, c1, p0a, p1a)


def _is_operand_end(t):
    return t.type == Token.OPERAND or (t.type in (Token.PAREN, Token.FUNC) and t.subtype == Token.CLOSE)


def _is_operand_start(t):
    return t.type == Token.OPERAND or (t.type in (Token.PAREN, Token.FUNC) and t.subtype == Token.OPEN)


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


def reference(text: str, ctx: Context):
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


def _a1_box(rest: str, ctx: Context, sheet: str):
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


def _named_lambda(name: str, ctx: Context):
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
                node = parse(formula, ctx)
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


def name_reference(name: str, sheet, ctx: Context, text: str):
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
                return parse(formula, ctx)
            finally:
                ctx.names_seen = saved
    if sheet is None and key in ctx.book.tables:  # a table's name alone: its data rows, every column
        return table_reference(key, "", ctx)
    if key in ERRORS:
        return ("err", key)
    return ("err", "#NAME?")


def _table_at(ctx: Context):
    for t in ctx.book.tables.values():
        r0, c0, r1, c1 = t.ref
        if t.sheet == ctx.sheet and r0 <= ctx.row <= r1 and c0 <= ctx.col <= c1:
            return t
    return None


def _unescape(col: str) -> str:
    return re.sub(r"'(.)", r"\1", col.strip())


def table_reference(table: str, spec: str, ctx: Context):
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
