"""Evaluating a group's AST over value blocks (K cells at once): references, operators, function calls.

Excel's semantics: implicit intersection of a range where one value is needed (outside array
formulas), spreadsheet equality to 2**-48, cancellation to 0 in + and -, errors propagating with
the left operand's winning, and numbers < text < booleans when comparing.
"""

from __future__ import annotations

import numpy as np

from .compare import compare
from .functions import FUNCTIONS, REF_FUNCTIONS
from .graph import Group
from .wide import NotWide, Wide
from .wide import read as wide_read
from .values import (TEXT, VALUE, EngineError, ErrorCode, V, approx_add, finish, first_error, to_bool, to_number,
                     to_text, with_errors)


class Ctx:
    """What a function sees of the cell(s) it is evaluated for."""

    __slots__ = ("eng", "g", "array", "env", "scalar")

    def __init__(self, eng, g: Group, array: bool, env, scalar: bool = True):
        self.eng, self.g, self.array, self.env, self.scalar = eng, g, array, env, scalar

    @property
    def k(self) -> int:
        return self.g.k

    @property
    def rows(self) -> np.ndarray:
        """Each cell's 0-based row."""
        return np.arange(self.g.r0, self.g.r0 + self.g.k)

    def eval(self, node, scalar: bool = True, array: bool | None = None) -> V:
        return self.eng._eval(node, self.g, self.array if array is None else array, scalar, self.env)

    def boxes(self, node) -> list:
        return self.eng._boxes(node, self.g, self.env)

    def read(self, s, r0, c0, r1, c1) -> V:
        return self.eng._read_box(s, r0, c0, r1, c1)


