"""The fast confirmation finds what the straightforward one finds, candidate by candidate.

The reference path below is the confirmation as first written, on the libraries where they
offer the same computation, kept for this comparison: STL fitted by statsmodels on each series,
the autocorrelation of the whole binned series by statsmodels' ``acf``, one
``scipy.signal.periodogram`` per permuted series, the folding weights picked by
``np.select`` and the period picked one candidate period at a time. The
fast path (``periodicity.analyze`` and ``batch.confirm`` as shipped) must give every sub-score
within 1e-9 and the same severity on a fixed, seeded sample of every shape the detector meets.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
from scipy import signal
from statsmodels.tsa.seasonal import STL
from statsmodels.tsa.stattools import acf

from beaconlake.confirm import batch, periodicity
from beaconlake.confirm.batch import CONTEXT_DEFAULTS, KEY, SERIES_ID, confirm, context
from beaconlake.confirm.periodicity import (
    BINS_PER_PERIOD,
    FOLD_TOLERANCE,
    FOLD_WEIGHTS,
    HILL_LAGS,
    PAD_FACTOR,
    PERMUTATIONS,
    analyze,
    autocorrelation,
    autocorrelation_lags,
    best_fold,
    best_period,
    bin_counts,
    fold_score,
    hill,
    seasonal_series,
    strength,
)
from beaconlake.confirm.rows import Rows
from beaconlake.confirm.scoring import score_candidate
from beaconlake.confirm.seasonal import stl
from beaconlake.simulate.timing import beat_times

DAY = 86_400.0
#: Largest difference allowed between a sub-score of the two paths: both compute the same sums
#: in a different order, so they differ by rounding (about 1e-14 here), never by more.
TOLERANCE = 1e-9


def statsmodels_acf(beats: np.ndarray, start: float, end: float, bin_s: float) -> np.ndarray:
    """statsmodels' autocorrelation of the binned beats at every lag (0 for a constant series)."""
    x = bin_counts(beats, start, end, bin_s)
    return acf(x, nlags=len(x) - 1) if x.std() > 0 else np.zeros(len(x))


def reference_acf_hill(beats: np.ndarray, start: float, end: float, period: float):
    """``acf_hill`` from statsmodels' autocorrelation of the whole binned series."""
    r = statsmodels_acf(beats, start, end, period / BINS_PER_PERIOD)
    if len(r) < 3 * BINS_PER_PERIOD:
        return 0.0, period
    return hill(r, period)


def reference_seasonal_strength(beats: np.ndarray, start: float, end: float, period: float):
    """``seasonal_strength`` with statsmodels' STL fitted on the series."""
    x = seasonal_series(beats, start, end, period)
    if len(x) < 3 * BINS_PER_PERIOD or x.std() == 0:
        return 0.0
    fit = STL(x, period=BINS_PER_PERIOD, robust=False).fit()
    return strength(x, fit.seasonal, fit.trend)


def reference_null_threshold(n_bins: int, n_beats: int, lo: int, hi: int, seed: int) -> float:
    """``_null_threshold`` by ``scipy.signal.periodogram`` of one permuted series at a time,
    uncached (one-sided density at fs = 1: twice ``_padded_power``)."""
    rng = np.random.default_rng([seed, n_bins, n_beats])
    maxima = np.empty(PERMUTATIONS)
    for i in range(PERMUTATIONS):
        x = np.zeros(n_bins)
        x[rng.choice(n_bins, min(n_beats, n_bins), replace=False)] = 1.0
        n_fft = 1 << math.ceil(math.log2(n_bins * PAD_FACTOR))
        maxima[i] = signal.periodogram(x, nfft=n_fft)[1][lo:hi].max() / 2.0
    return float(np.quantile(maxima, 0.95))


def reference_fold_score(intervals: np.ndarray, period: float):
    """``fold_score`` with the weights picked by ``np.select``."""
    if len(intervals) == 0 or period <= 0:
        return 0.0, 0.0, np.zeros(0, dtype=int)
    k = np.maximum(1, np.rint(intervals / period)).astype(int)
    dev = np.abs(intervals / k - period) / (FOLD_TOLERANCE * period)
    w = np.select([k == m for m in FOLD_WEIGHTS], list(FOLD_WEIGHTS.values()), 0.0)
    score = float(np.mean(w * np.clip(1.0 - dev, 0.0, 1.0)))
    return score, float(np.mean(k > 1)), k


