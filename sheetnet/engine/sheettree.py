"""A worksheet's XML read over ElementTree: the slow path of sheetnet.engine.sheetxml, for parts written
another way than the usual (namespace prefixes, the r attribute not first, comments, CDATA); it reads
exactly the same things into the same builder."""

from __future__ import annotations

from xml.etree.ElementTree import fromstring

from ..errors import SheetnetError
from .address import CELL_RE, a1, col_index
from .xmlvalues import shared, typed

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def scan_tree(data: bytes, b):
    """The slow path: the same reading over ElementTree (any prefix, any attribute order)."""
    root = fromstring(data)
    sd = b.sd
    for row in root.iter(f"{NS}row"):
        rr = row.get("r")
        if row.get("hidden") in ("1", "true") and rr:
            sd.hidden_rows.add(int(rr) - 1)
        next_col = 0
        for el in row.iter(f"{NS}c"):
            ref = el.get("r")
            if ref:
                m = CELL_RE.match(ref.upper())  # (a writer's a1 is A1)
                if not m:
                    raise SheetnetError(f"{b.where}: bad cell address {ref!r}")
                c, r = col_index(m.group(1)), int(m.group(2)) - 1
            else:
                if not rr:
                    raise SheetnetError(f"{b.where}: a cell with no address in a row with no number")
                r, c = int(rr) - 1, next_col
                if r < 0:
                    raise SheetnetError(f"{b.where}: a row numbered {rr!r}; rows are numbered from 1")
                ref = a1(r, c)
            next_col = c + 1
            b.place(r, c, ref)
            t = el.get("t")
            f = el.find(f"{NS}f")
            v = el.find(f"{NS}v")
            text = v.text if v is not None else None
            if t == "inlineStr":
                x = "".join(tt.text or "" for tt in el.iter(f"{NS}t") if tt not in _phonetic(el))
            elif t == "s":
                x = shared(b.strings, text) if text is not None else None
            else:
                x = typed(t, text, lambda: f"{b.where}, cell {ref}")
            if f is not None:
                cached = x if v is not None or t == "inlineStr" else None  # (no <v>: no cached value)
                if b.formula(r, c, ref, f.text or None, dict(f.attrib), cached, el.get("cm") not in (None, "0")):
                    continue
            b.put_value(r, c, x)


def _phonetic(el):
    return {t for ph in el.iter(f"{NS}rPh") for t in ph.iter(f"{NS}t")}
