"""A1 addresses: column letters, cells and ranges, 0-based."""

from __future__ import annotations

import re
from functools import lru_cache

MAX_ROWS, MAX_COLS = 1_048_576, 16_384  # a sheet's rows and columns
CELL_RE = re.compile(r"^([A-Z]{1,3})(0*[1-9][0-9]{0,11})$")  # (rows from 1; a writer's A01 is A1)
# a reference in a formula's text, A1 or A1:B2 with their $: not inside a name, a sheet's or a table's, nor
# followed by a function's "(" (groups: each corner's $, letters, $ and digits)
A1_REF = re.compile(r"(?<![A-Za-z0-9_.$:!'\]])(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7})"
                    r"(?::(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7}))?(?![A-Za-z0-9_.(:!\[])")
STRING_OR_A1_REF = re.compile(r'("(?:[^"]|"")*")|' + A1_REF.pattern)  # (a string's references are text)


@lru_cache(maxsize=1 << 16)  # (a column's letters, as text or bytes: a few thousand at most)
def col_index(letters) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch if isinstance(ch, int) else ord(ch)) - 64
    return n - 1


def a1(r: int, c: int) -> str:
    """(row, col), 0-based, as an A1 address."""
    return f"{col_letters(c)}{r + 1}"


def col_letters(c: int) -> str:
    """Column c, 0-based, as its letters."""
    s, c1 = "", c + 1
    while c1:
        c1, rem = divmod(c1 - 1, 26)
        s = chr(65 + rem) + s
    return s


def parse_cell(ref: str) -> tuple[int, int]:
    m = CELL_RE.match(ref.replace("$", ""))
    if not m:
        raise ValueError(ref)
    return int(m.group(2)) - 1, col_index(m.group(1))


def parse_range(ref: str) -> tuple[int, int, int, int]:
    a, _, b = ref.partition(":")
    r0, c0 = parse_cell(a)
    r1, c1 = parse_cell(b) if b else (r0, c0)
    return r0, c0, r1, c1
