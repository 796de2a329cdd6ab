"""The op table's entries for convolutions: a 3x3 convolution with its ReLU, and 2x2 max-pooling.

One row an image, its pixels side by side row after row (channel after channel), as the features of the
digits lessons are.  arg = [channels, height, width] of the input.  As the course's conv-example.xlsx:
    conv     MAX(0, the 3x3 window of each input channel times that channel's 3x3 filter, summed)
             =MAX(0,SUMPRODUCT(B4:D4,$P$4:$R$4)+SUMPRODUCT(J4:L4,$S$4:$U$4)+SUMPRODUCT(R4:T4,$V$4:$X$4))
             (a window row is three neighbouring columns; a filter is one params row of 9 per input channel)
    maxpool  MAX of each 2x2 block: =MAX(B4:C4,J4:K4)
Outputs go channel after channel, row after row, as torch's conv2d / max_pool2d flattened.  The numpy and
torch forms add in one fixed order (each product in turn), so every machine gets the same bits (the tests
compare both with torch's own conv2d and max_pool2d).
Registered into OPS by sheetnet.model.ops.
"""

from __future__ import annotations

import numpy as np

from ..torchenv import get_torch
from .opbase import Op, _register

K = 3  # the filters' size
P = 2  # the pooling's size


def _shape(arg):
    c, h, w = (int(v) for v in arg)
    return c, h, w


def conv_units(arg, filters: int) -> int:
    c, h, w = _shape(arg)
    return filters * (h - K + 1) * (w - K + 1)


