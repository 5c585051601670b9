"""Periodicity tests on event series: intervals first, spectrum and autocorrelation confirm.

Jitter breaks spectra faster than it breaks interval statistics (the phase error of a jittered
beacon grows like sigma * sqrt(k) over k beats), so the robust interval score is the primary
signal; a zero-padded periodogram with a permutation threshold (AUTOPERIOD, BAYWATCH), an
autocorrelation hill at the period, and STL seasonal strength add evidence. Every number is kept
so a finding can explain itself. All times are in seconds. ``analyze`` tests one series,
``analyze_many`` a batch of them at once (``confirm.rows``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache, partial
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from beaconlake.confirm.rows import Rows
from beaconlake.confirm.seasonal import stl
from beaconlake.confirm.settings import project_settings

#: Weight of an interval that spans k periods (k - 1 missing beats) in the folding score.
FOLD_WEIGHTS = {1: 1.0, 2: 0.8, 3: 0.65, 4: 0.5}
#: Half-width of the folding kernel as a fraction of the period (covers ±50 % jitter).
FOLD_TOLERANCE = 0.5
#: Zero-padding factor of the periodogram (without it leakage hides even exact beacons).
PAD_FACTOR = 4
PERMUTATIONS = 100
#: Permuted series transformed together when computing a permutation threshold.
NULL_BLOCK = 10
#: Longest series the spectral tests bin (longer windows get coarser bins).
MAX_BINS = 1 << 13
#: Bins per period used by the autocorrelation and STL checks.
BINS_PER_PERIOD = 8
STL_PERIODS = 24
#: Lags (in bins of a period / ``BINS_PER_PERIOD``) of the autocorrelation hill: 0.75 to 1.25
#: periods.
HILL_LAGS = range(6, 11)


@dataclass(frozen=True)
class Periodicity:
    """What the tests found in one series. Scores are in [0, 1]; periods in seconds."""

    n_events: int
    n_beats: int
    period_seconds: float
    jitter: float  # j of "period ± j" (uniform) with the intervals' spread: 2 MAD / period
    interval_score: float  # share of intervals on the period or a multiple, kernel-weighted
    renewal_llr: float  # mean log-likelihood ratio per interval, beacon vs Poisson
    missing_share: float  # intervals that span more than one period
    spectral_ratio: float  # periodogram power at the period over its permutation threshold
    spectral_score: float
    acf_score: float  # height of the autocorrelation hill at the period above its trough
    seasonal_strength: float  # STL at the period: 1 - var(resid) / var(seasonal + resid)
    coverage: float  # beats seen / beats expected over the series' own lifetime while active
    gaps_per_day: float  # restarts after a silence of 4.5+ periods (and 30+ min), per day
    renewal_score: float  # renewal_llr mapped to [0, 1]
    continuity: float  # coverage, discounted when the series stops and starts many times a day
    periodicity_score: float  # the sub-scores combined
    lifetime_seconds: float = 0.0  # first to last beat, plus one period
    ttl_seconds: float = 0.0  # the common DNS TTL the intervals sit just above, 0 if none
    judged_seconds: float = 0.0  # the time coverage is counted over (at least ``min_span``)
    #: the common DNS TTL the intervals never fall below, some of them just above it (a busy
    #: client's cache refresh with a long tail), 0 if none; see ``ttl_floor``
    ttl_bound_seconds: float = 0.0
    #: the lowest tenth of the on-period intervals (their 10 % quantile), 0 with fewer than
    #: three: a client cache never asks again before its TTL has run out
    interval_floor_seconds: float = 0.0

    def as_dict(self) -> dict[str, float | int]:
        # not dataclasses.asdict: it deep-copies every field, a tenth of a candidate's scoring
        return {name: getattr(self, name) for name in _PERIODICITY_FIELDS}


#: ``Periodicity``'s field names, in order (``dataclasses.fields`` costs 15 us a call).
_PERIODICITY_FIELDS = tuple(f.name for f in fields(Periodicity))
#: DNS TTLs (seconds) common enough that a client re-resolving a name each time its cache
#: entry expires produces a period of one of them plus a small delay.
COMMON_TTLS = (30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600,
               43200, 86400)  # fmt: skip
#: Share of on-period intervals that must sit in the TTL's cache window.
TTL_SHARE = 0.8
#: A client re-resolves a name at most this long after its cache entry expired: the larger of
#: ``CLIENT_DELAY_S`` and ``CLIENT_DELAY_SHARE`` of the TTL.
CLIENT_DELAY_S, CLIENT_DELAY_SHARE = 20.0, 0.15
#: Seconds an interval may fall below the TTL (times and TTLs are logged to the second).
TTL_SLACK_S = 1.0


def cache_window(ttl: float) -> tuple[float, float]:
    """The intervals of a client re-resolving a name each time its cache entry of ``ttl``
    seconds expires: from the TTL (less ``TTL_SLACK_S``) to the TTL plus a client delay."""
    return ttl - TTL_SLACK_S, ttl + max(CLIENT_DELAY_S, CLIENT_DELAY_SHARE * ttl)


def ttl_floor(intervals: np.ndarray) -> float:
    """The common TTL ``T`` these intervals look like cache expiries of, or 0.

    A client cache cannot ask again before ``T`` has passed and asks soon after when the name is
    in use: the intervals have a floor at ``T`` (within a second) and sit just above it (a
    client delay of at most 20 s or 15 % of ``T``). A beacon with symmetric jitter spreads
    below its period, so it does not match; an exact timer on a TTL-like period does.
    """
    return float(_ttl_floors(Rows.of([np.sort(intervals)]))[0])


def ttl_bound(intervals: np.ndarray) -> float:
    """The common TTL ``T`` these intervals never fall below, or 0: none is more than a second
    below ``T``, the lowest tenth sits just above it (within 15 %) and the rest may spread far
    above it, as when a client asks at random moments and only the expiry of its
    cache entry makes a query go out. Weaker than ``ttl_floor``: a beacon with one-sided jitter
    on a TTL-like period matches too, so it only counts for a name that many hosts use.
    """
    return float(_ttl_bounds(Rows.of([np.sort(intervals)]))[0])


_TTLS = np.array(COMMON_TTLS, dtype=float)
#: Each common TTL's cache window (``cache_window``), as columns: lowest and highest interval.
_CACHE_FLOORS, _CACHE_CEILINGS = np.array([cache_window(ttl) for ttl in COMMON_TTLS]).T


def _first_ttl(match: np.ndarray) -> np.ndarray:
    """Per row of ``match`` (rows by ``COMMON_TTLS``), the first TTL that matches, or 0."""
    return np.where(match.any(axis=1), _TTLS[match.argmax(axis=1)], 0.0)


def _ttl_floors(on_intervals: Rows) -> np.ndarray:
    """``ttl_floor`` of each row of intervals, sorted ascending."""
    found = np.zeros(len(on_intervals))
    three = np.flatnonzero(on_intervals.lengths >= 3)
    rows = on_intervals.take(three)
    lo, med = rows.quantile(0.1)[:, None], rows.quantile(0.5)[:, None]
    match = (lo >= _CACHE_FLOORS) & (med >= _TTLS - 0.5) & (med <= _CACHE_CEILINGS)
    first = match.argmax(axis=1)[rows.row]
    x = rows.values
    inside = rows.mean((x >= _CACHE_FLOORS[first]) & (x <= _CACHE_CEILINGS[first]))
    # the first TTL whose window holds the quantiles decides: enough intervals inside it or none
    found[three] = np.where(inside >= TTL_SHARE, _first_ttl(match), 0.0)
    return found


def _ttl_bounds(ordered: Rows) -> np.ndarray:
    """``ttl_bound`` of each row of intervals, sorted ascending."""
    found = np.zeros(len(ordered))
    three = np.flatnonzero(ordered.lengths >= 3)
    rows = ordered.take(three)
    least, lo = rows.first()[:, None], rows.quantile(0.1)[:, None]
    match = (least >= _TTLS - TTL_SLACK_S) & (
        lo <= _TTLS + np.maximum(2.0, CLIENT_DELAY_SHARE * _TTLS)
    )
    found[three] = _first_ttl(match)
    return found


def merge_beats(times: np.ndarray, merge_seconds: float) -> np.ndarray:
    """Beat times of a series' event times (epoch seconds, any order), sorted: the SQL's beat
    rule (macro ``starts_beat``). Times are cut to whole seconds, and a run of seconds each at
    most ``merge_seconds`` (var ``beat_merge_seconds``) after the previous one is one beat, at
    its first second: the A, AAAA and retries of one call-home, even across a second boundary.
    """
    return _merged(Rows.of([times]), merge_seconds).values


def _merged(events: Rows, merge_seconds: float) -> Rows:
    """``merge_beats`` of each row of event times."""
    seconds = np.floor(events.values)
    order = np.lexsort((seconds, events.row))
    seconds, row = seconds[order], events.row[order]
    # a second within merge_seconds of the previous one (or the same second) joins its beat
    starts = np.ones(len(seconds), dtype=bool)
    starts[1:] = (row[1:] != row[:-1]) | (np.diff(seconds) > max(merge_seconds, 0.0))
    return Rows(seconds[starts], np.bincount(row[starts], minlength=len(events)))


#: ``FOLD_WEIGHTS`` by multiple k (index), 0 for k = 0 (never) and for k beyond the last.
_FOLD_TABLE = np.array([0.0, *(FOLD_WEIGHTS[m] for m in range(1, max(FOLD_WEIGHTS) + 1)), 0.0])


def fold_score(intervals: np.ndarray, period: float) -> tuple[float, float, np.ndarray]:
    """How well intervals sit on multiples of ``period``.

    Returns (score, share of intervals spanning 2+ periods, per-interval multiple k). An interval
    close to k * period (k <= 4) scores ``FOLD_WEIGHTS[k]`` times a triangular kernel of its
    distance; longer gaps score 0, so folding cannot make an arbitrary series look regular.
    """
    if len(intervals) == 0 or period <= 0:
        return 0.0, 0.0, np.zeros(0, dtype=int)
    scores, missing, k = _folds(Rows.of([intervals]), np.array([period]))
    return float(scores[0]), float(missing[0]), k


def _folds(intervals: Rows, periods: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``fold_score`` of each row of ``intervals`` for its period in ``periods`` (all > 0):
    (scores, shares spanning 2+ periods, multiples k of every interval)."""
    period = periods[intervals.row]
    x = intervals.values
    k = np.maximum(1, np.rint(x / period)).astype(int)
    dev = np.abs(x / k - period) / (FOLD_TOLERANCE * period)
    w = _FOLD_TABLE[np.minimum(k, len(_FOLD_TABLE) - 1)]
    scores = intervals.mean(w * np.minimum(np.maximum(1.0 - dev, 0.0), 1.0))
    return scores, intervals.mean(k > 1), k


