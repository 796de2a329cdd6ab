"""How a lesson workbook prints: landscape, one page wide (as many tall as the rows need), the header
rows repeated on every page of a sheet of rows, and the About sheet on one page."""

from __future__ import annotations

from ..model.layout import ABOUT_SHEET, DESCRIPTION_SHEET, HEADER_ROW

def print_setup(wb, row_sheets=()):
    """Page setup for every visible sheet of an XlsxWriter workbook, before it is closed."""
    for ws in wb.worksheets():
        name = ws.get_name()
        if name == DESCRIPTION_SHEET:
            continue
        ws.set_landscape()
        if name == ABOUT_SHEET:
            ws.fit_to_pages(1, 1)
            continue
        ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
        if name in row_sheets:
            ws.repeat_rows(0, HEADER_ROW)
