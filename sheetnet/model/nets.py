"""The lessons' models as short descriptions (lists of steps), in the lesson's own words.

    linear     Linear = SUMPRODUCT(features, Params)                      (Preds = sigmoid(Linear))
    nnet       Lin1..LinN, ReLU1..ReLUN = IF(Lin<0,0,Lin), Preds = ReLU1+...+ReLUN
    mmult      the nnet, every Lin column from one MMULT(features, Params block)
    layers     Lin1_1.., ReLU1_1.., Lin2_1.., ReLU2_1.., then a linear output (weights and a bias)

Output: "linear" (the lesson) or "sigmoid" (Preds = 1/(1+EXP(-IF(x<-700,-700,x))), the IF keeping EXP
below its overflow).  Loss per row: "mse"
(squared error, the lesson), "mae" (absolute error) or "logloss" (binary cross-entropy, clipped).
"""

from __future__ import annotations

import numpy as np

from ..errors import SheetnetError
from .graph import FEATURES, Model, Param, Step, validate
from .ops import LOSSES, OPS, OUTPUTS


def _head(steps: list, pre: str, target: str, output: str, loss: str, binary: bool, pre_label: str = "Sum"):
    """Output activation, the loss column and the totals after the column `pre` (the raw prediction)."""
    if output not in OUTPUTS:
        raise SheetnetError(f"--output must be one of {', '.join(OUTPUTS)}, not {output!r}")
    if loss not in LOSSES:
        raise SheetnetError(f"--loss must be one of {', '.join(LOSSES)}, not {loss!r}")
    pred = pre
    if output == "sigmoid":
        steps.append(Step("Preds", "sigmoid", (pre,), ("Preds",)))
        pred = "Preds"
    op = LOSSES[loss]
    if OPS[op].binary and not binary:
        raise SheetnetError(f"--loss {loss} needs a 0/1 target; {target} is not one")
    steps.append(Step("Loss", op, (pred, target), ("Loss",)))
    steps.append(Step("Loss total", "mean", ("Loss",), label="Loss"))
    if binary:
        steps.append(Step("Accuracy", "accuracy", (pred, target), label="Accuracy"))
    return pred


def linear(features, target: str, labels=None, output="linear", loss="mse", binary=True, name="linear") -> Model:
    feats = tuple(features)
    labels = tuple(labels or feats)
    steps = [Step("Linear", "linear", (FEATURES,), ("Linear",), "Params")]
    pred = _head(steps, "Linear", target, output, loss, binary)
    params = (Param("Params", 1, len(feats), False, labels, ("Linear",)),)
    about = "Linear = SUMPRODUCT(features, Params)" + \
        ("; Preds = 1/(1+EXP(-IF(Linear<-700,-700,Linear)))" if output == "sigmoid" else "")
    return validate(Model(name, target, feats, params, tuple(steps), "Loss total", pred, False, labels, about))


def net(features, target: str, labels=None, hidden: int = 2, layers=None, mmult=False, output="linear", loss="mse",
        binary=True, name=None) -> Model:
    """The lesson's net (N ReLUs summed), or hidden ReLU layers then a linear output (`layers`)."""
    feats = tuple(features)
    labels = tuple(labels or feats)
    name = name or ("mmult" if mmult else "nnet")
    if layers:
        return _deep(feats, target, labels, tuple(int(h) for h in layers), mmult, output, loss, binary, name)
    if not 1 <= hidden <= 50:
        raise SheetnetError(f"--hidden must be between 1 and 50, not {hidden}")
    lin = tuple(f"Lin{k + 1}" for k in range(hidden))
    relu = tuple(f"ReLU{k + 1}" for k in range(hidden))
    steps = [Step("Lin", "linear", (FEATURES,), lin, "Params"), Step("ReLU", "relu", ("Lin",), relu)]
    total = "Sum" if output == "sigmoid" else "Preds"
    steps.append(Step(total, "add", ("ReLU",), (total,)))
    pred = _head(steps, total, target, output, loss, binary)
    params = (Param("Params", hidden, len(feats), False, labels, lin),)
    how = "every Lin column from one MMULT(features, Params block)" if mmult else \
        "Lin = SUMPRODUCT(features, Params row)"
    about = f"{hidden} hidden units: {how}; ReLU = IF(Lin<0,0,Lin); {total} = sum of ReLUs" + \
        ("; Preds = 1/(1+EXP(-IF(Sum<-700,-700,Sum)))" if output == "sigmoid" else "")
    return validate(Model(name, target, feats, params, tuple(steps), "Loss total", pred, mmult, labels, about))


