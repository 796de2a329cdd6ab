"""sheetnet from Python (a notebook): each step of the teacher's workflow is one function.

    import sheetnet as sn
    book = sn.build("titanic", "titanic.xlsx", seed=0)              # the lesson workbook
    done, solved = sn.solve("titanic.xlsx")                          # its Solver models, run by scipy
    checks = sn.check(solved)                                        # workbook vs numpy vs torch
    run = sn.train(solved, model="nnet", optimizer="adam", lr=0.01)
    cmp = sn.compare("titanic.xlsx", model="nnet")
    eng = sn.calc("any.xlsx"); eng.get("Sheet1!B2")

The `sheetnet` command is a thin layer over these.
"""

from __future__ import annotations

from pathlib import Path
from .atomic import check_output



def load_data(template="titanic", data=None, blanks=None, variant=None):
    """A template (bundled name or .toml path) and its data, prepared: (Template, Dataset)."""
    from .lessons.loading import load_data

    return load_data(template, data, blanks, variant)


def build(template="titanic", output=None, *, data=None, seed: int = 0, hidden: int | None = None, layers=None,
          output_activation: str | None = None, loss: str | None = None, blanks=None, live_rand=False,
          progress=None, variant: str | None = None, optimizer=None, steps: int | None = None,
          lr: float | None = None):
    """Build a lesson workbook; returns the BuildResult (its models, params, values, notes).

    template: a bundled lesson (titanic, gd, relu, digits: see `lessons()`) or a .toml of your own.
    hidden, output_activation, loss: the model sheets (None: the template's choice).
    variant: one of the template's [variants] (gd's "line"); optimizer, steps, lr: its training sheets."""
    from .lessons.workbook import build_workbook

    t, ds = load_data(template, data, blanks, variant)
    out = Path(output or f"{t.name}{'-' + t.variant if t.variant else ''}.xlsx")
    check_output(out, inputs=[data])
    return build_workbook(out, ds, seed=seed, hidden=hidden, layers=layers, output=output_activation, loss=loss,
                          live_rand=live_rand, progress=progress, optimizer=optimizer, steps=steps, lr=lr)


def lessons() -> list:
    """Every lesson sheetnet builds: (name, one line)."""
    from .lessons import registry

    return registry.listing()


def calc(path, seed: int = 0):
    """Any workbook evaluated from its inputs by sheetnet's engine (cached values ignored)."""
    from .engine import Engine

    return Engine.load(path, seed=seed)


def solve(path, **kw):
    """Run the workbook's Solver models; see sheetnet.solver.solve.solve_workbook."""
    from .solver.solve import solve_workbook

    return solve_workbook(path, **kw)


def check(path, device=None, use_libreoffice=None):
    """Workbook (engine, LibreOffice) vs numpy vs torch: every model sheet (SheetCheck), then every unrolled
    training sheet against torch.optim, row for row (TrainingCheck)."""
    from .crosscheck.check import check_workbook
    from .crosscheck.check_training import check_training

    return (check_workbook(path, device=device, use_libreoffice=use_libreoffice)
            + check_training(path, device=device, use_libreoffice=use_libreoffice))


def train(path, model: str = "nnet", **kw):
    """Train a model sheet's params in torch from the workbook's; see sheetnet.training.train.train."""
    from .engine import Engine
    from .model import stored
    from .training.train import train as _train

    eng = Engine.load(path)
    ls = stored.require(eng, model)
    return _train(ls.model, ls.X, ls.y, ls.params(eng), **kw)


def compare(path, model: str = "nnet", **kw):
    """Solver mirror vs GD/SGD/momentum/Adam on one model sheet; see sheetnet.training.compare."""
    from .training.compare import compare as _compare

    return _compare(path, sheet=model, **kw)


def exercise(template="titanic", out_dir="class", **kw):
    """The students' workbook (or one per student of a roster), the solution and the teacher's key;
    see sheetnet.classroom.exercise.make_exercise."""
    from .classroom.exercise import make_exercise

    return make_exercise(template, out_dir, **kw)


def grade(key, submissions, gradebook, **kw):
    """Grade files and folders against a key: a ClassResult (gradebook, summary, feedback); see
    sheetnet.classroom.batch.grade_class."""
    from .classroom.batch import grade_class

    if isinstance(submissions, (str, Path)):
        submissions = [submissions]
    return grade_class(key, submissions, gradebook, **kw)
