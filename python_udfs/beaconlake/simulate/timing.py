"""Beat times of periodic channels: C2 implants and benign keep-alives.

A channel calls home every ``period`` seconds; ``jitter`` (a fraction of the period) perturbs each
sleep according to one of the models implants use. The conventions differ in spread, so the model
is always named next to the number:

=================  ====================================  =================  ================
model              interval                              mean               stddev
=================  ====================================  =================  ================
none               P                                     P                  0
uniform            P * (1 + U(-j, j))                    P                  P * j / sqrt(3)
sleep_reduction    P * (1 - U(0, j))   (Cobalt Strike)   P * (1 - j / 2)    P * j / sqrt(12)
gaussian           P * (1 + N(0, j)), floored at 5 % P   ~P                 ~P * j
additive           P + U(0, j * P)                       P * (1 + j / 2)    P * j / sqrt(12)
=================  ====================================  =================  ================
"""

from __future__ import annotations

import numpy as np

from beaconlake.errors import ConfigError

JITTER_MODELS = ("none", "uniform", "sleep_reduction", "gaussian", "additive")

#: Shortest interval the Gaussian model may draw, as a fraction of the period.
GAUSSIAN_FLOOR = 0.05


def mean_interval_factor(model: str, jitter: float) -> float:
    """Mean interval divided by the nominal period for a jitter model."""
    if model in ("none", "uniform", "gaussian"):
        return 1.0
    if model == "sleep_reduction":
        return 1.0 - jitter / 2.0
    if model == "additive":
        return 1.0 + jitter / 2.0
    raise ConfigError(f"unknown jitter model {model!r}; expected one of {JITTER_MODELS}")


def draw_intervals(
    rng: np.random.Generator, n: int, period: float, jitter: float, model: str
) -> np.ndarray:
    """``n`` sleep intervals in seconds for one channel."""
    if model == "none" or jitter == 0:
        return np.full(n, float(period))
    if model == "uniform":
        return period * (1.0 + rng.uniform(-jitter, jitter, n))
    if model == "sleep_reduction":
        return period * (1.0 - rng.uniform(0.0, jitter, n))
    if model == "gaussian":
        return period * np.maximum(1.0 + rng.normal(0.0, jitter, n), GAUSSIAN_FLOOR)
    if model == "additive":
        return period * (1.0 + rng.uniform(0.0, jitter, n))
    raise ConfigError(f"unknown jitter model {model!r}; expected one of {JITTER_MODELS}")


def beat_times(
    rng: np.random.Generator,
    start: float,
    end: float,
    period: float,
    jitter: float = 0.0,
    model: str = "none",
    phase: float | None = None,
) -> np.ndarray:
    """Beat times in ``[start, end)`` (seconds) of one channel.

    The first beat falls at ``start + phase``; ``phase`` defaults to a uniform draw within one
    period, as for an implant that was already running when the window opened.
    """
    if period <= 0:
        raise ConfigError("period must be positive")
    if phase is None:
        phase = rng.uniform(0.0, period)
    first = start + phase
    if first >= end:
        return np.empty(0)
    span = end - first
    mean = period * mean_interval_factor(model, jitter)
    # Draw a little more than the expected count, then top up until the window is covered.
    n = int(span / mean * 1.1) + 8
    gaps = draw_intervals(rng, n, period, jitter, model)
    times = first + np.concatenate(([0.0], np.cumsum(gaps)))
    while times[-1] < end:
        more = draw_intervals(rng, n, period, jitter, model)
        times = np.concatenate((times, times[-1] + np.cumsum(more)))
    return times[times < end]


def beat_times_many(
    rng: np.random.Generator,
    start: float,
    end: float,
    period: float,
    jitter: float,
    model: str,
    n_channels: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Beat times of ``n_channels`` independent channels sharing one schedule, vectorised.

    Returns ``(channel_index, time)`` arrays of equal length, sorted by channel then time; used
    for prevalent services that run on thousands of hosts.
    """
    if n_channels == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    mean = period * mean_interval_factor(model, jitter)
    span = end - start
    n = int(span / mean * 1.15) + 8
    phase = rng.uniform(0.0, period, (n_channels, 1))
    gaps = draw_intervals(rng, n_channels * n, period, jitter, model).reshape(n_channels, n)
    times = start + phase + np.concatenate((np.zeros((n_channels, 1)), np.cumsum(gaps, 1)), 1)
    short = times[:, -1] < end
    if short.any():
        # Rare: a row of unusually short draws; redo those rows one by one, exactly covered.
        rows = []
        for i in np.flatnonzero(short):
            rows.append(
                beat_times(rng, start, end, period, jitter, model, phase=float(phase[i, 0]))
            )
        keep_idx, keep_t = _flatten(times[~short], end, np.flatnonzero(~short))
        extra_idx = np.concatenate(
            [np.full(len(r), i) for i, r in zip(np.flatnonzero(short), rows, strict=True)]
        )
        idx = np.concatenate((keep_idx, extra_idx))
        t = np.concatenate((keep_t, *rows))
        order = np.lexsort((t, idx))
        return idx[order], t[order]
    return _flatten(times, end, np.arange(n_channels))


def _flatten(
    times: np.ndarray, end: float, channel_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    mask = times < end
    idx = np.broadcast_to(channel_ids[:, None], times.shape)[mask]
    return idx.astype(np.int64), times[mask]


def segment_beat_times(
    rng: np.random.Generator,
    seg_start: np.ndarray,
    seg_end: np.ndarray,
    period: float,
    jitter: float,
    model: str,
    start_delay: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Beat times of a schedule that starts afresh in each segment ``[seg_start, seg_end)``.

    An application resumed after a break resolves its name at once (within ``start_delay``
    seconds), then every period: the phase resets per segment, unlike ``beat_times_many`` whose
    channels run through. Returns ``(segment_index, time)`` sorted by segment, then time.
    """
    n_seg = len(seg_start)
    if n_seg == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    length = np.maximum(np.asarray(seg_end, float) - seg_start, 0.0)
    mean = period * mean_interval_factor(model, jitter)
    k = (length / mean * 1.15).astype(np.int64) + 4
    first = np.cumsum(k) - k
    seg = np.repeat(np.arange(n_seg), k)
    gaps = draw_intervals(rng, int(k.sum()), period, jitter, model)
    gaps[first] = rng.uniform(0.0, start_delay, n_seg) if start_delay > 0 else 0.0
    cs = np.cumsum(gaps)
    t = seg_start[seg] + (cs - cs[first][seg] + gaps[first][seg])
    last = first + k - 1
    short = np.flatnonzero(t[last] < seg_end)
    keep = t < seg_end[seg]
    idx, times = seg[keep], t[keep]
    if len(short):
        # Rare: a segment whose draws ran short; extend it from its last beat.
        extra_idx, extra_t = [], []
        for i in short:
            more = beat_times(rng, t[last[i]], seg_end[i], period, jitter, model, phase=0.0)[1:]
            extra_idx.append(np.full(len(more), i))
            extra_t.append(more)
        idx = np.concatenate([idx, *extra_idx])
        times = np.concatenate([times, *extra_t])
        order = np.lexsort((times, idx))
        idx, times = idx[order], times[order]
    return idx.astype(np.int64), times
