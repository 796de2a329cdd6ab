"""Arithmetic that gives the same bits on every machine.

BLAS kernels (OpenBLAS picks Haswell, SkylakeX or Zen code by processor) and numpy's vectorised
transcendental functions (AVX-512 code on some processors, the C library's on others) differ in
the last bit from one machine to another.  A cached value, a Solver step or a multistart's best
would then differ too.  What the lessons compute goes through these instead: element-wise products
added in a fixed order, and the C library's exp, log, log10 and tanh (one implementation on every
x86-64 processor with FMA).
"""

from __future__ import annotations

import math

import numpy as np


def weighted_sum(X, w):
    """X @ w for a vector w, as SUMPRODUCT adds it: column by column, left to right.

    Not BLAS: its kernels differ by processor, and so would the last bits of every cached value and
    every Solver step (a matrix w: `matmul`)."""
    out = X[..., 0] * w[0]
    for i in range(1, X.shape[-1]):
        out = out + X[..., i] * w[i]
    return out


def _libm(f, x, ok, outside):
    """f (a math function) value by value where ok, `outside(x)` elsewhere (no exceptions)."""
    x = np.asarray(x, float)
    flat = x.ravel()
    good = ok(flat)
    vals = np.where(good, flat, 1.0).tolist()
    out = np.fromiter(map(f, vals), float, count=len(vals)) if vals else np.empty(0)
    return np.where(good, out, outside(flat)).reshape(x.shape)


def exp(x):
    """EXP by the C library's exp, value by value (numpy's differs by processor in the last bit)."""
    with np.errstate(all="ignore"):
        return _libm(math.exp, x, lambda v: v <= 709.782712893384, lambda v: np.where(np.isnan(v), np.nan, np.inf))


def ln(x):
    """LN by the C library's log, value by value; 0 gives -inf, below 0 NaN."""
    with np.errstate(all="ignore"):
        return _libm(math.log, x, lambda v: v > 0, lambda v: np.where(v == 0, -np.inf, np.nan))


def tanh(x):
    """TANH by the C library's tanh, value by value."""
    return _libm(math.tanh, x, lambda v: ~np.isnan(v), lambda v: v)


def log10(x):
    """LOG10 by the C library's log10, value by value; 0 gives -inf, below 0 NaN."""
    with np.errstate(all="ignore"):
        return _libm(math.log10, x, lambda v: v > 0, lambda v: np.where(v == 0, -np.inf, np.nan))


def matmul(A, B):
    """A @ B (leading dimensions broadcast), adding the products k = 0, 1, ... in turn: MMULT's
    order, and no BLAS."""
    out = A[..., :, 0:1] * B[..., 0:1, :]
    for k in range(1, A.shape[-1]):
        out = out + A[..., :, k:k + 1] * B[..., k:k + 1, :]
    return out


def dot(a, b) -> float:
    """a . b for vectors, summed in numpy's fixed pairwise order (no BLAS)."""
    return float(np.add.reduce(a * b))
