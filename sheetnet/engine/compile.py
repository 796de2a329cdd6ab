"""The all-numbers fast path of a group: its AST compiled once into numpy on the grid's own arrays.

A group whose cells read only numbers (the lesson's Lin, ReLU, Preds, Loss and totals) runs as a
few numpy operations on views of the grid, with none of the general evaluator's bookkeeping of
types and errors.  Before each run it checks that what it reads is still all numbers; afterwards
that every result is a finite number.  When either fails it returns None and the general evaluator
runs the group, so both paths give the same values.  Spreadsheet semantics are kept: + and -
cancel to 0 within 2**-48, comparisons count numbers within 2**-48 as equal, 0^0 is an error.
"""

from __future__ import annotations

import math

import numpy as np

from ..numerics import exp, ln, log10, tanh
from .compare import CMP
from .compiled_sums import SUMS, _No, _NoShape, compiled_sum
from .compiled_wide import wide_mmult, wide_ref
from .graph import walk
from .values import APPROX, BLANK, NUM
from .wide import Wide


RAISE = dict(divide="raise", over="raise", invalid="raise", under="ignore")  # numpy's error state, compiled


class SplitRun:
    """A run of formulas split into single cells (columns feeding each other down the rows): compiled
    once, each cell running it at its own row offset, where compiling each cell took most of a load."""

    def __init__(self, node, span: int):
        self.node, self.span, self.k, self.off, self.compiled = node, span, 1, [0], None
        self.common = None  # a recurrence's member: (Common, the memo of its first row)


def _plain_group(g) -> bool:
    """Is the group none of what the compiled path leaves alone whatever its AST (arrays, volatile functions,
    references made at run time)?"""
    return not (g.array_box is not None or g.array_eval or g.volatile or g.runtime_refs)


def _compilable(eng, g, node) -> bool:
    """Can the group's cells take the compiled path at all (numbers out, into the main tile)?"""
    return _plain_group(g) and not (_gives_boolean(node) or
                                    not eng.grids[g.sheet].main_holds(g.r0, g.col, g.r0 + g.k - 1, g.col))


LATER = "later"  # Group.fast until its compiled path is made: when the group first runs, or when wide.find asks
# whether it has one (cells gathered into one evaluation, conv's pooling, never pay for it)


def compiled(eng, g):
    """The group's compiled path, made now if it is still to be made (None: it has none)."""
    if g.fast is LATER:
        g.fast = compile_group(eng, g)
    return g.fast


def compile_group(eng, g):
    shape = eng._shapes.get(g.id) if g.split is None else None  # (collab's 15 columns of IF(..,MMULT(..)): one try)
    if shape in eng._never or not _plain_group(g):
        return None  # (before its AST is asked for: a lazy one stays unmade)
    node = g.split[0].node if g.split is not None else g.node  # (a split run's cell: its run's AST will do)
    if not _compilable(eng, g, node):
        return None
    if g.split is not None:  # (its run, its row in it)
        run, i = g.split
        if run.compiled is None:
            checks: list = []
            try:
                run.compiled = (_compile(eng, run, run.node, checks, scalar=True), checks)
            except (_No, RecursionError):
                run.compiled = False
        if run.compiled:
            return _fast(*run.compiled, 1, run.off, i)
    checks = []
    try:
        f = _compile(eng, g, g.node, checks, scalar=True)
    except _NoShape:
        if shape is not None:
            eng._never.add(shape)
        return None
    except (_No, RecursionError):
        return None
    return _fast(f, checks, g.k, None, 0)


class Common:
    """What a recurrence's columns compute alike (gd's two gradients share their residual, 2*(a*x+b-y)): each
    such expression compiled once for the members starting on one row, and worked out once a row.  `keys`:
    the expressions met more than once; `stamp`: the recurrence's count of runs (a value kept from an earlier
    run is not this run's)."""

    def __init__(self, keys: set, stamp: list):
        self.keys, self.stamp = keys, stamp
        self.offs: dict = {}  # first row -> the row offset its members' steps set (one list, shared)
        self.memos: dict = {}  # first row -> {(scalar, expression): (compiled, its checks)}


def common_keys(nodes) -> set:
    """The expressions (operations and functions) met more than once among the ASTs."""
    seen, twice = set(), set()
    for node in nodes:
        for n in walk(node):
            if n[0] in ("bin", "fn", "neg"):
                key = repr(n)
                (twice if key in seen else seen).add(key)
    return twice


