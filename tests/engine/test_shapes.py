"""Reading and parsing grid-shaped sheets faster, with the same results: a formula parsed once for each
shape gives, for every other cell of that shape, exactly the AST parsing that cell gives; {=...} typed in
one cell is read by the fast reading as the tree reading reads it."""

import random

import pytest
import xlsxwriter

from sheetnet.engine import Engine, sheetxml
from sheetnet.engine.parse import Context, parse
from sheetnet.engine.graph import refs
from sheetnet.engine.parsecache import Moved, ParseCache
from sheetnet.engine.functions import FUNCTIONS
from sheetnet.engine.values import V, EngineError


def _plain(node):
    """An AST with its array constants (V objects, equal only to themselves) as their values."""
    if isinstance(node, V):
        return ("V", node.num.tolist(), None if node.typ is None else node.typ.tolist(),
                None if node.obj is None else node.obj.tolist())
    if isinstance(node, (tuple, list)):
        return type(node)(_plain(x) for x in node)
    return node


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    p = tmp_path_factory.mktemp("shapes") / "names.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("S")
    wb.add_worksheet("Sheet 2")
    ws.write_number(0, 0, 1)
    wb.define_name("E", "=S!B1")  # relative both ways: moves with the cell that uses it
    wb.define_name("TRUETRUE", "=S!$A1")
    wb.define_name("RATE", "=0.5")
    wb.define_name("TWICE", "=LAMBDA(x,2*x)")
    wb.close()
    return Engine.load(p)


def _ref(rng, same=True):
    def corner():
        return f"{'$' if rng.random() < 0.3 else ''}{'ABCDEFGHIJ'[rng.randrange(10)]}{'$' if rng.random() < 0.3 else ''}" \
               f"{rng.randrange(1, 40)}"
    a = corner()
    if rng.random() < 0.5:
        return a
    row = int(a.replace("$", "")[1:])
    b = f"{'KLMNOP'[rng.randrange(6)]}{row + rng.randrange(0, 5)}"
    if same:  # the second corner with the first's $ pattern
        b = (("$" if a.startswith("$") else "") + b[0] + ("$" if "$" in a[1:] else "") + b[1:])
    elif rng.random() < 0.5:
        b = "$" + b
    return f"{a}:{b}"


SHAPES = [
    "SUM({a})", "{a}+{b}*2", 'IF({a}="A1",1E+3,{b})', "MAX(0,SUM({a}*{b}))", "LOG10({a}+1)", '{a}&"{a}"',
    "TRUE+{a}", "E*{a}", "TRUETRUE+{a}", "RATE*{a}", "TWICE({a})", "S!{a}+{b}", "'Sheet 2'!{a}+1", "{a}:{b}",
    "INDEX({a},1):{b}", "SUM({a} {b})", "-{a}%", "{a}^2", "{{1,2;3,4}}*{a}", "{a}*{a}", "ROW()+{a}",
    "OFFSET({a},1,1)", "_xlfn.STDEV.S({a})", "SUMPRODUCT(2*({a}*{b}+{a}-{b})*{b})/20", "IF({a}<0,0,{a})",
    "ATAN2({a},1)", "sum({a})", "{a}+#N/A", "LET(x,{a},x*2)", "NOSUCH({a})", "{a}+", "A1B+{a}",
]


