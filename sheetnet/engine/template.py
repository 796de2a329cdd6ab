"""Formulas that differ only by row: one template renders each row's text.

A column of formulas dragged down (=(B4-A4)^2, =(B5-A5)^2, ...) is one run: its first text is parsed
once, and each next cell joins the run when its text is the template rendered at its row, a string
comparison instead of a parse.
"""

from __future__ import annotations

import re
from itertools import repeat

from .address import MAX_COLS, STRING_OR_A1_REF, col_index, col_letters, parse_cell

# literal text (a string, or a table's brackets: T[B2] names a column, not a cell), or a cell reference: not inside
# a name (LOG10, Table1) nor followed by a function's "(" or a table's "[" (its column, $ and letters; the $ of its
# row; its row)
_TOKEN = re.compile(r'("(?:[^"]|"")*"|\[(?:[^\[\]]|\[[^\[\]]*\])*\])'
                    r'|(?<![A-Za-z0-9_.$])(\$?[A-Z]{1,3})(\$?)([0-9]{1,7})(?![0-9A-Za-z_(\[])')


def _template(pieces: list, row: int, empty):
    """(parts, offsets) of a formula split by _TOKEN (str) or _BTOKEN (bytes): the literal text between its
    relative row numbers, and each one's offset from `row`; strings, tables' brackets and absolute rows stay
    literal."""
    parts, offsets, buf = [], [], [pieces[0]]
    for i in range(1, len(pieces), 5):
        literal, col, dollar, digits, after = pieces[i:i + 5]
        if literal is not None:
            buf.append(literal)
        elif dollar:
            buf += (col, dollar, digits)
        else:
            buf.append(col)
            parts.append(empty.join(buf))
            buf = []
            offsets.append(int(digits) - 1 - row)
        buf.append(after)
    parts.append(empty.join(buf))
    return tuple(parts), tuple(offsets)


class RowTemplate:
    """The text of a formula at any row: literal parts between its relative row numbers."""

    __slots__ = ("parts", "offsets", "fmt")

    def __init__(self, formula: str, row: int):
        parts, self.offsets = _template(_TOKEN.split(formula), row, "")
        self.parts = parts
        self.fmt = "%d".join(p.replace("%", "%%") for p in parts)  # the parts with each row number's place

    def render(self, row: int) -> str:
        """The formula text at 0-based `row`."""
        o = self.offsets
        if not o:
            return self.parts[0]
        if len(o) == 1:
            return self.fmt % (row + o[0] + 1)
        return self.fmt % tuple([row + off + 1 for off in o])

    @property
    def key(self) -> tuple:
        return self.parts, self.offsets


_BTOKEN = re.compile(_TOKEN.pattern.encode())


class ByteTemplate:
    """RowTemplate over a formula's raw (still XML-escaped) bytes: the reader compares bytes, decoding
    and unescaping only the first formula of each run."""

    __slots__ = ("parts", "offsets", "same_row", "fmt")

    def __init__(self, raw: bytes, row: int):
        parts, offsets = self.parts, self.offsets = _template(_BTOKEN.split(raw), row, b"")
        self.fmt = b"%d".join(p.replace(b"%", b"%%") for p in parts)  # the parts with each row number's place
        # every relative reference on the formula's own row (=(B4-A4)^2): the row's digits joined in
        self.same_row = bool(offsets) and not any(offsets)

    def matches(self, raw: bytes, row: int, digits: bytes) -> bool:
        """Is `raw` this template at `row` (whose number, as written, is `digits`)?"""
        if self.same_row:
            return raw == digits.join(self.parts)
        return raw == self.render(row)

    def render(self, row: int) -> bytes:
        o = self.offsets
        if not o:
            return self.parts[0]
        if len(o) == 1:
            return self.fmt % (row + o[0] + 1)
        return self.fmt % tuple([row + off + 1 for off in o])

    def render_rows(self, row: int, n: int):
        """render(row), render(row + 1), ... n of them, at once: one format string mapped over ranges of row
        numbers (no list a row, which the collector would walk)."""
        o = self.offsets
        if not o:
            return repeat(self.parts[0], n)
        if len(o) == 1:
            return map(self.fmt.__mod__, range(row + o[0] + 1, row + o[0] + 1 + n))
        return map(self.fmt.__mod__, zip(*[range(row + off + 1, row + off + 1 + n) for off in o]))


def shifted(formula: str, origin: str, dest: str) -> str:
    """A formula moved from cell `origin` to `dest` ("B4" -> "D9"), relative references following it,
    as Excel expands a shared formula (openpyxl's Translator; along a row, the usual formula at once)."""
    moved = _along_row(formula, origin, dest)
    if moved is not None:
        return moved
    from openpyxl.formula.translate import Translator

    return Translator("=" + formula, origin=origin).translate_formula(dest)[1:]


# (between them: no sheet, table, $ outside a reference, range of whole columns or rows; spaces one at a time,
# as the Translator's tokenizer keeps them)
_NOT_USUAL = re.compile(r"[^A-Z0-9_.+\-*/^&=<>%(), ]|  ")


def _along_row(formula: str, origin: str, dest: str) -> str | None:
    """shifted() where dest is on origin's row and the formula holds only strings, references (A1, A1:B2),
    functions, names, numbers, operators and single spaces: each reference's relative columns moved; else None
    (and openpyxl, a tenth of a second to import, is not needed)."""
    (r0, c0), (r1, c1) = parse_cell(origin), parse_cell(dest)
    if r0 != r1:
        return None
    ct = ColTemplate.make(formula)
    return None if ct is None else ct.render(c1 - c0)


class ColTemplate:
    """A formula moved along its row, at any column: literal parts between its relative columns' letters, the
    formula split once (a shared formula's row: sheetxml; one move: _along_row).  make(): None where the formula
    is not of the usual kind (_NOT_USUAL)."""

    __slots__ = ("parts", "cols")

    def __init__(self, parts: list, cols: list):
        self.parts, self.cols = parts, cols

    @staticmethod
    def make(formula: str) -> ColTemplate | None:
        pieces = STRING_OR_A1_REF.split(formula)
        if _NOT_USUAL.search("".join(pieces[0::10])):
            return None
        parts, cols, buf = [], [], [pieces[0]]
        for i in range(1, len(pieces), 10):
            if pieces[i] is not None:
                buf.append(pieces[i])
            else:
                for j in ((i + 1, i + 5) if pieces[i + 6] is not None else (i + 1,)):
                    if j != i + 1:
                        buf.append(":")
                    dollar, letters, row_dollar, digits = pieces[j:j + 4]
                    if dollar:
                        buf += (dollar, letters)
                    else:
                        parts.append("".join(buf))
                        cols.append(col_index(letters))
                        buf = []
                    buf += (row_dollar, digits)
            buf.append(pieces[i + 9])
        parts.append("".join(buf))
        return ColTemplate(parts, cols)

    def render(self, dc: int) -> str | None:
        """The formula moved dc columns along its row; None where a column would leave the sheet (Translator's
        #REF!: shifted() says what then)."""
        out = [self.parts[0]]
        for c, part in zip(self.cols, self.parts[1:]):
            c += dc
            if not 0 <= c < MAX_COLS:
                return None
            out += (col_letters(c), part)
        return "".join(out)
