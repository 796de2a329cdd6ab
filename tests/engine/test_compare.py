"""= and <> over blocks with text about, vectorised (lowercased once for one value, not at all for a side with
no text), against the cell-by-cell ordering of Excel's values."""

import random

import numpy as np
import pytest

from sheetnet.engine.compare import cmp_values, compare
from sheetnet.engine.values import BOOL, V

VALUES = [None, "", "a", "A", "ab", "Ab ", "ß", "SS", "0", 0.0, 1.0, -0.0, 1 + 2 ** -50, True, False, "TRUE"]


def _block(rng, shape):
    vals = [rng.choice(VALUES) for _ in range(int(np.prod(shape)))]
    parts = [V.scalar(v) for v in vals]
    num = np.concatenate([p.num for p in parts]).reshape(shape)
    typ = np.concatenate([p.types() for p in parts]).reshape(shape)
    obj = np.concatenate([p.objs() for p in parts]).reshape(shape)
    return V(num, typ, obj), np.array(vals + [0], object)[:-1].reshape(shape)


@pytest.mark.parametrize("seed", range(30))
def test_equality_with_text_as_cell_by_cell(seed):
    rng = random.Random(seed)
    sa, sb = rng.choice([((1, 4, 3), (1, 4, 3)), ((1, 4, 3), (1, 1, 1)), ((1, 1, 1), (1, 4, 3)), ((1, 4, 1), (1, 1, 3)),
                         ((1, 1, 1), (1, 1, 1))])
    (a, va), (b, vb) = _block(rng, sa), _block(rng, sb)
    if rng.random() < 0.3:  # a side with no text at all
        a, va = _block(random.Random(seed + 100), sa)
        keep = [x for x in VALUES if not isinstance(x, str)]
        va = np.array([rng.choice(keep) for _ in range(va.size)] + [0], object)[:-1].reshape(sa)
        parts = [V.scalar(v) for v in va.ravel()]
        a = V(np.concatenate([p.num for p in parts]).reshape(sa), np.concatenate([p.types() for p in parts]).reshape(sa),
              np.concatenate([p.objs() for p in parts]).reshape(sa))
    shape = np.broadcast_shapes(sa, sb)
    for op in ("=", "<>"):
        got = compare(op, a, b)
        assert (got.types() == BOOL).all()
        want = np.zeros(shape, bool)
        for idx in np.ndindex(shape):
            x, y = va[tuple(i % s for i, s in zip(idx, sa))], vb[tuple(i % s for i, s in zip(idx, sb))]
            c = cmp_values(*_typed(x), *_typed(y))
            want[idx] = (c == 0) if op == "=" else (c != 0)
        assert (got.num.astype(bool) == want).all(), (op, va, vb)


def _typed(x):
    v = V.scalar(x)
    return int(v.types().ravel()[0]), float(v.num.ravel()[0]), v.objs().ravel()[0]


@pytest.mark.parametrize("seed", range(12))
def test_a_block_without_text_against_one_text_as_cell_by_cell(seed):
    """x="" (collab's test for a rating) where x holds blanks, numbers and booleans: a blank is "", nothing else
    equals text; an error about takes the general path, which carries it."""
    from sheetnet.engine.values import ERR, ErrorCode

    rng = random.Random(seed)
    shape = rng.choice([(1, 4, 3), (5, 1, 1), (1, 1, 1)])
    keep = [x for x in VALUES if not isinstance(x, str)] + ([ErrorCode("#N/A")] if seed % 3 == 0 else [])
    va = np.array([rng.choice(keep) for _ in range(int(np.prod(shape)))] + [0], object)[:-1].reshape(shape)
    parts = [V.scalar(v) for v in va.ravel()]
    a = V(np.concatenate([p.num for p in parts]).reshape(shape), np.concatenate([p.types() for p in parts]).reshape(shape),
          np.concatenate([p.objs() for p in parts]).reshape(shape))
    for text in ("", "a", "TRUE", "0"):
        b = V.scalar(text)
        for op in ("=", "<>"):
            for got, flip in ((compare(op, a, b), False), (compare(op, b, a), True)):
                for idx in np.ndindex(shape):
                    x = va[idx]
                    if isinstance(x, ErrorCode):
                        assert got.types()[idx] == ERR and got.objs()[idx] == "#N/A"
                        continue
                    c = cmp_values(*_typed(text), *_typed(x)) if flip else cmp_values(*_typed(x), *_typed(text))
                    assert got.types()[idx] == BOOL and bool(got.num[idx]) == ((c == 0) if op == "=" else (c != 0))
