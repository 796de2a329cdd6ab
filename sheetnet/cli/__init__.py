"""The `sheetnet` command: one subcommand per step of the workflow, a thin layer over sheetnet.api."""

from __future__ import annotations

import argparse
import sys

from ..errors import SheetnetError
from ..limits import DEFAULT_MEMORY_MB, DEFAULT_SECONDS
from . import classroom
from . import commands as C


def _build_parser(sub):
    b = sub.add_parser("build", help="build a lesson workbook (.xlsx): titanic, a template .toml, or gd/relu/digits")
    b.add_argument("template", help="a lesson (sheetnet lessons lists them) or a template .toml path")
    b.add_argument("-o", dest="output", metavar="FILE", help="the .xlsx to write (default: LESSON.xlsx); replaced "
                                                            "atomically")
    b.add_argument("--activation", "--output", dest="output_activation", metavar="{linear,sigmoid}",
                   help="the model's output: linear (titanic) or sigmoid (Preds = 1/(1+EXP(-IF(x<-700,-700,x)))); default: the "
                        "lesson's (--output is the old spelling, still accepted)")
    b.add_argument("--loss", choices=("mse", "mae", "logloss", "mnist"),
                   help="each row's loss: mse (titanic), mae (ABS), logloss (binary cross-entropy), mnist "
                        "(IF(target=1,1-pred,pred)); default: the lesson's")
    b.add_argument("--layers", help="hidden ReLU layers then a linear output, e.g. 5,3 (default: the lesson's net)")
    b.add_argument("--data", help="a CSV of the template's layout (default: the bundled data)")
    b.add_argument("--seed", type=int, default=0, help="seed of the initial params (default 0)")
    b.add_argument("--hidden", type=int, help="ReLUs summed in the lesson's nnet and mmult (default: the lesson's, "
                                              "2 for titanic)")
    b.add_argument("--blanks", choices=("drop", "mode"), help="drop rows with blanks (the lesson) or fill with the mode")
    b.add_argument("--live-rand", action="store_true", help="write =RAND()-0.5 in the param cells")
    for flag, kw in C.LESSON_FLAGS:
        b.add_argument(flag, **kw)
    b.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    b.set_defaults(func=C.cmd_build)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sheetnet", description="Neural nets in the spreadsheet everybody already has: "
                                "build, solve, check, train, compare, and the classroom.")
    p.add_argument("--max-memory", type=float, metavar="MB",
                   help=f"memory one workbook may take to read and evaluate (default {DEFAULT_MEMORY_MB} MB)")
    p.add_argument("--max-seconds", type=float, metavar="S",
                   help=f"time one workbook may take to read and evaluate (default {DEFAULT_SECONDS:g} s)")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="build, solve, check and compare every lesson from the bundled data, and grade "
                                    "a class")
    d.add_argument("-o", "--output", default="sheetnet-demo", metavar="FOLDER",
                   help="the folder to write everything into (default: sheetnet-demo; made if missing)")
    d.add_argument("--seed", type=int, default=0, help="seed of the lessons' starting params (default 0)")
    d.add_argument("--device", help="torch device for check and compare (default: cuda, else mps, else cpu)")
    d.set_defaults(func=C.cmd_demo)

    ls = sub.add_parser("lessons", help="the lessons sheetnet builds, one line each")
    ls.set_defaults(func=C.cmd_lessons)

    _build_parser(sub)

    c = sub.add_parser("calc", help="evaluate every formula of a workbook (.xlsx or .ods), ignoring cached values")
    c.add_argument("workbook", help="the workbook (.xlsx, .xlsm or .ods)")
    c.add_argument("--sheet", help="only this sheet")
    c.add_argument("--cells", help="print these cells (A1 or A1:B9) of the sheet(s)")
    c.add_argument("-o", "--output", help="write a copy with fresh cached values (nothing else changes; .xlsx only)")
    c.add_argument("--seed", type=int, default=0, help="seed for RAND, RANDBETWEEN and RANDARRAY")
    c.set_defaults(func=C.cmd_calc)

    so = sub.add_parser("solve", help="run the Solver model stored in a workbook, write the answer back")
    so.add_argument("workbook", help="the workbook (.xlsx, .xlsm or .ods)")
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
    so.set_defaults(func=C.cmd_solve)

    ch = sub.add_parser("check", help="workbook (engine, LibreOffice) vs numpy vs torch, every model sheet")
    ch.add_argument("workbook", help="the workbook (.xlsx, .xlsm or .ods)")
    ch.add_argument("--device", help="torch device (default: cuda, else mps, else cpu)")
    ch.add_argument("--no-libreoffice", action="store_true", help="skip LibreOffice even when installed")
    ch.set_defaults(func=C.cmd_check)

    tr = sub.add_parser("train", help="train a model sheet with GD/SGD/momentum/Adam in torch, write the params back")
    tr.add_argument("workbook", help="the workbook (.xlsx, .xlsm or .ods)")
    tr.add_argument("--model", help="the model sheet (default: nnet, else the workbook's first model sheet)")
    tr.add_argument("--optimizer", default="sgd", choices=("gd", "sgd", "momentum", "adam"),
                    help="gd (full batch), sgd, momentum (0.9) or adam (default sgd)")
    tr.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    tr.add_argument("--epochs", type=int, default=200, help="passes over the training rows (default 200)")
    tr.add_argument("--batch-size", type=int, help="minibatch rows (default: all rows, full-batch)")
    tr.add_argument("--valid", type=float, help="hold out this fraction (seeded, like the course's 0.2)")
    tr.add_argument("--seed", type=int, default=0, help="seed of the minibatch shuffle and the random starts (default 0)")
    tr.add_argument("--device", help="torch device (default: cuda, else mps, else cpu)")
    tr.add_argument("--multistart", type=int, help="train this many random starts at once (batched), keep the best")
    tr.add_argument("--params-out", help="also write the params to this .json or .csv")
    g = tr.add_mutually_exclusive_group()
    g.add_argument("--in-place", action="store_true", help="replace the workbook itself (atomically)")
    g.add_argument("-o", "--output", help="the workbook to write (default: BOOK.trained.xlsx)")
    tr.set_defaults(func=C.cmd_train)

    cp = sub.add_parser("compare", help="Solver mirror vs GD/SGD/momentum/Adam: table, plot, report, Compare sheet")
    cp.add_argument("workbook", help="the workbook (.xlsx, .xlsm or .ods)")
    cp.add_argument("--model", help="the model sheet (default: nnet, else the workbook's first model sheet)")
    cp.add_argument("--epochs", type=int, default=200, help="epochs of each gradient-descent run (default 200)")
    cp.add_argument("--valid", type=float, default=0.2, help="fraction of rows held out, seeded (default 0.2)")
    cp.add_argument("--seed", type=int, default=0, help="seed of the minibatch shuffles (default 0)")
    cp.add_argument("--device", help="torch device (default: cuda, else mps, else cpu)")
    g = cp.add_mutually_exclusive_group()
    g.add_argument("--in-place", action="store_true", help="add the Compare sheet to the workbook itself")
    g.add_argument("-o", "--output", help="the workbook to write (default: BOOK.compare.xlsx)")
    cp.set_defaults(func=C.cmd_compare)
    classroom.add(sub)
    for add in C.MORE_COMMANDS:
        add(sub)
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    import os
    for flag, var, v in (("--max-memory", "SHEETNET_MAX_MEMORY_MB", args.max_memory),
                         ("--max-seconds", "SHEETNET_MAX_SECONDS", args.max_seconds)):
        if v is not None:
            if not v > 0 or v != v or v == float("inf"):
                print(f"sheetnet: error: {flag} takes a positive number, not {v}", file=sys.stderr)
                return 2
            os.environ[var] = repr(v)
    if getattr(args, "output_activation", None) not in (None, "linear", "sigmoid"):
        if str(args.output_activation).lower().endswith(".xlsx") and not args.output:
            args.output, args.output_activation = args.output_activation, "linear"  # --output FILE, as elsewhere
        else:
            print(f"sheetnet: error: --activation takes linear or sigmoid, not {args.output_activation!r} "
                  f"(the file is -o FILE)", file=sys.stderr)
            return 2
    if args.command == "build" and "--output" in argv:
        print("sheetnet: note: --output is now --activation (the model's output); -o names the file",
              file=sys.stderr)
    try:
        return args.func(args)
    except SheetnetError as e:
        print(f"sheetnet: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (head, less) went away: nothing more to say
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # a path that cannot be written or read: one line naming it
        where = e.filename or ""
        print(f"sheetnet: error: {where}: {e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sheetnet: interrupted", file=sys.stderr)
        return 130
