"""Probability distributions (Excel 2010's names and the legacy ones), element by element.

Each is a function of numbers: integer arguments are truncated as Excel truncates them, and an
argument outside the distribution's domain gives #NUM! (NaN here; `finish` names it).  scipy.special
is imported on first use.
"""

from __future__ import annotations

import numpy as np

from .mathfn import REQUIRED, numeric, special

def _where(ok, value):
    return np.where(ok, value, np.nan)


def _cum(flag):
    return flag != 0


# ---- Student's t ------------------------------------------------------------------------------

def _t_pdf(x, df):
    return np.exp(special.gammaln((df + 1) / 2) - special.gammaln(df / 2) - 0.5 * np.log(df * np.pi)
                  - (df + 1) / 2 * np.log1p(x * x / df))


def t_dist(x, df, cum):
    df = np.trunc(df)
    return _where(df >= 1, np.where(_cum(cum), special.stdtr(df, x), _t_pdf(x, df)))


def t_2t(x, df):
    df = np.trunc(df)
    return _where((df >= 1) & (x >= 0), 2 * special.stdtr(df, -x))


def t_rt(x, df):
    df = np.trunc(df)
    return _where(df >= 1, special.stdtr(df, -x))


def tdist(x, df, tails):
    df, tails = np.trunc(df), np.trunc(tails)
    return _where((df >= 1) & (x >= 0) & ((tails == 1) | (tails == 2)), tails * special.stdtr(df, -x))


def t_inv(p, df):
    df = np.trunc(df)
    return _where((p > 0) & (p < 1) & (df >= 1), special.stdtrit(df, p))


def t_inv_2t(p, df):
    df = np.trunc(df)
    return _where((p > 0) & (p <= 1) & (df >= 1), special.stdtrit(df, 1 - p / 2))


numeric("T.DIST", 3, 3, t_dist)
numeric("T.DIST.2T", 2, 2, t_2t)
numeric("T.DIST.RT", 2, 2, t_rt)
numeric("TDIST", 3, 3, tdist)
numeric("T.INV", 2, 2, t_inv)
numeric("T.INV.2T", 2, 2, t_inv_2t, aliases=("TINV",))


# ---- chi-squared, F -----------------------------------------------------------------------------

def _chi_pdf(x, k):
    return np.exp((k / 2 - 1) * np.log(x) - x / 2 - k / 2 * np.log(2) - special.gammaln(k / 2))


def chisq_dist(x, df, cum):
    df = np.trunc(df)
    ok = (x >= 0) & (df >= 1) & (df <= 1e10)
    pdf = np.where(x == 0, 0.0, _chi_pdf(x, df))  # at 0, LibreOffice's 0 (Excel's is not documented)
    return _where(ok, np.where(_cum(cum), special.chdtr(df, x), pdf))


def chisq_rt(x, df):
    df = np.trunc(df)
    return _where((x >= 0) & (df >= 1) & (df <= 1e10), special.chdtrc(df, x))


def chisq_inv(p, df):
    df = np.trunc(df)
    return _where((p >= 0) & (p < 1) & (df >= 1) & (df <= 1e10), special.chdtri(df, 1 - p))


def chisq_inv_rt(p, df):
    df = np.trunc(df)
    return _where((p > 0) & (p <= 1) & (df >= 1) & (df <= 1e10), special.chdtri(df, p))


def _f_pdf(x, a, b):
    return np.exp(0.5 * (a * np.log(a * x) + b * np.log(b) - (a + b) * np.log(a * x + b)) - np.log(x)
                  - special.betaln(a / 2, b / 2))


def f_dist(x, a, b, cum):
    a, b = np.trunc(a), np.trunc(b)
    ok = (x >= 0) & (a >= 1) & (b >= 1)
    pdf = np.where(x == 0, np.where(a > 2, 0.0, np.where(a == 2, 1.0, np.nan)), _f_pdf(x, a, b))  # the limit at 0
    return _where(ok, np.where(_cum(cum), special.fdtr(a, b, x), pdf))


def f_rt(x, a, b):
    a, b = np.trunc(a), np.trunc(b)
    return _where((x >= 0) & (a >= 1) & (b >= 1), special.fdtrc(a, b, x))


def f_inv(p, a, b):
    a, b = np.trunc(a), np.trunc(b)
    return _where((p >= 0) & (p < 1) & (a >= 1) & (b >= 1), special.fdtri(a, b, p))


def f_inv_rt(p, a, b):
    a, b = np.trunc(a), np.trunc(b)
    return _where((p > 0) & (p <= 1) & (a >= 1) & (b >= 1), special.fdtri(a, b, 1 - p))


