"""The `sheetnet` command: demo, build, calc, solve, check, train and compare from a shell."""

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
    import time

    from .build import build_workbook
    from .check import check_workbook
    from .compare import compare, write_outputs
    from .data import prepare
    from .solve import solve_workbook
    from .template import load_template

    t0 = time.perf_counter()
    template = load_template("titanic")
    data = prepare(template)
    out = Path(args.output)
    res = build_workbook(out, data, seed=args.seed)
    print(f"sheetnet demo: the fast.ai lesson 3 Titanic workbook, built from {Path(data.source).name}\n")
    print(f"1. build   wrote {out}")
    print(f"           {res.rows} passengers kept of {res.rows_read} (blank Age or Embarked dropped), "
          f"{len(template.features)} features, seed {args.seed}; starting point:")
    for line in res.summary():
        print("             " + line)
    done, solved = solve_workbook(out)
    print(f"\n2. solve   wrote {solved} (Excel's Solver model, run by scipy with exact gradients)")
    for d in done:
        r = d.result
        print(f"             {d.sheet:<7} Loss {r.before:.6f} -> {r.fun:.6f} in {r.seconds * 1e3:.0f} ms ({r.nit} iterations)")
    print(f"             least-squares optimum for linear: {res.best_linear_loss:.6f}")
    checks = check_workbook(solved, device=args.device)
    worst = max(max(v for _, d in c.rows for v in d.values()) for c in checks)
    grad = max(c.grad_rel for c in checks)
    with_lo = any("LibreOffice-numpy" in d for c in checks for _, d in c.rows)
    engines = "workbook (sheetnet's engine" + (" and LibreOffice)" if with_lo else ")")
    print(f"\n3. check   {solved}: {engines} vs numpy vs torch ({checks[0].device}): "
          f"{'all agree' if all(c.ok for c in checks) else 'DIFFERENCES'}")
    print(f"             largest difference in any cell {worst:.1e}; autograd vs finite differences {grad:.1e} relative")
    cmp = compare(out, sheet="nnet", epochs=200, device=args.device)
    book, md, page, png = write_outputs(cmp, out, out.with_name(f"{out.stem}.compare.xlsx"))
    print(f"\n4. compare Solver mirror vs GD/SGD/momentum/Adam on nnet ({cmp.rows_train} training, "
          f"{cmp.rows_valid} validation rows):")
    for r in cmp.runs:
        print(f"             {r.label:<26} train {r.train_loss:.6f}  valid {r.valid_loss:.6f}  "
              f"accuracy {r.valid_accuracy:.3f}  {r.seconds:.2f} s")
    print(f"           wrote {book.name} (Compare sheet with a chart), {md.name}, {page.name}, {png.name}")
    print(f"\nDone in {time.perf_counter() - t0:.0f} s. Open {out} in Excel, LibreOffice or Google Sheets: every cell "
          f"is a live formula.\nChange a yellow Params cell and watch Preds and Loss move; in Excel, Data > Solver > Solve.")
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


def cmd_check(args) -> int:
    from .check import check_workbook

    results = check_workbook(args.workbook, device=args.device, use_libreoffice=False if args.no_libreoffice else None)
    for r in results:
        print("\n".join(r.table()))
    bad = [r.sheet for r in results if not r.ok]
    if bad:
        print(f"DIFFERENT beyond tolerance: {', '.join(bad)}")
        return 1
    print(f"all {len(results)} models agree (values within 1e-9, gradients within 1e-6 relative)")
    return 0


def _write_trained(args, eng, ls, W, label):
    """Trained params into the workbook (lossless) and/or a JSON/CSV file."""
    import json

    import numpy as np

    from .solve import output_path, write_params

    x = ls.from_W(W)
    if args.params_out:
        p = Path(args.params_out)
        from .engine.evaluate import a1

        names = [f"{ls.sheet}!{a1(r, c)}" for _, r, c in ls.cells]
        from .atomic import atomic_path

        with atomic_path(p) as tmp:
            if p.suffix.lower() == ".csv":
                tmp.write_text("cell,value\n" + "".join(f"{n},{v!r}\n" for n, v in zip(names, x.tolist())))
            else:
                tmp.write_text(json.dumps({"sheet": ls.sheet, "model": ls.model.kind, "how": label,
                                           "params": dict(zip(names, x.tolist())),
                                           "W": np.asarray(W).tolist()}, indent=1) + "\n")
        print(f"wrote {p}")
    if args.params_out and not (args.output or args.in_place):
        return
    s = eng.index[ls.sheet]
    eng.set_many(s, np.array([r for _, r, _ in ls.cells]), np.array([c for _, _, c in ls.cells]), x)
    out = output_path(Path(args.workbook), args.in_place, args.output) if (args.output or args.in_place) else \
        Path(args.workbook).with_name(f"{Path(args.workbook).stem}.trained.xlsx")
    write_params(args.workbook, out, eng, ls.cells, x)
    print(f"wrote {out} ({ls.sheet}!B1 = {eng.grids[s].value(0, 1):.6f})")


