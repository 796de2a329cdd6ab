"""Statistics of samples: percentiles, quartiles, ranks, means of other kinds, moments, the
A-variants (text 0, TRUE 1), tests (t, z, chi-squared, F), FREQUENCY and PROB.  Each formula cell of
a group gets its own sample (values_per_cell)."""

from __future__ import annotations

import numpy as np

from ..values import BLANK, ERR, NUM, TEXT, Ragged, V, first_error, to_number
from .aggregate import cell_result, first_error_per_cell, values_per_cell
from .mathfn import special
from .registry import fn

NA = "#N/A"


def scalar_arg(args, i, default=None):
    """Argument i per cell: ((K,) numbers, (K,) errors or None); omitted: default."""
    if i >= len(args) or args[i] is None:
        return (np.array([np.nan if default is None else float(default)]), None)
    n, e = to_number(args[i])
    return n.reshape(n.shape[0], -1)[:, 0], None if e is None else e.reshape(e.shape[0], -1)[:, 0]


def _per_cell(args, f, extra=(), need=1):
    """f(sorted-or-not sample, *scalars) -> value per cell; below `need` values #DIV/0!."""
    K0, cells, err = values_per_cell(args[:1])
    scal = [scalar_arg(args, i, d) for i, d in extra]
    K = max([K0] + [s[0].shape[0] for s in scal])
    out, short = np.empty(K), np.zeros(K, bool)
    for k in range(K):
        x = cells[k if K0 > 1 else 0]
        x = x[~np.isnan(x)]  # (an argument's error is the result: errs, below)
        vals = [s[0][k if s[0].shape[0] > 1 else 0] for s in scal]
        if len(x) < need:
            out[k], short[k] = np.nan, True
            continue
        with np.errstate(all="ignore"):
            out[k] = f(x, *vals)
    errs = [None if err is None else np.broadcast_to(err, (K,))] + \
        [None if s[1] is None else np.broadcast_to(s[1], (K,)) for s in scal]
    return cell_result(out, first_error(*errs), short | np.isinf(out))


def _na_where(res: V, mask) -> V:
    """#N/A where mask (and the result is otherwise not an error)."""
    if not np.any(mask):
        return res
    m = np.asarray(mask).reshape(-1, 1, 1)
    typ = np.where(m, ERR, res.types()).astype(np.uint8)
    obj = np.where(m, NA, res.objs())
    return V(np.where(m, np.nan, res.num), typ, obj)


# ---- percentiles and ranks ----------------------------------------------------------------------

def _pct_inc(x, k):
    x = np.sort(x)
    if not 0 <= k <= 1:
        return np.nan
    h = (len(x) - 1) * k
    lo = int(np.floor(h))
    return x[lo] if lo + 1 >= len(x) else x[lo] + (h - lo) * (x[lo + 1] - x[lo])


def _pct_exc(x, k):
    x = np.sort(x)
    n = len(x)
    if not (k > 0 and k < 1):
        return np.nan
    h = (n + 1) * k - 1
    if h < 0 or h > n - 1:
        return np.nan
    lo = int(np.floor(h))
    return x[lo] if lo + 1 >= n else x[lo] + (h - lo) * (x[lo + 1] - x[lo])


@fn("PERCENTILE", 2, 2, arrays={0}, aliases=("PERCENTILE.INC",))
def f_percentile(args):
    return _per_cell(args, _pct_inc, [(1, None)])


@fn("PERCENTILE.EXC", 2, 2, arrays={0})
def f_percentile_exc(args):
    return _per_cell(args, _pct_exc, [(1, None)])


@fn("QUARTILE", 2, 2, arrays={0}, aliases=("QUARTILE.INC",))
def f_quartile(args):
    # a negative quart is #NUM! before truncation (-0.3 is not quartile 0), as LibreOffice and Excel's rule say
    return _per_cell(args, lambda x, q: _pct_inc(x, np.trunc(q) / 4) if 0 <= q and np.trunc(q) <= 4 else np.nan,
                     [(1, None)])


@fn("QUARTILE.EXC", 2, 2, arrays={0})
def f_quartile_exc(args):
    return _per_cell(args, lambda x, q: _pct_exc(x, np.trunc(q) / 4) if 1 <= np.trunc(q) <= 3 else np.nan,
                     [(1, None)])


def _rank_pos(x, v):
    """v's position in sorted x, fractional between neighbours; None outside."""
    x = np.sort(x)
    if len(x) == 0 or not x[0] <= v <= x[-1]:
        return None, len(x)
    i = int(np.searchsorted(x, v, "left"))
    if i >= len(x) or x[i] == v or i == 0:
        return float(i), len(x)
    return (i - 1) + (v - x[i - 1]) / (x[i] - x[i - 1]), len(x)


