"""Declarative lesson templates (templates/*.toml): which columns, which rows, which features."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from ..errors import SheetnetError
from .resources import TEMPLATES, bundled

TRANSFORMS = ("value", "div_max", "log10p1", "square", "scale", "dummy", "const")
BLANK_POLICIES = ("drop", "mode")
TASKS = ("binary", "number", "classes")


@dataclass(frozen=True)
class Feature:
    """One model input: a column of the data sheet, made from a CSV column by one transform."""

    name: str
    transform: str
    column: str | None = None
    level: float | str | None = None  # dummy: the value that gives 1
    value: float = 1.0  # const: the constant
    label: str | None = None  # the param's label (the lesson calls Ones' param "Const")

    @property
    def param_label(self) -> str:
        return self.label or self.name

    @property
    def numeric_source(self) -> bool:
        """Does this feature need its source column to be numbers?"""
        if self.transform in ("value", "div_max", "log10p1", "square", "scale"):
            return True
        return self.transform == "dummy" and not isinstance(self.level, str)


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    data: Path | None
    target: str
    inputs: tuple[str, ...]
    info: tuple[str, ...]
    blanks: str
    blank_columns: tuple[str, ...]
    features: tuple[Feature, ...]
    source: str = "<template>"
    task: str | None = None  # "binary" (0/1 target: accuracy, log loss), "number" or "classes"; None: from the data
    classes: tuple = ()  # task "classes": each class's label, in the order of the target's numbers 0..K-1
    factors: int = 5  # collab (dotprod, bias): factors a user and a movie
    filters: tuple = (2, 2)  # conv: the filters of its two convolution layers
    aliases: dict = field(default_factory=dict)  # column -> other names a data file may give it (MovieLens's userId)
    top: tuple = ()  # collab: keep the (users, items) with the most ratings, ids renumbered 1..N
    start: dict = field(default_factory=dict)  # [start]: params blocks' starting values, by block name
    tie: dict = field(default_factory=dict)  # [tie]: "model.block" = "model.block" (see nets.tie_blocks)
    truth: Path | None = None  # collab: every pair's true rating (the bundled data's own), for the crosstab
    subject: str = ""  # one line for the About sheet and the file's properties
    exercise: tuple = ()  # the exercise ladder: rungs of steps ("data.Age_N", "linear.Linear", ...)
    models: tuple = ("linear", "nnet", "mmult")  # the model sheets, in order
    hidden: int = 2  # the nets' ReLUs
    layers: tuple = ()  # hidden ReLU layers then a linear output (weights and a bias) instead of the plain sum
    output: str = "linear"  # or "sigmoid"
    loss: str = "mse"  # mse, mae, logloss, mnist
    chart: str = ""  # "fit": a chart of the target and the models' predictions against the first input
    training: dict = field(default_factory=dict)  # [training]: unrolled optimizer sheets (see templates/gd.toml)
    split: str = ""  # a column of "train"/"valid": fit and baseline use the train rows, report the valid ones
    fit: dict = field(default_factory=dict)  # [fit]: params trained by torch at build time (see digits.toml)
    baseline: str = ""  # "pixels": the pixel-similarity baseline sheet (mean images, L1/L2 distances)
    image: tuple = ()  # (rows, cols) of the pixel features, for the baseline's image grids
    teaches: str = ""  # the About sheet: what the lesson teaches (a sentence or two)
    try_this: tuple = ()  # the About sheet: what to try, one line each
    variant: str = ""  # the [variants.NAME] table applied, if any
    variants: tuple = ()  # the names of its variants

    @property
    def required_columns(self) -> tuple[str, ...]:
        cols = [self.target, *self.inputs]
        cols += [f.column for f in self.features if f.column]
        cols += list(self.blank_columns)
        return tuple(dict.fromkeys(cols))

    @property
    def numeric_columns(self) -> tuple[str, ...]:
        cols = [self.target] + [f.column for f in self.features if f.numeric_source]
        return tuple(dict.fromkeys(cols))

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def with_blanks(self, blanks: str | None) -> Template:
        if blanks is None:
            return self
        if blanks not in BLANK_POLICIES:
            raise SheetnetError(f"--blanks must be one of {', '.join(BLANK_POLICIES)}, not {blanks!r}")
        from dataclasses import replace

        return replace(self, blanks=blanks)


def _need(d: dict, key: str, where: str, kind=str):
    if key not in d:
        raise SheetnetError(f"{where}: missing key '{key}'")
    if not isinstance(d[key], kind):
        raise SheetnetError(f"{where}: '{key}' must be a {getattr(kind, '__name__', kind)}")
    return d[key]


def _feature(d: dict, where: str) -> Feature:
    name = _need(d, "name", where)
    where = f"{where} ({name})"
    transform = _need(d, "transform", where)
    if transform not in TRANSFORMS:
        raise SheetnetError(f"{where}: unknown transform {transform!r} (one of {', '.join(TRANSFORMS)})")
    column = None if transform == "const" else _need(d, "column", where)
    level = None
    if transform == "dummy":
        level = _need(d, "level", where, (int, float, str))
        if isinstance(level, bool):
            raise SheetnetError(f"{where}: 'level' must be a number or a text")
    value = float(d.get("value", 1.0)) if transform in ("const", "scale") else 1.0
    if transform == "scale" and value == 0:
        raise SheetnetError(f"{where}: 'value' (the divisor) must not be 0")
    return Feature(name=name, transform=transform, column=column, level=level, value=value,
                   label=d.get("label"))


def _expand_names(spec: str, source: str) -> list[str]:
    """"p0..p63" -> p0, p1, ..., p63; any other name as it is."""
    m = re.fullmatch(r"([A-Za-z_]\w*?)(\d+)\.\.\1(\d+)", spec)
    if not m:
        return [spec]
    a, b = int(m.group(2)), int(m.group(3))
    if a > b or b - a > 10_000:
        raise SheetnetError(f"{source}: {spec!r}: write a range of numbered columns, e.g. \"p0..p63\"")
    return [f"{m.group(1)}{k}" for k in range(a, b + 1)]


def _expand(feats: list, source: str) -> list:
    """[[features]] with columns = "p0..p63": one feature per column, each named as its column."""
    out = []
    for f in feats:
        spec = f.get("columns") if isinstance(f, dict) else None
        if spec is None:
            out.append(f)
            continue
        names = _expand_names(str(spec), source)
        if len(names) == 1 and names[0] == str(spec):
            raise SheetnetError(f"{source}: columns = {spec!r}: write a range of numbered columns, e.g. \"p0..p63\"")
        rest = {k: v for k, v in f.items() if k != "columns"}
        out += [{**rest, "name": f"{name}_s" if rest.get("transform") != "value" else name, "column": name}
                for name in names]
    return out


def _data_path(data: str, folder: Path | None) -> Path:
    """A template's data file: bundled ("datasets/..."), else relative to the template's folder."""
    p = Path(data)
    if p.is_absolute():
        return p
    if data.startswith(("datasets/", "templates/")):
        return bundled(data)
    return (folder or Path.cwd()) / p


def _start_blocks(d, source: str) -> dict:
    """[start]: block name -> its numbers, rows of the block (a list of lists) or one flat list."""
    if not isinstance(d, dict):
        raise SheetnetError(f"{source}: [start] must be a table of params blocks")
    out = {}
    for name, rows in d.items():
        flat = [v for r in rows for v in (r if isinstance(r, list) else [r])] if isinstance(rows, list) else None
        if not flat or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in flat):
            raise SheetnetError(f"{source}: [start] {name} must be numbers (rows of the block)")
        out[str(name)] = tuple(float(v) for v in flat)
    return out


MODEL_SHEETS = ("linear", "nnet", "mmult", "softmax", "dotprod", "bias", "conv")


def parse_template(text: str, source: str = "<template>", folder: Path | None = None, variant: str | None = None
                   ) -> Template:
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SheetnetError(f"{source}: not a valid template: {e}") from None
    variants = d.get("variants", {})
    if not isinstance(variants, dict):
        raise SheetnetError(f"{source}: [variants.NAME] tables expected")
    if variant:
        if variant not in variants:
            raise SheetnetError(f"{source}: no variant {variant!r} (variants: {', '.join(variants) or 'none'})")
        d = {**d, **variants[variant]}
    models = tuple(d.get("models", MODEL_SHEETS[:3]))
    if not models or any(m not in MODEL_SHEETS for m in models):
        raise SheetnetError(f"{source}: 'models' takes some of {', '.join(MODEL_SHEETS)}")
    training = d.get("training", {})
    if not isinstance(training, dict):
        raise SheetnetError(f"{source}: [training] must be a table")
    feats = d.get("features")
    if not isinstance(feats, list) or not feats:
        raise SheetnetError(f"{source}: needs at least one [[features]] entry")
    features = tuple(_feature(f, f"{source}: feature {i + 1}") for i, f in enumerate(_expand(feats, source)))
    names = [f.name for f in features]
    if len(set(names)) != len(names):
        raise SheetnetError(f"{source}: feature names must be unique")
    blanks = d.get("blanks", "drop")
    if blanks not in BLANK_POLICIES:
        raise SheetnetError(f"{source}: 'blanks' must be one of {', '.join(BLANK_POLICIES)}")
    data = d.get("data")
    task = d.get("task")
    if task is not None and task not in TASKS:
        raise SheetnetError(f"{source}: 'task' must be one of {', '.join(TASKS)}")
    classes = tuple(str(c) for c in d.get("classes", ()))
    if (task == "classes") != bool(classes) or bool({"softmax", "conv"} & set(models)) != bool(classes):
        raise SheetnetError(f"{source}: task = \"classes\", a 'classes' list and a softmax or conv sheet go together")
    exercise = d.get("exercise", {}).get("ladder", []) if isinstance(d.get("exercise", {}), dict) else []
    if not isinstance(exercise, list) or not all(isinstance(r, dict) and isinstance(r.get("steps"), list)
                                                 for r in exercise):
        raise SheetnetError(f"{source}: [[exercise.ladder]] entries need a 'steps' list")
    inputs = [c for spec in d.get("inputs", ()) for c in _expand_names(str(spec), source)]
    for f in features:  # a transformed feature's source column is copied onto the data sheet too
        if f.column and f.transform != "value" and f.column not in inputs and f.column != d.get("target"):
            inputs.append(f.column)
    return Template(
        name=_need(d, "name", source),
        title=d.get("title", d["name"]),
        data=_data_path(data, folder) if data else None,
        target=_need(d, "target", source),
        inputs=tuple(inputs),
        info=tuple(d.get("info", ())),
        blanks=blanks,
        blank_columns=tuple(d.get("blank_columns", ())),
        features=features,
        source=source,
        task=task,
        classes=classes,
        factors=int(d.get("factors", 5)),
        filters=tuple(int(v) for v in d.get("filters", (2, 2))),
        aliases={str(k): tuple(str(a) for a in v) for k, v in dict(d.get("aliases", {})).items()},
        top=tuple(int(v) for v in d.get("top", ())),
        start=_start_blocks(d.get("start", {}), source),
        tie={str(k): str(v) for k, v in dict(d.get("tie", {})).items()},
        truth=_data_path(d["truth"], folder) if d.get("truth") else None,
        subject=str(d.get("subject", "")),
        exercise=tuple(dict(r) for r in exercise),
        models=models,
        hidden=int(d.get("hidden", 2)),
        layers=tuple(int(v) for v in d.get("layers", ())),
        output=str(d.get("output", "linear")),
        loss=str(d.get("loss", "mse")),
        chart=str(d.get("chart", "")),
        training=dict(training),
        split=str(d.get("split", "")),
        fit=dict(d.get("fit", {})),
        baseline=str(d.get("baseline", "")),
        image=tuple(int(v) for v in d.get("image", ())),
        teaches=str(d.get("teaches", "")),
        try_this=tuple(str(v) for v in d.get("try", ())),
        variant=variant or "",
        variants=tuple(variants),
    )


def load_template(name_or_path: str | Path, variant: str | None = None) -> Template:
    """A bundled template by name ("titanic") or a .toml file by path (and one of its [variants])."""
    p = Path(name_or_path)
    if p.suffix != ".toml":
        p = TEMPLATES / f"{name_or_path}.toml"
        if not p.exists():
            known = ", ".join(sorted(t.stem for t in TEMPLATES.glob("*.toml")))
            raise SheetnetError(f"unknown template {str(name_or_path)!r} (bundled: {known}; or give a .toml path)")
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise SheetnetError(f"{p}: cannot read template ({e.strerror})") from None
    return parse_template(text, str(p), p.parent, variant)