def reference_best_period(intervals: np.ndarray, seeds: list[float]) -> float:
    """``best_period`` one candidate period at a time: each seed's folded mean and the mean
    interval, the first with the best ``fold_score`` for the missing beats it needs."""
    periods = [periodicity._folded_mean(p, intervals) for p in seeds] + [float(intervals.mean())]
    return max(
        periods, key=lambda p: periodicity._parsimony(*periodicity.fold_score(intervals, p)[:2])
    )


def reference_best_fold(intervals: np.ndarray, seeds: list[float]):
    """``best_fold`` as ``reference_best_period`` and then ``reference_fold_score``."""
    period = reference_best_period(intervals, seeds)
    return (period, *reference_fold_score(intervals, period))


def reference_best_folds(intervals: Rows, seeds: list[list[float]]):
    """``best_folds`` as ``reference_best_fold`` on one row at a time."""
    found = [reference_best_fold(intervals[i], s) for i, s in enumerate(seeds)]
    period, fold, missing, k = zip(*found, strict=True)
    return np.array(period), np.array(fold), np.array(missing), np.concatenate(k)


def reference_acf_scores(beats: Rows, start: float, end: float, periods: np.ndarray):
    """``acf_scores`` as ``reference_acf_hill`` on one row at a time."""
    return np.array([reference_acf_hill(beats[i], start, end, p)[0] for i, p in enumerate(periods)])


REFERENCE = {
    "best_period": reference_best_period,
    "best_fold": reference_best_fold,
    "best_folds": reference_best_folds,
    "acf_hill": reference_acf_hill,
    "acf_scores": reference_acf_scores,
    "seasonal_strength": reference_seasonal_strength,
    "_null_threshold": reference_null_threshold,
    "fold_score": reference_fold_score,
}


@contextmanager
def reference_path() -> Iterator[None]:
    """``analyze`` (and everything that calls it) runs the reference checks meanwhile."""
    fast = {name: getattr(periodicity, name) for name in REFERENCE}
    for name, reference in REFERENCE.items():
        setattr(periodicity, name, reference)
    try:
        yield
    finally:
        for name, function in fast.items():
            setattr(periodicity, name, function)


def sample(seed: int = 11) -> list[tuple[str, np.ndarray, float, float]]:
    """(shape, event times, window start, window end) for every shape the detector meets."""
    rng = np.random.default_rng(seed)
    out: list[tuple[str, np.ndarray, float, float]] = []
    for model in ("uniform", "gaussian"):
        for period in (20.0, 60.0, 300.0, 1800.0, 3600.0):
            for jitter in (0.0, 0.1, 0.3, 0.6):
                t = beat_times(rng, 0, DAY, period, jitter, model)
                out.append((f"{model} {period:.0f}s ±{jitter}", t, 0.0, DAY))
    for period in (120.0, 900.0):
        t = beat_times(rng, 0, DAY, period, 0.2, "uniform")
        out.append(("missing beats", t[rng.random(len(t)) >= 0.4], 0.0, DAY))
        out.append(
            ("bursts", np.concatenate([t, t + 0.2, t + rng.uniform(0, 0.9, len(t))]), 0.0, DAY)
        )
    for n in (5, 12, 30, 120, 600, 3000):
        out.append((f"poisson {n}", np.sort(rng.uniform(0, DAY, n)), 0.0, DAY))
    for period in (1.0, 2.0, 5.0):
        start = rng.uniform(0, DAY / 2)
        out.append(("strobe", np.arange(start, start + 1800.0, period), 0.0, DAY))
    sessions = [np.arange(s, s + 3600.0, 10.0) for s in rng.uniform(0, DAY - 3600, 3)]
    out.append(("tunnel sessions", np.sort(np.concatenate(sessions)), 0.0, DAY))
    for hours in (2, 4, 6, 8):
        t = beat_times(rng, 0, 3 * DAY, hours * 3600.0, 0.1, "uniform")
        out.append((f"slow {hours}h", t, 0.0, 3 * DAY))
    out.append(("late start", beat_times(rng, DAY - 7200, DAY, 300.0, 0.1, "uniform"), 0.0, DAY))
    out.append(("three events", np.array([10.0, 700.0, 1300.0]), 0.0, DAY))
    return out


SAMPLE = sample()


def close(a: float, b: float) -> bool:
    return a == b or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= TOLERANCE)


