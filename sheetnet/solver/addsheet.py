"""Add a sheet (with its chart) to an existing .xlsx, every other part copied byte for byte.

The new sheet is drawn by XlsxWriter in a scratch workbook (inline strings, no shared state), then
its worksheet, drawing and chart parts are grafted into the target package under fresh names.  A
sheet of the same name that is the last sheet is replaced (re-running compare updates it).
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

from ..atomic import atomic_path
from ..errors import SheetnetError

CT = {"sheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
      "drawing": "application/vnd.openxmlformats-officedocument.drawing+xml",
      "chart": "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"}
REL_SHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def _max_num(names, pattern):
    nums = [int(m.group(1)) for n in names for m in [re.fullmatch(pattern, n)] if m]
    return max(nums, default=0)


def add_sheet(src, dst, name: str, draw):
    """Copy `src` to `dst` with a new last sheet `name`; draw(workbook, worksheet) fills it (XlsxWriter)."""
    import xlsxwriter

    with tempfile.TemporaryDirectory() as d:
        scratch = Path(d) / "s.xlsx"
        wb = xlsxwriter.Workbook(str(scratch), {"constant_memory": True, "strings_to_formulas": False,
                                                "strings_to_urls": False})
        ws = wb.add_worksheet(name)
        draw(wb, ws)
        wb.close()
        with zipfile.ZipFile(scratch) as z:
            new = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(src) as zin:
        names = zin.namelist()
        files = {n: zin.read(n) for n in names}
        infos = {i.filename: i for i in zin.infolist()}
    wb_xml = files["xl/workbook.xml"].decode("utf-8")
    rels = files["xl/_rels/workbook.xml.rels"].decode("utf-8")
    ctypes = files["[Content_Types].xml"].decode("utf-8")
    drop = set()
    old = re.search(r'<sheet [^>]*name="' + re.escape(name) + r'"[^>]*/>', wb_xml)
    if old:
        if not re.search(re.escape(old.group(0)) + r"\s*</sheets>", wb_xml):
            raise SheetnetError(f"{src}: a sheet named {name!r} exists and is not the last sheet; rename it first")
        rid = re.search(r'r:id="([^"]+)"', old.group(0)).group(1)
        rel = re.search(r'<Relationship [^>]*Id="' + re.escape(rid) + r'"[^>]*/>', rels).group(0)
        part = "xl/" + re.search(r'Target="([^"]+)"', rel).group(1).lstrip("/").removeprefix("xl/")
        drop |= _part_tree(files, part)
        wb_xml = wb_xml.replace(old.group(0), "")
        rels = rels.replace(rel, "")
    keep = [n for n in names if n not in drop]
    s_num = _max_num(keep, r"xl/worksheets/sheet(\d+)\.xml") + 1
    d_num = _max_num(keep, r"xl/drawings/drawing(\d+)\.xml") + 1
    c_num = _max_num(keep, r"xl/charts/chart(\d+)\.xml") + 1
    sheet_xml = new["xl/worksheets/sheet1.xml"].decode("utf-8")
    sheet_xml = re.sub(r' s="\d+"', "", sheet_xml).replace(' tabSelected="1"', "")
    added = {f"xl/worksheets/sheet{s_num}.xml": sheet_xml.encode()}
    overrides = [(f"/xl/worksheets/sheet{s_num}.xml", CT["sheet"])]
    if "xl/worksheets/_rels/sheet1.xml.rels" in new:
        added[f"xl/worksheets/_rels/sheet{s_num}.xml.rels"] = new["xl/worksheets/_rels/sheet1.xml.rels"].replace(
            b"drawing1.xml", f"drawing{d_num}.xml".encode())
        added[f"xl/drawings/drawing{d_num}.xml"] = new["xl/drawings/drawing1.xml"]
        added[f"xl/drawings/_rels/drawing{d_num}.xml.rels"] = new["xl/drawings/_rels/drawing1.xml.rels"].replace(
            b"chart1.xml", f"chart{c_num}.xml".encode())
        added[f"xl/charts/chart{c_num}.xml"] = new["xl/charts/chart1.xml"]
        overrides += [(f"/xl/drawings/drawing{d_num}.xml", CT["drawing"]), (f"/xl/charts/chart{c_num}.xml", CT["chart"])]
    ids = [int(x) for x in re.findall(r'Id="rId(\d+)"', rels)]
    rid = f"rId{max(ids, default=0) + 1}"
    rels = rels.replace("</Relationships>", f'<Relationship Id="{rid}" Type="{REL_SHEET}" '
                                            f'Target="worksheets/sheet{s_num}.xml"/></Relationships>')
    sheet_id = max([int(x) for x in re.findall(r'<sheet [^>]*sheetId="(\d+)"', wb_xml)], default=0) + 1
    esc = name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    wb_xml = wb_xml.replace("</sheets>", f'<sheet name="{esc}" sheetId="{sheet_id}" r:id="{rid}"/></sheets>')
    for part in drop:
        ctypes = re.sub(r'<Override PartName="/' + re.escape(part) + r'"[^>]*/>', "", ctypes)
    ctypes = ctypes.replace("</Types>", "".join(f'<Override PartName="{p}" ContentType="{t}"/>'
                                                for p, t in overrides) + "</Types>")
    changed = {"xl/workbook.xml": wb_xml.encode("utf-8"), "xl/_rels/workbook.xml.rels": rels.encode("utf-8"),
               "[Content_Types].xml": ctypes.encode("utf-8")}
    with atomic_path(dst, ".xlsx") as tmp, zipfile.ZipFile(tmp, "w") as zout:
        for n in keep:
            info = infos[n]
            zout.writestr(info, changed.get(n, files[n]), compress_type=info.compress_type)
        for n, data in added.items():
            zout.writestr(n, data, compress_type=zipfile.ZIP_DEFLATED)


def _part_tree(files: dict, part: str) -> set:
    """A part and everything its relationships reach that no other part needs (drawings, charts)."""
    out = {part}
    folder, base = part.rsplit("/", 1)
    rel = f"{folder}/_rels/{base}.rels"
    if rel in files:
        out.add(rel)
        for target in re.findall(r'Target="([^"]+)"', files[rel].decode("utf-8")):
            if "TargetMode" in target or target.startswith("http"):
                continue
            path = _resolve(folder, target)
            if path in files and ("/drawings/" in path or "/charts/" in path):
                out |= _part_tree(files, path)
    return out


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    parts = folder.split("/")
    for t in target.split("/"):
        if t == "..":
            parts.pop()
        elif t != ".":
            parts.append(t)
    return "/".join(parts)