def _once_a_row(f, off: list, stamp: list):
    """f worked out once for each row (off) of each run (stamp), its value kept for the others that ask.  (No
    compiled operation changes its operands in place, so the one value serves them all.)"""
    state = [None, None, None]

    def kept():
        if state[0] == off[0] and state[1] == stamp[0]:
            return state[2]
        v = f()
        state[0], state[1], state[2] = off[0], stamp[0], v
        return v
    return kept


def compile_steps(eng, g, band: list, common: Common | None = None):
    """A recurrence's column (sheetnet.engine.recurrence), one cell at a time: (step, fixed) where step(i)
    gives cell i's value by its column's AST compiled once, as a float, or None (then the general path),
    and fixed() says whether the boxes it reads outside the recurrence's cells (`band`: (sheet, r0, c0,
    r1, c1) of its columns) are all numbers, which the loop cannot change.  The caller holds numpy's
    error state at "raise" around the steps.  None where the AST has no compiled path."""
    if not _compilable(eng, g, g.node):
        return None
    run = SplitRun(g.node, g.k - 1)
    if common is not None:  # the members that start on g's row move through their rows together
        run.off = common.offs.setdefault(g.r0, [0])
        run.common = (common, common.memos.setdefault(g.r0, {}))
    checks: list = []
    try:
        f = _compile(eng, run, run.node, checks, scalar=True)
    except (_No, RecursionError):
        return None
    inside, outside = [], []  # the boxes read among the recurrence's cells (checked each step), and the others
    for x in checks:
        grid, (a, b, c, d), moves, _ = x
        among = moves or any(eng.grids[s] is grid and a <= r1 and b - 1 >= r0 and c <= c1 and d - 1 >= c0
                             for s, r0, c0, r1, c1 in band)
        (inside if among else outside).append(x)
    step = _stepper(f, inside, 1, run.off, one=True, raising=True)

    def fixed():
        return all(ok(a, b, c, d) for _, (a, b, c, d), _, ok in outside)
    return step, fixed


def compile_wide(eng, wg):
    """A block of columns' compiled path (sheetnet.engine.wide): step(0) gives its K numbers, row-major, or None
    (then the general path); None where it has no compiled path."""
    if wg.gather is not None or wg.array_eval or _gives_boolean(wg.node):
        return None
    checks: list = []
    try:
        f = _compile(eng, wg, wg.node, checks, scalar=True)
    except (_No, RecursionError):
        return None
    return _stepper(f, checks, wg.k, None)


def _fast(f, checks, k: int, off, i: int):
    """The compiled path of k cells; off (a run's row offset, set to i first) moves the boxes read."""
    step = _stepper(f, checks, k, off)
    return lambda: step(i)


def _stepper(f, checks, k: int, off, one: bool = False, raising: bool = False):
    """step(i): the compiled path at row offset i (0 where off is None): k numbers, or one float (one);
    raising: the caller holds numpy's error state at "raise"."""
    # a moving one-cell read (a recurrence's row above) is checked on its type code, in the main tile as the
    # compiled read is; any other box through the grid's cache
    cells = [(grid.tiles[0].typ, a, c) for grid, (a, b, c, d), moves, _ in checks if moves and b - a == 1 and d - c == 1]
    boxes = [x for x in checks if not (x[2] and x[1][1] - x[1][0] == 1 and x[1][3] - x[1][2] == 1)]

    def fast(i):
        if off is not None:
            off[0] = i
        for typ, a, c in cells:
            if typ[a + i, c] != NUM:
                return None
        for _, (a, b, c, d), moves, ok in boxes:
            if not (ok(a + i, b + i, c, d) if moves else ok(a, b, c, d)):
                return None
        try:  # an overflow, a division by zero or 0/0 anywhere (not only in the result): the general path
            if raising:
                out = f()
            else:
                with np.errstate(**RAISE):
                    out = f()
        except (ArithmeticError, ValueError):  # the general path gives the spreadsheet's error value
            return None
        if one:  # a recurrence's cell: its number, or None
            x = float(out[0]) if type(out) is np.ndarray and out.shape == (1,) else float(out) \
                if type(out) is not np.ndarray or out.ndim == 0 else None
            return x if x is not None and math.isfinite(x) else None
        if k == 1 and type(out) is np.ndarray and out.shape == (1,) and out.dtype == np.float64:
            return out if math.isfinite(out[0]) else None  # one cell (a split run's): no array machinery
        out = np.asarray(out, dtype=float)
        if out.ndim == 0:
            out = np.full(k, float(out))
        elif out.shape != (k,):
            return None
        if not np.isfinite(out).all():  # an infinity or nan anywhere: the general path says which error
            return None
        return out
    return fast