def test_every_formula_gets_the_ast_its_own_parse_gives(book):
    rng = random.Random(7)
    cache = ParseCache(FUNCTIONS, book.book.names)
    n = moved = 0
    for _ in range(3000):
        shape = rng.choice(SHAPES)
        f = shape.format(a=_ref(rng, rng.random() < 0.9), b=_ref(rng, rng.random() < 0.9))
        row, col = rng.randrange(0, 60), rng.randrange(0, 20)

        def ctx():
            return Context(book.book, book.index, "S", row, col, book._extent)
        try:
            want = parse(f, ctx())
        except EngineError as e:
            want = ("refused", str(e))
        try:
            got = cache.parse(f, ctx(), parse)
        except EngineError as e:
            got = ("refused", str(e))
        assert _plain(got) == _plain(want), (f, row, col)
        try:  # lazily: the AST made when asked, and its references at once, without making it
            lazy = cache.parse(f, ctx(), parse, lazy=True)
        except EngineError as e:
            lazy = ("refused", str(e))
        if isinstance(lazy, Moved):
            moved += 1
            assert lazy.refs() == refs(lazy.build()) == refs(want), (f, row, col)
            lazy = lazy.build()
        assert _plain(lazy) == _plain(want), (f, row, col)
        n += want[0] != "refused"
    assert n > 2000 and cache.hits > 800 and moved > 800  # most formulas parsed, and many of them shared a shape


@pytest.mark.parametrize("formula", [
    "E*A1", "TRUETRUE+A1", "TWICE(A1)", "S!A1+B2", "A1:$B$2", "A1+#N/A", 'A1&"x"&Sheet2!B1', "LET(x,A1,x)",
    "sum(A1)", "LOG10(A1)+LOG", "A1+1E5E", "A1:B2 B1:C3", "INDEX(A1:B2,1):B3",
])
def test_what_is_not_a_plain_formula_is_parsed_as_it_stands(book, formula):
    cache = ParseCache(FUNCTIONS, book.book.names)
    assert cache._key(formula) is None


def test_a_formula_naming_a_cell_twice_is_not_taken_as_a_shape(book):
    cache = ParseCache(FUNCTIONS, book.book.names)
    ctx = Context(book.book, book.index, "S", 5, 5, book._extent)
    assert cache.parse("A1*A1", ctx, parse) == parse("A1*A1", ctx) and cache._key("A1*A1") is not None
    got = cache.parse("B1*C1", ctx, parse)  # the same shape: parsed, as the first was not kept
    assert got == parse("B1*C1", ctx) and cache.hits == 0
    assert cache.parse("C3*C3", ctx, parse) == parse("C3*C3", ctx) and cache.hits == 1  # from B1*C1's AST
    assert cache.parse("D7*A3", ctx, parse) == parse("D7*A3", ctx) and cache.hits == 2


def test_a_grid_of_formulas_shares_shapes_and_evaluates_as_each_cell_parsed(tmp_path, monkeypatch):
    """Predictions copied across columns and a pooling layer with a stride: one parse each, same values."""
    p = tmp_path / "grid.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("g")
    for r in range(8):
        for c in range(8):
            ws.write_number(r, c, (r * 8 + c) % 5 - 2)
    for r in range(8):
        for c in range(8):
            ws.write_formula(10 + r, c, f'=IF({"ABCDEFGH"[c]}{r + 1}="",0,MMULT($A{r + 1}:$H{r + 1},{"ABCDEFGH"[c]}$1:'
                                        f'{"ABCDEFGH"[c]}$8))', None, 0)
    for r in range(4):
        for c in range(4):
            ws.write_formula(20 + r, c, f"=MAX({'ABCDEFGH'[2 * c]}{11 + 2 * r}:{'ABCDEFGH'[2 * c + 1]}{12 + 2 * r})", None, 0)
    wb.close()
    eng = Engine.load(p)
    assert eng._parses.hits == 7 + 15  # 8 columns of predictions, 16 pooling cells: 2 parses
    monkeypatch.setattr(ParseCache, "_key", lambda self, f: None)  # every formula parsed as it stands
    plain = Engine.load(p)
    assert plain._parses.hits == 0
    for g, h in zip(eng.groups, plain.groups):
        assert (g.node, g.reads) == (h.node, h.reads)
    grid = [[eng.get(f"g!{'ABCD'[c]}{21 + r}") for c in range(4)] for r in range(4)]
    assert grid == [[plain.get(f"g!{'ABCD'[c]}{21 + r}") for c in range(4)] for r in range(4)]
    x = [[(r * 8 + c) % 5 - 2 for c in range(8)] for r in range(8)]
    pred = [[sum(x[r][k] * x[k][c] for k in range(8)) for c in range(8)] for r in range(8)]
    assert grid == [[max(pred[2 * r + i][2 * c + j] for i in (0, 1) for j in (0, 1)) for c in range(4)] for r in range(4)]


