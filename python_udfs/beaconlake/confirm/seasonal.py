"""STL (Cleveland et al. 1990) without robustness iterations, as a pair of matrices per length.

Without robustness weights every step of STL (cycle-subseries loess, the low-pass moving
averages and loess, the trend loess) is a weighted sum whose weights depend only on positions,
never on the data: the seasonal and trend components of a series of length n are ``S @ x`` and
``T @ x``. One inner pass is built here once per length as two n x n matrices by following the
steps of statsmodels' ``STL`` (a port of the netlib code; ``statsmodels/tsa/stl/_stl.pyx``) on
matrices instead of vectors, and the five inner passes compose into one pair of matrices too:
a series then decomposes with two matrix-vector products (about 11 us of CPU for 192 points)
instead of one STL fit (about 1.4 ms). The results agree with
``statsmodels.tsa.seasonal.STL(x, period, robust=False).fit()`` to rounding (the sums run in a
different order); ``tests/test_confirm_equivalence.py`` checks it.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import sparse

#: statsmodels' defaults: seasonal smoother length, loess degrees, inner loop passes (no
#: robustness iterations).
SEASONAL = 7
DEGREE = 1
INNER_ITER = 5


def _loess_rows(
    n: int, length: int, xs: np.ndarray, nleft: np.ndarray, nright: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weights (rows over the n points) of degree-1 loess estimates at positions ``xs``
    (1-based), each from its points ``nleft..nright``, and whether each has any weight
    (netlib ``est``; a row without weight is left zero)."""
    width = int((nright - nleft).max()) + 1
    j = (nleft[:, None] + np.arange(width)[None, :]).astype(float)
    inside = j <= nright[:, None]
    h = np.maximum(xs - nleft, nright - xs).astype(float)
    if length > n:
        h += (length - n) // 2.0
    r = np.abs(j - xs[:, None])
    near = (r <= 0.001 * h[:, None]) & inside
    tricube = (r <= 0.999 * h[:, None]) & inside & ~near
    w = near.astype(float)
    w[tricube] = (1.0 - (r[tricube] / np.broadcast_to(h[:, None], r.shape)[tricube]) ** 3) ** 3
    a = w.sum(axis=1)
    ok = a > 0
    w[ok] /= a[ok, None]
    centre = (w * j).sum(axis=1)
    c = (w * (j - centre[:, None]) ** 2).sum(axis=1)
    tilt = ok & (h > 0) & (np.sqrt(c) > 0.001 * (n - 1.0))
    if DEGREE > 0 and tilt.any():
        b = (xs[tilt] - centre[tilt]) / c[tilt]
        w[tilt] *= b[:, None] * (j[tilt] - centre[tilt, None]) + 1.0
    rows = np.zeros((len(xs), n))
    which = np.broadcast_to(np.arange(len(xs))[:, None], j.shape)
    rows[which[inside], j[inside].astype(np.int64) - 1] = w[inside]
    return rows, ok


