"""Random workbooks for the differential fuzzer: the engine against LibreOffice on workbook structure.

Each seed gives one workbook: three sheets of data (numbers, text, blanks, booleans, error cells),
defined names (global, sheet-local twice over, row-relative, column-relative, formula-valued),
and formula columns filled down, drawn from templates that read across sheets, through OFFSET,
INDIRECT and INDEX to other formula columns, through names, whole columns, array constants and
array formulas; one in four workbooks has a converging cycle with iterative calculation on.

Kept out, as documented differences between Excel (the engine's model) and LibreOffice: booleans
inside ranges that SUM-like functions add (LibreOffice counts TRUE as 1), 0^0, dates before
1900-03-01, and a range given to a scalar argument of a function inside an aggregate in a formula
that is not an array formula (Excel intersects it with the formula's row; LibreOffice takes the array).
Everything else that differs is a failure.
"""

from __future__ import annotations

import re

import numpy as np
import xlsxwriter

ROWS = 8
SHEETS = ("S1", "S2", "S3")
# {r}: the row; {o}: another sheet; {c}: a formula column of this sheet already written; {p}: its row above
TEMPLATES = [
    "=A{r}*2+B{r}",
    "=IF(A{r}>3,A{r}-B{r},B{r}/2)",
    "=OFFSET($A$1,ROW()-1,1)*3",
    '=INDIRECT("{o}!A"&ROW())+1',
    '=INDIRECT("{c}"&ROW())*2',
    "=OFFSET({c}$1,ROW()-1,0)+A{r}",
    "=SUM(OFFSET($A$1,0,0,ROW(),1))",
    "=INDEX({o}!$A$1:$C$8,ROW(),2)",
    "=INDEX($A$1:$B$8,ROW(),1)+{c}{r}",
    "=SUM(GLOBAL_A)+A{r}",
    "=SUM(local_b)*A{r}",
    "=ROWNAME*2",
    "=SUM(COLNAME)",
    "=FORMULA_NAME+{c}{r}",
    "=IFERROR(A{r}/D{r},-1)",
    "=ISERROR(D{r})*1",
    '=SUMIF($A$1:$A$8,">3",$B$1)',
    '=COUNTIF({o}!$A$1:$A$8,">"&A{r})',
    "=COUNT(A:A)+COUNTA(C:C)",
    "=SUMPRODUCT($A$1:$A$8,{{1;2;3;4;5;6;7;8}})",
    "=MAX(({o}!$A$1:$A$8>2)*{o}!$A$1:$A$8)",
    "={c}{r}+{o}!{c}{r}",
    "={c}{p}+A{r}",
    '=IF(ISNUMBER(C{r}),C{r},LEN(C{r}))',
    "=VLOOKUP(A{r},$A$1:$B$8,2,FALSE)",
    "=MATCH(B{r},$B$1:$B$8,0)",
    "=IF(E{r},1,2)+A{r}",
]
FORMULA_COLS = "GHIJK"
# a block: one template across three adjacent formula columns, {d} the data column moving with them (from A or B:
# numbers, text and blanks, errors; not E's booleans, which MMULT takes as 1 and 0 in LibreOffice only), as a
# crosstab's formula dragged across and down
BLOCKS = [
    '=IF({d}{r}="",0,MMULT($A{r}:$B{r},{d}$1:{d}$2))',
    '=IF({d}{r}<>"",{d}{r}*2-B{r},-1)',
    "={d}{r}*$B$2+{d}$1",
    "=SQRT(SUMXMY2($A$1:$A$8,$B$1:$B$8)/COUNT({d}$1:{d}$8))+{d}{r}",  # (over blanks and text: Excel's
    # SUMXMY2 skips the pair, LibreOffice's counts a blank 0 and refuses text; tests/engine/test_functions.py)
    "=MMULT($A$1:$B$1,{d}$1:{d}$2)+A{r}",
]

