"""The bundled templates and data sets.

In a checkout (and an editable install) they are the top-level folders `templates/` and
`datasets/`; a wheel carries the same files inside the package (sheetnet/bundled/...), mapped there
by pyproject.toml, so `pip install .` then `sheetnet demo` works from any folder.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent  # the checkout, when running from one


def _folder(name: str) -> Path:
    inside = resources.files("sheetnet").joinpath("bundled", name)
    try:
        if inside.is_dir():
            return Path(str(inside))
    except (FileNotFoundError, NotADirectoryError):
        pass
    return ROOT / name


TEMPLATES = _folder("templates")
DATASETS = _folder("datasets")


def bundled(relative: str) -> Path:
    """A path a template names relative to the checkout ("datasets/titanic/train.csv")."""
    first, _, rest = relative.partition("/")
    base = {"datasets": DATASETS, "templates": TEMPLATES}.get(first)
    return base / rest if base is not None else ROOT / relative