def _approx_add(a, b):
    out = a + b
    if type(out) is not np.ndarray or out.ndim == 0:  # (np.ndim's own call is a third of a scalar's sum)
        return 0.0 if abs(out) < abs(a) * APPROX else out
    if out.shape == (1,):  # one cell (a split run's): the same test on its one value, without array machinery
        if abs(out[0]) < abs(a.item() if isinstance(a, np.ndarray) else a) * APPROX:
            out[0] = 0.0
        return out
    tol = np.abs(a)
    tol *= APPROX
    cancel = np.abs(out) < tol
    if np.count_nonzero(cancel):  # (a quarter of .any()'s cost on a small array)
        out[cancel] = 0.0
    return out


def _order(a, b):
    d = a - b
    return np.where(np.abs(d) < np.abs(a) * APPROX, 0.0, np.sign(d))


def _against(cmp, c: float):
    """x (op) c for a constant c != 0, as the general path decides it: exactly, except within the
    narrow band around c where spreadsheet equality (2**-48) applies."""
    lo, hi = sorted((c / (1 + 4 * APPROX), c / (1 - 4 * APPROX)))

    def f(x):
        r = cmp(x, c)
        near = (x > lo) & (x < hi)
        if near.any():
            r = np.where(near, cmp(_order(x, c), 0.0), r)
        return r
    return f


_BOOLEAN = {"=", "<>", "<", ">", "<=", ">="}


def _is_bool(node) -> bool:
    return node[0] == "bin" and node[1] in _BOOLEAN


def _gives_boolean(node) -> bool:
    """A cell showing TRUE/FALSE (a comparison, or IF choosing one) keeps the general path's types."""
    if _is_bool(node):
        return True
    return node[0] == "fn" and node[1] == "IF" and any(_gives_boolean(a) for a in node[2][1:])


UNARY = {"ABS": np.abs, "EXP": exp, "TANH": tanh, "SQRT": np.sqrt, "LN": ln, "LOG10": log10,
         "SIN": None, "INT": np.floor}


def _compile(eng, g, node, checks, scalar: bool):
    """A function of no arguments giving the node's value: a scalar, (k,) per cell, or a 2-D block."""
    common = getattr(g, "common", None)
    if common is not None and node[0] in ("bin", "fn", "neg"):
        shared, memo = common
        key = repr(node)
        if key in shared.keys:
            hit = memo.get((scalar, key))
            if hit is None:
                sub: list = []
                hit = memo[(scalar, key)] = (_once_a_row(_compile_node(eng, g, node, sub, scalar), g.off,
                                                         shared.stamp), sub)
            checks.extend(hit[1])
            return hit[0]
    return _compile_node(eng, g, node, checks, scalar)


def _compile_node(eng, g, node, checks, scalar: bool):
    kind = node[0]
    if kind == "num":
        x = np.float64(node[1])  # numpy's IEEE arithmetic: 1/0 is inf (then the general path's #DIV/0!)
        return lambda: x
    if kind == "ref":
        return _ref(eng, g, node, checks, scalar)
    if kind == "neg":
        if node[1][0] == "neg" and _is_bool(node[1][1]):  # --(condition): the condition as 1 and 0
            a = _compile(eng, g, node[1][1], checks, scalar)
            return lambda: a().astype(float)
        a = _compile(eng, g, node[1], checks, scalar)
        return lambda: -np.asarray(a(), float)
    if kind == "bin":
        op = node[1]
        if op in ("=", "<>") and ("str", "") in (node[2], node[3]):  # x="": is the cell blank
            x = node[2] if node[3] == ("str", "") else node[3]
            if x[0] != "ref" or x[2:4] != x[4:6]:
                raise _No
            typ = _ref(eng, g, x, checks, scalar, blanks=True)  # (each cell a number or blank)
            if op == "=":
                return lambda: typ() == BLANK
            return lambda: typ() != BLANK
        if op == "^" and node[3][0] == "num" and node[3][1] == 2.0:
            a = _compile(eng, g, node[2], checks, scalar)

            def square():
                x = a()
                return x * x
            return square
        a = _compile(eng, g, node[2], checks, scalar)
        b = _compile(eng, g, node[3], checks, scalar)
        if op == "+":
            return lambda: _approx_add(a(), b())
        if op == "-":
            return lambda: _approx_add(a(), -b())
        if op == "*":
            return lambda: a() * b()
        if op == "/":
            return lambda: a() / b()
        if op in CMP:  # a boolean array (0 or 1 where numbers are needed)
            cmp = CMP[op]
            if node[3][0] == "num" and node[3][1] == 0.0:  # against 0, spreadsheet equality is exact
                return lambda: cmp(a(), 0.0)
            if node[3][0] == "num":
                f = _against(cmp, float(node[3][1]))
                return lambda: f(a())
            if _is_bool(node[2]) and _is_bool(node[3]):  # booleans against booleans: exact
                return lambda: cmp(a(), b())
            return lambda: cmp(_order(a(), b()), 0.0)
        raise _NoShape
    if kind == "fn":
        return _fn(eng, g, node, checks, scalar)
    raise _NoShape