def bin_counts(beats: np.ndarray, start: float, end: float, bin_s: float) -> np.ndarray:
    n = max(1, math.ceil((end - start) / bin_s))
    return np.bincount(_bin_index(beats, start, bin_s, n), minlength=n).astype(float)


def _bin_index(beats: np.ndarray, start: Any, bin_s: Any, n: Any) -> np.ndarray:
    """The bin of each beat among ``n`` bins of ``bin_s`` seconds from ``start`` (those outside
    in the first or last); numbers, or arrays of them with one per beat."""
    # np.minimum of np.maximum, not np.clip: the same numbers without 20 us of overhead per call
    index: np.ndarray = np.minimum(np.maximum(((beats - start) / bin_s).astype(np.int64), 0), n - 1)
    return index


def _padded_power(x: np.ndarray) -> np.ndarray:
    """Periodogram of the series ``x`` (or of each row of a 2-D ``x``), zero-padded to a power of
    two at least ``PAD_FACTOR`` times its length."""
    # not scipy.signal.periodogram: the same power to 1e-13 at 3.5x the CPU per spectral_peak
    m: int = x.shape[-1]
    n = 1 << math.ceil(math.log2(m * PAD_FACTOR))
    return np.abs(np.fft.rfft(x - x.mean(axis=-1, keepdims=True), n, axis=-1)) ** 2 / m