def _percentrank(exclusive):
    def f(x, v, sig):
        sig = np.trunc(sig)
        if not sig >= 1:
            return np.nan
        pos, n = _rank_pos(x, v)
        if pos is None:
            return -np.inf  # #N/A, below
        r = (pos + 1) / (n + 1) if exclusive else (pos / (n - 1) if n > 1 else 1.0)
        p = 10.0 ** sig
        return np.floor(r * p + 1e-9) / p
    return f


def _percentrank_fn(exclusive):
    def impl(args):
        outside = []
        f = _percentrank(exclusive)

        def g(x, v, sig):
            r = f(x, v, sig)
            outside.append(np.isneginf(r))
            return 0.0 if np.isneginf(r) else r
        res = _per_cell(args, g, [(1, None), (2, 3)])
        return _na_where(res, np.array(outside + [False] * (res.shape[0] - len(outside)))[:res.shape[0]])
    return impl


fn("PERCENTRANK", 2, 3, arrays={0}, aliases=("PERCENTRANK.INC",))(_percentrank_fn(False))
fn("PERCENTRANK.EXC", 2, 3, arrays={0})(_percentrank_fn(True))


@fn("RANK.AVG", 2, 3, arrays={1})
def f_rank_avg(args):
    x, ex = scalar_arg(args, 0)
    asc, _ = scalar_arg(args, 2, 0)
    K0, cells, err = values_per_cell([args[1]])
    K = max(K0, x.shape[0], asc.shape[0])
    out = np.empty(K)
    for k in range(K):
        ref = cells[k if K0 > 1 else 0]
        v = x[k if x.shape[0] > 1 else 0]
        a = asc[k if asc.shape[0] > 1 else 0] != 0
        ties = np.sum(ref == v)
        if not ties:
            out[k] = -np.inf
            continue
        before = np.sum(ref < v) if a else np.sum(ref > v)
        out[k] = before + (ties + 1) / 2
    res = cell_result(out, first_error(None if ex is None else np.broadcast_to(ex, (K,)),
                                       None if err is None else np.broadcast_to(err, (K,))))
    return _na_where(res, np.isneginf(out))


@fn("MODE", arrays="all", aliases=("MODE.SNGL",))
def f_mode(args):
    K, cells, err = values_per_cell(args)
    out = np.empty(K)
    for k, x in enumerate(cells):
        x = x[~np.isnan(x)]  # (an argument's error is the result: err, below)
        best, count = np.nan, 1
        seen: dict = {}
        for v in x:
            seen[v] = seen.get(v, 0) + 1
        for v in x:  # the first of the most frequent, in reading order
            if seen[v] > count:
                best, count = v, seen[v]
        out[k] = -np.inf if np.isnan(best) else best
    res = cell_result(out, err)
    return _na_where(res, np.isneginf(out))


@fn("MODE.MULT", arrays="all")
def f_mode_mult(args):
    """Every most frequent value, in order of first appearance, as a column (no repeats: #N/A)."""
    K, cells, err = values_per_cell(args)
    outs = []
    for x in cells:
        x = x[~np.isnan(x)]
        seen: dict = {}
        for v in x:
            seen[v] = seen.get(v, 0) + 1
        top = max(seen.values(), default=1)
        modes = [v for v in dict.fromkeys(x) if seen[v] == top] if top > 1 else []
        outs.append(modes)
    blocks = []
    for k, modes in enumerate(outs):
        e = None if err is None else err[k if len(err) > 1 else 0]
        blocks.append(V.errors((1, 1, 1), e) if e is not None else V.errors((1, 1, 1), NA) if not modes
                      else V(np.array(modes, float).reshape(1, -1, 1)))
    if len({b.shape for b in blocks}) == 1:
        return V.stack(blocks)
    raise Ragged()  # each cell's own length: the group is evaluated one cell at a time


# ---- means and moments -------------------------------------------------------------------------

def _moments(x):
    m = x.mean()
    return m, x - m


@fn("GEOMEAN", arrays="all")
def f_geomean(args):
    return _per_cell_all(args, lambda x: np.exp(np.mean(np.log(x))) if np.all(x > 0) else np.nan)


@fn("HARMEAN", arrays="all")
def f_harmean(args):
    return _per_cell_all(args, lambda x: len(x) / np.sum(1 / x) if np.all(x > 0) else np.nan)


