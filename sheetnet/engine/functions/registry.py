"""The table of spreadsheet functions: each one's implementation, arity and how its arguments are read.

    @fn("SUMIF", 2, 3, arrays={0, 2}, keep_omitted=True)            # arguments 0 and 2 stay ranges/arrays
    def f_sumif(args): ...                        # args: value blocks (K, h, w), None where omitted

mode "value": impl(args); "ctx": impl(args, ctx) (the cell's row and column, the engine, its
random stream); "lazy": impl(nodes, ctx), which evaluates its own arguments (IF, OFFSET, LET, ...).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Fn:
    name: str
    impl: Callable
    lo: int = 1
    hi: int = 255
    arrays: object = None  # None: every argument a scalar; "all"; or a set of argument indices
    mode: str = "value"  # "value" | "ctx" | "lazy"
    volatile: bool = False  # recomputed on every change (RAND, TODAY)
    runtime_refs: bool = False  # reads cells its text does not name (OFFSET, INDIRECT)
    inner_array: bool = False  # its whole argument trees are array expressions (SUMPRODUCT, MMULT)
    keep_omitted: bool = False  # an omitted argument reaches it as None (else as a blank: 0, "" or FALSE)

    def array_arg(self, i: int) -> bool:
        return self.arrays == "all" or (self.arrays is not None and i in self.arrays)


class Table(dict):
    """name -> Fn.  The less common families (manifest.LAZY) are imported the first time one of their
    names is asked for, or when the whole table is listed: a command starts without them."""

    def _load(self, name=None):
        from .manifest import LAZY, module_of

        mods = list(LAZY) if name is None else [module_of(name)]
        for m in mods:
            if m is not None and m not in _LOADED:
                _LOADED.add(m)
                importlib.import_module(f"{__package__}.{m}")

    def __missing__(self, name):
        self._load(name)
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        raise KeyError(name)

    def get(self, name, default=None):
        if not dict.__contains__(self, name):
            self._load(name)
        return dict.get(self, name, default)

    def __contains__(self, name):
        if not dict.__contains__(self, name):
            self._load(name)
        return dict.__contains__(self, name)

    def __iter__(self):
        self._load()
        return dict.__iter__(self)

    def keys(self):
        self._load()
        return dict.keys(self)

    def items(self):
        self._load()
        return dict.items(self)

    def values(self):
        self._load()
        return dict.values(self)

    def __len__(self):
        self._load()
        return dict.__len__(self)


_LOADED: set = set()
FUNCTIONS: Table = Table()
REF_FUNCTIONS: dict = {}  # functions that can return a reference: name -> boxes(args, ctx), one box per cell


def fn(name: str, lo: int = 1, hi: int = 255, arrays=None, mode: str = "value", volatile=False, runtime_refs=False,
       inner_array=False, aliases=(), keep_omitted=False):
    def register(impl):
        for n in (name, *aliases):
            FUNCTIONS[n] = Fn(n, impl, lo, hi, arrays, mode, volatile, runtime_refs, inner_array, keep_omitted)
        return impl
    return register


def supported() -> list[str]:
    """The spreadsheet functions the engine has (not its internal entries, such as a named LAMBDA's call,
    nor the calls Excel stores operators as, such as _TRO_ALL for a trim reference)."""
    return sorted(n for n in FUNCTIONS if not n.endswith("()") and not n.startswith("_"))


def is_reference(node, ctx) -> bool:
    """Does this argument's AST give a reference (a range, a LET name bound to one, OFFSET, INDIRECT,
    INDEX of a reference)?"""
    if node[0] == "ref":
        return True
    if node[0] == "name" and ctx.env and node[1] in ctx.env:
        return ctx.env[node[1]][1][0] == "ref"
    return node[0] == "fn" and node[1] in REF_FUNCTIONS and (node[1] != "INDEX" or is_reference(node[2][0], ctx))
