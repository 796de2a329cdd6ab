"""Read an .xlsx package as untrusted input: cells, formulas, defined names and Excel Tables.

Limits are checked before anything is inflated or allocated: the file's size, each part's and the
whole package's unpacked size (zip bombs), DOCTYPE/ENTITY declarations (XML entity bombs), cell
addresses beyond a sheet's real limits, and formula length.  Macros are never read or run.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path
from xml.etree.ElementTree import fromstring, iterparse
from xml.etree.ElementTree import parse as parse_xml

from ..errors import SheetnetError
from .address import a1, col_index, parse_cell, parse_range  # noqa: F401 (re-exported)
from .book import Book, Table, bounded_float, bounded_int  # noqa: F401 (re-exported)
from .sheetxml import MAX_COLS, MAX_FORMULA, MAX_ROWS, scan_sheet  # noqa: F401 (re-exported)

MAX_FILE = 256 << 20  # bytes on disk
MAX_UNPACKED = 1 << 30  # bytes of all parts together, unpacked
MAX_RATIO = 200  # unpacked / packed, for any part over 1 MiB unpacked
SMALL_PART = 1 << 16  # XML parts this large or less are parsed from their bytes, not streamed
DIRECT_PART = 1 << 20  # parts this large or less are read straight from their local header

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RNS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PNS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class _Package:
    def __init__(self, path: Path):
        self.path = path
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise SheetnetError(f"{path}: no such file") from None
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            _refuse_other_formats(path)  # (.xls, encrypted, a folder: each said as that)
            if size <= MAX_FILE:
                raise SheetnetError(f"{path}: not an .xlsx workbook (not a zip package; sheetnet reads .xlsx, .xlsm "
                                    f"and .ods)") from None
        if size > MAX_FILE:
            raise SheetnetError(f"{path}: {size} bytes is more than the {MAX_FILE} bytes sheetnet reads")
        total = 0
        for info in self.zip.infolist():
            total += info.file_size
            if info.file_size > 1 << 20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise SheetnetError(f"{path}: part {info.filename} unpacks {info.file_size // max(info.compress_size, 1)}x "
                                    f"its packed size (a zip bomb?); refused")
        if total > MAX_UNPACKED:
            raise SheetnetError(f"{path}: unpacks to {total} bytes, more than the {MAX_UNPACKED} sheetnet reads")
        self.budget = MAX_UNPACKED
        self.names = set(self.zip.namelist())
        self._canon: dict | None = None  # a part's name without case and with / -> its name (made when needed)

    def actual(self, name: str) -> str:
        """A part's name as the package holds it: part names are compared ignoring case (OPC's rule: a
        relationship may name xl/sharedStrings.xml for xl/SharedStrings.xml), and some writers separate folders
        with backslashes.  The name itself where no one part answers to it."""
        if name in self.names:
            return name
        if self._canon is None:
            self._canon = {}
            for n in self.names:
                k = n.replace("\\", "/").lower()
                self._canon[k] = None if k in self._canon else n  # (two parts one name but for case: neither)
        return self._canon.get(name.replace("\\", "/").lower()) or name

    def is_ods(self) -> bool:
        return "mimetype" in self.names and self.zip.read("mimetype")[:64].startswith(
            b"application/vnd.oasis.opendocument.spreadsheet")

    def read(self, name: str) -> bytes:
        """A part's bytes, reading no more than the declared size (headers can lie)."""
        info = self.zip.getinfo(name)
        data = self._inflated(info) if info.file_size <= DIRECT_PART else None
        if data is None:
            with self.zip.open(info) as f:
                data = f.read(min(info.file_size, self.budget) + 1)
        if len(data) > info.file_size or len(data) > self.budget:
            raise SheetnetError(f"{self.path}: part {name} is larger than its header says; refused")
        self.budget -= len(data)
        return data

    def _inflated(self, info) -> bytes | None:
        """A small part's bytes read straight from its local header: a fifth of zipfile.open's cost.  None (then
        zipfile reads it, and says what is wrong) unless it is a plain stored or deflated part whose header,
        size and CRC agree with the directory's."""
        if info.flag_bits & 1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or \
                info.compress_size > info.file_size + (info.file_size >> 6) + 1024:
            return None  # (encrypted, another compression, or packed larger than deflating ever makes it)
        fp = self.zip.fp
        fp.seek(info.header_offset)
        head = fp.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            return None
        n, m = struct.unpack("<HH", head[26:30])
        name = fp.read(n)
        if name != info.orig_filename.encode("utf-8") and name != info.orig_filename.encode("cp437", "replace"):
            return None
        fp.seek(m, 1)
        raw = fp.read(info.compress_size)
        want = min(info.file_size, self.budget) + 1
        data = raw[:want] if info.compress_type == zipfile.ZIP_STORED else zlib.decompressobj(-15).decompress(raw, want)
        if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
            return None
        return data

    def _guarded(self, name: str):
        return _Guarded(self, name)

    def events(self, name: str, tags=None):
        """Stream ("end", element) of an XML part; refuses DTDs, so no entity can expand."""
        with self._guarded(name) as f:
            yield from iterparse(f, events=("end",))

    def tree(self, name: str):
        info = self.zip.getinfo(name)
        if info.file_size <= SMALL_PART:  # read whole and looked through for a DTD first: a third of the time
            data = self.read(name)
            if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
                raise SheetnetError(f"{self.path}: part {name} declares a DTD or entities; refused")
            return fromstring(data)
        with self._guarded(name) as f:
            return parse_xml(f).getroot()

    def rels(self, part: str) -> dict:
        """A part's relationships: Id -> (mode, target, type), an internal target as the part's name (actual)."""
        folder, base = posixpath.split(part.replace("\\", "/"))
        rel = self.actual(posixpath.join(folder, "_rels", base + ".rels"))
        if rel not in self.names:
            return {}
        out = {}
        for el in self.tree(rel).iter(f"{PNS}Relationship"):
            if el.get("TargetMode") == "External":
                out[el.get("Id")] = ("external", el.get("Target"), el.get("Type", ""))
                continue
            out[el.get("Id")] = ("internal", self.actual(_resolved(folder, el.get("Target", ""))), el.get("Type", ""))
        return out


