"""Blocks of spreadsheet values, vectorised: numbers, text, booleans, blanks and errors.

A block V has shape (K, h, w): K formula cells evaluated together (a column of formulas that
differ only by row), each seeing an h x w value.  All-number blocks (the usual case) are a plain
float64 array; anything else also carries a type code per element and the text / error codes.
"""

from __future__ import annotations

import math

import numpy as np

BLANK, NUM, TEXT, BOOL, ERR = 0, 1, 2, 3, 4
ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")
DIV0, VALUE, REF, NAME, NUMERR, NA = "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"


class Ragged(Exception):
    """References made at run time have different sizes in different cells of one group: evaluate it
    cell by cell (never one cell's size for all)."""


class EngineError(Exception):
    """A formula the engine will not evaluate (unsupported function or syntax, circular reference)."""


class V:
    __slots__ = ("num", "typ", "obj", "ref")

    def __init__(self, num, typ=None, obj=None, ref=False):
        self.num = num  # float64 (K, h, w): numbers; bools as 0/1; blank 0; text/error nan
        self.typ = typ  # None when every element is a number, else uint8 codes like num
        self.obj = obj  # object array of text / error codes where typ is TEXT or ERR, else None
        self.ref = ref  # read from cells (aggregates then skip text and booleans)

    @property
    def shape(self):
        return self.num.shape

    def types(self) -> np.ndarray:
        return np.full(self.num.shape, NUM, np.uint8) if self.typ is None else self.typ

    def objs(self) -> np.ndarray:
        return np.full(self.num.shape, None, object) if self.obj is None else self.obj

    @staticmethod
    def scalar(x) -> V:
        """A 1x1x1 block of one Python value (float, str, bool, None for blank, ErrorCode)."""
        if isinstance(x, ErrorCode):
            return V(np.full((1, 1, 1), np.nan), np.full((1, 1, 1), ERR, np.uint8), np.full((1, 1, 1), str(x), object))
        if isinstance(x, bool):
            return V(np.full((1, 1, 1), float(x)), np.full((1, 1, 1), BOOL, np.uint8))
        if isinstance(x, str):
            return V(np.full((1, 1, 1), np.nan), np.full((1, 1, 1), TEXT, np.uint8), np.full((1, 1, 1), x, object))
        if x is None:
            return V(np.zeros((1, 1, 1)), np.full((1, 1, 1), BLANK, np.uint8))
        return V(np.full((1, 1, 1), float(x)))

    @staticmethod
    def errors(shape, code: str) -> V:
        return V(np.full(shape, np.nan), np.full(shape, ERR, np.uint8), np.full(shape, code, object))

    def broadcast(self, shape) -> V:
        if self.num.shape == shape:  # (broadcast views are read-only: nothing writes into what this gives)
            return self
        num = np.broadcast_to(self.num, shape)
        typ = None if self.typ is None else np.broadcast_to(self.typ, shape)
        obj = None if self.obj is None else np.broadcast_to(self.obj, shape)
        return V(num, typ, obj, self.ref)

    @staticmethod
    def stack(vs) -> V:
        """Blocks of the same (h, w) one after another: (sum of K, h, w)."""
        num = np.concatenate([v.num for v in vs])
        if all(v.typ is None for v in vs):
            return V(num)
        return V(num, np.concatenate([v.types() for v in vs]), np.concatenate([v.objs() for v in vs]))

    def part(self, index) -> V:
        """The block's part at a numpy index (slices over K, rows, columns), its types and texts with it."""
        return V(self.num[index], None if self.typ is None else self.typ[index],
                 None if self.obj is None else self.obj[index])

    def top_left(self) -> V:
        """Each cell's first element (a computed array where one value is needed)."""
        return self.part((slice(None), slice(0, 1), slice(0, 1)))

    def python(self, k=0, i=0, j=0):
        """One element as a Python value."""
        t = NUM if self.typ is None else int(self.typ[k, i, j])
        if t == NUM:
            return float(self.num[k, i, j])
        if t == BOOL:
            return bool(self.num[k, i, j])
        if t == TEXT:
            return str(self.obj[k, i, j])
        if t == ERR:
            return ErrorCode(self.obj[k, i, j])
        return None


class ErrorCode(str):
    """An error value (#DIV/0! and friends) as a Python value."""

    def __repr__(self):
        return f"ErrorCode({str(self)!r})"


def where(cond: np.ndarray, a: V, b: V) -> V:
    """Element-wise choice of a where cond, else b, keeping types."""
    num = np.where(cond, a.num, b.num)
    if a.typ is None and b.typ is None:
        return V(num)
    typ = np.where(cond, a.types(), b.types()).astype(np.uint8)
    obj = np.where(cond, a.objs(), b.objs()) if (a.obj is not None or b.obj is not None) else None
    return V(num, typ, obj)


def with_errors(v: V, err: np.ndarray | None) -> V:
    """Overlay an object array of error codes (None where no error) on v."""
    if err is None:
        return v
    mask = err != None  # noqa: E711 (element-wise)
    if not mask.any():
        return v
    shape = np.broadcast_shapes(v.shape, err.shape)
    v = v.broadcast(shape)
    typ = np.where(mask, ERR, v.types()).astype(np.uint8)
    obj = np.where(mask, err, v.objs())
    return V(np.where(mask, np.nan, v.num), typ, obj)


