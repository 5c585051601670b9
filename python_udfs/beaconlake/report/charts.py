"""The drill-down's charts as inline SVG: beat timeline, interval histogram, autocorrelation.

Each chart is a string of SVG computed here from the beat times, so the report opens offline.
Text that comes from the data is escaped; colours come from the page's CSS classes (the rotation
members' colours excepted).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape

import numpy as np

from beaconlake.confirm.periodicity import (
    BINS_PER_PERIOD,
    HILL_LAGS,
    acf_hill,
    autocorrelation,
)
from beaconlake.confirm.scoring import duration_text, jitter_text

#: Beats above which the timeline draws counts per column instead of one tick per beat.
MAX_TICKS = 2_000
#: Longest autocorrelation series (bins of period / 8); a longer one starts at the first beat.
MAX_ACF_BINS = 1 << 16
#: Lags, in periods, that the autocorrelation chart shows.
ACF_PERIODS = 6
#: Bars of the interval histogram, and the longest interval it shows, in periods.
HISTOGRAM_BINS = 48
HISTOGRAM_PERIODS = 4.5
#: Colours of a rotation's member domains, in order (then they repeat).
MEMBER_COLOURS = (
    "#2563eb",
    "#ea580c",
    "#059669",
    "#db2777",
    "#7c3aed",
    "#ca8a04",
    "#0891b2",
    "#64748b",
)
#: Characters of a member domain the timeline's row label shows (the rest is in its tooltip).
LABEL_CHARS = 24

_WIDE, _NARROW, _SMALL_HEIGHT = 1200, 600, 240
# Tick steps of a time axis (seconds), shortest first: a row under a day, a row of days
# (left as written: ruff format would put each step on a line of its own).
_TIME_STEPS = (
    60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600,
    86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 28 * 86_400,
)  # fmt: skip
_UNITS = (("s", 1.0, 180.0), ("min", 60.0, 3 * 3600.0), ("h", 3600.0, 3 * 86_400.0))


def _svg(width: int, height: int, label: str, body: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"{body}</svg>"
    )


def _text(x: float, y: float, text: str, cls: str, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}"{extra}>'
        f"{escape(text)}</text>"
    )


def placeholder(width: int, height: int, label: str, message: str) -> str:
    """An empty chart frame that says why there is nothing to draw."""
    body = (
        f'<rect class="frame" x="0.5" y="0.5" width="{width - 1}" height="{height - 1}"/>'
        + _text(width / 2, height / 2, message, "empty", "middle")
    )
    return _svg(width, height, label, body)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering [lo, hi]."""
    if not hi > lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first = math.floor(lo / step + 1e-9)
    last = math.ceil(hi / step - 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def _unit(seconds: float) -> tuple[str, float]:
    """The unit (name, seconds) in which a span up to ``seconds`` reads best."""
    for name, size, up_to in _UNITS:
        if seconds <= up_to:
            return name, size
    return "d", 86_400.0


def time_ticks(t0: float, t1: float, most: int = 9) -> list[tuple[float, str]]:
    """(epoch seconds, label) of round UTC times within [t0, t1]: hours or days."""
    step = next((s for s in _TIME_STEPS if (t1 - t0) / s <= most), None)
    if step is None:
        step = _TIME_STEPS[-1] * math.ceil((t1 - t0) / (most * _TIME_STEPS[-1]))
    ticks = []
    for i in range(math.ceil(t0 / step), math.floor(t1 / step) + 1):
        moment = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=i * step)
        midnight = moment.hour == 0 and moment.minute == 0
        ticks.append((float(i * step), moment.strftime("%b %d" if midnight else "%H:%M")))
    return ticks


def _member_rows(
    beats: np.ndarray, labels: np.ndarray | None, members: Sequence[str]
) -> list[tuple[str, np.ndarray]]:
    """(member domain, its beats) per timeline row; one unnamed row without labels."""
    if labels is None:
        return [("", beats)]
    names = list(dict.fromkeys([*members, *(str(x) for x in labels)]))
    return [(name, beats[labels == name]) for name in names]


