"""Can the confirmation's core run inside Trino as a Python UDF, and how fast?

    python benchmarks/trino_udf.py          # 2,000 and 20,000 series, the costly UDFs on 200
    python benchmarks/trino_udf.py --series 500 --check 200 --no-trino

Trino (>= 468) runs `LANGUAGE PYTHON` functions: CPython 3.13 compiled to WebAssembly, run by
Chicory inside the JVM, standard library only (no numpy). The section between the `udf:`
markers below is `confirm.periodicity.analyze` rewritten with the standard library only; it is
the function body sent to Trino, after the constants it shares with `confirm.periodicity` and
the project's beat rule (var `beat_merge_seconds`), written in front of it by `udf_source()` from
their one definition. The same code runs here natively so it can be compared with the numpy path
on the same series:

- agreement: the numpy `analyze` and the port on `--check` series, max |difference| of each
  comparable quantity (beacons and random series apart) and the share of other verdicts
  (periodicity score >= var confirm_min_periodicity);
- speed, wall and CPU seconds: the numpy path (1 process and `--workers` processes, as
  `confirm.batch` runs it), the port natively, and the port as a UDF inside Trino over a table
  of the same series (Parquet, `--files` files so the scan runs on every worker thread): a
  function that only counts the beats (the cost of handing an array over), the interval
  statistics alone, every check but STL, and every check (these two on `--udf-series` only:
  they take about a CPU-second a series). Trino's CPU is the server process's (planning and
  every interpreter a query starts included) when the server runs on this machine;
- the sandbox (Python version, memory, recursion, a loop's speed, interpreters per query, the
  cost of a query's first call) and whether a `CREATE TABLE ... AS`, an `INSERT`, a view and a
  catalog function can hold the UDF (what a dbt model would need).

Synthetic series: one day, ~70 beats each, half of them beacons (period 30 s to 20 min, uniform
jitter up to 50 % of the period either way, up to 20 % missing beats, A + AAAA bursts), half
random arrivals over a random part of the day; unsorted, as a warehouse returns them.

Trino: the server at BEACONLAKE_TRINO_HOST/PORT (127.0.0.1:8089); started for the run with
`trino/server.sh up` and stopped after when none answers. Timings belong here, not in tests.

What the port leaves out or approximates (the agreement table shows what it costs):

- the periodogram is evaluated at trial frequencies only (a band around the fundamental of the
  mean interval, its harmonics, a log grid over the band, each climbed to its local maximum)
  instead of the whole zero-padded FFT;
- the permutation threshold (100 shuffled FFTs per shape in numpy) is replaced by an analytic
  approximation: the 95 % quantile of the largest of (band / pad factor) exponential powers of
  mean p(1 - p), capped by the power of m aligned beats;
- the autocorrelation is computed from the beats' bins directly (only lags 3 to 10 are used),
  exactly; STL (statsmodels' algorithm, inner loop only, as `robust=False`) is ported line by
  line, its loess weights cached (they do not depend on the data).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise
from operator import mul
from pathlib import Path

import numpy as np

from beaconlake.confirm.periodicity import (
    BINS_PER_PERIOD,
    FOLD_TOLERANCE,
    FOLD_WEIGHTS,
    FREE_GAPS_PER_DAY,
    FULL_CONFIDENCE_BEATS,
    GAP_MASS,
    LLR_MIDPOINT,
    LLR_SCALE,
    MAX_BINS,
    MAX_SPREAD,
    MIN_GAP_S,
    MIN_RUN_BEATS,
    MIN_SPAN_PERIODS,
    MIN_SPAN_S,
    MIN_SPREAD,
    PAD_FACTOR,
    STL_PERIODS,
    WEIGHTS,
)
from beaconlake.confirm.settings import project_settings

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "trino" / "server.sh"
DAY = 86_400.0
WINDOW_START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
WINDOW_END = WINDOW_START + DAY
CONFIRM_THRESHOLD = project_settings().confirm_min_periodicity
#: The beat rule's gap (var beat_merge_seconds), read when the benchmark starts.
BEAT_MERGE_SECONDS = project_settings().beat_merge_seconds
#: Names the port uses that are defined outside it (above): udf_source() writes their values in
#: front of the UDF's body.
SHARED_CONSTANTS = (
    "BEAT_MERGE_SECONDS", "BINS_PER_PERIOD", "FOLD_TOLERANCE", "FOLD_WEIGHTS",
    "FREE_GAPS_PER_DAY", "FULL_CONFIDENCE_BEATS", "GAP_MASS", "LLR_MIDPOINT", "LLR_SCALE",
    "MAX_BINS", "MAX_SPREAD", "MIN_GAP_S", "MIN_RUN_BEATS", "MIN_SPAN_PERIODS", "MIN_SPAN_S",
    "MIN_SPREAD", "PAD_FACTOR", "STL_PERIODS", "WEIGHTS",
)  # fmt: skip

# --- udf: begin (standard library only; udf_source() adds the imports and SHARED_CONSTANTS) ---

#: Trial frequencies: the fundamental of the mean interval searched within this share of its
#: frequency, its harmonics up to MAX_HARMONIC, and a log grid over the band.
FUNDAMENTAL_BAND = 0.15
MAX_HARMONIC = 12
GRID_FREQUENCIES = 128
#: Twiddle factors for every FFT length up to MAX_BINS * PAD_FACTOR, built on first use.
TWIDDLE_SIZE = MAX_BINS * PAD_FACTOR
_twiddle: list[complex] = []
#: STL as statsmodels runs it with period=8 and its defaults (seasonal=7, robust=False).
STL_SEASONAL = 7
STL_INNER = 5


def _median(v: list[float]) -> float:
    """Median of a sorted list."""
    n, h = len(v), len(v) // 2
    return v[h] if n % 2 else (v[h - 1] + v[h]) / 2.0


def _quantile(v: list[float], q: float) -> float:
    """numpy's default (linear) quantile of a sorted list."""
    pos = q * (len(v) - 1)
    i = int(pos)
    if i + 1 >= len(v):
        return v[-1]
    return v[i] + (v[i + 1] - v[i]) * (pos - i)


