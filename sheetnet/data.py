"""Read a Kaggle-layout CSV and prepare it the way a template says: kept rows, features, target.

The numbers made here are the ones the workbook's formulas compute, so every transform mirrors
its spreadsheet formula exactly (text comparisons are case-insensitive, as in Excel).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SheetnetError
from .template import Template

MAX_CSV_BYTES = 1 << 30  # 1 GiB
MAX_ROWS = 1_048_576 - 3  # an Excel sheet's rows, less the three header rows
NA_MARKERS = {"", "na", "nan", "n/a", "null", "none"}


@dataclass
class Dataset:
    """A prepared table: `frame` holds the kept rows' raw columns, `X` and `y` the model's view."""

    source: str
    template: Template
    frame: pd.DataFrame  # kept rows; numeric columns as float, text as str ("" for blank)
    n_read: int  # rows in the CSV
    X: np.ndarray  # (rows, features) float64
    y: np.ndarray  # (rows,) float64
    maxes: dict  # column -> MAX over kept rows, for div_max features

    @property
    def n(self) -> int:
        return len(self.y)


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SheetnetError(f"{path}: no such file") from None
    except OSError as e:
        raise SheetnetError(f"{path}: cannot read ({e.strerror})") from None
    if path.is_dir():
        raise SheetnetError(f"{path}: is a folder, not a CSV file")
    if size > MAX_CSV_BYTES:
        raise SheetnetError(f"{path}: {size} bytes is larger than the {MAX_CSV_BYTES} bytes sheetnet reads")
    raw = path.read_bytes()
    if not raw.strip():
        raise SheetnetError(f"{path}: the file is empty")
    if b"\x00" in raw[:65536] or raw[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF"):
        raise SheetnetError(f"{path}: not a CSV file (it looks binary)")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise SheetnetError(f"{path}: not a CSV file (not readable as UTF-8 or Windows-1252 text)")


def read_csv(path: str | Path) -> pd.DataFrame:
    """Every cell as text ("" for blank); CRLF or LF line endings, an optional BOM."""
    path = Path(path)
    text = _read_text(path)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                            skipinitialspace=False, quoting=csv.QUOTE_MINIMAL)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SheetnetError(f"{path}: not a valid CSV file ({msg})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame.columns) < 2:
        raise SheetnetError(f"{path}: not a CSV file of columns (found one column, {frame.columns[0]!r})")
    if len(frame) > MAX_ROWS:
        raise SheetnetError(f"{path}: {len(frame)} rows do not fit in a spreadsheet (at most {MAX_ROWS})")
    return frame


def _numbers(frame: pd.DataFrame, col: str, path) -> pd.Series:
    text = frame[col].str.strip()
    blank = text.str.lower().isin(NA_MARKERS)
    values = pd.to_numeric(text.where(~blank), errors="coerce")
    bad = values.isna() & ~blank
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SheetnetError(f"{path}: column {col}, line {i + 2}: {frame[col].iloc[i]!r} is not a number")
    vals = values.astype(float)
    if not np.isfinite(vals.dropna().to_numpy()).all():
        i = int(np.flatnonzero(~np.isfinite(vals.fillna(0).to_numpy()))[0])
        raise SheetnetError(f"{path}: column {col}, line {i + 2}: {frame[col].iloc[i]!r} is not a finite number")
    return vals


def _mode(col: pd.Series):
    m = col.dropna()
    m = m[m != ""] if m.dtype == object else m
    if m.empty:
        return None
    return m.mode().iloc[0]


def prepare(template: Template, path: str | Path | None = None) -> Dataset:
    """Load `path` (default: the template's bundled CSV) and prepare it as the template says."""
    path = Path(path) if path is not None else template.data
    if path is None:
        raise SheetnetError(f"{template.source}: no data file given and the template names none")
    raw = read_csv(path)
    missing = [c for c in template.required_columns if c not in raw.columns]
    if missing:
        raise SheetnetError(f"{path}: missing column {missing[0]!r} (template {template.name!r} needs "
                            f"{', '.join(template.required_columns)})")
    n_read = len(raw)
    frame = pd.DataFrame(index=raw.index)
    numeric = set(template.numeric_columns)
    for col in dict.fromkeys([template.target, *template.inputs, *template.required_columns]):
        frame[col] = _numbers(raw, col, path) if col in numeric else raw[col].str.strip()
    for col in template.info:
        frame[col] = raw[col] if col in raw.columns else ""

    def is_blank(col):
        s = frame[col]
        return s.isna() if col in numeric else (s == "")

    if template.blanks == "drop":
        keep = np.ones(len(frame), bool)
        for col in template.blank_columns:
            keep &= ~is_blank(col).to_numpy()
        frame = frame[keep].reset_index(drop=True)
    else:
        for col in template.blank_columns:
            m = _mode(frame[col])
            if m is not None:
                frame.loc[is_blank(col), col] = m
    if len(frame) == 0:
        raise SheetnetError(f"{path}: no rows left after dropping blanks in {', '.join(template.blank_columns)}")
    for col in numeric:
        if frame[col].isna().any():
            i = int(np.flatnonzero(frame[col].isna().to_numpy())[0])
            raise SheetnetError(f"{path}: column {col} has a blank (kept row {i + 1}); "
                                f"add it to the template's blank_columns")
    y = frame[template.target].to_numpy(float)
    X, maxes = feature_matrix(template, frame, path)
    return Dataset(source=str(path), template=template, frame=frame, n_read=n_read, X=X, y=y, maxes=maxes)


def feature_matrix(template: Template, frame: pd.DataFrame, path="data") -> tuple[np.ndarray, dict]:
    """The features as numpy computes them, mirroring each transform's formula."""
    n = len(frame)
    X = np.empty((n, len(template.features)))
    maxes = {}
    for j, f in enumerate(template.features):
        if f.transform == "const":
            X[:, j] = f.value
            continue
        col = frame[f.column]
        if f.transform == "value":
            X[:, j] = col.to_numpy(float)
        elif f.transform == "div_max":
            v = col.to_numpy(float)
            m = maxes.setdefault(f.column, float(v.max()))
            if m == 0:
                raise SheetnetError(f"{path}: column {f.column}: MAX is 0, so {f.name} = {f.column}/MAX "
                                    f"would divide by zero")
            X[:, j] = v / m
        elif f.transform == "log10p1":
            v = col.to_numpy(float)
            if (v <= -1).any():
                i = int(np.flatnonzero(v <= -1)[0])
                raise SheetnetError(f"{path}: column {f.column}, kept row {i + 1}: LOG10({v[i]}+1) is undefined")
            X[:, j] = np.log10(v + 1)
        elif f.transform == "dummy":
            if isinstance(f.level, str):
                X[:, j] = (col.str.casefold() == f.level.casefold()).to_numpy(float)
            else:
                X[:, j] = (col.to_numpy(float) == float(f.level)).astype(float)
    return X, maxes
