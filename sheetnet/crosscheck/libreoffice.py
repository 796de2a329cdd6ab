"""LibreOffice Calc, headless, as the spreadsheet engine of record.

    with LibreOffice() as lo:
        lo.load("titanic.xlsx")   # opened, then every formula recalculated from scratch
        lo.set("linear", {"F4": 0.1})
        lo.calc()
        lo.values("linear")[0][1]  # B1, the total loss, as LibreOffice computes it

LibreOffice 7.4 does not recompute an xlsx's cached values on load; this driver both sets the
profile to always recalculate and calls calculateAll() after every load, so what it reads back
is LibreOffice's own arithmetic.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..errors import SheetnetError

WORKER = Path(__file__).with_name("_lo_worker.py")
# Calc's error numbers (cell.getError()) as the error values Excel shows
ERROR_CODES = {532: "#DIV/0!", 502: "#NUM!", 503: "#NUM!", 519: "#VALUE!", 32767: "#N/A", 525: "#NAME?",
               524: "#REF!", 504: "#VALUE!", 511: "#VALUE!", 523: "#NUM!"}  # 523: no convergence (xlsx: #NUM!)
# A profile that recalculates every formula of an xlsx or ods on load (LibreOffice 7.4's default never does)
XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
INSTALL_HINT = "apt-get install -y libreoffice-calc-nogui python3-uno"
ANSWER_SECONDS = 600  # the longest one call may take (a 60 s SwarmSolver run, a 1,000,000-row load)


def _uno_python() -> str | None:
    for cand in ("/usr/bin/python3", shutil.which("python3")):
        if cand and subprocess.run([cand, "-c", "import uno"], capture_output=True).returncode == 0:
            return cand
    return None


def make_profile(folder) -> Path:
    """A private LibreOffice profile under `folder` that recalculates on load; returns its path."""
    profile = Path(folder) / "profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(XCU)
    return profile


def find() -> tuple[str, str] | None:
    """(soffice, python-with-uno), or None when LibreOffice or its Python bridge is missing."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    py = _uno_python()
    return (soffice, py) if soffice and py else None


class LibreOffice:
    def __init__(self, profile=None):
        """profile: an existing LibreOffice profile folder to use (e.g. one with extensions added)."""
        found = find()
        if not found:
            raise SheetnetError(f"LibreOffice with its Python bridge is not installed ({INSTALL_HINT})")
        soffice, py = found
        self._tmp = tempfile.TemporaryDirectory(prefix="sheetnet-lo-")
        profile = Path(profile) if profile else make_profile(self._tmp.name)
        self.proc = subprocess.Popen([py, str(WORKER), soffice, str(profile)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1, start_new_session=True)
        self._answer()

    def _answer(self) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], ANSWER_SECONDS)
        if not ready:  # LibreOffice hung (seen once in a long test run): a failure, never a wait for ever
            self._kill()
            raise SheetnetError(f"LibreOffice did not answer within {ANSWER_SECONDS} s (stopped)")
        line = self.proc.stdout.readline()
        if not line:
            raise SheetnetError("LibreOffice stopped answering")
        res = json.loads(line)
        if "error" in res:
            raise SheetnetError(f"LibreOffice: {res['error']}")
        return res

    def _call(self, op: str, **kw) -> dict:
        self.proc.stdin.write(json.dumps({"op": op, **kw}) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def load(self, path, recalc: bool = True) -> list[str]:
        sheets = self._call("load", path=str(Path(path).resolve()))["sheets"]
        if recalc:
            self.calc()
        return sheets

    def calc(self) -> float:
        return self._call("calc")["seconds"]

    def set(self, sheet: str, cells: dict):
        self._call("set", sheet=sheet, cells=cells)

    def fill(self, sheet: str, ref: str, formulas):
        """Type formulas into a range (one per cell, rows of columns), as a student fills them down."""
        self._call("fill", sheet=sheet, ref=ref, formulas=[list(r) for r in formulas])

    def array(self, sheet: str, ref: str, formula: str):
        """Enter one array formula over a range."""
        self._call("array", sheet=sheet, ref=ref, formula=formula)

    def name(self, name: str, content: str):
        """Define a named range (content like $linear.$F$4:$O$4)."""
        self._call("name", name=name, content=content)

    def paste(self, sheet: str, ref: str, values):
        """Paste values (rows of columns) over a range."""
        self._call("numbers", sheet=sheet, ref=ref, values=[list(r) for r in values])

    def read(self, sheet=None, ref=None, formulas=False) -> dict:
        return self._call("read", sheet=sheet, ref=ref, formulas=formulas)

    def values(self, sheet: str, ref: str | None = None) -> list[list]:
        """Cell values from A1 (or ref's corner): numbers as floats, text as str, blanks as ''."""
        return self.read(sheet, ref)[sheet]["values"]

    def errors(self, sheet: str, ref: str) -> dict:
        return {tuple(map(int, k.split(","))): v for k, v in self._call("errors", sheet=sheet, ref=ref)["errors"].items()}

    def solve(self, service: str, sheet: str, objective, variables, bounds=None, maximize=False, props=None) -> dict:
        """One of LibreOffice's solvers (e.g. com.sun.star.comp.Calc.SwarmSolver) on 0-based (row, col) cells."""
        return self._call("solve", service=service, sheet=sheet, objective=list(objective),
                          variables=[list(v) for v in variables], bounds=bounds, maximize=maximize, props=props or {})

    def save(self, path, filter_name="Calc MS Excel 2007 XML"):
        self._call("save", path=str(Path(path).resolve()), filter_name=filter_name)

    def _kill(self):
        """Stop the worker and the LibreOffice it started (its own process group)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            self.proc.kill()
        self.proc.wait()

    def close(self):
        if self.proc.poll() is None:
            try:
                self._call("quit")
            except (SheetnetError, BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
