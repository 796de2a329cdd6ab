"""Every lesson sheetnet builds, by name: the tabular templates and the other lessons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .resources import TEMPLATES


@dataclass(frozen=True)
class Lesson:
    name: str
    summary: str
    build: Callable  # build(path, seed=0, progress=None, **options) -> a result with .summary()


LESSONS: dict[str, Lesson] = {}


def register(lesson: Lesson):
    LESSONS[lesson.name] = lesson


def get(name: str) -> Lesson | None:
    """The non-tabular lesson of that name (None for a tabular template such as titanic)."""
    _load()
    return LESSONS.get(name)


def listing() -> list[tuple[str, str]]:
    from .template import load_template

    _load()
    out = []
    for p in sorted(TEMPLATES.glob("*.toml")):
        t = load_template(p)
        out.append((t.name, f"{t.title}: {t.subject} (linear, nnet and mmult sheets, Solver models)"))
    out += [(lesson.name, lesson.summary) for lesson in LESSONS.values()]
    return out


def _load():
    """Import the lesson modules (each registers itself)."""
    return None
