"""The engine: evaluate every formula of a workbook from its inputs, vectorised by column.

    eng = Engine.load("titanic.xlsx")      # parse, order, evaluate everything (cached values ignored)
    eng.get("nnet!B1")                     # 0.5765441707343955
    eng.set({"nnet!J4": 0.1})              # recomputes only what depends on J4
    eng.get("nnet!B1")

Formulas in one column that differ only by row form a group, evaluated as one array operation;
columns of one formula side by side are evaluated together (sheetnet.engine.wide), and columns that
feed each other down the rows as one loop (sheetnet.engine.recurrence).  Groups are ordered by their
dependencies; a change recomputes only the groups downstream of it.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

from ..errors import SheetnetError
from .access import Access
from .compile import SplitRun, compile_group
from .expr import Evaluator, _windows  # noqa: F401 (_windows: the torch path reuses it)
from .functions import FUNCTIONS
from .graph import Group, Order, circular, reads_of, resize_ranges, shift, unique_ids, walk
from .grid import Grid, plan_tiles
from .package import Book, a1, parse_range, read_book
from .sheetxml import ArrayFormula
from . import recurrence, wide
from .parse import Context, parse
from .parsecache import ParseCache
from .template import RowTemplate
from .values import BLANK, NUM, TEXT, EngineError, ErrorCode, Ragged, V


class Engine(Access, Evaluator):
    def __init__(self, book: Book, seed: int = 0, inputs=(), volatile: str = "fresh", now=None, skip=()):
        """volatile: "fresh" (RAND draws from `seed`, TODAY/NOW from the clock) or "cached" (the
        workbook's own cached values of RAND, RANDBETWEEN, RANDARRAY, TODAY and NOW cells).
        skip: sheets whose formulas are never computed (left blank) where nothing else reads them and no
        formula makes references at run time (a grader has no use for a self-check sheet)."""
        self.book = book
        self.sheets = list(book.sheets)
        self.index = {s: i for i, s in enumerate(self.sheets)}
        self._seed, self._rng = seed, None
        self.now = now or _dt.datetime.now()
        self.volatile = volatile
        self.clock_used = False  # TODAY or NOW was evaluated (said in calc's output)
        drop = {cell for a in inputs for cell in self._cells(a)}  # inputs, even where a formula was
        self._build_grids(drop)
        self._build_groups(drop)
        self._order()
        self._dirty_cache: dict = {}
        self._refs: dict = {}
        self._pending: set = set()
        self._running: set = set()
        self.held: set = set()  # groups whose cells hold() fixed
        self.held_cells: set = set()  # (sheet, row, col) of a recurrence that hold() fixed
        if skip:
            self._skip(skip)
        self.evaluate()

    @property
    def rng(self):
        """RAND's generator, seeded with `seed` (made on first use: numpy.random's import is 7 ms of calc's start)."""
        if self._rng is None:
            self._rng = np.random.default_rng(self._seed)
        return self._rng

    def _skip(self, sheets):
        """Hold (never compute) the groups of `sheets` that no other sheet's formulas need."""
        idx = {self.index[s] for s in sheets if s in self.index}
        if not idx or any(g.runtime_refs for g in self.groups):
            return
        needed, stack = set(), [g.id for g in self.groups if g.sheet not in idx]
        while stack:
            i = stack.pop()
            if i not in needed:
                needed.add(i)
                stack.extend(self.pre[i])
        self.held |= {g.id for g in self.groups if g.id not in needed}

    @classmethod
    def load(cls, path, seed: int = 0, inputs=(), volatile: str = "fresh", skip=()) -> Engine:
        """Read and evaluate a workbook, within sheetnet.limits' bounds of memory and time."""
        from ..limits import bounded

        with bounded(path):
            book = read_book(path, cached=True if volatile == "cached" else _wanted(inputs))
            try:
                return cls(book, seed, inputs, volatile, skip=skip)
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

    def _build_grids(self, drop):
        self.grids = []
        for s, name in enumerate(self.sheets):
            sd = self.book.data[name]
            extra = [(r, c) for (ss, r, c) in drop if ss == s]  # inputs may be blank cells: room for them
            cells = sd.cells()
            grid = Grid(plan_tiles(np.concatenate([cells.reshape(-1, 2), np.array(extra).reshape(-1, 2)])
                                   if extra else cells))
            rows, cols, vals = (np.frombuffer(sd.rows, np.int32), np.frombuffer(sd.cols, np.int32),
                                np.frombuffer(sd.vals, np.float64))
            for t in grid.tiles:
                inside = (rows >= t.r0) & (rows <= t.r1) & (cols >= t.c0) & (cols <= t.c1)
                rr, cc = rows[inside] - t.r0, cols[inside] - t.c0
                t.num[rr, cc], t.typ[rr, cc] = vals[inside], NUM
            _put_others(grid, sd.other)
            cached = sd.cached or {}
            for (ss, r, c) in drop:
                if ss == s and (r, c) in cached:
                    v = cached[(r, c)]
                    grid.put(r, c, None if v == "" else v)
            self.grids.append(grid)

    def _extent(self, sheet: str, c0: int, c1: int) -> int:
        s = self.index.get(sheet)
        return 1 if s is None else self.grids[s].col_extent(c0, c1)

    def _build_groups(self, drop):
        self.groups: list[Group] = []
        for s, name in enumerate(self.sheets):
            sd = self.book.data[name]
            for run in sd.runs:
                start = run.r0
                for r in range(run.r0, run.r0 + run.k + 1):  # split a run around input cells
                    if r == run.r0 + run.k or (s, r, run.col) in drop:
                        if r > start:
                            self.groups.append(Group(len(self.groups), s, run.col, start, r - start,
                                                     run.text_at(start), run.tpl))
                        start = r + 1
            for kind, a, k, tpl in _array_runs(sd.arrays, drop, s):
                if kind == "run":  # {=...} typed in each cell of a column, differing only by row: one group
                    self.groups.append(Group(len(self.groups), s, a.col, a.row, k, a.text, tpl, array_eval=True))
                else:
                    self.groups.append(Group(len(self.groups), s, a.col, a.row, 1, a.text, None,
                                             array_box=a.box, dynamic=a.dynamic))
        self._parses = ParseCache(FUNCTIONS, self.book.names)
        self._shapes: dict = {}  # group id -> its formula's shape, where it is a plain formula
        for g in list(self.groups):
            self._parse_group(g)
        self._fill_gid()

    def _parse_group(self, g: Group):
        ctx = Context(self.book, self.index, self.sheets[g.sheet], g.r0, g.col, self._extent)
        try:
            g.node = resize_ranges(self._parses.parse(g.formula, ctx, parse))
            if self._parses.shape is not None:
                self._shapes[g.id] = self._parses.shape
        except EngineError as e:
            raise EngineError(str(e)) from None
        mixed = False
        for node in walk(g.node):
            if node[0] == "ref" and node[6] != node[7]:
                mixed = True
            elif node[0] == "fn":
                f = FUNCTIONS.get(node[1])
                where = f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}"
                if f is None:
                    raise EngineError(f"{where}: function {node[1]} is not supported")
                if not f.lo <= len(node[2]) <= f.hi:
                    raise EngineError(f"{where}: {node[1]} takes {f.lo if f.lo == f.hi else f'{f.lo} to {f.hi}'} "
                                      f"arguments, not {len(node[2])}")
                g.volatile |= f.volatile
                g.runtime_refs |= f.runtime_refs
        g.reads = reads_of(g.node, g.k)
        if mixed and g.k > 1:  # A4:$A$9 dragged: each cell sees a different size, so one cell at a time
            self._split(g)

    def _split(self, g: Group):
        """A group as single-cell groups (the first keeps g's id), one SplitRun: cell i runs the run's
        compiled function at row offset i, reads the run's boxes with relative rows moved by i, and makes
        its own AST (g's, shifted) only when asked."""
        node, k = g.node, g.k
        run = SplitRun(node, k - 1)
        refs = [n[1:] for n in walk(node) if n[0] == "ref"]

        def reads(i):
            return [(s, r0 + i if rel0 else r0, c0, r1 + i if rel1 else r1, c1)
                    for s, r0, c0, r1, c1, rel0, rel1 in refs]
        g.k, g.split, g.reads = 1, (run, 0), reads(0)
        for i in range(1, k):
            ng = Group(len(self.groups), g.sheet, g.col, g.r0 + i, 1, g.text_at(g.r0 + i), g.tpl,
                       volatile=g.volatile, runtime_refs=g.runtime_refs, array_eval=g.array_eval, split=(run, i))
            ng.reads = reads(i)
            self.groups.append(ng)

    def _fill_gid(self):
        for grid in self.grids:
            for t in grid.tiles:
                t.gid[:] = -1
        for g in self.groups:
            grid = self.grids[g.sheet]
            if g.array_box:
                r0, c0, r1, c1 = g.array_box
            else:
                r0, c0, r1, c1 = g.r0, g.col, g.r0 + g.k - 1, g.col
            t = grid.tile(r0, c0)
            t.gid[r0 - t.r0:r1 - t.r0 + 1, c0 - t.c0:c1 - t.c0 + 1] = g.id

    def _ids_in(self, s, r0, c0, r1, c1) -> list[int]:
        grid = self.grids[s]
        r0, c0, r1, c1 = grid.clip(r0, c0, r1, c1)
        if r1 < r0 or c1 < c0:
            return []
        if r0 == r1 and c0 == c1:  # one cell (a recurrence's reads): no array to sort
            i = grid.group(r0, c0)
            return [i] if i >= 0 else []
        (gid,) = grid.block(r0, c0, r1, c1, ("gid",))
        return unique_ids(gid)

    def _ids_once(self):
        """_ids_in with each box looked up once, while the groups stay as they are (a recurrence's cells
        read the same block of data, row after row)."""
        seen: dict = {}

        def ids_in(*box):
            got = seen.get(box)
            if got is None:
                got = seen[box] = self._ids_in(*box)
            return got
        return ids_in

    def _order(self):
        order = Order(self.groups, self._ids_once())
        cyclic = order.cyclic()
        units: list = []
        if cyclic:
            # columns feeding each other down the rows are not a cycle of cells: a recurrence runs them row by
            # row (sheetnet.engine.recurrence); any other cycle of groups is split into single cells
            rest = []
            for comp in cyclic:
                u = recurrence.find(self.groups, comp)
                if u is None:
                    rest.append(comp)
                else:
                    units.append(u)
            if rest:
                for comp in rest:
                    for i in comp:
                        g = self.groups[i]
                        if g.k > 1:
                            self._split(g)
                self._fill_gid()
                order = Order(self.groups, self._ids_once())
                cyclic = order.cyclic()
            in_units = {m for u in units for m in u.members}
            cyclic = [comp for comp in cyclic if not in_units.issuperset(comp)]  # (a recurrence is its own)
            if cyclic and self.book.iterate is None:
                raise circular(self.groups, cyclic, self.sheets)
        self.units = {m: u for u in units for m in u.members}
        self.pre, self.post = order.pre, order.post
        # iterative calculation: the cycles and everything downstream of them are recomputed together,
        # step after step (self.iterated); each cycle's cells in layout order (sheet, row, column)
        self.iterated: set = set()

        cycled = {i for comp in cyclic for i in comp}

        def members(comp):
            if comp[0] not in cycled:
                return comp  # a recurrence's members, in the order a row computes them; a batch's, left to right
            return sorted(comp, key=lambda i: (self.groups[i].sheet, self.groups[i].r0, self.groups[i].col))
        for g in self.groups:
            g.fast = compile_group(self, g) if g.id not in self.units else None
        for u in units:
            recurrence.compile_recurrence(self, u)
        # columns of one formula side by side, evaluated as one block (sheetnet.engine.wide): one unit of the order
        batches = wide.find(self.groups, self._shapes, cycled | set(self.units))
        self.batches: dict = {}
        if cyclic or units or batches:
            comps = cyclic + [u.members for u in units]
            self.order = order.condensed(comps + [b.members for b in batches], members)
            if len(self.order) < len(self.groups):  # one column reads another's through a third: no batches
                batches, self.order = [], order.condensed(comps, members) if comps else order.topological()
            self.batches = {m: b for b in batches for m in b.members}
            stack = [i for comp in cyclic for i in comp]
            self.iterated = set(stack)
            while stack:
                for j in order.post[stack.pop()]:
                    if j not in self.iterated:
                        self.iterated.add(j)
                        stack.append(j)
        else:
            self.order = order.topological()
        self.rank = np.empty(len(self.groups), int)
        self.rank[self.order] = np.arange(len(self.groups))

    # ---- evaluating -----------------------------------------------------------------------------

    def evaluate(self):
        self._run_all(self.order)

    def _run_all(self, ids):
        self._pending = set(ids)
        try:
            for i in ids:  # nothing here reads a cycle (what does is in self.iterated): first
                if i in self._pending and i not in self.iterated:
                    self._run_id(i)
            if self.iterated:
                self._iterate([i for i in ids if i in self.iterated])
        finally:
            self._pending = set()

    def _iterate(self, members):
        """Iterative calculation: the cycles and what reads them, in order (each cycle's cells by sheet,
        row and column), each cell reading the others' latest values, one step after another, until no
        value changes by more than the workbook's delta or its count of steps is done."""
        if not members:
            return
        steps, delta = self.book.iterate
        cells = [(self.groups[i].sheet, r, c) for i in members for (r, c) in self.groups[i].cells()]

        def now():
            out = []
            for s, r, c in cells:
                v = self.grids[s].value(r, c)
                out.append(float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
            return out
        before = now()
        for _ in range(steps):
            for i in members:
                self._pending.add(i)
            for i in members:
                if i in self._pending:
                    self._run_id(i)
            after = now()
            moved = [abs(a - b) if isinstance(a, float) and isinstance(b, float) else (0.0 if a == b else np.inf)
                     for a, b in zip(after, before)]
            before = after
            if max(moved, default=0.0) <= delta:
                break

    def _ensure(self, s, r0, c0, r1, c1):
        """Before a reference made at run time is read: evaluate the pending groups it covers first."""
        if not self._pending and not self._running:
            return
        for i in self._ids_in(s, r0, c0, r1, c1):
            if i in self._running:  # mid-evaluation: its cells are not final yet
                g = self.groups[i]
                where = f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}"
                if g.k > 1:
                    raise EngineError(f"OFFSET/INDIRECT reads {where}:{a1(g.r0 + g.k - 1, g.col)} while that run "
                                      f"of formulas is computed (a recurrence through a reference made at run "
                                      f"time); not supported")
                raise EngineError(f"circular reference (through OFFSET/INDIRECT, reading {where})")
            if i in self._pending:
                self._demand(i)

    def _demand(self, i: int):
        """Evaluate pending group i out of order (a reference made at run time reads it), after the
        pending groups it reads, theirs first, depth first: a cell is never read before it is final."""
        stack, seen = [i], set()
        while stack:
            j = stack[-1]
            if j not in self._pending:
                stack.pop()
                continue
            if j in self._running:
                g = self.groups[j]
                raise EngineError(f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}: circular reference")
            together = self._together(j)  # a recurrence or batch runs whole: first what any of its columns reads
            waiting = [p for m in together for p in self.pre[m] if p not in together and p in self._pending] \
                if j not in seen else []
            seen.add(j)
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            self._run_id(j)

    def _together(self, i: int):
        """The groups run with group i: its recurrence's or batch's columns, or i alone."""
        u = self.units.get(i)
        if u is not None:
            return u.members
        b = self.batches.get(i)
        return b.members if b is not None else (i,)

    def _run_id(self, i: int):
        """Group i, or the whole recurrence or batch it is a column of."""
        u = self.units.get(i)
        if u is not None:
            recurrence.run(self, u)
        elif i in self.batches:
            wide.run(self, self.batches[i])
        else:
            self._run(self.groups[i])

    def evaluation_groups(self, ids) -> list:
        """The groups of `ids` in the order given, a recurrence's as its single cells in the order computed."""
        out, seen = [], set()
        for i in ids:
            u = self.units.get(i)
            if u is None:
                out.append(self.groups[i])
            elif id(u) not in seen:
                seen.add(id(u))
                out.extend(u.cells_in_order(self.groups))
        return out

    def _run(self, g: Group):
        self._pending.discard(g.id)
        if g.id in self.held:
            return
        self._running.add(g.id)
        try:
            if g.volatile and self.volatile == "cached" and self._cached(g):
                return
            v = g.fast() if g.fast is not None else None
            if v is None:
                try:
                    v = self._eval(g.node, g, g.array_box is not None or g.array_eval, True)
                except Ragged:
                    v = self._per_cell(g)
        except EngineError as e:
            raise EngineError(f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}: {e}") from None
        except MemoryError:  # sheetnet.limits says so, in one line
            raise
        except Exception as e:  # a shape or type the engine does not handle: refused, never a traceback
            raise EngineError(f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}: cannot evaluate ={g.formula[:80]} "
                              f"({type(e).__name__}: {e})") from None
        finally:
            self._running.discard(g.id)
        grid = self.grids[g.sheet]
        if isinstance(v, np.ndarray):  # the compiled path: numbers for the k cells
            t = grid.tiles[0]
            t.num[g.r0:g.r0 + g.k, g.col] = v
            if not g.stored_numbers:  # the type codes say "number" from the first time on
                t.typ[g.r0:g.r0 + g.k, g.col] = NUM
                g.stored_numbers = True
            return
        g.stored_numbers = False
        if g.array_box:
            r0, c0, r1, c1 = g.array_box
            h, w = v.shape[1:]
            g.spill = (min(h, r1 - r0 + 1), min(w, c1 - c0 + 1))
            v = fit(v, r1 - r0 + 1, c1 - c0 + 1, blank=g.dynamic)
            keep = np.zeros(v.shape[1:], bool)
            keep[:h, :w] = True
            typ = None if v.typ is None else v.typ[0]
            if g.dynamic and typ is not None:  # a blank inside the array shows 0; beyond its end, nothing
                typ = np.where(keep | (typ != BLANK), np.where(typ == BLANK, NUM, typ), BLANK).astype(np.uint8)
            grid.store(r0, c0, v.num[0], typ, None if v.obj is None else v.obj[0], keep_blank=g.dynamic)
            return
        if v.shape[1:] != (1, 1):  # an array formula's cell shows its array's first value
            v = v.top_left() if g.array_eval else self._implicit(v, g)
        v = v.broadcast((g.k, 1, 1))
        grid.store(g.r0, g.col, v.num[:, :, 0], None if v.typ is None else v.typ[:, :, 0],
                   None if v.obj is None else v.obj[:, :, 0])

    def _per_cell(self, g: Group) -> V:
        """The group's cells one at a time (its references made at run time differ in size by cell)."""
        out = []
        for i in range(g.k):
            cell = Group(g.id, g.sheet, g.col, g.r0 + i, 1, g.text_at(g.r0 + i), g.tpl, _node=shift(g.node, i),
                         volatile=g.volatile, runtime_refs=g.runtime_refs, array_eval=g.array_eval)
            v = self._eval(cell.node, cell, g.array_eval, True)
            if v.shape[1:] != (1, 1):
                v = v.top_left() if g.array_eval else self._implicit(v, cell)
            out.append(v.broadcast((1, 1, 1)))
        return V.stack(out)

    def _cached(self, g: Group) -> bool:
        """A volatile group shows the values the workbook cached (volatile="cached"), where it has them."""
        cached = self.book.data[self.sheets[g.sheet]].cached or {}
        cells = g.cells()
        if not all(rc in cached for rc in cells):
            return False
        grid = self.grids[g.sheet]
        for rc in cells:
            v = cached[rc]
            grid.put(*rc, None if v == "" else v)
        return True


