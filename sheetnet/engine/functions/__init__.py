"""Spreadsheet functions over value blocks (K, h, w): each formula cell of a group at once.

Each family is a module; importing it registers its functions in the table (registry.FUNCTIONS).
Anything not in the table is refused with the cell and the function named, never a wrong number.
"""

from . import (aggregate, arrays, bonds, conditional, database, datefn, distributions, dynamic, finance,  # noqa: F401
               info, integers, lambdas, logic, lookup, mathfn, regress, samples, text, textedit, workdays)
from .registry import FUNCTIONS, REF_FUNCTIONS, Fn, fn, supported

__all__ = ["FUNCTIONS", "REF_FUNCTIONS", "Fn", "fn", "supported"]
