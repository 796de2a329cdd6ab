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
from ..engine.package import a1, parse_cell
from ..engine.values import ErrorCode
from ..errors import SheetnetError

_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_T_ATTR = re.compile(rb'\s+t="[^"]*"')
_CANONICAL = re.compile(rb"[A-Z]{1,3}[1-9][0-9]{0,6}")  # as Excel writes an address


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
    wanted = {a1(*rc).encode(): rc for rc in values}

    def fix(m):
        nonlocal changed, dropped
        rc = wanted.get(m.group(1))
        if rc is None:
            if _CANONICAL.fullmatch(m.group(1)):  # a cell not written to (most of them): no parsing
                return m.group(0)
            rc = parse_cell(m.group(1).decode())  # A01: the same cell as A1
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
    refs = set(re.findall(rb'<c r="([A-Z]+[0-9]+)"', out))
    seen = {wanted[r] for r in refs if r in wanted} | \
        {parse_cell(r.decode()) for r in refs if not _CANONICAL.fullmatch(r)}
    new = {rc: v for rc, v in values.items() if rc not in seen and rc in inputs and v is not None}
    if new:  # blank input cells (Excel's Solver treats them as 0 and writes its answer into them)
        out = _insert_cells(out, new)
        changed += len(new)
    return out, changed, dropped


def _cell_xml(rc, value) -> bytes:
    t, v = _value_xml(value)
    if t == b"str":
        return b'<c r="' + a1(*rc).encode() + b'" t="inlineStr"><is><t>' + v + b"</t></is></c>"
    return b'<c r="' + a1(*rc).encode() + b'"' + (b' t="' + t + b'"' if t else b"") + b"><v>" + v + b"</v></c>"


_ROW = re.compile(rb'<row\b[^>]*?\br="(\d+)"[^>]*?(?:/>|>(.*?)</row>)', re.S)


def _insert_cells(xml: bytes, cells: dict) -> bytes:
    """New <c> elements for cells the sheet does not hold yet, in row and column order."""
    by_row: dict = {}
    for (r, c), v in cells.items():
        by_row.setdefault(r + 1, []).append(((r, c), v))
    for row in sorted(by_row):
        items = sorted(by_row[row], key=lambda it: it[0][1])
        m = next((m for m in _ROW.finditer(xml) if int(m.group(1)) == row), None)
        if m is not None:
            body = m.group(2) or b""
            for rc, v in items:
                cols = [(parse_cell(x.group(1).decode())[1], x.start()) for x in _CELL.finditer(body)]
                at = next((pos for col, pos in cols if col > rc[1]), len(body))
                body = body[:at] + _cell_xml(rc, v) + body[at:]
            head = re.match(rb"<row\b[^>]*?(?=/?>)", m.group(0)).group(0)
            xml = xml[:m.start()] + head + b">" + body + b"</row>" + xml[m.end():]
            continue
        new_row = b'<row r="' + str(row).encode() + b'">' + b"".join(_cell_xml(rc, v) for rc, v in items) + b"</row>"
        after = next((m for m in _ROW.finditer(xml) if int(m.group(1)) > row), None)
        if after is not None:
            xml = xml[:after.start()] + new_row + xml[after.start():]
        elif b"<sheetData/>" in xml:
            xml = xml.replace(b"<sheetData/>", b"<sheetData>" + new_row + b"</sheetData>", 1)
        else:
            xml = xml.replace(b"</sheetData>", new_row + b"</sheetData>", 1)
    return xml


def write_values(src, dst, updates: dict, inputs: dict | None = None):
    """Copy workbook `src` to `dst` (atomically; dst may be src) with new values.

    updates: {sheet name: {(row, col): value}} (0-based); inputs: {sheet: {(row, col), ...}} cells
    that become plain values (their formulas, if any, are dropped).  A cell named in updates must
    already exist in the sheet's XML, unless it is an input (a blank variable cell gets one).
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
