"""Every number three ways: the workbook (sheetnet's engine and LibreOffice), numpy and torch."""
