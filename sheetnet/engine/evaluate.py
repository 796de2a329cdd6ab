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
from . import recurrence, wide
from .access import Access
from .building import Building, _wanted
from .compile import compiled
from .expr import Evaluator, _windows  # noqa: F401 (_windows: the torch path reuses it)
from .graph import Group, shift
from .package import Book, a1, read_book
from .values import BLANK, NUM, EngineError, ErrorCode, Ragged, V


class Engine(Access, Building, Evaluator):
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
        self._rows_done: dict = {}  # array_rows group id -> its next row, while it runs one row at a time
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

    # ---- evaluating -----------------------------------------------------------------------------

    def evaluate(self):
        self._run_all(self.order)

    def _run_all(self, ids):
        self._pending = set(ids)
        try:  # (an overflow or 0/0 is the cell's error value, which each function works out: never a warning)
            with np.errstate(all="ignore"):
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
                if g.array_rows:  # rows above the one being computed in turn are final (_per_row)
                    if i in self._rows_done and min(r1, g.array_box[2]) < self._rows_done[i]:
                        continue
                    if i not in self._rows_done:
                        raise ReadsItself(i)
                where = f"{self.sheets[g.sheet]}!{a1(g.r0, g.col)}"
                if g.k > 1:
                    last = a1(*g.array_box[2:]) if g.array_box else a1(g.r0 + g.k - 1, g.col)
                    raise EngineError(f"OFFSET/INDIRECT reads {where}:{last} while that run "
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
            f = compiled(self, g)  # (made on its first run)
            v = f() if f is not None else None
            if v is None:
                try:
                    v = self._eval(g.node, g, g.array_box is not None or g.array_eval, True)
                except Ragged:
                    v = self._per_row(g) if g.array_rows else self._per_cell(g)
                except ReadsItself as e:  # a row reads rows of its own run at run time: one row after another
                    if e.gid != g.id:
                        raise EngineError(e.args[0]) from None
                    v = self._per_row(g, in_turn=True)
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
            k, H, W = (g.k, 1, c1 - c0 + 1) if g.array_rows else (1, r1 - r0 + 1, c1 - c0 + 1)
            h, w = v.shape[1:]
            g.spill = (min(h, H), min(w, W))
            v = fit(v, H, W, blank=g.dynamic, k=k)
            typ = None if v.typ is None else v.typ.reshape(k * H, W)
            if g.dynamic and typ is not None:  # a blank inside the array shows 0; beyond its end, nothing
                keep = np.zeros((H, W), bool)
                keep[:h, :w] = True
                typ = np.where(keep | (typ != BLANK), np.where(typ == BLANK, NUM, typ), BLANK).astype(np.uint8)
            grid.store(r0, c0, v.num.reshape(k * H, W), typ, None if v.obj is None else v.obj.reshape(k * H, W),
                       keep_blank=g.dynamic)
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

    def _per_row(self, g: Group, in_turn: bool = False) -> V:
        """An array_rows group's rows one at a time, each fitted to its row's box: where its references made at run
        time differ in size by row, or (in_turn) where a row reads rows above it at run time (OFFSET(..,ROW()-3,0)
        down the run): each row then stored before the next is computed, and a row reading its own row or one
        below refused as circular (_ensure)."""
        r0, c0, _, c1 = g.array_box
        grid, out = self.grids[g.sheet], []
        try:
            for i in range(g.k):
                if in_turn:
                    self._rows_done[g.id] = r0 + i
                row = g.array_row(i, g.id)
                v = fit(self._eval(row.node, row, True, True), 1, c1 - c0 + 1)
                if in_turn:
                    grid.store(r0 + i, c0, v.num[0], None if v.typ is None else v.typ[0],
                               None if v.obj is None else v.obj[0])
                out.append(v)
        finally:
            self._rows_done.pop(g.id, None)
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


class ReadsItself(EngineError):
    """A reference made at run time reads the array_rows group `gid` while it runs (its rows in turn may)."""

    def __init__(self, gid: int):
        super().__init__("a run of array formulas reads its own cells through OFFSET/INDIRECT")
        self.gid = gid


def fit(v: V, H: int, W: int, blank: bool = False, k: int = 1) -> V:
    """An array formula's result into its H x W block (each of k formulas' into its own: an array_rows group):
    size-1 dimensions repeat; cells beyond the result are #N/A (a legacy array) or blank (a dynamic array that
    spilled less than its stored block)."""
    h, w = v.shape[1:]
    v = V(v.num[:k], None if v.typ is None else v.typ[:k], None if v.obj is None else v.obj[:k])
    if (h, w) == (H, W):
        return v.broadcast((k, H, W))
    hh, ww = (H if h == 1 and not blank else h), (W if w == 1 and not blank else w)
    v = v.broadcast((k, hh, ww))
    out = V.scalar(None).broadcast((k, H, W)) if blank else V.errors((k, H, W), "#N/A")
    r, c = min(hh, H), min(ww, W)
    num, typ, obj = np.array(out.num), np.array(out.types()), np.array(out.objs())
    num[:, :r, :c] = v.num[:, :r, :c]
    typ[:, :r, :c] = v.types()[:, :r, :c]
    obj[:, :r, :c] = v.objs()[:, :r, :c]
    return V(num, typ, obj)


__all__ = ["Engine", "ErrorCode", "BLANK", "fit"]
