"""sheetnet's engine on real workbooks written by other people: the test workbooks that spreadsheet
libraries ship in their source distributions on PyPI.

    python bench/bench_real_workbooks.py            # downloads the sdists once (into bench/.cache)
    python bench/bench_real_workbooks.py --list     # one line per workbook

Each workbook is evaluated in its own process (60 s, 2 GB at most) from its inputs, and every
formula's value is compared with the value the spreadsheet that saved it cached (1e-9 relative;
volatile cells - RAND, TODAY, NOW and what depends on them - compared from their cached draws).
Counted: evaluates (and agrees), disagrees, refused (and why), crashed (a traceback: a bug).
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import re
import sys
import tarfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PACKAGES = ["pandas", "xlcalculator", "xlsx2csv", "pyexcel-xlsx", "tablib", "pyexcel", "odfpy", "pyexcel-ods3",
            "ezodf", "python-calamine", "pyexcel-ods", "openpyxl-dictreader", "excel2json-3", "pyexcel-xls",
            "xlsxgrep", "pylightxl", "frictionless", "messytables", "rows", "agate-excel", "xlrd3", "sheet2dict",
            # beyond spreadsheet libraries: an Excel automation package, data tools, a converter's expected files, a
            # web framework's import and export
            "xlwings", "csvkit", "petl", "xls2xlsx", "excel2img", "django-import-export"]
CACHE = Path(__file__).resolve().parent / ".cache"
EXTS = (".xlsx", ".xlsm", ".ods")


def sdist(name: str) -> Path | None:
    CACHE.mkdir(exist_ok=True)
    hit = list(CACHE.glob(f"{name.replace('-', '_')}-*.tar.gz")) + list(CACHE.glob(f"{name}-*.tar.gz"))
    if hit:
        return hit[0]
    try:
        url = f"https://pypi.org/pypi/{name}/json"
        meta = json.load(urllib.request.urlopen(url, timeout=30))
        files = [u for u in meta["urls"] if u["packagetype"] == "sdist"]
        if not files:
            return None
        src = urljoin(url, files[0]["url"])
        out = CACHE / files[0]["filename"]
        out.write_bytes(urllib.request.urlopen(src, timeout=120).read())
        return out
    except Exception as e:  # no network, or no such package: that package is skipped, said so
        print(f"  ({name}: not downloaded: {type(e).__name__}: {e})")
        return None


def workbooks(archive: Path) -> list[Path]:
    folder = CACHE / "books" / archive.name.split(".tar")[0]
    if not folder.exists():
        folder.mkdir(parents=True)
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                if m.isfile() and m.name.lower().endswith(EXTS) and m.size < 50 << 20:
                    dst = folder / m.name.replace("/", "__")
                    dst.write_bytes(t.extractfile(m).read())
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTS)


def one(path: str, q):
    """In a child process: evaluate and compare with the cached values."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    try:
        from sheetnet.engine import Engine, ErrorCode, read_book
        from sheetnet.errors import SheetnetError

        try:
            book = read_book(path, cached=True)
            eng = Engine(book, volatile="cached")
        except SheetnetError as e:
            q.put(("refused", str(e).split(": ", 1)[-1][:300], 0, 0))
            return
        except Exception as e:  # the engine's own refusals come as EngineError, with the cell named
            from sheetnet.engine import EngineError
            if isinstance(e, EngineError):
                q.put(("refused", str(e)[:300], 0, 0))
            else:
                raise
            return
        n = bad = 0
        first = ""
        for s in book.sheets:
            cached = book.data[s].cached or {}
            si = eng.index[s]
            for (r, c), want in cached.items():
                if want is None:
                    continue
                n += 1
                got = eng.value_at(si, r, c)
                if isinstance(want, float) and isinstance(got, float):
                    ok = abs(got - want) <= 1e-9 * max(1.0, abs(want))
                elif isinstance(want, ErrorCode) or isinstance(got, ErrorCode):
                    ok = str(got) == str(want) or (str(want).startswith("#") and str(got) == str(want))
                else:
                    ok = got == want or (want == "" and got is None) or (isinstance(want, bool) and got == want)
                if not ok:
                    bad += 1
                    if not first:
                        from sheetnet.engine.package import a1
                        first = f"{s}!{a1(r, c)} ={eng.formula_text(si, r, c)}: cached {want!r}, engine {got!r}"
        q.put(("disagrees" if bad else "evaluates", first, n, bad))
    except MemoryError:
        q.put(("refused", "more memory than the 2 GB allowed", 0, 0))
    except Exception as e:
        import traceback
        q.put(("crashed", f"{type(e).__name__}: {e} | {traceback.format_exc().splitlines()[-3].strip()}", 0, 0))


