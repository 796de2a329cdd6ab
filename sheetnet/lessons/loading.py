"""A lesson's template and its data, prepared (the bundled data, or a CSV from anywhere within bounds)."""

from __future__ import annotations


def load_data(template="titanic", data=None, blanks=None, variant=None):
    """A template (bundled name or .toml path) and its data, prepared: (Template, Dataset)."""
    from .prepare import prepare
    from .template import load_template

    t = load_template(template, variant).with_blanks(blanks)
    if data is None:  # the bundled data: trusted
        return t, prepare(t, data)
    from ..limits import bounded

    with bounded(data):  # a CSV from anywhere: within the same bounds as a workbook
        return t, prepare(t, data)