ARRAYS = (
    b'<row r="1"><c r="A1"><v>2</v></c><c r="B1"><f t="array" ref="B1">A1*2</f><v>4</v></c>'
    b'<c r="C1"><f t="array" ref="C1" aca="false">A1&lt;3</f><v>1</v></c>'  # LibreOffice's spelling
    b'<c r="D1" t="str"><f t="array" ref="D1">"a"&amp;A1</f><v>a2</v></c>'
    b'<c r="E1" t="e"><f t="array" ref="E1">1/0</f><v>#DIV/0!</v></c>'
    b'<c r="F1" cm="1"><f t="array" ref="F1">SUM(A1:A2)</f><v>2</v></c>'  # dynamic
    b'<c r="G1"><f t="array" ref="G1:H2">A1:B2*1</f><v>2</v></c></row>'  # a block: the other way
    b'<row r="2"><c r="B2"><f t="array" ref="B2">A2*2</f><v>0</v></c><c r="C2" t="b"><f t="array" ref="C2">TRUE</f>'
    b'<v>1</v></c><c r="D2"><f t="array" ref="D2"/><v>7</v></c></row>'  # no text: its value
    b'<row r="3"><c r="B3"><f t="array" ref="B3">A3*2</f><v>0</v></c><c r="F3" cm="1"><f t="array" ref="F3">SUM(A2:A3)'
    b'</f><v>2</v></c></row>'  # B1:B3 one run; F1, F3 dynamic: never a run
    b'<row r="4"><c r="B4"><f t="array" ref="B4">A4*3</f><v>0</v></c><c r="C4"><f t="array" ref="C4">C3&lt;1</f>'
    b'<v>0</v></c></row>'  # B4: another text, a new run; C4 after a gap in C
    b'<row r="5"><c r="B5"><f t="array" ref="B5">A5*3</f><v>0</v></c></row>'
)


def _one_by_one(arrays):
    """Runs of one-cell array formulas (k rows) as the cells they stand for."""
    from sheetnet.engine.sheetxml import ArrayFormula
    from sheetnet.engine.template import RowTemplate

    out = []
    for a in arrays:
        tpl = RowTemplate(a.text, a.row)
        out += [ArrayFormula(a.row + d, a.col, (a.row + d, a.col, a.row + d, a.col) if a.k > 1 else a.box,
                             tpl.render(a.row + d), a.dynamic) for d in range(a.k)]
    return sorted(out, key=lambda a: (a.row, a.col))


def test_an_array_formula_in_its_own_cell_is_read_as_the_tree_reading_reads_it():
    data = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>' + ARRAYS + b"</sheetData></worksheet>")
    fast = sheetxml.scan_sheet(data, "s", "s", [], want_cached=True)
    tree = sheetxml.SheetData("s")
    sheetxml._scan_tree(data, sheetxml._Builder(tree, "s", [], True))
    assert _one_by_one(fast.arrays) == _one_by_one(tree.arrays) and len(tree.arrays) == 13
    assert [(a.row, a.col, a.k) for a in fast.arrays if a.k > 1] == [(0, 1, 3), (3, 1, 2)]  # B1:B3 and B4:B5
    assert fast.cached == tree.cached and fast.other == tree.other
    assert list(zip(fast.rows, fast.cols, fast.vals)) == list(zip(tree.rows, tree.cols, tree.vals)) == \
        [(0, 0, 2.0), (1, 3, 7.0)]
    assert [a.text for a in fast.arrays][:4] == ["A1*2", "A1<3", '"a"&A1', "1/0"]
    assert [a.dynamic for a in fast.arrays] == [False, False, False, False, True, False, False, True, False, False]
    assert fast.arrays[5].box == (0, 6, 1, 7) and fast.cached[(0, 3)] == "a2" and fast.cached[(2, 1)] == 0.0
    corners = {(int(r), int(c)) for r, c in fast.cells()}  # a run's first and last cell, as a block's corners
    assert (fast.max_row, fast.max_col) == (tree.max_row, tree.max_col) and {(0, 1), (2, 1), (3, 1), (4, 1)} <= corners
    assert corners <= {(int(r), int(c)) for r, c in tree.cells()}