# one-row array formulas over the first three formula columns, typed in each row (collab_filter's
# {=OFFSET($C$3:$G$3,L3,0)}): one group over the rows (Group.array_rows)
ROW_ARRAYS = [
    "{{=OFFSET($A$1:$C$1,{r}-1,0)*2}}",  # (C: text, numbers and blanks)
    "{{=OFFSET($A$1,MOD({r}*3,8),0,1,2)}}",  # two wide in three: #N/A in the third
    '{{=IF(A{r}:C{r}>1,A{r}:C{r},"no")}}',
    "{{=$A$1:$C$1+B{r}}}",
    "{{=MMULT(A{r}:B{r},{{1,2,3;4,5,6}})}}",
    "{{=1/(D{r}:F{r}-1)}}",  # (D: numbers and errors; F blank)
]


def _data(rng, sheet):
    """Columns A, B numbers; C text, numbers and blanks; D numbers and errors; E booleans."""
    cells = {}
    for r in range(1, ROWS + 1):
        cells[f"A{r}"] = float(rng.integers(-3, 10))
        cells[f"B{r}"] = round(float(rng.uniform(-5, 5)), 3)
        kind = rng.integers(0, 3)
        if kind == 0:
            cells[f"C{r}"] = str(rng.choice(["x", "yy", "z"]))
        elif kind == 1:
            cells[f"C{r}"] = float(rng.integers(0, 5))
        kind = rng.integers(0, 4)
        cells[f"D{r}"] = "=1/0" if kind == 0 else "=NA()" if kind == 1 else float(rng.integers(1, 4))
        cells[f"E{r}"] = bool(rng.integers(0, 2))
    return cells


def workbook(path, seed: int):
    """Write workbook `seed` to path; returns {sheet: [formula cell refs]} to compare."""
    rng = np.random.default_rng(seed)
    wb = xlsxwriter.Workbook(str(path))
    sheets = {s: wb.add_worksheet(s) for s in SHEETS}
    wb.define_name("GLOBAL_A", "=S1!$A$1:$A$4")
    wb.define_name("S1!local_b", "=S1!$B$1:$B$3")
    wb.define_name("S2!local_b", "=S2!$B$5:$B$8")
    wb.define_name("S3!local_b", "=S3!$A$2:$B$3")
    wb.define_name("ROWNAME", "=S1!$A1")  # relative row: the row of the cell using it
    wb.define_name("COLNAME", "=S3!A$1:A$4")  # relative column: used in column G it is S3!G$1:G$4
    wb.define_name("FORMULA_NAME", "=SUM(S2!$A$1:$A$3)*2")
    out = {}
    order = list(SHEETS)
    rng.shuffle(order)
    written: dict = {s: [] for s in SHEETS}
    for s in order:
        ws = sheets[s]
        for ref, v in _data(rng, s).items():
            if isinstance(v, str) and v.startswith("="):
                ws.write_formula(ref, v, None, 0)
            elif isinstance(v, bool):
                ws.write_boolean(ref, v)
            elif isinstance(v, str):
                ws.write_string(ref, v)
            else:
                ws.write_number(ref, v)
        refs = []
        cols = FORMULA_COLS[:int(rng.integers(2, 6))]
        block = rng.integers(0, 3) == 0 and len(cols) >= 3
        if block:  # the first three formula columns one block, or a one-row array formula in each row
            tpl, d0 = BLOCKS[int(rng.integers(len(BLOCKS)))], int(rng.integers(0, 2))
            rows_tpl = ROW_ARRAYS[int(rng.integers(len(ROW_ARRAYS)))] if rng.integers(0, 2) == 0 else None
            for j, col in enumerate(cols[:3]):
                for r in range(1, ROWS + 1):
                    if rows_tpl is None:
                        ws.write_formula(f"{col}{r}", tpl.format(r=r, d="ABCDE"[d0 + j]), None, 0)
                    elif j == 0:
                        ws.write_array_formula(f"{col}{r}:{cols[2]}{r}", rows_tpl.format(r=r), None, 0)
                refs += [f"{col}{r}" for r in range(1, ROWS + 1)]
                written[s].append(col)
            cols = cols[3:]
        for col in cols:
            tpl = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
            if "COLNAME" in tpl and (s == "S3" or col != "G"):  # S3!G reads no other sheet's formulas: no cycle
                tpl = "=SUM(COLNAME)+A{r}" if s != "S3" else "=A{r}*2+B{r}"
            prev = [c for c in FORMULA_COLS if c < col]
            c = str(rng.choice(prev)) if prev else "A"
            others = [o for o in SHEETS if o != s and written[o]] or [o for o in SHEETS if o != s]
            o = str(rng.choice(others))
            if "{o}!{c}" in tpl and c not in written[o]:
                tpl = "={c}{r}+{o}!A{r}"
            if rng.integers(0, 6) == 0:  # an array formula over the whole column instead
                ws.write_array_formula(f"{col}1:{col}{ROWS}", f"{{={_arrayed(tpl, c, o)}}}", None, 0)
            else:
                for r in range(1, ROWS + 1):
                    text = tpl.format(r=r, o=o, c=c, p=r - 1 if r > 1 else 1)
                    if r == 1 and "{p}" in tpl:
                        text = "=A1"
                    ws.write_formula(f"{col}{r}", text, None, 0)
            refs += [f"{col}{r}" for r in range(1, ROWS + 1)]
            written[s].append(col)
        out[s] = refs
    cycle = rng.integers(0, 4) == 0
    if cycle:  # a converging cycle: iterative calculation on
        ws = sheets["S3"]
        ws.write_formula("M1", "=M2/2+S1!A1", None, 0)
        ws.write_formula("M2", "=M1*0.5+1", None, 0)
        ws.write_formula("M3", "=M1+M2", None, 0)
        out["S3"] = out["S3"] + ["M1", "M2", "M3"]
    wb.close()
    if cycle:
        _iterate_on(path)
    return out, cycle


