"""Parse each shape of formula once.

A formula dragged across columns (collab's predictions, a conv layer's columns of {=...}) or laid out
with a stride (a pooling layer's MAX over 2x2 blocks) differs from cell to cell only in the cells it
names.  The first formula of each shape is parsed; the others take its AST with their own references
put in, which is what parsing them gives, at a fraction of the cost.

Only plain formulas are shared this way: references on the formula's own sheet in A1 form (each
range's two corners alike in their $), numbers, strings, operators and built-in functions.  Anything
else (other sheets, names, tables, errors, spills, LET and LAMBDA, and the range and intersection
operators, which parsing works out into boxes) is parsed as it stands, and so is every formula whose
AST holds a reference other than those its text shows.
"""

from __future__ import annotations

import re

from .address import MAX_COLS, MAX_ROWS, STRING_OR_A1_REF, col_index
from .graph import refs, walk

_FUNC = re.compile(r"(?:_xlfn\.|_xlws\.)*([A-Z][A-Z0-9.]*)\(")
_PLAIN = re.compile(r"[0-9+\-*/^&=<>%(),;.{}]*")  # (no ":" or space: ranges and intersections are made in parsing)
_EXPONENT = re.compile(r"(?<=[0-9.])E[+-]?[0-9]+")  # 1E+5
_LOGICAL = re.compile(r"\b(?:TRUE|FALSE)\b")
_KINDS = {"num", "str", "bool", "err", "missing", "arr", "neg", "pct", "bin", "fn"}  # (and "ref": checked)


class ParseCache:
    def __init__(self, known_functions, names):
        self.known = known_functions
        self.names = {n.upper() for _, n in names} if names else set()
        self.hits = 0
        self.shape = None
        self._seen: dict = {}  # (sheet, shape) -> (AST, {box: its place among the text's references}, its references)
        self._plain: dict = {}  # the text between references -> plain (see _is_plain)?

    def parse(self, formula: str, ctx, parse, lazy: bool = False):
        """parse(formula, ctx), or the AST of an earlier formula of the same shape with these references (lazy: a
        Moved, which makes it when asked)."""
        key = self._key(formula)
        self.shape = None if key is None else key[0]  # (the last formula's: sheetnet.engine.wide batches by it)
        if key is None:
            return parse(formula, ctx)
        shape, boxes = key
        hit = self._seen.get((ctx.sheet, shape))
        if hit is not None:
            node, place, its_refs = hit
            self.hits += 1
            return Moved(node, place, boxes, its_refs) if lazy else _moved(node, place, boxes)
        node = parse(formula, ctx)
        place = _places(node, boxes, ctx.sheet_index.get(ctx.sheet))
        if place is not None:
            self._seen[(ctx.sheet, shape)] = (node, place, refs(node))
        return node

    def _key(self, formula: str):
        """The formula's shape (its text with each reference a placeholder keeping its $) and its references'
        boxes (r0, c0, r1, c1) in order, or None where it is not a plain formula."""
        pieces = STRING_OR_A1_REF.split(formula)  # the text between strings and references; each one's 9 groups
        texts = pieces[0::10]
        bare = ",".join(texts)  # (outside strings and references; "," keeps the pieces apart, and is plain)
        if "'" in bare or "!" in bare or "[" in bare or "#" in bare or '"' in bare:
            return None
        ok = self._plain.get(bare)
        if ok is None:
            ok = self._plain[bare] = self._is_plain(bare)
        if not ok:
            return None
        out, boxes, col = [texts[0]], [], col_index
        for i in range(1, len(pieces), 10):
            if pieces[i] is not None:  # a string
                out.append(pieces[i])
            else:
                d0, c0, dr0, r0, d1, c1, dr1, r1 = pieces[i + 1:i + 9]
                a0, b0 = int(r0) - 1, col(c0)
                if c1 is None:
                    a1, b1 = a0, b0
                elif (d0, dr0) != (d1, dr1):  # A1:$B$2: corners unlike; parsed as written
                    return None
                else:
                    a1, b1 = int(r1) - 1, col(c1)
                if a1 < a0 or b1 < b0 or a1 >= MAX_ROWS or b1 >= MAX_COLS or a0 < 0:
                    return None
                boxes.append((a0, b0, a1, b1))
                out.append(_PLACE[(bool(d0), bool(dr0), c1 is not None)])  # each placeholder keeps its $
            out.append(pieces[i + 9])
        return "".join(out), boxes

    def _is_plain(self, rest: str) -> bool:
        """Is the text between a formula's references (outside its strings) known functions, numbers, booleans and
        operators only?"""
        for f in _FUNC.findall(rest):
            if f not in self.known or f in self.names:
                return False
        return bool(_PLAIN.fullmatch(_LOGICAL.sub("", _EXPONENT.sub("", _FUNC.sub("(", rest)))))


_PLACE = {(c, r, span): f"\x00{'C' if c else ''}{'R' if r else ''}{':' if span else ''}\x00"
          for c in (False, True) for r in (False, True) for span in (False, True)}


def _places(node, boxes, sheet):
    """{box: its place in `boxes`} for every reference of the AST, each written once in the text, on the
    formula's own sheet; None where one is not."""
    place: dict = {}
    for i, b in enumerate(boxes):
        if b in place:
            return None
        place[b] = i
    for n in walk(node):
        if n[0] == "ref":
            if n[1] != sheet or n[6] != n[7] or (n[2], n[3], n[4], n[5]) not in place:
                return None
        elif n[0] not in _KINDS:
            return None
    return place


class Moved:
    """An earlier formula's AST with this formula's references put in, made when first asked (a crosstab's other
    columns are computed as one block with the first's: most never are); its references, in walk's order, at
    once."""

    __slots__ = ("node", "place", "boxes", "its_refs")

    def __init__(self, node, place: dict, boxes: list, its_refs: list):
        self.node, self.place, self.boxes, self.its_refs = node, place, boxes, its_refs

    def build(self):
        return _moved(self.node, self.place, self.boxes)

    def refs(self) -> list:
        """refs(self.build()), without building it."""
        boxes, place = self.boxes, self.place
        return [("ref", n[1], *boxes[place[(n[2], n[3], n[4], n[5])]], n[6], n[7]) for n in self.its_refs]


def _moved(node, place: dict, boxes: list):
    """The AST with each reference's box replaced by the box in the same place of this formula's text."""
    kind = node[0]
    if kind == "ref":
        return ("ref", node[1], *boxes[place[(node[2], node[3], node[4], node[5])]], node[6], node[7])
    if kind in ("neg", "pct"):
        return (kind, _moved(node[1], place, boxes))
    if kind == "bin":
        return ("bin", node[1], _moved(node[2], place, boxes), _moved(node[3], place, boxes))
    if kind == "fn":
        return ("fn", node[1], [_moved(a, place, boxes) for a in node[2]])
    return node