def _mean(v: list[float]) -> float:
    return sum(v) / len(v)


def merge_beats(times: list[float]) -> list[float]:
    """Sorted beat times, by the project's beat rule (confirm.periodicity.merge_beats): times cut
    to whole seconds, each second at most BEAT_MERGE_SECONDS after the previous one in its beat."""
    seconds = sorted({float(math.floor(t)) for t in times})
    beats = seconds[:1]
    for prev, cur in pairwise(seconds):
        if cur - prev > BEAT_MERGE_SECONDS:
            beats.append(cur)
    return beats


def fold_score(d: list[float], period: float) -> tuple[float, float, list[int]]:
    if not d or period <= 0:
        return 0.0, 0.0, []
    ks = [max(1, round(x / period)) for x in d]
    tol = FOLD_TOLERANCE * period
    score, missing = 0.0, 0
    for x, k in zip(d, ks, strict=True):
        w = FOLD_WEIGHTS.get(k, 0.0)
        if w:
            score += w * min(1.0, max(0.0, 1.0 - abs(x / k - period) / tol))
        if k > 1:
            missing += 1
    return score / len(d), missing / len(d), ks


def _folded_mean(seed: float, d: list[float], rounds: int = 3) -> float:
    period = seed
    for _ in range(rounds):
        if period <= 0:
            return seed
        total, count = 0.0, 0
        for x in d:
            k = max(1, round(x / period))
            if k <= 4:
                total += x
                count += k
        if not count:
            return period
        period = total / count
    return period


def _parsimony(fold: float, missing: float) -> float:
    return fold * math.sqrt(max(0.0, 1.0 - missing))


def _harmonic(a: float, b: float, tol: float = 0.1) -> bool:
    return any(abs(a / (b * m) - 1) <= tol for m in (1, 2, 0.5, 3, 1 / 3))


def _round_sig(n: int, digits: int = 2) -> int:
    if n < 100:
        return n
    scale = 10 ** (int(math.log10(n)) - digits + 1)
    return int(round(n / scale) * scale)


def null_threshold(n_bins: int, n_beats: int, lo: int, hi: int) -> float:
    """Approximate 95th percentile of the largest periodogram power of shuffled series."""
    m = min(_round_sig(n_beats), n_bins - 1)
    mu = m * (n_bins - m) / (n_bins * (n_bins - 1.0))
    independent = max(1.0, (hi - lo) / PAD_FACTOR)
    return min(1.05 * mu * math.log(independent / 0.05), 0.85 * m * m / n_bins)


