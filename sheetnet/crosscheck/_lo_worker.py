"""Drive LibreOffice Calc over UNO; run by a Python that has the `uno` module (Debian's python3-uno).

Reads one JSON command a line on stdin, answers one JSON line on stdout.  Started and spoken to
by sheetnet.libreoffice; not imported by sheetnet itself.
"""

import json
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


class Worker:
    def __init__(self, soffice, profile):
        pipe = "sheetnet%d" % os.getpid()
        self.proc = subprocess.Popen(
            [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
             "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
             "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.time() + 90
        while True:
            try:
                self.ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
                break
            except Exception:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("LibreOffice did not start")
                time.sleep(0.1)
        self.desktop = self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)
        self.doc = None

    def load(self, path):
        self.close()
        url = uno.systemPathToFileUrl(os.path.abspath(path))
        self.doc = self.desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
        if self.doc is None:
            raise RuntimeError("LibreOffice could not open " + path)
        return {"sheets": list(self.doc.Sheets.ElementNames)}

    def calc(self):
        t = time.perf_counter()
        self.doc.calculateAll()
        return {"seconds": time.perf_counter() - t}

    def set(self, sheet, cells):
        sh = self.doc.Sheets.getByName(sheet)
        for ref, value in cells.items():
            c = sh.getCellRangeByName(ref)
            if isinstance(value, str):
                c.setFormula(value)
            else:
                c.setValue(value)
        return {}

    def fill(self, sheet, ref, formulas):
        """Formulas typed into a range, as a student fills one down: formulas[i][j] for each cell."""
        sh = self.doc.Sheets.getByName(sheet)
        sh.getCellRangeByName(ref).setFormulaArray(tuple(tuple(row) for row in formulas))
        return {}

    def name(self, name, content):
        """A workbook-level named range (Sheet > Named Ranges > Define), content in Calc's notation."""
        from com.sun.star.table import CellAddress

        self.doc.NamedRanges.addNewByName(name, content, CellAddress(0, 0, 0), 0)
        return {}

    def array(self, sheet, ref, formula):
        """One array formula over a range (Ctrl+Shift+Enter)."""
        self.doc.Sheets.getByName(sheet).getCellRangeByName(ref).setArrayFormula(formula)
        return {}

    def numbers(self, sheet, ref, values):
        """Values pasted over a range (numbers as numbers, text as text)."""
        self.doc.Sheets.getByName(sheet).getCellRangeByName(ref).setDataArray(tuple(tuple(row) for row in values))
        return {}

    def read(self, sheet=None, ref=None, formulas=False):
        names = [sheet] if sheet else list(self.doc.Sheets.ElementNames)
        out = {}
        for name in names:
            sh = self.doc.Sheets.getByName(name)
            if ref:
                rng = sh.getCellRangeByName(ref)
            else:
                cur = sh.createCursor()
                cur.gotoEndOfUsedArea(False)
                a = cur.getRangeAddress()
                rng = sh.getCellRangeByPosition(0, 0, a.EndColumn, a.EndRow)
            entry = {"values": [list(r) for r in rng.getDataArray()]}
            if formulas:
                entry["formulas"] = [list(r) for r in rng.getFormulaArray()]
            out[name] = entry
        return out

    def errors(self, sheet, ref):
        """The error code of every cell in ref that holds an error (Calc's codes, e.g. 532 for #DIV/0!)."""
        sh = self.doc.Sheets.getByName(sheet)
        rng = sh.getCellRangeByName(ref)
        a = rng.getRangeAddress()
        found = {}
        for r in range(a.EndRow - a.StartRow + 1):
            for c in range(a.EndColumn - a.StartColumn + 1):
                cell = rng.getCellByPosition(c, r)
                e = cell.getError()
                if e:
                    found["%d,%d" % (a.StartRow + r, a.StartColumn + c)] = e
        return {"errors": found}

    def solve(self, service, sheet, objective, variables, bounds=None, maximize=False, props=None):
        """Run one of LibreOffice's own solvers; cells as [row, col] on `sheet`; bounds as [lo, hi]."""
        solver = self.ctx.ServiceManager.createInstanceWithContext(service, self.ctx)
        if solver is None:
            raise RuntimeError("no solver service " + service)
        index = list(self.doc.Sheets.ElementNames).index(sheet)

        def addr(rc):
            a = uno.createUnoStruct("com.sun.star.table.CellAddress")
            a.Sheet, a.Row, a.Column = index, rc[0], rc[1]
            return a
        solver.Document = self.doc
        solver.Objective = addr(objective)
        solver.Variables = tuple(addr(v) for v in variables)
        cons = []
        if bounds:
            for v in variables:
                for op, value in (("GREATER_EQUAL", bounds[0]), ("LESS_EQUAL", bounds[1])):
                    c = uno.createUnoStruct("com.sun.star.sheet.SolverConstraint")
                    c.Left = addr(v)
                    c.Operator = uno.Enum("com.sun.star.sheet.SolverConstraintOperator", op)
                    c.Right = value
                    cons.append(c)
        solver.Constraints = tuple(cons)
        solver.Maximize = maximize
        types = {p.Name: p.Type.typeName for p in solver.getPropertySetInfo().getProperties()}
        for k, v in (props or {}).items():  # each with its declared UNO type (pyuno narrows small ints)
            if types.get(k) in ("long", "short", "hyper"):
                uno.invoke(solver, "setPropertyValue", (k, uno.Any(types[k], int(v))))
            elif types.get(k) == "double":
                uno.invoke(solver, "setPropertyValue", (k, uno.Any("double", float(v))))
            else:
                solver.setPropertyValue(k, v)
        t = time.perf_counter()
        solver.solve()
        secs = time.perf_counter() - t
        return {"success": bool(solver.Success), "value": float(solver.ResultValue),
                "solution": [float(x) for x in solver.Solution], "seconds": secs}

    def save(self, path, filter_name="Calc MS Excel 2007 XML"):
        url = uno.systemPathToFileUrl(os.path.abspath(path))
        self.doc.storeToURL(url, (prop("FilterName", filter_name),))
        return {}

    def close(self):
        if self.doc is not None:
            try:
                self.doc.close(True)
            except Exception:
                pass
            self.doc = None
        return {}

    def quit(self):
        self.close()
        try:
            self.desktop.terminate()
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except Exception:
            self.proc.kill()


def main():
    out = sys.stdout
    sys.stdout = sys.stderr  # keep stray prints off the answer channel
    try:
        w = Worker(sys.argv[1], sys.argv[2])
    except Exception as e:
        out.write(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}) + "\n")
        out.flush()
        return
    out.write(json.dumps({"ok": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd.pop("op")
        try:
            res = getattr(w, op)(**cmd)
            res = {"ok": True, **(res or {})}
        except Exception as e:
            res = {"error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(res) + "\n")
        out.flush()
        if op == "quit":
            return
    w.quit()


if __name__ == "__main__":
    main()