def _ref(eng, g, node, checks, scalar, blanks=False):
    """A reference's numbers; blanks: its type codes instead, checked to be numbers or blanks (x="")."""
    if type(g) is Wide:
        return wide_ref(eng, g, node, checks, scalar, blanks)
    _, s, r0, c0, r1, c1, rel0, rel1 = node
    grid = eng.grids[s]
    k = g.k
    off = g.off if isinstance(g, SplitRun) else None  # a split run's: relative rows move with the cell it runs for
    moves = off is not None and rel0
    last = r1 + (k - 1 if rel1 else 0)
    if not grid.main_holds(r0, c0, last + (g.span if moves else 0), c1) or rel0 != rel1 or (blanks and moves):
        raise _No
    t = grid.tiles[0]
    checks.append((grid, (r0, last + 1, c0, c1 + 1), moves, grid.numbers_or_blanks if blanks else grid.all_numbers))
    h, w = r1 - r0 + 1, c1 - c0 + 1
    a = t.typ if blanks else t.num
    if (h, w) == (1, 1):
        if moves:  # one cell of a run at its own row: one number (no array machinery)
            return lambda: a[r0 + off[0], c0]
        if rel0:  # this row's cell: a column of k values
            return lambda: a[r0:r0 + k, c0]
        return lambda: a[r0, c0]
    if scalar or blanks:  # a range where one value is needed: the general path intersects it
        raise _No
    if rel0 and k > 1:
        raise _No  # a window per cell: only SUMPRODUCT's row-by-params form is compiled (below)
    if moves:
        return lambda: a[r0 + off[0]:r1 + 1 + off[0], c0:c1 + 1]
    return lambda: a[r0:r1 + 1, c0:c1 + 1]


_FNS = {name for name, f in UNARY.items() if f is not None} | {"IF"} | SUMS  # (compiled in some form)


def _fn(eng, g, node, checks, scalar):
    _, name, args = node
    if name in UNARY and UNARY[name] is not None and len(args) == 1:
        f, a = UNARY[name], _compile(eng, g, args[0], checks, scalar)

        def unary():
            v = f(a())
            if not np.all(np.isfinite(v)):  # EXP(1000), LN(0): an error in Excel, the general path says which
                raise FloatingPointError
            return v
        return unary
    if name == "IF" and len(args) == 3 and all(a[0] != "missing" for a in args):
        cond, then, other = args
        if cond[0] == "bin" and cond[1] == "<" and cond[3] == ("num", 0.0) and then == ("num", 0.0) and \
                other == cond[2]:  # IF(x<0,0,x), the lesson's ReLU: max(x, 0), which keeps -0 as IF does
            x = _compile(eng, g, other, checks, scalar)
            return lambda: np.maximum(x(), 0.0)
        c, a, b = (_compile(eng, g, x, checks, scalar) for x in args)
        if _is_bool(args[0]):
            return lambda: np.where(c(), a(), b())
        return lambda: np.where(c() != 0, a(), b())
    if name == "MMULT" and type(g) is Wide:
        return wide_mmult(eng, g, args, checks, _compile)
    if name in SUMS:
        if type(g) is Wide:
            raise _No  # (a block's ranges move by column too, which the sums do not follow)
        return compiled_sum(eng, g, node, checks, _compile, _ref, isinstance(g, SplitRun))
    raise _NoShape if name not in _FNS else _No