@pytest.mark.parametrize(("shape", "times", "start", "end"), SAMPLE, ids=[s[0] for s in SAMPLE])
def test_every_sub_score_matches_the_reference(
    shape: str, times: np.ndarray, start: float, end: float
) -> None:
    fast = analyze(times, start, end)
    with reference_path():
        ref = analyze(times, start, end)
    for f in fields(fast):
        a, b = getattr(fast, f.name), getattr(ref, f.name)
        assert close(float(a), float(b)), f"{shape}: {f.name} {a} != {b}"


def test_the_sample_exercises_the_checks_that_changed() -> None:
    """A comparison over series where STL and the hill find nothing would prove nothing."""
    found = [analyze(t, s, e) for _, t, s, e in SAMPLE]
    assert sum(p.seasonal_strength > 0.5 for p in found) >= 10
    assert sum(p.acf_score > 0.5 for p in found) >= 10
    assert sum(0 < p.acf_score < 0.5 for p in found) >= 3


def test_quantiles_of_sorted_rows_are_numpys() -> None:
    rng = np.random.default_rng(3)
    for kind in range(3):
        rows = [
            [rng.uniform(0, 1000, n), np.rint(rng.uniform(0, 100, n)), rng.exponential(30, n)][kind]
            for n in rng.integers(1, 61, 1000)
        ]
        ordered = Rows.of(rows).sorted()
        np.testing.assert_array_equal(ordered.median(), [np.median(x) for x in rows])
        for q in (0.1, 0.25, 0.5, 0.9, 1.0):
            np.testing.assert_array_equal(ordered.quantile(q), [np.quantile(x, q) for x in rows])


def test_the_period_matrix_picks_the_period_one_at_a_time_picks() -> None:
    rng = np.random.default_rng(4)
    for i in range(2000):
        period = float(rng.choice([20, 60, 300, 900, 3600]))
        n = int(rng.integers(3, 300))
        if i % 2:  # jittered, beats missing
            d = np.rint(period * rng.uniform(0.5, 1.5, n) * rng.choice([1, 1, 1, 2, 3, 7], n))
        else:
            d = np.floor(rng.exponential(period, n))
        d += 3.0  # whole seconds beyond the merge gap, as merge_beats leaves them
        seeds = [
            float(np.median(d)),
            float(np.quantile(d, 0.25)),
            float(rng.uniform(1, 5000)),
            *([0.0] if i % 3 == 0 else []),  # a seed that is not positive stays as it is
        ]
        assert best_period(d, seeds) == reference_best_period(d, seeds)
        # the picked period's row of the matrix is its fold score, bit for bit
        period, fold, missing, k = best_fold(d, seeds)
        alone, alone_missing, alone_k = fold_score(d, period)
        assert (period, fold, missing) == (best_period(d, seeds), alone, alone_missing)
        np.testing.assert_array_equal(k, alone_k)


@pytest.mark.parametrize("n", [24, 25, 31, 64, 100, 191, 192, 193])
def test_stl_as_matrices_is_statsmodels_stl(n: int) -> None:
    rng = np.random.default_rng(n)
    for share in (0.05, 0.3, 0.9):
        x = (rng.random(n) < share) * rng.integers(1, 4, n).astype(float)
        seasonal, trend = stl(x, BINS_PER_PERIOD)
        fit = STL(x, period=BINS_PER_PERIOD, robust=False).fit()
        assert np.abs(seasonal - fit.seasonal).max() <= 1e-12
        assert np.abs(trend - fit.trend).max() <= 1e-12


def test_lags_from_occupied_bins_are_the_full_autocorrelation() -> None:
    rng = np.random.default_rng(5)
    for n_beats, bin_s in [(10, 600.0), (300, 37.5), (5000, 2.5), (20000, 1.0)]:
        beats = np.sort(rng.uniform(0, DAY, n_beats))
        full = statsmodels_acf(beats, 0.0, DAY, bin_s)
        np.testing.assert_allclose(autocorrelation(beats, 0.0, DAY, bin_s), full, atol=1e-12)
        lags = autocorrelation_lags(beats, 0.0, DAY, bin_s, max(HILL_LAGS))
        np.testing.assert_allclose(lags, full[: len(lags)], rtol=0, atol=1e-12)
    constant = np.arange(0.0, 100.0, 1.0)  # one beat in every bin: no correlation to measure
    assert not autocorrelation_lags(constant, 0.0, 100.0, 1.0, 10).any()
    assert not autocorrelation(constant, 0.0, 100.0, 1.0).any()