class Evaluator:
    """The expression half of the Engine (sheetnet.engine.evaluate)."""

    def _eval(self, node, g: Group, array: bool, scalar: bool, env=None) -> V:
        kind = node[0]
        if kind == "ref":
            v = self._read(node, g)
            if scalar and not array and v.shape[1:] != (1, 1):
                v = self._implicit(v, g, node)
            return v
        if kind == "num":
            return V(np.full((1, 1, 1), node[1]))
        if kind in ("str", "bool"):
            return V.scalar(node[1])
        if kind == "err":
            return V.scalar(ErrorCode(node[1]))
        if kind == "arr":
            return node[1]
        if kind == "missing":
            return V.scalar(None)
        if kind == "neg":
            n, e = to_number(self._eval(node[1], g, array, True, env))
            return finish(-n, e)
        if kind == "pct":
            n, e = to_number(self._eval(node[1], g, array, True, env))
            return finish(n / 100.0, e)
        if kind == "bin":  # a left-deep chain (1+1+...+1) is walked, not recursed
            spine = []
            while node[0] == "bin":
                spine.append(node)
                node = node[2]
            acc = self._eval(node, g, array, True, env)
            for b in reversed(spine):
                acc = self._binary(b[1], acc, self._eval(b[3], g, array, True, env))
            return acc
        if kind == "fn":
            return self._call(node, g, array, env, scalar)
        if kind == "name":
            if not env or node[1] not in env:
                return V.scalar(ErrorCode("#NAME?"))
            v, bound = env[node[1]]
            if scalar and not array and v.shape[1:] != (1, 1) and bound[0] == "ref":
                v = self._implicit(v, g, bound)
            return v
        if kind == "lambda":  # a LAMBDA not given to MAP, BYROW, ...: Excel's #CALC!
            return V.scalar(ErrorCode("#CALC!"))
        if kind == "let":
            env = dict(env or {})
            for name, vnode in node[1]:
                env[name] = (self._eval(vnode, g, array, False, env), vnode)
            return self._eval(node[2], g, array, scalar, env)
        raise EngineError(f"cannot evaluate {kind}")

    def _call(self, node, g: Group, array: bool, env, scalar: bool = True) -> V:
        _, name, args = node
        f = FUNCTIONS[name]
        if name == "IF" and len(args) > 1:
            return self._if(f, args, g, array, env)
        if f.mode == "lazy":
            return f.impl(args, Ctx(self, g, array, env, scalar))
        inner = array or f.inner_array
        # an omitted required argument is a blank, as in Excel; an omitted optional one reaches
        # keep_omitted functions as None (their default)
        vals = [(None if f.keep_omitted and i >= f.lo else V.scalar(None)) if a[0] == "missing" else
                self._eval(a, g, inner, not f.array_arg(i), env) for i, a in enumerate(args)]
        return f.impl(vals) if f.mode == "value" else f.impl(vals, Ctx(self, g, array, env))

    def _if(self, f, args, g: Group, array: bool, env) -> V:
        """IF's condition first; where it is one value, the same for every cell, only the branch it picks is
        computed, as in Excel (a recursive LAMBDA ends through it; a refusal in the branch not taken is not one)."""
        inner = array or f.inner_array

        def arg(i):
            a = args[i]
            return None if a[0] == "missing" else self._eval(a, g, inner, not f.array_arg(i), env)
        cond = arg(0)
        pick = None
        if cond is not None and cond.shape[1:] == (1, 1):  # (an array condition: both, element by element)
            b, err = to_bool(cond)
            if b.size and (err is None or all(e is None for e in np.ravel(err))):
                pick = 1 if b.all() else 2 if not b.any() else None
        if pick is None:
            return f.impl([cond] + [arg(i) for i in range(1, len(args))])
        if pick >= len(args):  # IF(FALSE, x): FALSE, whatever x is
            return f.impl([cond, V(np.zeros((1, 1, 1)))])
        v = arg(pick)
        return f.impl([cond] + [v] * (len(args) - 1))

    # ---- references ---------------------------------------------------------------------------

    def _read(self, node, g: Group) -> V:
        if type(g) is Wide:  # columns side by side as one block (sheetnet.engine.wide)
            return wide_read(self, node, g)
        _, s, r0, c0, r1, c1, rel0, rel1 = node
        k = g.k
        grid = self.grids[s]
        r0, c0, r1, c1 = grid.clip(r0, c0, r1, c1)
        h, w = r1 - r0 + 1, c1 - c0 + 1
        if h <= 0 or w <= 0:  # wholly beyond the cells in use: blanks, the box's own size, no memory
            _, _, a0, b0, a1, b1, _, _ = node
            a1, b1 = min(a1, 1_048_575), min(b1, 16_383)
            shape = (k if rel0 else 1, a1 - a0 + 1, b1 - b0 + 1)
            return V(np.broadcast_to(np.zeros((1, 1, 1)), shape), np.broadcast_to(np.zeros((1, 1, 1), np.uint8), shape),
                     np.broadcast_to(np.full((1, 1, 1), None, object), shape), ref=True)
        if g.runtime_refs:
            self._ensure(s, r0, c0, r1 + (k - 1 if rel0 else 0), c1)
        if rel0 and k > 1:
            last = r1 + k
            num, typ, obj = grid.block(r0, c0, last - 1, c1)
            wn = _windows(num, k, h, w)
            if grid.all_numbers(r0, last, c0, c1 + 1):
                return V(wn, ref=True)
            return V(wn, _windows(typ, k, h, w), _windows(obj, k, h, w), ref=True)
        if grid.all_numbers(r0, r1 + 1, c0, c1 + 1):
            (num,) = grid.block(r0, c0, r1, c1, ("num",))
            return V(num[None], ref=True)
        num, typ, obj = grid.block(r0, c0, r1, c1)
        return V(num[None], typ[None], obj[None], ref=True)

    def _read_box(self, s, r0, c0, r1, c1) -> V:
        """One box's values (a reference computed at run time: OFFSET, INDIRECT, INDEX)."""
        self._ensure(s, r0, c0, r1, c1)
        return self._read(("ref", s, r0, c0, r1, c1, False, False), _ONE)

    def _boxes(self, node, g: Group, env) -> list:
        """The box (sheet, r0, c0, r1, c1) each of the group's cells refers to with `node`."""
        kind = node[0]
        if kind == "ref":
            _, s, r0, c0, r1, c1, rel0, rel1 = node
            return [(s, r0 + (i if rel0 else 0), c0, r1 + (i if rel1 else 0), c1) for i in range(g.k)]
        if kind == "name" and env and node[1] in env and env[node[1]][1][0] == "ref":
            return self._boxes(env[node[1]][1], g, env)
        if kind == "fn" and node[1] in REF_FUNCTIONS:
            return REF_FUNCTIONS[node[1]](node[2], Ctx(self, g, False, env))
        raise EngineError("a reference is needed here")

    def _implicit(self, v: V, g: Group, node=None) -> V:
        """A multi-cell value where one is needed: a range meets the formula's row or column (Excel's
        implicit intersection, else #VALUE!); a computed array shows its top-left value."""
        if type(g) is Wide:  # (where the block's cells meet a range is for each column to say)
            raise NotWide
        node = node if node is not None else g.node
        if node[0] != "ref":
            return v.top_left()
        _, s, r0, c0, r1, c1, rel0, rel1 = node
        if c0 == c1 and r0 != r1 and not rel0:
            rows = np.arange(g.r0, g.r0 + g.k)
            ok = (rows >= r0) & (rows <= r1)
            idx = np.clip(rows - r0, 0, r1 - r0)
            out = V(v.num[0, idx, 0].reshape(-1, 1, 1), None if v.typ is None else v.typ[0, idx, 0].reshape(-1, 1, 1),
                    None if v.obj is None else v.obj[0, idx, 0].reshape(-1, 1, 1))
            return out if ok.all() else with_errors(out, np.where(ok, None, VALUE).reshape(-1, 1, 1))
        if r0 == r1 and c0 <= g.col <= c1:
            j = g.col - c0
            return V(v.num[:, :1, j:j + 1], None if v.typ is None else v.typ[:, :1, j:j + 1],
                     None if v.obj is None else v.obj[:, :1, j:j + 1])
        return V.errors((g.k, 1, 1), VALUE)

    # ---- operators ----------------------------------------------------------------------------

    def _binary(self, op: str, a: V, b: V) -> V:
        if op in ("+", "-", "*", "/", "^"):
            (x, ex), (y, ey) = to_number(a), to_number(b)
            with np.errstate(all="ignore"):
                if op == "+":
                    out = approx_add(x, y)
                elif op == "-":
                    out = approx_add(x, -y)
                elif op == "*":
                    out = x * y
                elif op == "/":
                    out = x / y
                else:
                    out = power(x, y)
            div0 = (y == 0) if op == "/" else ((x == 0) & (y < 0)) if op == "^" else None
            return finish(out, first_error(ex, ey), div0)
        if op == "&":
            (x, ex), (y, ey) = to_text(a), to_text(b)
            out = np.add(x, y, dtype=object) if x.size and y.size else x
            v = V(np.full(out.shape, np.nan), np.full(out.shape, TEXT, np.uint8), out)
            return with_errors(v, first_error(ex, ey))
        return compare(op, a, b)


def power(a, b):
    with np.errstate(all="ignore"):
        out = np.power(a, b)
    return np.where((a == 0) & (b == 0), np.nan, out)


def _windows(a: np.ndarray, k: int, h: int, w: int) -> np.ndarray:
    """(k, h, w) read-only view: window i is rows i..i+h-1 of a (the k cells of a group)."""
    if h == 1:
        return a[:, None, :]
    s0, s1 = a.strides
    return np.lib.stride_tricks.as_strided(a, shape=(k, h, w), strides=(s0, s0, s1), writeable=False)


_ONE = Group(-1, 0, 0, 0, 1, "")