@lru_cache(maxsize=1024)
def _resolved(folder: str, target: str) -> str:
    """A relationship's target as a part's name: from the package's root, or from the folder of its source."""
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))


class _Guarded:
    """A part's file object that stops at its declared size and refuses DOCTYPE/ENTITY declarations."""

    def __init__(self, pkg: _Package, name: str):
        self.pkg, self.name = pkg, name
        self.info = pkg.zip.getinfo(name)
        self.f = pkg.zip.open(self.info)
        self.read_bytes, self.head = 0, b""

    def read(self, n=-1):
        chunk = self.f.read(n if n and n > 0 else 1 << 16)
        self.read_bytes += len(chunk)
        if self.read_bytes > self.info.file_size or self.read_bytes > self.pkg.budget:
            raise SheetnetError(f"{self.pkg.path}: part {self.name} is larger than its header says; refused")
        if len(self.head) < 4096:
            self.head += chunk[:4096]
            if b"<!DOCTYPE" in self.head or b"<!ENTITY" in self.head:
                raise SheetnetError(f"{self.pkg.path}: part {self.name} declares a DTD or entities; refused")
        return chunk

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.pkg.budget -= self.read_bytes
        self.f.close()


def read_book(path, cached=False) -> Book:
    """Any .xlsx / .xlsm (macros never read) or .ods, as untrusted input; `cached`: keep formulas' cached values
    (True), or only those of {sheet name: {(row, col)}}."""
    path = Path(path)
    try:
        pkg = _Package(path)
        if pkg.is_ods():
            from .ods import read_ods
            return read_ods(pkg, path, cached)
        return _read(pkg, path, cached)
    except (SheetnetError, MemoryError):  # (out of memory: sheetnet.limits says so)
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as e:
        raise SheetnetError(f"{path}: not a readable .xlsx workbook ({type(e).__name__}: {e})") from None
    except Exception as e:  # ParseError and friends from a malformed part
        first = (str(e).splitlines() or [""])[0][:200]
        raise SheetnetError(f"{path}: malformed workbook ({type(e).__name__}: {first})") from None