def timeline_svg(
    beats: np.ndarray,
    labels: np.ndarray | None,
    members: Sequence[str],
    start: float,
    end: float,
) -> str:
    """One tick per beat over the window, a row per member domain when ``labels`` names each
    beat's member. Above ``MAX_TICKS`` beats, each row shows counts per 2-pixel column."""
    rows = _member_rows(beats, labels, members)
    named = len(rows) > 1 or rows[0][0] != ""
    left, right, top = (230 if named else 28), 28, 26
    row_h = 40 if not named else 26 if len(rows) <= 8 else 18
    plot_w, plot_h = _WIDE - left - right, row_h * len(rows)
    height = top + plot_h + 30
    t0 = min(start, float(beats[0])) if len(beats) else start
    t1 = max(end, float(beats[-1])) if len(beats) else end
    if t1 <= t0:
        t1 = t0 + 1.0

    def x(t: np.ndarray | float) -> np.ndarray | float:
        return left + (t - t0) / (t1 - t0) * plot_w

    parts = []
    for i in range(1, len(rows), 2):
        parts.append(
            f'<rect class="lane" x="{left}" y="{top + i * row_h}" width="{plot_w}" '
            f'height="{row_h}"/>'
        )
    for t, label in time_ticks(t0, t1):
        cls = "grid day" if t % 86_400 == 0 else "grid"
        parts.append(
            f'<line class="{cls}" x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" '
            f'y2="{top + plot_h + 4}"/>'
        )
        parts.append(_text(float(x(t)), top + plot_h + 18, label, "tick", "middle"))
    parts.append(f'<rect class="frame" x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/>')
    binned = len(beats) > MAX_TICKS
    columns = plot_w // 2
    counts = [np.histogram(b, bins=columns, range=(t0, t1))[0] for _, b in rows] if binned else []
    most = max((int(c.max()) for c in counts), default=1) or 1
    for i, (name, row_beats) in enumerate(rows):
        colour = MEMBER_COLOURS[i % len(MEMBER_COLOURS)] if named else "#1d4ed8"
        y0, tall = top + i * row_h + 4, row_h - 8
        if binned:
            edges = np.flatnonzero(counts[i])
            heights = np.maximum(1.5, tall * counts[i][edges] / most)
            xs = left + (edges + 0.5) * plot_w / columns
            d = "".join(f"M{a:.1f} {y0 + tall}v-{h:.1f}" for a, h in zip(xs, heights, strict=True))
            width = 1.8
        else:
            # one tick per pixel column at most, each a relative move from the one before
            xs = np.unique(np.round(np.asarray(x(row_beats)))).astype(int)
            d = f"M{xs[0]} {y0}v{tall}" if len(xs) else ""
            d += "".join(f"m{step}-{tall}v{tall}" for step in np.diff(xs))
            width = 1.2
        if d:
            parts.append(f'<path d="{d}" stroke="{colour}" stroke-width="{width}" fill="none"/>')
        if named:
            short = name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"
            mid = top + i * row_h + row_h / 2 + 4
            parts.append(
                f'<rect x="8" y="{mid - 9:.1f}" width="10" height="10" rx="2" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="24" y="{mid:.1f}" class="label mono"><title>{escape(name)}</title>'
                f"{escape(short)}</text>"
            )
            parts.append(_text(left - 10, mid, f"{len(row_beats):,}", "label count", "end"))
    if not len(beats):
        note = "no beats in the window"
    elif binned:
        note = (
            f"{len(beats):,} beats, more than {MAX_TICKS:,}: beats per "
            f"{duration_text((t1 - t0) / columns)} column"
        )
    else:
        note = f"{len(beats):,} beat{'s' if len(beats) != 1 else ''}, one tick each"
    parts.append(_text(_WIDE - right, 16, note, "note", "end"))
    parts.append(_text(left, 16, "time (UTC)", "note"))
    return _svg(_WIDE, height, "beat timeline", "".join(parts))


class _Frame:
    """Plot area and linear scales of a small chart with axes."""

    def __init__(self, x_max: float, y_lo: float, y_hi: float, x_lo: float = 0.0) -> None:
        self.left, self.right, self.top, self.bottom = 56, 16, 30, 44
        self.width, self.height = _NARROW, _SMALL_HEIGHT
        self.plot_w = self.width - self.left - self.right
        self.plot_h = self.height - self.top - self.bottom
        self.x_lo, self.x_max, self.y_lo, self.y_hi = x_lo, x_max, y_lo, y_hi

    def x(self, value: float) -> float:
        return self.left + (value - self.x_lo) / (self.x_max - self.x_lo) * self.plot_w

    def y(self, value: float) -> float:
        return self.top + (self.y_hi - value) / (self.y_hi - self.y_lo) * self.plot_h

    def axes(
        self, x_ticks: list[tuple[float, str]], y_ticks: list[float], x_title: str, y_title: str
    ) -> str:
        bottom = self.top + self.plot_h
        parts = []
        for v in y_ticks:
            parts.append(
                f'<line class="grid" x1="{self.left}" x2="{self.left + self.plot_w}" '
                f'y1="{self.y(v):.1f}" y2="{self.y(v):.1f}"/>'
            )
            parts.append(_text(self.left - 6, self.y(v) + 4, _number(v), "tick", "end"))
        for v, label in x_ticks:
            parts.append(
                f'<line class="axis" x1="{self.x(v):.1f}" x2="{self.x(v):.1f}" y1="{bottom}" '
                f'y2="{bottom + 4}"/>'
            )
            parts.append(_text(self.x(v), bottom + 17, label, "tick", "middle"))
        parts.append(
            f'<line class="axis" x1="{self.left}" x2="{self.left + self.plot_w}" '
            f'y1="{bottom}" y2="{bottom}"/>'
        )
        parts.append(
            _text(self.left + self.plot_w / 2, self.height - 8, x_title, "title", "middle")
        )
        mid = self.top + self.plot_h / 2
        parts.append(
            _text(14, mid, y_title, "title", "middle", f' transform="rotate(-90 14 {mid:.1f})"')
        )
        return "".join(parts)