@fn("AVEDEV", arrays="all")
def f_avedev(args):
    return _per_cell_all(args, lambda x: np.mean(np.abs(_moments(x)[1])))


@fn("DEVSQ", arrays="all")
def f_devsq(args):
    return _per_cell_all(args, lambda x: np.sum(_moments(x)[1] ** 2))


def _skew(x, pop=False):
    n = len(x)
    d = _moments(x)[1]
    if pop:
        s = np.sqrt(np.sum(d ** 2) / n)
        return np.sum((d / s) ** 3) / n if s > 0 else np.inf
    s = np.sqrt(np.sum(d ** 2) / (n - 1))
    return n / ((n - 1) * (n - 2)) * np.sum((d / s) ** 3) if s > 0 else np.inf


def _kurt(x):
    n = len(x)
    d = _moments(x)[1]
    s = np.sqrt(np.sum(d ** 2) / (n - 1))
    if s == 0:
        return np.inf
    return n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * np.sum((d / s) ** 4) - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))


@fn("SKEW", arrays="all")
def f_skew(args):
    return _per_cell_all(args, _skew, need=3)


@fn("SKEW.P", arrays="all")
def f_skew_p(args):
    return _per_cell_all(args, lambda x: _skew(x, True), need=1)


@fn("KURT", arrays="all")
def f_kurt(args):
    return _per_cell_all(args, _kurt, need=4)


def _per_cell_all(args, f, need=1):
    K, cells, err = values_per_cell(args)
    out, short = np.empty(K), np.zeros(K, bool)
    for k, x in enumerate(cells):
        x = x[~np.isnan(x)]
        if len(x) < need:
            out[k], short[k] = np.nan, True
        else:
            with np.errstate(all="ignore"):
                out[k] = f(x)
    # a zero spread (inf) is a division by zero, as Excel says
    return cell_result(out, err, short | np.isinf(out))


@fn("TRIMMEAN", 2, 2, arrays={0})
def f_trimmean(args):
    def f(x, p):
        if not 0 <= p < 1:
            return np.nan
        x = np.sort(x)
        k = int(np.floor(len(x) * p / 2))
        return np.mean(x[k:len(x) - k])
    return _per_cell(args, f, [(1, None)])


# ---- the A-variants: text 0, TRUE 1, FALSE 0 ----------------------------------------------------

def _values_a(args):
    """Per cell, the values the A-functions count: in ranges, numbers, booleans and text (as 0); blanks skipped."""
    parts, K = [], 1
    errs = []
    for v in args:
        if v is None:
            continue
        K = max(K, v.shape[0])
        if v.ref or v.shape[1:] != (1, 1):
            typ = v.types()
            counted = typ != BLANK
            num = np.where(typ == TEXT, 0.0, np.where(typ == ERR, np.nan, v.num))
            parts.append((num, counted & (typ != ERR)))
            errs.append(first_error_per_cell(v))
        else:
            n, e = to_number(v)
            parts.append((n, np.ones(n.shape, bool)))
            if e is not None:
                errs.append(e.reshape(e.shape[0], -1)[:, 0])
    cells = []
    for k in range(K):
        chunks = [n[k if n.shape[0] > 1 else 0][np.broadcast_to(c, n.shape)[k if n.shape[0] > 1 else 0]].ravel()
                  for n, c in parts]
        cells.append(np.concatenate(chunks) if chunks else np.zeros(0))
    err = first_error(*[None if e is None else np.broadcast_to(e, (K,)) for e in errs])
    return K, cells, err


def _a(f, need=1, empty=None):
    def impl(args):
        K, cells, err = _values_a(args)
        out, short = np.empty(K), np.zeros(K, bool)
        for k, x in enumerate(cells):
            if len(x) < need:
                out[k], short[k] = (empty, False) if empty is not None else (np.nan, True)
            else:
                out[k] = f(x)
        return cell_result(out, err, short)
    return impl


fn("AVERAGEA", arrays="all")(_a(np.mean))
fn("MAXA", arrays="all")(_a(np.max, empty=0.0))
fn("MINA", arrays="all")(_a(np.min, empty=0.0))
fn("STDEVA", arrays="all")(_a(lambda x: np.sqrt(np.sum((x - x.mean()) ** 2) / (len(x) - 1)), need=2))
fn("STDEVPA", arrays="all")(_a(lambda x: np.sqrt(np.mean((x - x.mean()) ** 2))))
fn("VARA", arrays="all")(_a(lambda x: np.sum((x - x.mean()) ** 2) / (len(x) - 1), need=2))
fn("VARPA", arrays="all")(_a(lambda x: np.mean((x - x.mean()) ** 2)))