def test_a_run_of_array_formulas_with_an_input_inside_it(tmp_path):
    """{=A1*2} typed down B1:B5, read as one run; B3 loaded as an input: its cached value, the rest computed."""
    p = tmp_path / "runs.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("S")
    for r in range(5):
        ws.write_number(r, 0, r + 1)
        ws.write_array_formula(r, 1, r, 1, f"{{=A{r + 1}*2}}", None, 2 * (r + 1) + 0.5)  # cached values a bit off
        ws.write_formula(r, 2, f"=B{r + 1}+1", None, 0)
    wb.close()
    eng = Engine.load(p)
    assert [eng.get(f"S!B{r}") for r in range(1, 6)] == [2.0, 4.0, 6.0, 8.0, 10.0]
    held = Engine.load(p, inputs=["S!B3"])
    assert [held.get(f"S!B{r}") for r in range(1, 6)] == [2.0, 4.0, 6.5, 8.0, 10.0]
    assert [held.formula_text(0, r, 1) for r in range(5)] == ["A1*2", "A2*2", None, "A4*2", "A5*2"]
    held.set({"S!B3": 100.0})
    assert held.get("S!C3") == 101.0 and held.get("S!C4") == 9.0


def test_an_at_formula_excel_marks_dynamic_is_one_value_and_its_column_one_run(tmp_path):
    """Excel 365 stores =@x as a dynamic array (cm="1") of _xlfn.SINGLE(x): one value that never spills, so a
    column of them is one run and columns of them one block; @ of a range still meets each cell's own row."""
    from .books import write_book

    cells = {f"A{r}": r for r in range(1, 7)}
    cells.update({f"E{r}": 10 * r for r in range(1, 7)})
    cells.update({f"{c}{r}": r + 10 * "HIJ".index(c) for r in range(1, 7) for c in "HIJ"})
    for r in range(1, 7):
        for c, d in zip("BCD", "HIJ"):
            cells[f"{c}{r}"] = f'dyn:=_xlfn.SINGLE(IF({d}{r}>3,{d}{r}*2,-{d}{r}))'
        cells[f"F{r}"] = "dyn:=_xlfn.SINGLE($E$1:$E$6)"  # @ of a range: this row's E
        cells[f"G{r}"] = f"dyn:=_xlfn.SINGLE(A{r}*2)+1"  # more than one @: a dynamic array as before
    eng = Engine.load(write_book(tmp_path / "at.xlsx", {"S": cells}))
    runs = sorted((g.col, g.k, g.array_eval, g.dynamic) for g in eng.groups if g.col < 6)
    assert runs == [(1, 6, True, False), (2, 6, True, False), (3, 6, True, False), (5, 6, True, False)]
    assert len({id(b) for b in eng.batches.values()}) == 1  # B:D together; F (an @ of a range) by itself
    for r in range(1, 7):
        assert [eng.get(f"S!{c}{r}") for c in "BCDFG"] == [(r + x) * 2 if r + x > 3 else -(r + x) for x in (0, 10, 20)] \
            + [10.0 * r, 2.0 * r + 1]
    assert sum(g.dynamic for g in eng.groups) == 6  # G's cells


