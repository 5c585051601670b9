"""Human traffic: workstation users browsing in working hours and the steady lookups of servers.

Page loads and server tasks expand into lookups that pass the client cache; the server names the
cache turns into periodic re-resolutions get a ground-truth row of their own (``ttl_refresh``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from beaconlake.domains import registered_domain
from beaconlake.simulate.events import (
    NXDOMAIN,
    QUERY_TYPES,
    RESPONSE_CODES,
    US,
    Events,
    client_cache,
    empty_events,
)
from beaconlake.simulate.plan import Context
from beaconlake.simulate.population import DAY
from beaconlake.simulate.truth import iso_time

#: Probability of each query type for a browser or server lookup (AAAA companions come extra).
LOOKUP_TYPE_P = np.array([0.91, 0.0, 0.05, 0.01, 0.01, 0.005, 0.005, 0.01, 0.0])
RESPONSE_CODE_P = np.array([0.976, 0.02, 0.004])
#: Share of A lookups that a dual-stack client pairs with an AAAA query in the same instant.
AAAA_SHARE = 0.55
MEAN_LOOKUPS_PER_PAGE = 5.0
#: Mean seconds between the lookups a page load triggers.
MEAN_LOOKUP_GAP_S = 0.35
#: Share of browser lookups that pass the client cache with the default vocabulary (measured);
#: page rates are divided by it so that ``events_per_host`` is the volume seen on the network.
CACHE_PASS = 0.27
SESSIONS_PER_DAY = 6.0
MEAN_SESSION_S = 25 * 60.0
WEEKEND_ACTIVITY = 0.08
#: A server's DNS volume relative to a workstation's.
SERVER_VOLUME = 0.5
SAME_SITE_SHARE = 0.45


def _workstation_pages(
    ctx: Context, rng: np.random.Generator, hosts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Page loads of workstation users: sessions within working hours, Poisson within a session."""
    pop, sc = ctx.population, ctx.scenario
    events_per_page = MEAN_LOOKUPS_PER_PAGE * (1 + AAAA_SHARE * LOOKUP_TYPE_P[0])
    pages_per_day = sc.events_per_host / events_per_page / CACHE_PASS
    out_h, out_t = [], []
    first_day = (ctx.start_s + int(pop.offset_s[hosts].min())) // DAY
    last_day = (ctx.end_s - 1 + int(pop.offset_s[hosts].max())) // DAY
    for day in range(first_day, last_day + 1):
        weekday = (day + 3) % 7
        factor = 1.0 if weekday < 5 else WEEKEND_ACTIVITY
        base = day * DAY - pop.offset_s[hosts]  # epoch second of local midnight
        lo = np.maximum(base + pop.arrive_s[hosts], ctx.start_s)
        hi = np.minimum(base + pop.leave_s[hosts], ctx.end_s)
        share = np.clip((hi - lo) / np.maximum(pop.leave_s[hosts] - pop.arrive_s[hosts], 1), 0, 1)
        n_pages = rng.poisson(pop.activity[hosts] * pages_per_day * factor * share)
        n_sess = 1 + rng.poisson(SESSIONS_PER_DAY - 1, len(hosts))
        sess_host = np.repeat(np.arange(len(hosts)), n_sess)
        span = (pop.leave_s[hosts] - pop.arrive_s[hosts])[sess_host]
        sess_start = (
            base[sess_host] + pop.arrive_s[hosts][sess_host] + rng.random(len(sess_host)) * span
        )
        sess_len = rng.exponential(MEAN_SESSION_S, len(sess_host))
        first_sess = np.cumsum(n_sess) - n_sess
        page_local = np.repeat(np.arange(len(hosts)), n_pages)
        sess = first_sess[page_local] + (rng.random(len(page_local)) * n_sess[page_local]).astype(
            int
        )
        t = sess_start[sess] + rng.random(len(sess)) * sess_len[sess]
        keep = (t >= ctx.start_s) & (t < ctx.end_s)
        out_h.append(hosts[page_local[keep]])
        out_t.append(t[keep])
    return np.concatenate(out_h), np.concatenate(out_t)


