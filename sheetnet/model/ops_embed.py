"""The op table's entries for collaborative filtering: an embedding lookup, a row's dot product, RMSE.

One row a rating (user, movie, rating), as the course's movielens_emb sheet has it:
    UserF    INDEX(Users block, user, k)        the user's row of factors (an embedding: a lookup)
    MovieF   INDEX(Movies block, movie, k)      the movie's row of factors
    Dot      SUMPRODUCT(UserF row, MovieF row)  the prediction (plus the two biases, looked up the same way)
    Loss     SQRT(AVERAGE(squared errors))      RMSE, the course's SQRT(SUMXMY2(...)/COUNT(...))
A lookup's params block has one row per id (user 1, user 2, ...) and one column per factor; its input is
the feature column holding the id (arg: that column's place among the features), numbered from 1.
Registered into OPS by sheetnet.model.ops.
"""

from __future__ import annotations

import numpy as np

from ..torchenv import get_torch
from .opbase import Op, _register, ones_col, sum_columns


def _ids(x, arg):
    """Each row's id as a row of the block (0-based), and which are inside it (INDEX outside it is #REF!)."""
    v = np.asarray(x, float)[:, int(arg)]
    ok = np.isfinite(v) & (v >= 1)
    idx = np.where(ok, np.trunc(np.where(ok, v, 1)), 1).astype(int) - 1  # INDEX truncates a fraction
    return idx, ok


def _lookup_forward(xs, W, arg):
    idx, ok = _ids(xs[0], arg)
    ok &= idx < W.shape[0]
    return np.where(ok[:, None], W[np.where(ok, idx, 0), :], np.nan)  # NaN: the sheet's #REF!


def _lookup_backward(g, xs, W, out, arg):
    idx, ok = _ids(xs[0], arg)
    ok &= idx < W.shape[0]
    gW = np.zeros_like(W)
    np.add.at(gW, idx[ok], g[ok])
    return [None], gW


def _lookup_torch(xs, W, arg):
    torch = get_torch()
    idx = (xs[0][..., int(arg)] - 1).long()
    if idx.dim() > 1:  # the features are the same for every start
        idx = idx.reshape(-1, idx.shape[-1])[0]
    return torch.index_select(W, W.dim() - 2, idx)


def _lookup_formula(ins, p, arg, u):
    return f"INDEX({p.block},{ins[0].cols[int(arg)]},{u + 1})"


def _lookup_whole(ins, p, arg):
    """Every row at once: a one-hot of the ids (rows x ids) times the block (ids x factors)."""
    ids = ins[0].col_wholes[int(arg)]
    return f"MMULT(--({ids}=TRANSPOSE(ROW({p.block})-MIN(ROW({p.block}))+1)),{p.block})"


def _dot_forward(xs, W, arg):
    a, b = xs
    return sum_columns([a[..., j:j + 1] * b[..., j:j + 1] for j in range(a.shape[-1])])


def _dot_backward(g, xs, W, out, arg):
    a, b = xs
    return [g * b, g * a], None


def _rootmean_backward(g, xs, W, out, arg):
    x = xs[0]
    return [np.full(x.shape, g / (2.0 * out * x.shape[0]) if out > 0 else 0.0)], None


_register(
    Op("lookup", "lookup", "INDEX(params block, id, factor)", _lookup_formula, _lookup_forward, _lookup_backward,
       _lookup_torch, whole=_lookup_whole),
    Op("rowdot", "map", "SUMPRODUCT(a row, b row)", lambda ins, p, a, u: f"SUMPRODUCT({ins[0].block},{ins[1].block})",
       _dot_forward, _dot_backward, lambda xs, W, a: (xs[0] * xs[1]).sum(dim=-1, keepdim=True),
       whole=lambda ins, p, a: f"MMULT({ins[0].whole}*{ins[1].whole},{ones_col(ins[0])})",
       units=lambda us, arg: 1),
    Op("rootmean", "total", "SQRT(AVERAGE(column))", lambda ins, p, a, u: f"SQRT(AVERAGE({ins[0].rel_whole}))",
       lambda xs, W, a: float(np.sqrt(np.mean(xs[0]))), _rootmean_backward,
       lambda xs, W, a: xs[0].mean(dim=(-2, -1)).sqrt()),
)