numeric("CHISQ.DIST", 3, 3, chisq_dist)
numeric("CHISQ.DIST.RT", 2, 2, chisq_rt, aliases=("CHIDIST",))
numeric("CHISQ.INV", 2, 2, chisq_inv)
numeric("CHISQ.INV.RT", 2, 2, chisq_inv_rt, aliases=("CHIINV",))
numeric("F.DIST", 4, 4, f_dist)
numeric("F.DIST.RT", 3, 3, f_rt, aliases=("FDIST",))
numeric("F.INV", 3, 3, f_inv)
numeric("F.INV.RT", 3, 3, f_inv_rt, aliases=("FINV",))


# ---- discrete ---------------------------------------------------------------------------------

def _log_comb(n, k):
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def binom_dist(k, n, p, cum):
    ok = (k >= 0) & (n >= 0)  # (before truncation: -0.3 is negative, as Excel checks)
    k, n = np.trunc(k), np.trunc(n)
    ok = ok & (k <= n) & (p >= 0) & (p <= 1)
    pmf = np.where((p == 0) | (p == 1), np.where((p == 0) & (k == 0) | (p == 1) & (k == n), 1.0, 0.0),
                   np.exp(_log_comb(n, k) + k * np.log(p) + (n - k) * np.log1p(-p)))
    cdf = np.where(k >= n, 1.0, special.betainc(np.maximum(n - k, 1e-300), k + 1, 1 - p))  # = bdtr(k, n, p)
    return _where(ok, np.where(_cum(cum), cdf, pmf))


def poisson_dist(x, m, cum):
    ok = (x >= 0) & (m >= 0)
    x = np.trunc(x)
    pmf = np.where(m == 0, np.where(x == 0, 1.0, 0.0), np.exp(x * np.log(m) - m - special.gammaln(x + 1)))
    return _where(ok, np.where(_cum(cum), special.gammaincc(x + 1, m), pmf))  # = pdtr(x, m)


def hypgeom_dist(k, n, big_k, big_n, cum):
    k, n, big_k, big_n = (np.trunc(v) for v in (k, n, big_k, big_n))
    ok = (k >= 0) & (k <= n) & (k <= big_k) & (n <= big_n) & (big_k <= big_n) & (n >= 1) & (big_k >= 0) & \
         (n - k <= big_n - big_k)

    def pmf(j):
        return np.exp(_log_comb(big_k, j) + _log_comb(big_n - big_k, n - j) - _log_comb(big_n, n))
    dens = pmf(k)
    if np.any(_cum(cum)):
        top = int(np.nanmax(np.where(ok, k, 0))) if np.any(ok) else 0
        acc = np.zeros(np.broadcast(k, n, big_k, big_n).shape)
        for j in range(top + 1):
            lo_ok = (j <= k) & (n - j <= big_n - big_k) & (j <= big_k)
            acc = acc + np.where(lo_ok, np.nan_to_num(pmf(j)), 0.0)
        dens = np.where(_cum(cum), acc, dens)
    return _where(ok, dens)


def hypgeomdist(k, n, big_k, big_n):
    return hypgeom_dist(k, n, big_k, big_n, np.zeros((1, 1, 1)))


numeric("BINOM.DIST", 4, 4, binom_dist, aliases=("BINOMDIST",))
numeric("POISSON.DIST", 3, 3, poisson_dist, aliases=("POISSON",))
numeric("HYPGEOM.DIST", 5, 5, hypgeom_dist)
numeric("HYPGEOMDIST", 4, 4, hypgeomdist)


# ---- continuous -------------------------------------------------------------------------------

def lognorm_dist(x, m, s, cum):
    z = (np.log(x) - m) / s
    pdf = np.exp(-z * z / 2) / (x * s * np.sqrt(2 * np.pi))
    return _where((x > 0) & (s > 0), np.where(_cum(cum), special.ndtr(z), pdf))


def lognormdist(x, m, s):
    return _where((x > 0) & (s > 0), special.ndtr((np.log(x) - m) / s))


def lognorm_inv(p, m, s):
    return _where((p > 0) & (p < 1) & (s > 0), np.exp(m + s * special.ndtri(p)))


def weibull_dist(x, a, b, cum):
    u = (x / b) ** a
    pdf = a / b ** a * x ** (a - 1) * np.exp(-u)
    return _where((x >= 0) & (a > 0) & (b > 0), np.where(_cum(cum), -np.expm1(-u), pdf))


def gamma_fn(x):
    return _where(~((x <= 0) & (x == np.trunc(x))), special.gamma(x))


def gamma_dist(x, a, b, cum):
    pdf = np.exp((a - 1) * np.log(x) - x / b - a * np.log(b) - special.gammaln(a))
    pdf = np.where(x == 0, np.where(a == 1, 1 / b, np.where(a > 1, 0.0, np.inf)), pdf)
    ok = (x >= 0) & (a > 0) & (b > 0)
    out = _where(ok, np.where(_cum(cum), special.gammainc(a, x / b), pdf))
    return out, ok & ~_cum(cum) & (x == 0) & (a < 1)  # an infinite density at 0: LibreOffice's #DIV/0!


