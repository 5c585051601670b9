"""The C2 shapes: who a campaign infects, when a beacon's beats fall, the names it makes.

Every draw comes from the caller's seeded stream, in a fixed order; ``plan`` places campaigns on
hosts and ``channels.channel_events`` turns the beats into events.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from beaconlake.simulate.events import NXDOMAIN, US, Events
from beaconlake.simulate.population import DAY, Population
from beaconlake.simulate.scenario import BeaconSpec, Scenario
from beaconlake.simulate.timing import beat_times, segment_beat_times
from beaconlake.simulate.vocab import dga_labels, random_labels

#: Sessions of ``interactive`` and ``strobe`` beacons last U(0.4, 1.6) times their mean.
SESSION_SPREAD = (0.4, 1.6)
#: Beacons popular_domain draws its name from the sites of these popularity ranks.
POPULAR_SITE_RANKS = 30


def campaign_hosts(
    rng: np.random.Generator,
    scenario: Scenario,
    pop: Population,
    tenant_hosts: np.ndarray,
    share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The hosts a spreading campaign reaches and when each is infected (epoch seconds).

    ``share`` of the tenant's workstations (at least one): patient zero on day 2 or 3 of the
    window (day 2 when it has three days), then at least one more host each day while hosts
    remain, more each day than the day before on average, the last ones on the last day. Each
    infection falls at a uniform time of its UTC day. Returns hosts sorted, with their times.
    """
    ws = tenant_hosts[~pop.is_server[tenant_hosts]]
    if len(ws) == 0:
        ws = tenant_hosts
    n = int(min(len(ws), max(1, round(share * len(ws)))))
    days = scenario.days
    first = int(rng.integers(1, min(2, days - 2) + 1))
    span = np.arange(first, days)
    k = len(span)
    if n <= k:
        day = span[np.round(np.linspace(0, k - 1, n)).astype(int)]
    else:
        weight = np.arange(1, k + 1) * rng.uniform(0.7, 1.3, k)
        extra = weight / weight.sum() * (n - k)
        counts = 1 + np.floor(extra).astype(int)
        rest = n - int(counts.sum())
        counts[np.argsort(np.floor(extra) - extra, kind="stable")[:rest]] += 1
        day = np.repeat(span, counts)
    hosts = rng.choice(ws, n, replace=False)
    start_s = dt.datetime.combine(scenario.start_date, dt.time(), dt.UTC).timestamp()
    t = start_s + day * DAY + rng.uniform(0.0, DAY - 1.0, n)
    order = np.argsort(hosts)
    return hosts[order], t[order]


def _sessions(
    rng: np.random.Generator, start: float, end: float, per_day: float, minutes: float
) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping sessions: a Poisson count (at least one), uniform starts."""
    n = max(1, int(rng.poisson(per_day * (end - start) / DAY)))
    length = rng.uniform(*SESSION_SPREAD, n) * minutes * 60.0
    lo = np.sort(start + rng.random(n) * np.maximum(end - start - length, 0.0))
    hi = np.minimum(lo + length, end)
    merged_lo, merged_hi = [lo[0]], [hi[0]]
    for a, b in zip(lo[1:], hi[1:], strict=True):
        if a <= merged_hi[-1]:
            merged_hi[-1] = max(merged_hi[-1], b)
        else:
            merged_lo.append(a)
            merged_hi.append(b)
    return np.array(merged_lo), np.array(merged_hi)


def beacon_times(
    rng: np.random.Generator,
    b: BeaconSpec,
    start_s: float,
    end_s: float,
    infected_s: float | None = None,
) -> np.ndarray:
    """Scheduled beat times (epoch seconds) of one beacon on one host over [start_s, end_s), by
    its shape; a host infected at ``infected_s`` (a campaign) calls home at once, then every
    period."""
    if infected_s is not None:
        return beat_times(
            rng, infected_s, end_s, b.period_seconds, b.jitter, b.jitter_model, phase=0.0
        )
    if b.sessions_per_day <= 0:
        return beat_times(rng, start_s, end_s, b.period_seconds, b.jitter, b.jitter_model)
    lo, hi = _sessions(rng, start_s, end_s, b.sessions_per_day, b.session_minutes)
    _, t = segment_beat_times(rng, lo, hi, b.period_seconds, b.jitter, b.jitter_model)
    if b.sleep_seconds > 0:
        sleep = beat_times(rng, start_s, end_s, b.sleep_seconds, b.jitter, b.jitter_model)
        inside = np.searchsorted(lo, sleep, side="right") - 1
        in_session = (inside >= 0) & (sleep < hi[np.maximum(inside, 0)])
        t = np.sort(np.concatenate([t, sleep[~in_session]]))
    return t


def short_tunnel_names(rng: np.random.Generator, n: int, zone: str) -> np.ndarray:
    """Fresh short random labels under ``zone``: the per-beat names of a non-strobe tunnel."""
    return random_labels(rng, n) + "." + zone


def dga_decoys(
    rng: np.random.Generator,
    host: np.ndarray,
    t: np.ndarray,
    per_beat: int,
    base: int,
    fresh: list[np.ndarray],
) -> Events:
    """NXDOMAIN lookups of fresh DGA names in the seconds before each beat."""
    n = len(t) * per_beat
    tlds = np.array(["com", "net", "top", "xyz", "su", "info", "biz"], dtype=object)
    labels = dga_labels(rng, n)
    fresh.append(labels + "." + tlds[rng.integers(0, len(tlds), n)])
    return Events(
        t_us=((np.repeat(t, per_beat) - rng.uniform(0.05, 3.0, n)) * US).astype(np.int64),
        host=np.repeat(host, per_beat).astype(np.int32),
        name=np.arange(base, base + n, dtype=np.int32),
        qtype=np.zeros(n, np.int8),
        rcode=np.full(n, NXDOMAIN, np.int8),
    )