#: Mean lookups per server task.
SERVER_LOOKUPS_PER_TASK = 1.5
#: A server name requested at least this often per TTL is re-resolved about every TTL: a benign
#: periodic series that the ground truth labels ``ttl_refresh``.
TTL_REFRESH_MIN_REQUESTS = 0.5


def _server_task_rate(ctx: Context, hosts: np.ndarray) -> np.ndarray:
    """Tasks per day of each server."""
    per_task = SERVER_LOOKUPS_PER_TASK * (1 + AAAA_SHARE * LOOKUP_TYPE_P[0]) * CACHE_PASS
    return ctx.population.activity[hosts] * ctx.scenario.events_per_host * SERVER_VOLUME / per_task


def _server_tasks(
    ctx: Context, rng: np.random.Generator, hosts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lookups of servers: a steady 24/7 Poisson stream of small tasks."""
    sc = ctx.scenario
    n = rng.poisson(_server_task_rate(ctx, hosts) * sc.days)
    h = np.repeat(hosts, n)
    return h, ctx.start_s + rng.random(len(h)) * (ctx.end_s - ctx.start_s)


def _lookups(
    rng: np.random.Generator,
    page_host: np.ndarray,
    page_t: np.ndarray,
    mean_lookups: float,
    first_name: Callable[[int], np.ndarray],
    other_name: Callable[[np.ndarray], np.ndarray],
    ttl: np.ndarray,
) -> Events:
    """Expand page loads into lookups, apply the client cache, add AAAA companions."""
    n = rng.geometric(1.0 / mean_lookups, len(page_host))
    total = int(n.sum())
    first = np.cumsum(n) - n
    page = np.repeat(np.arange(len(page_host)), n)
    pos = np.arange(total) - first[page]
    gaps = rng.exponential(MEAN_LOOKUP_GAP_S, total)
    gaps[pos == 0] = 0.0
    cs = np.cumsum(gaps)
    t = page_t[page] + (cs - cs[first][page])
    name = np.empty(total, dtype=np.int32)
    is_first = pos == 0
    name[is_first] = first_name(int(is_first.sum()))
    name[~is_first] = other_name(page[~is_first])
    host = page_host[page].astype(np.int32)
    cached = client_cache(host, name, t, ttl)
    t, name, host = t[cached], name[cached], host[cached]
    total = len(t)
    qtype = rng.choice(len(QUERY_TYPES), total, p=LOOKUP_TYPE_P).astype(np.int8)
    rcode = rng.choice(len(RESPONSE_CODES), total, p=RESPONSE_CODE_P).astype(np.int8)
    pair = (qtype == 0) & (rng.random(total) < AAAA_SHARE)
    t_aaaa = t[pair] + rng.uniform(0.0005, 0.005, int(pair.sum()))
    return Events(
        t_us=(np.concatenate([t, t_aaaa]) * US).astype(np.int64),
        host=np.concatenate([host, host[pair]]),
        name=np.concatenate([name, name[pair]]),
        qtype=np.concatenate([qtype, np.ones(int(pair.sum()), np.int8)]),
        rcode=np.concatenate([rcode, rcode[pair]]),
    )


def human_events(ctx: Context, rng: np.random.Generator, hosts: np.ndarray) -> Events:
    """Benign browsing of workstation users and the steady lookups of servers."""
    v = ctx.vocab
    ws = hosts[~ctx.population.is_server[hosts]]
    srv = hosts[ctx.population.is_server[hosts]]
    parts = []
    if len(ws):
        ph, pt = _workstation_pages(ctx, rng, ws)
        site = np.searchsorted(v.site_cdf, rng.random(len(ph)))

        def site_first(k: int) -> np.ndarray:
            return v.site_first[site[:k]] if k == len(site) else v.site_first[site]

        def other(page: np.ndarray) -> np.ndarray:
            same = rng.random(len(page)) < SAME_SITE_SHARE
            s = site[page]
            sub = v.site_first[s] + (rng.random(len(page)) * v.site_count[s]).astype(np.int64)
            tp = v.third_party[np.searchsorted(v.third_party_cdf, rng.random(len(page)))]
            return np.where(same, sub, tp)

        parts.append(_lookups(rng, ph, pt, MEAN_LOOKUPS_PER_PAGE, site_first, other, v.ttl_s))
    if len(srv):
        sh, st = _server_tasks(ctx, rng, srv)

        def dest(k: int | np.ndarray) -> np.ndarray:
            m = k if isinstance(k, int) else len(k)
            return v.server_dest[np.searchsorted(v.server_dest_cdf, rng.random(m))]

        parts.append(_lookups(rng, sh, st, SERVER_LOOKUPS_PER_TASK, dest, dest, v.ttl_s))
    return Events.concat(parts) if parts else empty_events()


def ttl_refresh_truth(ctx: Context, hosts: np.ndarray, human: Events) -> list[dict[str, object]]:
    """Ground truth of the server names that the client cache turns into periodic series.

    A server that requests a name more often than its TTL expires re-resolves it about every TTL,
    24/7: benign, periodic, and emergent rather than planted, so it is derived here from the
    request rates and labelled ``ttl_refresh``.
    """
    v, pop = ctx.vocab, ctx.population
    srv = hosts[pop.is_server[hosts]]
    if not len(srv):
        return []
    p_dest = np.diff(np.concatenate(([0.0], v.server_dest_cdf)))
    ttl = v.ttl_s[v.server_dest]
    per_ttl = np.outer(_server_task_rate(ctx, srv) * SERVER_LOOKUPS_PER_TASK, p_dest * ttl) / DAY
    rows = []
    pairs = np.nonzero(per_ttl >= TTL_REFRESH_MIN_REQUESTS)
    wanted = srv[pairs[0]].astype(np.int64) << 32 | v.server_dest[pairs[1]].astype(np.int64)
    key = human.host.astype(np.int64) << 32 | human.name.astype(np.int64)
    sel = np.flatnonzero(np.isin(key, wanted))
    sel = sel[np.argsort(key[sel], kind="stable")]
    bounds = np.searchsorted(key[sel], wanted), np.searchsorted(key[sel], wanted, side="right")
    for i, j, lo, hi in zip(*pairs, *bounds, strict=True):
        h, name = int(srv[i]), int(v.server_dest[j])
        t = human.t_us[sel[lo:hi]] / US
        beats = t[human.qtype[sel[lo:hi]] != 1]  # AAAA companions share their A's beat
        if not len(beats):
            continue
        qname = str(ctx.names[name])
        rows.append(
            {
                "tenant_id": pop.tenant_ids[pop.tenant[h]],
                "host_id": pop.host_ids[h],
                "label": "benign_periodic",
                "category": "ttl_refresh",
                "channel": "server-ttl-refresh",
                "query_name": qname,
                "registered_domain": registered_domain(qname),
                "subdomain_per_beat": False,
                "period_seconds": float(ttl[j]),
                "jitter": float(min(1.0, 1.0 / per_ttl[i, j])),
                "jitter_model": "additive",
                "drop_prob": 0.0,
                "offline_at_night": False,
                "queries_per_beat": max(1, round(len(t) / len(beats))),
                "scheduled_beats": len(beats),
                "n_beats": len(beats),
                "n_events": len(t),
                "missing_share": 0.0,
                "first_seen_at": iso_time(beats.min()),
                "last_seen_at": iso_time(beats.max()),
                "shape": "",
                "query_type": "A",
                "nxdomain_share": round(float((human.rcode[sel[lo:hi]] == NXDOMAIN).mean()), 6),
                "other_names": "",
            }
        )
    return rows