def test_a_dynamic_array_below_a_legacy_one_of_its_shape_stays_dynamic(tmp_path):
    """{=A1:A3*2} in B1, and below it the dynamic =A2:A4*2 (Excel 365's cm="1"), the same text a row down: not
    one run (a run's next cell is one value as its first only where both are marked alike)."""
    from .books import write_book

    cells = {f"A{r}": r for r in range(1, 7)}
    cells.update({"B1": "{=A1:A3*2}", "B2:B2": "dyn:=A2:A4*2", "B3": "dyn:=_xlfn.SINGLE(A3)",
                  "B4": "dyn:=_xlfn.SINGLE(A4)", "C1": "=FORMULATEXT(B1)", "C2": "=FORMULATEXT(B2)"})
    eng = Engine.load(write_book(tmp_path / "d.xlsx", {"S": cells}))
    assert eng.get("S!C1") == "{=A1:A3*2}" and eng.get("S!C2") == "=A2:A4*2"
    assert [eng.get(f"S!B{r}") for r in range(1, 5)] == [2.0, 4.0, 3.0, 4.0]
    assert sorted((g.r0, g.k, g.dynamic) for g in eng.groups if g.col == 1) == [(0, 1, False), (1, 1, True), (2, 2, False)]


def test_a_shape_with_no_compiled_path_is_tried_once_and_a_far_read_does_not_stop_its_shape(tmp_path):
    """Compiling is tried once for a shape holding what the compiled path has not (&, MMULT): every group of it
    then takes the general path.  A group that cannot be compiled for where it reads (a far tile) says nothing
    of its shape: another group of that shape is still compiled."""
    from ..helpers import write_cells

    p = tmp_path / "c.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    write_cells(wb.add_worksheet("S"), {
        "A1": 1, "A2": 2, "A3": 3, "A6000": 5,
        "B1": "=A6000*2", "B3": "=A3*2",  # one shape: B1 reads a far tile, B3 the main one
        "C1": '=A1&"x"', "C3": '=A3&"x"',  # one shape with &: no compiled path anywhere
    })
    wb.close()
    eng = Engine.load(p)
    assert [eng.get(f"S!{c}") for c in ("B1", "B3", "C1", "C3")] == [10.0, 6.0, "1x", "3x"]
    group = {(g.r0, g.col): g for g in eng.groups}
    assert group[(0, 1)].fast is None and group[(2, 1)].fast is not None
    assert group[(0, 2)].fast is None and group[(2, 2)].fast is None
    assert eng._never == {eng._shapes[group[(0, 2)].id]}


@pytest.mark.parametrize("formula, row, parts, offsets", [
    ('IF(H2="",0,MMULT($B25:$F25,H$19:H$23))', 24, ('IF(H', '="",0,MMULT($B', ':$F', ',H$19:H$23))'), (-23, 0, 0)),
    ('A1&"B2"&C3', 2, ('A', '&"B2"&C', ''), (-2, 0)),  # a reference inside a string is text
    ('"a""A1"""&A5&""', 4, ('"a""A1"""&A', '&""'), (0,)),  # doubled quotes inside a string
    ('LOG10(A1)+Table1[B2]+A1B2+_A3+.A4', 0, ('LOG10(A', ')+Table1[B2]+A1B2+_A3+.A4'), (0,)),  # names, not cells
    ('SUM(T[[#This Row],[Col A1]])+A3', 2, ('SUM(T[[#This Row],[Col A1]])+A', ''), (0,)),  # a table's column
    ('SUM(A$1:A7)%+$B$2^2', 6, ('SUM(A$1:A', ')%+$B$2^2'), (0,)),
    ('"unclosed A1', 0, ('"unclosed A', ''), (0,)),  # no closing quote: no string
    ('100%*A10', 9, ('100%%*A', ''), (0,)),
])
def test_a_row_template_splits_a_formula_at_its_relative_rows(formula, row, parts, offsets):
    """Strings and absolute rows stay literal; each relative row is a place for the row's number.  The bytes
    template (the bulk reading's) splits the raw text the same way."""
    from sheetnet.engine.template import ByteTemplate, RowTemplate

    t = RowTemplate(formula, row)
    want = tuple(p.replace("%%", "%") for p in parts)
    assert (t.parts, t.offsets) == (want, offsets) and t.render(row) == formula
    b = ByteTemplate(formula.encode(), row)
    assert (b.parts, b.offsets) == (tuple(p.encode() for p in want), offsets)
    assert b.render(row + 3) == t.render(row + 3).encode() and list(b.render_rows(row, 4)) == \
        [t.render(r).encode() for r in range(row, row + 4)]