def _deep(feats, target, labels, layers, mmult, output, loss, binary, name) -> Model:
    if not 1 <= len(layers) <= 8 or any(not 1 <= h <= 100 for h in layers):
        raise SheetnetError(f"--layers takes 1 to 8 layer sizes of 1 to 100 units, not {','.join(map(str, layers))}")
    one = len(layers) == 1
    steps, params = [], []
    prev, prev_labels = FEATURES, labels
    for li, h in enumerate(layers, start=1):
        tag = "" if one else str(li)
        lin = tuple(f"Lin{tag}{'' if one else '_'}{u + 1}" for u in range(h))
        relu = tuple(f"ReLU{tag}{'' if one else '_'}{u + 1}" for u in range(h))
        pname = "Params" if one else f"Params{li}"
        params.append(Param(pname, h, len(prev_labels), li > 1, tuple(prev_labels), lin))
        steps += [Step(f"Lin{tag}", "linear", (prev,), lin, pname), Step(f"ReLU{tag}", "relu", (f"Lin{tag}",), relu)]
        prev, prev_labels = f"ReLU{tag}", relu
    out = "Out" if output == "sigmoid" else "Preds"
    pname = "Params" + str(len(layers) + 1) if not one else "Output"
    params.append(Param(pname, 1, len(prev_labels), True, tuple(prev_labels), (out,)))
    steps.append(Step(out, "linear", (prev,), (out,), pname))
    pred = _head(steps, out, target, output, loss, binary)
    shape = " -> ".join(map(str, layers))
    names = "Lin1..LinN and ReLU1..ReLUN" if one else "layer l's units are Linl_1.., ReLUl_1.."
    about = (f"hidden ReLU layers {shape} ({names}), each Lin = SUMPRODUCT(previous columns, Params row)"
             f"{' (one MMULT per layer)' if mmult else ''} + bias; {out} = a linear output with a bias")
    return validate(Model(name, target, feats, tuple(params), tuple(steps), "Loss total", pred, mmult, labels, about))


def softmax(features, target: str, classes, labels=None, name="softmax") -> Model:
    """One score per class (Lin_k), EXP, divided by the row's sum (Softmax_k), the cross-entropy of the
    true class (target: the class number 0..K-1), the predicted Class and the Accuracy."""
    feats = tuple(features)
    labels = tuple(labels or feats)
    classes = tuple(str(c) for c in classes)
    if not 2 <= len(classes) <= 50 or len(set(classes)) != len(classes):
        raise SheetnetError(f"a softmax needs 2 to 50 different classes, not {', '.join(classes) or 'none'}")
    lin, ex, sm = (tuple(f"{tag}_{c}" for c in classes) for tag in ("Lin", "Exp", "Softmax"))
    steps = (Step("Lin", "linear", (FEATURES,), lin, "Params"), Step("Exp", "exp", ("Lin",), ex),
             Step("Softmax", "normalise", ("Exp",), sm), Step("Loss", "crossent", ("Softmax", target), ("Loss",)),
             Step("Loss total", "mean", ("Loss",), label="Loss"), Step("Class", "argmax", ("Softmax",), ("Class",)),
             Step("Accuracy", "classacc", ("Class", target), label="Accuracy"))
    params = (Param("Params", len(classes), len(feats), False, labels, lin),)
    about = (f"{len(classes)} classes ({', '.join(classes)}): Lin_k = SUMPRODUCT(features, Params row k); "
             "Exp_k = EXP(Lin_k); Softmax_k = Exp_k / SUM(the row's Exp); Class = the column of the highest "
             "Softmax (0 for the first class)")
    return validate(Model(name, target, feats, params, steps, "Loss total", "Class", False, labels, about))


