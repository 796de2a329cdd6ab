"""The op table: every computation a lesson sheet holds, each described once.

An op knows, in one place:
    formula(ins, p, arg, unit)   its spreadsheet formula for one row ({r} stands for the row number),
                                 as Excel 2010+, LibreOffice and Google Sheets all compute it
    whole(ins, p, arg)           the same over whole columns (an array expression: self-checks, MMULT)
    forward(xs, W, arg)          numpy
    backward(g, xs, W, out, arg) numpy: the adjoint of each input (and of W) from the output's adjoint g
    torch(xs, W, arg)            torch (float64, with any leading batch dimensions)

Values are columns of shape (rows, units): a step's columns side by side.  Totals are scalars.
`ins` are the rendered references of the inputs (sheetnet.model.layout.Ref), `p` of the params.
A new op is one entry in OPS.
"""

from __future__ import annotations

import numpy as np

from ..numerics import exp, ln, log10, matmul, tanh, weighted_sum
from ..torchenv import get_torch
from .opbase import OPS, Op, _register, ones_col, sum_columns  # noqa: F401  (the table is filled here)

__all__ = ["OPS", "Op", "sum_columns", "ACCURACY_OPS", "EPS", "EPS_TEXT", "LOSSES", "OUTPUTS", "level_text"]

EPS = 1e-15  # log loss clips predictions to [EPS, 1-EPS], identically in formulas, numpy and torch
EPS_TEXT = "1E-15"


def _t():
    torch = get_torch()
    return torch


def _cols(ref):
    return ref.cols


# ---- element-wise maps --------------------------------------------------------------------------

def _relu_f(ins, p, arg, u):
    x = ins[0].cols[u]
    return f"IF({x}<0,0,{x})"


def _relu_w(ins, p, arg):
    x = ins[0].whole
    return f"IF({x}<0,0,{x})"


def _relu_t(xs, W, arg):
    torch = _t()
    x = xs[0]
    return torch.where(x < 0, torch.zeros((), dtype=x.dtype, device=x.device), x)


# Excel's EXP stops at 709 (#NUM! beyond): 1/(1+EXP(-x)) would be #NUM! for x < -709, which a Solver
# run on a saturating loss reaches; below -700 the sigmoid is 1/(1+EXP(700)) (1e-304: 0 to any eye)
SIGMOID_FLOOR = -700


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + exp(-np.maximum(x, SIGMOID_FLOOR)))


def _tanh_t(xs, W, arg):
    return _t().tanh(xs[0])


# ---- sums ---------------------------------------------------------------------------------------

def _add_forward(xs, W, arg):
    cols = [x[..., j:j + 1] for x in xs for j in range(x.shape[-1])]
    return sum_columns(cols)


def _add_backward(g, xs, W, out, arg):
    return [np.repeat(g, x.shape[-1], axis=-1) for x in xs], None


def _add_formula(ins, p, arg, u):
    return "+".join(c for ref in ins for c in ref.cols)


def _add_whole(ins, p, arg):
    return "+".join(ref.col_wholes[j] for ref in ins for j in range(len(ref.cols)))


# ---- losses (the last input is the target) ------------------------------------------------------

def _logloss_forward(xs, W, arg):
    p, y = xs
    return -np.where(y == 1, ln(np.maximum(p, EPS)), ln(np.maximum(1 - p, EPS)))


def _logloss_backward(g, xs, W, out, arg):
    p, y = xs
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(y == 1, np.where(p >= EPS, -1.0 / p, 0.0), np.where(1 - p >= EPS, 1.0 / (1 - p), 0.0))
    return [g * d, None], None


def _logloss_t(xs, W, arg):
    torch = _t()
    p, y = xs
    return -torch.where(y == 1, torch.log(torch.clamp_min(p, EPS)), torch.log(torch.clamp_min(1 - p, EPS)))


def _logloss_f(p, y):
    return f"-IF({y}=1,LN(MAX({p},{EPS_TEXT})),LN(MAX(1-{p},{EPS_TEXT})))"


def _mnist_f(p, y):
    return f"IF({y}=1,1-{p},{p})"


# ---- the layer: weights (units x inputs) and an optional bias -----------------------------------

def _linear_forward(xs, W, arg):
    """Each unit's column as a matrix-vector product (the order a row's SUMPRODUCT adds in, unit by unit)."""
    X = xs[0]
    k = X.shape[-1]
    out = np.stack([weighted_sum(X, W[u, :k]) for u in range(W.shape[0])], axis=1)
    return out + W[:, k] if W.shape[1] > k else out


def _linear_backward(g, xs, W, out, arg):
    X = xs[0]
    k = X.shape[-1]
    gW = np.stack([np.add.reduce(g[:, u:u + 1] * X, axis=0) for u in range(W.shape[0])])
    if W.shape[1] > k:
        gW = np.concatenate([gW, g.sum(axis=0)[:, None]], axis=1)
    return [matmul(g, W[:, :k])], gW