def pool_units(arg) -> int:
    c, h, w = _shape(arg)
    return c * (h // P) * (w // P)


def _col(ref, c, i, j, h, w):
    return ref.cols[(c * h + i) * w + j]


def _conv_formula(ins, p, arg, u):
    c_in, h, w = _shape(arg)
    oh, ow = h - K + 1, w - K + 1
    o, rest = divmod(u, oh * ow)
    i, j = divmod(rest, ow)
    x = ins[0]
    first = p.weights[o].split(":")[0]  # the filter's params row: 9 cells per input channel
    row, col = _split_cell(first)
    terms = []
    for c in range(c_in):
        for di in range(K):
            a, b = _col(x, c, i + di, j, h, w), _col(x, c, i + di, j + K - 1, h, w)
            k0 = col + c * K * K + di * K
            terms.append(f"SUMPRODUCT({a}:{_bare(b)},{_cell(row, k0)}:{_cell(row, k0 + K - 1)})")
    return f"MAX(0,{'+'.join(terms)})"


def _bare(ref: str) -> str:
    """The end of a range: a cell without its sheet ("data!D{r}" -> "D{r}")."""
    return ref.rpartition("!")[2]


def _split_cell(ref: str) -> tuple[str, int]:
    """'$P$4' (or 'conv!$P$4') -> ('conv!$4' row part, column number 0-based)."""
    from xlsxwriter.utility import xl_cell_to_rowcol

    sheet, _, a1 = ref.rpartition("!")
    r, c = xl_cell_to_rowcol(a1.replace("$", ""))
    return (sheet + "!" if sheet else "", r), c


def _cell(row, c: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    prefix, r = row
    return prefix + xl_rowcol_to_cell(r, c, True, True)


def _windows(x, c_in, h, w):
    """(rows, c_in, h, w) view of flat image rows."""
    return x.reshape(x.shape[:-1] + (c_in, h, w))


def _conv_pre(xs, W, arg):
    c_in, h, w = _shape(arg)
    x = _windows(np.asarray(xs[0], float), c_in, h, w)
    filt = W.reshape(W.shape[0], c_in, K, K)
    oh, ow = h - K + 1, w - K + 1
    out = np.zeros(x.shape[:-3] + (W.shape[0], oh, ow))
    for o in range(W.shape[0]):
        acc = np.zeros(x.shape[:-3] + (oh, ow))
        for c in range(c_in):
            for di in range(K):
                for dj in range(K):
                    acc = acc + x[..., c, di:di + oh, dj:dj + ow] * filt[o, c, di, dj]
        out[..., o, :, :] = acc
    return out


def _conv_forward(xs, W, arg):
    pre = _conv_pre(xs, W, arg)
    return np.maximum(pre, 0.0).reshape(pre.shape[:-3] + (-1,))


def _conv_backward(g, xs, W, out, arg):
    c_in, h, w = _shape(arg)
    x = _windows(np.asarray(xs[0], float), c_in, h, w)
    pre = _conv_pre(xs, W, arg)
    oh, ow = h - K + 1, w - K + 1
    gp = g.reshape(pre.shape) * (pre >= 0)  # MAX(0,x) has slope 1 where x >= 0, as the relu op's
    filt = W.reshape(W.shape[0], c_in, K, K)
    gx = np.zeros_like(x)
    gW = np.zeros_like(filt)
    for o in range(W.shape[0]):
        for c in range(c_in):
            for di in range(K):
                for dj in range(K):
                    gx[..., c, di:di + oh, dj:dj + ow] += gp[..., o, :, :] * filt[o, c, di, dj]
                    gW[o, c, di, dj] = np.sum(gp[..., o, :, :] * x[..., c, di:di + oh, dj:dj + ow])
    return [gx.reshape(xs[0].shape)], gW.reshape(W.shape)


def _conv_torch(xs, W, arg):
    """The same shifted multiply-adds as the numpy form, in the same order: torch's conv2d picks its kernel
    (oneDNN's, by the processor) and would change the last bits, hence the trained weights, by machine."""
    torch = get_torch()
    c_in, h, w = _shape(arg)
    x = xs[0]
    img = x.reshape(x.shape[:-1] + (c_in, h, w))
    oh, ow = h - K + 1, w - K + 1
    filt = W.reshape(W.shape[:-1] + (c_in, K, K))
    outs = []
    for o in range(W.shape[-2]):
        acc = None
        for c in range(c_in):
            for di in range(K):
                for dj in range(K):
                    tap = filt[..., o, c, di, dj].reshape(filt.shape[:-4] + (1, 1, 1))  # (starts,) + rows, h, w
                    term = img[..., c, di:di + oh, dj:dj + ow] * tap
                    acc = term if acc is None else acc + term
        outs.append(torch.relu(acc))
    out = torch.stack(outs, dim=-3)
    return out.reshape(out.shape[:-3] + (-1,))


def _pool_formula(ins, p, arg, u):
    c, h, w = _shape(arg)
    ph, pw = h // P, w // P
    ch, rest = divmod(u, ph * pw)
    i, j = divmod(rest, pw)
    x = ins[0]
    parts = [f"{_col(x, ch, P * i + di, P * j, h, w)}:{_bare(_col(x, ch, P * i + di, P * j + P - 1, h, w))}"
             for di in range(P)]
    return f"MAX({','.join(parts)})"


def _pool_blocks(x, arg):
    c, h, w = _shape(arg)
    ph, pw = h // P, w // P
    v = np.asarray(x, float).reshape(x.shape[:-1] + (c, h, w))[..., :ph * P, :pw * P]
    return v.reshape(v.shape[:-2] + (ph, P, pw, P)).swapaxes(-3, -2).reshape(v.shape[:-2] + (ph, pw, P * P))


def _pool_forward(xs, W, arg):
    b = _pool_blocks(xs[0], arg)
    return b.max(axis=-1).reshape(b.shape[:-4] + (-1,))


def _pool_backward(g, xs, W, out, arg):
    c, h, w = _shape(arg)
    ph, pw = h // P, w // P
    b = _pool_blocks(xs[0], arg)
    first = b.argmax(axis=-1)  # the first largest in reading order, as torch's max_pool2d takes
    gx = np.zeros(xs[0].shape[:-1] + (c, h, w))
    gb = g.reshape(g.shape[:-1] + (c, ph, pw))
    for k in range(P * P):
        di, dj = divmod(k, P)
        gx[..., di:ph * P:P, dj:pw * P:P] += np.where(first == k, gb, 0.0)
    return [gx.reshape(xs[0].shape)], None


def _pool_torch(xs, W, arg):
    torch = get_torch()
    c, h, w = _shape(arg)
    x = xs[0]
    img = x.reshape(-1, c, h, w)
    out = torch.nn.functional.max_pool2d(img, P)
    return out.reshape(x.shape[:-1] + (-1,))


def _pool_units(us, arg) -> int:
    """maxpool's output columns, or -1 when its input is not arg's shape (a description that does not fit)."""
    try:
        c, h, w = _shape(arg)
    except (TypeError, ValueError):
        return -1
    return pool_units(arg) if us[0] == c * h * w and h >= P and w >= P else -1


def _conv_fits(p, width, cols, arg) -> bool:
    try:
        c, h, w = _shape(arg)
    except (TypeError, ValueError):
        return False
    return (h >= K and w >= K and width == c * h * w and not p.bias and p.inputs == c * K * K
            and cols == conv_units(arg, p.units))


_register(
    Op("conv", "layer", "MAX(0, SUMPRODUCT of each 3x3 window row with its filter row, added)", _conv_formula,
       _conv_forward, _conv_backward, _conv_torch, fits=_conv_fits),
    Op("maxpool", "map", "MAX of each 2x2 block", _pool_formula, _pool_forward, _pool_backward, _pool_torch,
       units=lambda us, arg: _pool_units(us, arg)),
)
