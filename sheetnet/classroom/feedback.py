"""Per-student feedback: an HTML page, and a copy of their workbook with the wrong cells marked and a
comment on each (written into the package: nothing else in their file changes, the original stays).
"""

from __future__ import annotations

import html
import re
import tempfile
import zipfile
from pathlib import Path

from ..atomic import atomic_path
from ..engine.package import parse_cell

MARK = "FFF4B6B6"  # a light red fill


def student_property(path, name: str = "sheetnet student") -> str | None:
    """The student id (or another property sheetnet wrote) stored in a workbook's properties (.xlsx custom
    properties, .ods user-defined meta)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            part = "docProps/custom.xml" if "docProps/custom.xml" in names else "meta.xml" if "meta.xml" in names else None
            if part is None or z.getinfo(part).file_size > 1 << 20:
                return None
            text = z.read(part).decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return None
    m = re.search(r'name="' + re.escape(name) + r'"[^>]*>\s*<vt:lpwstr>([^<]*)</vt:lpwstr>', text) or \
        re.search(r'meta:name="' + re.escape(name) + r'"[^>]*>([^<]*)<', text)
    return html.unescape(m.group(1)).strip() if m else None


def page(grade, key, hints: int) -> str:
    """The student's feedback page."""
    e = html.escape
    who = e(grade.name or grade.student or Path(grade.file).name)
    rows = []
    for r in grade.rungs:
        detail = ""
        for s in r.steps:
            if s.ok:
                continue
            parts = [e(s.reason)]
            if s.cell and s.id.startswith("solve:"):  # the reason has the numbers and says what they are
                parts.append(f"see <b>{e(s.cell)}</b>")
            elif s.cell and (s.expected is not None or s.got is not None):
                parts.append(f"first wrong cell <b>{e(s.cell)}</b>: expected {e(_fmt(s.expected))}, "
                             f"got {e(_fmt(s.got))}")
            elif s.cell:
                parts.append(f"see <b>{e(s.cell)}</b>")
            if s.mistake is not None and hints >= 1:
                parts.append(f"hint: {e(s.mistake.hint)}")
                if hints >= 2 and s.mistake.stronger:
                    parts.append(f"more: {e(s.mistake.stronger)}")
            if hints >= 2 and s.solution:
                parts.append(f"the cell should hold <code>{e(s.solution)}</code>")
            detail += "<br>".join(parts) + "<br>"
        mark = "&#10003;" if r.ok else "&#10007;"
        rows.append(f"<tr class='{'ok' if r.ok else 'no'}'><td>{mark}</td><td>{e(r.name)}</td>"
                    f"<td>{r.earned:g} / {r.points:g}</td><td>{detail}</td></tr>")
    flags = "".join(f"<li>{e(f)}</li>" for f in grade.flags)
    err = f"<p class='err'>Not graded: {e(grade.error)}</p>" if grade.error else ""
    return (f"<!doctype html><meta charset='utf-8'><title>Feedback: {who}</title><style>body{{font-family:sans-serif;"
            f"max-width:1000px;margin:2em auto}}td{{border-bottom:1px solid #ddd;padding:6px;vertical-align:top}}"
            f".ok td:first-child{{color:#2a2}}.no td:first-child{{color:#c22}}.err{{color:#c22}}</style>"
            f"<h1>{e(key.d.get('title', key.d['lesson']))}: {who}</h1>{err}"
            f"<p>Score <b>{grade.total:g} / {grade.possible:g}</b> ({e(Path(grade.file).name)})</p>"
            f"<table><tr><th></th><th>Task</th><th>Points</th><th>What the grader found</th></tr>{''.join(rows)}</table>"
            + (f"<h2>Notes</h2><ul>{flags}</ul>" if flags else ""))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.10g}"
    return "blank" if v is None else str(v)