@lru_cache(maxsize=4096)
def _null_threshold(n_bins: int, n_beats: int, lo: int, hi: int, seed: int) -> float:
    """95th percentile of the max periodogram power of shuffled series (cached).

    After burst merging a series is (almost) binary, so the null distribution depends only on
    its length and number of beats: one permutation test serves every series of that shape.
    """
    rng = np.random.default_rng([seed, n_bins, n_beats])
    x = np.zeros((PERMUTATIONS, n_bins))
    for row in x:
        row[rng.choice(n_bins, min(n_beats, n_bins), replace=False)] = 1.0
    # a few series per transform: numpy transforms the rows of a block exactly as one by one
    # (the same plan), without one call's overhead per series; larger blocks leave the cache
    maxima = np.concatenate(
        [
            _padded_power(x[i : i + NULL_BLOCK])[:, lo:hi].max(axis=1)
            for i in range(0, PERMUTATIONS, NULL_BLOCK)
        ]
    )
    return float(np.quantile(maxima, 0.95))


def _round_sig(n: int, digits: int = 2) -> int:
    if n < 100:
        return n
    scale = 10 ** (int(math.log10(n)) - digits + 1)
    return int(round(n / scale) * scale)


@dataclass(frozen=True)
class SpectralPeak:
    """The periodogram's strongest peak: its period in seconds (0 when the series is too short
    or too sparse for a spectrum), its power, and the permutation threshold that power is
    judged against (``_null_threshold``), computed only when asked: a series of a new shape
    costs ``PERMUTATIONS`` transforms, and only a peak that agrees with the series' period
    counts (``analyze``)."""

    period_seconds: float = 0.0
    power: float = 0.0
    threshold: Callable[[], float] = field(default=lambda: 0.0, repr=False)

    def ratio(self) -> float:
        """The peak's power over its threshold (0 without a peak or a threshold)."""
        if not self.period_seconds:
            return 0.0
        threshold = self.threshold()
        return self.power / threshold if threshold > 0 else 0.0


def spectral_peak(
    beats: np.ndarray, start: float, end: float, min_period: float, seed: int = 0
) -> SpectralPeak:
    """The periodogram's strongest peak and its permutation threshold (``SpectralPeak``).

    Bins are a power of two seconds, about a quarter of the shortest period of interest; a
    window longer than ``MAX_BINS`` bins is cut to the ``MAX_BINS`` bins from the first beat
    (a fast beacon repeats plenty of times within it). The same bin sizes and window lengths
    recur across candidates, so permutation thresholds are computed once per shape.
    """
    return spectral_peaks(Rows.of([beats]), start, end, [min_period], seed)[0]


def _spectral_window(
    first: float, start: float, end: float, min_period: float
) -> tuple[float, float, float, int]:
    """(bin seconds, first and last time, bins) of the periodogram of a series whose first beat
    is at ``first`` (see ``spectral_peak``)."""
    bin_s = float(2 ** max(0, math.floor(math.log2(max(min_period / 4.0, 1.0)))))
    lo_t = start if (end - start) / bin_s <= MAX_BINS else max(start, first)
    hi_t = min(end, lo_t + MAX_BINS * bin_s)
    return bin_s, lo_t, hi_t, max(1, math.ceil((hi_t - lo_t) / bin_s))


