"""A table of named columns, each a numpy array: what a CSV becomes on its way to a lesson's data sheet.

Numbers are float64 columns, text is an object column of str ("" for blank).  It holds what sheetnet
needs of a data frame (columns in their order, rows taken by index or mask, a column renamed) and
loads in no time, where pandas' import alone was half of `sheetnet build`'s wall time.
"""

from __future__ import annotations

import numpy as np


class Frame:
    def __init__(self, columns: dict | None = None, n: int | None = None):
        self._cols: dict[str, np.ndarray] = {}
        self._n = n if n is not None else (len(next(iter(columns.values()))) if columns else 0)
        for name, values in (columns or {}).items():
            self[name] = values

    @property
    def columns(self) -> list[str]:
        return list(self._cols)

    def __len__(self) -> int:
        return self._n

    def __contains__(self, name) -> bool:
        return name in self._cols

    def __getitem__(self, name: str) -> np.ndarray:
        return self._cols[name]

    def __setitem__(self, name: str, values):
        if isinstance(values, (str, float, int)):
            arr = np.empty(self._n, dtype=object if isinstance(values, str) else float)
            arr[:] = values
        else:
            arr = np.asarray(values)
            if arr.dtype.kind in "US":
                arr = arr.astype(object)
        if arr.shape != (self._n,):
            raise ValueError(f"column {name!r}: {arr.shape} values for {self._n} rows")
        self._cols[name] = arr

    def take(self, rows) -> "Frame":
        """The rows `rows` (indices or a boolean mask), in that order."""
        rows = np.asarray(rows)
        n = int(rows.sum()) if rows.dtype == bool else len(rows)
        return Frame({k: v[rows] for k, v in self._cols.items()}, n)

    def rename(self, old: str, new: str) -> "Frame":
        return Frame({(new if k == old else k): v for k, v in self._cols.items()}, self._n)
