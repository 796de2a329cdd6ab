"""Every lesson sheetnet builds, by name: the bundled templates (templates/*.toml)."""

from __future__ import annotations

from .resources import TEMPLATES


def listing() -> list[tuple[str, str]]:
    """(name, one line) for each bundled lesson."""
    from .template import load_template

    out = []
    for p in sorted(TEMPLATES.glob("*.toml"), key=lambda p: (p.stem != "titanic", p.stem)):
        t = load_template(p)
        sheets = list(t.models)
        if t.training:
            sheets += [f"{', '.join(t.training.get('optimizers', []))} (unrolled training)"]
        extra = f"; variants: {', '.join(t.variants)}" if t.variants else ""
        out.append((t.name, f"{t.title}: {t.subject} [{', '.join(sheets)}{extra}]"))
    return out