def comment_text(steps, hints: int = 1) -> str:
    """What the page says about a cell, for its comment: every step wrong there, each with its hints."""
    out = []
    for s in steps:
        text = s.reason
        if s.mistake is not None and hints >= 1:
            text += f" Hint: {s.mistake.hint}"
            if hints >= 2 and s.mistake.stronger:
                text += f" More: {s.mistake.stronger}"
        if hints >= 2 and s.solution:
            text += f" This cell should hold {s.solution}"
        out.append(text)
    text = "\n\n".join(out)
    return text if len(text) <= 1800 else text[:1797] + "..."


def mark_workbook(src, dst, grade, hints: int = 1) -> Path | None:
    """A copy of an .xlsx with each wrong cell filled light red and a comment saying what is wrong."""
    src, dst = Path(src), Path(dst)
    if not zipfile.is_zipfile(src) or not grade.wrong_cells:
        return None
    with zipfile.ZipFile(src) as z:
        files = {i.filename: z.read(i.filename) for i in z.infolist()}
        infos = {i.filename: i for i in z.infolist()}
    if "xl/workbook.xml" not in files or "xl/styles.xml" not in files:
        return None
    from ..solver.writeback import _sheet_parts

    with zipfile.ZipFile(src) as z:
        parts = _sheet_parts(z)
    styles = files["xl/styles.xml"].decode("utf-8")
    styles, restyle = _marking_styles(styles, grade, files, parts)
    files["xl/styles.xml"] = styles.encode("utf-8")
    scratch = _comment_parts(grade, hints)
    changed = {"xl/styles.xml"}
    for sheet, cells in grade.wrong_cells.items():
        part = parts.get(sheet)
        if part is None or part not in files:
            continue
        xml = files[part].decode("utf-8")
        for ref in cells:
            xml = _set_style(xml, ref, restyle)
        xml, files = _graft_comments(xml, part, sheet, files, scratch)
        files[part] = xml.encode("utf-8")
        changed.add(part)
    with atomic_path(dst, ".xlsx") as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in files.items():  # a feedback copy: the fastest deflate (a class has hundreds)
            info = infos.get(name)
            if info is not None:
                out.writestr(info, data, compress_type=info.compress_type, compresslevel=1)
            else:
                out.writestr(name, data, compresslevel=1)
    return dst


def _marking_styles(styles: str, grade, files, parts):
    """styles.xml with a red fill and, for each style a wrong cell has, a copy of it with that fill."""
    fills = re.search(r"<fills[^>]*>(.*?)</fills>", styles, re.S)
    if not fills:
        return styles, {}
    n_fills = len(re.findall(r"<fill>|<fill\b", fills.group(1)))
    new_fill = f'<fill><patternFill patternType="solid"><fgColor rgb="{MARK}"/><bgColor indexed="64"/></patternFill></fill>'
    styles = styles.replace(fills.group(0), re.sub(r'count="\d+"', f'count="{n_fills + 1}"', fills.group(0)
                                                   .replace("</fills>", new_fill + "</fills>"), count=1))
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)
    items = re.findall(r"<xf\b[^>]*/>|<xf\b[^>]*>.*?</xf>", xfs.group(1), re.S)
    used = set()
    for sheet, cells in grade.wrong_cells.items():
        part = parts.get(sheet)
        if part in files:
            xml = files[part].decode("utf-8", "replace")
            for ref in cells:
                m = re.search(r'<c r="' + ref + r'"([^>]*?)(/?)>', xml)
                s = re.search(r'\bs="(\d+)"', m.group(1)) if m else None
                used.add(int(s.group(1)) if s else 0)
    restyle, added = {}, []
    for s in sorted(used):
        base = items[s] if s < len(items) else '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        x = re.sub(r'\bfillId="\d+"', f'fillId="{n_fills}"', base)
        x = x.replace("<xf ", '<xf applyFill="1" ', 1) if "applyFill" not in x else re.sub(r'applyFill="\d"', 'applyFill="1"', x)
        restyle[s] = len(items) + len(added)
        added.append(x)
    body = xfs.group(0).replace("</cellXfs>", "".join(added) + "</cellXfs>")
    body = re.sub(r'count="\d+"', f'count="{len(items) + len(added)}"', body, count=1)
    return styles.replace(xfs.group(0), body), restyle