def candidates() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One candidate per sample series of one day, on hosts of one tenant, and their events."""
    rows, events = [], []
    for i, (_, times, start, end) in enumerate(SAMPLE):
        if (start, end) != (0.0, DAY):
            continue
        key = {
            "tenant_id": "t1",
            "host_id": f"h{i % 7}",
            "domain_level": ("query_name", "registered_domain")[i % 2],
            "domain": f"d{i}.example.com",
        }
        rows.append(
            {
                **key,
                "tenant_hosts": 50,
                "domain_hosts": 1 + i % 3,
                "host_active_seconds": DAY if i % 2 else None,
            }
        )
        events.append(pd.DataFrame({**key, "event_epoch": times}))
    return pd.DataFrame(rows), pd.concat(events, ignore_index=True)


def reference_confirm(cands: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Each candidate analysed and scored on its own, one after the other."""
    rows = []
    for row in cands.to_dict("records"):
        key = (row["tenant_id"], row["host_id"], row["domain_level"], row["domain"])
        mine = events[(events[KEY] == pd.Series(key, index=KEY)).all(axis=1)]
        ctx = {**CONTEXT_DEFAULTS, **row}
        ctx = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in ctx.items()}
        with reference_path():
            p = analyze(
                mine.event_epoch.to_numpy(dtype=float),
                0.0,
                DAY,
                active_seconds=ctx["host_active_seconds"],
            )
        scored = score_candidate(p, context(key, ctx), 0.0, DAY)
        rows.append({**dict(zip(KEY, key, strict=True)), **scored})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("workers", [1, 2])
def test_batch_confirmation_finds_what_the_reference_finds(workers: int) -> None:
    cands, events = candidates()
    fast = confirm(cands, events, 0.0, DAY, workers=workers, rotations=False)
    ref = reference_confirm(cands, events)
    fast = fast.sort_values(KEY).reset_index(drop=True)
    ref = ref.sort_values(KEY).reset_index(drop=True)
    assert list(fast.columns) == list(ref.columns)
    assert (fast.severity == ref.severity).all()
    assert (fast.reason == ref.reason).all()
    numeric = [c for c in ref.columns if pd.api.types.is_float_dtype(ref[c])]
    assert "score" in numeric and "seasonal_strength" in numeric
    for col in numeric:
        np.testing.assert_allclose(fast[col], ref[col], rtol=0, atol=TOLERANCE, err_msg=col)
    assert set(ref.severity) - {"none"}, "the sample must reach an alert severity"


@pytest.mark.parametrize("workers", [2, 3])
def test_candidates_scored_in_lanes_come_back_in_their_order(
    workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of three, shortest series first, in lanes on several processes that take
    each other's batches when their own are done: every row comes back in its candidate's
    place, the same as on one process."""
    cands, events = candidates()
    one = confirm(cands, events, 0.0, DAY, workers=1, rotations=False)
    monkeypatch.setattr(batch, "BATCH_SIZE", 3)
    lanes = confirm(cands, events, 0.0, DAY, workers=workers, rotations=False)
    assert list(lanes.domain) == list(cands.domain)
    pd.testing.assert_frame_equal(lanes, one)


def test_events_matched_by_series_id_score_as_events_matched_by_keys() -> None:
    """Events that carry only their series' number (and come in any order, with beats of a
    series that is not a candidate) are scored as the same events keyed by four strings."""
    cands, events = candidates()
    numbered = cands.assign(**{SERIES_ID: np.arange(len(cands)) * 3 + 1})
    by_id = events.merge(numbered[[*KEY, SERIES_ID]], on=KEY)[[SERIES_ID, "event_epoch"]]
    stray = pd.DataFrame({SERIES_ID: [2, 2, 2], "event_epoch": [10.0, 20.0, 30.0]})
    by_id = pd.concat([by_id, stray]).sample(frac=1.0, random_state=3)
    keyed = confirm(cands, events, 0.0, DAY, workers=1, rotations=False)
    numbered_result = confirm(numbered, by_id, 0.0, DAY, workers=1, rotations=False)
    pd.testing.assert_frame_equal(numbered_result, keyed)
    with pytest.raises(ValueError, match="missing columns: event_epoch"):
        confirm(numbered, by_id[[SERIES_ID]], 0.0, DAY)
    with pytest.raises(ValueError, match="missing columns: domain, host_id, tenant_id"):
        confirm(cands, by_id, 0.0, DAY)
