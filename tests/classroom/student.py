"""A student at LibreOffice: opens the exercise, types the formulas (right, or with one of the usual
mistakes), pastes Solver's answer into the Params and saves, all through LibreOffice Calc itself.

Formulas are in LibreOffice's API notation (`;` between arguments, `$data.A4` for another sheet),
written by hand here as a student would type them: none comes from sheetnet's own formula code.
"""

FIRST = 4  # the first data row, 1-based

MISTAKES = {"LN", "sliding", "sliding_max", "no_norm", "if_reversed", "sum", "no_ones", "dummy_level", "off_by_one", "relu_reversed",
            "no_mmult", "paste_values", "typed_number"}
# right work written another way (full marks all the same)
EQUIVALENT = {"offset_linear", "relu_if", "loss_reversed", "whole_column", "named_params", "array_blocks",
              "mixed_dollars", "max_inline"}


def _cols(n, *fs):
    return [[f(r) for f in fs] for r in range(FIRST, FIRST + n)]


def do_exercise(lo, src, dst, n, mistakes=(), params=None, solve=("linear", "nnet"), fmt="xlsx"):
    """Load src in LibreOffice, do every task (with `mistakes`), paste `params` {sheet: values} and save as dst."""
    bad = set(mistakes) - MISTAKES - EQUIVALENT
    assert not bad, bad
    m = set(mistakes)
    last = FIRST + n - 1
    lo.load(src)
    # data: Age_N with MAX in E1, log_Fare, the dummies, Ones
    if "max_inline" not in m:  # (else the MAX inside each formula, E1 left blank)
        lo.set("data", {"E1": f"=MAX(E{FIRST}:E{last})"})
    age = (lambda r: f"=E{r}/E{r - 3}") if "sliding" in m else (lambda r: f"=E{r}/$E$1")
    if "max_inline" in m:
        age = lambda r: f"=E{r}/MAX($E${FIRST}:$E${last})"  # noqa: E731
    if "mixed_dollars" in m:  # other $ placements that give the same cells
        age = lambda r: f"=E{r}/E$1"  # noqa: E731
    if "sliding_max" in m:  # the MAX range slides as it is filled down
        age = lambda r: f"=E{r}/MAX(E{r}:E{last})"  # noqa: E731
    if "no_norm" in m:  # the age itself, never divided
        age = lambda r: f"=E{r}"  # noqa: E731
    if "typed_number" in m:  # the maximum typed in, not referred to: right today, wrong when the data changes
        age = lambda r: f"=E{r}/80"  # noqa: E731
    log = (lambda r: f"=LN(F{r}+1)") if "LN" in m else (lambda r: f"=LOG10(F{r}+1)")
    p1 = (lambda r: f"=IF(C{r}=1;0;1)") if "if_reversed" in m else (lambda r: f"=IF(C{r}=1;1;0)")
    emb_s = (lambda r: f'=IF(B{r}="Q";1;0)') if "dummy_level" in m else (lambda r: f'=IF(B{r}="S";1;0)')
    lo.fill("data", f"I{FIRST}:P{last}", _cols(
        n, age, log, p1, lambda r: f"=IF(C{r}=2;1;0)", emb_s, lambda r: f'=IF(B{r}="C";1;0)',
        lambda r: f'=IF(D{r}="male";1;0)', lambda r: "1"))
    if "array_blocks" in m:  # one array formula over each dummy's column instead of one formula per cell
        lo.array("data", f"K{FIRST}:K{last}", f"=IF(C{FIRST}:C{last}=1;1;0)")
        lo.array("data", f"O{FIRST}:O{last}", f'=IF(D{FIRST}:D{last}="male";1;0)')
    if "named_params" in m:
        lo.name("Params", "$linear.$F$4:$O$4")
    # linear: SUMPRODUCT of the features' row with the params row, the squared error, the mean
    if "no_ones" in m:
        lin = lambda r: f"=SUMPRODUCT($data.G{r}:O{r};$F$4:$N$4)"  # noqa: E731
    elif "offset_linear" in m:  # the features' row by OFFSET, the params by INDIRECT (Excel's notation)
        lin = lambda r: '=SUMPRODUCT(OFFSET($data.$G$1;ROW()-1;0;1;10);INDIRECT("linear!$F$4:$O$4"))'  # noqa: E731
    elif "named_params" in m:
        lin = lambda r: f"=SUMPRODUCT($data.G{r}:P{r};Params)"  # noqa: E731
    elif "mixed_dollars" in m:
        lin = lambda r: f"=SUMPRODUCT($data.$G{r}:$P{r};F$4:O$4)"  # noqa: E731
    elif "off_by_one" in m:
        lin = lambda r: f"=SUMPRODUCT($data.G{r + 1}:P{r + 1};$F$4:$O$4)"  # noqa: E731
    else:
        lin = lambda r: f"=SUMPRODUCT($data.G{r}:P{r};$F$4:$O$4)"  # noqa: E731
    loss = (lambda r: f"=(A{r}-B{r})^2") if "loss_reversed" in m else (lambda r: f"=(B{r}-A{r})^2")
    lo.fill("linear", f"B{FIRST}:C{last}", _cols(n, lin, loss))
    if "array_blocks" in m:
        lo.array("linear", f"C{FIRST}:C{last}", f"=(B{FIRST}:B{last}-A{FIRST}:A{last})^2")
    total = "=AVERAGE(C:C)" if "whole_column" in m else f"=AVERAGE(C{FIRST}:C{last})"
    lo.set("linear", {"B1": f"=SUM(C{FIRST}:C{last})" if "sum" in m else total})
    # nnet: two SUMPRODUCTs, two ReLUs (MAX, as many students write it), their sum
    relu = (lambda x: lambda r: f"=IF({x}{r}<0;{x}{r};0)") if "relu_reversed" in m else \
        (lambda x: lambda r: f"=IF({x}{r}<0;0;{x}{r})") if "relu_if" in m else (lambda x: lambda r: f"=MAX(0;{x}{r})")
    lo.fill("nnet", f"B{FIRST}:F{last}", _cols(
        n, lambda r: f"=SUMPRODUCT($data.G{r}:P{r};$J$4:$S$4)", lambda r: f"=SUMPRODUCT($data.G{r}:P{r};$J$5:$S$5)",
        relu("B"), relu("C"), lambda r: f"=D{r}+E{r}"))
    if "array_blocks" in m:
        lo.array("nnet", f"D{FIRST}:E{last}", f"=IF(B{FIRST}:C{last}<0;0;B{FIRST}:C{last})")
    # mmult: one array formula over the block (or SUMPRODUCTs, which the task forbids)
    if "no_mmult" in m:
        lo.fill("mmult", f"B{FIRST}:C{last}", _cols(
            n, lambda r: f"=SUMPRODUCT($data.G{r}:P{r};TRANSPOSE($J$4:$J$13))",
            lambda r: f"=SUMPRODUCT($data.G{r}:P{r};TRANSPOSE($K$4:$K$13))"))
    else:
        lo.array("mmult", f"B{FIRST}:C{last}", f"=MMULT($data.G{FIRST}:P{last};J4:K13)")
    for sheet, theta in (params or {}).items():
        if sheet in solve:
            ref = "F4:O4" if sheet == "linear" else "J4:S5"
            width = 10
            rows = [list(theta[i:i + width]) for i in range(0, len(theta), width)]
            lo.paste(sheet, ref, rows)
    lo.calc()
    if "paste_values" in m:  # every formula the student typed replaced by its value (Paste Special > Values)
        for sheet, ref in (("data", f"I{FIRST}:P{last}"), ("linear", f"B{FIRST}:C{last}"),
                           ("nnet", f"B{FIRST}:F{last}"), ("mmult", f"B{FIRST}:C{last}")):
            vals = lo.values(sheet, ref)
            lo.paste(sheet, ref, vals)
    lo.save(dst, "Calc MS Excel 2007 XML" if fmt == "xlsx" else "calc8")
    return dst


def typist(lo, ex, key, folder, do):
    """make(mistakes=(), solve=True): the exercise's students' workbook done in LibreOffice by
    do(lo, src, dst, rows, params, mistakes) (params: the key's solution, or None when Solver is not run), cached."""
    done = {}

    def make(mistakes=(), solve=True):
        k = (tuple(sorted(mistakes)), solve)
        if k not in done:
            params = key.d["solution"]["params"] if solve else None
            done[k] = do(lo, ex.student, folder / f"{'-'.join(k[0]) or 'right'}-{solve}.xlsx", key.rows, params,
                         mistakes)
        return done[k]
    return make


def earned(g) -> dict:
    """{rung: points earned} of a Grade."""
    return {r.name: r.earned for r in g.rungs}