def _put_others(grid: Grid, other: list):
    """Text, boolean and error cells into the grid: texts in bulk (a text "" shows, and counts, as blank)."""
    texts = [(r, c, v) for r, c, v in other if type(v) is str and v != ""]
    if texts:
        rows = np.array([r for r, _, _ in texts])
        cols = np.array([c for _, c, _ in texts])
        objs = np.empty(len(texts), object)
        objs[:] = [v for _, _, v in texts]
        for t in grid.tiles:
            inside = (rows >= t.r0) & (rows <= t.r1) & (cols >= t.c0) & (cols <= t.c1)
            rr, cc = rows[inside] - t.r0, cols[inside] - t.c0
            t.num[rr, cc], t.typ[rr, cc], t.obj[rr, cc] = np.nan, TEXT, objs[inside]
        grid.tver += 1
    for r, c, v in other:
        if not (type(v) is str and v != ""):
            grid.put(r, c, None if v == "" else v)


def fit(v: V, H: int, W: int, blank: bool = False) -> V:
    """An array formula's result into its H x W block: size-1 dimensions repeat; cells beyond the result
    are #N/A (a legacy array) or blank (a dynamic array that spilled less than its stored block)."""
    h, w = v.shape[1:]
    v = V(v.num[:1], None if v.typ is None else v.typ[:1], None if v.obj is None else v.obj[:1])
    if (h, w) == (H, W):
        return v
    hh, ww = (H if h == 1 and not blank else h), (W if w == 1 and not blank else w)
    v = v.broadcast((1, hh, ww))
    out = V.scalar(None).broadcast((1, H, W)) if blank else V.errors((1, H, W), "#N/A")
    r, c = min(hh, H), min(ww, W)
    num, typ, obj = np.array(out.num), np.array(out.types()), np.array(out.objs())
    num[:, :r, :c] = v.num[:, :r, :c]
    typ[:, :r, :c] = v.types()[:, :r, :c]
    obj[:, :r, :c] = v.objs()[:, :r, :c]
    return V(num, typ, obj)