def test_a_tables_column_named_like_a_cell_is_not_a_row_to_move(tmp_path):
    """=SUM(T[B2]) above =SUM(T[B3]) names two columns of table T: two formulas, not one dragged down (which
    once gave the second the first's sum)."""
    p = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("S")
    ws.add_table("A1:B4", {"name": "T", "columns": [{"header": "B2"}, {"header": "B3"}],
                           "data": [[1, 10], [2, 20], [3, 30]]})
    ws.write_formula("D1", "=SUM(T[B2])", None, 0)
    ws.write_formula("D2", "=SUM(T[B3])", None, 0)
    ws.write_formula("E1", "=SUM(T[[#Data],[B2]])*A2", None, 0)
    ws.write_formula("E2", "=SUM(T[[#Data],[B3]])*A3", None, 0)
    wb.close()
    eng = Engine.load(p)
    assert [eng.get(f"S!{c}") for c in ("D1", "D2", "E1", "E2")] == [6.0, 60.0, 6.0, 120.0]


def test_a_shared_formula_moved_along_its_row_as_openpyxls_translator_moves_it():
    """An Excel shared formula's text in another column of its box: moved at once where it is the usual formula
    (strings, A1 references, functions, names, numbers, operators), exactly as openpyxl's Translator moves it;
    the rest (sheets, tables, whole columns, spaces, lower case, off the sheet) left to the Translator."""
    from openpyxl.formula.translate import Translator

    from sheetnet.engine.address import a1
    from sheetnet.engine.template import ColTemplate, _along_row, shifted

    rng = random.Random(3)
    pieces = ["A1", "$A1", "A$1", "$A$1", "B25", "XFD1", "AB12", "A1:B2", "$B$2:C3", "B2:$C$3", "$A1:$A9", "A:A",
              "1:1", '"x"', '"A1"', '""', '"a""b"', "LOG10(", "SUM(", "IF(", "RATE", "ABCD1", "E5", "1E5", "1E+5",
              "TRUE", "+", "-", "*", "/", "^", "&", "=", "<>", "%", "(", ")", ",", "1", "2.5", "S!A1", "'S 2'!B1",
              "T[c]", "#N/A", " ", "a1", "sum(", "_xlfn.STDEV.S(", "B2:A1"]
    fast = 0
    for _ in range(20000):
        f = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        r, c0 = rng.randrange(0, 50), rng.randrange(0, 30)
        c1 = rng.randrange(0, 16384) if rng.random() < 0.05 else rng.randrange(0, 60)
        try:
            want = Translator("=" + f, origin=a1(r, c0)).translate_formula(a1(r, c1))[1:]
        except Exception:  # noqa: BLE001 (no formula: parsing it refuses it, either way)
            continue
        moved = _along_row(f, a1(r, c0), a1(r, c1))
        fast += moved is not None
        assert moved in (None, want), (f, r, c0, c1)
        assert shifted(f, a1(r, c0), a1(r, c1)) == want
        ct = ColTemplate.make(f)  # (the formula split once, for every column of a shared formula's row)
        assert (ct is None) == (_along_row(f, a1(r, c0), a1(r, c0)) is None) and (ct is None or
                                                                                   ct.render(c1 - c0) == moved)
    assert fast > 3000
    assert _along_row("A1+B2", "B2", "C3") is None  # (another row: the Translator)