def _arrayed(tpl, c, o):
    """A template as one array formula over rows 1..8 (cell references become the column's block)."""
    text = tpl.format(r="$1:$8", o=o, c=c, p="$1:$8")
    text = re.sub(r"\b([A-K])\$1:\$8\b", r"\g<1>1:\g<1>8", text)
    return text[1:] if not re.search(r"ROW\(\)|OFFSET|INDIRECT|INDEX|ROWNAME|\{\{", tpl) else "A1:A8*2+B1:B8"


def _iterate_on(path):
    from .helpers import rewrite_parts

    on = b' iterate="1" iterateCount="1000" iterateDelta="0.000001"/>'
    rewrite_parts(path, path, lambda name, data: re.sub(rb"<calcPr([^/]*)/>", lambda m: b"<calcPr" + m.group(1) + on,
                                                        data) if name == "xl/workbook.xml" else data)


def differences(eng, lo, path, cells, cycle, close, same, errors_of):
    """[(sheet!cell, engine, LibreOffice)] where the two differ beyond rounding (1e-9 relative; a cycle:
    within what its delta lets each stop at)."""
    out = []
    for s, refs in cells.items():
        vals, errs = lo.values(s, "A1:M8"), errors_of(lo, s)
        for ref in refs:
            r, c = int(ref[1:]) - 1, ord(ref[0]) - 65
            mine = eng.get(f"{s}!{ref}")
            if cycle and ref.startswith("M"):
                if not (isinstance(mine, float) and isinstance(vals[r][c], float) and abs(mine - vals[r][c]) < 1e-4):
                    out.append((f"{s}!{ref}", mine, vals[r][c]))
                continue
            if not same(mine, vals[r][c], errs.get((r, c))):
                out.append((f"{s}!{ref}", mine, errs.get((r, c), vals[r][c])))
    return out
