"""Training unrolled into rows: one row a step, params flowing down, every number a live formula.

For a linear model (Linear = SUMPRODUCT(features, Params), a loss per row, its mean) the description
gives everything a step needs as formulas: the loss over the data as one SUMPRODUCT, each param's
derivative from the loss op's dformula (SUMPRODUCT(dloss, feature)/n: the derivative, not a finite
difference), central differences beside it, then the optimizer's state and update
(sheetnet.training.optimizers).  Change the learning rate cell and the whole run recomputes.

    Row 1: the final loss, the hyperparameters (yellow), h of the finite differences
    Row 3: Step | (Batch) | params... | Loss | dLoss/d... | FD d... | state...
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from ..errors import SheetnetError
from .graph import FEATURES, Model
from .layout import FIRST_ROW, HEADER_ROW, NOTE_ROW, TOTAL_ROW, cell
from .ops import OPS

MAX_FEATURES = 8  # formulas grow with the features: unrolled sheets are for small models
FD_H = 1e-4


def linear_parts(m: Model) -> str:
    """The loss op of a linear model an unrolled sheet can show, else a one-line refusal."""
    ops = [s.op for s in m.steps]
    lin = [s for s in m.steps if s.op == "linear"]
    if len(lin) != 1 or lin[0].inputs != (FEATURES,) or m.params[0].bias or "sigmoid" in ops:
        raise SheetnetError(f"model {m.name}: unrolled training sheets show a linear model (SUMPRODUCT of the "
                            f"features and Params, then a loss); this one is {' -> '.join(ops)}")
    loss = next(s for s in m.steps if s.name == "Loss")
    if OPS[loss.op].dformula is None:
        raise SheetnetError(f"model {m.name}: the loss {loss.op} has no derivative formula for an unrolled sheet")
    if len(m.features) > MAX_FEATURES:
        raise SheetnetError(f"model {m.name}: {len(m.features)} features; unrolled sheets take at most {MAX_FEATURES}")
    return loss.op


@dataclass
class SheetPlan:
    """Where an optimizer sheet puts everything (0-based rows and columns)."""

    name: str
    optimizer: str
    hyper: dict  # name -> value
    steps: int
    n_params: int
    labels: tuple
    states: tuple
    minibatch: bool
    batches: list = field(default_factory=list)  # per step: data row indices (0-based)

    @property
    def col_step(self):
        return 0

    @property
    def col_params(self):
        return 2 if self.minibatch else 1

    @property
    def col_loss(self):
        return self.col_params + self.n_params

    @property
    def col_grad(self):
        return self.col_loss + 1

    @property
    def col_fd(self):
        return self.col_grad + self.n_params

    @property
    def col_state(self):
        return self.col_fd + self.n_params

    def state_col(self, s: str, j: int) -> int:
        return self.col_state + self.states.index(s) * self.n_params + j

    def hyper_cell(self, name: str) -> tuple[int, int]:
        k = list(self.hyper).index(name)
        return TOTAL_ROW, 3 + 2 * k + 1

    @property
    def h_cell(self) -> tuple[int, int]:
        return TOTAL_ROW, 3 + 2 * len(self.hyper) + 1

    @property
    def last_row(self) -> int:
        return FIRST_ROW + self.steps

    def describe(self) -> dict:
        return {"sheet": self.name, "optimizer": self.optimizer, "steps": self.steps, "params": self.n_params,
                "hyper": {k: list(self.hyper_cell(k)) for k in self.hyper}, "h": list(self.h_cell),
                "cols": {"params": self.col_params, "loss": self.col_loss, "grad": self.col_grad,
                         "fd": self.col_fd}, "batches": [[int(i) for i in b] for b in self.batches]}


def headers(sp: SheetPlan) -> list[str]:
    out = ["Step"] + (["Batch rows"] if sp.minibatch else []) + list(sp.labels) + ["Loss"]
    out += [f"dLoss/d{lb}" for lb in sp.labels] + [f"FD d{lb}" for lb in sp.labels]
    out += [f"{s} {lb}" for s in sp.states for lb in sp.labels]
    return out


class Formulas:
    """The formulas of one sheet, from the model's loss op and the optimizer's templates."""

    def __init__(self, sp: SheetPlan, opt, loss_op: str, feature_ranges, target_range, n: int, batch_refs=None):
        self.sp, self.opt, self.op = sp, opt, OPS[loss_op]
        self.feats, self.target, self.n = feature_ranges, target_range, n
        self.batch_refs = batch_refs  # step -> (feature ranges, target range, rows) on the Batches sheet

    def _pred(self, R: int, feats, shift: tuple | None = None) -> str:
        terms = []
        for j, X in enumerate(feats):
            p = cell(R - 1, self.sp.col_params + j)
            if shift and shift[0] == j:
                p = f"({p}{shift[1]}{self._h()})"
            terms.append(f"{p}*{X}")
        return "(" + "+".join(terms) + ")"

    def _h(self) -> str:
        return cell(*self.sp.h_cell, True)

    def _rows(self, t: int):
        if self.sp.minibatch and self.batch_refs is not None and t < self.sp.steps:
            return self.batch_refs[t]
        return self.feats, self.target, self.n

    # The loss, its derivatives and their central differences are single-cell array formulas of SUM: Gnumeric's
    # SUMPRODUCT takes ABS(range) or SIGN(range) of a non-array formula as one cell (0.428 for 2.4219, #VALUE!),
    # and every spreadsheet computes an array formula's SUM over the arrays alike.
    def _loss_sum(self, pred: str, y: str) -> str:
        """The loss summed over rows: SUM of the loss op's whole-column formula."""
        return f"SUM({self.op.whole([SimpleNamespace(whole=pred), SimpleNamespace(whole=y)], None, None)})"

    def loss(self, R: int) -> str:
        return f"{{={self._loss_sum(self._pred(R, self.feats), self.target)}/{self.n}}}"

    def grad(self, R: int, t: int, j: int) -> str:
        feats, y, n = self._rows(t)
        d = self.op.dformula(self._pred(R, feats), y)
        return f"{{=SUM(({d})*{feats[j]})/{n}}}"

    def fd(self, R: int, t: int, j: int) -> str:
        feats, y, n = self._rows(t)

        up, down = (self._loss_sum(self._pred(R, feats, (j, sign)), y) for sign in "+-")
        return f"{{=({up}-{down})/(2*{self._h()}*{n})}}"

    def _fill(self, tpl: str, R: int, j: int) -> str:
        sp = self.sp
        out = tpl.replace("{p}", cell(R - 1, sp.col_params + j)).replace("{g}", cell(R - 1, sp.col_grad + j))
        for s in sp.states:
            out = out.replace("{s:%s}" % s, cell(R - 1, sp.state_col(s, j)))
            out = out.replace("{prev:%s}" % s, cell(R - 2, sp.state_col(s, j)))
        for h in sp.hyper:
            out = out.replace("{h:%s}" % h, cell(*sp.hyper_cell(h), True))
        return out.replace("{k}", f"({cell(R - 1, sp.col_step)}+1)")

    def state(self, R: int, t: int, s: str, j: int) -> str:
        return "=" + self._fill(self.opt.first[s] if t == 0 else self.opt.next[s], R, j)

    def update(self, R: int, j: int) -> str:
        """theta_{t+1} in row R, from row R-1."""
        return "=" + self._fill(self.opt.update, R - 1, j)


