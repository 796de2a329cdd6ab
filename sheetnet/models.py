"""Each lesson model described once, as a short list of named column steps.

    linear: Linear = SUMPRODUCT(features, Params row)           Loss = (Linear-Survived)^2
    nnet:   Lin1, Lin2 = SUMPRODUCT(features, Params row k)
            ReLU1, ReLU2 = IF(Lin<0,0,Lin)   Preds = ReLU1+ReLU2   Loss = (Preds-Survived)^2
    mmult:  the nnet, with Lin1 and Lin2 from one MMULT(features, Params block)

Every rendering reads these steps: the spreadsheet formulas (sheetnet.build), the numpy values
and gradient here (also the workbook's cached values), and the torch module (sheetnet.twin).
Params are always held as an array W of shape (rows of params, features); the mmult sheet shows
W transposed, as a features x hidden block, because that is the shape MMULT needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import SheetnetError

OPS = ("dot", "relu", "add", "sqerr")


@dataclass(frozen=True)
class Step:
    """One computed column: `name` is its header in the sheet (the lesson's word for it)."""

    name: str
    op: str  # dot: features . W[k]; relu: IF(x<0,0,x); add: sum of columns; sqerr: (x-target)^2
    args: tuple  # dot: (k,); relu: (column,); add: (columns...); sqerr: (column,)


@dataclass(frozen=True)
class Model:
    name: str
    kind: str  # "linear" | "nnet" | "mmult"
    hidden: int  # rows of params (1 for linear, the number of ReLUs for the nets)
    features: tuple[str, ...]  # feature names (data sheet headers)
    param_labels: tuple[str, ...]  # the lesson's labels for the params (Const for Ones)
    steps: tuple[Step, ...]

    @property
    def n_features(self) -> int:
        return len(self.features)

    @property
    def param_shape(self) -> tuple[int, int]:
        return (self.hidden, self.n_features)

    @property
    def n_params(self) -> int:
        return self.hidden * self.n_features

    @property
    def dot_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.op == "dot")

    @property
    def pred(self) -> str:
        """The column whose value is the model's prediction (the input of the Loss step)."""
        return self.steps[-1].args[0]

    def check_params(self, W) -> np.ndarray:
        W = np.asarray(W, dtype=float)
        if W.size != self.n_params:
            raise SheetnetError(f"{self.name}: needs {self.n_params} params, got {W.size}")
        return W.reshape(self.param_shape)

    def forward(self, X: np.ndarray, y: np.ndarray, W, accuracy: bool = True) -> dict:
        """Every step's column, plus the totals `loss` and `accuracy`, exactly as the sheet computes them."""
        W = self.check_params(W)
        cols: dict[str, np.ndarray] = {}
        for s in self.steps:
            if s.op == "dot":
                cols[s.name] = X @ W[s.args[0]]
            elif s.op == "relu":
                x = cols[s.args[0]]
                cols[s.name] = np.where(x < 0, 0.0, x)
            elif s.op == "add":
                cols[s.name] = sum_columns([cols[a] for a in s.args])
            elif s.op == "sqerr":
                cols[s.name] = (cols[s.args[0]] - y) ** 2
        out = dict(cols)
        out["loss"] = float(np.mean(cols[self.steps[-1].name]))
        if accuracy:
            out["accuracy"] = float(np.mean((cols[self.pred] > 0.5) == (y > 0.5)))
        return out

    def loss(self, X, y, W) -> float:
        return self.forward(X, y, W, accuracy=False)["loss"]

    def loss_and_grad(self, X: np.ndarray, y: np.ndarray, W) -> tuple[float, np.ndarray]:
        """Total loss and its exact gradient w.r.t. W (shape of W), by reverse mode over the steps.

        IF(x<0,0,x) has slope 1 where x >= 0 (the branch the sheet takes there), 0 below.
        """
        W = self.check_params(W)
        cols = self.forward(X, y, W, accuracy=False)
        n = len(y)
        adj = {self.steps[-1].name: np.full(n, 1.0 / n)}
        gW = np.zeros_like(W)
        for s in reversed(self.steps):
            a = adj.get(s.name)
            if a is None:
                continue
            if s.op == "sqerr":
                _acc(adj, s.args[0], a * 2.0 * (cols[s.args[0]] - y))
            elif s.op == "add":
                for src in s.args:
                    _acc(adj, src, a)
            elif s.op == "relu":
                _acc(adj, s.args[0], a * (cols[s.args[0]] >= 0))
            elif s.op == "dot":
                gW[s.args[0]] += a @ X
        return cols["loss"], gW


def sum_columns(columns):
    """Left-to-right sum, the order a spreadsheet's `=A+B+C` adds in."""
    total = columns[0]
    for c in columns[1:]:
        total = total + c
    return total


def _acc(adj: dict, name: str, value):
    adj[name] = adj[name] + value if name in adj else value


def build_model(kind: str, features, param_labels=None, hidden: int = 2) -> Model:
    """The lesson's `linear`, `nnet` or `mmult` model over the given features."""
    features = tuple(features)
    labels = tuple(param_labels) if param_labels else features
    if kind == "linear":
        steps = (Step("Linear", "dot", (0,)), Step("Loss", "sqerr", ("Linear",)))
        return Model("linear", "linear", 1, features, labels, steps)
    if kind not in ("nnet", "mmult"):
        raise SheetnetError(f"unknown model {kind!r} (linear, nnet or mmult)")
    if not 1 <= hidden <= 50:
        raise SheetnetError(f"--hidden must be between 1 and 50, not {hidden}")
    lin = [Step(f"Lin{k + 1}", "dot", (k,)) for k in range(hidden)]
    relu = [Step(f"ReLU{k + 1}", "relu", (f"Lin{k + 1}",)) for k in range(hidden)]
    steps = (*lin, *relu, Step("Preds", "add", tuple(s.name for s in relu)), Step("Loss", "sqerr", ("Preds",)))
    return Model(kind, kind, hidden, features, labels, steps)


def lesson_models(features, param_labels=None, hidden: int = 2) -> list[Model]:
    """The three models of the lesson, in the workbook's sheet order."""
    return [build_model(k, features, param_labels, hidden) for k in ("linear", "nnet", "mmult")]


def initial_params(models, seed: int) -> dict[str, np.ndarray]:
    """Seeded starting params, uniform in [-0.5, 0.5) like the lesson's RAND()-0.5.

    nnet and mmult start from the same draw (so they compute the same numbers).  Each value is
    rounded to 15 significant digits so the number written to the sheet reads back exactly.
    """
    rng = np.random.default_rng(seed)
    out, net = {}, None
    for m in models:
        if m.kind == "linear":
            W = rng.uniform(-0.5, 0.5, m.param_shape)
        else:
            if net is None or net.shape != m.param_shape:
                net = rng.uniform(-0.5, 0.5, m.param_shape)
            W = net
        out[m.name] = exact15(W)
    return out


def exact15(a) -> np.ndarray:
    """Round to 15 significant digits: the written decimal then reads back as the same double."""
    a = np.asarray(a, dtype=float)
    return np.vectorize(lambda v: float(f"{v:.15g}"), otypes=[float])(a) if a.size else a