def gamma_inv(p, a, b):
    return _where((p >= 0) & (p < 1) & (a > 0) & (b > 0), b * special.gammaincinv(a, p))


def beta_dist(x, a, b, cum, lo, hi):
    z = (x - lo) / (hi - lo)
    # xlogy: 0 * log 0 is 0, so the density at an end where its exponent is 0 is finite (BETA.DIST(1,12,1) = 12)
    pdf = np.exp(special.xlogy(a - 1, z) + special.xlog1py(b - 1, -z) - special.betaln(a, b)) / (hi - lo)
    ok = (a > 0) & (b > 0) & (lo < hi) & (x >= lo) & (x <= hi)
    return _where(ok, np.where(_cum(cum), special.betainc(a, b, z), pdf))


def betadist(x, a, b, lo, hi):
    return beta_dist(x, a, b, np.ones((1, 1, 1)), lo, hi)


def beta_inv(p, a, b, lo, hi):
    ok = (p >= 0) & (p <= 1) & (a > 0) & (b > 0) & (lo < hi)
    return _where(ok, lo + (hi - lo) * special.betaincinv(a, b, p))


numeric("LOGNORM.DIST", 4, 4, lognorm_dist)
numeric("LOGNORMDIST", 3, 3, lognormdist)
numeric("LOGNORM.INV", 3, 3, lognorm_inv, aliases=("LOGINV",))
numeric("WEIBULL.DIST", 4, 4, weibull_dist, aliases=("WEIBULL",))
numeric("GAMMA", 1, 1, gamma_fn)
numeric("GAMMA.DIST", 4, 4, gamma_dist, aliases=("GAMMADIST",))
numeric("GAMMA.INV", 3, 3, gamma_inv, aliases=("GAMMAINV",))
numeric("BETA.DIST", 4, 6, beta_dist, defaults=(REQUIRED, REQUIRED, REQUIRED, REQUIRED, 0.0, 1.0))
numeric("BETADIST", 3, 5, betadist, defaults=(REQUIRED, REQUIRED, REQUIRED, 0.0, 1.0))
numeric("BETA.INV", 3, 5, beta_inv, defaults=(REQUIRED, REQUIRED, REQUIRED, 0.0, 1.0), aliases=("BETAINV",))


# ---- small ones -------------------------------------------------------------------------------

def confidence_norm(alpha, s, n):
    n = np.trunc(n)
    return _where((alpha > 0) & (alpha < 1) & (s > 0) & (n >= 1), special.ndtri(1 - alpha / 2) * s / np.sqrt(n))


def confidence_t(alpha, s, n):
    n = np.trunc(n)
    out = special.stdtrit(n - 1, 1 - alpha / 2) * s / np.sqrt(n)
    ok = (alpha > 0) & (alpha < 1) & (s > 0) & (n >= 1)
    return _where(ok, np.where(n == 1, np.inf, out)), ok & (n == 1)


def permut(n, k):
    ok = (n >= 0) & (k >= 0)  # (before truncation: -0.3 is negative)
    n, k = np.trunc(n), np.trunc(k)
    return _where(ok & (k <= n), np.round(np.exp(special.gammaln(n + 1) - special.gammaln(n - k + 1))))


numeric("CONFIDENCE.NORM", 3, 3, confidence_norm, aliases=("CONFIDENCE",))
numeric("CONFIDENCE.T", 3, 3, confidence_t)
numeric("PHI", 1, 1, lambda x: np.exp(-x * x / 2) / np.sqrt(2 * np.pi))
numeric("GAUSS", 1, 1, lambda x: special.ndtr(x) - 0.5)
numeric("FISHER", 1, 1, lambda x: _where(np.abs(x) < 1, np.arctanh(x)))
numeric("FISHERINV", 1, 1, np.tanh)
numeric("STANDARDIZE", 3, 3, lambda x, m, s: _where(s > 0, (x - m) / s))
numeric("PERMUT", 2, 2, permut)
numeric("PERMUTATIONA", 2, 2, lambda n, k: _where((n >= 0) & (k >= 0), np.trunc(n) ** np.trunc(k)))


# ---- Bessel functions (Excel truncates the order; a negative one is #NUM!) -------------------------

def _bessel(f, positive_x=False):
    def g(x, n):
        n = np.trunc(n)
        ok = (n >= 0) & ((x > 0) if positive_x else True)
        return _where(ok, f(np.where(ok, n, 0), x))
    return g


numeric("BESSELJ", 2, 2, _bessel(lambda n, x: special.jv(n, x)))
numeric("BESSELY", 2, 2, _bessel(lambda n, x: special.yv(n, x), positive_x=True))
numeric("BESSELI", 2, 2, _bessel(lambda n, x: special.iv(n, x)))
numeric("BESSELK", 2, 2, _bessel(lambda n, x: special.kv(n, x), positive_x=True))