def _linear_t(xs, W, arg):
    X = xs[0]
    k = X.shape[-1]
    out = X @ W[..., :, :k].transpose(-1, -2)
    if W.shape[-1] > k:
        out = out + W[..., :, k].unsqueeze(-2)
    return out


def _linear_formula(ins, p, arg, u):
    """One unit's column: SUMPRODUCT of the row's inputs with the unit's params row (+ its bias)."""
    x = ins[0]
    body = f"{x.cols[0]}*{p.weights[u]}" if len(x.cols) == 1 else f"SUMPRODUCT({x.block},{p.weights[u]})"
    return body + (f"+{p.bias[u]}" if p.bias else "")


def _linear_whole(ins, p, arg):
    """Every unit at once: MMULT of the whole input block with the params block (+ the bias row)."""
    x = ins[0]
    w = p.block if p.transposed else f"TRANSPOSE({p.block})"
    body = f"MMULT({x.whole},{w})"
    if p.bias:
        body += f"+{p.bias_row}" if p.transposed else f"+TRANSPOSE({p.bias_row})"
    return body


# ---- totals -------------------------------------------------------------------------------------

def _mean_backward(g, xs, W, out, arg):
    x = xs[0]
    return [np.full(x.shape, g / x.shape[0])], None


def _accuracy_forward(xs, W, arg):
    p, y = xs
    return float(np.mean((p[:, 0] > 0.5) == (y[:, 0] > 0.5)))


def _accuracy_t(xs, W, arg):
    p, y = xs
    return ((p[..., 0] > 0.5) == (y[..., 0] > 0.5)).to(p.dtype).mean(dim=-1)


# ---- data features (the data sheet's columns made from the CSV's) -------------------------------

def _dummy_forward(xs, W, arg):
    x = xs[0]
    if isinstance(arg, str):
        low = arg.casefold()
        return np.array([[isinstance(v, str) and v.casefold() == low] for v in x[:, 0]], float)
    return (x.astype(float) == float(arg)).astype(float)


def level_text(level) -> str:
    if isinstance(level, str):
        return '"' + level.replace('"', '""') + '"'
    return repr(float(level)).removesuffix(".0")


def _map(name, doc, formula, forward, backward, torch_f, **kw) -> Op:
    """An element-wise op of one input: the same formula per row and over whole columns."""
    return Op(name, "map", doc, lambda ins, p, arg, u: formula(ins[0].cols[u]), forward, backward, torch_f,
              whole=lambda ins, p, arg: formula(ins[0].whole), **kw)


def _loss(name, doc, formula, forward, backward, torch_f, **kw) -> Op:
    """A loss per row of (pred, target); backward(g, pred, target) is the adjoint of pred."""
    return Op(name, "map", doc, lambda ins, p, arg, u: formula(ins[0].cols[u], ins[1].cols[0]),
              lambda xs, W, arg: forward(*xs), lambda g, xs, W, out, arg: ([backward(g, *xs), None], None),
              lambda xs, W, arg: torch_f(*xs), whole=lambda ins, p, arg: formula(ins[0].whole, ins[1].whole),
              needs_target=True, **kw)


