"""Write new cell values into an existing .xlsx without re-saving it through a library.

Only the `<v>` (and, where the type changes, the `t` attribute) of the named cells change, in the
named sheets' XML; every other part of the package is copied byte for byte, so charts, images,
comments, tables, styles and dynamic-array metadata survive.  A cell given as an input loses its
formula (as when Excel's Solver writes a value over `=RAND()-0.5`).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from ..atomic import atomic_path
from ..engine.package import parse_cell
from ..engine.values import ErrorCode
from ..errors import SheetnetError

_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_T_ATTR = re.compile(rb'\s+t="[^"]*"')


def _num(x: float) -> str:
    r = repr(float(x))
    return r[:-2] if r.endswith(".0") else r


def _value_xml(value) -> tuple[bytes | None, bytes]:
    """(t attribute or None, <v> text) for a Python value."""
    if isinstance(value, ErrorCode):
        return b"e", escape(str(value)).encode()
    if isinstance(value, bool):
        return b"b", b"1" if value else b"0"
    if isinstance(value, str):
        return b"str", escape(value).encode()
    if value is None:
        return None, b""
    return None, _num(value).encode()


def _rewrite_sheet(xml: bytes, values: dict, inputs: set) -> tuple[bytes, int, bool]:
    """values: {(r, c): value}; inputs: cells whose formula is dropped. Returns (xml, cells changed, formula dropped)."""
    changed, dropped = 0, False

    def fix(m):
        nonlocal changed, dropped
        ref = m.group(1).decode()
        rc = parse_cell(ref)
        if rc not in values:
            return m.group(0)
        attrs, body = m.group(2), m.group(3) or b""
        t, v = _value_xml(values[rc])
        attrs = _T_ATTR.sub(b"", attrs)
        f = re.search(rb"<f\b[^>]*?(?:/>|>.*?</f>)", body, re.S)
        keep_f = f is not None and rc not in inputs
        if f is not None and not keep_f:
            dropped = True
        if keep_f and t == b"str":
            pass
        elif not keep_f and t == b"str":
            t = b"inlineStr"
        if t:
            attrs += b' t="' + t + b'"'
        inner = (f.group(0) if keep_f else b"")
        if t == b"inlineStr":
            inner += b"<is><t>" + v + b"</t></is>"
        elif v:
            inner += b"<v>" + v + b"</v>"
        changed += 1
        return b'<c r="' + m.group(1) + b'"' + attrs + (b">" + inner + b"</c>" if inner else b"/>")

    out = _CELL.sub(fix, xml)
    return out, changed, dropped


def write_values(src, dst, updates: dict, inputs: dict | None = None):
    """Copy workbook `src` to `dst` (atomically; dst may be src) with new values.

    updates: {sheet name: {(row, col): value}} (0-based); inputs: {sheet: {(row, col), ...}} cells
    that become plain values (their formulas, if any, are dropped).  Every cell named in updates
    must already exist in the sheet's XML.
    """
    src, dst = Path(src), Path(dst)
    inputs = inputs or {}
    with zipfile.ZipFile(src) as zin:
        sheet_parts = _sheet_parts(zin)
        missing = [s for s in updates if s not in sheet_parts]
        if missing:
            raise SheetnetError(f"{src}: no sheet named {missing[0]!r}")
        parts = {sheet_parts[s]: s for s in updates}
        drop_calc_chain = False
        new = {}
        for part, sheet in parts.items():
            xml = zin.read(part)
            out, changed, dropped = _rewrite_sheet(xml, updates[sheet], set(inputs.get(sheet, ())))
            if changed != len(updates[sheet]):
                raise SheetnetError(f"{src}: sheet {sheet}: {len(updates[sheet]) - changed} cells to update are "
                                    f"not in the file")
            new[part] = out
            drop_calc_chain |= dropped
        with atomic_path(dst, ".xlsx") as tmp, zipfile.ZipFile(tmp, "w") as zout:
            for info in zin.infolist():
                name = info.filename
                if drop_calc_chain and name == "xl/calcChain.xml":
                    continue
                data = new.get(name)
                if data is None:
                    data = zin.read(name)
                    if drop_calc_chain and name in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
                        data = re.sub(rb"<(Override|Relationship)[^>]*calcChain[^>]*/>", b"", data)
                zout.writestr(info, data, compress_type=info.compress_type)


def _sheet_parts(z: zipfile.ZipFile) -> dict:
    """sheet name -> part path, from workbook.xml and its rels."""
    wb = z.read("xl/workbook.xml").decode("utf-8")
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for m in re.finditer(r"<Relationship\b([^>]*)/>", rels):
        a = m.group(1)
        rid = re.search(r'Id="([^"]+)"', a)
        tgt = re.search(r'Target="([^"]+)"', a)
        if rid and tgt:
            t = tgt.group(1)
            targets[rid.group(1)] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    out = {}
    for m in re.finditer(r"<sheet\b([^>]*)/>", wb):
        a = m.group(1)
        name = re.search(r'name="([^"]*)"', a)
        rid = re.search(r'r:id="([^"]+)"', a) or re.search(r'\bid="([^"]+)"', a)
        if name and rid and rid.group(1) in targets:
            from xml.sax.saxutils import unescape
            out[unescape(name.group(1), {"&quot;": '"', "&apos;": "'"})] = targets[rid.group(1)]
    return out