def run(path: Path, timeout=60.0):
    q = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=one, args=(str(path), q))
    t = time.perf_counter()
    p.start()
    p.join(timeout)
    if p.is_alive():
        p.kill()
        return ("refused", f"took longer than {timeout:.0f} s", 0, 0, timeout)
    try:
        return (*q.get(timeout=5), time.perf_counter() - t)
    except Exception:
        return ("crashed", f"the worker died (exit {p.exitcode})", 0, 0, time.perf_counter() - t)


def reason(text: str) -> str:
    """A refusal's kind: the function or construct named, without the cell."""
    m = re.search(r"function (\S+) is not supported", text)
    if m:
        return f"function {m.group(1)}"
    for key in ("circular reference", "not supported", "not a readable", "malformed", "encrypted", ".xls",
                "took longer", "memory", "refused", "cannot parse"):
        if key in text:
            return re.sub(r"^.*?: (?=[a-z])", "", text)[:70] if key == "not supported" else key
    return text[:70]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    books = []
    for name in PACKAGES:
        arch = sdist(name)
        if arch is not None:
            books += [(name, p) for p in workbooks(arch)]
    print(f"{len(books)} workbooks from {len({n for n, _ in books})} packages' source distributions\n")
    results = []
    for name, path in books:
        kind, detail, n, bad, secs = run(path)
        results.append((name, path, kind, detail, n, bad, secs))
        if a.list:
            print(f"{kind:<10} {n:>6} cells {secs:6.2f} s  {name}: {path.name[:60]}  {detail[:120]}")
    counts = collections.Counter(r[2] for r in results)
    total = len(results)
    print(f"\n{'outcome':<34}{'workbooks':>10}{'share':>8}")
    for kind in ("evaluates", "disagrees", "refused", "crashed"):
        print(f"{kind:<34}{counts[kind]:>10}{counts[kind] / max(total, 1):>8.0%}")
    print(f"\n{'source (PyPI sdist)':<34}{'workbooks':>10}{'evaluate':>10}{'share':>8}")
    for name in sorted({r[0] for r in results}, key=lambda n: (-sum(r[0] == n for r in results), n)):
        mine = [r for r in results if r[0] == name]
        ok = sum(r[2] == "evaluates" for r in mine)
        print(f"{name:<34}{len(mine):>10}{ok:>10}{ok / len(mine):>8.0%}")
    cells = sum(r[4] for r in results if r[2] in ("evaluates", "disagrees"))
    wrong = sum(r[5] for r in results)
    print(f"\nformula cells compared with their cached values: {cells}; different: {wrong}")
    why = collections.Counter(reason(r[3]) for r in results if r[2] == "refused")
    if why:
        print("\nrefused, by reason:")
        for k, v in why.most_common(15):
            print(f"  {v:>4}  {k}")
    for r in results:
        if r[2] in ("disagrees", "crashed"):
            print(f"  {r[2]}: {r[0]}: {r[1].name}: {r[3][:200]}")
            if r[2] == "disagrees":
                print(f"    {stale_or_not(r[1], r[3])}")


def stale_or_not(path, detail: str) -> str:
    """A disagreement with the cached value: LibreOffice recalculates the file from scratch; where it
    gives what the engine gives, the cache was stale (the spreadsheet that saved it differs)."""
    m = re.match(r"(.+?)!([A-Z]+)(\d+) =.*engine (.+)$", detail)
    if not m:
        return "LibreOffice not asked (the cell is not named)"
    try:
        from sheetnet.crosscheck.libreoffice import ERROR_CODES, LibreOffice
        with LibreOffice() as lo:
            lo.load(path)
            from sheetnet.engine.address import parse_cell
            ref = f"{m.group(2)}{m.group(3)}"
            r, c = parse_cell(ref)
            err = lo.errors(m.group(1), f"A1:{ref}").get((r, c))
            val = lo.values(m.group(1), f"A1:{ref}")[r][c]
    except Exception as e:  # no LibreOffice here: say so
        return f"LibreOffice not available ({type(e).__name__})"
    theirs = ERROR_CODES.get(err, err) if err is not None else val
    ours = m.group(4).strip()
    same = str(theirs) in ours or (isinstance(theirs, float) and ours.replace(".", "", 1).lstrip("-").isdigit()
                                   and abs(float(ours) - theirs) <= 1e-9 * max(1.0, abs(theirs)))
    return (f"stale cache: LibreOffice, recalculating, gives {theirs!r} as the engine does" if same else
            f"SHEETNET DIFFERS: LibreOffice recalculates {theirs!r}, the engine {ours}")


if __name__ == "__main__":
    main()
