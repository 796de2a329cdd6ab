"""Reference functions: INDEX, OFFSET, INDIRECT, spill references (A1#), @ (SINGLE), ROW, COLUMN, ROWS,
COLUMNS, FORMULATEXT and ISFORMULA.

References made at run time (OFFSET, INDIRECT, INDEX of a range) are boxes (sheet, r0, c0, r1, c1),
one per formula cell; their values are read after the groups they cover are evaluated.
"""

from __future__ import annotations

import re

import numpy as np

from ..values import REF, VALUE, EngineError, ErrorCode, Ragged, V, bool_result
from .lookup import NA, _ints, _py
from .registry import REF_FUNCTIONS, fn, is_reference as _is_reference


def _index_pick(arr: V, r, c, K):
    """INDEX of an array value: row r, column c (0: the whole row / column)."""
    h, w = arr.shape[1:]
    out = []
    for k in range(K):
        rr = r[k] if isinstance(r, list) else r
        cc = c[k] if isinstance(c, list) else c
        for x in (rr, cc):
            if isinstance(x, ErrorCode):
                return V.scalar(x)
        if cc is None and (h == 1 or w == 1) and rr is not None:  # one index into a row or a column
            rr, cc = (1, rr) if h == 1 else (rr, 1)
        rr, cc = rr or 0, cc or 0
        if rr < 0 or cc < 0 or rr > h or cc > w:
            out.append(V.scalar(ErrorCode(REF)))
            continue
        kk = k if arr.shape[0] > 1 else 0
        rs = slice(None) if rr == 0 else slice(rr - 1, rr)
        cs = slice(None) if cc == 0 else slice(cc - 1, cc)
        out.append(V(arr.num[kk:kk + 1, rs, cs], None if arr.typ is None else arr.typ[kk:kk + 1, rs, cs],
                     None if arr.obj is None else arr.obj[kk:kk + 1, rs, cs]))
    if len({o.shape for o in out}) == 1:
        return V.stack(out)
    raise Ragged()  # each cell's own size: the group is evaluated one cell at a time


def _index_args(nodes, ctx):
    K = ctx.k

    def ints(node):
        if node is None or node[0] == "missing":
            return None
        return _ints(ctx.eval(node), K)
    r = ints(nodes[1]) if len(nodes) > 1 else None
    c = ints(nodes[2]) if len(nodes) > 2 else None
    area = ints(nodes[3]) if len(nodes) > 3 else None
    return r, c, area


def _index_boxes(nodes, ctx):
    boxes = ctx.boxes(nodes[0])
    r, c, area = _index_args(nodes, ctx)
    out = []
    for k, (s, r0, c0, r1, c1) in enumerate(boxes):
        rr = r[k] if r is not None else None
        cc = c[k] if c is not None else None
        if area is not None and area[k] != 1:
            raise EngineError("INDEX of a multi-area reference is not supported")
        h, w = r1 - r0 + 1, c1 - c0 + 1
        if cc is None and (h == 1 or w == 1) and rr is not None:
            rr, cc = (1, rr) if h == 1 else (rr, 1)
        rr, cc = rr or 0, cc or 0
        if isinstance(rr, ErrorCode) or isinstance(cc, ErrorCode) or rr < 0 or cc < 0 or rr > h or cc > w:
            out.append(None)
            continue
        out.append((s, r0 + rr - 1 if rr else r0, c0 + cc - 1 if cc else c0, r0 + rr - 1 if rr else r1,
                    c0 + cc - 1 if cc else c1))
    return out


def read_boxes(boxes, ctx, intersect: bool):
    """The values of one box per formula cell (None: #REF!); a box (or a cell) named by many cells is read once."""
    if intersect and ctx.scalar and not ctx.array:
        out, read = [], {}
        for k, b in enumerate(boxes):
            if b is None:
                out.append(V.scalar(ErrorCode(REF)))
                continue
            s, r0, c0, r1, c1 = b
            row, col = ctx.g.r0 + k, ctx.g.col
            if (r0, c0) == (r1, c1):
                r, c = r0, c0
            elif c0 == c1 and r0 <= row <= r1:
                r, c = row, c0
            elif r0 == r1 and c0 <= col <= c1:
                r, c = r0, col
            else:
                out.append(V.scalar(ErrorCode(VALUE)))
                continue
            if (s, r, c) not in read:
                read[(s, r, c)] = ctx.read(s, r, c, r, c)
            out.append(read[(s, r, c)])
        return V.stack(out)
    if all(b == boxes[0] for b in boxes) and boxes[0] is not None:
        return ctx.read(*boxes[0])
    read: dict = {}  # box -> its values: each box read once (a row of factors looked up by many rows)
    for b in boxes:
        if b not in read:
            read[b] = ctx.read(*b) if b is not None else V.scalar(ErrorCode(REF))
    vals = [read[b] for b in boxes]
    if len({v.shape[1:] for v in vals}) == 1:
        return V.stack(vals)
    raise Ragged()  # each cell's own size: the group is evaluated one cell at a time


