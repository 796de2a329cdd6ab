"""Random formulas over the supported grammar, for differential tests against LibreOffice.

Inputs live on sheet `in`: numbers in A1:C4, text in D1:D4, blanks in E1:F4, TRUE/FALSE in G1:G2.
The generator stays out of the few corners where LibreOffice and Excel disagree, so any difference
it finds is the engine's.  LibreOffice: 0^0 = 1, (-8)^(1/3) = -2, "a" < TRUE is FALSE, SUM("3") is
#VALUE!, 1E-7&"" is "0.0000001", and a TRUE cell is the number 1 (so SUM over it counts it and
TRUE = 1 holds); booleans therefore appear only as conditions, never in ranges or arithmetic.
Omitted arguments appear where both read them as Excel does (IF's empty branch as 0 in arithmetic).
"""

from hypothesis import strategies as st

NUM_CELLS = [f"in!{c}{r}" for c in "ABC" for r in range(1, 5)]
TEXT_CELLS = [f"in!D{r}" for r in range(1, 5)]
BOOL_CELLS = ["in!G1", "in!G2"]
BLANK_CELLS = ["in!E1", "in!F2"]
TEXTS = ["a", "B", "s1", "x y", "3", ""]
RANGES = ["in!A1:A4", "in!A1:C4", "in!B2:C3", "in!A1:F4", "in!C1:C4", "in!A1:B1", "in!D1:F4"]
SAME_SHAPE = [("in!A1:A4", "in!C1:C4"), ("in!A1:B2", "in!B3:C4"), ("in!A1:C1", "in!A4:C4")]

numbers = st.one_of(st.integers(-9, 9).map(str), st.sampled_from(["0.5", "2.25", "0.1", "1E+3", "3.75", "0"]))


def _num_expr(depth):
    leaf = st.one_of(numbers, st.sampled_from(NUM_CELLS), st.sampled_from(NUM_CELLS + BLANK_CELLS))
    if depth <= 0:
        return leaf
    sub = st.deferred(lambda: _num_expr(depth - 1))
    boolean = st.deferred(lambda: _bool_expr(depth - 1))
    return st.one_of(
        leaf,
        sub.map(lambda a: f"-{a}" if not a.startswith("-") else f"-({a})"),
        sub.map(lambda a: f"({a})%"),
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/"]), sub).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(sub, st.integers(1, 3)).map(lambda t: f"({t[0]})^{t[1]}"),
        st.tuples(st.sampled_from(["ABS", "SQRT", "EXP", "LN", "LOG10", "TANH", "INT", "SIGN"]), sub)
          .map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(sub, st.sampled_from(["2", "10", "0.5"])).map(lambda t: f"LOG({t[0]},{t[1]})"),
        st.tuples(sub, st.integers(-1, 3)).map(lambda t: f"ROUND({t[0]},{t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"MOD({t[0]},{t[1]})"),
        st.tuples(sub, st.integers(1, 3)).map(lambda t: f"POWER({t[0]},{t[1]})"),
        st.tuples(boolean, sub, sub).map(lambda t: f"IF({t[0]},{t[1]},{t[2]})"),
        # omitted arguments: an empty IF branch is 0, an empty ROUND digits 0, an empty SUM term 0
        st.tuples(boolean, sub).map(lambda t: f"IF({t[0]},,{t[1]})"),
        st.tuples(boolean, sub).map(lambda t: f"IF({t[0]},{t[1]},)"),
        sub.map(lambda a: f"ROUND({a},)"),
        st.tuples(sub, sub).map(lambda t: f"SUM({t[0]},,{t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"IFERROR({t[0]},{t[1]})"),
        st.tuples(st.sampled_from(["SUM", "AVERAGE", "COUNT", "COUNTA", "MAX", "MIN", "SUMSQ"]),
                  st.sampled_from(RANGES)).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["SUM", "MAX", "MIN", "SUMSQ"]), st.sampled_from(RANGES), sub)
          .map(lambda t: f"{t[0]}({t[1]},{t[2]})"),
        st.sampled_from(SAME_SHAPE).map(lambda t: f"SUMPRODUCT({t[0]},{t[1]})"),
        st.tuples(st.sampled_from(["in!A1:C4", "in!A1:A4"]), st.integers(1, 4), st.integers(1, 3))
          .map(lambda t: f"INDEX({t[0]},{t[1]},{t[2] if t[0] == 'in!A1:C4' else 1})"),
        st.tuples(st.sampled_from(["in!A1:C4", "in!D1:D4"]),
                  st.sampled_from(['">0"', '"<=2"', '"<>3"', '"a"', '"s*"', "2", '"=B"']))
          .map(lambda t: f"COUNTIF({t[0]},{t[1]})"),
        st.tuples(st.sampled_from(['">0"', '"<2"', "1"])).map(lambda t: f"SUMIF(in!A1:C4,{t[0]})"),
        st.sampled_from(['SUMIF(in!D1:D4,"a",in!A1:A4)', "ROWS(in!A1:C4)", "COLUMNS(in!A1:C4)", "PI()"]),
    )


def _bool_expr(depth):
    sub = st.deferred(lambda: _num_expr(max(depth - 1, 0)))
    text = _text_expr()
    leaf = st.one_of(
        st.tuples(sub, st.sampled_from(["=", "<>", "<", ">", "<=", ">="]), sub).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
        st.tuples(text, st.sampled_from(["=", "<>", "<", ">"]), text).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
        st.sampled_from(BOOL_CELLS + ["TRUE", "FALSE"]),
        st.sampled_from(NUM_CELLS + TEXT_CELLS + BLANK_CELLS).map(lambda c: f"ISBLANK({c})"),
        st.sampled_from(NUM_CELLS + TEXT_CELLS).map(lambda c: f"ISNUMBER({c})"),
        sub.map(lambda a: f"ISERROR({a})"),
        st.sampled_from(["in!A1:C4", "in!A1:F4", "in!G1:G2"]).map(lambda r: f"AND({r})"),
    )
    if depth <= 0:
        return leaf
    b = st.deferred(lambda: _bool_expr(depth - 1))
    return st.one_of(leaf, st.tuples(b, b).map(lambda t: f"AND({t[0]},{t[1]})"),
                     st.tuples(b, b).map(lambda t: f"OR({t[0]},{t[1]})"), b.map(lambda a: f"NOT({a})"))


def _text_expr():
    lit = st.sampled_from(TEXTS).map(lambda s: '"' + s + '"')
    leaf = st.one_of(lit, st.sampled_from(TEXT_CELLS))
    return st.one_of(leaf, st.tuples(leaf, leaf).map(lambda t: f"{t[0]}&{t[1]}"),
                     st.tuples(leaf, st.integers(-99, 99)).map(lambda t: f"{t[0]}&{t[1]}"))


formulas = st.one_of(_num_expr(3), _bool_expr(2), _text_expr()).map(lambda f: "=" + f)
inputs = st.lists(st.one_of(st.integers(-20, 20).map(float), st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 3)),
                            st.just(0.0)), min_size=12, max_size=12)
texts = st.lists(st.sampled_from(TEXTS), min_size=4, max_size=4)