def _legend(right: float, y: float, items: list[tuple[str, str]]) -> str:
    """Legend entries (the class of the mark each explains, its text) laid out leftwards from
    ``right``; text widths are estimated at 6.2 pixels a character."""
    parts, x = [], right
    for cls, text in reversed(items):
        x -= len(text) * 6.2
        parts.append(_text(x, y, text, "legend"))
        x -= 18
        if cls == "period":
            parts.append(
                f'<line class="period" x1="{x + 6:.1f}" x2="{x + 6:.1f}" y1="{y - 10}" '
                f'y2="{y + 2}"/>'
            )
        else:
            parts.append(f'<rect class="{cls}" x="{x:.1f}" y="{y - 9}" width="12" height="10"/>')
        x -= 14
    return f'<g class="legend">{"".join(parts)}</g>'


def _valid_period(period: float | None) -> bool:
    return period is not None and bool(np.isfinite(period)) and period > 0


def interval_histogram_svg(beats: np.ndarray, period: float | None, jitter: float | None) -> str:
    """Intervals between consecutive beats, with the period, its jitter band and the multiples
    a missing beat makes (2×, 3× ...) marked; intervals beyond 4.5 periods are counted aside."""
    label = "interval histogram"
    d = np.diff(beats)
    if len(d) == 0:
        return placeholder(_NARROW, _SMALL_HEIGHT, label, "No intervals: fewer than two beats")
    if _valid_period(period):
        assert period is not None
        x_max = max(min(float(d.max()), HISTOGRAM_PERIODS * period), 1.5 * period)
    else:
        x_max = float(np.quantile(d, 0.98)) if len(d) >= 50 else float(d.max())
    x_max = x_max if x_max > 0 else 1.0
    counts, edges = np.histogram(d[d <= x_max], bins=HISTOGRAM_BINS, range=(0.0, x_max))
    y_ticks = nice_ticks(0, max(int(counts.max()), 1), 4)
    frame = _Frame(x_max, 0.0, y_ticks[-1])
    unit, size = _unit(x_max)
    x_ticks = [(v * size, _number(v)) for v in nice_ticks(0, x_max / size, 6) if v * size <= x_max]
    parts = [frame.axes(x_ticks, y_ticks, f"interval between beats ({unit})", "intervals")]
    if _valid_period(period) and jitter is not None and np.isfinite(jitter) and jitter > 0:
        assert period is not None
        lo, hi = (
            frame.x(max(0.0, period * (1 - jitter))),
            frame.x(min(x_max, period * (1 + jitter))),
        )
        parts.append(
            f'<rect class="band" x="{lo:.1f}" y="{frame.top}" width="{hi - lo:.1f}" '
            f'height="{frame.plot_h}"/>'
        )
    bar_w, bottom = max(frame.plot_w / HISTOGRAM_BINS - 1, 0.5), frame.top + frame.plot_h
    bars = "".join(
        f"M{frame.x(edges[i]) + 0.5:.1f} {bottom}V{frame.y(float(counts[i])):.1f}h{bar_w:.1f}"
        f"V{bottom}z"
        for i in np.flatnonzero(counts)
    )
    parts.append(f'<path class="bar" d="{bars}"/>')
    if _valid_period(period):
        assert period is not None
        for k in range(2, int(HISTOGRAM_PERIODS) + 1):
            if k * period <= x_max:
                at = frame.x(k * period)
                parts.append(
                    f'<line class="multiple" x1="{at:.1f}" x2="{at:.1f}" '
                    f'y1="{frame.top}" y2="{frame.top + frame.plot_h}"/>'
                )
                parts.append(_text(at + 3, frame.top + 12, f"{k}×", "multiple-label"))
        at = frame.x(period)
        parts.append(
            f'<line class="period" x1="{at:.1f}" x2="{at:.1f}" y1="{frame.top}" '
            f'y2="{frame.top + frame.plot_h}"/>'
        )
        legend = [("period", f"period {duration_text(period)}")]
        if jitter is not None and np.isfinite(jitter) and jitter > 0:
            legend.append(("band", f"{jitter_text(jitter)} jitter"))
        parts.append(_legend(frame.width - frame.right, 16, legend))
    over = d[d > x_max]
    note = f"{len(d):,} interval{'s' if len(d) != 1 else ''}"
    if len(over):
        note += f"; {len(over):,} longer, up to {duration_text(float(over.max()))}"
    parts.append(_text(frame.left, 16, note, "note"))
    return _svg(frame.width, frame.height, label, "".join(parts))


