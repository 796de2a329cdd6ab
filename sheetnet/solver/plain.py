"""A problem given as a plain function of the params (no workbook), as optimize.minimize takes it."""

from __future__ import annotations

import numpy as np

from .names import SolverModel


class Plain:
    """fg(x) -> (value, gradient), started at x0, no bounds or constraints."""

    def __init__(self, fg, x0):
        self._fg, self.x0 = fg, np.asarray(x0, float)
        self.n = self.x0.size
        self.model = SolverModel(sheet="", objective="", variables=[])
        self.bounds = [(None, None)] * self.n
        self.constraints, self.integrality, self.order = [], None, None

    def value(self, x):
        return self._fg(x)[0]

    def value_and_grad(self, x):
        return self._fg(x)
