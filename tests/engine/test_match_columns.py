"""MATCH down a column over one vector of numbers (MATCH(I3,$B$4:$B$18) in collab_filter.xlsx) is answered for
all the column's cells at once; each answer is what the cell-by-cell search gives, and LibreOffice's where the
vector is sorted (LibreOffice, like Excel, searches an unsorted one by halves, which sheetnet does not claim)."""

import random

import pytest

from sheetnet.engine import Engine
from sheetnet.engine.functions import lookup

from .books import lo_cells, same, write_book

TYPES = ["", ",1", ",0", ",-1", ",2", ",0.5", ",-0.5", ",0.7", ",TRUE", ',"1"']  # (0.7 is 0: exact)


WORDS = ["apple", "Apple", "banana", "cherry", "date", "Éclair", "fig", "a", "zebra", "Zoo", "b*", "c?d", "b"]


def _book(path, rng, sorted_: bool, text: bool = False):
    pool = WORDS if text else [1.0, 2.0, 2.5, 3.0, -1.0, 0.0, 7.0, 7.0, 10.0]
    vec = [rng.choice(pool) for _ in range(12)]
    if sorted_:
        vec.sort(key=lambda v: v.lower() if text else v)
    cells = {f"C{i + 1}": v for i, v in enumerate(vec)}
    cells.update({f"D{i + 1}": v for i, v in enumerate(sorted(vec, reverse=True, key=lambda v: v.lower() if text
                                                              else v))})
    for r in range(1, 41):
        cells[f"A{r}"] = rng.choice(vec + (["aa", "APPLE", "zz", "b*", "c?d", "c", "éclair"] if text else
                                           [-5.0, 11.0, 2.7, 0.0, 7.0]))
    for j, t in enumerate(TYPES):
        for r in range(1, 41):
            cells[f"{'EFGHIJKLMN'[j]}{r}"] = f"=MATCH(A{r},$C$1:$C$12{t})"
    for r in range(1, 41):
        cells[f"O{r}"] = f"=MATCH(A{r},$D$1:$D$12,-1)"  # (a descending vector: -1's own case)
    return write_book(path, {"s": cells}), vec


@pytest.mark.parametrize("seed", range(10))
def test_match_at_once_is_the_cell_by_cell_search(tmp_path, monkeypatch, seed):
    """Numbers (seeds 0-5) and texts (6-9: case, accents, and lookup values holding a wildcard, which the exact
    match leaves to the search)."""
    path, _ = _book(tmp_path / "m.xlsx", random.Random(seed), sorted_=seed % 2 == 0, text=seed >= 6)
    refs = [f"{c}{r}" for c in "EFGHIJKLMNO" for r in range(1, 41)]
    calls = []
    real = lookup._match_at_once
    monkeypatch.setattr(lookup, "_match_at_once", lambda *a: (lambda v: calls.append(v is not None) or v)(real(*a)))
    fast = Engine.load(path)
    assert sum(calls) >= 4 and sum(1 for g in fast.groups if g.k == 40) >= 10  # (answered at once, in columns)
    monkeypatch.setattr(lookup, "_match_at_once", lambda *a: None)
    slow = Engine.load(path)
    got, want = [fast.get(f"s!{r}") for r in refs], [slow.get(f"s!{r}") for r in refs]
    assert [repr(v) for v in got] == [repr(v) for v in want]
    assert any(isinstance(v, float) for v in got) and any(str(v) == "#N/A" for v in got)


def test_match_of_a_sorted_vector_agrees_with_libreoffice(lo, tmp_path):
    path, vec = _book(tmp_path / "m.xlsx", random.Random(11), sorted_=True)
    eng = Engine.load(path)
    refs = [f"{c}{r}" for c in "EFGO" for r in range(1, 41)]  # (-1 over an ascending vector: unsorted for it)
    want = lo_cells(lo, path, "s", refs)
    bad = [(r, eng.get(f"s!{r}"), want[r]) for r in refs if not same(eng.get(f"s!{r}"), want[r])]
    assert not bad
    assert len(set(vec)) < len(vec)  # (duplicates: the last of equals for 1, the first for 0)
