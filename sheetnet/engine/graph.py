"""Formula groups and the order they are evaluated in.

A group is a run of formulas in one column that differ only by row (one AST, evaluated for all
its cells at once), one array formula, or a run of one-row array formulas down the rows that differ only by
row ({=OFFSET($C$3:$G$3,L3,0)} over M3:Q3, M4:Q4, ...: evaluated for all its rows at once).  Groups are
ordered by the cells they read.  Two columns that feed each other down the rows (A2=B1*2, B2=A2-1) make a cycle of groups but not of cells: they
run as one loop, row by row (sheetnet.engine.recurrence), or where that order is not sure, are split
into single cells.  A cell that depends on itself is a circular reference, reported with its address.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .package import a1
from .template import RowTemplate
from .values import EngineError


@dataclass
class Group:
    id: int
    sheet: int
    col: int
    r0: int
    k: int  # cells r0 .. r0+k-1 in column col
    formula: str  # the first cell's text
    tpl: object = None  # RowTemplate: any cell's text (see text_at)
    _node: object = None  # its AST (see node)
    array_box: tuple | None = None  # (r0, c0, r1, c1) for an array formula
    dynamic: bool = False  # an Excel 365 dynamic array
    reads: list = field(default_factory=list)  # (sheet, r0, c0, r1, c1) boxes read by all k cells
    volatile: bool = False
    runtime_refs: bool = False  # OFFSET / INDIRECT: reads cells its text does not name
    fast: object = None  # the compiled all-numbers path (sheetnet.engine.compile), or None, or compile.LATER (to be made)
    spill: tuple | None = None  # a dynamic array's (rows, columns) as last evaluated
    stored_numbers: bool = False  # its cells' type codes already say "number"
    array_eval: bool = False  # single-cell array formulas ({=...} in each cell) down a column: array semantics
    split: tuple | None = None  # (SplitRun, i): cell i of a run split into single cells (compiled once for all)
    lazy: object = None  # its AST to be made when first asked (sheetnet.engine.parsecache.Moved), or None
    array_rows: bool = False  # array_box holds k one-row array formulas, row r0+i's the first's moved i rows down

    @property
    def node(self):
        """The AST; a split run's cell makes its own (its run's, rows moved) when first asked, and so does a formula
        of a shape parsed before (lazy): most never are."""
        if self._node is None:
            if self.lazy is not None:
                self._node, self.lazy = self.lazy.build(), None
            elif self.split is not None:
                run, i = self.split
                self._node = shift(run.node, i)
        return self._node

    @node.setter
    def node(self, value):
        self._node, self.lazy = value, None

    def ref_nodes(self) -> list:
        """refs(self.node), without making a lazy AST."""
        if self._node is None and self.lazy is not None:
            return self.lazy.refs()
        return refs(self.node)

    def array_row(self, i: int, gid: int) -> Group:
        """Row i of an array_rows group as an array formula of its own, with id gid (its AST the first's moved)."""
        r0, c0, _, c1 = self.array_box
        return Group(gid, self.sheet, self.col, r0 + i, 1, self.text_at(r0 + i), _node=shift(self.node, i),
                     array_box=(r0 + i, c0, r0 + i, c1), volatile=self.volatile, runtime_refs=self.runtime_refs)

    def array_at(self, r: int) -> tuple:
        """The box of its array formula that holds row r (one row of an array_rows group)."""
        r0, c0, r1, c1 = self.array_box
        return (r, c0, r, c1) if self.array_rows else self.array_box

    def cells(self):
        if self.array_box:
            r0, c0, r1, c1 = self.array_box
            return [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
        return [(self.r0 + i, self.col) for i in range(self.k)]

    def text_at(self, r: int) -> str:
        """The text of its cell at row r: an array formula's (all its cells'), or the first's rendered at r (the
        template made when first asked: most groups never are)."""
        if r == self.r0 or self.array_box and not self.array_rows:
            return self.formula
        if self.tpl is None:
            self.tpl = RowTemplate(self.formula, self.r0)
        return self.tpl.render(r)


def shift(node, d: int):
    """The AST of a group's cell d rows below its first: relative rows move with it."""
    if d == 0:
        return node
    kind = node[0]
    if kind == "ref":
        _, s, r0, c0, r1, c1, rel0, rel1 = node
        return ("ref", s, r0 + d if rel0 else r0, c0, r1 + d if rel1 else r1, c1, rel0, rel1)
    if kind in ("neg", "pct"):
        return (kind, shift(node[1], d))
    if kind == "bin":
        return ("bin", node[1], shift(node[2], d), shift(node[3], d))
    if kind == "fn":
        return ("fn", node[1], [shift(a, d) for a in node[2]])
    if kind == "let":
        return ("let", [(n, shift(v, d)) for n, v in node[1]], shift(node[2], d))
    if kind == "lambda":
        return ("lambda", node[1], shift(node[2], d))
    return node


RESIZED = {"SUMIF": (2, 0), "AVERAGEIF": (2, 0)}  # argument i takes argument j's size, from its top-left


def resize_ranges(node):
    """SUMIF(I28:I31,"a",H28) sums H28:H31: Excel resizes the sum range to the criteria range from its
    top-left cell.  Done on the AST, so the dependency order sees the cells really read."""
    if not any(n[0] == "fn" and n[1] in RESIZED for n in walk(node)):
        return node
    return _resized(node)


def _resized(node):
    kind = node[0]
    if kind in ("neg", "pct"):
        return (kind, _resized(node[1]))
    if kind == "bin":
        return ("bin", node[1], _resized(node[2]), _resized(node[3]))
    if kind == "let":
        return ("let", [(n, _resized(v)) for n, v in node[1]], _resized(node[2]))
    if kind == "lambda":
        return ("lambda", node[1], _resized(node[2]))
    if kind != "fn":
        return node
    args = [_resized(a) for a in node[2]]
    if node[1] in RESIZED:
        i, j = RESIZED[node[1]]
        if len(args) > i and args[i][0] == "ref" and args[j][0] == "ref":
            _, _, r0, c0, r1, c1, _, _ = args[j]
            _, s, a0, b0, _, _, rel0, _ = args[i]
            args[i] = ("ref", s, a0, b0, a0 + r1 - r0, b0 + c1 - c0, rel0, rel0)
    return ("fn", node[1], args)


def nodes(node) -> list:
    """The AST's nodes, each before its arguments, the last argument's first (a list, not a generator: most
    callers take them all)."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        kind = n[0]
        if kind == "bin":
            stack += (n[2], n[3])
        elif kind == "fn":
            stack += n[2]
        elif kind in ("neg", "pct"):
            stack.append(n[1])
        elif kind == "let":
            stack.extend(v for _, v in n[1])
            stack.append(n[2])
        elif kind == "lambda":
            stack.append(n[2])
    return out


def walk(node):
    return iter(nodes(node))


def refs(node) -> list:
    """The AST's references, in walk's order."""
    return [n for n in nodes(node) if n[0] == "ref"]


def reads_of(node, k: int) -> list:
    """The boxes a group of k cells reads (relative rows stretched over its k cells)."""
    return boxes_read(refs(node), k)


def boxes_read(its_refs: list, k: int) -> list:
    """reads_of, from an AST's references (known without the AST: sheetnet.engine.parsecache.Moved)."""
    return [(s, r0, c0, r1 + (k - 1 if rel1 else 0), c1) for _, s, r0, c0, r1, c1, rel0, rel1 in its_refs]


def tarjan(n: int, post) -> list[list[int]]:
    """Strongly connected components of the graph i -> post[i] (iterative: deep chains are fine)."""
    index, low, on, stack, comps = [-1] * n, [0] * n, [False] * n, [], []
    counter = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on[root] = True
        work = [(root, iter(post[root]))]
        while work:
            v, it = work[-1]
            for w in it:
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on[w] = True
                    work.append((w, iter(post[w])))
                    break
                if on[w]:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on[w] = False
                        comp.append(w)
                        if w == v:
                            break
                    comps.append(comp)
    return comps


class Order:
    """Dependencies between groups: pre[i] (groups i reads), post[i] (groups reading i), a topological order."""

    def __init__(self, groups, group_ids_in):
        n = len(groups)
        pre = [set() for _ in range(n)]
        for g in groups:
            for (s, r0, c0, r1, c1) in g.reads:
                pre[g.id].update(group_ids_in(s, r0, c0, r1, c1))
        self.pre = pre
        self.post = [[] for _ in range(n)]
        for i, ps in enumerate(pre):
            for p in ps:
                self.post[p].append(i)

    def cyclic(self) -> list[list[int]]:
        """Components that are cycles (several groups, or one that reads itself)."""
        comps = tarjan(len(self.pre), self.post)
        return [c for c in comps if len(c) > 1 or c[0] in self.pre[c[0]]]

    def topological(self) -> list[int]:
        indeg = [len(p - {i}) for i, p in enumerate(self.pre)]
        ready = [i for i, d in enumerate(indeg) if d == 0]
        order = []
        while ready:
            i = ready.pop()
            order.append(i)
            for j in self.post[i]:
                if j == i:
                    continue
                indeg[j] -= 1
                if indeg[j] == 0:
                    ready.append(j)
        return order


    def condensed(self, comps, members_of) -> list[int]:
        """A topological order with each cycle (a component) as one unit, its members together in the
        order members_of(component) gives (iterative calculation)."""
        comp_of = {i: k for k, comp in enumerate(comps) for i in comp}
        n = len(self.pre)
        unit = [("c", comp_of[i]) if i in comp_of else ("g", i) for i in range(n)]
        units = sorted(set(unit))
        upre = {u: set() for u in units}
        for i in range(n):
            for p in self.pre[i]:
                if unit[p] != unit[i]:
                    upre[unit[i]].add(unit[p])
        upost = {u: [] for u in units}
        for u, ps in upre.items():
            for p in ps:
                upost[p].append(u)
        indeg = {u: len(ps) for u, ps in upre.items()}
        ready = [u for u in units if indeg[u] == 0]
        order = []
        while ready:
            u = ready.pop()
            order.extend(members_of(comps[u[1]]) if u[0] == "c" else [u[1]])
            for v in upost[u]:
                indeg[v] -= 1
                if indeg[v] == 0:
                    ready.append(v)
        return order


def circular(groups, comps, sheets) -> EngineError:
    g = min((groups[i] for c in comps for i in c), key=lambda g: (g.sheet, g.r0, g.col))
    return EngineError(f"{sheets[g.sheet]}!{a1(g.r0, g.col)}: circular reference")


def unique_ids(block: np.ndarray) -> list[int]:
    """The group ids in a block of the grid's ids (-1: none), ascending."""
    if block.size <= 256:  # (a set of Python ints: a fifth of np.unique's time on a small block)
        ids = set(block.ravel().tolist())
        ids.discard(-1)
        return sorted(ids)
    ids = np.unique(block)
    return [int(i) for i in ids if i >= 0]
