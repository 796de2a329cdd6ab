"""The engine: evaluate every formula of a workbook from its inputs, vectorised by column.

    eng = Engine.load("titanic.xlsx")      # parse, order, evaluate everything (cached values ignored)
    eng.get("nnet!B1")                     # 0.5765441707343955
    eng.set({"nnet!J4": 0.1})              # recomputes only what depends on J4
    eng.get("nnet!B1")

Formulas in one column that differ only by row form a group, evaluated as one array operation.
Groups are ordered by their dependencies; a change recomputes only the groups downstream of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import SheetnetError
from . import functions as F
from .package import Book, a1, parse_cell, parse_range, read_book
from .parse import Context, group_key, parse
from .values import (
    APPROX,
    BLANK,
    BOOL,
    ERR,
    NUM,
    TEXT,
    VALUE,
    EngineError,
    ErrorCode,
    V,
    approx_add,
    error_array,
    finish,
    first_error,
    to_number,
    to_text,
    with_errors,
)

MAX_CELLS = 60_000_000  # a sheet's grid (rows x columns in use); beyond this sheetnet refuses
CMP = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater, "<=": np.less_equal, ">=": np.greater_equal}


class Grid:
    """A sheet's values: numbers, type codes and text/error objects, dense over the used range."""

    def __init__(self, rows: int, cols: int):
        if rows * cols > MAX_CELLS:
            raise EngineError(f"{rows} x {cols} cells is more than the {MAX_CELLS} sheetnet evaluates in a sheet")
        self.num = np.zeros((rows, cols))
        self.typ = np.zeros((rows, cols), np.uint8)
        self.obj = np.full((rows, cols), None, object)
        self.tver = 0  # bumped whenever a cell may stop being a number
        self.numcache: dict = {}  # (r0, r1, c0, c1) -> (tver, every cell a number?)

    def all_numbers(self, r0, r1, c0, c1) -> bool:
        key = (r0, r1, c0, c1)
        hit = self.numcache.get(key)
        if hit is not None and hit[0] == self.tver:
            return hit[1]
        ok = bool((self.typ[r0:r1, c0:c1] == NUM).all())
        self.numcache[key] = (self.tver, ok)
        return ok

    def put(self, r, c, value):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            self.tver += 1
        if value is None:
            self.num[r, c], self.typ[r, c], self.obj[r, c] = 0.0, BLANK, None
        elif isinstance(value, ErrorCode):
            self.num[r, c], self.typ[r, c], self.obj[r, c] = np.nan, ERR, str(value)
        elif isinstance(value, bool):
            self.num[r, c], self.typ[r, c], self.obj[r, c] = float(value), BOOL, None
        elif isinstance(value, str):
            self.num[r, c], self.typ[r, c], self.obj[r, c] = np.nan, TEXT, value
        else:
            self.num[r, c], self.typ[r, c], self.obj[r, c] = float(value), NUM, None

    def value(self, r, c):
        if r >= self.num.shape[0] or c >= self.num.shape[1]:
            return None
        t = self.typ[r, c]
        return (None if t == BLANK else float(self.num[r, c]) if t == NUM else bool(self.num[r, c]) if t == BOOL
                else str(self.obj[r, c]) if t == TEXT else ErrorCode(self.obj[r, c]))