def _set_style(xml: str, ref: str, restyle: dict) -> str:
    m = re.search(r'<c r="' + ref + r'"([^>]*?)(/?)>', xml)
    if not m:
        return xml
    attrs = m.group(1)
    s = re.search(r'\bs="(\d+)"', attrs)
    new = restyle.get(int(s.group(1)) if s else 0)
    if new is None:
        return xml
    attrs = re.sub(r'\bs="\d+"', f's="{new}"', attrs) if s else attrs + f' s="{new}"'
    return xml[:m.start()] + f'<c r="{ref}"{attrs}{m.group(2)}>' + xml[m.end():]


def _comment_parts(grade, hints: int = 1) -> dict:
    """XlsxWriter's comments and VML for each sheet with wrong cells (a scratch workbook, sheet by sheet)."""
    import xlsxwriter

    out = {}
    with tempfile.TemporaryDirectory() as d:
        for k, (sheet, cells) in enumerate(grade.wrong_cells.items()):
            p = Path(d) / f"s{k}.xlsx"
            wb = xlsxwriter.Workbook(str(p))
            ws = wb.add_worksheet("s")
            for ref, steps in cells.items():
                r, c = parse_cell(ref)
                ws.write_comment(r, c, comment_text(steps, hints), {"author": "sheetnet grade", "x_scale": 2, "y_scale": 2})
            wb.close()
            with zipfile.ZipFile(p) as z:
                out[sheet] = (z.read("xl/comments1.xml"), z.read("xl/drawings/vmlDrawing1.vml"))
    return out


def _graft_comments(xml: str, part: str, sheet: str, files: dict, scratch: dict):
    if sheet not in scratch or "<legacyDrawing" in xml:
        return xml, files  # a sheet that already has comments keeps them; the page says everything
    comments, vml = scratch[sheet]
    n = 1 + max([int(m) for f in files for m in re.findall(r"xl/comments(\d+)\.xml$", f)] or [0])
    v = 1 + max([int(m) for f in files for m in re.findall(r"vmlDrawing(\d+)\.vml$", f)] or [0])
    files[f"xl/comments{n}.xml"] = comments
    files[f"xl/drawings/vmlDrawing{v}.vml"] = vml.replace(b'data="1"', f'data="{v}"'.encode())
    folder, base = part.rsplit("/", 1)
    rel_part = f"{folder}/_rels/{base}.rels"
    rels = files.get(rel_part, b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                               b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
    rels = rels.decode("utf-8")
    ids = [int(x) for x in re.findall(r'Id="rId(\d+)"', rels)]
    r1, r2 = f"rId{max(ids, default=0) + 1}", f"rId{max(ids, default=0) + 2}"
    ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rels = rels.replace("</Relationships>", f'<Relationship Id="{r1}" Type="{ns}/comments" Target="../comments{n}.xml"/>'
                                            f'<Relationship Id="{r2}" Type="{ns}/vmlDrawing" '
                                            f'Target="../drawings/vmlDrawing{v}.vml"/></Relationships>')
    files[rel_part] = rels.encode("utf-8")
    ct = files["[Content_Types].xml"].decode("utf-8")
    if 'Extension="vml"' not in ct:
        ct = ct.replace("<Override", '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.'
                                     'vmlDrawing"/><Override', 1)
    ct = ct.replace("</Types>", f'<Override PartName="/xl/comments{n}.xml" ContentType="application/vnd.openxmlformats-'
                                f'officedocument.spreadsheetml.comments+xml"/></Types>')
    files["[Content_Types].xml"] = ct.encode("utf-8")
    tag = f'<legacyDrawing r:id="{r2}"/>'
    if 'xmlns:r="' not in xml[:2000]:
        xml = xml.replace("<worksheet ", f'<worksheet xmlns:r="{ns}" ', 1)
    m = re.search(r"<(legacyDrawingHF|picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b", xml)
    xml = xml[:m.start()] + tag + xml[m.start():] if m else xml.replace("</worksheet>", tag + "</worksheet>")
    return xml, files