def write_sheet(ws, fm, sp: SheetPlan, f: Formulas, values: dict, note: str):
    """Write one optimizer sheet; values: thetas, losses, grads, fd, states (numpy, the cached values)."""
    ws.write(TOTAL_ROW, 0, "Final loss", fm["total_label"])
    ws.write_formula(TOTAL_ROW, 1, f"={cell(sp.last_row, sp.col_loss)}", fm["total"], float(values["losses"][-1]))
    for k, v in sp.hyper.items():
        r, c = sp.hyper_cell(k)
        ws.write(r, c - 1, k, fm["total_label"])
        ws.write_number(r, c, float(v), fm["param"])
    r, c = sp.h_cell
    ws.write(r, c - 1, "h (FD)", fm["total_label"])
    ws.write_number(r, c, FD_H, fm["param"])
    ws.write(NOTE_ROW, 0, note, fm["note"])
    for c, h in enumerate(headers(sp)):
        ws.write(HEADER_ROW, c, h, fm["header"])
    ws.freeze_panes(FIRST_ROW, sp.col_params)
    ws.set_column(0, 0, 6)
    ws.set_column(sp.col_params, sp.col_state + len(sp.states) * sp.n_params, 11)
    if sp.minibatch:
        ws.set_column(1, 1, 14)
    th, loss, g, fd, st = values["thetas"], values["losses"], values["grads"], values["fd"], values["states"]
    for t in range(sp.steps + 1):
        R = FIRST_ROW + t + 1  # 1-based
        ws.write_number(R - 1, sp.col_step, t, fm["computed_int"])
        if sp.minibatch and t < sp.steps:
            ws.write_string(R - 1, 1, " ".join(str(int(i) + 1) for i in sp.batches[t]), fm["info"])
        for j in range(sp.n_params):
            if t == 0:
                ws.write_number(R - 1, sp.col_params + j, float(th[0, j]), fm["param"])
            else:
                ws.write_formula(R - 1, sp.col_params + j, f.update(R, j), fm["computed"], float(th[t, j]))
        _array(ws, R - 1, sp.col_loss, f.loss(R), fm["total"] if t == sp.steps else fm["computed"], float(loss[t]))
        if t == sp.steps:
            continue
        for j in range(sp.n_params):
            _array(ws, R - 1, sp.col_grad + j, f.grad(R, t, j), fm["computed"], float(g[t, j]))
            _array(ws, R - 1, sp.col_fd + j, f.fd(R, t, j), fm["info"], float(fd[t, j]))
            for s in sp.states:
                ws.write_formula(R - 1, sp.state_col(s, j), f.state(R, t, s, j), fm["computed"], float(st[s][t, j]))


def _array(ws, r: int, c: int, formula: str, fmt, value: float):
    """A single-cell array formula ({=...}) with its cached value."""
    ws.write_array_formula(r, c, r, c, formula, fmt, value)


def finite_differences(sum_rows, thetas, steps, batches, minibatch, h=FD_H) -> np.ndarray:
    """numpy's central differences of each step's loss (on its batch), in the FD columns' order of operations:
    (S(theta+h) - S(theta-h)) / (2*h*n), S the loss summed over the rows.  sum_rows(theta, rows) -> (S, n)."""
    P = thetas.shape[1]
    out = np.zeros((steps, P))
    for t in range(steps):
        rows = batches[t] if minibatch else None
        for j in range(P):
            up, down = thetas[t].copy(), thetas[t].copy()
            up[j], down[j] = up[j] + h, down[j] - h
            (s1, n), (s2, _) = sum_rows(up, rows), sum_rows(down, rows)
            out[t, j] = (s1 - s2) / (2 * h * n)
    return out


def to_json(plans) -> str:
    return json.dumps({"format": "sheetnet training v1", "sheets": [p.describe() for p in plans]},
                      separators=(",", ":"))
