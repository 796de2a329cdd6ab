"""Spreadsheet functions over value blocks (K, h, w): each formula cell of a group at once.

Each family is a module; importing it registers its functions in the table (registry.FUNCTIONS).
The common families load here; the rest (manifest.LAZY) when a formula first names one of theirs.
Anything not in the table is refused with the cell and the function named, never a wrong number.
"""

from . import aggregate, conditional, datefn, dynamic, logic, lookup, mathfn, refs, regress, text  # noqa: F401
from .registry import FUNCTIONS, REF_FUNCTIONS, Fn, fn, supported

__all__ = ["FUNCTIONS", "REF_FUNCTIONS", "Fn", "fn", "supported"]
