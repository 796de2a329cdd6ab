"""A model described once: named steps over the op table, and its numpy rendering.

    Lin    = linear(features, Params)       columns Lin1, Lin2
    ReLU   = relu(Lin)                       columns ReLU1, ReLU2
    Preds  = add(ReLU)
    Loss   = sqerr(Preds, Survived)
    Loss total = mean(Loss)                  the total in B1, what Solver minimises

Every rendering reads these steps: the formulas (sheetnet.model.xlsx), the numpy values and exact
gradient here (also the workbook's cached values), the torch module (sheetnet.model.twin), the
Solver model, the exercise blanks and the grader's reference (sheetnet.classroom).

Params are one flat vector theta: the blocks in order, each block (units x inputs, plus a bias
column when it has one) row by row.  The mmult rendering shows a block transposed, inputs down
and units across, because that is the shape MMULT needs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import SheetnetError
from .ops import ACCURACY_OPS, OPS

FEATURES = "features"  # the name under which a model reads the data sheet's feature block
MAX_UNITS = 1000


@dataclass(frozen=True)
class Param:
    """A block of params: one row per unit, one column per input (and a last one for the bias)."""

    name: str
    units: int
    inputs: int
    bias: bool = False
    in_labels: tuple = ()
    unit_labels: tuple = ()

    @property
    def shape(self) -> tuple[int, int]:
        return (self.units, self.inputs + int(self.bias))

    @property
    def size(self) -> int:
        return self.units * (self.inputs + int(self.bias))


@dataclass(frozen=True)
class Step:
    """A named step: `op` over `inputs` (earlier steps, the features, or the target).

    It writes `columns` side by side (one per unit), or, for a total, one cell labelled `label`."""

    name: str
    op: str
    inputs: tuple = ()
    columns: tuple = ()
    params: str | None = None
    arg: object = None
    label: str = ""

    @property
    def is_total(self) -> bool:
        return OPS[self.op].kind == "total"


@dataclass(frozen=True)
class Model:
    name: str  # the sheet's name
    target: str
    features: tuple
    params: tuple
    steps: tuple
    loss_step: str  # the total that Solver minimises
    pred: str  # the column holding the prediction
    mmult: bool = False  # linear layers as one MMULT block each, params shown transposed
    param_labels: tuple = ()  # the lesson's labels for the features' params (Const for Ones)
    about: str = ""  # one line for the About sheet
    extra: dict = field(default_factory=dict, compare=False)

    # ---- structure ----------------------------------------------------------------------------

    @property
    def n_params(self) -> int:
        return sum(p.size for p in self.params)

    @property
    def n_features(self) -> int:
        return len(self.features)

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def columns(self) -> tuple:
        """The sheet's computed columns, left to right (after the target)."""
        return tuple(c for s in self.steps for c in s.columns)

    @property
    def totals(self) -> tuple:
        return tuple(s for s in self.steps if s.is_total)

    def column_step(self, column: str) -> tuple[Step, int]:
        for s in self.steps:
            if column in s.columns:
                return s, s.columns.index(column)
        raise KeyError(column)

    @property
    def binary(self) -> bool:
        return any(OPS[s.op].binary for s in self.steps)

    def blocks(self, theta) -> dict:
        """Flat params -> {block name: array (units, inputs+bias)} (views; leading batch dims kept)."""
        theta = np.asarray(theta, float) if not hasattr(theta, "requires_grad") else theta
        if theta.shape[-1] != self.n_params:
            raise SheetnetError(f"{self.name}: needs {self.n_params} params, got {theta.shape[-1]}")
        out, k = {}, 0
        for p in self.params:
            out[p.name] = theta[..., k:k + p.size].reshape(theta.shape[:-1] + p.shape)
            k += p.size
        return out

    def flat(self, blocks: dict) -> np.ndarray:
        return np.concatenate([np.asarray(blocks[p.name], float).reshape(-1) for p in self.params])

    # ---- the numpy rendering ------------------------------------------------------------------

    def forward(self, X, y, theta, accuracy: bool = True) -> dict:
        """Every step's value (columns as (rows, units) arrays, totals as floats), as the sheet computes them.

        Also "loss" (the total Solver minimises) and, for a 0/1 target, "accuracy"."""
        W = self.blocks(theta)
        vals = {FEATURES: np.asarray(X, float), self.target: np.asarray(y, float).reshape(-1, 1)}
        for s in self.steps:
            if s.op in ACCURACY_OPS and not accuracy:
                continue
            vals[s.name] = OPS[s.op].forward([vals[i] for i in s.inputs], W.get(s.params), s.arg)
        vals["loss"] = float(vals[self.loss_step])
        acc = next((s for s in self.steps if s.op in ACCURACY_OPS), None)
        if acc is not None and acc.name in vals:
            vals["accuracy"] = float(vals[acc.name])
        return vals

    def column_values(self, vals: dict) -> dict:
        """{column name: (rows,) array} from forward()'s step values."""
        out = {self.target: vals[self.target][:, 0]}
        for s in self.steps:
            for j, c in enumerate(s.columns):
                out[c] = vals[s.name][:, j]
        return out

    def loss(self, X, y, theta) -> float:
        return self.forward(X, y, theta, accuracy=False)["loss"]

    def loss_and_grad(self, X, y, theta) -> tuple[float, np.ndarray]:
        """The total loss and its exact gradient w.r.t. theta, by reverse mode over the steps.

        IF(x<0,0,x) has slope 1 where x >= 0 (the branch the sheet takes there), 0 below."""
        W = self.blocks(theta)
        vals = self.forward(X, y, theta, accuracy=False)
        adj = {self.loss_step: 1.0}
        grads = {p.name: np.zeros(p.shape) for p in self.params}
        for s in reversed(self.steps):
            g = adj.get(s.name)
            if g is None or OPS[s.op].backward is None:
                continue
            xs = [vals[i] for i in s.inputs]
            gx, gW = OPS[s.op].backward(g, xs, W.get(s.params), vals[s.name], s.arg)
            if gW is not None:
                grads[s.params] += gW
            for name, gi in zip(s.inputs, gx):
                if gi is None or name in (FEATURES, self.target):
                    continue
                adj[name] = adj[name] + gi if name in adj else gi
        return vals["loss"], self.flat(grads)

    # ---- stored in a workbook -----------------------------------------------------------------

    def to_json(self) -> str:
        d = asdict(self)
        d.pop("extra")
        return json.dumps(d, separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> Model:
        try:
            d = json.loads(text)
            params = tuple(Param(p["name"], int(p["units"]), int(p["inputs"]), bool(p["bias"]),
                                 tuple(p["in_labels"]), tuple(p["unit_labels"])) for p in d["params"])
            steps = tuple(Step(s["name"], s["op"], tuple(s["inputs"]), tuple(s["columns"]), s["params"],
                               s["arg"], s["label"]) for s in d["steps"])
            m = Model(d["name"], d["target"], tuple(d["features"]), params, steps, d["loss_step"], d["pred"],
                      bool(d["mmult"]), tuple(d["param_labels"]), str(d.get("about", "")))
        except (ValueError, KeyError, TypeError) as e:
            raise SheetnetError(f"not a sheetnet model description ({type(e).__name__}: {e})") from None
        return validate(m)


def validate(m: Model) -> Model:
    """Refuse a description that does not hang together (it may come from a workbook: untrusted)."""
    def bad(why):
        raise SheetnetError(f"model {m.name!r}: {why}")

    known = {FEATURES, m.target}
    names = {p.name: p for p in m.params}
    if len(names) != len(m.params):
        bad("params blocks with the same name")
    for p in m.params:
        if not (1 <= p.units <= MAX_UNITS and 1 <= p.inputs <= 100_000):
            bad(f"params block {p.name} of {p.units} x {p.inputs} is out of range")
    widths = {FEATURES: len(m.features), m.target: 1}
    columns = set()
    for s in m.steps:
        op = OPS.get(s.op)
        if op is None or op.kind == "feature":
            bad(f"step {s.name}: unknown op {s.op!r}")
        if s.name in known:
            bad(f"two steps named {s.name}")
        for i in s.inputs:
            if i not in known:
                bad(f"step {s.name} reads {i!r}, which no earlier step makes")
        if op.needs_target and (not s.inputs or s.inputs[-1] != m.target):
            bad(f"step {s.name}: {s.op} compares with the target {m.target}")
        if op.kind == "layer":
            p = names.get(s.params)
            fits = op.fits or (lambda p, width, cols, arg: p.inputs == width and p.units == cols)
            if p is None or not fits(p, widths[s.inputs[0]], len(s.columns), s.arg):
                bad(f"step {s.name}: params block {s.params!r} does not fit its inputs and columns")
        elif op.kind == "lookup":  # one params row per id, one column per factor; arg: the ids' input column
            p = names.get(s.params)
            if p is None or p.bias or p.inputs != len(s.columns):
                bad(f"step {s.name}: params block {s.params!r} does not fit its columns")
            if not isinstance(s.arg, int) or isinstance(s.arg, bool) or not 0 <= s.arg < widths[s.inputs[0]]:
                bad(f"step {s.name}: reads the ids from input column {s.arg!r}, which its input does not have")
        elif s.params is not None:
            bad(f"step {s.name}: {s.op} takes no params")
        if op.kind == "total":
            if s.columns:
                bad(f"step {s.name}: a total writes no columns")
        else:
            want = op.units([widths[i] for i in s.inputs], s.arg) if op.units else \
                (len(s.columns) if op.kind in ("layer", "lookup") else widths[s.inputs[0]])
            if len(s.columns) != want or want < 1:
                bad(f"step {s.name}: writes {len(s.columns)} columns, not {want}")
        for c in s.columns:
            if c in columns or c in (m.target,):
                bad(f"column {c} appears twice")
            columns.add(c)
        known.add(s.name)
        widths[s.name] = len(s.columns) or 1
    if m.loss_step not in known or not m.step(m.loss_step).is_total:
        bad(f"the loss {m.loss_step!r} is not a total")
    if m.pred not in columns:
        bad(f"the prediction {m.pred!r} is not a column")
    return m