def collab(features, target: str, users: int, movies: int, factors: int = 5, biases: bool = False,
           name=None) -> Model:
    """Collaborative filtering, one row a rating: the user's and the movie's factors looked up (embeddings),
    Preds their dot product (plus a user and a movie bias), the squared error and its RMSE."""
    feats = tuple(features)
    if len(feats) != 2:
        raise SheetnetError(f"collab reads two id columns (user, movie), not {', '.join(feats)}")
    if not 1 <= factors <= 50 or not 1 <= users <= 10_000 or not 1 <= movies <= 10_000:
        raise SheetnetError(f"collab takes 1 to 50 factors and 1 to 10,000 users and movies, not {factors}, "
                            f"{users}, {movies}")
    name = name or ("bias" if biases else "dotprod")
    f = tuple(f"f{k + 1}" for k in range(factors))
    uf, mf = tuple(f"User_{x}" for x in f), tuple(f"Movie_{x}" for x in f)
    who = tuple(f"{feats[0]} {i + 1}" for i in range(users)), tuple(f"{feats[1]} {i + 1}" for i in range(movies))
    params = [Param("Users", users, factors, False, f, who[0]), Param("Movies", movies, factors, False, f, who[1])]
    steps = [Step("UserF", "lookup", (FEATURES,), uf, "Users", 0), Step("MovieF", "lookup", (FEATURES,), mf, "Movies", 1)]
    if biases:
        params += [Param("UserBias", users, 1, False, ("bias",), who[0]),
                   Param("MovieBias", movies, 1, False, ("bias",), who[1])]
        steps += [Step("Dot", "rowdot", ("UserF", "MovieF"), ("Dot",)),
                  Step("UserB", "lookup", (FEATURES,), ("UserB",), "UserBias", 0),
                  Step("MovieB", "lookup", (FEATURES,), ("MovieB",), "MovieBias", 1),
                  Step("Preds", "add", ("Dot", "UserB", "MovieB"), ("Preds",))]
    else:
        steps.append(Step("Preds", "rowdot", ("UserF", "MovieF"), ("Preds",)))
    steps += [Step("Loss", "sqerr", ("Preds", target), ("Loss",)), Step("Loss total", "rootmean", ("Loss",), label="Loss")]
    about = (f"{factors} factors a user and a movie: UserF = INDEX(Users block, {feats[0]}, k), MovieF likewise; "
             + ("Dot = SUMPRODUCT(UserF, MovieF), Preds = Dot + UserB + MovieB (each bias looked up the same way)"
                if biases else "Preds = SUMPRODUCT(UserF, MovieF)") + "; the Loss in B1 is the RMSE")
    return validate(Model(name, target, feats, tuple(params), tuple(steps), "Loss total", "Preds", False, feats, about))


def convnet(features, target: str, classes, image=(8, 8), filters=(2, 2), name="conv") -> Model:
    """The course's conv-example: 3x3 filters with a ReLU (Conv1 over the image, Conv2 over Conv1's channels),
    2x2 max-pooling, a dense layer with biases to one score per class, then the softmax and cross-entropy."""
    from .ops_conv import conv_units, pool_units

    feats = tuple(features)
    classes = tuple(str(c) for c in classes)
    h, w = (int(v) for v in image)
    if h * w != len(feats) or h < 6 or w < 6 or len(filters) != 2 or not all(1 <= f <= 8 for f in filters):
        raise SheetnetError(f"conv takes an image of at least 6 x 6 pixels as its features ({len(feats)} here) and "
                            f"two layers of 1 to 8 filters")
    if not 2 <= len(classes) <= 50:
        raise SheetnetError(f"conv needs 2 to 50 classes, not {len(classes)}")
    shapes = [(1, h, w), (filters[0], h - 2, w - 2), (filters[1], h - 4, w - 4)]
    steps, params, prev = [], [], FEATURES
    for li, (f, shape) in enumerate(zip(filters, shapes), start=1):
        oh, ow = shape[1] - 2, shape[2] - 2
        cols = tuple(f"Conv{li}_{o + 1}_{i + 1}{j + 1}" for o in range(f) for i in range(oh) for j in range(ow))
        assert len(cols) == conv_units(shape, f)
        taps = tuple(f"ch{c + 1}_{di + 1}{dj + 1}" for c in range(shape[0]) for di in range(3) for dj in range(3))
        params.append(Param(f"Filters{li}", f, shape[0] * 9, False, taps, tuple(f"filter {o + 1}" for o in range(f))))
        steps.append(Step(f"Conv{li}", "conv", (prev,), cols, f"Filters{li}", list(shape)))
        prev = f"Conv{li}"
    c, ph, pw = filters[1], (h - 4) // 2, (w - 4) // 2
    pool = tuple(f"Pool_{o + 1}_{i + 1}{j + 1}" for o in range(c) for i in range(ph) for j in range(pw))
    assert len(pool) == pool_units(shapes[2])
    steps.append(Step("Pool", "maxpool", ("Conv2",), pool, None, list(shapes[2])))
    lin, ex, sm = (tuple(f"{tag}_{k}" for k in classes) for tag in ("Lin", "Exp", "Softmax"))
    params.append(Param("Dense", len(classes), len(pool), True, pool, lin))
    steps += [Step("Lin", "linear", ("Pool",), lin, "Dense"), Step("Exp", "exp", ("Lin",), ex),
              Step("Softmax", "normalise", ("Exp",), sm), Step("Loss", "crossent", ("Softmax", target), ("Loss",)),
              Step("Loss total", "mean", ("Loss",), label="Loss"), Step("Class", "argmax", ("Softmax",), ("Class",)),
              Step("Accuracy", "classacc", ("Class", target), label="Accuracy")]
    about = (f"Conv1: {filters[0]} 3x3 filters over the {h}x{w} image, each cell MAX(0, its window times the filter); "
             f"Conv2: {filters[1]} filters over Conv1's channels; Pool: MAX of each 2x2 block; Lin_k = SUMPRODUCT(Pool, "
             f"Dense row k) + bias; Exp, Softmax, Class as on the softmax lesson")
    return validate(Model(name, target, feats, tuple(params), tuple(steps), "Loss total", "Class", False, feats, about))


