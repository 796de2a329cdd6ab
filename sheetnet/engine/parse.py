"""Formula text to a small AST, on top of openpyxl's formula tokenizer.

References are resolved while parsing, for the first cell of a group (sheetnet.engine.references).
A reference whose row moves with the formula's row is marked relative, so the same AST evaluates a
whole column of formulas at once.

Nodes are tuples:
    ("num", x) ("str", s) ("bool", b) ("err", code) ("arr", V)
    ("ref", sheet, r0, c0, r1, c1, rel0, rel1)   rows relative to the group's first cell when rel
    ("neg", a) ("pct", a) ("bin", op, a, b) ("fn", NAME, args) ("missing",) (an omitted argument)
    ("let", [(NAME, value)], body) ("name", NAME) (a LET name) ("lambda", [NAME], body)
"""

from __future__ import annotations

import re

import numpy as np

from .package import a1
from .references import named_lambda, reference
from .tokenizer import Token, TokenizerError
from .tokenizer import tokens as tokenize
from .values import EngineError, V

MAX_DEPTH = 64  # Excel allows 64 nested levels of functions
BP = {"=": 10, "<>": 10, "<": 10, ">": 10, "<=": 10, ">=": 10, "&": 20, "+": 30, "-": 30, "*": 40, "/": 40, "^": 50}
PREFIX_BP, POSTFIX_BP = 60, 70
INTERSECT_BP = 80



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
    if p.toks[p.i] is not None:
        raise EngineError(f"{ctx.at()}: cannot parse formula ={formula[:80]} (unexpected {p.toks[p.i].value!r})")
    return node


class _Parser:
    def __init__(self, tokens, ctx: Context, formula: str):
        self.ctx, self.formula, self.i, self.calls = ctx, formula, 0, 0
        if not any(t.type == Token.WSPACE for t in tokens):
            self.toks = tokens + [None]  # (None: the end, which peek gives from there on)
            return
        self.toks = []
        for k, t in enumerate(tokens):
            if t.type == Token.WSPACE:
                prev = tokens[k - 1] if k else None
                nxt = tokens[k + 1] if k + 1 < len(tokens) else None
                if prev is not None and nxt is not None and _is_operand_end(prev) and _is_operand_start(nxt):
                    self.toks.append(Token(" ", Token.OP_IN))  # the intersection operator (A1:C3 B2:D4)
                continue
            self.toks.append(t)
        self.toks.append(None)

    def peek(self):
        return self.toks[self.i]

    def take(self):
        t = self.toks[self.i]
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
        named = named_lambda(name, self.ctx)
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