def spectral_peak(
    beats: list[float], d: list[float], med: float, start: float, end: float, min_period: float
) -> tuple[float, float]:
    """(period of the periodogram's strongest peak, its power / null threshold)."""
    global _twiddle
    bin_s = float(2 ** max(0, math.floor(math.log2(max(min_period / 4.0, 1.0)))))
    lo_t = start if (end - start) / bin_s <= MAX_BINS else max(start, beats[0])
    hi_t = min(end, lo_t + MAX_BINS * bin_s)
    n = max(1, math.ceil((hi_t - lo_t) / bin_s))
    idx = sorted({min(max(int((b - lo_t) / bin_s), 0), n - 1) for b in beats if lo_t <= b < hi_t})
    m = len(idx)
    if n < 16 or m < 4:
        return 0.0, 0.0
    n_fft = 1 << math.ceil(math.log2(n * PAD_FACTOR))
    lo = max(1, math.ceil(3 * n_fft / n))
    hi = n_fft // 2
    if hi <= lo + 1:
        return 0.0, 0.0
    if not _twiddle:
        step = -2.0 * math.pi / TWIDDLE_SIZE
        _twiddle = [complex(math.cos(step * j), math.sin(step * j)) for j in range(TWIDDLE_SIZE)]
    tw, mask, stride = _twiddle, TWIDDLE_SIZE - 1, TWIDDLE_SIZE // n_fft
    pos = [j * stride for j in idx]
    mean = m / n

    def power(k: int) -> float:
        z = sum([tw[(k * p) & mask] for p in pos])
        # minus the mean: the mean times the transform of n ones (a geometric series)
        z -= mean * (1 - tw[(k * n * stride) & mask]) / (1 - tw[(k * stride) & mask])
        return (z.real * z.real + z.imag * z.imag) / n

    def climb(k: int, p: float) -> tuple[int, float]:
        """From bin k of power p to the local maximum, one bin at a time."""
        while True:
            q, nk = max((power(j), j) for j in (k - 1, k + 1) if lo <= j < hi)
            if q <= p:
                return k, p
            k, p = nk, q

    def scan(ks: range) -> tuple[int, float]:
        """The strongest of bins ks (within the band), climbed to its local maximum."""
        best = max(((power(k), k) for k in ks if lo <= k < hi), default=(-1.0, 0))
        return climb(best[1], best[0]) if best[0] >= 0 else (0, -1.0)

    # the fundamental of the mean interval, within FUNDAMENTAL_BAND, at half a peak's width
    base = n_fft * bin_s / _folded_mean(med, d)
    step = max(1, n_fft // (2 * (idx[-1] - idx[0] + 1)))
    half = max(2, math.ceil(FUNDAMENTAL_BAND * base))
    best_k, best = scan(range(round(base) - half, round(base) + half + 1, step))
    if best_k:
        fundamental = best_k
        for h in [0.5, *range(2, MAX_HARMONIC + 1)]:  # its harmonics, where they sit
            centre = round(h * fundamental)
            if centre - h - 2 >= hi:
                break
            k, p = scan(range(centre - math.ceil(h) - 1, centre + math.ceil(h) + 2, 2))
            if p > best:
                best_k, best = k, p
    ratio = (hi - 1) / lo
    for i in range(GRID_FREQUENCIES):  # anything else: a log grid over the band
        k = round(lo * ratio ** (i / (GRID_FREQUENCIES - 1)))
        p = power(k)
        if p > best:
            best_k, best = climb(k, p)
    threshold = null_threshold(n, m, lo, hi)
    return n_fft / best_k * bin_s, best / threshold if threshold > 0 else 0.0


def acf_hill(beats: list[float], start: float, end: float, period: float) -> float:
    """Hill score of the autocorrelation at BINS_PER_PERIOD bins (lags 3 to 10, exact)."""
    bin_s = period / BINS_PER_PERIOD
    n = max(1, math.ceil((end - start) / bin_s))
    if n < 3 * BINS_PER_PERIOD:
        return 0.0
    counts: dict[int, int] = {}
    for b in beats:
        i = min(max(int((b - start) / bin_s), 0), n - 1)
        counts[i] = counts.get(i, 0) + 1
    total = len(beats)
    mean = total / n
    r0 = sum(c * c for c in counts.values()) - total * total / n
    if r0 <= 0:
        return 0.0
    r = {}
    for lag in range(3, 11):
        prod = sum(c * counts.get(i + lag, 0) for i, c in counts.items())
        head = sum(c for i, c in counts.items() if i < lag)
        tail = sum(c for i, c in counts.items() if i >= n - lag)
        r[lag] = (prod - mean * (2 * total - head - tail) + (n - lag) * mean * mean) / r0
    hill = max(r[lag] for lag in range(6, 11))
    trough = (r[3] + r[4] + r[5]) / 3.0
    return min(1.0, max(0.0, (hill - max(trough, 0.0)) / 0.5))


#: Loess weights by (n, span, xs - nleft, nright - nleft): without robustness weights a fit's
#: weights do not depend on the data, and the same windows recur across points and series.
_loess_cache: dict[tuple[int, int, int, int], tuple[float, ...] | None] = {}


def _loess_weights(n: int, span: int, xs: int, nleft: int, nright: int) -> tuple[float, ...] | None:
    """statsmodels' STL `_est` weights for a local linear fit at xs (1-based) over
    [nleft, nright], tricube kernel; None where it has no weight."""
    key = (n, span, xs - nleft, nright - nleft)
    if key in _loess_cache:
        return _loess_cache[key]
    if len(_loess_cache) > 4096:
        _loess_cache.clear()
    x0, width = xs - nleft + 1, nright - nleft + 1  # positions relative to nleft
    h = max(x0 - 1, width - x0)
    if span > n:
        h += (span - n) // 2
    h9, h1 = 0.999 * h, 0.001 * h
    js = range(1, width + 1)
    w = []
    for j in js:
        r = abs(j - x0)
        w.append(0.0 if r > h9 else 1.0 if r <= h1 else (1.0 - (r / h) ** 3) ** 3)
    a = 0.0
    for v in w:
        a += v
    result = None
    if a > 0:
        w = [v / a for v in w]
        if h > 0:
            a = 0.0
            for v, j in zip(w, js, strict=True):
                a += v * j
            b = x0 - a
            c = 0.0
            for v, j in zip(w, js, strict=True):
                c += v * (j - a) ** 2
            if math.sqrt(c) > 0.001 * (n - 1):
                b /= c
                w = [v * (b * (j - a) + 1.0) for v, j in zip(w, js, strict=True)]
        result = tuple(w)
    _loess_cache[key] = result
    return result


def _est(y: list[float], n: int, span: int, xs: int, nleft: int, nright: int) -> float | None:
    """statsmodels' STL `_est`: the local linear fit at xs, None where it has no weight."""
    w = _loess_weights(n, span, xs, nleft, nright)
    return None if w is None else sum(map(mul, w, y[nleft - 1 : nright]))


#: Smoother plans by (n, span): each point's window (0-based start, end) and weights.
_plans: dict[tuple[int, int], list[tuple[int, int, tuple[float, ...] | None]]] = {}


def _plan(n: int, span: int) -> list[tuple[int, int, tuple[float, ...] | None]]:
    """The windows statsmodels' STL `_ess` (jump 1) fits each of n points over."""
    plan = _plans.get((n, span))
    if plan is None:
        if len(_plans) > 64:
            _plans.clear()
        plan = []
        nleft, nright, nsh = (1, span, (span + 2) // 2) if span < n else (1, n, 0)
        for i in range(n):
            if span < n and i + 1 > nsh and nright != n:
                nleft += 1
                nright += 1
            plan.append((nleft - 1, nright, _loess_weights(n, span, i + 1, nleft, nright)))
        _plans[(n, span)] = plan
    return plan


def _ess(y: list[float], n: int, span: int) -> list[float]:
    """statsmodels' STL `_ess` (jump 1): loess smoothing of y[:n] with window span."""
    if n < 2:
        return [y[0]]
    return [
        y[i] if w is None else sum(map(mul, w, y[a:b]))
        for i, (a, b, w) in enumerate(_plan(n, span))
    ]


def _ma(x: list[float], n: int, span: int) -> list[float]:
    v = 0.0
    for i in range(span):
        v += x[i]
    out = [v / span]
    for j in range(1, n - span + 1):
        v += x[j + span - 1] - x[j - 1]
        out.append(v / span)
    return out


def stl(y: list[float], period: int) -> tuple[list[float], list[float]]:
    """(seasonal, residual) of statsmodels' STL(y, period).fit() with robust=False."""
    n, ns = len(y), STL_SEASONAL
    nt = math.ceil(1.5 * period / (1 - 1.5 / ns))
    nt += nt % 2 == 0
    nl = period + 1
    nl += nl % 2 == 0
    trend = [0.0] * n
    season = [0.0] * n
    for _ in range(STL_INNER):
        detrended = [y[i] - trend[i] for i in range(n)]
        cycle = [0.0] * (n + 2 * period)
        for j in range(period):
            k = (n - (j + 1)) // period + 1
            sub = [detrended[i * period + j] for i in range(k)]
            smooth = _ess(sub, k, ns)
            first = _est(sub, k, ns, 0, 1, min(ns, k))
            last = _est(sub, k, ns, k + 1, max(1, k - ns + 1), k)
            ext = [smooth[0] if first is None else first, *smooth]
            ext.append(smooth[-1] if last is None else last)
            for m in range(k + 2):
                cycle[m * period + j] = ext[m]
        low = _ma(cycle, n + 2 * period, period)
        low = _ma(low, n + period + 1, period)
        low = _ma(low, n + 2, 3)
        low = _ess(low, n, nl)
        season = [cycle[period + i] - low[i] for i in range(n)]
        trend = _ess([y[i] - season[i] for i in range(n)], n, nt)
    return season, [y[i] - season[i] - trend[i] for i in range(n)]


def _var(v: list[float]) -> float:
    mean = sum(v) / len(v)
    return sum((x - mean) ** 2 for x in v) / len(v)


def seasonal_strength(beats: list[float], start: float, end: float, period: float) -> float:
    lo = max(start, beats[0] - period / 2)
    hi = min(end, lo + STL_PERIODS * period)
    bin_s = period / BINS_PER_PERIOD
    n = max(1, math.ceil((hi - lo) / bin_s))
    x = [0.0] * n
    for b in beats:
        if lo <= b < hi:
            x[min(max(int((b - lo) / bin_s), 0), n - 1)] += 1.0
    if n < 3 * BINS_PER_PERIOD or max(x) == min(x):
        return 0.0
    season, resid = stl(x, BINS_PER_PERIOD)
    total = _var([s + r for s, r in zip(season, resid, strict=True)])
    return min(1.0, max(0.0, 1.0 - _var(resid) / total)) if total > 0 else 0.0


def renewal_llr(x: list[float], ks: list[int], spread: float) -> float:
    if not x:
        return -1.0
    s = min(MAX_SPREAD, max(MIN_SPREAD, spread))
    multiples = range(1, max(FOLD_WEIGHTS) + 1)
    counts = [sum(1 for k in ks if k == m) + 0.5 for m in multiples]
    total = sum(counts)
    parts = []
    for m, c in zip(multiples, counts, strict=True):
        sd = s * math.sqrt(m)
        parts.append((m, (1 - GAP_MASS) * c / total / (sd * math.sqrt(2 * math.pi)), sd))
    floor = GAP_MASS / max(max(x), multiples[-1] + 0.5)
    mean = sum(x) / len(x)
    log_mean = math.log(mean)
    acc = 0.0
    for xi in x:
        beacon = floor
        for m, w, sd in parts:
            beacon += w * math.exp(-0.5 * ((xi - m) / sd) ** 2)
        acc += math.log(beacon) + xi / mean + log_mean
    return acc / len(x)


def _coverage(
    beats: list[float], d: list[float], period: float, active: float, short_by: float
) -> tuple[float, float]:
    gap = max((max(FOLD_WEIGHTS) + 0.5) * period, MIN_GAP_S)
    cut = [i for i, x in enumerate(d) if x > gap]
    bounds = [0, *(c + 1 for c in cut), len(beats)]
    runs = [b - a for a, b in pairwise(bounds)]
    covered = (beats[-1] - beats[0]) - sum(d[c] for c in cut) + len(runs) * period
    covered += max(0.0, short_by)
    coverage = min(1.0, len(beats) / max(min(covered, active) / period, 1.0))
    restarts = sum(1 for r in runs[1:] if r >= MIN_RUN_BEATS)
    days = max((beats[-1] - beats[0] + period) / 86_400, 1.0)
    return coverage, restarts / days


def _expit(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


#: The fields the UDF returns, in order (a Trino ROW).
# left as written: items in rows, not one per line
RESULT_FIELDS = (
    "n_beats", "period_seconds", "jitter", "interval_score", "renewal_llr", "spectral_ratio",
    "acf_score", "seasonal_strength", "coverage", "periodicity_score",
)  # fmt: skip


def analyze(
    times: list[float],
    start: float,
    end: float,
    active_seconds: float | None = None,
    checks: str = "full",
) -> tuple:
    """confirm.periodicity.analyze on the standard library: a tuple of RESULT_FIELDS.

    checks: "full" (every check), "core" (all but STL) or "intervals" (the interval
    statistics only: no periodogram, autocorrelation or STL).
    """
    beats = merge_beats(times)
    n = len(beats)
    if n < 4:
        return (n, 0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    d = [b - a for a, b in pairwise(beats)]
    ds = sorted(d)
    med = _median(ds)
    spec_period, spec_ratio = 0.0, 0.0
    if checks != "intervals":
        spec_period, spec_ratio = spectral_peak(beats, d, med, start, end, max(med / 3, 1.0))
    seeds = {med, _quantile(ds, 0.25)}
    if spec_period > 0:
        seeds |= {spec_period, spec_period * 2, spec_period / 2}
    mean_d = _mean(d)
    periods = [_folded_mean(p, d) for p in seeds] + [mean_d]
    period = max(periods, key=lambda p: _parsimony(*fold_score(d, p)[:2]))
    fold, _, ks = fold_score(d, period)
    acf_score = acf_hill(beats, start, end, period) if checks != "intervals" else 0.0
    on_period = sorted(x / period for x, k in zip(d, ks, strict=True) if k == 1)
    mad = 1.0
    if len(on_period) >= 3:
        centre = _median(on_period)
        mad = _median(sorted(abs(v - centre) for v in on_period))
    sd = math.sqrt(_var(d))
    llr = max(
        renewal_llr([x / period for x in d], ks, 1.4826 * mad),
        renewal_llr([x / mean_d for x in d], [1] * len(d), sd / mean_d),
    )
    ratio = spec_ratio if spec_period and _harmonic(spec_period, period) else 0.0
    seasonal = seasonal_strength(beats, start, end, period) if checks == "full" else 0.0
    active = active_seconds if active_seconds and active_seconds > 0 else end - start
    lifetime = beats[-1] - beats[0] + period
    judged = min(max(lifetime, max(MIN_SPAN_S, MIN_SPAN_PERIODS * period)), active)
    coverage, gaps_per_day = _coverage(beats, d, period, judged, judged - lifetime)
    continuity = coverage / (1.0 + max(0.0, gaps_per_day - FREE_GAPS_PER_DAY) / 2.0)
    renewal = _expit((llr * len(d) - LLR_MIDPOINT) / LLR_SCALE)
    spectral_score = min(1.0, max(0.0, ratio - 0.5))
    regularity = (
        WEIGHTS["renewal_score"] * renewal
        + WEIGHTS["interval_score"] * fold
        + WEIGHTS["confirmation"] * max(spectral_score, acf_score, seasonal)
    )
    combined = regularity * math.sqrt(continuity) * min(1.0, n / FULL_CONFIDENCE_BEATS)
    # left as written: items in rows, not one per line
    return (n, float(period), min(1.0, 2.0 * mad), fold, llr, float(ratio), acf_score,
            seasonal, coverage, combined)  # fmt: skip


def confirm_full(times: list[float] | None, start: float, end: float) -> tuple | None:
    """UDF handler: every check, STL included."""
    return None if times is None else analyze(times, start, end)


def confirm_core(times: list[float] | None, start: float, end: float) -> tuple | None:
    """UDF handler: every check but STL."""
    return None if times is None else analyze(times, start, end, checks="core")


def confirm_intervals(times: list[float] | None, start: float, end: float) -> tuple | None:
    """UDF handler: the interval statistics only (renewal, folding, coverage)."""
    return None if times is None else analyze(times, start, end, checks="intervals")


def count_beats(times: list[float] | None) -> int | None:
    """UDF handler: only hands the array over (the cost of a call)."""
    return None if times is None else len(times)


# --- udf: end ---

RESULT_TYPE = (
    "row(n_beats bigint, period_seconds double, jitter double, interval_score double, "
    "renewal_llr double, spectral_ratio double, acf_score double, seasonal_strength double, "
    "coverage double, periodicity_score double)"
)


def udf_source() -> str:
    """The code between the `udf:` markers of this file, as a UDF body, after the imports and
    the values of SHARED_CONSTANTS."""
    text = Path(__file__).read_text()
    begin = text.index("# --- udf: begin")
    body = text[text.index("\n", begin) + 1 : text.index("# --- udf: end ---")]
    constants = "".join(f"{name} = {globals()[name]!r}\n" for name in SHARED_CONSTANTS)
    imports = "import math\nfrom itertools import pairwise\nfrom operator import mul\n\n"
    return imports + constants + body


def udf_sql(name: str, handler: str) -> str:
    """An inline `WITH FUNCTION` declaration of one handler of the port."""
    if handler == "count_beats":
        signature, returns = "times array(double)", "bigint"
    else:
        signature, returns = "times array(double), ws double, we double", RESULT_TYPE
    return (
        f"FUNCTION {name}({signature}) RETURNS {returns} LANGUAGE PYTHON "
        f"WITH (handler = '{handler}') AS $$\n{udf_source()}$$"
    )


# ---------------------------------------------------------------------------------------------
# Synthetic series


def synthetic(count: int, seed: int = 7) -> list[tuple[str, np.ndarray]]:
    """(kind, event times): half beacons, half random arrivals, ~70 beats each, unsorted."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        beats = int(rng.integers(40, 101))
        if i % 2 == 0:
            period = float(np.exp(rng.uniform(math.log(30), math.log(1200))))
            jitter = float(rng.uniform(0.0, 0.5))
            t0 = rng.uniform(0.0, max(1.0, DAY - beats * period))
            t: np.ndarray = t0 + period * (np.arange(beats) + rng.uniform(-jitter, jitter, beats))
            t = t[rng.random(beats) >= rng.uniform(0.0, 0.2)]
            kind = "beacon"
        else:
            span = rng.uniform(3600.0, DAY)
            t = rng.uniform(0.0, DAY - span) + rng.uniform(0.0, span, beats)
            kind = "random"
        t = np.concatenate([t, t[rng.random(len(t)) < 0.15] + rng.uniform(0.0, 0.5)])
        t = WINDOW_START + np.round(np.clip(t, 0.0, DAY - 1.0), 3)
        rng.shuffle(t)
        out.append((kind, t))
    return out


# ---------------------------------------------------------------------------------------------
# The numpy path and the port, natively


def _numpy_batch(series: list[np.ndarray]) -> list[float]:
    from beaconlake.confirm.periodicity import analyze as np_analyze

    return [np_analyze(t, WINDOW_START, WINDOW_END).periodicity_score for t in series]


def numpy_rate(series: list[np.ndarray], workers: int) -> tuple[float, float]:
    """(wall s, CPU s) of the numpy `analyze` in batches of 250, as confirm.batch runs it."""
    batches = [series[i : i + 250] for i in range(0, len(series), 250)]
    wall, cpu = time.perf_counter(), _cpu_here()
    if workers == 1:
        for b in batches:
            _numpy_batch(b)
    else:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_numpy_batch, batches))
    return time.perf_counter() - wall, _cpu_here() - cpu


def port_rate(lists: list[list[float]], checks: str) -> tuple[float, float]:
    """(wall s, CPU s) of the stdlib port natively."""
    wall, cpu = time.perf_counter(), _cpu_here()
    for t in lists:
        analyze(t, WINDOW_START, WINDOW_END, checks=checks)
    return time.perf_counter() - wall, _cpu_here() - cpu


def _cpu_here() -> float:
    """CPU seconds of this process and its reaped children."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def agreement(series: list[tuple[str, np.ndarray]]) -> list[tuple[str, float, float, float]]:
    """(quantity, max |numpy - port| on beacons, on random series, 99th percentile of all)."""
    from statsmodels.tsa.seasonal import STL

    from beaconlake.confirm import periodicity as p

    diffs: dict[str, list[tuple[str, float]]] = {}

    def add(what: str, kind: str, value: float) -> None:
        diffs.setdefault(what, []).append((kind, value))

    rng = np.random.default_rng(3)
    for kind, t in series:
        ref = p.analyze(t, WINDOW_START, WINDOW_END)
        got = analyze(t.tolist(), WINDOW_START, WINDOW_END)
        core = analyze(t.tolist(), WINDOW_START, WINDOW_END, checks="core")
        intervals = analyze(t.tolist(), WINDOW_START, WINDOW_END, checks="intervals")
        for f, v in zip(RESULT_FIELDS, got, strict=True):
            add(f, kind, abs(float(getattr(ref, f)) - float(v)))
        add("periodicity_score, port without STL", kind, abs(ref.periodicity_score - core[-1]))
        add("periodicity_score, intervals only", kind, abs(ref.periodicity_score - intervals[-1]))
        differs = (ref.periodicity_score >= CONFIRM_THRESHOLD) != (
            intervals[-1] >= CONFIRM_THRESHOLD
        )
        add("different verdict, intervals only: share", kind, float(differs))
        if ref.spectral_ratio > 0 and got[5] > 0:
            add(
                "spectral_ratio / numpy's - 1 (both > 0)",
                kind,
                abs(got[5] / ref.spectral_ratio - 1),
            )
        other_period = not got[1] or abs(ref.period_seconds / got[1] - 1) > 0.01
        add("different period (> 1 %): share", kind, float(other_period))
        confirmed = ref.periodicity_score >= CONFIRM_THRESHOLD, got[-1] >= CONFIRM_THRESHOLD
        add(
            f"different verdict (score >= {CONFIRM_THRESHOLD}): share",
            kind,
            float(confirmed[0] != confirmed[1]),
        )
        # STL alone on random binned input of 3 to 24 periods: statsmodels vs the port
        x = rng.poisson(0.3, 8 * int(rng.integers(3, 25))).astype(float)
        if x.std() > 0:
            res = STL(x, period=8, robust=False).fit()
            season, resid = stl(x.tolist(), 8)
            worst = max(np.max(np.abs(res.seasonal - season)), np.max(np.abs(res.resid - resid)))
            add("STL seasonal and resid (statsmodels vs port)", kind, float(worst))
    out: list[tuple[str, float, float, float]] = []
    for what, pairs in diffs.items():
        share = what.endswith("share")
        by_kind = []
        for k in ("beacon", "random"):
            v = [x for kind, x in pairs if kind == k] or [float("nan")]
            by_kind.append(float(np.mean(v) if share else np.max(v)))
        every = np.asarray([x for _, x in pairs])
        every_kind = float(np.mean(every) if share else np.quantile(every, 0.99))
        out.append((what, by_kind[0], by_kind[1], every_kind))
    return out


# ---------------------------------------------------------------------------------------------
# Trino


def _server(command: str, env: dict[str, str]) -> None:
    subprocess.run(["bash", str(SERVER), command], env=env, check=True)


def _answers(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/v1/info", timeout=3) as r:
            return not json.load(r).get("starting", True)
    except OSError:
        return False


class Trino:
    """A client, and the CPU time of the server process when it runs on this machine."""

    def __init__(self, host: str, port: int) -> None:
        import trino

        self.conn = trino.dbapi.connect(host=host, port=port, user="beaconlake")
        run = os.environ.get("BEACONLAKE_TRINO_HOME") or str(
            Path(os.environ.get("BEACONLAKE_CACHE", Path.home() / ".cache" / "beaconlake"))
            / "trino-run"
        )
        try:
            self.pid: int | None = int((Path(run) / "var" / "run" / "launcher.pid").read_text())
            self._server_cpu()
        except (OSError, ValueError):
            self.pid = None

    def _server_cpu(self) -> float:
        assert self.pid is not None
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run(self, sql: str) -> tuple[list, float, float]:
        """(rows, wall seconds, CPU seconds): the server process's CPU time while the query ran
        (planning and every interpreter it starts included), else the query's own CPU time."""
        cur = self.conn.cursor()
        cpu = self._server_cpu() if self.pid else 0.0
        started = time.perf_counter()
        cur.execute(sql)
        rows = cur.fetchall()
        wall = time.perf_counter() - started
        if self.pid:
            cpu = self._server_cpu() - cpu
        else:
            cpu = (cur.stats or {}).get("cpuTimeMillis", 0) / 1000
        return rows, wall, cpu

    def attempt(self, sql: str) -> str:
        """'ok', or the first line of the error."""
        try:
            self.run(sql)
            return "ok"
        except Exception as e:  # the error text is the result
            message = getattr(e, "message", None) or str(e)
            return "error: " + message.splitlines()[0][:300]


def write_series(folder: Path, series: list[tuple[str, np.ndarray]], files: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    for f in range(files):
        part = range(f, len(series), files)
        table = pa.table(
            {
                "series_id": pa.array(list(part), pa.int64()),
                "kind": pa.array([series[i][0] for i in part]),
                "times": pa.array([series[i][1].tolist() for i in part], pa.list_(pa.float64())),
            }
        )
        pq.write_table(table, folder / f"part-{f:02d}.parquet")


SCORES = "SELECT sum(f(times, {ws}, {we}).periodicity_score) FROM {table}"
#: The queries timed over a table: what runs for each series.
VARIANTS = {
    "scan only, no UDF": "SELECT count(*), sum(cardinality(times)) FROM {table}",
    "UDF count_beats (hands the array over)": "SELECT sum(f(times)) FROM {table}",
    "UDF confirm_intervals (interval statistics)": SCORES,
    "UDF confirm_core (all but STL)": SCORES,
    "UDF confirm_full (every check)": SCORES,
}


def trino_measure(db: Trino, table: str, n: int, variants: list[str]) -> list[tuple]:
    """(what, series, wall s, CPU s) for each variant over the table."""
    out: list[tuple] = []
    for what in variants:
        sql = VARIANTS[what].format(table=table, ws=WINDOW_START, we=WINDOW_END)
        if what.startswith("UDF "):
            sql = f"WITH {udf_sql('f', what.split()[1])} {sql}"
        _, wall, cpu = db.run(sql)
        print(f"  {what}, {n} series: {wall:.1f} s, CPU {cpu:.1f} s", flush=True)
        out.append((f"Trino: {what}", n, wall, cpu))
    return out


def trino_agreement(db: Trino, table: str, series: list[tuple[str, np.ndarray]], n: int) -> float:
    """Max |UDF in Trino - the same code natively| over every field of n series."""
    ws, we = WINDOW_START, WINDOW_END
    rows, _, _ = db.run(
        f"WITH {udf_sql('f', 'confirm_full')} "
        f"SELECT series_id, f(times, {ws}, {we}) FROM {table} WHERE series_id < {n}"
    )
    worst = 0.0
    for series_id, result in rows:
        native = analyze(series[series_id][1].tolist(), ws, we)
        worst = max(worst, *(abs(float(a) - float(b)) for a, b in zip(result, native, strict=True)))
    return worst


def sandbox_probes(db: Trino, table: str) -> list[tuple[str, str]]:
    """What the sandbox allows and what a call costs, each as one small query."""

    def scalar(body: str) -> str:
        return (
            "WITH FUNCTION probe() RETURNS varchar LANGUAGE PYTHON WITH (handler = 'probe') "
            f"AS $$\n{body}\n$$ SELECT probe()"
        )

    probes = {
        "Python": "import sys\ndef probe():\n    return sys.version.split()[0]",
        "numpy": (
            "def probe():\n    try:\n        import numpy\n        return 'importable'\n"
            "    except ImportError as e:\n        return repr(e)"
        ),
        "lists of 100,000 floats (0.8 MB) held at once": (
            "def probe():\n    held = []\n    while len(held) < 4096:\n        try:\n"
            "            held.append([0.5] * 100000)\n        except MemoryError:\n"
            "            break\n    return str(len(held))"
        ),
        "1 MB blocks held at once (MB)": (
            "def probe():\n    held = []\n    while len(held) < 4096:\n        try:\n"
            "            held.append(bytearray(1 << 20))\n        except MemoryError:\n"
            "            break\n    return str(len(held))"
        ),
        "recursion (limit / deepest of 100, 500, 900, 5000, 20000)": (
            "import sys\ndef down(n):\n    return n if n <= 0 else down(n - 1) + 1\n"
            "def probe():\n    depth = 0\n    for d in (100, 500, 900, 5000, 20000):\n"
            "        try:\n            down(d)\n            depth = d\n"
            "        except RecursionError:\n            break\n"
            "    return f'{sys.getrecursionlimit()} / {depth}'"
        ),
        "10^6 iterations of `s += i * 0.5` (s, in the UDF)": (
            "import time\ndef probe():\n    t = time.perf_counter()\n    s = 0.0\n"
            "    for i in range(1000000):\n        s += i * 0.5\n"
            "    return f'{time.perf_counter() - t:.2f}'"
        ),
    }
    out = []
    for what, body in probes.items():
        try:
            rows, wall, _ = db.run(scalar(body))
            out.append((what, f"{rows[0][0]} (query {wall:.1f} s)"))
        except Exception as e:
            out.append((what, "error: " + (getattr(e, "message", None) or str(e))[:200]))
    started = time.perf_counter()
    s = 0.0
    for i in range(1_000_000):
        s += i * 0.5
    out.append(("the same loop natively (s)", f"{time.perf_counter() - started:.2f}"))
    # rows share one interpreter per driver: a module-level counter sees every call
    rows, _, _ = db.run(
        "WITH FUNCTION c(x bigint) RETURNS bigint LANGUAGE PYTHON WITH (handler = 'c') "
        "AS $$\ncalls = [0]\ndef c(x):\n    calls[0] += 1\n    return calls[0]\n$$ "
        "SELECT max(c(x)) FROM unnest(sequence(1, 1000)) AS t(x)"
    )
    out.append(("most calls one interpreter saw (1,000 rows)", str(rows[0][0])))
    # interpreters a query over the table starts: each draws a token when its module loads
    rows, _, _ = db.run(
        "WITH FUNCTION tok(x array(double)) RETURNS double LANGUAGE PYTHON "
        "WITH (handler = 'tok') AS $$\nimport random\nTOKEN = random.random()\n"
        f"def tok(x):\n    return TOKEN\n$$ SELECT count(DISTINCT tok(times)) FROM {table}"
    )
    out.append((f"interpreters started by a query over {table.split('.')[-1]}", str(rows[0][0])))
    one = "ARRAY[" + ", ".join(str(WINDOW_START + 60.0 * i) for i in range(70)) + "]"
    for what, sql in {
        "one-row query, no UDF": "SELECT 1",
        "one-row query, a one-line UDF": (
            "WITH FUNCTION n(x array(double)) RETURNS bigint LANGUAGE PYTHON "
            f"WITH (handler = 'n') AS $$\ndef n(x):\n    return len(x)\n$$ SELECT n({one})"
        ),
        "one-row query, count_beats in the port's module": (
            f"WITH {udf_sql('f', 'count_beats')} SELECT f({one})"
        ),
        "one-row query, confirm_full": (
            f"WITH {udf_sql('f', 'confirm_full')} "
            f"SELECT f({one}, {WINDOW_START}, {WINDOW_END}).periodicity_score"
        ),
    }.items():
        runs = [db.run(sql) for _ in range(3)]
        out.append(
            (
                f"{what} (3 runs: wall / CPU s)",
                ", ".join(f"{wall:.2f} / {cpu:.2f}" for _, wall, cpu in runs),
            )
        )
    return out


def storage_checks(db: Trino, schema: str, table: str) -> list[tuple[str, str]]:
    """Can a table, a view or a catalog function hold the UDF (what a dbt model needs)?"""
    select = f"SELECT series_id, f(times) AS n FROM {table} WHERE series_id < 10"
    fn = udf_sql("f", "count_beats")
    out = [
        (
            "CTAS as dbt-trino writes it: CREATE TABLE t AS (WITH FUNCTION ... SELECT ...)",
            db.attempt(f"CREATE TABLE hive.{schema}.ctas_paren AS (WITH {fn} {select})"),
        ),
        (
            "CTAS without parentheses: CREATE TABLE t AS WITH FUNCTION ... SELECT ...",
            db.attempt(f"CREATE TABLE hive.{schema}.ctas_plain AS WITH {fn} {select}"),
        ),
        (
            "INSERT INTO t WITH FUNCTION ... SELECT ...",
            db.attempt(f"INSERT INTO hive.{schema}.ctas_plain WITH {fn} {select}"),
        ),
        (
            "CREATE VIEW v AS WITH FUNCTION ... SELECT ...",
            db.attempt(f"CREATE VIEW hive.{schema}.udf_view AS WITH {fn} {select}"),
        ),
    ]
    for catalog in ("hive", "iceberg"):
        name = f"{catalog}.{schema}.count_beats"
        created = db.attempt("CREATE " + udf_sql(name, "count_beats"))
        out.append((f"CREATE FUNCTION {catalog}.<schema>.count_beats (catalog function)", created))
        if created == "ok":
            out.append(
                (
                    f"CTAS calling {catalog}.<schema>.count_beats",
                    db.attempt(
                        f"CREATE TABLE hive.{schema}.ctas_{catalog}_fn AS SELECT series_id, "
                        f"{name}(times) AS n FROM {table} WHERE series_id < 10"
                    ),
                )
            )
            db.attempt(f"DROP FUNCTION {name}(array(double))")
    return out


# ---------------------------------------------------------------------------------------------


def _table(title: str, header: tuple[str, ...], rows: list[tuple]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append("" if math.isnan(v) else f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}")
            else:
                cells.append(str(v))
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = "sizes for the native paths, the scan and the cheap UDFs"
    ap.add_argument("--series", type=int, nargs="+", default=[2000, 20000], help=sizes)
    costly = "series for the costly UDFs in Trino (confirm_core, confirm_full)"
    ap.add_argument("--udf-series", type=int, default=200, help=costly)
    ap.add_argument("--check", type=int, default=2000, help="series compared with numpy")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--files", type=int, default=8, help="Parquet files per table")
    ap.add_argument("--no-trino", action="store_true", help="native measurements only")
    args = ap.parse_args()

    largest = max(args.series)
    series = synthetic(max(largest, args.check, args.udf_series))
    arrays = [t for _, t in series]
    events = sum(len(t) for t in arrays[:largest])
    beats = sum(len(merge_beats(t.tolist())) for t in arrays[:largest])
    print(
        f"{largest} series: {events} events, {beats} beats ({beats / largest:.0f} per series)",
        flush=True,
    )

    _table(
        f"Agreement with confirm.periodicity.analyze ({args.check} series)",
        ("quantity", "beacons: max", "random: max", "all: 99th pct (share: mean)"),
        agreement(series[: args.check]),
    )

    speed: list[tuple] = []
    for n in args.series:
        part = arrays[:n]
        lists = [t.tolist() for t in part]
        speed.append(("numpy analyze, 1 process", n, *numpy_rate(part, 1)))
        workers = args.workers
        speed.append((f"numpy analyze, {workers} processes", n, *numpy_rate(part, workers)))
        for checks in ("full", "core", "intervals"):
            speed.append((f"stdlib port natively, {checks}", n, *port_rate(lists, checks)))
        print(f"native runs done for {n} series", flush=True)

    sandbox: list[tuple[str, str]] = []
    storage: list[tuple[str, str]] = []
    trino_vs_native = float("nan")
    if not args.no_trino:
        host = os.environ.get("BEACONLAKE_TRINO_HOST", "127.0.0.1")
        port = int(os.environ.get("BEACONLAKE_TRINO_PORT", "8089"))
        env = {**os.environ, "TRINO_PORT": str(port)}
        started_here = not _answers(host, port)
        if started_here:
            _server("up", env)
        db = Trino(host, port)
        if db.pid is None:
            print("note: the server runs elsewhere; CPU is the queries' own", flush=True)
        schema = f"udf_bench_{uuid.uuid4().hex[:8]}"
        lake = subprocess.run(
            ["bash", str(SERVER), "lake"], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()  # the one folder the server's Hive catalog reads
        work = Path(tempfile.mkdtemp(prefix="trino_udf_", dir=lake))
        work.chmod(0o755)
        cheap = list(VARIANTS)[:3]
        try:
            db.run(f"CREATE SCHEMA hive.{schema}")
            db.run(f"CREATE SCHEMA iceberg.{schema}")
            tables = {}
            for n in sorted({*args.series, args.udf_series}):
                folder = work / f"series_{n}"
                write_series(folder, series[:n], args.files)
                tables[n] = f"hive.{schema}.series_{n}"
                db.run(
                    f"CREATE TABLE {tables[n]} (series_id bigint, kind varchar, "
                    "times array(double)) "
                    f"WITH (format = 'PARQUET', external_location = 'local:///{folder.relative_to(lake)}')"
                )
            first = min(tables)
            db.run(
                f"WITH {udf_sql('f', 'confirm_full')} "
                f"SELECT f(times, 0, 1) FROM {tables[first]} LIMIT 1"
            )
            for n in sorted(tables):
                variants = (cheap if n in args.series else []) + (
                    list(VARIANTS)[3:] if n == args.udf_series else []
                )
                speed += trino_measure(db, tables[n], n, variants)
            trino_vs_native = trino_agreement(db, tables[first], series, 50)
            sandbox = sandbox_probes(db, tables[first])
            storage = storage_checks(db, schema, tables[first])
        finally:
            for catalog in ("hive", "iceberg"):
                db.attempt(f"DROP SCHEMA IF EXISTS {catalog}.{schema} CASCADE")
            if started_here:
                _server("down", env)
            shutil.rmtree(work, ignore_errors=True)

    _table(
        "Speed (wall and CPU seconds; Trino: the server process's CPU)",
        ("path", "series", "wall s", "CPU s", "candidates/s", "candidates per CPU-s"),
        [(*r, r[1] / r[2], r[1] / r[3] if r[3] else float("nan")) for r in speed],
    )
    if not args.no_trino:
        print(
            f"\nUDF in Trino vs the same code natively, 50 series: max |diff| {trino_vs_native:.3g}"
        )
        _table("Sandbox", ("probe", "result"), sandbox)
        _table("Materialising", ("statement", "result"), storage)


if __name__ == "__main__":
    main()
