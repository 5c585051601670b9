"""Periodic channels of a chunk's hosts as events: benign services first, then C2 beacons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from beaconlake.simulate.c2 import beacon_times, dga_decoys, short_tunnel_names
from beaconlake.simulate.events import QTYPE_CODE, US, Events, client_cache, empty_events
from beaconlake.simulate.plan import Context
from beaconlake.simulate.population import work_segments
from beaconlake.simulate.scenario import ServiceSpec
from beaconlake.simulate.timing import beat_times_many, segment_beat_times
from beaconlake.simulate.truth import TRUTH_COLUMNS, service_truth, truth_row
from beaconlake.simulate.vocab import hash_labels, tunnel_names

#: An application resumed after a break re-resolves within this many seconds.
SESSION_START_DELAY_S = 30.0


def expand_beats(
    rng: np.random.Generator,
    host: np.ndarray,
    t: np.ndarray,
    name: np.ndarray,
    per_beat: int,
    qtype: str = "A",
    rcode: np.ndarray | None = None,
) -> Events:
    """Each beat sends its query, then (if 2) AAAA a few ms later for an A channel or a repeat
    otherwise, then (if 3) a retry within a second; every query of a beat shares its rcode."""
    code = QTYPE_CODE[qtype]
    parts_t = [t]
    types = [np.full(len(t), code, np.int8)]
    if per_beat >= 2:
        parts_t.append(t + rng.uniform(0.0005, 0.005, len(t)))
        types.append(np.full(len(t), QTYPE_CODE["AAAA"] if qtype == "A" else code, np.int8))
    if per_beat >= 3:
        parts_t.append(t + rng.uniform(0.2, 0.9, len(t)))
        types.append(np.full(len(t), code, np.int8))
    k = len(parts_t)
    rc = np.zeros(len(t), np.int8) if rcode is None else rcode.astype(np.int8)
    return Events(
        t_us=(np.concatenate(parts_t) * US).astype(np.int64),
        host=np.tile(host.astype(np.int32), k),
        name=np.tile(name.astype(np.int32), k),
        qtype=np.concatenate(types),
        rcode=np.tile(rc, k),
    )


def service_beats(
    ctx: Context,
    rng: np.random.Generator,
    svc: ServiceSpec,
    hosts: np.ndarray,
    segments: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(channel index, time, scheduled beats per channel)`` of one service on ``hosts``."""
    pop = ctx.population
    if svc.active == "session":
        assert segments is not None
        seg_host, seg_lo, seg_hi = segments
        mine = np.isin(seg_host, hosts)
        seg_idx, t = segment_beat_times(
            rng,
            seg_lo[mine],
            seg_hi[mine],
            svc.period_seconds,
            svc.jitter,
            svc.jitter_model,
            start_delay=SESSION_START_DELAY_S,
        )
        idx = np.searchsorted(hosts, seg_host[mine][seg_idx])
        # Back from a short break the answer may still be cached: no lookup before the TTL ends.
        cached = client_cache(idx, np.zeros(len(t), np.int32), t, np.array([svc.period_seconds]))
        return idx[cached], t[cached], np.bincount(idx, minlength=len(hosts))
    idx, t = beat_times_many(
        rng, ctx.start_s, ctx.end_s, svc.period_seconds, svc.jitter, svc.jitter_model, len(hosts)
    )
    sched = np.bincount(idx, minlength=len(hosts))
    h = hosts[idx]
    if svc.active == "power":
        keep = pop.powered(h, t)
    elif svc.active == "work":
        keep = pop.working(h, t) & pop.powered(h, t)
    else:
        keep = np.ones(len(t), bool)
    return idx[keep], t[keep], sched