# ---- paired samples and tests ---------------------------------------------------------------------

def cell_block(v: V, k: int):
    """Cell k's block of v: (numbers, counted) with counted = a number there."""
    kk = k if v.shape[0] > 1 else 0
    typ = v.types()[kk]
    return v.num[kk], typ == NUM


def pairs(a: V, b: V, k: int):
    """The pairs of numbers at the same positions of two same-sized blocks; None when the sizes differ."""
    (na, ca), (nb, cb) = cell_block(a, k), cell_block(b, k)
    if na.size != nb.size:
        return None
    both = (ca & cb).ravel()
    return na.ravel()[both], nb.ravel()[both]


def _two(args, f, need=3):
    a, b = args[0], args[1]
    K = max(a.shape[0], b.shape[0])
    err = first_error(first_error_per_cell(a), first_error_per_cell(b))
    out, short, na = np.empty(K), np.zeros(K, bool), np.zeros(K, bool)
    for k in range(K):
        p = pairs(a, b, k)
        if p is None:
            out[k], na[k] = np.nan, True
        elif len(p[0]) < need:
            out[k], short[k] = np.nan, True
        else:
            with np.errstate(all="ignore"):
                out[k] = f(*p)
    res = cell_result(out, None if err is None else np.broadcast_to(err, (K,)), short | np.isinf(out))
    return _na_where(res, na)


def _steyx(y, x):
    n = len(x)
    dx, dy = x - x.mean(), y - y.mean()
    sxx = np.sum(dx * dx)
    if sxx == 0:
        return np.inf
    return np.sqrt((np.sum(dy * dy) - np.sum(dx * dy) ** 2 / sxx) / (n - 2))


@fn("STEYX", 2, 2, arrays="all")
def f_steyx(args):
    return _two(args, _steyx)


