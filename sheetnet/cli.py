"""The `sheetnet` command: build (and, as they land, calc/solve/check/train/compare) from a shell."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import SheetnetError


def _progress(label: str, total_hint: int):
    """A progress bar on stderr for long builds (quiet for small ones and when not a terminal)."""
    if total_hint < 50_000 or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(total=total_hint, desc=label, unit="row", unit_scale=True, leave=False)

    def update(done, total):
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def cmd_build(args) -> int:
    from .build import build_workbook
    from .data import prepare
    from .template import load_template

    template = load_template(args.template).with_blanks(args.blanks)
    data = prepare(template, args.data)
    out = Path(args.output or f"{template.name}.xlsx")
    res = build_workbook(out, data, seed=args.seed, hidden=args.hidden, live_rand=args.live_rand,
                         progress=_progress("building", data.n * 4))
    if not args.quiet:
        print(f"wrote {out}: sheets About, data, {', '.join(m.name for m in res.models)}; "
              f"{res.rows} rows (of {res.rows_read} in {Path(data.source).name})")
        for line in res.summary():
            print("  " + line)
    return 0


def cmd_demo(args) -> int:
    from .build import build_workbook
    from .data import prepare
    from .template import load_template

    template = load_template("titanic")
    data = prepare(template)
    out = Path(args.output)
    res = build_workbook(out, data, seed=args.seed)
    print(f"sheetnet demo: the fast.ai lesson 3 Titanic workbook, built from {Path(data.source).name}\n")
    print(f"  wrote {out.resolve()}")
    print(f"  {res.rows} passengers kept of {res.rows_read} (blank Age or Embarked dropped), "
          f"{len(template.features)} features, seed {args.seed}\n")
    print("  starting point (seeded params, uniform in [-0.5, 0.5)):")
    for line in res.summary():
        print("    " + line)
    print(f"\n  best possible linear Loss on these rows (least squares): {res.best_linear_loss:.6f}")
    print("\n  Open it in Excel, LibreOffice or Google Sheets: every cell is a live formula. Change a yellow")
    print("  Params cell and watch Preds and Loss move; in Excel, Data > Solver > Solve minimises Loss.")
    return 0


def _show(v) -> str:
    from .engine import ErrorCode

    if isinstance(v, ErrorCode):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if v is None:
        return ""
    return str(v) if not isinstance(v, str) else v


def cmd_calc(args) -> int:
    import time

    from .engine import Engine, ErrorCode
    from .engine.evaluate import a1

    t0 = time.perf_counter()
    eng = Engine.load(args.workbook, seed=args.seed)
    secs = time.perf_counter() - t0
    sheets = [args.sheet] if args.sheet else eng.sheets
    for s in sheets:
        if s not in eng.index:
            raise SheetnetError(f"{args.workbook}: no sheet named {s!r} (sheets: {', '.join(eng.sheets)})")
    cells = eng.formula_cells()
    if args.cells:
        for s in sheets:
            rows = eng.get(args.cells if ":" in args.cells else f"{args.cells}:{args.cells}", sheet=s)
            if len(sheets) > 1:
                print(f"[{s}]")
            for row in rows:
                print("\t".join(_show(v) for v in row))
    else:
        print(f"{args.workbook}: {len(cells)} formula cells in {len(eng.groups)} groups, evaluated in {secs:.3f} s")
        for s in sheets:
            mine = sorted((r, c) for (sh, r, c) in cells if sh == s)
            if not mine:
                continue
            errors = [(r, c) for r, c in mine if isinstance(eng.get(a1(r, c), sheet=s), ErrorCode)]
            top = [(r, c) for r, c in mine if r == mine[0][0]][:8]
            shown = "  ".join(f"{a1(r, c)}={_show(eng.get(a1(r, c), sheet=s))}" for r, c in top)
            print(f"  {s}: {len(mine)} formulas; {shown}")
            for r, c in errors[:10]:
                print(f"    {s}!{a1(r, c)}: {eng.get(a1(r, c), sheet=s)}")
            if len(errors) > 10:
                print(f"    ... {len(errors) - 10} more error cells")
    if args.output:
        from .writeback import write_values

        updates: dict = {}
        for (s, r, c), gid in cells.items():
            updates.setdefault(s, {})[(r, c)] = eng.get(a1(r, c), sheet=s)
        write_values(args.workbook, args.output, updates)
        print(f"wrote {args.output} with fresh cached values")
    return 0


def cmd_solve(args) -> int:
    from .solve import solve_workbook

    bounds = None
    if args.bounds:
        try:
            lo, hi = (float(v) for v in args.bounds.split(","))
        except ValueError:
            raise SheetnetError(f"--bounds takes LO,HI (two numbers), not {args.bounds!r}") from None
        bounds = (lo, hi)
    done, out = solve_workbook(args.workbook, sheets=[args.sheet] if args.sheet else None, method=args.method,
                               multistart=args.multistart, seed=args.seed, max_iter=args.max_iter,
                               max_time=args.max_time, bounds=bounds, output=args.output, in_place=args.in_place)
    for d in done:
        print("\n".join(d.report()))
    print(f"wrote {out}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="sheetnet", description="The fast.ai Titanic lesson as live spreadsheets.")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build a lesson workbook (.xlsx) from a template and its data")
    b.add_argument("template", help="bundled template name (titanic) or a .toml path")
    b.add_argument("-o", "--output", help="the .xlsx to write (default: TEMPLATE.xlsx); replaced atomically")
    b.add_argument("--data", help="a CSV of the template's layout (default: the bundled data)")
    b.add_argument("--seed", type=int, default=0, help="seed of the initial params (default 0)")
    b.add_argument("--hidden", type=int, default=2, help="ReLUs in the nnet and mmult models (default 2)")
    b.add_argument("--blanks", choices=("drop", "mode"), help="drop rows with blanks (the lesson) or fill with the mode")
    b.add_argument("--live-rand", action="store_true", help="write =RAND()-0.5 in the param cells")
    b.add_argument("-q", "--quiet", action="store_true")
    b.set_defaults(func=cmd_build)

    d = sub.add_parser("demo", help="build the lesson workbook from the bundled data and show what to look for")
    d.add_argument("-o", "--output", default="titanic.xlsx")
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(func=cmd_demo)

    c = sub.add_parser("calc", help="evaluate every formula of a workbook (any .xlsx), ignoring cached values")
    c.add_argument("workbook")
    c.add_argument("--sheet", help="only this sheet")
    c.add_argument("--cells", help="print these cells (A1 or A1:B9) of the sheet(s)")
    c.add_argument("-o", "--output", help="write a copy with fresh cached values (nothing else changes)")
    c.add_argument("--seed", type=int, default=0, help="seed for RAND and RANDBETWEEN")
    c.set_defaults(func=cmd_calc)

    so = sub.add_parser("solve", help="run the Solver model stored in a workbook, write the answer back")
    so.add_argument("workbook")
    so.add_argument("--sheet", help="only this sheet (default: every sheet with a Solver model)")
    so.add_argument("--method", help="grg, simplex, evolutionary, or a scipy.optimize.minimize method (BFGS, ...); "
                                     "default: the engine stored in the workbook")
    so.add_argument("--multistart", type=int, help="this many extra random starts (seeded); keep the best")
    so.add_argument("--seed", type=int, help="seed for multistart and Evolutionary (default: the stored one)")
    so.add_argument("--max-iter", type=int, help="iteration limit (default: the stored one)")
    so.add_argument("--max-time", type=float, help="time limit in seconds (default: the stored one)")
    so.add_argument("--bounds", help="LO,HI bounds for every variable (needed by evolutionary without constraints)")
    g = so.add_mutually_exclusive_group()
    g.add_argument("--in-place", action="store_true", help="replace the workbook itself (atomically)")
    g.add_argument("-o", "--output", help="write here (default: BOOK.solved.xlsx)")
    so.set_defaults(func=cmd_solve)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except SheetnetError as e:
        print(f"sheetnet: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sheetnet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
