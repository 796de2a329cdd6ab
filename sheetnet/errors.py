"""The one error type users see: a single line naming the file, sheet, cell or column."""


class SheetnetError(Exception):
    """A problem with the user's input, reported as one line, never a traceback."""
