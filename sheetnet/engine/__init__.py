"""sheetnet's own formula engine: reads any workbook back and evaluates it, vectorised by column."""

from .evaluate import Engine
from .package import read_book
from .values import EngineError, ErrorCode

__all__ = ["Engine", "EngineError", "ErrorCode", "read_book"]