@fn("INDEX", 2, 4, mode="lazy")
def f_index(nodes, ctx):
    if _is_reference(nodes[0], ctx):
        return read_boxes(_index_boxes(nodes, ctx), ctx, intersect=True)
    if nodes[0][0] == "missing":
        return V.errors((1, 1, 1), VALUE)
    arr = ctx.eval(nodes[0], scalar=False, array=True)
    r, c, _ = _index_args(nodes, ctx)
    return _index_pick(arr, r, c, ctx.k)


def _offset_boxes(nodes, ctx):
    boxes = ctx.boxes(nodes[0])
    K = ctx.k
    args = [None if i >= len(nodes) or nodes[i][0] == "missing" else ctx.eval(nodes[i]) for i in range(1, 5)]
    drs, dcs, hs, ws = (_ints(a, len(boxes), 0 if i < 2 else None) for i, a in enumerate(args))
    out = []
    for k, (s, r0, c0, r1, c1) in enumerate(boxes):
        dr, dc = drs[k], dcs[k]
        h = r1 - r0 + 1 if hs[k] is None else hs[k]
        w = c1 - c0 + 1 if ws[k] is None else ws[k]
        if any(isinstance(x, ErrorCode) for x in (dr, dc, h, w)) or h < 1 or w < 1:
            out.append(None)
            continue
        a, b = r0 + dr, c0 + dc
        if a < 0 or b < 0 or a + h - 1 >= 1_048_576 or b + w - 1 >= 16_384:
            out.append(None)
            continue
        out.append((s, a, b, a + h - 1, b + w - 1))
    return out if len(out) == K else out * K


@fn("OFFSET", 3, 5, mode="lazy", runtime_refs=True)
def f_offset(nodes, ctx):
    return read_boxes(_offset_boxes(nodes, ctx), ctx, intersect=True)


def _indirect_boxes(nodes, ctx):
    from ..parse import Context, reference

    text = ctx.eval(nodes[0])
    if text.shape[1] * text.shape[2] > 1:  # one cell, several texts: several references at once
        raise EngineError("INDIRECT of an array of texts (several references at once, as over sheets) is not "
                          "supported; refused")
    a1 = ctx.eval(nodes[1]) if len(nodes) > 1 and nodes[1][0] != "missing" else V.scalar(True)
    eng = ctx.eng
    out = []
    for k in range(ctx.k):
        t = _py(text, k)
        style = _py(a1, k)
        if not isinstance(t, str) or not t.strip():
            out.append(None)
            continue
        if eng.book.kind == "ods" and "!" not in t and re.search(r"\.\$?[A-Za-z]{1,3}\$?\d", t):
            t = re.sub(r"^\$?('?[^']*'?|[^.]*)\.", lambda m: (m.group(1) + "!") if m.group(1) else "", t.strip())
        if style is False or style == 0.0:
            t = _r1c1(t.strip(), ctx.g.r0 + k, ctx.g.col)
            if t is None:
                out.append(None)
                continue
        pctx = Context(eng.book, eng.index, eng.sheets[ctx.g.sheet], ctx.g.r0 + k, ctx.g.col, eng._extent)
        try:
            node = reference(t.strip(), pctx)
        except EngineError:
            node = ("err", REF)
        out.append(node[1:6] if node[0] == "ref" else None)
    return out


def _r1c1(t: str, row: int, col: int):
    import re

    from ..package import a1
    m = re.fullmatch(r"(?:(.+)!)?R(\[-?\d+\]|\d+)?C(\[-?\d+\]|\d+)?", t, re.I)
    if not m:
        return None

    def part(x, here):
        if x is None:
            return here
        return here + int(x[1:-1]) if x.startswith("[") else int(x) - 1
    r, c = part(m.group(2), row), part(m.group(3), col)
    if r < 0 or c < 0:
        return None
    return (m.group(1) + "!" if m.group(1) else "") + a1(r, c)


@fn("INDIRECT", 1, 2, mode="lazy", runtime_refs=True)
def f_indirect(nodes, ctx):
    return read_boxes(_indirect_boxes(nodes, ctx), ctx, intersect=True)


def _anchor_boxes(nodes, ctx):
    eng = ctx.eng
    out = []
    for (s, r0, c0, _, _) in ctx.boxes(nodes[0]):
        i = eng.group_at(s, r0, c0)
        g = eng.groups[i] if i >= 0 else None
        if g is not None and g.array_box and g.array_at(r0)[:2] == (r0, c0):
            if i in eng._pending:  # the spill's size is known once its formula has run
                eng._ensure(s, r0, c0, r0, c0)
            box = g.array_at(r0)
            h, w = g.spill if (g.dynamic and g.spill) else (box[2] - r0 + 1, box[3] - c0 + 1)
            out.append((s, r0, c0, r0 + h - 1, c0 + w - 1))
        else:
            out.append((s, r0, c0, r0, c0) if g is not None else None)
    return out


