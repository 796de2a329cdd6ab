"""The description of a model (named steps over the op table) and its renderings.

    ops      the op table: each op's formula, numpy forward and gradient, torch form
    graph    Step, Param, Model: the description, its numpy values and exact gradient
    nets     the lessons' models (linear, nnet, mmult, deeper layers) as descriptions
    layout   where every column, total and param sits on a sheet
    xlsx     the formulas of a sheet, written with their cached values
    twin     the torch module
    stored   the descriptions a workbook carries, and the recogniser that reads a sheet back
"""