def channel_events(
    ctx: Context, rng: np.random.Generator, lo: int, hi: int
) -> tuple[Events, list[np.ndarray], list[np.ndarray], list[pd.DataFrame], dict[str, int]]:
    """Events, fresh per-beat names and their answer TTLs, ground truth and events per category
    of hosts [lo, hi)."""
    pop, sc = ctx.population, ctx.scenario
    chans = ctx.channels[(ctx.channels.host >= lo) & (ctx.channels.host < hi)]
    parts: list[Events] = []
    fresh: list[np.ndarray] = []
    fresh_ttl: list[np.ndarray] = []
    n_fresh = 0
    truth: list[pd.DataFrame] = []
    mix: dict[str, int] = {}
    segments = None
    if any(s.active == "session" for s in ctx.services):
        segments = work_segments(pop, rng, np.arange(lo, hi), ctx.start_s, ctx.end_s)
    service_rows = chans[chans.kind == "service"]
    for s, rows in service_rows.groupby("spec", sort=True):
        svc = ctx.services[int(s)]
        hosts = rows.host.to_numpy()
        idx, t, sched = service_beats(ctx, rng, svc, hosts, segments)
        nx = (rng.random(len(t)) < svc.nxdomain_share).astype(np.int8)
        if svc.subdomain_per_beat:
            base = len(ctx.names) + n_fresh
            zone = rows.query_name.to_numpy()[idx]
            fresh.append(hash_labels(rng, len(t)) + "." + zone)
            fresh_ttl.append(np.full(len(t), svc.answer_ttl_seconds))
            n_fresh += len(t)
            name = np.arange(base, base + len(t))
        else:
            name = rows.name_idx.to_numpy()[idx]
        ev = expand_beats(rng, hosts[idx], t, name, svc.queries_per_beat, svc.query_type, nx)
        parts.append(ev)
        mix[svc.category] = mix.get(svc.category, 0) + len(ev)
        truth.append(service_truth(ctx, rows, svc, idx, t, sched, nx))
    rows_c2: list[dict[str, object]] = []
    for _, ch in chans[chans.kind == "beacon"].iterrows():
        b = sc.beacons[ch.spec]
        start = None if pd.isna(ch.start_s) else float(ch.start_s)
        t = beacon_times(rng, b, ctx.start_s, ctx.end_s, start)
        scheduled = len(t)
        keep = rng.random(len(t)) >= b.drop_prob
        if start is not None and len(keep):
            keep[0] = True  # the first call home, as the implant is installed
        h = np.full(len(t), ch.host)
        if b.offline_at_night:
            keep &= pop.powered(h, t)
        t, h = t[keep], h[keep]
        base = len(ctx.names) + n_fresh
        if b.subdomain_per_beat:
            maker = tunnel_names if b.shape == "strobe" else short_tunnel_names
            fresh.append(maker(rng, len(t), ch.query_name))
            fresh_ttl.append(np.full(len(t), float(ch.ttl)))
            n_fresh += len(t)
            name = np.arange(base, base + len(t))
        elif ch.alt_idx:
            k = len(ch.alt_idx)
            if b.rotation_order == "round_robin":
                pick = int(rng.integers(0, k)) + np.arange(len(t))
            else:
                pick = rng.integers(0, k, len(t))
            name = np.asarray(ch.alt_idx)[pick % k]
        else:
            name = np.full(len(t), ch.name_idx)
        ev = expand_beats(rng, h, t, name, b.queries_per_beat, b.query_type)
        if b.dga_decoys:
            ev = Events.concat(
                [ev, dga_decoys(rng, h, t, b.dga_decoys, len(ctx.names) + n_fresh, fresh)]
            )
            fresh_ttl.append(np.full(sum(len(f) for f in fresh) - n_fresh, np.nan))  # NXDOMAIN
            n_fresh = sum(len(f) for f in fresh)
        parts.append(ev)
        mix["c2"] = mix.get("c2", 0) + len(ev)
        rows_c2.append(truth_row(ctx, ch, b, "c2", "c2", scheduled, t))
    if rows_c2:
        truth.append(pd.DataFrame(rows_c2, columns=TRUTH_COLUMNS))
    events = Events.concat(parts) if parts else empty_events()
    return events, fresh, fresh_ttl, truth, mix
