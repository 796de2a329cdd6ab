"""The teacher's key: the JSON `sheetnet exercise` writes (the ladder, the models, every student's rows
and starting Params), with the models' layouts rebuilt."""

from __future__ import annotations

from pathlib import Path

from ..errors import SheetnetError
from ..model.graph import Model
from ..model.layout import ModelLayout
from .ladder import StepCells, from_json


class Key:
    """The teacher's key (the JSON exercise writes), with the layouts rebuilt."""

    def __init__(self, d: dict, path=""):
        if d.get("format") != "sheetnet exercise key v1":
            raise SheetnetError(f"{path}: not a sheetnet exercise key (made by sheetnet exercise)")
        self.d, self.path = d, str(path)
        self.rungs = from_json(d["ladder"])
        self.models = {m["name"]: Model.from_json(__import__("json").dumps(m)) for m in d["models"]}
        data = d["data"]
        self.rows = int(data["rows"])
        self.layouts = {n: ModelLayout(m, self.rows, tuple(data["features"]), int(data["target"]))
                        for n, m in self.models.items()}
        self.steps = {sid: StepCells(**{**v, "box": tuple(v["box"]), "aux": [tuple(x) for x in v["aux"]]})
                      for sid, v in d["steps"].items()}
        self.students = {s["id"]: s for s in d["students"] if s["id"]}
        self.by_rows = {s["rows_sha"]: s for s in d["students"]}

    @staticmethod
    def load(path) -> Key:
        import json

        try:
            return Key(json.loads(Path(path).read_text()), path)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise SheetnetError(f"{path}: not a readable exercise key ({type(e).__name__}: {e})") from None
