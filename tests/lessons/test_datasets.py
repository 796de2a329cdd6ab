"""The bundled lesson data are exactly what datasets/make_datasets.py makes (so anyone can remake them)."""

import importlib.util
from pathlib import Path

import pytest

from sheetnet.lessons.resources import DATASETS

ROOT = Path(__file__).resolve().parents[2]


def _maker():
    spec = importlib.util.spec_from_file_location("make_datasets", ROOT / "datasets" / "make_datasets.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ["gd/quadratic.csv", "gd/line.csv", "relu/wiggly.csv", "digits/digits37.csv",
                                  "digits/digits378.csv", "collab/ratings.csv"])
def test_bundled_file_is_remade_byte_for_byte(name):
    mk = _maker()
    if name.startswith("digits") and importlib.util.find_spec("sklearn") is None:
        pytest.skip("scikit-learn is not installed (pip install scikit-learn): digits37.csv is made from its digits")
    assert mk.MAKERS[name]() == (DATASETS / name).read_bytes()
