"""Prepare a CSV the way a template says: kept rows, the features, the target.

The numbers made here are the ones the workbook's formulas compute: every feature is an op of the
op table (sheetnet.model.ops), whose numpy form mirrors its formula exactly (text comparisons are
case-insensitive, as in Excel).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import SheetnetError
from ..model.ops import OPS
from .csvfile import parse_number, read_csv, stripped, to_number_text
from .frame import Frame
from .ratings import keep_top, rename_aliases
from .template import Template

NA_MARKERS = {"", "na", "nan", "n/a", "null", "none"}


@dataclass
class Dataset:
    """A prepared table: `frame` holds the kept rows' raw columns, `X` and `y` the model's view."""

    source: str
    template: Template
    frame: Frame  # kept rows; numeric columns as float, text as str ("" for blank)
    n_read: int  # rows in the CSV
    X: np.ndarray  # (rows, features) float64
    y: np.ndarray  # (rows,) float64
    maxes: dict  # column -> MAX over kept rows, for div_max features
    binary: bool = True  # a 0/1 target (accuracy and log loss apply)
    notes: list = field(default_factory=list)  # what was assumed or looks odd, one line each

    @property
    def n(self) -> int:
        return len(self.y)


def _numbers(raw: Frame, col: str, path, decimal_comma: bool) -> np.ndarray:
    """The column's numbers (NaN where blank); the first that is not a finite number is named by its line."""
    out = np.empty(len(raw))
    for i, t in enumerate(to_number_text(raw[col], decimal_comma)):
        if t.lower() in NA_MARKERS:
            out[i] = np.nan
            continue
        v = parse_number(t)
        if v is None or not math.isfinite(v):
            why = "not a number" if v is None else "not a finite number"
            raise SheetnetError(f"{path}: column {col}, line {i + 2}: {raw[col][i]!r} is {why}")
        out[i] = v
    return out


def _mode(values: np.ndarray, numeric: bool):
    """The most frequent value (the smallest of those tied), None when all are blank."""
    m = values[~np.isnan(values)] if numeric else values[values != ""]
    if not len(m):
        return None
    uniq, counts = np.unique(m, return_counts=True)
    return uniq[int(np.argmax(counts))]


def _all_numbers(text) -> np.ndarray | None:
    vals = [parse_number(t) for t in text]
    return None if any(v is None for v in vals) else np.array(vals, dtype=float)


def prepare(template: Template, path: str | Path | None = None) -> Dataset:
    """Load `path` (default: the template's bundled CSV) and prepare it as the template says."""
    path = Path(path) if path is not None else template.data
    if path is None:
        raise SheetnetError(f"{template.source}: no data file given and the template names none")
    table = read_csv(path)
    raw = rename_aliases(template, table.frame)
    missing = [c for c in template.required_columns if c not in raw.columns]
    if missing:
        raise SheetnetError(f"{path}: missing column {missing[0]!r} (template {template.name!r} needs "
                            f"{', '.join(template.required_columns)})")
    n_read = len(raw)
    if n_read == 0:
        raise SheetnetError(f"{path}: no rows under the header")
    lines = np.arange(n_read) + 2  # the CSV line of each row, for messages
    frame = Frame(n=n_read)
    numeric = set(template.numeric_columns)
    for col in dict.fromkeys([template.target, *template.inputs, *template.required_columns]):
        frame[col] = _numbers(raw, col, path, table.decimal_comma) if col in numeric else stripped(raw[col])
    sources = {f.column for f in template.features if f.column}
    for col in template.inputs:  # an input only shown (no feature reads it) that is all numbers: numbers
        if col not in numeric and col not in sources and col != template.target and len(frame):
            parsed = _all_numbers(to_number_text(frame[col], table.decimal_comma))
            if parsed is not None:
                frame[col] = parsed
    for col in template.info:
        frame[col] = raw[col] if col in raw else ""

    def is_blank(col):
        s = frame[col]
        return np.isnan(s) if col in numeric else (s == "")

    if template.blanks == "drop":
        keep = np.ones(len(frame), bool)
        for col in template.blank_columns:
            keep &= ~is_blank(col)
        frame, lines = frame.take(keep), lines[keep]
    else:
        for col in template.blank_columns:
            m = _mode(frame[col], col in numeric)
            if m is not None:
                filled = frame[col].copy()
                filled[is_blank(col)] = m
                frame[col] = filled
    if len(frame) == 0:
        raise SheetnetError(f"{path}: no rows left after dropping blanks in {', '.join(template.blank_columns)}")
    for col in numeric:
        if np.isnan(frame[col]).any():
            i = int(np.flatnonzero(np.isnan(frame[col]))[0])
            raise SheetnetError(f"{path}: column {col}, line {lines[i]}: a blank; add {col} to the template's "
                                f"blank_columns")
    frame, lines, kept = keep_top(template, frame, lines, path)
    y = np.asarray(frame[template.target], dtype=float)
    binary = _check_target(template, y, lines, path)
    X, maxes = feature_matrix(template, frame, path, lines)
    notes = list(table.notes) + _level_notes(template, frame, path) + kept
    return Dataset(source=str(path), template=template, frame=frame, n_read=n_read, X=X, y=y, maxes=maxes,
                   binary=binary, notes=notes)


