"""The confirmation's hand-rolled checks against their scipy and statsmodels counterparts.

    python benchmarks/bench_periodicity_libs.py [--repeat 5] [--only LABEL] [--detail] [--json F]

On the equivalence test's sample (``tests/test_confirm_equivalence.py``: every shape the
detector meets), each library version stands in for the hand-rolled function behind the same
signature. Prints, per variant, the CPU microseconds per candidate of the function alone (replayed
on the arguments ``analyze`` gives it on the sample; best of --repeat) and of the whole
``analyze``, and the largest difference of any ``Periodicity`` field from the shipped path
(with the number of series whose findings move by more than the equivalence tolerance). The
Lomb–Scargle variant alone takes some ten minutes of CPU (``--only`` picks variants).
statsmodels' ``acf(fft=False)`` is left out: it correlates every lag (``np.correlate``, O(n^2)
in the bins: a second at 40,000 bins) before keeping the first few. Timings belong here, not in
tests.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from scipy import signal
from statsmodels.tsa.seasonal import STL
from statsmodels.tsa.stattools import acf

from beaconlake.confirm import periodicity
from beaconlake.confirm.periodicity import (
    BINS_PER_PERIOD,
    MAX_BINS,
    PAD_FACTOR,
    analyze,
    bin_counts,
    merge_beats,
    seasonal_series,
    strength,
)
from beaconlake.confirm.settings import project_settings
from beaconlake.report import charts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_confirm_equivalence import SAMPLE, TOLERANCE

#: Frequencies per Lomb–Scargle call: scipy builds several (beats x frequencies) arrays.
LS_CHUNK_CELLS = 1 << 21


def periodogram_power(x: np.ndarray) -> np.ndarray:
    """``_padded_power`` by ``scipy.signal.periodogram`` (boxcar, constant detrend, density at
    fs = 1: 2 |X|^2 / m off DC and Nyquist, which the peak search never reads)."""
    m = x.shape[-1]
    n = 1 << math.ceil(math.log2(m * PAD_FACTOR))
    return signal.periodogram(x, nfft=n, axis=-1)[1] / 2.0


def lombscargle_peak(
    beats: np.ndarray, start: float, end: float, min_period: float, seed: int = 0
) -> periodicity.SpectralPeak:
    """``spectral_peak`` from ``scipy.signal.lombscargle`` of the beat times themselves (unit
    marks, no bins) over the same window and frequencies; the threshold is the analytic 95 %
    false-alarm level of the peak of uniform random times (the power of one frequency is
    Exp(1), the grid's ``PAD_FACTOR``-fold oversampled frequencies count as 1 / PAD_FACTOR)."""
    bin_s = float(2 ** max(0, math.floor(math.log2(max(min_period / 4.0, 1.0)))))
    lo_t = start if (end - start) / bin_s <= MAX_BINS else max(start, float(beats[0]))
    hi_t = min(end, lo_t + MAX_BINS * bin_s)
    t = beats[(beats >= lo_t) & (beats < hi_t)] - lo_t
    n = max(1, math.ceil((hi_t - lo_t) / bin_s))
    if n < 16 or len(t) < 4:
        return periodicity.SpectralPeak()
    n_fft = 1 << math.ceil(math.log2(n * PAD_FACTOR))
    lo, hi = max(1, math.ceil(3 * n_fft / n)), n_fft // 2
    if hi <= lo + 1:
        return periodicity.SpectralPeak()
    freqs = 2 * np.pi * np.arange(lo, hi) / (n_fft * bin_s)
    step = max(1, LS_CHUNK_CELLS // len(t))
    ones = np.ones(len(t))
    power = np.concatenate(
        [signal.lombscargle(t, ones, freqs[i : i + step]) for i in range(0, len(freqs), step)]
    )
    j = int(np.argmax(power))
    threshold = -math.log(1.0 - 0.95 ** (PAD_FACTOR / (hi - lo)))
    return periodicity.SpectralPeak(n_fft / (lo + j) * bin_s, float(power[j]), lambda: threshold)


def _statsmodels_acf(x: np.ndarray, nlags: int, fft: bool) -> np.ndarray:
    if x.std() == 0:  # statsmodels divides by a zero variance
        return np.zeros(nlags + 1)
    return acf(x, nlags=nlags, fft=fft)


def acf_lags_fft(
    beats: np.ndarray, start: float, end: float, bin_s: float, max_lag: int
) -> np.ndarray:
    """``autocorrelation_lags`` by ``statsmodels.tsa.stattools.acf`` (FFT) of the binned series."""
    x = bin_counts(beats, start, end, bin_s)
    return _statsmodels_acf(x, min(max_lag, len(x) - 1), fft=True)


def autocorrelation_statsmodels(
    beats: np.ndarray, start: float, end: float, bin_s: float
) -> np.ndarray:
    """``autocorrelation`` (every lag) by statsmodels' ``acf``."""
    x = bin_counts(beats, start, end, bin_s)
    return _statsmodels_acf(x, len(x) - 1, fft=True)


def autocorrelation_correlate(
    beats: np.ndarray, start: float, end: float, bin_s: float
) -> np.ndarray:
    """``autocorrelation`` (every lag) by ``scipy.signal.correlate`` (FFT)."""
    x = bin_counts(beats, start, end, bin_s)
    x = x - x.mean()
    r = signal.correlate(x, x, mode="full", method="fft")[len(x) - 1 :]
    return r / r[0] if r[0] > 0 else np.zeros(len(x))


def seasonal_strength_statsmodels(
    beats: np.ndarray, start: float, end: float, period: float
) -> float:
    """``seasonal_strength`` with ``statsmodels.tsa.seasonal.STL`` fitted on each series."""
    x = seasonal_series(beats, start, end, period)
    if len(x) < 3 * BINS_PER_PERIOD or x.std() == 0:
        return 0.0
    fit = STL(x, period=BINS_PER_PERIOD, robust=False).fit()
    return strength(x, fit.seasonal, fit.trend)


@dataclass(frozen=True)
class Variant:
    label: str
    #: the function of ``periodicity`` replaced, and what replaces it
    name: str
    library: Callable[..., Any]
    #: the function timed alone (the one ``analyze`` calls; ``name`` when None)
    timed: str | None = None


VARIANTS = (
    Variant("scipy.signal.periodogram", "_padded_power", periodogram_power, "spectral_peak"),
    Variant("scipy.signal.lombscargle (beat times)", "spectral_peak", lombscargle_peak),
    Variant("statsmodels acf, fft=True", "autocorrelation_lags", acf_lags_fft),
    Variant("statsmodels STL", "seasonal_strength", seasonal_strength_statsmodels),
)
#: Full autocorrelation (the drill-down chart's, at most ``charts.MAX_ACF_BINS`` bins): not on
#: the scoring path.
FULL_ACF = (
    ("statsmodels acf, every lag", autocorrelation_statsmodels),
    ("scipy.signal.correlate", autocorrelation_correlate),
)


#: The shipped permutation threshold (its cache is emptied whenever a variant changes).
NULL_THRESHOLD = periodicity._null_threshold


@contextmanager
def replaced(name: str, function: Callable[..., Any]) -> Iterator[None]:
    shipped = getattr(periodicity, name)
    setattr(periodicity, name, function)
    NULL_THRESHOLD.cache_clear()
    try:
        yield
    finally:
        setattr(periodicity, name, shipped)
        NULL_THRESHOLD.cache_clear()


@contextmanager
def recording(name: str, calls: list[tuple[Any, ...]]) -> Iterator[None]:
    """Record the arguments of every call ``analyze`` makes to ``periodicity.<name>``."""
    shipped = getattr(periodicity, name)

    def record(*args: Any) -> Any:
        calls.append(args)
        return shipped(*args)

    with replaced(name, record):
        yield


def best_us(call: Callable[[], object], repeat: int, budget_s: float = 0.5) -> float:
    """Best of up to ``repeat`` runs of ``call`` in microseconds of this process's CPU time
    (fewer runs when slow): CPU time, not wall time, so that other work on a busy machine
    does not count."""
    times: list[float] = []
    spent = 0.0
    while len(times) < repeat and (not times or spent < budget_s):
        started = time.process_time()
        call()
        took = time.process_time() - started
        times.append(took)
        spent += took
    return min(times) * 1e6


def per_call_us(function: Callable[..., Any], calls: list[tuple[Any, ...]], repeat: int):
    """(mean, median, max) µs per call over the recorded calls."""
    us = [best_us(functools.partial(function, *args), repeat) for args in calls]
    return statistics.fmean(us), statistics.median(us), max(us)


def chart_calls(found: list[periodicity.Periodicity]) -> list[tuple[Any, ...]]:
    """The arguments of every ``autocorrelation`` the drill-down chart takes on the sample."""
    merge = project_settings().beat_merge_seconds
    with mock.patch.object(charts, "autocorrelation", wraps=charts.autocorrelation) as spy:
        for (_, t, s, e), p in zip(SAMPLE, found, strict=True):
            charts.autocorrelation_svg(merge_beats(t, merge), s, e, p.period_seconds or None)
    return [call.args for call in spy.call_args_list]


def import_cpu_s(module: str, repeat: int = 3) -> float:
    """Least CPU seconds a fresh process spends importing ``module`` after the confirmation."""
    code = (
        "import time, beaconlake.confirm.batch; t = time.process_time(); "
        f"import {module}; print(time.process_time() - t)"
    )
    command = [sys.executable, "-c", code]
    runs = [
        subprocess.run(command, capture_output=True, text=True, check=True) for _ in range(repeat)
    ]
    return min(float(r.stdout) for r in runs)


def analyze_all() -> list[periodicity.Periodicity]:
    return [analyze(t, s, e) for _, t, s, e in SAMPLE]


def analyze_us(repeat: int) -> float:
    """µs per candidate of ``analyze`` over the sample (the null cache warm, as in a worker)."""
    analyze_all()
    return best_us(analyze_all, repeat, budget_s=5.0) / len(SAMPLE)


def differences(
    shipped: list[periodicity.Periodicity], other: list[periodicity.Periodicity]
) -> tuple[float, str, int, list[str]]:
    """(largest field difference, its field, series with any field off by more than the
    tolerance, those series' fields)."""
    worst, where, moved, detail = 0.0, "", 0, []
    for (shape, *_), a, b in zip(SAMPLE, shipped, other, strict=True):
        off = []
        for f in fields(a):
            d = abs(float(getattr(a, f.name)) - float(getattr(b, f.name)))
            if d > worst:
                worst, where = d, f.name
            if d > TOLERANCE:
                off.append(f"{f.name} {getattr(a, f.name):.4g}->{getattr(b, f.name):.4g}")
        if off:
            moved += 1
            detail.append(f"{shape}: {', '.join(off)}")
    return worst, where, moved, detail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--detail", action="store_true", help="list the series that moved")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only the variants whose label contains this (repeatable)",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)

    shipped = analyze_all()
    base_us = analyze_us(args.repeat)
    print(f"{len(SAMPLE)} series; analyze as shipped: {base_us:,.0f} µs per candidate\n")
    print(
        "| variant | replaces | µs/call shipped (mean, median, max) | µs/call library "
        "| analyze µs/candidate | largest difference | series moved |"
    )
    print("|---|---|---|---|---|---|---|")
    out: dict[str, Any] = {"series": len(SAMPLE), "analyze_us": base_us, "variants": []}
    for v in VARIANTS:
        if args.only and not any(o in v.label for o in args.only):
            continue
        timed = v.timed or v.name
        calls: list[tuple[Any, ...]] = []
        with recording(timed, calls):
            analyze_all()
        hand_fn = getattr(periodicity, timed)
        hand = per_call_us(hand_fn, calls, args.repeat)
        with replaced(v.name, v.library):
            lib_fn = getattr(periodicity, timed)
            per_call_us(lib_fn, calls, 1)  # warm the null cache as the shipped run was
            lib = per_call_us(lib_fn, calls, args.repeat)
            found = analyze_all()
            lib_analyze = analyze_us(args.repeat)
        worst, field, moved, detail = differences(shipped, found)
        print(
            f"| {v.label} | `{v.name}` | {hand[0]:,.0f}, {hand[1]:,.0f}, {hand[2]:,.0f} "
            f"| {lib[0]:,.0f}, {lib[1]:,.0f}, {lib[2]:,.0f} | {lib_analyze:,.0f} "
            f"| {worst:.2g} ({field or '-'}) | {moved} |",
            flush=True,
        )
        if args.detail:
            for line in detail:
                print(f"    {line}")
        out["variants"].append(
            {
                "label": v.label,
                "replaces": v.name,
                "calls": len(calls),
                "shipped_us": hand,
                "library_us": lib,
                "analyze_us": lib_analyze,
                "largest_difference": worst,
                "field": field,
                "series_moved": moved,
                "moved": detail,
            }
        )

    # permutation thresholds, each computed once per shape in a worker (cached)
    calls = []
    with recording("_null_threshold", calls):
        analyze_all()
    calls = sorted(set(calls))  # one per shape, as the cache computes them
    null = NULL_THRESHOLD.__wrapped__
    hand = per_call_us(null, calls, args.repeat)
    with replaced("_padded_power", periodogram_power):
        lib = per_call_us(null, calls, args.repeat)
    print(f"\npermutation threshold per shape ({len(calls)} shapes): shipped "
          f"{hand[0]:,.0f} µs, with scipy.signal.periodogram {lib[0]:,.0f} µs (mean)")  # fmt: skip
    out["null_threshold_us"] = {"shipped": hand, "periodogram": lib}

    # the full autocorrelation the drill-down chart draws (not on the scoring path)
    full = chart_calls(shipped)
    hand = per_call_us(periodicity.autocorrelation, full, args.repeat)
    print(f"chart autocorrelation ({len(full)} series): shipped {hand[0]:,.0f} µs "
          f"(median {hand[1]:,.0f})", end="")  # fmt: skip
    out["full_acf_us"] = {"shipped": hand}
    for label, function in FULL_ACF:
        lib = per_call_us(function, full, args.repeat)
        worst = max(
            float(np.abs(function(*a) - periodicity.autocorrelation(*a)).max()) for a in full
        )
        print(f"; {label} {lib[0]:,.0f} µs (median {lib[1]:,.0f}), largest difference "
              f"{worst:.2g}", end="")  # fmt: skip
        out["full_acf_us"][label] = {"us": lib, "largest_difference": worst}
    print()
    imports = {m: import_cpu_s(m) for m in ("scipy.signal", "statsmodels.tsa.stattools")}
    print("CPU seconds to import, in a process that has imported the confirmation: "
          + ", ".join(f"{m} {s:.2f}" for m, s in imports.items()))  # fmt: skip
    out["import_cpu_s"] = imports
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