def _loess(n: int, length: int) -> np.ndarray:
    """The n x n loess smoother of window ``length`` evaluated at every point (netlib ``ess``
    with a jump of 1); a point without weight keeps its value."""
    if n < 2:
        return np.eye(n)
    xs = np.arange(1, n + 1)
    if length >= n:
        nleft = np.ones(n, dtype=np.int64)
    else:
        nleft = 1 + np.minimum(np.maximum(0, xs - (length + 2) // 2), n - length)
    nright = nleft + min(length, n) - 1
    rows, ok = _loess_rows(n, length, xs, nleft, nright)
    rows[~ok] = np.eye(n)[~ok]
    return rows


def _extrapolate(k: int, xs: int, nleft: int, nright: int, fallback: np.ndarray) -> np.ndarray:
    """The loess estimate of a k-point subseries at ``xs`` outside it, or ``fallback``."""
    one = np.array([xs, nleft, nright])
    row, ok = _loess_rows(k, SEASONAL, one[:1], one[1:2], one[2:])
    return row[0] if ok[0] else fallback


def _cycle_subseries(n: int, period: int) -> np.ndarray:
    """The (n + 2 period) x n map from a series to its smoothed cycle-subseries, each extended
    by one value before and after (netlib ``ss``)."""
    out = np.zeros((n + 2 * period, n))
    for phase in range(period):
        idx = np.arange(phase, n, period)
        k = len(idx)
        smooth = np.zeros((k + 2, k))
        smooth[1 : k + 1] = _loess(k, SEASONAL)
        smooth[0] = _extrapolate(k, 0, 1, min(SEASONAL, k), smooth[1])
        smooth[k + 1] = _extrapolate(k, k + 1, max(1, k - SEASONAL + 1), k, smooth[k])
        out[np.ix_(np.arange(k + 2) * period + phase, idx)] = smooth
    return out


def _moving_average(n: int, length: int) -> sparse.csr_array:
    """The (n - length + 1) x n moving average of ``length`` points (netlib ``ma``)."""
    return sparse.csr_array(
        sparse.diags_array(
            [np.full(n - length + 1, 1.0 / length)] * length,
            offsets=list(range(length)),
            shape=(n - length + 1, n),
        )
    )


def stl_smoothers(n: int, period: int) -> tuple[np.ndarray, np.ndarray]:
    """(D, E): the n x n matrices of one inner pass of STL on a series of n points: the
    seasonal component is ``D @ (x - trend)``, then the trend ``E @ (x - seasonal)``
    (statsmodels' defaults for ``period``: seasonal 7, degree-1 loess, jumps of 1).

    Products run on sparse matrices: the moving averages and loess smoothers are banded and a
    dense product would hand OpenBLAS an n^3 product that it spreads over threads, which
    costs far more than it saves on a machine whose cores already run one worker each.
    """
    trend_len = math.ceil(1.5 * period / (1 - 1.5 / SEASONAL))
    trend_len += trend_len % 2 == 0
    low_len = period + 1
    low_len += low_len % 2 == 0
    cycle = sparse.csr_array(_cycle_subseries(n, period))
    m = n + 2 * period
    low_pass = (
        _moving_average(m - 2 * period + 2, 3)
        @ _moving_average(m - period + 1, period)
        @ _moving_average(m, period)
    )
    # seasonal = smoothed cycle-subseries less their low-pass, as a map of the detrended series
    low = sparse.csr_array(_loess(n, low_len)) @ (low_pass @ cycle)
    seasonal = (cycle[period : period + n] - low).toarray()
    trend = _loess(n, trend_len)
    return seasonal, trend


@lru_cache(maxsize=512)
def stl_maps(n: int, period: int) -> tuple[np.ndarray, np.ndarray]:
    """(S, T): the n x n matrices of a whole fit, ``INNER_ITER`` inner passes
    (``stl_smoothers``) from a zero trend: the seasonal component of a series x is ``S @ x``,
    its trend ``T @ x``. Built once per length from ten dense n x n products: a few milliseconds
    on the one BLAS thread a scoring process keeps to (``confirm.batch.BLAS_THREADS``)."""
    seasonal_of, trend_of = stl_smoothers(n, period)
    identity = np.eye(n)
    trend = np.zeros((n, n))
    seasonal = trend
    for _ in range(INNER_ITER):
        seasonal = seasonal_of @ (identity - trend)
        trend = trend_of @ (identity - seasonal)
    seasonal.setflags(write=False)
    trend.setflags(write=False)
    return seasonal, trend


def stl(x: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray]:
    """(seasonal, trend) of ``x`` as ``STL(x, period, robust=False).fit()`` finds them: five
    inner passes from a zero trend (``stl_maps``)."""
    seasonal_of, trend_of = stl_maps(len(x), period)
    return seasonal_of @ x, trend_of @ x