_register(
    Op("relu", "map", "IF(x<0,0,x)", _relu_f, lambda xs, W, a: np.where(xs[0] < 0, 0.0, xs[0]),
       lambda g, xs, W, out, a: ([g * (xs[0] >= 0)], None), _relu_t, whole=_relu_w),
    _map("sigmoid", f"1/(1+EXP(-IF(x<{SIGMOID_FLOOR},{SIGMOID_FLOOR},x)))",
         lambda x: f"1/(1+EXP(-IF({x}<{SIGMOID_FLOOR},{SIGMOID_FLOOR},{x})))",
         lambda xs, W, a: _sigmoid(xs[0]),
         lambda g, xs, W, out, a: ([g * out * (1 - out) * (xs[0] >= SIGMOID_FLOOR)], None),
         lambda xs, W, a: 1.0 / (1.0 + _t().exp(-_t().clamp_min(xs[0], SIGMOID_FLOOR)))),
    _map("tanh", "TANH(x)", lambda x: f"TANH({x})", lambda xs, W, a: tanh(xs[0]),
         lambda g, xs, W, out, a: ([g * (1 - out ** 2)], None), _tanh_t),
    Op("add", "map", "x1+x2+...", _add_formula, _add_forward, _add_backward,
       lambda xs, W, a: _add_forward(xs, W, a), whole=_add_whole, units=lambda us, arg: 1),
    Op("sum", "map", "SUM(x1:xn)", lambda ins, p, a, u: f"SUM({ins[0].block})",
       lambda xs, W, a: xs[0].sum(axis=-1, keepdims=True),
       lambda g, xs, W, out, a: ([np.repeat(g, xs[0].shape[-1], axis=-1)], None),
       lambda xs, W, a: xs[0].sum(dim=-1, keepdim=True), whole=lambda ins, p, a: f"MMULT({ins[0].whole},{ones_col(ins[0])})",
       units=lambda us, arg: 1),
    _loss("sqerr", "(pred-target)^2", lambda p, y: f"({p}-{y})^2", lambda p, y: (p - y) ** 2,
          lambda g, p, y: g * 2.0 * (p - y), lambda p, y: (p - y) ** 2, dformula=lambda p, y: f"2*({p}-{y})"),
    _loss("abserr", "ABS(pred-target)", lambda p, y: f"ABS({p}-{y})", lambda p, y: np.abs(p - y),
          lambda g, p, y: g * np.sign(p - y), lambda p, y: (p - y).abs(), dformula=lambda p, y: f"SIGN({p}-{y})"),
    Op("logloss", "map", f"-IF(target=1,LN(MAX(pred,{EPS_TEXT})),LN(MAX(1-pred,{EPS_TEXT})))",
       lambda ins, p, a, u: _logloss_f(ins[0].cols[u], ins[1].cols[0]), _logloss_forward, _logloss_backward,
       _logloss_t, whole=lambda ins, p, a: _logloss_f(ins[0].whole, ins[1].whole), needs_target=True, binary=True),
    _loss("mnistloss", "IF(target=1,1-pred,pred)", _mnist_f, lambda p, y: np.where(y == 1, 1 - p, p),
          lambda g, p, y: g * np.where(y == 1, -1.0, 1.0), lambda p, y: _t().where(y == 1, 1 - p, p), binary=True),
    Op("linear", "layer", "SUMPRODUCT(inputs, params row) (+ bias)", _linear_formula, _linear_forward,
       _linear_backward, _linear_t, whole=_linear_whole),
    Op("mean", "total", "AVERAGE(column)", lambda ins, p, a, u: f"AVERAGE({ins[0].rel_whole})",
       lambda xs, W, a: float(np.mean(xs[0])), _mean_backward, lambda xs, W, a: xs[0].mean(dim=(-2, -1))),
    Op("accuracy", "total", "share of rows where (pred>0.5) = (target>0.5)",
       lambda ins, p, a, u: f"SUMPRODUCT(--(({ins[0].rel_whole}>0.5)=({ins[1].rel_whole}>0.5)))/COUNT({ins[1].rel_whole})",
       _accuracy_forward, None, _accuracy_t, needs_target=True, binary=True),
    # data features: made from the CSV's raw columns on the data sheet (no params upstream: no gradient)
    Op("value", "feature", "the column as it is", lambda ins, p, a, u: ins[0].cols[0],
       lambda xs, W, a: xs[0].astype(float), whole=lambda ins, p, a: ins[0].whole),
    Op("div_max", "feature", "x / MAX(x column)", lambda ins, p, a, u: f"{ins[0].cols[0]}/{ins[0].aux}",
       lambda xs, W, a: xs[0].astype(float) / np.max(xs[0].astype(float)),
       whole=lambda ins, p, a: f"{ins[0].whole}/MAX({ins[0].whole})"),
    Op("log10p1", "feature", "LOG10(x+1)", lambda ins, p, a, u: f"LOG10({ins[0].cols[0]}+1)",
       lambda xs, W, a: log10(xs[0].astype(float) + 1), whole=lambda ins, p, a: f"LOG10({ins[0].whole}+1)"),
    Op("square", "feature", "x^2", lambda ins, p, a, u: f"{ins[0].cols[0]}^2",
       lambda xs, W, a: xs[0].astype(float) ** 2, whole=lambda ins, p, a: f"{ins[0].whole}^2"),
    Op("scale", "feature", "x / a constant", lambda ins, p, a, u: f"{ins[0].cols[0]}/{level_text(a)}",
       lambda xs, W, a: xs[0].astype(float) / float(a), whole=lambda ins, p, a: f"{ins[0].whole}/{level_text(a)}"),
    Op("dummy", "feature", "1 where x is the level, else 0",
       lambda ins, p, a, u: f"IF({ins[0].cols[0]}={level_text(a)},1,0)", _dummy_forward,
       whole=lambda ins, p, a: f"IF({ins[0].whole}={level_text(a)},1,0)"),
    Op("const", "feature", "the same number on every row", lambda ins, p, a, u: level_text(a),
       lambda xs, W, a: np.full((xs[0].shape[0], 1), float(a)) if xs else np.array([[float(a)]]),
       whole=lambda ins, p, a: level_text(a)),
)

LOSSES = {"mse": "sqerr", "mae": "abserr", "logloss": "logloss", "mnist": "mnistloss"}
OUTPUTS = ("linear", "sigmoid")

from . import ops_conv, ops_embed, ops_softmax  # noqa: E402  (their entries: exp, normalise, crossent, argmax,
#                                                    classacc; lookup, rowdot, rootmean; conv, maxpool)
MORE_OPS = (ops_softmax, ops_embed, ops_conv)

ACCURACY_OPS = ops_softmax.ACCURACY_OPS  # the totals reported as "accuracy"