@fn("T.TEST", 4, 4, arrays={0, 1}, aliases=("TTEST",))
def f_ttest(args):
    tails, et = scalar_arg(args, 2)
    kind, ek = scalar_arg(args, 3)
    a, b = args[0], args[1]
    K = max(a.shape[0], b.shape[0], tails.shape[0], kind.shape[0])
    out, short, na = np.empty(K), np.zeros(K, bool), np.zeros(K, bool)
    for k in range(K):
        t_ = np.trunc(tails[k if tails.shape[0] > 1 else 0])
        ty = np.trunc(kind[k if kind.shape[0] > 1 else 0])
        if t_ not in (1, 2) or ty not in (1, 2, 3):
            out[k] = np.nan
            continue
        if ty == 1:
            p = pairs(a, b, k)
            if p is None:
                out[k], na[k] = np.nan, True
                continue
            d = p[0] - p[1]
            n = len(d)
            if n < 2:
                out[k], short[k] = np.nan, True
                continue
            sd = np.std(d, ddof=1)
            t, df = (d.mean() / (sd / np.sqrt(n)) if sd > 0 else np.inf), n - 1
        else:
            (x, cx), (y, cy) = cell_block(a, k), cell_block(b, k)
            x, y = x[cx], y[cy]
            n1, n2 = len(x), len(y)
            if n1 < 2 or n2 < 2:
                out[k], short[k] = np.nan, True
                continue
            v1, v2 = np.var(x, ddof=1), np.var(y, ddof=1)
            if ty == 2:
                sp = ((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2)
                se, df = np.sqrt(sp * (1 / n1 + 1 / n2)), n1 + n2 - 2
            else:
                se = np.sqrt(v1 / n1 + v2 / n2)
                df = (v1 / n1 + v2 / n2) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
            t = (x.mean() - y.mean()) / se if se > 0 else np.inf
        if not np.isfinite(t):
            out[k], short[k] = np.nan, True
            continue
        out[k] = t_ * special.stdtr(df, -abs(t))
    err = first_error(first_error_per_cell(a), first_error_per_cell(b))
    errs = [None if e is None else np.broadcast_to(e, (K,)) for e in (err, et, ek)]
    return _na_where(cell_result(out, first_error(*errs), short), na)


@fn("Z.TEST", 2, 3, arrays={0}, aliases=("ZTEST",))
def f_ztest(args):
    def f(x, mu, sigma):
        n = len(x)
        s = sigma if np.isfinite(sigma) else (np.std(x, ddof=1) if n > 1 else 0.0)
        return 1 - special.ndtr((x.mean() - mu) / (s / np.sqrt(n))) if s > 0 else np.inf
    return _per_cell(args, f, [(1, None), (2, np.nan)])


@fn("CHISQ.TEST", 2, 2, arrays="all", aliases=("CHITEST",))
def f_chisq_test(args):
    a, b = args[0], args[1]
    K = max(a.shape[0], b.shape[0])
    out, na = np.empty(K), np.zeros(K, bool)
    for k in range(K):
        (x, cx), (e, ce) = cell_block(a, k), cell_block(b, k)
        if x.shape != e.shape:
            out[k], na[k] = np.nan, True
            continue
        both = cx & ce
        if not (cx.all() and ce.all()):  # text or blanks in either: LibreOffice's #NUM! (Excel's undocumented)
            out[k] = np.nan
            continue
        if np.any(e[both] < 0) or np.any(e[both] == 0):
            out[k] = np.inf if np.any(e[both] == 0) else np.nan
            continue
        chi = np.sum((x[both] - e[both]) ** 2 / e[both])
        r, c = x.shape
        df = (r - 1) * (c - 1) if r > 1 and c > 1 else max(r, c) - 1
        out[k] = special.chdtrc(df, chi) if df >= 1 else np.nan
    err = first_error(first_error_per_cell(a), first_error_per_cell(b))
    res = cell_result(out, None if err is None else np.broadcast_to(err, (K,)), np.isinf(out))
    return _na_where(res, na)


@fn("F.TEST", 2, 2, arrays="all", aliases=("FTEST",))
def f_ftest(args):
    a, b = args[0], args[1]
    K = max(a.shape[0], b.shape[0])
    out = np.empty(K)
    for k in range(K):
        (x, cx), (y, cy) = cell_block(a, k), cell_block(b, k)
        x, y = x[cx], y[cy]
        if len(x) < 2 or len(y) < 2:
            out[k] = np.inf
            continue
        v1, v2 = np.var(x, ddof=1), np.var(y, ddof=1)
        if v1 == 0 or v2 == 0:
            out[k] = np.inf
            continue
        p = special.fdtr(len(x) - 1, len(y) - 1, v1 / v2)
        out[k] = 2 * min(p, 1 - p)
    err = first_error(first_error_per_cell(a), first_error_per_cell(b))
    return cell_result(out, None if err is None else np.broadcast_to(err, (K,)), np.isinf(out))


@fn("FREQUENCY", 2, 2, arrays="all")
def f_frequency(args):
    K0, cells, err = values_per_cell(args[:1])
    K1, bins, err2 = values_per_cell(args[1:2])
    K = max(K0, K1)
    nb = max(len(b) for b in bins)
    out = np.zeros((K, nb + 1, 1))
    for k in range(K):
        x, b = cells[k if K0 > 1 else 0], bins[k if K1 > 1 else 0]
        order = np.argsort(b, kind="stable")
        edges = b[order]
        counts = np.bincount(np.searchsorted(edges, x, "left"), minlength=len(b) + 1)
        res = np.empty(len(b) + 1)
        res[order] = counts[:len(b)]
        res[len(b)] = counts[len(b)]
        out[k, :len(b) + 1, 0] = res
    e = first_error(None if err is None else np.broadcast_to(err, (K,)),
                    None if err2 is None else np.broadcast_to(err2, (K,)))
    v = V(out)
    if e is not None:
        from ..values import with_errors
        v = with_errors(v, np.broadcast_to(np.asarray(e, object).reshape(-1, 1, 1), out.shape))
    return v


@fn("PROB", 3, 4, arrays={0, 1})
def f_prob(args):
    a, b = args[0], args[1]
    lo, el = scalar_arg(args, 2)
    hi, eh = scalar_arg(args, 3, np.nan) if len(args) > 3 and args[3] is not None else (lo, None)
    K = max(a.shape[0], b.shape[0], lo.shape[0], hi.shape[0])
    out, na = np.empty(K), np.zeros(K, bool)
    for k in range(K):
        p = pairs(a, b, k)
        if p is None:
            out[k], na[k] = np.nan, True
            continue
        x, pr = p
        if np.any(pr < 0) or np.any(pr > 1) or abs(np.sum(pr) - 1) > 1e-9:
            out[k] = np.nan
            continue
        lk, hk = lo[k if lo.shape[0] > 1 else 0], hi[k if hi.shape[0] > 1 else 0]
        out[k] = np.sum(pr[(x >= lk) & (x <= hk)])
    err = first_error(first_error_per_cell(a), first_error_per_cell(b))
    errs = [None if e is None else np.broadcast_to(e, (K,)) for e in (err, el, eh)]
    return _na_where(cell_result(out, first_error(*errs)), na)
