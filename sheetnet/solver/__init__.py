"""Excel's Solver, in Python: the model stored in a workbook, scipy engines, a lossless write-back."""