@fn("ANCHORARRAY", 1, 1, mode="lazy")
def f_anchorarray(nodes, ctx):
    return read_boxes(_anchor_boxes(nodes, ctx), ctx, intersect=False)


@fn("SINGLE", 1, 1, mode="lazy")
def f_single(nodes, ctx):
    """@x: implicit intersection of a reference, the first element of an array."""
    if _is_reference(nodes[0], ctx):
        return read_boxes(ctx.boxes(nodes[0]), _Scalar(ctx), intersect=True)
    v = ctx.eval(nodes[0], scalar=True, array=ctx.array)
    return v if v.shape[1:] == (1, 1) else v.top_left()


class _Scalar:
    """A Ctx seen from a scalar, non-array place (for @)."""

    def __init__(self, ctx):
        self._c = ctx
        self.scalar, self.array = True, False

    def __getattr__(self, name):
        return getattr(self._c, name)


REF_FUNCTIONS.update({"OFFSET": _offset_boxes, "INDIRECT": _indirect_boxes, "INDEX": _index_boxes,
                      "ANCHORARRAY": _anchor_boxes})


def _rowcol(nodes, ctx, axis: int):
    if not nodes or nodes[0][0] == "missing":
        base = ctx.rows if axis == 0 else np.full(ctx.k, ctx.g.col)
        return V((base + 1).astype(float).reshape(-1, 1, 1))
    boxes = ctx.boxes(nodes[0])
    if ctx.array or not ctx.scalar:  # an array of the box's row (column) numbers
        lo, hi = (1, 3) if axis == 0 else (2, 4)
        first = boxes[0]
        if all(b[lo] == first[lo] and b[hi] == first[hi] for b in boxes):  # the same numbers in every cell
            seq = np.arange(first[lo], first[hi] + 1)
            return V((seq + 1).astype(float).reshape((1, -1, 1) if axis == 0 else (1, 1, -1)))
        n = first[hi] - first[lo]
        if all(b[hi] - b[lo] == n for b in boxes):  # a relative range filled along: each cell its own numbers
            seq = np.array([b[lo] for b in boxes])[:, None] + np.arange(n + 1)[None, :] + 1
            return V(seq.astype(float).reshape((len(boxes), -1, 1) if axis == 0 else (len(boxes), 1, -1)))
        raise Ragged()  # ranges of different sizes in one group: one cell at a time
    return V(np.array([(b[1] if axis == 0 else b[2]) + 1 for b in boxes], float).reshape(-1, 1, 1))


@fn("ROW", 0, 1, mode="lazy")
def f_row(nodes, ctx):
    return _rowcol(nodes, ctx, 0)


@fn("COLUMN", 0, 1, mode="lazy")
def f_column(nodes, ctx):
    return _rowcol(nodes, ctx, 1)


def _size(nodes, ctx, axis):
    node = nodes[0]
    if _is_reference(node, ctx):  # a reference's own size (a whole column is 1,048,576 rows)
        sizes = [(b[3] - b[1] + 1) if axis == 0 else (b[4] - b[2] + 1) for b in ctx.boxes(node)]
        return V(np.array(sizes, float).reshape(-1, 1, 1))
    v = ctx.eval(node, scalar=False, array=True)
    return V(np.full((v.shape[0], 1, 1), float(v.shape[1 + axis])))


@fn("ROWS", 1, 1, mode="lazy")
def f_rows(nodes, ctx):
    return _size(nodes, ctx, 0)


@fn("COLUMNS", 1, 1, mode="lazy")
def f_columns(nodes, ctx):
    return _size(nodes, ctx, 1)


_XL_PREFIX = re.compile(r"_xlfn\.(?:_xlws\.)?|_xlws\.|_xlpm\.", re.I)  # the file's prefixes: Excel shows none


@fn("FORMULATEXT", 1, 1, mode="lazy")
def f_formulatext(nodes, ctx):
    eng = ctx.eng
    out = []
    for b in ctx.boxes(nodes[0]):
        s, r, c = b[0], b[1], b[2]
        i = eng.group_at(s, r, c)
        if i < 0:
            out.append(ErrorCode(NA))
            continue
        g = eng.groups[i]
        text = "=" + _XL_PREFIX.sub("", g.text_at(r))
        out.append("{" + text + "}" if g.array_box and not g.dynamic or g.array_eval else text)  # any cell of one
    return V.stack([V.scalar(x) for x in out])



@fn("ISFORMULA", 1, 1, mode="lazy")
def f_isformula(nodes, ctx):

    eng = ctx.eng
    return bool_result(np.array([eng.group_at(b[0], b[1], b[2]) >= 0 for b in ctx.boxes(nodes[0])])  # array blocks too
                       .reshape(-1, 1, 1))
