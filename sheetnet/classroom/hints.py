"""Mistakes students make, each recognised by recomputing it: a hint matched to what the cells hold.

For a step that is wrong, each candidate mistake of its op is computed from the student's own
inputs; the one the student's cells equal is named.  The first hint says what to look at; the
second (grade --hints 2) says how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .reference import expected, inputs, numbers


@dataclass
class Mistake:
    label: str
    hint: str
    stronger: str = ""


PASTED = Mistake("values pasted", "These cells hold numbers, not formulas: they will not change when the data or "
                 "the Params do.", "Type the formula in the first cell and fill it down (do not Paste Special > "
                 "Values).")
TYPED = Mistake("number typed in", "The formula has a number typed where a cell reference belongs: it is right for "
                "today's data only.", "Refer to the cell that holds the number (e.g. $E$1) instead of typing it.")


def _match(got, cand, tol=1e-9) -> bool:
    cand = np.asarray(cand, float)
    if cand.shape != got.shape:
        if cand.size == 1:
            cand = np.full(got.shape, float(cand.ravel()[0]))
        else:
            return False
    ok = np.isfinite(got) & np.isfinite(cand)
    return bool(ok.all() and (np.abs(got - cand) <= tol * np.maximum(1.0, np.abs(cand))).all())


def _shifted(got, want) -> bool:
    """The whole column one row off: row r computes row r+1's (or r-1's) value."""
    if got.shape[0] < 3:
        return False
    return _match(got[1:], want[:-1]) or _match(got[:-1], want[1:])


def candidates(op: str, xs, W, arg, got, key, sc):
    """(Mistake, what the cells would hold) for op's known mistakes."""
    x = xs[0] if xs else None
    with np.errstate(all="ignore"):
        if op == "log10p1":
            v = np.asarray(x, float)
            yield Mistake("LN for LOG10", "LN is the natural logarithm; the lesson takes LOG10 (base 10).",
                          "Use =LOG10(Fare+1), not =LN(Fare+1)."), np.log(v + 1)
            yield Mistake("forgot +1", "LOG10 of the fare itself fails where the fare is 0: add 1 first.",
                          "Use =LOG10(Fare+1)."), np.log10(v)
        elif op == "div_max":
            v = np.asarray(x, float)
            yield Mistake("SUM for MAX", "Divide by the largest value (MAX), not the total.",
                          "Put =MAX(the column) in row 1 and divide by it."), v / np.nansum(v)
            yield Mistake("not normalised", "These cells hold the value itself: divide it by the column's largest "
                          "value (MAX), so that the feature runs from 0 to 1.",
                          "Put =MAX(the column) in row 1 and divide each value by it, pinned with $."), v
            flat = v.reshape(-1)
            below = np.fmax.accumulate(flat[::-1])[::-1].reshape(v.shape)  # MAX of the rows from here down
            yield Mistake("sliding reference", "The MAX range slides down as the formula is filled down, so each "
                          "row divides by the largest value from its own row on: pin the range with $.",
                          "Write the range with dollars ($E$4:$E$715 style), or divide by one MAX cell pinned "
                          "with $."), v / below
        elif op == "dummy":
            col = xs[0][:, 0]
            levels = sorted({v for v in col if v is not None and v == v and v != arg}, key=str)[:12]
            from ..model.ops import OPS, level_text
            yield Mistake("IF turned round", "The IF gives 0 where it should give 1: =IF(test,1,0), 1 when the "
                          "test holds.", f"=IF(cell={level_text(arg)},1,0)."), 1.0 - OPS["dummy"].forward(xs, None, arg)
            for lv in levels:
                yield Mistake(f"level {lv!r} for {arg!r}", f"This dummy is 1 for {level_text(arg)}, not "
                              f"{level_text(lv)}.", f"Compare with {level_text(arg)}: =IF(cell={level_text(arg)},1,0)."), \
                    OPS["dummy"].forward(xs, None, lv)
        elif op == "const":
            yield Mistake("Ones not 1", "Every row of this column is the constant 1 (it carries the Const param).",
                          "Type 1 in every row of the column."), None
        elif op == "linear" and W is not None:
            X = np.asarray(x, float)
            feats = key.d.get("features", {})
            last_const = feats and list(feats.values())[-1]["op"] == "const"
            if last_const and X.shape[1] == W.shape[1]:
                yield Mistake("Ones forgotten", "The SUMPRODUCT leaves out the last column (Ones), so the Const "
                              "param is never used.", "Take the whole row of features, through the Ones column, "
                              "against the whole params row."), X[:, :-1] @ W[:, :X.shape[1] - 1].T
        elif op == "relu":
            v = np.asarray(x, float)
            yield Mistake("IF turned round", "The IF is turned round: a ReLU keeps a positive value and puts 0 "
                          "where it is negative.", "=IF(Lin<0,0,Lin)."), np.where(v < 0, v, 0.0)
            yield Mistake("IF turned round", "The IF is turned round: a ReLU keeps a positive value and puts 0 "
                          "where it is negative.", "=IF(Lin<0,0,Lin)."), np.where(v > 0, 0.0, v)
        elif op == "sqerr":
            p, y = (np.asarray(a, float) for a in xs)
            yield Mistake("not squared", "Square the difference: (prediction - target)^2.", "=(Preds-Survived)^2."), p - y
            yield Mistake("ABS for square", "The lesson's loss squares the difference; ABS is the absolute error.",
                          "=(Preds-Survived)^2."), np.abs(p - y)
        elif op in ("conv", "maxpool"):
            yield from _conv_mistakes(op, xs, W, arg)
        elif op in ("lookup", "rootmean"):
            yield from _collab_mistakes(op, xs, W, arg)
        elif op in SOFTMAX_OPS:
            yield from _softmax_mistakes(op, xs)
        elif op == "mean":
            v = np.asarray(x, float)
            yield Mistake("SUM for AVERAGE", "The total loss is the mean of the Loss column: AVERAGE, not SUM.",
                          "=AVERAGE(the Loss column)."), np.nansum(v)
        elif op == "add":
            cols = np.concatenate([np.asarray(a, float) for a in xs], axis=1)
            if cols.shape[1] > 1:
                yield Mistake("not every ReLU added", "Preds adds every ReLU column.", "=ReLU1+ReLU2."), cols[:, :1]