__all__ = ["Engine", "ErrorCode", "BLANK", "fit"]



def _wanted(inputs):
    """{sheet: {(row, col)}} of the input cells (whose cached values stand in for formulas they may hold)."""
    out: dict = {}
    for ref in inputs:
        if isinstance(ref, tuple):
            return bool(inputs)  # cells by index: every cached value, as before
        sheet, _, rest = ref.rpartition("!")
        try:
            r0, c0, r1, c1 = parse_range(rest.replace("$", "").upper())
        except ValueError:
            return True
        if (r1 - r0 + 1) * (c1 - c0 + 1) > 1 << 20:
            return True
        out.setdefault(sheet.strip("'"), set()).update((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
    return out or False


def _array_runs(arrays, drop, s):
    """The sheet's array formulas as ("run", first, k, RowTemplate) for single-cell ones down a column whose
    text differs only by row (as a grid of {=...} cells is typed), else ("one", formula, 1, None)."""
    out, i = [], 0
    singles = []
    for a in arrays:
        if a.dynamic or a.box[0] != a.box[2] or a.box[1] != a.box[3]:
            continue
        if a.k > 1 and any((s, a.row + d, a.col) in drop for d in range(a.k)):  # a run read as one, around inputs
            tpl = RowTemplate(a.text, a.row)
            singles += [ArrayFormula(a.row + d, a.col, (a.row + d, a.col, a.row + d, a.col), tpl.render(a.row + d))
                        for d in range(a.k) if (s, a.row + d, a.col) not in drop]
        elif (s, a.row, a.col) not in drop:
            singles.append(a)
    single_ids = {id(a) for a in singles}
    others = [a for a in arrays if id(a) not in single_ids and a.k == 1 and (s, a.row, a.col) not in drop and
              (a.dynamic or a.box[0] != a.box[2] or a.box[1] != a.box[3])]
    singles.sort(key=lambda a: (a.col, a.row))
    while i < len(singles):
        a = singles[i]
        tpl = RowTemplate(a.text, a.row)
        j, k = i + 1, a.k
        while j < len(singles) and singles[j].col == a.col and singles[j].row == a.row + k and \
                tpl.render(singles[j].row) == singles[j].text:
            k += singles[j].k
            j += 1
        out.append(("run", a, k, tpl) if k > 1 else ("one", a, 1, None))
        i = j
    return out + [("one", a, 1, None) for a in others]