def lesson_models(features, target: str, labels=None, hidden: int = 2, layers=None, output="linear", loss="mse",
                  binary=True) -> list[Model]:
    """The lesson's three sheets: linear, nnet and mmult (the same net written with MMULT)."""
    kw = dict(labels=labels, output=output, loss=loss, binary=binary)
    return [linear(features, target, **kw),
            net(features, target, hidden=hidden, layers=layers, **kw),
            net(features, target, hidden=hidden, layers=layers, mmult=True, **kw)]


def initial_params(models, seed: int) -> dict[str, np.ndarray]:
    """Seeded starting params, uniform in [-0.5, 0.5) like the lesson's RAND()-0.5.

    Models of the same shape (nnet and mmult) start from the same draw, so they compute the same
    numbers.  Each value is rounded to 15 significant digits so the number written reads back exactly.
    """
    rng = np.random.default_rng(seed)
    out, drawn = {}, {}
    for m in models:
        key = tuple((p.shape, p.bias) for p in m.params)
        if key not in drawn:
            drawn[key] = rng.uniform(-0.5, 0.5, m.n_params)
        out[m.name] = exact15(drawn[key])
    return out


def pin_blocks(start: dict, models, blocks: dict, source: str = "<template>") -> dict:
    """The seeded start with some params blocks set as a template's [start] gives them (conv's Filters1 = the
    course's top-edge and left-edge filters), in every model that has a block of that name."""
    out = dict(start)
    for m in models:
        theta, k = np.array(out[m.name], float), 0
        for p in m.params:
            if p.name in blocks:
                v = np.asarray(blocks[p.name], float).reshape(-1)
                if v.size != p.size:
                    raise SheetnetError(f"{source}: [start] {p.name} needs {p.size} numbers ({p.units} rows of "
                                        f"{p.size // p.units}), not {v.size}")
                theta[k:k + p.size] = exact15(v)
            k += p.size
        out[m.name] = theta
    return out


def tie_blocks(start: dict, models, ties: dict, source: str = "<template>") -> dict:
    """[tie] "softmax.Params" = "linear.Params": the first block starts as the second's values in its last rows and
    0 above them.  A softmax over two classes whose first score is 0 is the sigmoid of the second: with the
    linear sheet's weights in its last row, Softmax_2 equals the linear sheet's Preds, row by row."""
    out = dict(start)
    where = {}
    for m in models:
        k = 0
        for p in m.params:
            where[f"{m.name}.{p.name}"] = (m, p, k)
            k += p.size
    for dst, src in ties.items():
        if dst not in where or src not in where:
            raise SheetnetError(f"{source}: [tie] {dst} = {src}: no such model.block (blocks: {', '.join(where)})")
        (md, pd_, kd), (ms, ps, ks) = where[dst], where[src]
        if pd_.shape[1] != ps.shape[1] or pd_.units < ps.units:
            raise SheetnetError(f"{source}: [tie] {src} ({ps.units} x {ps.shape[1]}) does not fit in the last rows "
                                f"of {dst} ({pd_.units} x {pd_.shape[1]})")
        theta = np.array(out[md.name], float)
        block = np.zeros(pd_.shape)
        block[-ps.units:] = np.asarray(out[ms.name], float)[ks:ks + ps.size].reshape(ps.shape)
        theta[kd:kd + pd_.size] = block.reshape(-1)
        out[md.name] = theta
    return out


def exact15(a) -> np.ndarray:
    """Round to 15 significant digits: the written decimal then reads back as the same double."""
    a = np.asarray(a, dtype=float)
    return np.vectorize(lambda v: float(f"{v:.15g}"), otypes=[float])(a) if a.size else a