SOFTMAX_OPS = ("exp", "normalise", "crossent", "argmax")


def _conv_mistakes(op: str, xs, W, arg):
    """The conv lesson's usual mistakes: the ReLU left out, the filter read across for down, AVERAGE pooling."""
    from ..model import ops_conv

    if op == "conv" and W is not None:
        pre = ops_conv._conv_pre(xs, W, arg)
        yield Mistake("ReLU missing", "Each cell is MAX(0, ...) of its window times the filter: negative sums become 0.",
                      "=MAX(0,SUMPRODUCT(window row 1, filter row 1)+...)."), pre.reshape(pre.shape[:-3] + (-1,))
        turned = W.reshape(W.shape[0], -1, 3, 3).swapaxes(-1, -2).reshape(W.shape)
        yield Mistake("filter turned round", "The window's rows meet the filter's columns: a window row goes with the "
                      "same row of the filter.", "=MAX(0,SUMPRODUCT(window row 1, filter row 1)+...), row with row."), \
            ops_conv._conv_forward(xs, turned, arg)
    elif op == "maxpool":
        b = ops_conv._pool_blocks(xs[0], arg)
        yield Mistake("AVERAGE for MAX", "Max-pooling keeps the largest of each 2x2 block, not their mean.",
                      "=MAX(the block's two pairs of cells)."), b.mean(axis=-1).reshape(b.shape[:-4] + (-1,))


def _collab_mistakes(op: str, xs, W, arg):
    """The collab lesson's usual mistakes: the other id looked up, the RMSE's SQRT or AVERAGE."""
    x = np.asarray(xs[0], float)
    if op == "lookup" and W is not None and x.ndim == 2 and x.shape[1] == 2:
        other = x[:, 1 - int(arg)].astype(int) - 1
        if other.min(initial=0) >= 0 and other.max(initial=0) < W.shape[0]:
            yield Mistake("the other id", "These cells look up the row of the other id column (the movie's number "
                          "for a user, or the user's for a movie).", "=INDEX(the block, the row's own id column, "
                          "factor k), the id column pinned with $."), W[other, :]
    elif op == "rootmean":
        yield Mistake("SQRT forgotten", "The loss is the root of the mean squared error (RMSE): take SQRT of the "
                      "AVERAGE.", "=SQRT(AVERAGE(the Loss column))."), np.mean(x)
        yield Mistake("SUM for AVERAGE", "The RMSE averages the squared errors before the SQRT.",
                      "=SQRT(AVERAGE(the Loss column))."), np.sqrt(np.nansum(x))


