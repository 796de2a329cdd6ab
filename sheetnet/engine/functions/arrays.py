"""Arrays reshaped (Excel 365): HSTACK, VSTACK, TOCOL, TOROW, WRAPROWS, WRAPCOLS, CHOOSEROWS,
CHOOSECOLS, EXPAND, TRIMRANGE; and matrices: MUNIT, MDETERM, MINVERSE.  Each formula cell makes its own array."""

from __future__ import annotations

import numpy as np

from ..values import BLANK, ERR, NUM, VALUE, EngineError, V, to_number
from .dynamic import Refused, cell_of, int_arg, per_cell
from .registry import fn

NA = "#N/A"


def _parts(a: V):
    return a.num[0], a.types()[0], a.objs()[0]


def _block(num, typ, obj) -> V:
    return V(num[None], typ[None].astype(np.uint8), obj[None])


def _pad(a: V, h: int, w: int, fill=NA):
    """a's (1, h0, w0) block widened to (h, w), the new cells `fill` (#N/A, as Excel's stacks pad)."""
    num, typ, obj = _parts(a)
    h0, w0 = num.shape
    if (h0, w0) == (h, w):
        return num, typ, obj
    n = np.full((h, w), np.nan)
    t = np.full((h, w), ERR, np.uint8)
    o = np.full((h, w), fill, object)
    if fill is None:
        t[:] = BLANK
    n[:h0, :w0], t[:h0, :w0], o[:h0, :w0] = num, typ, obj
    return n, t, o


def _stack(args, axis):
    def one(k):
        parts = [cell_of(a, k) for a in args if a is not None]
        if axis == 0:
            w = max(p.shape[2] for p in parts)
            blocks = [_pad(p, p.shape[1], w) for p in parts]
        else:
            h = max(p.shape[1] for p in parts)
            blocks = [_pad(p, h, p.shape[2]) for p in parts]
        return _block(*(np.concatenate([b[i] for b in blocks], axis=axis) for i in range(3)))
    return per_cell(args, one)


@fn("VSTACK", 1, 254, arrays="all")
def f_vstack(args):
    return _stack(args, 0)


@fn("HSTACK", 1, 254, arrays="all")
def f_hstack(args):
    return _stack(args, 1)


def _ignore(typ, how):
    """The cells TOCOL/TOROW keep: ignore 0 nothing, 1 blanks, 2 errors, 3 both."""
    keep = np.ones(typ.shape, bool)
    if how in (1, 3):
        keep &= typ != BLANK
    if how in (2, 3):
        keep &= typ != ERR
    return keep


def _to_line(args, column: bool):
    args = list(args) + [None] * (3 - len(args))

    def one(k):
        a = cell_of(args[0], k)
        how = int_arg(args[1], 0, k)
        by_col = int_arg(args[2], 0, k) != 0 if args[2] is not None else False
        if how not in (0, 1, 2, 3):
            raise Refused(VALUE)
        num, typ, obj = _parts(a)
        if by_col:
            num, typ, obj = num.T, typ.T, obj.T
        keep = _ignore(typ, how).ravel()
        n, t, o = num.ravel()[keep], typ.ravel()[keep], obj.ravel()[keep]
        if n.size == 0:
            raise Refused("#CALC!")
        shape = (n.size, 1) if column else (1, n.size)
        return _block(n.reshape(shape), t.reshape(shape), o.reshape(shape))
    return per_cell(args, one)


@fn("TOCOL", 1, 3, arrays={0}, keep_omitted=True)
def f_tocol(args):
    return _to_line(args, True)


@fn("TOROW", 1, 3, arrays={0}, keep_omitted=True)
def f_torow(args):
    return _to_line(args, False)