def _check_target(template: Template, y, lines, path) -> bool:
    """A binary task needs 0/1 targets: the first row that is not says so; no task given: from the data."""
    if template.task == "classes":
        k = len(template.classes)
        off = ~np.isin(y, np.arange(k, dtype=float))
        if off.any():
            i = int(np.flatnonzero(off)[0])
            raise SheetnetError(f"{path}: column {template.target}, line {lines[i]}: {y[i]:g} is not a class number "
                                f"0 to {k - 1} (template {template.name!r} has the classes "
                                f"{', '.join(template.classes)})")
        return k == 2  # two classes: the target is 0/1 too (a sigmoid sheet can sit beside the softmax)
    off = ~np.isin(y, (0.0, 1.0))
    if template.task == "binary" and off.any():
        i = int(np.flatnonzero(off)[0])
        raise SheetnetError(f"{path}: column {template.target}, line {lines[i]}: {y[i]:g} is not 0 or 1 "
                            f"(template {template.name!r} predicts a 0/1 target: accuracy and log loss need one)")
    return template.task == "binary" or (template.task is None and not off.any())


def _level_notes(template: Template, frame, path) -> list[str]:
    out = []
    for f in template.features:
        if f.transform != "dummy":
            continue
        col = frame[f.column]
        hit = [str(v).casefold() == f.level.casefold() for v in col] if isinstance(f.level, str) else \
            (np.asarray(col, dtype=float) == float(f.level))
        if not np.any(hit):
            seen = sorted({str(v) for v in col[:10_000]})[:8]
            out.append(f"warning: {Path(path).name}: {f.name} is 1 where {f.column} is {f.level!r}, which no kept row "
                       f"holds (seen: {', '.join(seen)}): the column is all 0")
    return out


def feature_op(f) -> tuple[str, object]:
    """The op (and its constant) that makes feature f from its column."""
    return {"value": ("value", None), "div_max": ("div_max", None), "log10p1": ("log10p1", None),
            "square": ("square", None), "scale": ("scale", f.value),
            "dummy": ("dummy", f.level), "const": ("const", f.value)}[f.transform]


def feature_matrix(template: Template, frame: Frame, path="data", lines=None) -> tuple[np.ndarray, dict]:
    """The features as numpy computes them: each feature's op from the op table on its column."""
    n = len(frame)
    X = np.empty((n, len(template.features)))
    maxes = {}
    for j, f in enumerate(template.features):
        op, arg = feature_op(f)
        col = np.asarray(frame[f.column]).reshape(-1, 1) if f.column else np.zeros((n, 1))
        if f.transform in ("div_max", "log10p1"):
            v = col.astype(float)
            if f.transform == "div_max":
                m = maxes.setdefault(f.column, float(v.max()))
                if m == 0:
                    raise SheetnetError(f"{path}: column {f.column}: MAX is 0, so {f.name} = {f.column}/MAX "
                                        f"would divide by zero")
            elif (v <= -1).any():
                i = int(np.flatnonzero(v[:, 0] <= -1)[0])
                where = f"line {lines[i]}" if lines is not None else f"kept row {i + 1}"
                raise SheetnetError(f"{path}: column {f.column}, {where}: LOG10({v[i, 0]:g}+1) is undefined")
        X[:, j] = OPS[op].forward([col], None, arg)[:, 0]
    return X, maxes