def spectral_peaks(
    beats: Rows, start: float, end: float, min_periods: Sequence[float], seed: int = 0
) -> list[SpectralPeak]:
    """``spectral_peak`` of each row of ``beats`` (sorted) with its shortest period of interest.

    Series binned to the same number of bins are transformed together, ``NULL_BLOCK`` at a
    time: NumPy transforms the rows of a block exactly as one by one, without one call's
    overhead per series.
    """
    windows = [
        _spectral_window(float(first), start, end, min_period)
        for first, min_period in zip(beats.first(), min_periods, strict=True)
    ]
    bin_s, lo_t, hi_t, n = (np.array(column) for column in zip(*windows, strict=True))
    # binned, not lombscargle of the beats: 0.5 s a series, and exact beats peak on any harmonic
    row = beats.row
    inside = (beats.values >= lo_t[row]) & (beats.values < hi_t[row])
    row = row[inside]
    at = _bin_index(beats.values[inside], lo_t[row], bin_s[row], n[row])
    # a bin with beats counts once: the occupied bins, as (row, bin) in one integer each
    width = int(n.max())
    occupied = np.unique(row * width + at)
    occupied_row, occupied_bin = occupied // width, occupied % width
    beats_in = np.bincount(occupied_row, minlength=len(beats))
    peaks = [SpectralPeak()] * len(beats)
    enough = (n >= 16) & (beats_in >= 4)
    for size in np.unique(n[enough]).tolist():
        rows = np.flatnonzero(enough & (n == size))
        for block in (rows[i : i + NULL_BLOCK] for i in range(0, len(rows), NULL_BLOCK)):
            x = np.zeros((len(block), size))
            mine = np.isin(occupied_row, block)
            x[np.searchsorted(block, occupied_row[mine]), occupied_bin[mine]] = 1.0
            power = _padded_power(x)
            n_fft = 2 * (power.shape[1] - 1)
            # frequencies (cycles per bin) from 3 cycles per window up to a period of 2 bins
            lo = max(1, math.ceil(3 * n_fft / size))
            hi = min(power.shape[1], n_fft // 2)
            if hi <= lo + 1:
                continue
            k = lo + np.argmax(power[:, lo:hi], axis=1)
            for j, i in enumerate(block.tolist()):
                shape = (size, _round_sig(int(beats_in[i])), lo, hi, seed)
                peaks[i] = SpectralPeak(
                    n_fft / int(k[j]) * float(bin_s[i]),
                    float(power[j, k[j]]),
                    partial(_null_threshold, *shape),
                )
    return peaks


def _acf(x: np.ndarray) -> np.ndarray:
    # not scipy.signal.correlate: the same values, no faster on the chart's series, 0.6 s to import
    x = x - x.mean()
    n = len(x)
    f = np.fft.rfft(x, 1 << math.ceil(math.log2(2 * n)))
    r = np.fft.irfft(f * np.conj(f))[:n]
    return r / r[0] if r[0] > 0 else np.zeros(n)


def autocorrelation_lags(
    beats: np.ndarray, start: float, end: float, bin_s: float, max_lag: int
) -> np.ndarray:
    """``autocorrelation(...)[: max_lag + 1]`` from the beats' occupied bins alone.

    The lagged products of the centred counts expand into products of the counts (pairs of
    occupied bins ``k`` apart), the counts' sums and the mean, so the cost follows the number
    of beats rather than the number of bins: a 20-second beacon binned at 2.5 s over a day
    needs no transform of 35,000 bins for eleven lags.
    """
    # not statsmodels' acf: the same values from every bin, 18x the CPU (0.15 s for a strobe)
    n = max(1, math.ceil((end - start) / bin_s))
    r = _autocorrelations(Rows.of([beats]), start, np.array([bin_s]), np.array([n]), max_lag)
    return r[0, : min(max_lag + 1, n)]


def _autocorrelations(
    beats: Rows, start: float, bin_s: np.ndarray, n: np.ndarray, max_lag: int
) -> np.ndarray:
    """``autocorrelation_lags`` of each row of ``beats`` (not empty) in ``n`` bins of ``bin_s``
    seconds from ``start``, as rows of ``max_lag + 1`` lags (those at ``n`` bins or more
    meaningless). Sums of counts are whole numbers, exact in any order: each row is what it
    is alone, bit for bit."""
    lags = np.arange(max_lag + 1)
    row = beats.row
    # each row's bins in one integer each, far enough apart that a lag never reaches the next
    width = int(n.max()) + len(lags)
    keys = row * width + _bin_index(beats.values, start, bin_s[row], n[row])
    occupied, counts = np.unique(keys, return_counts=True)
    c = counts.astype(float)
    bins = Rows(c, np.bincount(occupied // width, minlength=len(beats)))
    mean = bins.sum() / n
    partner = occupied[None, :] + lags[:, None]  # the bin k after each occupied bin
    pos = np.minimum(np.searchsorted(occupied, partner), len(occupied) - 1)
    products = np.where(occupied[pos] == partner, c[None, :] * c[pos], 0.0)
    pairs = np.add.reduceat(products, bins.starts, axis=1).T
    before = np.concatenate(([0.0], np.cumsum(c)))  # counts of the first i occupied bins
    own = before[bins.starts][:, None]  # of the rows before
    base = (np.arange(len(beats)) * width)[:, None]
    head = before[np.searchsorted(occupied, base + n[:, None] - lags)] - own  # bins 0 .. n-k-1
    tail = before[bins.ends][:, None] - before[np.searchsorted(occupied, base + lags)]  # k .. n-1
    m = mean[:, None]
    r = pairs - m * (head + tail) + (n[:, None] - lags) * m**2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(r[:, :1] > 0, r / r[:, :1], 0.0)


def autocorrelation(beats: np.ndarray, start: float, end: float, bin_s: float) -> np.ndarray:
    """Autocorrelation of the beats counted in bins of ``bin_s`` seconds over ``[start, end)``:
    element k is the correlation at a lag of k bins (1 at lag 0, all 0 for a constant series)."""
    return _acf(bin_counts(beats, start, end, bin_s))


def acf_hill(beats: np.ndarray, start: float, end: float, period: float) -> tuple[float, float]:
    """(hill score, refined period) from the autocorrelation at ``BINS_PER_PERIOD`` bins.

    The series is binned at period / 8; a beacon's autocorrelation rises to a hill around lag 8
    and falls to a trough around lag 4. The score is the hill's height above the trough; the
    period is refined to the centroid of the hill. Only lags up to the hill's end are computed
    (``autocorrelation_lags``).
    """
    bin_s = period / BINS_PER_PERIOD
    if math.ceil((end - start) / bin_s) < 3 * BINS_PER_PERIOD:
        return 0.0, period
    return hill(autocorrelation_lags(beats, start, end, bin_s, max(HILL_LAGS)), period)


def acf_scores(beats: Rows, start: float, end: float, periods: np.ndarray) -> np.ndarray:
    """``acf_hill``'s score of each row of ``beats`` (not empty) at its period, all at once."""
    bin_s = periods / BINS_PER_PERIOD
    n = np.ceil((end - start) / bin_s).astype(np.int64)
    scores = np.zeros(len(beats))
    long = np.flatnonzero(n >= 3 * BINS_PER_PERIOD)
    if len(long):
        r = _autocorrelations(beats.take(long), start, bin_s[long], n[long], max(HILL_LAGS))
        scores[long] = hill_scores(r)
    return scores


def hill(r: np.ndarray, period: float) -> tuple[float, float]:
    """(hill score, refined period in seconds) of an autocorrelation ``r`` at lags of
    period / ``BINS_PER_PERIOD`` (at least ``max(HILL_LAGS) + 1`` lags); see ``acf_hill``."""
    lags = np.array(HILL_LAGS)
    w = np.maximum(r[lags], 0.0)
    bin_s = period / BINS_PER_PERIOD
    refined = float((lags * w).sum() / w.sum() * bin_s) if w.sum() > 0 else period
    return float(hill_scores(r[None, :])[0]), refined


def hill_scores(r: np.ndarray) -> np.ndarray:
    """The hill score of each row of autocorrelations ``r`` (see ``hill``): the hill's top
    above the trough at lags 3 to 5 (when positive), over 0.5, within [0, 1]."""
    top = r[:, HILL_LAGS.start : HILL_LAGS.stop].max(axis=1)
    trough = (r[:, 3] + r[:, 4] + r[:, 5]) / 3  # np.mean's sum, in order
    scores: np.ndarray = np.minimum(np.maximum((top - np.maximum(trough, 0.0)) / 0.5, 0.0), 1.0)
    return scores


def seasonal_series(beats: np.ndarray, start: float, end: float, period: float) -> np.ndarray:
    """The counts STL decomposes: beats in bins of period / ``BINS_PER_PERIOD`` over at most
    ``STL_PERIODS`` periods from the first beat (STL costs time linear in the series length and
    the strength of a stationary beacon does not change with more periods)."""
    lo = max(start, float(beats[0]) - period / 2)
    hi = min(end, lo + STL_PERIODS * period)
    return bin_counts(beats[(beats >= lo) & (beats < hi)], lo, hi, period / BINS_PER_PERIOD)


def strength(x: np.ndarray, seasonal: np.ndarray, trend: np.ndarray) -> float:
    """Seasonal strength in [0, 1] of ``x`` from its STL components:
    1 - var(resid) / var(seasonal + resid)."""
    resid = x - seasonal - trend
    resid_var = _variance(resid)
    total = _variance(seasonal + resid)
    return _clamp(1.0 - resid_var / total, 0.0, 1.0) if total > 0 else 0.0


def _variance(x: np.ndarray) -> float:
    """``np.var(x)`` by its arithmetic, without its wrappers' overhead (30 us a call)."""
    centred = x - np.add.reduce(x) / len(x)
    return float(np.add.reduce(centred * centred)) / len(x)


def seasonal_strength(beats: np.ndarray, start: float, end: float, period: float) -> float:
    """STL seasonal strength of ``seasonal_series`` (0 when shorter than three periods or
    constant). STL runs as matrix products (``confirm.seasonal``), the same decomposition as
    statsmodels' ``STL(x, 8, robust=False)`` at a twelfth of its CPU per series."""
    x = seasonal_series(beats, start, end, period)
    if len(x) < 3 * BINS_PER_PERIOD or x.min() == x.max():
        return 0.0
    return strength(x, *stl(x, BINS_PER_PERIOD))


#: Weights of the regularity sub-scores (they sum to 1); continuity then scales the result.
#: The periodogram, autocorrelation and STL confirm the same thing (the series repeats at the
#: period) and jitter defeats them in that order, so the best of the three counts.
WEIGHTS = {
    "renewal_score": 0.5,
    "interval_score": 0.2,
    "confirmation": 0.3,
}
#: Total renewal log-likelihood ratio (nats) that maps to a renewal score of 0.5, and its scale.
LLR_MIDPOINT, LLR_SCALE = 3.0, 2.0
#: A silence shorter than this is never a gap, whatever the period.
MIN_GAP_S = 1800.0
#: Restarts per day a beacon may have (a workstation's night) before continuity drops.
FREE_GAPS_PER_DAY = 1.0
#: Beats a run needs after a silence to count as a restart.
MIN_RUN_BEATS = 4
#: Beats needed for full confidence; fewer scale the score down.
FULL_CONFIDENCE_BEATS = 12
#: Shortest time a series is judged over, in seconds and in periods (the longer counts), while
#: its host is active that long: a 14-minute burst is not "continuous" because it filled its own
#: 14 minutes, it covers a quarter of an hour of its host's activity.
MIN_SPAN_S = 3600.0
MIN_SPAN_PERIODS = 8


def analyze(
    times: np.ndarray,
    start: float,
    end: float,
    active_seconds: float | None = None,
    seed: int = 0,
    merge_seconds: float | None = None,
) -> Periodicity:
    """Run every test on one series of event times within the window ``[start, end)``, merged
    into beats with ``merge_seconds`` (the project's var ``beat_merge_seconds`` when None).

    Coverage counts beats against the series' own lifetime (first to last beat), no longer than
    ``active_seconds`` (how long the host sent any DNS in the window; without it the whole
    window counts): an implant that ran for three hours of a three-day capture is judged on
    those hours, but never over less than ``min_span`` (an hour, or eight periods) of the host's
    activity, so a short burst cannot look continuous. Breaks inside the lifetime (an
    application that stops while its user is away) lower continuity beyond one a day (a
    workstation's night).
    """
    return analyze_many([times], start, end, [active_seconds], seed, merge_seconds)[0]


def analyze_many(
    series: Sequence[np.ndarray],
    start: float,
    end: float,
    active_seconds: Sequence[float | None] | None = None,
    seed: int = 0,
    merge_seconds: float | None = None,
) -> list[Periodicity]:
    """``analyze`` of each of ``series`` (event times) over the same window, each with its host's
    ``active_seconds`` (None: the whole window).

    The interval statistics run on all series at once (``Rows``): a candidate's few dozen
    intervals cost far less arithmetic than NumPy's overhead per call, so one call per batch
    instead of one per series takes most of their time away. The spectral checks (periodogram,
    autocorrelation, STL) run one series at a time: each bins its series at its own period.
    """
    if merge_seconds is None:
        merge_seconds = project_settings().beat_merge_seconds
    if active_seconds is None:
        active_seconds = [None] * len(series)
    events = Rows.of(series)
    merged = _merged(events, merge_seconds)
    enough = merged.lengths >= 4
    rows = np.flatnonzero(enough)
    active = [active_seconds[i] for i in rows.tolist()]
    analysed: Iterator[Periodicity] = iter(())
    if len(rows):
        analysed = _analyze_rows(merged.take(rows), events.lengths[rows], start, end, active, seed)
    # the series' results in their order: those of fewer than four beats are empty
    return [
        next(analysed) if tested else _empty(n_events, n_beats)
        for tested, n_events, n_beats in zip(
            enough.tolist(), events.lengths.tolist(), merged.lengths.tolist(), strict=True
        )
    ]


def _analyze_rows(
    beats: Rows,
    n_events: np.ndarray,
    start: float,
    end: float,
    active_seconds: list[float | None],
    seed: int,
) -> Iterator[Periodicity]:
    """``analyze`` of each row of ``beats`` (sorted, at least four each)."""
    d = beats.diff()
    ordered = d.sorted()
    medians, quartiles = ordered.median().tolist(), ordered.quantile(0.25).tolist()
    peaks = spectral_peaks(beats, start, end, [max(med / 3, 1.0) for med in medians], seed)
    seeds = []
    for med, quartile, peak in zip(medians, quartiles, peaks, strict=True):
        tried = {med, quartile}
        if peak.period_seconds > 0:
            spec = peak.period_seconds
            tried |= {spec, spec * 2, spec / 2}
        seeds.append(list(tried))
    period, fold, missing, k = best_folds(d, seeds)
    acf = acf_scores(beats, start, end, period)
    on_intervals = d.where(k == 1).sorted()
    # the jitter: the MAD of the on-period intervals over the period (1 with fewer than three)
    mad = np.ones(len(beats))
    three = np.flatnonzero(on_intervals.lengths >= 3)
    on_three = on_intervals.take(three)
    on_period = on_three.like(on_three.values / period[three][on_three.row])
    centred = on_period.like(np.abs(on_period.values - on_period.median()[on_period.row]))
    mad[three] = centred.sorted().median()
    spread = 1.4826 * mad  # a normal's sigma from its MAD
    # a beacon without missing beats may be better described by one normal around the mean
    # interval than by the folded mixture (wide Gaussian jitter spills into "k = 2")
    mean_d = d.mean()
    sd = np.sqrt(d.mean((d.values - mean_d[d.row]) ** 2))
    llr = np.maximum(
        renewal_llrs(d.like(d.values / period[d.row]), k, spread),
        renewal_llrs(
            d.like(d.values / mean_d[d.row]), np.ones(len(d.values), dtype=int), sd / mean_d
        ),
    )
    window = end - start
    active = np.array([a if a and a > 0 else window for a in active_seconds], dtype=float)
    first, last = beats.first(), beats.last()
    lifetime = (last - first) + period
    judged = np.minimum(np.maximum(lifetime, min_span(period)), active)
    coverage, gaps_per_day = _coverages(beats, d, period, judged, judged - lifetime)
    ttl = _ttl_floors(on_intervals)
    bound = _ttl_bounds(
        ordered.where(ordered.values <= ((max(FOLD_WEIGHTS) + 0.5) * period)[ordered.row])
    )
    interval_floor = np.zeros(len(beats))
    interval_floor[three] = on_three.quantile(0.1)
    for i, peak in enumerate(peaks):
        p = float(period[i])
        spec_period = peak.period_seconds
        # spectral evidence counts only if the spectral peak agrees with the period (or a harmonic)
        ratio = peak.ratio() if spec_period and _harmonic(spec_period, p) else 0.0
        seasonal = seasonal_strength(beats[i], start, end, p)
        cover, gaps = float(coverage[i]), float(gaps_per_day[i])
        continuity = cover / (1.0 + max(0.0, gaps - FREE_GAPS_PER_DAY) / 2.0)
        # a logistic that cannot overflow: a long Poisson-like series has a very negative llr
        m = int(d.lengths[i])
        renewal = float(expit((float(llr[i]) * m - LLR_MIDPOINT) / LLR_SCALE))
        spectral = _clamp(ratio - 0.5, 0.0, 1.0)
        regularity = (
            WEIGHTS["renewal_score"] * renewal
            + WEIGHTS["interval_score"] * float(fold[i])
            + WEIGHTS["confirmation"] * max(spectral, float(acf[i]), seasonal)
        )
        n = m + 1
        combined = regularity * math.sqrt(continuity) * min(1.0, n / FULL_CONFIDENCE_BEATS)
        yield Periodicity(
            n_events=int(n_events[i]),
            n_beats=n,
            period_seconds=p,
            jitter=min(1.0, 2.0 * float(mad[i])),  # the MAD of U(-j, j) is j / 2
            interval_score=float(fold[i]),
            renewal_llr=float(llr[i]),
            missing_share=float(missing[i]),
            spectral_ratio=float(ratio),
            spectral_score=spectral,
            acf_score=float(acf[i]),
            seasonal_strength=seasonal,
            coverage=cover,
            gaps_per_day=gaps,
            renewal_score=renewal,
            continuity=continuity,
            periodicity_score=float(combined),
            lifetime_seconds=float(lifetime[i]),
            ttl_seconds=float(ttl[i]),
            judged_seconds=float(judged[i]),
            ttl_bound_seconds=float(bound[i]),
            interval_floor_seconds=float(interval_floor[i]),
        )


def min_span(period: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Seconds a series of each period is judged over at least (``MIN_SPAN_S``, 8 periods)."""
    return np.maximum(MIN_SPAN_S, MIN_SPAN_PERIODS * period)


def _coverages(
    beats: Rows, d: Rows, period: np.ndarray, active: np.ndarray, short_by: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(coverage, restarts per day) of each series (row of ``beats``, its intervals ``d``) over
    its own lifetime.

    Silences longer than ``max(4.5 periods, MIN_GAP_S)`` cut the series into runs. Coverage is
    beats over the beats expected inside the runs (at most ``active`` seconds): a tunnel that
    polls every second for two hours a day covers its runs fully. A run of at least
    ``MIN_RUN_BEATS`` beats after a silence is a restart: an application that stops while its
    user is away restarts several times a day, an implant's lone check-ins between operator
    sessions do not count. ``short_by``: seconds a short series falls short of the least time
    it is judged over, added to its runs.
    """
    gap = np.maximum((max(FOLD_WEIGHTS) + 0.5) * period, MIN_GAP_S)
    cut = d.values > gap[d.row]
    runs = 1 + d.sum(cut)
    span = beats.last() - beats.first()
    covered = span - d.sum(np.where(cut, d.values, 0.0)) + runs * period
    covered += np.maximum(0.0, short_by)
    n = beats.lengths
    coverage = np.minimum(1.0, n / np.maximum(np.minimum(covered, active) / period, 1.0))
    # the run after each silence: from the beat after it to the next silence or the last beat
    at = np.flatnonzero(cut)
    row = d.row[at]
    after = at - d.starts[row] + 1  # the run's first beat, within its series
    until = n[row].copy()
    same = row[1:] == row[:-1]
    until[:-1][same] = after[1:][same]
    restarts = np.bincount(row[until - after >= MIN_RUN_BEATS], minlength=len(beats))
    days = np.maximum((span + period) / 86_400, 1.0)
    return coverage, restarts / days


def _parsimony(fold: Any, missing: Any) -> Any:
    """Fold score discounted by the missing beats it needs: P/2 with 80 % missing loses to P
    (numbers or arrays of them)."""
    return fold * np.sqrt(np.maximum(0.0, 1.0 - missing))


#: Jitter (relative spread) assumed at least / at most by the renewal model.
MIN_SPREAD, MAX_SPREAD = 0.02, 0.5
#: Probability mass the beacon model gives to gaps longer than four periods (machine asleep).
GAP_MASS = 0.05


def renewal_llr(x: np.ndarray, k: np.ndarray, spread: float) -> float:
    """Mean log-likelihood ratio per interval: jittered beacon vs Poisson at the same rate.

    ``x`` are intervals over the period. The beacon model is a mixture of normals at k = 1..4
    periods with spread s*sqrt(k) (k - 1 missing beats; weights from the observed k), plus a
    flat component for long gaps; the Poisson model is exponential with the mean of ``x``.
    Positive: the intervals look like a beacon; negative: like random arrivals.
    """
    return float(renewal_llrs(Rows.of([x]), np.asarray(k), np.array([spread]))[0])


def renewal_llrs(x: Rows, k: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """``renewal_llr`` of each row of ``x`` with its multiples ``k`` (one per value) and its
    ``spread``; -1 for an empty row."""
    s = np.clip(spread, MIN_SPREAD, MAX_SPREAD)
    ks = np.arange(1, max(FOLD_WEIGHTS) + 1)
    slots = len(ks) + 2  # k = 0 (never), 1..4, and beyond
    counted = np.bincount(x.row * slots + np.minimum(k, slots - 1), minlength=len(x) * slots)
    counts = counted.reshape(len(x), slots)[:, ks] + 0.5
    weights = (1 - GAP_MASS) * counts / counts.sum(axis=1, keepdims=True)
    sd = s[:, None] * np.sqrt(ks)
    values, row = x.values, x.row
    beacon = np.zeros(len(values))
    for j, multiple in enumerate(ks):  # the mixture's components, added in order
        sd_j = sd[row, j]
        dens = weights[row, j] * np.exp(-0.5 * ((values - multiple) / sd_j) ** 2)
        beacon += dens / (sd_j * math.sqrt(2 * math.pi))
    empty = x.lengths == 0
    longest = np.full(len(x), ks[-1] + 0.5)
    longest[~empty] = np.maximum(x.take(np.flatnonzero(~empty)).max(), ks[-1] + 0.5)
    beacon += GAP_MASS / longest[row]
    mean = x.mean()
    # in logs: exp(-x / mean) underflows for long gaps
    log_poisson = -values / mean[row] - np.log(mean)[row]
    return np.where(empty, -1.0, x.mean(np.log(beacon) - log_poisson))


def best_period(intervals: np.ndarray, seeds: list[float]) -> float:
    """The period that describes ``intervals`` best: of each seed's folded mean
    (``_folded_mean``) and the mean interval, the first with the highest fold score for the
    missing beats it needs (``_parsimony``). See ``best_fold``."""
    return best_fold(intervals, seeds)[0]


def best_fold(intervals: np.ndarray, seeds: list[float]) -> tuple[float, float, float, np.ndarray]:
    """``best_period`` and its ``fold_score``: (period, score, missing share, multiples k)."""
    period, fold, missing, k = best_folds(Rows.of([intervals]), [seeds])
    if period[0] <= 0:
        return (float(period[0]), *fold_score(intervals, float(period[0])))
    return float(period[0]), float(fold[0]), float(missing[0]), k


def best_folds(
    intervals: Rows, seeds: list[list[float]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``best_fold`` of each row of ``intervals`` (not empty) from its ``seeds``: (periods,
    fold scores, missing shares, multiples k of every interval; k = 0 in a row whose best
    period is not positive, which ``analyze``'s intervals of whole seconds never have).

    Every candidate period of every row is a row of one flat matrix: a few array operations
    for a batch instead of a few dozen per seed and series. The intervals are whole seconds
    (``merge_beats``), so the folded means' sums are exact in any order: the same periods, bit
    for bit, as ``_folded_mean`` one seed at a time (``tests/test_confirm_equivalence.py``).
    """
    # the periods tried on a row: its seeds, then its mean interval
    n_tried = np.array([len(s) + 1 for s in seeds], dtype=np.int64)
    tried = intervals.take(np.repeat(np.arange(len(intervals)), n_tried))
    mean = intervals.mean()
    period = np.array([p for s, m in zip(seeds, mean.tolist(), strict=True) for p in (*s, m)])
    # a seed that is not positive stays as it is, as in ``_folded_mean``; so does the mean
    moving = period > 0
    moving[np.cumsum(n_tried) - 1] = False
    x = tried.values
    for _ in range(FOLDED_MEAN_ROUNDS):
        k = np.maximum(1, np.rint(x / np.where(moving, period, 1.0)[tried.row]))
        use = k <= max(FOLD_WEIGHTS)
        moving &= tried.sum(use) > 0  # no interval within reach: the seed stays
        periods_in = np.where(moving, tried.sum(k * use), 1.0)
        period = np.where(moving, tried.sum(x * use) / periods_in, period)
    positive = period > 0  # fold_score of a period that is not positive: 0 and 0
    scores, missing, multiples = _folds(tried, np.where(positive, period, 1.0))
    scores, missing = np.where(positive, scores, 0.0), np.where(positive, missing, 0.0)
    multiples[~positive[tried.row]] = 0
    ranks = Rows(_parsimony(scores, missing), n_tried)
    best = ranks.first_max()
    return (
        period[best],
        scores[best],
        missing[best],
        tried.like(multiples).take(best).values.astype(int),
    )


#: Rounds of ``_folded_mean`` from each seed.
FOLDED_MEAN_ROUNDS = 3


def _folded_mean(seed: float, intervals: np.ndarray, rounds: int = FOLDED_MEAN_ROUNDS) -> float:
    """Mean period: total time over total periods, counting an interval of ~k periods as k.

    Averaging cancels jitter (errors do not accumulate across beats) and counting multiples
    absorbs missing beats; a few rounds from ``seed`` converge.
    """
    period = seed
    for _ in range(rounds):
        if period <= 0:
            return seed
        k = np.maximum(1, np.rint(intervals / period))
        use = k <= max(FOLD_WEIGHTS)
        if not use.any():
            return period
        period = float(intervals[use].sum() / k[use].sum())
    return period


def _clamp(x: float, lo: float, hi: float) -> float:
    """``float(np.clip(x, lo, hi))`` of one number, without an array call's overhead."""
    return float(min(max(x, lo), hi))


def _harmonic(a: float, b: float, tol: float = 0.1) -> bool:
    """Whether ``a`` is within ``tol`` of b, 2b, b/2, 3b or b/3."""
    return any(abs(a / (b * m) - 1) <= tol for m in (1, 2, 0.5, 3, 1 / 3))


def _empty(n_events: int, n_beats: int) -> Periodicity:
    zero: dict[str, Any] = dict.fromkeys(_PERIODICITY_FIELDS, 0.0)
    return Periodicity(
        **{**zero, "n_events": n_events, "n_beats": n_beats, "jitter": 1.0, "renewal_llr": -1.0}
    )