def cmd_train(args) -> int:
    from . import lesson_sheet
    from .engine import Engine
    from .train import multistart, train

    eng = Engine.load(args.workbook)
    if args.model not in eng.index:
        raise SheetnetError(f"{args.workbook}: no sheet named {args.model!r}")
    ls = lesson_sheet.require(eng, args.model)
    m = ls.model
    if args.multistart:
        res = multistart(m, ls.X, ls.y, starts=args.multistart, seed=args.seed, optimizer=args.optimizer,
                         lr=args.lr, epochs=args.epochs, device=args.device)
        print(f"{ls.sheet}: batched multistart ({args.optimizer}, lr {args.lr:g}, {args.epochs} full-batch epochs): "
              f"{res.summary()}")
        _write_trained(args, eng, ls, res.W[res.best], f"multistart best of {args.multistart}")
        return 0
    W0 = ls.params(eng)
    res = train(m, ls.X, ls.y, W0, optimizer=args.optimizer, lr=args.lr, epochs=args.epochs,
                batch_size=args.batch_size, valid=args.valid, seed=args.seed, device=args.device,
                progress=sys.stderr.isatty())
    first, last = res.history[0], res.final
    print(f"{ls.sheet}: {args.optimizer}, lr {args.lr:g}, batch {res.batch_size}, on {res.device}: "
          f"{res.epochs} epochs, {res.steps} steps, {res.seconds:.2f} s")
    line = f"  train loss {first['train_loss']:.6f} -> {last['train_loss']:.6f}, accuracy {last['train_accuracy']:.4f}"
    if "valid_loss" in last:
        line += f"; valid loss {last['valid_loss']:.6f}, accuracy {last['valid_accuracy']:.4f}"
    print(line)
    if res.diverged:
        print(f"  DIVERGED: {res.message}; nothing written")
        return 1
    _write_trained(args, eng, ls, res.W, f"{args.optimizer} lr {args.lr:g}")
    return 0


def cmd_compare(args) -> int:
    from .compare import compare, table_rows, write_outputs

    src = Path(args.workbook)
    cmp = compare(src, sheet=args.model, epochs=args.epochs, valid=args.valid, seed=args.seed, device=args.device,
                  progress=sys.stderr.isatty())
    out = Path(args.output) if args.output else (src if args.in_place else src.with_name(f"{src.stem}.compare.xlsx"))
    out, md, page, png = write_outputs(cmp, src, out)
    print(f"{cmp.sheet}: {cmp.rows_train} training rows, {cmp.rows_valid} validation rows, torch on {cmp.device}")
    print(f"  {'method':<26}{'train loss':>11}{'valid loss':>11}{'valid acc':>10}{'time s':>9}{'grad evals':>11}"
          f"   to Solver's loss+1e-4")
    for r in table_rows(cmp):
        print(f"  {r[0]:<26}{r[1]:>11.6f}{r[2]:>11.6f}{r[3]:>10.4f}{r[4]:>9.3f}{r[5]:>11.0f}   {r[6]}")
    print(f"wrote {out} (sheet Compare, with a chart), {md}, {page}, {png}")
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
    d.add_argument("--device", help="torch device for check and compare (default: cuda, else mps, else cpu)")
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

    ch = sub.add_parser("check", help="workbook (engine, LibreOffice) vs numpy vs torch, every lesson model")
    ch.add_argument("workbook")
    ch.add_argument("--device", help="torch device (default: cuda, else mps, else cpu)")
    ch.add_argument("--no-libreoffice", action="store_true", help="skip LibreOffice even when installed")
    ch.set_defaults(func=cmd_check)

    tr = sub.add_parser("train", help="train a lesson model with GD/SGD/momentum/Adam in torch, write the params back")
    tr.add_argument("workbook")
    tr.add_argument("--model", default="nnet", help="the model sheet (linear, nnet, mmult; default nnet)")
    tr.add_argument("--optimizer", default="sgd", choices=("gd", "sgd", "momentum", "adam"))
    tr.add_argument("--lr", type=float, default=0.05)
    tr.add_argument("--epochs", type=int, default=200)
    tr.add_argument("--batch-size", type=int, help="minibatch rows (default: all rows, full-batch)")
    tr.add_argument("--valid", type=float, help="hold out this fraction (seeded, like the course's 0.2)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--device", help="torch device (default: cuda, else mps, else cpu)")
    tr.add_argument("--multistart", type=int, help="train this many random starts at once (batched), keep the best")
    tr.add_argument("--params-out", help="also write the params to this .json or .csv")
    g = tr.add_mutually_exclusive_group()
    g.add_argument("--in-place", action="store_true")
    g.add_argument("-o", "--output", help="the workbook to write (default: BOOK.trained.xlsx)")
    tr.set_defaults(func=cmd_train)

    cp = sub.add_parser("compare", help="Solver mirror vs GD/SGD/momentum/Adam: table, plot, report, Compare sheet")
    cp.add_argument("workbook")
    cp.add_argument("--model", default="nnet", help="the model sheet (default nnet)")
    cp.add_argument("--epochs", type=int, default=200)
    cp.add_argument("--valid", type=float, default=0.2)
    cp.add_argument("--seed", type=int, default=0)
    cp.add_argument("--device")
    g = cp.add_mutually_exclusive_group()
    g.add_argument("--in-place", action="store_true")
    g.add_argument("-o", "--output", help="the workbook to write (default: BOOK.compare.xlsx)")
    cp.set_defaults(func=cmd_compare)

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
