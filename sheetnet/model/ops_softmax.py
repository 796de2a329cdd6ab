"""The op table's entries for many classes: EXP, softmax, cross-entropy, the predicted class, accuracy.

As the course's entropy_example.xlsx writes them, one column per class:
    Exp       EXP(x)                                   (=EXP(B2))
    Softmax   x / SUM(the row's x)                     (=C2/$C$7)
    Loss      -LN(INDEX(probs, 1, target+1))           the true class's probability (target 0..K-1)
    Class     MATCH(MAX(probs), probs, 0) - 1          the first class of the highest probability
    Accuracy  share of rows where Class = target
The course's sheet takes LOG (base 10): its cross-entropy is torch's divided by ln 10.  Here it is LN,
so the Loss equals torch's cross_entropy on the same scores.  Unlike the 0/1 log loss it is not clipped:
a true class whose EXP underflows to 0 (scores 745 apart) is #NUM! in the sheet, as LN(0) is.
Registered into OPS by sheetnet.model.ops.
"""

from __future__ import annotations

import numpy as np

from ..numerics import exp, ln
from ..torchenv import get_torch
from .opbase import Op, _register, ones_col as _ones_col, sum_columns

ACCURACY_OPS = ("accuracy", "classacc")  # totals reported as "accuracy"


def _class_index(ref) -> str:
    """The row {0, 1, ..., K-1} of class numbers over a block's columns."""
    return f"(COLUMN({ref.first_row})-MIN(COLUMN({ref.first_row})))"


# ---- softmax: each column divided by the row's sum ------------------------------------------------

def _norm_forward(xs, W, arg):
    x = xs[0]
    s = sum_columns([x[..., j:j + 1] for j in range(x.shape[-1])])  # left to right, as SUM adds
    return x / s


def _norm_backward(g, xs, W, out, arg):
    x = xs[0]
    s = sum_columns([x[..., j:j + 1] for j in range(x.shape[-1])])
    go = g * out
    return [(g - sum_columns([go[..., j:j + 1] for j in range(go.shape[-1])])) / s], None


# ---- cross-entropy of the true class --------------------------------------------------------------

def _class_col(y, k: int):
    """INDEX(probs, 1, target+1)'s column (0-based), and where it exists (else the sheet's #REF!)."""
    v = np.asarray(y, float)
    with np.errstate(invalid="ignore"):
        col = np.trunc(np.where(np.isfinite(v), v, -1) + 1) - 1
    ok = (col >= 0) & (col < k)
    return np.where(ok, col, 0).astype(int), ok


def _true_prob(P, y):
    idx, ok = _class_col(y, P.shape[-1])
    return np.where(ok, np.take_along_axis(P, idx, axis=-1), np.nan)


def _ce_forward(xs, W, arg):
    P, y = xs
    with np.errstate(divide="ignore", invalid="ignore"):
        return -ln(_true_prob(P, y))


def _ce_backward(g, xs, W, out, arg):
    P, y = xs
    idx, ok = _class_col(y, P.shape[-1])
    pt = np.take_along_axis(P, idx, axis=-1)
    gP = np.zeros_like(P)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.put_along_axis(gP, idx, np.where(ok, -g / pt, 0.0), axis=-1)
    return [gP, None], None


def _ce_torch(xs, W, arg):
    torch = get_torch()
    P, y = xs
    idx = y.long().expand(P.shape[:-1] + (1,))
    return -torch.log(P.gather(-1, idx))


def _ce_formula(ins, p, arg, u):
    P, y = ins
    return f"-LN(INDEX({P.block},1,{y.cols[0]}+1))"


def _ce_whole(ins, p, arg):
    P, y = ins
    q = f"MMULT({P.whole}*({_class_index(P)}={y.whole}),{_ones_col(P)})"
    return f"-LN({q})"


# ---- the predicted class: the first column of the row's highest value ------------------------------

def _argmax_whole(ins, p, arg):
    """Without a per-row MAX over arrays: class k wins where it beats every earlier column and ties
    or beats every later one; the sum of k times that test is the first argmax."""
    cols = ins[0].col_wholes
    terms = []
    for k, ck in enumerate(cols):
        tests = [f"({ck}>{cj})" for cj in cols[:k]] + [f"({ck}>={cj})" for cj in cols[k + 1:]]
        if k and tests:
            terms.append(f"{k}*" + "*".join(tests))
    return "+".join(terms) if terms else f"0*{cols[0]}"


def _argmax_torch(xs, W, arg):
    x = xs[0]
    return x.argmax(dim=-1, keepdim=True).to(x.dtype)


# ---- accuracy: the share of rows whose class is the target -----------------------------------------

def _classacc_torch(xs, W, arg):
    c, y = xs
    return (c[..., 0] == y[..., 0]).to(c.dtype).mean(dim=-1)


_register(
    Op("exp", "map", "EXP(x)", lambda ins, p, a, u: f"EXP({ins[0].cols[u]})",
       lambda xs, W, a: exp(xs[0]), lambda g, xs, W, out, a: ([g * out], None),
       lambda xs, W, a: get_torch().exp(xs[0]), whole=lambda ins, p, a: f"EXP({ins[0].whole})"),
    Op("normalise", "map", "x / SUM(the row's x)", lambda ins, p, a, u: f"{ins[0].cols[u]}/SUM({ins[0].block})",
       _norm_forward, _norm_backward, lambda xs, W, a: xs[0] / xs[0].sum(dim=-1, keepdim=True),
       whole=lambda ins, p, a: f"{ins[0].whole}/MMULT({ins[0].whole},{_ones_col(ins[0])})"),
    Op("crossent", "map", "-LN(INDEX(probs,1,target+1))", _ce_formula, _ce_forward,
       _ce_backward, _ce_torch, whole=_ce_whole, needs_target=True, units=lambda us, arg: 1),
    Op("argmax", "map", "MATCH(MAX(probs),probs,0)-1",
       lambda ins, p, a, u: f"MATCH(MAX({ins[0].block}),{ins[0].block},0)-1",
       lambda xs, W, a: np.argmax(xs[0], axis=-1)[..., None].astype(float), None, _argmax_torch,
       whole=_argmax_whole, units=lambda us, arg: 1),
    Op("classacc", "total", "share of rows where Class = target",
       lambda ins, p, a, u: f"SUMPRODUCT(--({ins[0].rel_whole}={ins[1].rel_whole}))/COUNT({ins[1].rel_whole})",
       lambda xs, W, a: float(np.mean(xs[0][:, 0] == xs[1][:, 0])), None, _classacc_torch, needs_target=True),
)
