"""What each `sheetnet` command prints: a thin layer over sheetnet.api."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import api
from ..atomic import check_output, check_writable
from ..errors import SheetnetError


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
    layers = _layers(args.layers)
    for flag, v in (("--relus", args.relus), ("--hidden", args.hidden), ("--steps", args.steps)):
        if v is not None and v < 1:
            raise SheetnetError(f"{flag} must be at least 1, not {v}")
    if args.lr is not None and not args.lr > 0:
        raise SheetnetError(f"--lr must be a positive number, not {args.lr}")
    if args.output:
        check_output(args.output, inputs=[args.data], in_place=False)
    hidden = args.relus if args.relus is not None else args.hidden
    res = api.build(args.template, args.output, data=args.data, seed=args.seed, hidden=hidden, layers=layers,
                    output_activation=args.output_activation, loss=args.loss, blanks=args.blanks,
                    live_rand=args.live_rand, progress=_progress("building", 60_000), variant=args.model,
                    optimizer=args.optimizer, steps=args.steps, lr=args.lr)
    for note in getattr(res, "notes", []):
        print(note, file=sys.stderr)
    if not args.quiet:
        print(f"wrote {res.path}: sheets {', '.join(res.sheets)}; {res.rows} rows (of {res.rows_read} read)")
        for line in res.summary():
            print("  " + line)
    return 0


def _layers(text):
    if not text:
        return None
    try:
        return [int(v) for v in str(text).split(",")]
    except ValueError:
        raise SheetnetError(f"--layers takes sizes separated by commas (5,3), not {text!r}") from None


def cmd_demo(args) -> int:
    import time

    from ..crosscheck.check import check_workbook
    from ..lessons.workbook import build_workbook
    from ..solver.solve import solve_workbook
    from ..training.compare import compare, write_outputs

    t0 = time.perf_counter()
    template, data = api.load_data("titanic")
    where = Path(args.output)
    if where.suffix.lower() == ".xlsx":  # the old -o titanic.xlsx: everything beside it
        out = where
    else:
        where.mkdir(parents=True, exist_ok=True)
        out = where / "titanic.xlsx"
    check_writable(out)
    res = build_workbook(out, data, seed=args.seed)
    print(f"sheetnet demo: the fast.ai lesson 3 Titanic workbook, built from {Path(data.source).name}\n")
    print(f"1. build   wrote {out}")
    print(f"           {res.rows} passengers kept of {res.rows_read} (blank Age or Embarked dropped), "
          f"{len(template.features)} features, seed {args.seed}; starting point:")
    for line in res.summary():
        print("             " + line)
    done, solved = solve_workbook(out)
    print(f"\n2. solve   wrote {solved} (Excel's Solver model: BFGS with exact gradients)")
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
    print("\n5. lessons the other lessons, each a live workbook beside it:")
    gd = api.build("gd", out.with_name("gd.xlsx"), seed=args.seed)
    nb = gd.training.values["notebook"]["losses"][:10]
    print(f"           gd.xlsx      {len(gd.training.sheets)} optimizer sheets, one row a step; the notebook's "
          f"ten losses: {' '.join(f'{v:.6f}' for v in nb[:3])} ... {nb[-1]:.6f}")
    relu_path = out.with_name("relu.xlsx")
    relu = api.build("relu", relu_path, seed=args.seed)
    done, _ = api.solve(relu_path, multistart=20, seed=0, in_place=True)
    print(f"           relu.xlsx    {relu.models[0].params[0].units} ReLUs weighted and summed; Solver (20 starts): "
          f"Loss {done[0].result.before:.6f} -> {done[0].result.fun:.6f}")
    dg = api.build("digits", out.with_name("digits.xlsx"), seed=args.seed)
    b = dg.baseline
    print(f"           digits.xlsx  3 or 7, accuracy on {len(b.va)} valid / {len(b.tr)} train images: L1 "
          f"{b.accuracy(b.pred_l1):.4f} / {b.accuracy(b.pred_l1, split='train'):.4f}, linear (torch SGD) "
          f"{b.accuracy(b.pred_linear):.4f} / {b.accuracy(b.pred_linear, split='train'):.4f}")
    sm_path = out.with_name("softmax.xlsx")
    sm = api.build("softmax", sm_path, seed=args.seed)
    done, _ = api.solve(sm_path, in_place=True)
    v = sm.values["softmax"]
    print(f"           softmax.xlsx 3, 7 or 8: EXP, Softmax, -LN of the true class; Solver: Loss {v['loss']:.6f} -> "
          f"{done[0].result.fun:.3g}, accuracy {v['accuracy']:.4f} -> {_accuracy_after(sm_path):.4f}")
    cf_path = out.with_name("collab.xlsx")
    cf = api.build("collab", cf_path, seed=args.seed)
    done, _ = api.solve(cf_path, max_iter=100, in_place=True)  # Excel's Solver's own limit of 100 iterations
    print(f"           collab.xlsx  {cf.rows} ratings of 15 users x 15 movies, 5 factors each; Solver (100 "
          f"iterations): RMSE " + ", ".join(f"{d.sheet} {d.result.before:.6f} -> {d.result.fun:.6f}" for d in done))
    cv = api.build("conv", out.with_name("conv.xlsx"), seed=args.seed)
    v = cv.values["conv"]
    print(f"           conv.xlsx    two layers of 3x3 filters, 2x2 max-pooling, softmax (trained at build by torch "
          f"Adam): Loss {v['loss']:.6f}, accuracy {v['accuracy']:.4f}")
    folder = out.with_name("class")
    ex = api.exercise("titanic", folder, seed=args.seed)
    cls = api.grade(ex.key, [ex.solution, ex.student], folder / "gradebook.csv")
    print(f"\n6. class   wrote {folder.name}/: {ex.student.name} ({len(ex.rungs)} tasks, "
          f"{sum(r.points for r in ex.rungs):g} points), {ex.solution.name}, {ex.key.name}")
    print(f"           graded the solution {cls.grades[0].total:g}/{cls.grades[0].possible:g} and the untouched "
          f"students' workbook {cls.grades[1].total:g}/{cls.grades[1].possible:g}: {folder.name}/gradebook.csv")
    print(f"\nDone in {time.perf_counter() - t0:.0f} s. Open {out} in Excel, LibreOffice or Google Sheets: every cell "
          f"is a live formula.\nChange a yellow Params cell and watch Preds and Loss move; in Excel, Data > Solver > Solve.")
    return 0


def _accuracy_after(path) -> float:
    """A solved lesson workbook's Accuracy (D1 of its first model sheet), as sheetnet's engine computes it."""
    from ..engine import Engine
    from ..model import stored

    eng = Engine.load(path)
    return float(eng.get(f"{stored.default_sheet(eng)}!D1"))


def _loss_text(v: float) -> str:
    """A loss in a table column of 10: six decimals, or four significant digits when that does not fit."""
    return f" {v:.6f}" if abs(v) < 1000 else f" {v:.4g}"


def _show(v) -> str:
    from ..engine import ErrorCode

    if isinstance(v, ErrorCode):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if v is None:
        return ""
    return str(v) if not isinstance(v, str) else v


def cmd_calc(args) -> int:
    import time

    from ..engine import ErrorCode
    from ..engine.evaluate import a1

    if args.cells:
        from ..engine.package import parse_range
        try:
            r0, c0, r1, c1 = parse_range(args.cells.replace("$", "").upper())
        except ValueError:
            r0 = None
        if r0 is None or min(r0, c0) < 0 or r1 < r0 or c1 < c0:
            raise SheetnetError(f"--cells takes a cell or a range such as A1 or A1:G9, not {args.cells!r}")
    if args.output:
        check_output(args.output, inputs=[args.workbook], in_place=False)
    t0 = time.perf_counter()
    eng = api.calc(args.workbook, seed=args.seed)
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
        if eng.clock_used:
            print(f"  TODAY() and NOW() read this machine's clock: {eng.now:%Y-%m-%d %H:%M:%S}")
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
        from ..solver.writeback import write_values

        if eng.book.kind != "xlsx":
            raise SheetnetError(f"{args.workbook}: -o writes .xlsx workbooks only (this one is .{eng.book.kind})")
        updates: dict = {}
        for (s, r, c), gid in cells.items():
            updates.setdefault(s, {})[(r, c)] = eng.get(a1(r, c), sheet=s)
        write_values(args.workbook, args.output, updates)
        print(f"wrote {args.output} with fresh cached values")
    return 0


def cmd_solve(args) -> int:
    bounds = None
    if args.bounds:
        try:
            lo, hi = (float(v) for v in args.bounds.split(","))
        except ValueError:
            raise SheetnetError(f"--bounds takes LO,HI (two numbers), not {args.bounds!r}") from None
        bounds = (lo, hi)
    if args.output:
        check_output(args.output, inputs=[args.workbook])
    done, out = api.solve(args.workbook, sheets=[args.sheet] if args.sheet else None, method=args.method,
                               multistart=args.multistart, seed=args.seed, max_iter=args.max_iter,
                               max_time=args.max_time, bounds=bounds, output=args.output, in_place=args.in_place)
    for d in done:
        print("\n".join(d.report()))
    print(f"wrote {out}")
    return 0


def cmd_check(args) -> int:
    results = api.check(args.workbook, device=args.device, use_libreoffice=False if args.no_libreoffice else None)
    for r in results:
        print("\n".join(r.table()))
    bad = [r.sheet for r in results if not r.ok]
    if bad:
        print(f"DIFFERENT beyond tolerance: {', '.join(bad)}")
        return 1
    n_train = sum(1 for r in results if hasattr(r, "optimizer"))
    print(f"all {len(results) - n_train} models agree (values within 1e-9, gradients within 1e-6 relative)"
          + (f"; all {n_train} training sheets follow torch.optim (params within 1e-12 relative, every row)"
             if n_train else ""))
    return 0


def _write_trained(args, eng, ls, W, label):
    """Trained params into the workbook (lossless) and/or a JSON/CSV file."""
    import json

    import numpy as np

    from ..solver.solve import output_path, write_params

    x = ls.from_theta(W)
    if args.params_out:
        p = Path(args.params_out)
        from ..engine.evaluate import a1

        names = [f"{ls.sheet}!{a1(r, c)}" for _, r, c in ls.cells]
        from ..atomic import atomic_path

        with atomic_path(p) as tmp:
            if p.suffix.lower() == ".csv":
                tmp.write_text("cell,value\n" + "".join(f"{n},{v!r}\n" for n, v in zip(names, x.tolist())))
            else:
                tmp.write_text(json.dumps({"sheet": ls.sheet, "model": ls.model.name, "how": label,
                                           "params": dict(zip(names, x.tolist())),
                                           "theta": np.asarray(W).tolist()}, indent=1) + "\n")
        print(f"wrote {p}")
    if args.params_out and not (args.output or args.in_place):
        return
    s = eng.index[ls.sheet]
    eng.set_many(s, np.array([r for _, r, _ in ls.cells]), np.array([c for _, _, c in ls.cells]), x)
    out = output_path(Path(args.workbook), args.in_place, args.output) if (args.output or args.in_place) else \
        Path(args.workbook).with_name(f"{Path(args.workbook).stem}.trained.xlsx")
    write_params(args.workbook, out, eng, ls.cells, x)
    r, c = ls.layout.loss_cell
    print(f"wrote {out} ({ls.sheet} Loss = {eng.grids[s].value(r, c):.6f})")


def cmd_train(args) -> int:
    from ..engine import Engine
    from ..model import stored
    from ..training.train import multistart, train

    if args.output:
        check_output(args.output, inputs=[args.workbook])
    if args.params_out:
        check_output(args.params_out, inputs=[args.workbook], suffixes=(".json", ".csv"), flag="--params-out")
    eng = Engine.load(args.workbook)
    if args.model is None:
        try:
            args.model = stored.default_sheet(eng)
        except SheetnetError as e:
            raise SheetnetError(f"{args.workbook}: {e}") from None
    if args.model not in eng.index:
        raise SheetnetError(f"{args.workbook}: no sheet named {args.model!r}")
    try:
        ls = stored.require(eng, args.model)
    except SheetnetError as e:
        raise SheetnetError(f"{args.workbook}: {e}") from None
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
    line = f"  train loss {first['train_loss']:.6f} -> {last['train_loss']:.6f}" + _acc(last, "train")
    if "valid_loss" in last:
        line += f"; valid loss {last['valid_loss']:.6f}" + _acc(last, "valid")
    print(line)
    if res.diverged:
        print(f"  DIVERGED: {res.message}; nothing written")
        return 1
    _write_trained(args, eng, ls, res.W, f"{args.optimizer} lr {args.lr:g}")
    return 0


def _acc(rec, part) -> str:
    v = rec.get(f"{part}_accuracy")
    return "" if v is None or v != v else f", accuracy {v:.4f}"


def cmd_compare(args) -> int:
    from ..training.compare import compare, table_rows, write_outputs

    src = Path(args.workbook)
    out = Path(args.output) if args.output else (src if args.in_place else src.with_name(f"{src.stem}.compare.xlsx"))
    if args.output:
        check_output(out, inputs=[src])
    else:
        check_writable(out)
    cmp = compare(src, sheet=args.model, epochs=args.epochs, valid=args.valid, seed=args.seed, device=args.device,
                  progress=sys.stderr.isatty())
    out, md, page, png = write_outputs(cmp, src, out)
    print(f"{cmp.sheet}: {cmp.rows_train} training rows, {cmp.rows_valid} validation rows, torch on {cmp.device}")
    print(f"  {'method':<26}{'train loss':>11}{'valid loss':>11}{'valid acc':>10}{'time s':>9}{'grad evals':>11}"
          f"   to Solver's loss+1e-4")
    for r in table_rows(cmp):
        acc = "-" if r[3] != r[3] else f"{r[3]:.4f}"  # no accuracy for a number target
        print(f"  {r[0]:<26}{_loss_text(r[1]):>11}{_loss_text(r[2]):>11}{acc:>10}{r[4]:>9.3f}{r[5]:>11.0f}   {r[6]}")
    print(f"wrote {out} (sheet Compare, with a chart), {md}, {page}, {png}")
    return 0


def cmd_lessons(args) -> int:
    for name, line in api.lessons():
        print(f"{name:<10} {line}")
    return 0


# The lessons' own options on `sheetnet build`
LESSON_FLAGS: list = [
    ("--model", dict(metavar="VARIANT", help="a variant of the lesson (gd: line, the 2018 lesson's line)")),
    ("--optimizer", dict(help="gd: only these optimizer sheets (comma-separated: notebook, gd, sgd, momentum, "
                              "rmsprop, adam; default all)")),
    ("--steps", dict(type=int, help="gd: training steps, one row each (default: the lesson's)")),
    ("--lr", dict(type=float, help="gd: the learning rate of every optimizer sheet (default: the lesson's)")),
    ("--relus", dict(type=int, help="relu: ReLUs summed (the same as --hidden)")),
]
# Further subcommands (the classroom's exercise and grade): functions add(subparsers).
MORE_COMMANDS: list = []
