"""The classroom's commands: `sheetnet exercise` (hand out) and `sheetnet grade` (take in)."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import api


def cmd_exercise(args) -> int:
    res = api.exercise(args.template, args.output, data=args.data, roster=args.roster, steps=args.steps,
                       seed=args.seed, variant=args.model)
    print(f"wrote {res.folder}/: " + "\n  ".join(res.summary()))
    return 0


def cmd_grade(args) -> int:
    cls = api.grade(args.key, args.submissions, args.output, feedback=args.feedback, hints=args.hints,
                    workers=args.workers, timeout=args.timeout, progress=sys.stderr.isatty())
    print("\n".join(cls.summary()))
    print(f"wrote {cls.gradebook}" + (f" and {len(cls.feedback)} feedback files in {args.feedback}" if args.feedback
                                      else ""))
    return 0


def add(sub):
    e = sub.add_parser("exercise", help="hand out a lesson as an exercise: students' workbook(s), solution, key")
    e.add_argument("template", help="a lesson template (titanic) or a .toml path")
    e.add_argument("-o", "--output", default="class", help="the folder to write into (default: class)")
    e.add_argument("--roster", help="a CSV of id,name: one personal workbook per student (own rows and params)")
    e.add_argument("--steps", help="only these rungs (names or step ids, comma-separated; default: the ladder)")
    e.add_argument("--data", help="a CSV of the template's layout (default: the bundled data)")
    e.add_argument("--seed", type=int, default=0, help="seed of the personal rows and starting params (default 0)")
    e.add_argument("--model", help="one of the lesson's variants (gd: line; softmax: two; default: the lesson)")
    e.set_defaults(func=cmd_exercise)
    g = sub.add_parser("grade", help="grade handed-in workbooks (files and folders) against the key")
    g.add_argument("key", help="the key exercise wrote (DIR/LESSON-key.json)")
    g.add_argument("submissions", nargs="+", help="workbooks (.xlsx, .xlsm, .ods) and folders of them")
    g.add_argument("-o", "--output", default="gradebook.csv", help="the gradebook CSV (Canvas and Moodle import it)")
    g.add_argument("--feedback", help="a folder for each student's feedback page and marked workbook")
    g.add_argument("--hints", type=int, default=1, choices=(0, 1, 2), help="0 none, 1 a hint, 2 also how to fix it")
    g.add_argument("--workers", type=int, help="grading processes (default: one a core)")
    g.add_argument("--timeout", type=float, default=60.0, help="seconds a submission may take (default 60)")
    g.set_defaults(func=cmd_grade)


__all__ = ["add", "Path"]
