"""sheetnet: neural nets in the spreadsheet everybody already has, checked by numpy and torch.

    import sheetnet as sn
    sn.build("titanic", "titanic.xlsx"); sn.solve("titanic.xlsx"); sn.check("titanic.solved.xlsx")

See sheetnet.api for every function (build, lessons, calc, solve, check, train, compare, exercise, grade).
"""

from .errors import SheetnetError

__version__ = "0.2.0"
__all__ = ["SheetnetError", "__version__", "build", "lessons", "calc", "solve", "check", "train", "compare",
           "exercise", "grade"]


def __getattr__(name):  # the API, imported on first use (numpy, torch and friends load only when needed)
    if name in __all__[2:]:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'sheetnet' has no attribute {name!r}")