@dataclass
class Group:
    id: int
    sheet: int
    col: int
    r0: int
    k: int  # cells r0 .. r0+k-1 in column col
    formula: str
    node: object = None
    array_box: tuple | None = None  # (r0, c0, r1, c1) for an array formula
    reads: list = field(default_factory=list)  # (sheet, r0, c0, r1, c1) boxes read by all k cells
    volatile: bool = False

    def cells(self):
        if self.array_box:
            r0, c0, r1, c1 = self.array_box
            return [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
        return [(self.r0 + i, self.col) for i in range(self.k)]


class Engine:
    def __init__(self, book: Book, seed: int = 0, inputs=()):
        self.book = book
        self.sheets = list(book.sheets)
        self.index = {s: i for i, s in enumerate(self.sheets)}
        self.rng = np.random.default_rng(seed)
        drop = {cell for a in inputs for cell in self._cells(a)}  # inputs, even where a formula was
        rows = {s: 1 + max((r for r, _ in book.cells[s]), default=0) for s in self.sheets}
        self._build_groups(drop, rows)
        self._build_grids(drop)
        self._order()
        self._dirty_cache: dict = {}
        self.evaluate()

    @classmethod
    def load(cls, path, seed: int = 0, inputs=()) -> Engine:
        book = read_book(path)
        try:
            return cls(book, seed, inputs)
        except EngineError as e:
            raise SheetnetError(f"{path}: {e}") from None

    # ---- building -------------------------------------------------------------------------------

    def _cells(self, ref) -> list[tuple[int, int, int]]:
        """(sheet, row, col) of every cell of "sheet!A1" or "sheet!A1:B2" (or such a tuple itself)."""
        if isinstance(ref, tuple):
            return [ref]
        sheet, _, rest = ref.rpartition("!")
        sheet = sheet.strip("'")
        if sheet not in self.index:
            raise SheetnetError(f"no sheet named {sheet!r} (sheets: {', '.join(self.sheets)})")
        try:
            r0, c0, r1, c1 = parse_range(rest.replace("$", "").upper())
        except ValueError:
            raise SheetnetError(f"{ref!r} is not a cell or range address") from None
        s = self.index[sheet]
        return [(s, r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]

    def _build_groups(self, drop, rows):
        self.groups: list[Group] = []
        for s, name in enumerate(self.sheets):
            by_col: dict = {}
            for (r, c), cell in self.book.cells[name].items():
                if cell.formula is None or (s, r, c) in drop:
                    continue
                if cell.array_ref:
                    box = parse_range(cell.array_ref)
                    self.groups.append(Group(len(self.groups), s, c, r, 1, cell.formula, array_box=box))
                else:
                    by_col.setdefault(c, []).append((r, group_key(cell.formula, r), cell.formula))
            for c, items in sorted(by_col.items()):
                items.sort()
                run = None
                for r, key, formula in items:
                    if run and key == run[2] and r == run[0] + run[1]:
                        run[1] += 1
                    else:
                        if run:
                            self._add_run(s, c, *run)
                        run = [r, 1, key, formula]
                if run:
                    self._add_run(s, c, *run)
        for g in list(self.groups):
            self._parse_group(g, rows)
        # array blocks: the cells they cover are theirs, not separate formulas
        covered = {}
        for g in self.groups:
            if g.array_box:
                for rc in g.cells():
                    covered[(g.sheet, rc)] = g.id
        self.groups = [g for g in self.groups if g.array_box or (g.sheet, (g.r0, g.col)) not in covered
                       or covered[(g.sheet, (g.r0, g.col))] == g.id]
        for i, g in enumerate(self.groups):
            g.id = i

    def _add_run(self, s, c, r0, k, key, formula):
        self.groups.append(Group(len(self.groups), s, c, r0, k, formula))

    def _parse_group(self, g: Group, rows):
        ctx = Context(self.book, self.index, self.sheets[g.sheet], g.r0, g.col, rows)
        g.node = parse(g.formula, ctx)
        g.reads, g.volatile, mixed = [], False, False
        for node in _walk(g.node):
            if node[0] == "ref":
                _, s, r0, c0, r1, c1, rel0, rel1 = node
                if rel0 != rel1:
                    mixed = True
                g.reads.append((s, r0, c0, r1 + (g.k - 1 if rel1 else 0), c1))
            elif node[0] == "fn":
                name = node[1]
                if name in F.VOLATILE:
                    g.volatile = True
                elif name not in F.FUNCTIONS and name not in F.CONSTANT_FUNCTIONS and name != "NA":
                    raise EngineError(f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}: function {name} is not supported "
                                      f"(supported: {', '.join(F.supported())})")
                lo, hi = F.ARITY.get(name, (1, 255))
                if not lo <= len(node[2]) <= hi:
                    raise EngineError(f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}: {name} takes "
                                      f"{lo if lo == hi else f'{lo} to {hi}'} arguments, not {len(node[2])}")
        if mixed and g.k > 1:  # A4:$A$9 style: each cell sees a different size, so one cell at a time
            self._split(g, rows)

    def _split(self, g: Group, rows):
        singles = []
        for i in range(1, g.k):
            ng = Group(len(self.groups) + len(singles), g.sheet, g.col, g.r0 + i, 1, "")
            singles.append(ng)
        cells = self.book.cells[self.sheets[g.sheet]]
        g.k = 1
        self._parse_group(g, rows)
        for ng in singles:
            ng.formula = cells[(ng.r0, ng.col)].formula
            self.groups.append(ng)
            self._parse_group(ng, rows)

    def _build_grids(self, drop):
        self.grids = []
        for s, name in enumerate(self.sheets):
            cells = self.book.cells[name]
            nr = 1 + max((r for r, _ in cells), default=0)
            nc = 1 + max((c for _, c in cells), default=0)
            for g in self.groups:
                for (gs, r0, c0, r1, c1) in g.reads:
                    if gs == s:
                        nr = max(nr, r1 + 1)
                        nc = max(nc, min(c1, 16383) + 1 if c1 < 16383 else nc)
                if g.sheet == s and g.array_box:
                    nr, nc = max(nr, g.array_box[2] + 1), max(nc, g.array_box[3] + 1)
            grid = Grid(nr, nc)
            for (r, c), cell in cells.items():
                if cell.formula is None or (s, r, c) in drop:
                    v = ErrorCode(cell.value) if cell.is_error else cell.value
                    grid.put(r, c, None if v == "" else v)  # an empty text constant shows, and counts, as blank
            self.grids.append(grid)
        gid = [np.full(g.num.shape, -1, np.int32) for g in self.grids]
        for g in self.groups:
            if g.array_box:
                r0, c0, r1, c1 = g.array_box
                gid[g.sheet][r0:r1 + 1, c0:c1 + 1] = g.id
            else:
                gid[g.sheet][g.r0:g.r0 + g.k, g.col] = g.id
        self.gid = gid

    def _clip(self, s, r0, c0, r1, c1):
        nr, nc = self.grids[s].num.shape
        return r0, c0, min(r1, nr - 1), min(c1, nc - 1)

    def _order(self):
        for attempt in range(2):
            n = len(self.groups)
            pre = [set() for _ in range(n)]
            for g in self.groups:
                for (s, r0, c0, r1, c1) in g.reads:
                    r0, c0, r1, c1 = self._clip(s, r0, c0, r1, c1)
                    if r1 < r0 or c1 < c0:
                        continue
                    ids = np.unique(self.gid[s][r0:r1 + 1, c0:c1 + 1])
                    pre[g.id].update(int(i) for i in ids if i >= 0)
            self.pre = pre
            self.post = [[] for _ in range(n)]
            for i, ps in enumerate(pre):
                for p in ps:
                    if p != i:
                        self.post[p].append(i)
            order = self._toposort(pre)
            if order is not None:
                self.order = order
                self.rank = np.empty(n, int)
                self.rank[order] = np.arange(n)
                return
            if attempt == 0:
                # groups reading themselves (C5 = C4 + 1): evaluate their cells one by one
                stuck = [g for g in self.groups if g.id in pre[g.id] and g.k > 1]
                if not stuck:
                    break
                rows = {s: self.grids[i].num.shape[0] for i, s in enumerate(self.sheets)}
                for g in stuck:
                    self._split(g, rows)
                for i, g in enumerate(self.groups):
                    g.id = i
                self._build_grids(set())
        cyc = self._cycle_cell()
        raise EngineError(f"{cyc}: circular reference")

    def _kahn(self, pre) -> list[int]:
        """Groups in dependency order, as far as it goes: a group in a cycle (or reading itself) never
        becomes ready, so a short list means a circular reference."""
        indeg = [len(p) for p in pre]
        ready = [i for i, d in enumerate(indeg) if d == 0]
        order = []
        while ready:
            i = ready.pop()
            order.append(i)
            for j in self.post[i]:
                indeg[j] -= 1
                if indeg[j] == 0:
                    ready.append(j)
        return order

    def _toposort(self, pre):
        order = self._kahn(pre)
        return order if len(order) == len(pre) else None

    def _cycle_cell(self):
        done = set(self._kahn(self.pre))
        g = next((g for g in self.groups if g.id not in done), None)
        return f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}" if g else "?"

    # ---- evaluating -----------------------------------------------------------------------------

    def evaluate(self):
        for i in self.order:
            self._run(self.groups[i])

    def _run(self, g: Group):
        try:
            v = self._eval(g.node, g, array=g.array_box is not None, scalar=True)
        except EngineError as e:
            raise EngineError(f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}: {e}") from None
        except (ValueError, TypeError, IndexError) as e:  # a shape or type the engine does not handle
            raise EngineError(f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}: cannot evaluate ={g.formula[:80]} "
                              f"({type(e).__name__}: {e})") from None
        grid = self.grids[g.sheet]
        if g.array_box:
            r0, c0, r1, c1 = g.array_box
            H, W = r1 - r0 + 1, c1 - c0 + 1
            v = _fit(v, H, W)
            self._store(grid, slice(r0, r1 + 1), slice(c0, c1 + 1), v.num[0], None if v.typ is None else v.typ[0],
                        None if v.obj is None else v.obj[0])
            return
        if v.shape[1:] != (1, 1):
            v = self._implicit(v, g)
        v = v.broadcast((g.k, 1, 1))
        rows = slice(g.r0, g.r0 + g.k)
        self._store(grid, rows, g.col, v.num[:, 0, 0], None if v.typ is None else v.typ[:, 0, 0],
                    None if v.obj is None else v.obj[:, 0, 0])

    @staticmethod
    def _store(grid, rows, cols, num, typ, obj):
        if typ is None:
            grid.num[rows, cols] = num
            grid.typ[rows, cols] = NUM
            return
        grid.tver += 1
        typ = np.where(typ == BLANK, NUM, typ)  # a formula showing a blank cell shows 0
        grid.num[rows, cols] = np.where(typ == NUM, np.nan_to_num(num), num)
        grid.typ[rows, cols] = typ
        grid.obj[rows, cols] = obj if obj is not None else None

    def _implicit(self, v: V, g: Group, node=None) -> V:
        """A multi-cell value where one is needed: a range meets the formula's row or column (Excel's
        implicit intersection, else #VALUE!); a computed array shows its top-left value."""
        node = node if node is not None else g.node
        if node[0] != "ref":
            return V(v.num[:, :1, :1], None if v.typ is None else v.typ[:, :1, :1],
                     None if v.obj is None else v.obj[:, :1, :1])
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

    def _read(self, node, g: Group, k: int) -> V:
        _, s, r0, c0, r1, c1, rel0, rel1 = node
        grid = self.grids[s]
        r0, c0, r1, c1 = self._clip(s, r0, c0, r1, c1)
        h, w = r1 - r0 + 1, c1 - c0 + 1
        if h <= 0 or w <= 0:
            return V.errors((1, 1, 1), "#REF!")
        if rel0 and k > 1:
            last = r1 + k
            sl = (slice(r0, last), slice(c0, c1 + 1))
            num = _windows(grid.num[sl], k, h, w)
            if grid.all_numbers(r0, last, c0, c1 + 1):
                return V(num, ref=True)
            return V(num, _windows(grid.typ[sl], k, h, w), _windows(grid.obj[sl], k, h, w), ref=True)
        sl = (slice(r0, r1 + 1), slice(c0, c1 + 1))
        num = grid.num[sl][None]
        if grid.all_numbers(r0, r1 + 1, c0, c1 + 1):
            return V(num, ref=True)
        return V(num, grid.typ[sl][None], grid.obj[sl][None], ref=True)

    def _eval(self, node, g: Group, array: bool, scalar: bool) -> V:
        kind = node[0]
        k = g.k
        if kind == "ref":
            v = self._read(node, g, k)
            if scalar and not array and v.shape[1:] != (1, 1):
                v = self._intersect(node, v, g)
            return v
        if kind == "num":
            return V(np.full((1, 1, 1), node[1]))
        if kind == "str":
            return V.scalar(node[1])
        if kind == "bool":
            return V.scalar(node[1])
        if kind == "err":
            return V.scalar(ErrorCode(node[1]))
        if kind == "arr":
            return node[1]
        if kind == "missing":
            return V.scalar(None)
        if kind == "neg":
            n, e = to_number(self._eval(node[1], g, array, True))
            return finish(-n, e)
        if kind == "pct":
            n, e = to_number(self._eval(node[1], g, array, True))
            return finish(n / 100.0, e)
        if kind == "bin":  # a left-deep chain (1+1+...+1) is walked, not recursed
            spine = []
            while node[0] == "bin":
                spine.append(node)
                node = node[2]
            acc = self._eval(node, g, array, True)
            for b in reversed(spine):
                acc = self._binary(b[1], acc, self._eval(b[3], g, array, True))
            return acc
        if kind == "fn":
            return self._call(node, g, array)
        raise EngineError(f"cannot evaluate {kind}")

    def _intersect(self, node, v: V, g: Group) -> V:
        return self._implicit(v, g, node)

    def _call(self, node, g: Group, array: bool) -> V:
        _, name, args = node
        if name == "RAND":
            return V(self.rng.random((g.k, 1, 1)))
        if name == "RANDBETWEEN":
            (a, ea), (b, eb) = (to_number(self._eval(x, g, array, True)) for x in args)
            lo, hi = np.ceil(a), np.floor(b)
            u = self.rng.random(np.broadcast_shapes(lo.shape, hi.shape, (g.k, 1, 1)))
            return finish(np.where(hi >= lo, lo + np.floor(u * (hi - lo + 1)), np.nan), first_error(ea, eb))
        if name == "NA":
            return V.scalar(ErrorCode("#N/A"))
        if name in F.CONSTANT_FUNCTIONS:
            return V.scalar(F.CONSTANT_FUNCTIONS[name])
        inner_array = array or name in ("SUMPRODUCT", "MMULT", "TRANSPOSE")
        scalar = name not in F.ARRAY_ARGS
        vals = [None if a[0] == "missing" and name in ("IF", "INDEX", "SUMIF", "LOG") else
                self._eval(a, g, inner_array, scalar if not (name == "INDEX" and i == 0) else False)
                for i, a in enumerate(args)]
        return F.FUNCTIONS[name](vals)

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
                    out = F.power(x, y)
            div0 = (y == 0) if op == "/" else ((x == 0) & (y < 0)) if op == "^" else None
            return finish(out, first_error(ex, ey), div0)
        if op == "&":
            (x, ex), (y, ey) = to_text(a), to_text(b)
            out = np.add(x, y, dtype=object) if x.size and y.size else x
            v = V(np.full(out.shape, np.nan), np.full(out.shape, TEXT, np.uint8), out)
            return with_errors(v, first_error(ex, ey))
        return self._compare(op, a, b)

    def _compare(self, op, a: V, b: V) -> V:
        if a.typ is None and b.typ is None:
            r = CMP[op](_order(a.num, b.num), 0)
            return V(r.astype(float), np.full(r.shape, BOOL, np.uint8))
        shape = np.broadcast_shapes(a.shape, b.shape)
        a, b = a.broadcast(shape), b.broadcast(shape)
        ta, tb = a.types(), b.types()
        err = first_error(error_array(a), error_array(b))
        if not ((ta == TEXT).any() or (tb == TEXT).any()):
            # numbers and booleans (blank: 0 or FALSE, as the other side): compare vectorised
            na, nb = np.where(ta == BLANK, 0.0, a.num), np.where(tb == BLANK, 0.0, b.num)
            ea, eb = np.where(ta == BLANK, tb, ta), np.where(tb == BLANK, ta, tb)
            rank_a, rank_b = np.where(ea == BOOL, 2, 0), np.where(eb == BOOL, 2, 0)
            c = np.where(rank_a == rank_b, _order(na, nb), np.sign(rank_a - rank_b))
            r = CMP[op](np.nan_to_num(c), 0)
            return with_errors(V(r.astype(float), np.full(shape, BOOL, np.uint8)), err)
        oa, ob = a.objs(), b.objs()
        out = np.zeros(shape, bool)
        fa, fb = ta.ravel(), tb.ravel()
        na, nb, xa, xb = a.num.ravel(), b.num.ravel(), oa.ravel(), ob.ravel()
        fo = out.reshape(-1)
        for i in range(fo.size):
            if fa[i] == ERR or fb[i] == ERR:
                continue
            c = _cmp_values(int(fa[i]), na[i], xa[i], int(fb[i]), nb[i], xb[i])
            fo[i] = {"=": c == 0, "<>": c != 0, "<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]
        return with_errors(V(out.astype(float), np.full(shape, BOOL, np.uint8)), err)

    # ---- the public face ------------------------------------------------------------------------

    def get(self, ref: str, sheet: str | None = None):
        """One cell's value (float, str, bool, None, ErrorCode), or a list of rows for a range."""
        s, rest = self._split_ref(ref, sheet)
        if ":" in rest:
            r0, c0, r1, c1 = parse_range(rest.upper())
            return [[self.grids[s].value(r, c) for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]
        r, c = parse_cell(rest.upper())
        return self.grids[s].value(r, c)

    def _split_ref(self, ref, sheet):
        sh, _, rest = ref.rpartition("!")
        sh = sh.strip("'") if sh else sheet
        if sh is None:
            sh = self.sheets[0]
        if sh not in self.index:
            raise SheetnetError(f"no sheet named {sh!r} (sheets: {', '.join(self.sheets)})")
        return self.index[sh], rest.replace("$", "")

    def set(self, values: dict, sheet: str | None = None):
        """Set input cells ({"linear!F4": 0.1, ...}) and recompute what depends on them."""
        cells = []
        for ref, value in values.items():
            s, rest = self._split_ref(ref, sheet)
            r, c = parse_cell(rest.upper())
            grid = self.grids[s]
            if r < grid.num.shape[0] and c < grid.num.shape[1] and self.gid[s][r, c] >= 0:
                raise SheetnetError(f"{self.sheets[s]}!{a1(r, c)} holds a formula; load with inputs=[...] to set it")
            if r >= grid.num.shape[0] or c >= grid.num.shape[1]:
                continue  # nothing reads it
            grid.put(r, c, value)
            cells.append((s, r, c))
        self.recompute(cells)

    def set_many(self, sheet: int, rows, cols, values):
        """Fast path for solvers: numbers into (rows[i], cols[i]) of sheet index `sheet`, then recompute."""
        grid = self.grids[sheet]
        grid.num[rows, cols] = values
        grid.typ[rows, cols] = NUM
        self.recompute([(sheet, int(r), int(c)) for r, c in zip(np.atleast_1d(rows), np.atleast_1d(cols))])

    def dirty_groups(self, cells) -> list[int]:
        key = tuple(sorted(cells))
        hit = self._dirty_cache.get(key)
        if hit is not None:
            return hit
        start = set()
        for g in self.groups:
            for (s, r0, c0, r1, c1) in g.reads:
                if any(cs == s and r0 <= r <= r1 and c0 <= c <= c1 for cs, r, c in cells):
                    start.add(g.id)
                    break
        start |= {g.id for g in self.groups if g.volatile}
        seen, stack = set(start), list(start)
        while stack:
            i = stack.pop()
            for j in self.post[i]:
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
        out = sorted(seen, key=lambda i: self.rank[i])
        if len(self._dirty_cache) < 4096:
            self._dirty_cache[key] = out
        return out

    def recompute(self, cells):
        for i in self.dirty_groups(cells):
            self._run(self.groups[i])

    def formula_cells(self) -> dict:
        """{(sheet, row, col): group id} for every formula cell."""
        out = {}
        for g in self.groups:
            for rc in g.cells():
                out[(self.sheets[g.sheet], *rc)] = g.id
        return out


def _cmp_values(ta, na, oa, tb, nb, ob) -> int:
    """Excel's ordering: numbers < text < booleans; text case-insensitive; blank is 0, "" or FALSE."""
    if ta == BLANK and tb == BLANK:
        return 0
    if ta == BLANK:
        ta, na, oa = (tb, 0.0, "") if tb != TEXT else (TEXT, 0.0, "")
    if tb == BLANK:
        tb, nb, ob = (ta, 0.0, "") if ta != TEXT else (TEXT, 0.0, "")
    rank = {NUM: 0, TEXT: 1, BOOL: 2}
    if ta != tb:
        return -1 if rank[ta] < rank[tb] else 1
    if ta == TEXT:
        x, y = str(oa).lower(), str(ob).lower()
        return int(x > y) - int(x < y)
    return int(_order(np.float64(na), np.float64(nb)))


def _order(a, b):
    """-1, 0 or 1 for a vs b, numbers within 2**-48 of each other counting as equal."""
    with np.errstate(invalid="ignore"):
        d = a - b
        tol = np.abs(a) * APPROX
        return np.where(np.abs(d) < tol, 0.0, np.sign(d))


def _fit(v: V, H: int, W: int) -> V:
    """An array formula's result into its H x W block: size-1 dimensions repeat, missing cells #N/A."""
    h, w = v.shape[1:]
    v = V(v.num[:1], None if v.typ is None else v.typ[:1], None if v.obj is None else v.obj[:1])
    if (h, w) == (H, W):
        return v
    hh, ww = (H if h == 1 else h), (W if w == 1 else w)
    v = v.broadcast((1, hh, ww))
    out = V.errors((1, H, W), "#N/A")
    r, c = min(hh, H), min(ww, W)
    num, typ, obj = out.num.copy(), out.typ.copy(), out.obj.copy()
    num[:, :r, :c] = v.num[:, :r, :c]
    typ[:, :r, :c] = v.types()[:, :r, :c]
    obj[:, :r, :c] = v.objs()[:, :r, :c]
    return V(num, typ, obj)


def _windows(a: np.ndarray, k: int, h: int, w: int) -> np.ndarray:
    """(k, h, w) read-only view: window i is rows i..i+h-1 of a (the k cells of a group)."""
    if h == 1:
        return a[:, None, :]
    s0, s1 = a.strides
    return np.lib.stride_tricks.as_strided(a, shape=(k, h, w), strides=(s0, s0, s1), writeable=False)


def _walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        kind = n[0]
        if kind in ("neg", "pct"):
            stack.append(n[1])
        elif kind == "bin":
            stack.extend((n[2], n[3]))
        elif kind == "fn":
            stack.extend(n[2])