def autocorrelation_svg(beats: np.ndarray, start: float, end: float, period: float | None) -> str:
    """Autocorrelation of the beats binned at period / 8 (the confirmation's ``acf_hill``), up to
    six periods of lag: a beacon's rises to a hill at each multiple of its period. The lags the
    hill score reads (0.75 to 1.25 periods) are highlighted."""
    label = "autocorrelation"
    if not _valid_period(period):
        return placeholder(_NARROW, _SMALL_HEIGHT, label, "No period: nothing to test")
    assert period is not None
    if len(beats) < 4:
        return placeholder(
            _NARROW, _SMALL_HEIGHT, label, f"Too few beats ({len(beats)}) to correlate"
        )
    bin_s = period / BINS_PER_PERIOD
    lo, hi = min(start, float(beats[0])), max(end, float(beats[-1]) + bin_s)
    cut = (hi - lo) / bin_s > MAX_ACF_BINS
    if cut:
        lo = float(beats[0])
        hi = min(hi, lo + MAX_ACF_BINS * bin_s)
    inside = beats[(beats >= lo) & (beats < hi)]
    r = autocorrelation(inside, lo, hi, bin_s)
    if len(r) < 3 * BINS_PER_PERIOD:
        return placeholder(
            _NARROW, _SMALL_HEIGHT, label, "The window is shorter than three periods"
        )
    hill, _ = acf_hill(inside, lo, hi, period)
    last = min(len(r) - 1, ACF_PERIODS * BINS_PER_PERIOD)
    values = r[1 : last + 1]
    y_ticks = nice_ticks(min(0.0, float(values.min())), max(float(values.max()), 0.2), 4)
    frame = _Frame(last / BINS_PER_PERIOD, y_ticks[0], y_ticks[-1])
    x_ticks = [(float(k), f"{k}×") for k in range(0, last // BINS_PER_PERIOD + 1)]
    title = f"lag, in periods of {duration_text(period)}"
    parts = [frame.axes(x_ticks, y_ticks, title, "autocorrelation")]
    for k in range(1, last // BINS_PER_PERIOD + 1):
        at = frame.x(k)
        parts.append(
            f'<line class="multiple" x1="{at:.1f}" x2="{at:.1f}" y1="{frame.top}" '
            f'y2="{frame.top + frame.plot_h}"/>'
        )
    zero = frame.y(0.0)
    parts.append(
        f'<line class="axis" x1="{frame.left}" x2="{frame.left + frame.plot_w}" '
        f'y1="{zero:.1f}" y2="{zero:.1f}"/>'
    )
    bar_w = max(frame.plot_w / last * 0.7, 1.0)
    bars: dict[str, list[str]] = {"acf": [], "acf hill": []}
    for lag, value in enumerate(values, start=1):
        y = frame.y(float(value))
        if abs(y - zero) < 0.5:  # still visible when the correlation is about 0
            y = zero - 0.5
        bars["acf hill" if lag in HILL_LAGS else "acf"].append(
            f"M{frame.x(lag / BINS_PER_PERIOD) - bar_w / 2:.1f} {zero:.1f}V{y:.1f}"
            f"h{bar_w:.1f}V{zero:.1f}z"
        )
    parts += [f'<path class="{cls}" d="{"".join(d)}"/>' for cls, d in bars.items() if d]
    note = f"hill score {hill:.2f}"
    if cut:
        note += f", over the first {MAX_ACF_BINS // BINS_PER_PERIOD:,} periods"
    parts.append(_text(frame.left, 16, note, "note"))
    legend = [("acf hill", "lags the hill score reads")]
    parts.append(_legend(frame.width - frame.right, 16, legend))
    return _svg(frame.width, frame.height, label, "".join(parts))