def _refuse_other_formats(path: Path):
    """Files that are not workbooks sheetnet reads, each with what to do instead."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if head.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE compound file: .xls, or an encrypted .xlsx
                f.seek(0)
                blob = f.read(MAX_FILE)
                if "EncryptedPackage".encode("utf-16-le") in blob:
                    raise SheetnetError(f"{path}: the workbook is encrypted (password protected); save a copy "
                                        f"without a password")
                raise SheetnetError(f"{path}: an Excel 97-2003 .xls workbook; save it as .xlsx")
    except FileNotFoundError:
        raise SheetnetError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SheetnetError(f"{path}: is a folder, not a workbook") from None


def _read(pkg: _Package, path: Path, cached: bool = False) -> Book:
    wb_part = pkg.actual("xl/workbook.xml")
    for rid, (mode, target, typ) in pkg.rels("").items():
        if typ.endswith("/officeDocument"):
            wb_part = target
    if wb_part not in pkg.names:
        raise SheetnetError(f"{path}: not an .xlsx workbook (no workbook part)")
    wb = pkg.tree(wb_part)
    rels = pkg.rels(wb_part)
    sheets, parts = [], []
    for s in wb.iter(f"{NS}sheet"):
        rid = s.get(f"{RNS}id")
        mode, target, typ = rels.get(rid, ("", "", ""))
        if typ.endswith("/worksheet"):
            sheets.append(s.get("name"))
            parts.append(target)
    strings = _shared_strings(pkg, rels)
    book = Book(str(path), sheets, {})
    for cp in wb.iter(f"{NS}calcPr"):
        if cp.get("iterate") in ("1", "true"):
            book.iterate = (bounded_int(cp.get("iterateCount"), 100, 1, 32767),
                            bounded_float(cp.get("iterateDelta"), 0.001))
    for dn in wb.iter(f"{NS}definedName"):
        local = dn.get("localSheetId")
        scope = sheets[int(local)] if local is not None and int(local) < len(sheets) else None
        book.names[(scope, dn.get("name", "").upper())] = dn.text or ""
    book.data.update(_scan_all(pkg, path, list(zip(sheets, parts)), strings, cached))
    for name, part in zip(sheets, parts):
        for rid, (mode, target, typ) in pkg.rels(part).items():
            if typ.endswith("/table") and target in pkg.names:
                t = _table(pkg, target, name)
                book.tables[t.name.upper()] = t
    return book


PARALLEL_BYTES = 6 << 20  # sheets this large (unpacked, together) are read by two processes


def _scan_all(pkg: _Package, path: Path, sheets: list, strings: list, cached: bool) -> dict:
    """Every sheet's cells; a large workbook's sheets are shared between two processes (two cores)."""
    sizes = {part: pkg.zip.getinfo(part).file_size for _, part in sheets if part in pkg.names}
    for name, part in sheets:
        if part not in pkg.names:
            raise SheetnetError(f"{path}: sheet {name} has no part {part}")
    big = sum(sizes.values()) >= PARALLEL_BYTES and len(sheets) > 1 and _may_fork()
    if not big:
        return {name: scan_sheet(pkg.read(part), name, f"{path}: sheet {name}", strings, cached)
                for name, part in sheets}
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    global _FORKED
    for _, part in sheets:
        pkg.budget -= sizes[part]  # what the two readers will unpack, counted here
        if pkg.budget < 0:
            raise SheetnetError(f"{path}: unpacks to more than the {MAX_UNPACKED} bytes sheetnet reads")
    _FORKED = (str(path), strings, cached)
    order = sorted(sheets, key=lambda s: -sizes[s[1]])
    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("fork")) as pool:
        futures = {name: pool.submit(_scan_forked, name, part) for name, part in order}
        return {name: futures[name].result() for name, _ in sheets}


_FORKED = None


def _scan_forked(name: str, part: str):
    path, strings, cached = _FORKED
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(part)
        with z.open(info) as f:
            data = f.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise SheetnetError(f"{path}: part {part} is larger than its header says; refused")
    return scan_sheet(data, name, f"{path}: sheet {name}", strings, cached)


def _may_fork() -> bool:
    """Two processes where the machine has two cores and this is not already a worker of sheetnet's."""
    import multiprocessing as mp
    import os

    return (os.cpu_count() or 1) >= 2 and not os.environ.get("SHEETNET_NO_FORK") and \
        not mp.current_process().daemon and "fork" in mp.get_all_start_methods()


def _shared_strings(pkg: _Package, rels: dict) -> list[str]:
    part = next((t for m, t, typ in rels.values() if typ.endswith("/sharedStrings")), None)
    if not part or part not in pkg.names:
        return []
    out = []
    for ev, el in pkg.events(part):
        if el.tag == f"{NS}si":
            ts = el.findall(f"{NS}t") + el.findall(f"{NS}r/{NS}t")  # not the phonetic runs (rPh)
            out.append("".join(t.text or "" for t in ts))
            el.clear()
    return out


def _table(pkg: _Package, part: str, sheet: str) -> Table:
    el = pkg.tree(part)
    cols = [c.get("name", "") for c in el.iter(f"{NS}tableColumn")]
    return Table(name=el.get("displayName") or el.get("name"), sheet=sheet, ref=parse_range(el.get("ref")),
                 columns=cols, header_rows=int(el.get("headerRowCount", "1")),
                 totals_rows=int(el.get("totalsRowCount", "0")))