def _softmax_mistakes(op: str, xs):
    """The softmax lesson's usual mistakes (the course's own sheet takes LOG, base 10)."""
    x = np.asarray(xs[0], float)
    if op == "exp":
        yield Mistake("EXP missing", "These cells hold the scores (Lin) themselves: softmax starts with EXP of each.",
                      "=EXP(the Lin cell)."), x
    elif op == "normalise":
        yield Mistake("EXP not normalised", "These cells hold EXP itself: divide each by the sum of its row's Exp "
                      "cells, so that a row's probabilities add up to 1.",
                      "=Exp/SUM(the row's Exp cells), their columns pinned with $ (e.g. =E4/SUM($E4:$G4))."), x
        yield Mistake("column sum for row sum", "Each cell is divided by its column's total; softmax divides by its "
                      "own row's total (one image, every class).", "=Exp/SUM(the row's Exp cells) (e.g. =E4/SUM($E4:$G4)), then fill right and down."), \
            x / np.nansum(x, axis=0)
    elif op == "crossent":
        y = np.asarray(xs[1], float)
        if np.isin(y, np.arange(x.shape[1])).all():
            pt = np.take_along_axis(x, y.astype(int), axis=1)
            yield Mistake("LOG for LN", "LOG is base 10 (the course's sheet takes it): this lesson's loss, like torch's "
                          "cross_entropy, takes LN, the natural logarithm, a factor LN(10) = 2.3026 larger.",
                          "=-LN(INDEX(the row's Softmax cells,1,class+1))."), -np.log10(pt)
            yield Mistake("minus forgotten", "LN of a probability is negative: the loss is -LN(p), so that it is "
                          "positive and falls as p rises to 1.", "=-LN(INDEX(the row's Softmax cells,1,class+1))."), \
                np.log(pt)
            yield Mistake("every class's -LN", "The loss takes the true class's probability only, not every class's.",
                          "=-LN(INDEX(the row's Softmax cells,1,class+1)): INDEX picks the true class's column."), \
                -np.log(x).sum(axis=1, keepdims=True)
    elif op == "argmax" and x.size:
        yield Mistake("counted from 1", "MATCH counts columns from 1; the classes (and the target) count from 0.",
                      "=MATCH(MAX(the row's Softmax cells),the same cells,0)-1."), np.argmax(x, axis=1)[:, None] + 1.0
        yield Mistake("MAX for the class", "Class is which column holds the highest Softmax, not that probability.",
                      "=MATCH(MAX(the row's Softmax cells),the same cells,0)-1."), x.max(axis=1, keepdims=True)


def diagnose(eng, key, pos, sc, res) -> Mistake | None:
    sheet = eng.index[sc.sheet]
    got, bad, vals = numbers(eng, sheet, sc.box)
    if bad is not None:
        if sc.op == "div_max" and bad[0] > 0 and got.shape[0] > 1:  # right in the first row, errors below
            try:
                first = expected(eng, key, sc)[0]
            except Exception:
                first = None
            if first is not None and _match(got[:1], first[None, :]):
                from xlsxwriter.utility import xl_rowcol_to_cell
                pin = xl_rowcol_to_cell(*sc.aux[0], row_abs=True, col_abs=True) if sc.aux else "the MAX cell"
                return Mistake("sliding reference", "The MAX reference slides as the formula is filled down: pin it "
                               "with $.", f"Write the divisor as {pin} (with dollars) so every row divides by the "
                               "same cell.")
        if all(v is None for v in vals.ravel()):
            return Mistake("empty", "These cells are still empty.", "Type the formula in the first cell, then fill it "
                           "down (or enter one array formula over the block).")
        return None
    try:
        xs, W, arg = inputs(eng, key, sc)
        want = expected(eng, key, sc)
    except Exception:
        return None
    for mistake, cand in candidates(sc.op, xs, W, arg, got, key, sc):
        if cand is None or _match(got, np.atleast_2d(np.asarray(cand, float)).reshape(got.shape)
                                  if np.size(cand) == got.size else cand):
            return mistake
    if want.shape == got.shape and _shifted(got, want):
        return Mistake("off by one row", "The formula reads the wrong row: row r must read row r of its inputs.",
                       "Start the formula in the first data row, reading that same row, then fill down.")
    return None
