"""Building the engine from a workbook as read: its grids of values, its formula groups (parsed once a
shape), and the order they run in (recurrences, batches of columns, cycles).

A mixin of Engine (sheetnet.engine.evaluate), as Access is its public face.
"""

from __future__ import annotations

import numpy as np

from ..errors import SheetnetError
from . import recurrence, wide
from .compile import LATER, SplitRun, compiled
from .functions import FUNCTIONS
from .graph import RESIZED, Group, Order, boxes_read, circular, reads_of, refs, resize_ranges, unique_ids, walk
from .grid import COL_GAP, ROW_GAP, Grid, plan_tiles
from .package import a1, parse_range
from .parse import Context, parse
from .parsecache import Moved, ParseCache
from .sheetxml import ArrayFormula
from .template import RowTemplate
from .values import NUM, TEXT, EngineError


class Building:
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
            corner = None if extra else sd.corner()
            if corner is not None and corner[0] <= ROW_GAP and corner[1] <= COL_GAP:  # (plan_tiles' one tile)
                grid = Grid([(0, 0, *corner)])
            else:
                cells = sd.cells()
                grid = Grid(plan_tiles(np.concatenate([cells.reshape(-1, 2), np.array(extra).reshape(-1, 2)])
                                       if extra else cells))
            rows, cols, vals = (np.frombuffer(sd.rows, np.int32), np.frombuffer(sd.cols, np.int32),
                                np.frombuffer(sd.vals, np.float64))
            if len(grid.tiles) == 1:  # (every cell in the one tile from A1)
                grid.num[rows, cols], grid.typ[rows, cols] = vals, NUM
            for t in grid.tiles if len(grid.tiles) > 1 else ():
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
                if not drop:
                    self.groups.append(Group(len(self.groups), s, run.col, run.r0, run.k, run.text_at(run.r0)))
                    continue
                start = run.r0
                for r in range(run.r0, run.r0 + run.k + 1):  # split a run around input cells
                    if r == run.r0 + run.k or (s, r, run.col) in drop:
                        if r > start:
                            self.groups.append(Group(len(self.groups), s, run.col, start, r - start,
                                                     run.text_at(start)))
                        start = r + 1
            for kind, a, k in _array_runs(sd.arrays, drop, s):
                if kind == "run":  # {=...} typed in each cell of a column, differing only by row: one group
                    self.groups.append(Group(len(self.groups), s, a.col, a.row, k, a.text, array_eval=True))
                elif kind == "rows":  # {=...} over a row's cells, typed in each row, differing only by row
                    self.groups.append(Group(len(self.groups), s, a.col, a.row, k, a.text, None,
                                             array_box=(a.row, a.box[1], a.row + k - 1, a.box[3]), array_rows=True))
                else:
                    self.groups.append(Group(len(self.groups), s, a.col, a.row, 1, a.text, None,
                                             array_box=a.box, dynamic=a.dynamic))
        self._parses = ParseCache(FUNCTIONS, self.book.names)
        self._shapes: dict = {}  # group id -> its formula's shape, where it is a plain formula
        self._facts: dict = {}  # shape -> what _facts_of says of its formulas
        self._never: set = set()  # shapes with no compiled path (sheetnet.engine.compile)
        for g in list(self.groups):
            self._parse_group(g)
        self._fill_gid()

    def _parse_group(self, g: Group):
        ctx = Context(self.book, self.index, self.sheets[g.sheet], g.r0, g.col, self._extent)
        try:
            node = self._parses.parse(g.formula, ctx, parse, lazy=True)
        except EngineError as e:
            raise EngineError(str(e)) from None
        shape = self._parses.shape
        if shape is not None:
            self._shapes[g.id] = shape
        facts = self._facts.get(shape)
        if facts is None:  # (never for a Moved: its shape's first formula, parsed, stored them)
            facts = self._facts_of(g, node)
            if shape is not None:  # (a formula of the same shape has the same functions and the same $)
                self._facts[shape] = facts
        resized, g.volatile, g.runtime_refs, mixed = facts
        if isinstance(node, Moved) and not resized:  # (its AST made when asked; what it reads, now)
            g.lazy = node
            g.reads = boxes_read(node.refs(), g.k)
        else:
            if isinstance(node, Moved):
                node = node.build()
            g.node = resize_ranges(node) if resized else node
            g.reads = reads_of(g.node, g.k)
        if mixed and g.k > 1:  # A4:$A$9 dragged: each cell sees a different size, so one cell at a time
            self._split(g)

    def _facts_of(self, g: Group, node) -> tuple:
        """(resized?, volatile, runtime references, mixed $ in a range) of a formula's AST; a function not
        supported, or given the wrong count of arguments, refused naming the cell."""
        resized = mixed = volatile = runtime = False
        for n in walk(node):
            if n[0] == "ref" and n[6] != n[7]:
                mixed = True
            elif n[0] == "fn":
                f = FUNCTIONS.get(n[1])
                where = f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}"
                if f is None:
                    raise EngineError(f"{where}: function {n[1]} is not supported")
                if not f.lo <= len(n[2]) <= f.hi:
                    raise EngineError(f"{where}: {n[1]} takes {f.lo if f.lo == f.hi else f'{f.lo} to {f.hi}'} "
                                      f"arguments, not {len(n[2])}")
                volatile |= f.volatile
                runtime |= f.runtime_refs
                resized |= n[1] in RESIZED
        return resized, volatile, runtime, mixed

    def _split(self, g: Group):
        """A group as single-cell groups (the first keeps g's id), one SplitRun: cell i runs the run's
        compiled function at row offset i, reads the run's boxes with relative rows moved by i, and makes
        its own AST (g's, shifted) only when asked."""
        if g.array_rows:
            return self._split_rows(g)
        node, k = g.node, g.k
        run = SplitRun(node, k - 1)
        boxes = [n[1:] for n in refs(node)]

        def reads(i):
            return [(s, r0 + i if rel0 else r0, c0, r1 + i if rel1 else r1, c1)
                    for s, r0, c0, r1, c1, rel0, rel1 in boxes]
        g.k, g.split, g.reads = 1, (run, 0), reads(0)
        for i in range(1, k):
            ng = Group(len(self.groups), g.sheet, g.col, g.r0 + i, 1, g.text_at(g.r0 + i), g.tpl,
                       volatile=g.volatile, runtime_refs=g.runtime_refs, array_eval=g.array_eval, split=(run, i))
            ng.reads = reads(i)
            self.groups.append(ng)

    def _split_rows(self, g: Group):
        """An array_rows group as one array formula a row (the first keeps g's id)."""
        rows = [g.array_row(i, len(self.groups) + i - 1) for i in range(g.k)]
        g.k, g.array_box, g.array_rows, g.node = 1, rows[0].array_box, False, rows[0].node
        for ng in [g] + rows[1:]:
            ng.reads = reads_of(ng.node, 1)
        self.groups += rows[1:]

    def _fill_gid(self):
        """Each formula cell's group id in the grids' gid (-1 elsewhere), and each grid's formula_box: the box
        around all its formula cells (None: none), outside which a box reads no group."""
        for grid in self.grids:
            for t in grid.tiles:
                t.gid[:] = -1
            grid.formula_box = None
        for g in self.groups:
            grid = self.grids[g.sheet]
            if g.array_box:
                r0, c0, r1, c1 = g.array_box
            else:
                r0, c0, r1, c1 = g.r0, g.col, g.r0 + g.k - 1, g.col
            t = grid.tile(r0, c0)
            t.gid[r0 - t.r0:r1 - t.r0 + 1, c0 - t.c0:c1 - t.c0 + 1] = g.id
            fb = grid.formula_box
            grid.formula_box = (r0, c0, r1, c1) if fb is None else \
                (min(fb[0], r0), min(fb[1], c0), max(fb[2], r1), max(fb[3], c1))

    def _ids_in(self, s, r0, c0, r1, c1) -> list[int]:
        grid = self.grids[s]
        fb = grid.formula_box
        if fb is None or r1 < fb[0] or c1 < fb[1] or r0 > fb[2] or c0 > fb[3]:  # (a box of data only)
            return []
        r0, c0, r1, c1 = grid.clip(r0, c0, r1, c1)
        if r1 < r0 or c1 < c0:
            return []
        if r0 == r1 and c0 == c1:  # one cell (a recurrence's reads): no array to sort
            i = grid.group(r0, c0)
            return [i] if i >= 0 else []
        gid = grid.gid[r0:r1 + 1, c0:c1 + 1] if grid.main_holds(r0, c0, r1, c1) else \
            grid.block(r0, c0, r1, c1, ("gid",))[0]
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
        cycled = {i for comp in cyclic for i in comp}

        def members(comp):
            if comp[0] not in cycled:
                return comp  # a recurrence's members, in the order a row computes them; a batch's, left to right
            return sorted(comp, key=lambda i: (self.groups[i].sheet, self.groups[i].r0, self.groups[i].col))
        for g in self.groups:  # (compiled when first run, or when wide.find asks)
            g.fast = LATER if g.id not in self.units else None
        for u in units:
            recurrence.compile_recurrence(self, u)
        # columns of one formula side by side, evaluated as one block (sheetnet.engine.wide): one unit of the order
        blocks = wide.independent(wide.find(self.groups, self._shapes, cycled | set(self.units),
                                            lambda g: compiled(self, g)), order.pre)
        taken = cycled | set(self.units) | {m for b in blocks for m in b.members}
        gathers = wide.independent(wide.find_gathers(self.groups, self._shapes, taken), order.pre)  # anywhere
        comps = cyclic + [u.members for u in units]
        # a batch one of whose cells reads another's through a third cannot be one unit of the order: then
        # without the gathered cells, then without any batch
        for batches in (blocks + gathers, blocks, []):
            self.order = order.condensed(comps + [b.members for b in batches], members) if comps or batches \
                else order.topological()
            if len(self.order) == len(self.groups):
                break
        self.batches = {m: b for b in batches for m in b.members}
        stack = list(cycled)
        self.iterated = set(stack)
        while stack:
            for j in order.post[stack.pop()]:
                if j not in self.iterated:
                    self.iterated.add(j)
                    stack.append(j)
        self.rank = np.empty(len(self.groups), int)
        self.rank[self.order] = np.arange(len(self.groups))


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
    """The sheet's array formulas as ("run", first, k) for single-cell ones down a column whose text differs only
    by row (as a grid of {=...} cells is typed), ("rows", first, k) for one-row ones likewise (_row_runs), else
    ("one", formula, 1)."""
    out, i = [], 0
    singles, others = [], []
    for a in arrays:
        if a.dynamic or a.box[0] != a.box[2] or a.box[1] != a.box[3]:
            if (s, a.row, a.col) not in drop:
                others.append(a)
        elif a.k > 1 and any((s, a.row + d, a.col) in drop for d in range(a.k)):  # a run read as one, around inputs
            tpl = RowTemplate(a.text, a.row)
            singles += [ArrayFormula(a.row + d, a.col, (a.row + d, a.col, a.row + d, a.col), tpl.render(a.row + d))
                        for d in range(a.k) if (s, a.row + d, a.col) not in drop]
        elif (s, a.row, a.col) not in drop:
            singles.append(a)
    singles.sort(key=lambda a: (a.col, a.row))
    while i < len(singles):
        a = singles[i]
        tpl = None
        j, k = i + 1, a.k
        while j < len(singles) and singles[j].col == a.col and singles[j].row == a.row + k:
            tpl = tpl or RowTemplate(a.text, a.row)  # (made only where one is below it)
            if tpl.render(singles[j].row) != singles[j].text:
                break
            k += singles[j].k
            j += 1
        out.append(("run", a, k) if k > 1 else ("one", a, 1))
        i = j
    return out + _row_runs(others)


def _row_runs(arrays) -> list:
    """Legacy array formulas of one row each (M3:Q3, M4:Q4, ...) over the same columns in the rows one below the
    other, whose text differs only by row, as ("rows", first, k); the rest as ("one", formula, 1)."""
    def one_row(a):
        return not a.dynamic and a.box[0] == a.box[2] and tuple(a.box[:2]) == (a.row, a.col)
    out, i = [], 0
    rows = sorted(filter(one_row, arrays), key=lambda a: (a.box[1], a.box[3], a.row))
    while i < len(rows):
        a, j, tpl = rows[i], i + 1, None
        while j < len(rows) and tuple(rows[j].box[1::2]) == tuple(a.box[1::2]) and rows[j].row == a.row + (j - i):
            tpl = tpl or RowTemplate(a.text, a.row)
            if tpl.render(rows[j].row) != rows[j].text:
                break
            j += 1
        out.append(("rows", a, j - i) if j - i > 1 else ("one", a, 1))
        i = j
    return out + [("one", a, 1) for a in arrays if not one_row(a)]
