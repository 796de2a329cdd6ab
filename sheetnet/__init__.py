"""sheetnet: the fast.ai Titanic lesson as live spreadsheets, checked by numpy and torch."""

from .errors import SheetnetError

__version__ = "0.1.0"
__all__ = ["SheetnetError", "__version__"]
