"""Reproduce the field report's figures with the simulator.

(a) A 50-minute beacon observed for 40 beats as 2,000 one-minute counts, and its FFT: a clear
    peak at frequency 40 (cycles per 2,000 minutes) with its harmonics.
(b) The same beacon with 30 % uniform jitter (period x (1 ± U(0, 0.3))): the peak smears into
    its neighbours, which is why FFT alone misses jittered beacons.
(c) Events per sliding window stepped by one minute over a day, for a jittered beacon and for
    the busiest human (host, name) pair of a simulated workstation, with mean and stddev: the
    beacon's windowed count is nearly constant, the human's is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from beaconlake.simulate.timing import beat_times

PERIOD_MINUTES = 50
BEATS = 40
POINTS = PERIOD_MINUTES * BEATS  # 2,000 one-minute points


def minute_counts(times_s: np.ndarray, n_minutes: int) -> np.ndarray:
    """Events per one-minute bin over ``n_minutes`` (times in seconds from the window start)."""
    bins = np.floor(times_s / 60.0).astype(np.int64)
    bins = bins[(bins >= 0) & (bins < n_minutes)]
    return np.bincount(bins, minlength=n_minutes).astype(float)


def spectrum(series: np.ndarray) -> np.ndarray:
    """|FFT| of the mean-removed series at frequencies 0..N/2 (cycles per series length)."""
    return np.abs(np.fft.rfft(series - series.mean()))


def sliding_counts(series: np.ndarray, window: int) -> np.ndarray:
    """Sums of ``window`` consecutive one-minute counts, stepped by one minute."""
    c = np.concatenate(([0.0], np.cumsum(series)))
    return c[window:] - c[:-window]


def peak_share(power: np.ndarray, k: int, halfwidth: int = 0) -> float:
    """Share of the spectrum's energy (excluding DC) within ``k ± halfwidth``."""
    energy = power[1:] ** 2
    return float(energy[k - 1 - halfwidth : k + halfwidth].sum() / energy.sum())


@dataclass(frozen=True)
class BeaconSeries:
    counts: np.ndarray
    power: np.ndarray


def beacon_series(jitter: float, seed: int = 7) -> BeaconSeries:
    """One-minute counts and spectrum of a 50-minute beacon over 2,000 minutes."""
    rng = np.random.default_rng(seed)
    t = beat_times(
        rng,
        0.0,
        POINTS * 60.0,
        PERIOD_MINUTES * 60.0,
        jitter,
        "uniform" if jitter else "none",
        phase=0.0,
    )
    counts = minute_counts(t, POINTS)
    return BeaconSeries(counts, spectrum(counts))


def human_series(seed: int = 7) -> np.ndarray:
    """One-minute counts over a day of the busiest (host, name) pair of a small simulated fleet."""
    from beaconlake.simulate.human import human_events
    from beaconlake.simulate.plan import build_context
    from beaconlake.simulate.scenario import Scenario

    ctx = build_context(Scenario(hosts=20, tenants=1, seed=seed, server_share=0.0), Path("."))
    ev = human_events(ctx, np.random.default_rng(seed), np.arange(20))
    pair = ev.host.astype(np.int64) * len(ctx.names) + ev.name
    values, counts = np.unique(pair, return_counts=True)
    busiest = values[np.argsort(counts)[-1]]
    t = (ev.t_us[pair == busiest] / 1e6) - ctx.start_s
    return minute_counts(t, 1440)


def _plot_beacon(ax_t: plt.Axes, ax_f: plt.Axes, s: BeaconSeries, title: str) -> None:
    ax_t.plot(np.arange(POINTS), s.counts, lw=0.6)
    ax_t.set(title=title, xlabel="minute", ylabel="queries per minute")
    k = np.arange(len(s.power))
    ax_f.plot(k[1:400], s.power[1:400], lw=0.8)
    ax_f.axvline(BEATS, color="tab:red", ls="--", lw=0.8, label=f"frequency {BEATS}")
    ax_f.set(xlabel="frequency (cycles per 2,000 minutes)", ylabel="|FFT|")
    ax_f.legend(loc="upper right")


def write_figures(out: Path, window_minutes: int = 60, seed: int = 7) -> list[Path]:
    """Write figure_a_fft.png, figure_b_fft_jitter.png and figure_c_sliding_window.png."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, jitter, title in (
        ("figure_a_fft.png", 0.0, "50-minute beacon, 40 beats, no jitter"),
        ("figure_b_fft_jitter.png", 0.3, "50-minute beacon, 40 beats, 30 % uniform jitter"),
    ):
        s = beacon_series(jitter, seed)
        fig, (ax_t, ax_f) = plt.subplots(2, 1, figsize=(10, 6), constrained_layout=True)
        _plot_beacon(ax_t, ax_f, s, title)
        ax_f.set_title(f"peak at {BEATS} holds {peak_share(s.power, BEATS):.1%} of the energy")
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        paths.append(out / name)

    rng = np.random.default_rng(seed)
    beacon = minute_counts(beat_times(rng, 0.0, 86_400.0, 3_000.0, 0.3, "uniform"), 1440)
    human = human_series(seed)
    fig, axes = plt.subplots(2, 1, figsize=(10, 6), constrained_layout=True, sharex=True)
    for ax, series, label in (
        (axes[0], beacon, "C2 beacon, 50 min ± 30 %"),
        (axes[1], human, "busiest human (host, name) pair"),
    ):
        w = sliding_counts(series, window_minutes)
        ax.plot(np.arange(len(w)), w, lw=0.8)
        mean, sd = w.mean(), w.std()
        ax.axhline(mean, color="tab:green", lw=1, label=f"mean {mean:.2f}")
        ax.axhspan(mean - sd, mean + sd, color="tab:green", alpha=0.15, label=f"± stddev {sd:.2f}")
        ax.set(title=label, ylabel=f"events per {window_minutes}-min window")
        ax.legend(loc="upper right")
    axes[1].set_xlabel("window start (minute of day)")
    fig.savefig(out / "figure_c_sliding_window.png", dpi=110)
    plt.close(fig)
    paths.append(out / "figure_c_sliding_window.png")
    return paths