def first_error(*errs):
    """Combine error arrays, the leftmost operand's error winning."""
    out = None
    for e in errs:
        if e is None:
            continue
        out = e if out is None else np.where(out != None, out, e)  # noqa: E711
    return out


def error_array(v: V):
    """Object array of v's error codes (None elsewhere), or None when v has no errors."""
    if v.typ is None:
        return None
    mask = v.typ == ERR
    if not mask.any():
        return None
    return np.where(mask, v.obj if v.obj is not None else None, None)


def parse_number(s: str):
    """Excel's text-to-number in arithmetic ("3", " 1e3 ", "50%"); None when it is not a number."""
    t = s.strip()
    if not t:
        return None
    pct = t.endswith("%")
    if pct:
        t = t[:-1].strip()
    try:
        x = float(t)
    except ValueError:
        return None
    if t.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity") or not math.isfinite(x):
        return None
    return x / 100 if pct else x


_parse_vec = np.frompyfunc(lambda s: parse_number(s) if isinstance(s, str) else None, 1, 1)


def to_number(v: V) -> tuple[np.ndarray, np.ndarray | None]:
    """(numbers, errors) for arithmetic: blank 0, TRUE 1, numeric text parsed, other text #VALUE!."""
    if v.typ is None:
        return v.num, None
    num = np.where(v.typ == BLANK, 0.0, v.num)
    err = error_array(v)
    text = v.typ == TEXT
    if text.any():
        parsed = _parse_vec(np.where(text, v.objs(), None))
        ok = text & (parsed != None)  # noqa: E711
        num = np.where(ok, parsed, num).astype(float)
        bad = text & ~ok
        if bad.any():
            err = first_error(err, np.where(bad, VALUE, None))
    return num, err


def to_bool(v: V) -> tuple[np.ndarray, np.ndarray | None]:
    """(booleans, errors) for IF/AND/OR/NOT: numbers are TRUE when not 0; "TRUE"/"FALSE" text too."""
    if v.typ is None:
        return v.num != 0, None
    b = np.where(v.typ == BLANK, False, v.num != 0)
    err = error_array(v)
    text = v.typ == TEXT
    if text.any():
        up = np.where(text, v.objs(), "")
        is_t = np.vectorize(lambda s: isinstance(s, str) and s.upper() == "TRUE", otypes=[bool])(up)
        is_f = np.vectorize(lambda s: isinstance(s, str) and s.upper() == "FALSE", otypes=[bool])(up)
        b = np.where(text, is_t, b)
        bad = text & ~is_t & ~is_f
        if bad.any():
            err = first_error(err, np.where(bad, VALUE, None))
    return b, err


def number_text(x: float) -> str:
    """A number as text in a formula ("General"): up to 15 significant digits."""
    if x == 0:
        return "0"
    s = f"{x:.15g}"
    if "e" in s:
        mant, exp = s.split("e")
        e = int(exp)
        if -5 < e < 15:  # written out in full when it fits in 15 digits
            s = f"{x:.{max(0, 14 - e)}f}".rstrip("0").rstrip(".")
        else:
            s = f"{mant}E{'+' if e >= 0 else '-'}{abs(e):02d}"
    return s


def to_text(v: V) -> tuple[np.ndarray, np.ndarray | None]:
    """(texts, errors) for &: numbers in General format, TRUE/FALSE, blank ""."""
    typ = v.types()
    out = np.empty(v.shape, object)
    flat_t, flat_n, flat_o, flat_out = typ.ravel(), v.num.ravel(), v.objs().ravel(), out.ravel()
    for i in range(flat_out.size):
        t = flat_t[i]
        flat_out[i] = (number_text(flat_n[i]) if t == NUM else "TRUE" if t == BOOL and flat_n[i] else
                       "FALSE" if t == BOOL else flat_o[i] if t == TEXT else "")
    return out, error_array(v)


def finish(num: np.ndarray, err, div0_mask=None) -> V:
    """A numeric result: division by zero is #DIV/0!, other non-finite results #NUM!."""
    bad = ~np.isfinite(num)
    if bad.any():
        codes = np.where(bad, NUMERR, None)
        if div0_mask is not None:
            codes = np.where(bad & div0_mask, DIV0, codes)
        err = first_error(err, codes)
    return with_errors(V(np.asarray(num, dtype=float)), err)


APPROX = 1.0 / (16777216.0 * 16777216.0)  # 2**-48: spreadsheet "equal" (LibreOffice's approxEqual)


def approx_add(a, b):
    """a + b, exactly 0 when the two nearly cancel (0.1+0.2-0.3 is 0 in a spreadsheet).

    They cancel when |a+b| < |a| 2**-48 (only possible with opposite signs)."""
    with np.errstate(all="ignore"):
        out = a + b
        cancel = np.abs(out) < np.abs(a) * APPROX
    return np.where(cancel, 0.0, out) if cancel.any() else out


def bool_result(b: np.ndarray, err=None) -> V:
    """TRUE/FALSE values (with any errors carried)."""
    v = V(np.asarray(b).astype(float), np.full(np.shape(b), BOOL, np.uint8))
    return with_errors(v, err)


def as_value(num, typ, obj):
    """One cell's value from a grid's three arrays: None, a number, a bool, text or an ErrorCode."""
    return (None if typ == BLANK else float(num) if typ == NUM else bool(num) if typ == BOOL
            else str(obj) if typ == TEXT else ErrorCode(obj))