def _wrap(args, rows: bool):
    args = list(args) + [None] * (3 - len(args))

    def one(k):
        a = cell_of(args[0], k)
        num, typ, obj = _parts(a)
        if num.shape[0] != 1 and num.shape[1] != 1:
            raise Refused(VALUE)
        count = int_arg(args[1], None, k)
        if count is None or count < 1:
            raise Refused("#NUM!")
        n, t, o = num.ravel(), typ.ravel(), obj.ravel()
        lines = -(-n.size // count)
        total = lines * count
        pad = args[2] is not None
        fill = cell_of(args[2], k) if pad else None
        nn = np.full(total, np.nan if not pad else fill.num.ravel()[0])
        tt = np.full(total, ERR if not pad else fill.types().ravel()[0], np.uint8)
        oo = np.full(total, NA if not pad else fill.objs().ravel()[0], object)
        nn[:n.size], tt[:n.size], oo[:n.size] = n, t, o
        shape = (lines, count)
        if rows:
            return _block(nn.reshape(shape), tt.reshape(shape), oo.reshape(shape))
        return _block(nn.reshape(shape).T, tt.reshape(shape).T, oo.reshape(shape).T)
    return per_cell(args, one)


@fn("WRAPROWS", 2, 3, arrays={0}, keep_omitted=True)
def f_wraprows(args):
    return _wrap(args, True)


@fn("WRAPCOLS", 2, 3, arrays={0}, keep_omitted=True)
def f_wrapcols(args):
    return _wrap(args, False)


def _choose(args, axis):
    def one(k):
        a = cell_of(args[0], k)
        num, typ, obj = _parts(a)
        size = num.shape[axis]
        picks = []
        for v in args[1:]:
            n, e = to_number(cell_of(v, k))
            if e is not None and (e != None).any():  # noqa: E711
                raise Refused(e[e != None][0])  # noqa: E711
            for x in np.trunc(n.ravel()):
                i = int(x)
                if i == 0 or abs(i) > size:
                    raise Refused(VALUE)
                picks.append(i - 1 if i > 0 else size + i)
        take = np.array(picks)
        return _block(*(np.take(p, take, axis=axis) for p in (num, typ, obj)))
    return per_cell(args, one)


@fn("CHOOSEROWS", 2, 254, arrays="all")
def f_chooserows(args):
    return _choose(args, 0)


@fn("CHOOSECOLS", 2, 254, arrays="all")
def f_choosecols(args):
    return _choose(args, 1)


@fn("EXPAND", 2, 4, arrays={0}, keep_omitted=True)
def f_expand(args):
    args = list(args) + [None] * (4 - len(args))

    def one(k):
        a = cell_of(args[0], k)
        h0, w0 = a.shape[1:]
        h, w = int_arg(args[1], h0, k), int_arg(args[2], w0, k)
        if h < h0 or w < w0:
            raise Refused(VALUE)
        n, t, o = _pad(a, h, w)
        if args[3] is not None:
            fill = cell_of(args[3], k)
            new = np.ones((h, w), bool)
            new[:h0, :w0] = False
            n = np.where(new, fill.num.ravel()[0], n)
            t = np.where(new, fill.types().ravel()[0], t)
            o = np.where(new, fill.objs().ravel()[0], o)
        return _block(n, t, o)
    return per_cell(args, one)


# ---- matrices ---------------------------------------------------------------------------------

def _matrix(a: V):
    num, typ, _ = _parts(a)
    if num.shape[0] != num.shape[1] or (typ != NUM).any():
        raise Refused(VALUE)
    return num


@fn("MUNIT", 1, 1)
def f_munit(args):
    def one(k):
        n = int_arg(args[0], None, k)
        if n is None or n < 1:
            raise Refused(VALUE)
        return V(np.eye(n)[None])
    return per_cell(args, one)


@fn("MDETERM", 1, 1, arrays="all")
def f_mdeterm(args):
    return per_cell(args, lambda k: V(np.array([[[float(np.linalg.det(_matrix(cell_of(args[0], k))))]]])))


@fn("MINVERSE", 1, 1, arrays="all")
def f_minverse(args):
    def one(k):
        m = _matrix(cell_of(args[0], k))
        if abs(np.linalg.det(m)) < 1e-300:
            raise Refused("#NUM!")
        return V(np.linalg.inv(m)[None])
    return per_cell(args, one)


@fn("TRIMRANGE", 1, 3, arrays={0}, keep_omitted=True)
def f_trimrange(args):
    """The range without its blank rows and columns at the edges: trim_rows and trim_cols 0 none,
    1 leading, 2 trailing, 3 both (the default).  Only empty cells are blank (a formula's "" is not)."""
    args = list(args) + [None] * (3 - len(args))

    def one(k):
        a = cell_of(args[0], k)
        how = (int_arg(args[1], 3, k), int_arg(args[2], 3, k))
        if any(h not in (0, 1, 2, 3) for h in how):
            raise Refused(VALUE)
        num, typ, obj = _parts(a)
        filled = typ != BLANK
        if not filled.any():
            raise EngineError("TRIMRANGE of a range with no values (Excel's result is not documented)")
        box = []
        for axis, h in enumerate(how):
            used = np.flatnonzero(filled.any(axis=1 - axis))
            lo = used[0] if h in (1, 3) else 0
            hi = used[-1] + 1 if h in (2, 3) else filled.shape[axis]
            box.append(slice(lo, hi))
        return _block(num[box[0], box[1]], typ[box[0], box[1]], obj[box[0], box[1]])
    return per_cell(args, one)


def _trim_ref(how: int):
    def trim(args):
        mode = V.scalar(float(how))
        return f_trimrange([args[0], mode, mode])
    return trim


# the trim references Excel 365 types as A1.:.E10, A1:.E10 and A1.:E10, stored as these calls
for _name, _how in (("_TRO_ALL", 3), ("_TRO_TRAILING", 2), ("_TRO_LEADING", 1)):
    fn(_name, 1, 1, arrays={0})(_trim_ref(_how))
