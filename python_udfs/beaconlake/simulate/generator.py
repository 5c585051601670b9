"""Generate raw DNS events (the Parquet input contract) and their ground truth.

Hosts are processed in chunks, each chunk in its own seeded random stream, so the output does not
depend on the number of worker processes and memory stays bounded by the chunk size. A chunk
covers the whole time window: human browsing, benign periodic services and C2 beacons of its hosts
are generated, merged, split by UTC day and written as one Parquet file per day
(``events/event_date=YYYY-MM-DD/part-NNNNN.parquet``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from beaconlake.domains import registered_domain
from beaconlake.errors import InputError
from beaconlake.ingest.writer import CONTRACT_SCHEMA
from beaconlake.simulate.population import DAY, Population, build_population, work_segments
from beaconlake.simulate.scenario import (
    C2_TTLS_S,
    CAMPAIGN_MIN_DAYS,
    BeaconSpec,
    Scenario,
    ServiceSpec,
    niche_apps,
)
from beaconlake.simulate.timing import beat_times, beat_times_many, segment_beat_times
from beaconlake.simulate.vocab import (
    Vocabulary,
    build_vocabulary,
    c2_domain,
    dga_labels,
    hash_labels,
    random_labels,
    rotation_domains,
    tunnel_names,
    unrelated_domains,
)

QUERY_TYPES = np.array(
    ["A", "AAAA", "HTTPS", "TXT", "MX", "CNAME", "SRV", "PTR", "NULL"], dtype=object
)
QTYPE_CODE = {str(q): np.int8(i) for i, q in enumerate(QUERY_TYPES)}
#: Probability of each query type for a browser or server lookup (AAAA companions come extra).
LOOKUP_TYPE_P = np.array([0.91, 0.0, 0.05, 0.01, 0.01, 0.005, 0.005, 0.01, 0.0])
RESPONSE_CODES = np.array(["NOERROR", "NXDOMAIN", "SERVFAIL"], dtype=object)
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
#: Target events per chunk; bounds the memory of one worker.
CHUNK_EVENTS = 4_000_000
US = 1_000_000
NXDOMAIN = np.int8(1)
#: An application resumed after a break re-resolves within this many seconds.
SESSION_START_DELAY_S = 30.0
#: Sessions of ``interactive`` and ``strobe`` beacons last U(0.4, 1.6) times their mean.
SESSION_SPREAD = (0.4, 1.6)
#: Beacons popular_domain draws its name from the sites of these popularity ranks.
POPULAR_SITE_RANKS = 30

TRUTH_COLUMNS = [
    "tenant_id", "host_id", "label", "category", "channel", "query_name", "registered_domain",
    "subdomain_per_beat", "period_seconds", "jitter", "jitter_model", "drop_prob",
    "offline_at_night", "queries_per_beat", "scheduled_beats", "n_beats", "n_events",
    "missing_share", "first_seen_at", "last_seen_at", "shape", "query_type", "nxdomain_share",
    "other_names",
]  # fmt: skip
#: Event-mix key of the browsing and server lookups (``ttl_refresh`` series are part of it).
HUMAN = "human"


@dataclass(frozen=True)
class Context:
    """Everything a chunk worker needs, drawn once from the scenario."""

    scenario: Scenario
    population: Population
    vocab: Vocabulary
    names: np.ndarray  # benign vocabulary + service and C2 names
    channels: pd.DataFrame
    out: Path
    services: tuple[ServiceSpec, ...]  # the scenario's services, then its niche applications
    name_ttl: np.ndarray  # answer TTL (seconds) of each of ``names``

    @property
    def start_s(self) -> int:
        return int(dt.datetime.combine(self.scenario.start_date, dt.time(), dt.UTC).timestamp())

    @property
    def end_s(self) -> int:
        return self.start_s + self.scenario.days * DAY


@dataclass
class Events:
    """A batch of events as parallel arrays; ``t_us`` is epoch microseconds (UTC)."""

    t_us: np.ndarray
    host: np.ndarray
    name: np.ndarray
    qtype: np.ndarray
    rcode: np.ndarray

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        return Events(*(np.concatenate([getattr(p, f) for p in parts]) for f in _EVENT_FIELDS))

    def take(self, idx: np.ndarray) -> Events:
        return Events(*(getattr(self, f)[idx] for f in _EVENT_FIELDS))

    def __len__(self) -> int:
        return len(self.t_us)


_EVENT_FIELDS = ("t_us", "host", "name", "qtype", "rcode")


def _expand_template(query_name: str, tenant: int, tenant_ids: tuple[str, ...]) -> str:
    return query_name.format(tenant=tenant_ids[tenant], tenant_no=tenant + 1)


def plan_channels(
    scenario: Scenario, pop: Population, vocab: Vocabulary, services: tuple[ServiceSpec, ...]
) -> tuple[pd.DataFrame, list[str], list[float]]:
    """Assign benign services and C2 beacons to hosts: one row per channel.

    Returns the channels, the names they query, to be appended to the benign vocabulary
    (``name_idx`` points into that combined array; -1 marks a fresh subdomain per beat;
    ``alt_idx`` lists a rotating beacon's names; ``start_s`` is a campaign host's infection
    time), and those names' answer TTLs (a channel's ``ttl`` is its names' TTL).
    """
    rng = np.random.default_rng([scenario.seed, 0xC4A])
    # C2 TTLs from a stream of their own: the other draws stay as they were without TTLs
    ttl_rng = np.random.default_rng([scenario.seed, 0x771])
    n_vocab = len(vocab.names)
    rows: list[dict[str, object]] = []
    names: list[str] = []
    ttls: list[float] = []
    n_tenants = len(pop.tenant_ids)
    host_kind = {
        "any": np.ones(pop.size, bool),
        "server": pop.is_server,
        "workstation": ~pop.is_server,
    }
    for s, svc in enumerate(services):
        per_tenant = "{" in svc.query_name
        zones = (
            [_expand_template(svc.query_name, t, pop.tenant_ids) for t in range(n_tenants)]
            if per_tenant
            else [svc.query_name]
        )
        name_idx = np.full(len(zones), -1)
        ttl = svc.answer_ttl_seconds
        if not svc.subdomain_per_beat:
            name_idx = n_vocab + len(names) + np.arange(len(zones))
            names.extend(zones)
            ttls.extend([ttl] * len(zones))
        eligible = host_kind[svc.host_kind]
        if svc.hosts:
            tenants = [int(rng.integers(0, n_tenants))] if svc.one_tenant else range(n_tenants)
            chosen = []
            for t in tenants:
                in_t = np.flatnonzero((pop.tenant == t) & eligible)
                if len(in_t) == 0:
                    in_t = np.flatnonzero(pop.tenant == t)
                chosen.append(rng.choice(in_t, min(svc.hosts, len(in_t)), replace=False))
            hosts = np.sort(np.concatenate(chosen))
        else:
            hosts = np.flatnonzero(eligible & (rng.random(pop.size) < svc.host_share))
        zone_of = pop.tenant[hosts] if per_tenant else np.zeros(len(hosts), int)
        rds = [registered_domain(z) for z in zones]
        rows.extend(
            {"host": int(h), "kind": "service", "spec": s, "name_idx": int(name_idx[z]),
             "query_name": zones[z], "registered_domain": rds[z], "alt_idx": (),
             "other_names": "", "ttl": ttl}
            for h, z in zip(hosts, zone_of, strict=True)
        )  # fmt: skip
    for b, beacon in enumerate(scenario.beacons):
        alt: tuple[int, ...] = ()
        others = ""
        drawn = float(ttl_rng.choice(C2_TTLS_S))  # drawn for every beacon: a stable stream
        ttl = beacon.ttl_seconds or drawn
        if beacon.shape == "campaign" and scenario.days < CAMPAIGN_MIN_DAYS:
            continue  # too short a window to spread over; the manifest's warnings list it
        tenant = int(rng.integers(0, n_tenants))
        in_t = np.flatnonzero(pop.tenant == tenant)
        if beacon.shape == "campaign":
            hosts, start = _campaign_hosts(rng, scenario, pop, in_t, beacon.spread_share)
        else:
            hosts = np.sort(rng.choice(in_t, min(beacon.hosts, len(in_t)), replace=False))
            start = np.full(len(hosts), np.nan)
        name_idx = -1
        if beacon.query_name:
            qname = beacon.query_name.lower().rstrip(".")
            rd = beacon.registered_domain or registered_domain(qname)
        elif beacon.shape == "popular_domain":
            site = int(rng.integers(0, POPULAR_SITE_RANKS))
            name_idx = int(vocab.site_first[site] + rng.integers(0, vocab.site_count[site]))
            qname = str(vocab.names[name_idx])
            ttl = float(vocab.ttl_s[name_idx])
            rd = registered_domain(qname)
        elif beacon.domains > 1:
            maker = unrelated_domains if beacon.name_style == "unrelated" else rotation_domains
            pairs = maker(rng, beacon.domains)
            (qname, rd), others = pairs[0], ";".join(q for q, _ in pairs[1:])
            alt = tuple(n_vocab + len(names) + np.arange(len(pairs)))
            names.extend(q for q, _ in pairs)
            ttls.extend([ttl] * len(pairs))
            name_idx = alt[0]
        else:
            qname, rd = c2_domain(rng, beacon.name_style)
        if name_idx < 0 and not beacon.subdomain_per_beat:
            name_idx = n_vocab + len(names)
            names.append(qname)
            ttls.append(ttl)
        rows.extend(
            {"host": int(h), "kind": "beacon", "spec": b, "name_idx": name_idx,
             "query_name": qname, "registered_domain": rd, "alt_idx": alt, "other_names": others,
             "ttl": ttl, "start_s": float(s0)}
            for h, s0 in zip(hosts, start, strict=True)
        )  # fmt: skip
    channels = pd.DataFrame(
        rows,
        columns=["host", "kind", "spec", "name_idx", "query_name", "registered_domain", "alt_idx",
                 "other_names", "ttl", "start_s"],
    )  # fmt: skip
    return channels, names, ttls


def _campaign_hosts(
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


def build_context(scenario: Scenario, out: Path) -> Context:
    pop = build_population(scenario)
    vocab = build_vocabulary(
        np.random.default_rng([scenario.seed, 0x70C]), n_sites=scenario.n_sites
    )
    services = scenario.services + niche_apps(scenario)
    channels, extra, extra_ttl = plan_channels(scenario, pop, vocab, services)
    names = np.concatenate([vocab.names, np.array(extra, dtype=object)])
    name_ttl = np.concatenate([vocab.ttl_s.astype(float), np.array(extra_ttl, dtype=float)])
    return Context(scenario, pop, vocab, names, channels, out, services, name_ttl)


# --- human traffic -------------------------------------------------------------------------


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


def client_cache(host: np.ndarray, name: np.ndarray, t: np.ndarray, ttl: np.ndarray) -> np.ndarray:
    """Mask of lookups that reach the network past the client's DNS cache.

    Per (host, name) the first lookup goes out; later ones are answered from the cache until the
    TTL since the last lookup that went out has passed. The chain "next lookup at least one TTL
    later" is followed for all series at once, one step per iteration.
    """
    n = len(t)
    if n == 0:
        return np.zeros(0, bool)
    key = host.astype(np.int64) << 32 | name.astype(np.int64)
    order = np.lexsort((t, key))
    ks, ts = key[order], t[order]
    new_group = np.empty(n, bool)
    new_group[0] = True
    new_group[1:] = ks[1:] != ks[:-1]
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], n)[group]
    # one sorted axis for every series: group number, then time within the window
    stride = float(ts.max() - ts.min()) + float(ttl.max()) + 1.0
    axis = group * stride + (ts - ts.min())
    nxt = np.searchsorted(axis, axis + ttl[name[order]], side="left")
    nxt[nxt >= ends] = -1
    keep_sorted = np.zeros(n, bool)
    current = starts
    while len(current):
        keep_sorted[current] = True
        current = nxt[current]
        current = current[current >= 0]
    keep = np.empty(n, bool)
    keep[order] = keep_sorted
    return keep


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
    return Events.concat(parts) if parts else _empty_events()


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
        rows.append({
            "tenant_id": pop.tenant_ids[pop.tenant[h]], "host_id": pop.host_ids[h],
            "label": "benign_periodic", "category": "ttl_refresh", "channel": "server-ttl-refresh",
            "query_name": qname, "registered_domain": registered_domain(qname),
            "subdomain_per_beat": False, "period_seconds": float(ttl[j]),
            "jitter": float(min(1.0, 1.0 / per_ttl[i, j])), "jitter_model": "additive",
            "drop_prob": 0.0, "offline_at_night": False,
            "queries_per_beat": max(1, round(len(t) / len(beats))),
            "scheduled_beats": len(beats), "n_beats": len(beats), "n_events": len(t),
            "missing_share": 0.0, "first_seen_at": _iso(beats.min()),
            "last_seen_at": _iso(beats.max()), "shape": "", "query_type": "A",
            "nxdomain_share": round(float((human.rcode[sel[lo:hi]] == NXDOMAIN).mean()), 6),
            "other_names": "",
        })  # fmt: skip
    return rows


def _empty_events() -> Events:
    return Events(
        np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, np.int32),
        np.empty(0, np.int8), np.empty(0, np.int8),
    )  # fmt: skip


# --- periodic channels ---------------------------------------------------------------------


def _expand_beats(
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


def _truth_row(
    ctx: Context,
    ch: pd.Series,
    spec: object,
    label: str,
    category: str,
    sched: int,
    kept: np.ndarray,
    nxdomain: int = 0,
) -> dict[str, object]:
    pop = ctx.population
    h = int(ch.host)
    n_beats = len(kept)
    per_beat = int(getattr(spec, "queries_per_beat", 1))
    active = getattr(spec, "active", None)
    return {
        "tenant_id": pop.tenant_ids[pop.tenant[h]],
        "host_id": pop.host_ids[h],
        "label": label,
        "category": category,
        "channel": getattr(spec, "name", ""),
        "query_name": ch.query_name,
        "registered_domain": ch.registered_domain,
        "subdomain_per_beat": bool(getattr(spec, "subdomain_per_beat", False)),
        "period_seconds": float(getattr(spec, "period_seconds", 0.0)),
        "jitter": float(getattr(spec, "jitter", 0.0)),
        "jitter_model": getattr(spec, "jitter_model", "none"),
        "drop_prob": float(getattr(spec, "drop_prob", 0.0)),
        "offline_at_night": bool(
            getattr(spec, "offline_at_night", active in ("power", "work", "session"))
            and not pop.always_on[h]
        ),
        "queries_per_beat": per_beat,
        "scheduled_beats": int(sched),
        "n_beats": n_beats,
        "n_events": n_beats * per_beat,
        "missing_share": round(1.0 - n_beats / sched, 6) if sched else 0.0,
        "first_seen_at": _iso(kept.min()) if n_beats else None,
        "last_seen_at": _iso(kept.max()) if n_beats else None,
        "shape": getattr(spec, "shape", ""),
        "query_type": getattr(spec, "query_type", "A"),
        "nxdomain_share": round(nxdomain / n_beats, 6) if n_beats else 0.0,
        "other_names": ch.other_names,
    }


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(float(t), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _iso_many(t: np.ndarray) -> np.ndarray:
    stamps = pd.to_datetime(np.round(t * US).astype(np.int64), unit="us")
    return stamps.strftime("%Y-%m-%dT%H:%M:%S.%fZ").to_numpy(dtype=object)


def _service_beats(
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
            rng, seg_lo[mine], seg_hi[mine], svc.period_seconds, svc.jitter, svc.jitter_model,
            start_delay=SESSION_START_DELAY_S,
        )  # fmt: skip
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


def _service_truth(
    ctx: Context,
    rows: pd.DataFrame,
    svc: ServiceSpec,
    idx: np.ndarray,
    t: np.ndarray,
    sched: np.ndarray,
    nx: np.ndarray,
) -> pd.DataFrame:
    """Ground truth of one service's channels on this chunk, built column-wise."""
    pop = ctx.population
    hosts = rows.host.to_numpy()
    n = len(hosts)
    n_beats = np.bincount(idx, minlength=n)
    n_nx = np.bincount(idx, weights=nx, minlength=n)
    bounds = np.searchsorted(idx, np.arange(n + 1))
    has = n_beats > 0
    first = last = np.zeros(n)
    if len(t):
        first = t[np.minimum(bounds[:-1], len(t) - 1)]
        last = t[np.maximum(bounds[1:] - 1, 0)]
    offline = (svc.active in ("power", "work", "session")) & ~pop.always_on[hosts]
    return pd.DataFrame(
        {
            "tenant_id": np.array(pop.tenant_ids, dtype=object)[pop.tenant[hosts]],
            "host_id": pop.host_ids[hosts],
            "label": "benign_periodic",
            "category": svc.category,
            "channel": svc.name,
            "query_name": rows.query_name.to_numpy(),
            "registered_domain": rows.registered_domain.to_numpy(),
            "subdomain_per_beat": svc.subdomain_per_beat,
            "period_seconds": float(svc.period_seconds),
            "jitter": float(svc.jitter),
            "jitter_model": svc.jitter_model,
            "drop_prob": 0.0,
            "offline_at_night": offline,
            "queries_per_beat": svc.queries_per_beat,
            "scheduled_beats": sched.astype(np.int64),
            "n_beats": n_beats,
            "n_events": n_beats * svc.queries_per_beat,
            "missing_share": np.where(
                sched > 0, np.round(1.0 - n_beats / np.maximum(sched, 1), 6), 0.0
            ),
            "first_seen_at": np.where(has, _iso_many(first), None),
            "last_seen_at": np.where(has, _iso_many(last), None),
            "shape": "",
            "query_type": svc.query_type,
            "nxdomain_share": np.round(n_nx / np.maximum(n_beats, 1), 6),
            "other_names": "",
        },
        columns=TRUTH_COLUMNS,
    )


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


def _beacon_times(
    ctx: Context, rng: np.random.Generator, b: BeaconSpec, start: float | None = None
) -> np.ndarray:
    """Scheduled beat times of one beacon on one host, by its shape; a host infected at
    ``start`` (a campaign) calls home at once, then every period."""
    if start is not None:
        return beat_times(
            rng, start, ctx.end_s, b.period_seconds, b.jitter, b.jitter_model, phase=0.0
        )
    if b.sessions_per_day <= 0:
        return beat_times(rng, ctx.start_s, ctx.end_s, b.period_seconds, b.jitter, b.jitter_model)
    lo, hi = _sessions(rng, ctx.start_s, ctx.end_s, b.sessions_per_day, b.session_minutes)
    _, t = segment_beat_times(rng, lo, hi, b.period_seconds, b.jitter, b.jitter_model)
    if b.sleep_seconds > 0:
        sleep = beat_times(rng, ctx.start_s, ctx.end_s, b.sleep_seconds, b.jitter, b.jitter_model)
        inside = np.searchsorted(lo, sleep, side="right") - 1
        in_session = (inside >= 0) & (sleep < hi[np.maximum(inside, 0)])
        t = np.sort(np.concatenate([t, sleep[~in_session]]))
    return t


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
        idx, t, sched = _service_beats(ctx, rng, svc, hosts, segments)
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
        ev = _expand_beats(rng, hosts[idx], t, name, svc.queries_per_beat, svc.query_type, nx)
        parts.append(ev)
        mix[svc.category] = mix.get(svc.category, 0) + len(ev)
        truth.append(_service_truth(ctx, rows, svc, idx, t, sched, nx))
    rows_c2: list[dict[str, object]] = []
    for _, ch in chans[chans.kind == "beacon"].iterrows():
        b = sc.beacons[ch.spec]
        start = None if pd.isna(ch.start_s) else float(ch.start_s)
        t = _beacon_times(ctx, rng, b, start)
        sched = len(t)
        keep = rng.random(len(t)) >= b.drop_prob
        if start is not None and len(keep):
            keep[0] = True  # the first call home, as the implant is installed
        h = np.full(len(t), ch.host)
        if b.offline_at_night:
            keep &= pop.powered(h, t)
        t, h = t[keep], h[keep]
        base = len(ctx.names) + n_fresh
        if b.subdomain_per_beat:
            maker = tunnel_names if b.shape == "strobe" else _short_tunnel_names
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
        ev = _expand_beats(rng, h, t, name, b.queries_per_beat, b.query_type)
        if b.dga_decoys:
            ev = Events.concat([ev, _dga_decoys(rng, h, t, b.dga_decoys, len(ctx.names) + n_fresh,
                                                fresh)])  # fmt: skip
            fresh_ttl.append(np.full(sum(len(f) for f in fresh) - n_fresh, np.nan))  # NXDOMAIN
            n_fresh = sum(len(f) for f in fresh)
        parts.append(ev)
        mix["c2"] = mix.get("c2", 0) + len(ev)
        rows_c2.append(_truth_row(ctx, ch, b, "c2", "c2", sched, t))
    if rows_c2:
        truth.append(pd.DataFrame(rows_c2, columns=TRUTH_COLUMNS))
    events = Events.concat(parts) if parts else _empty_events()
    return events, fresh, fresh_ttl, truth, mix


def _short_tunnel_names(rng: np.random.Generator, n: int, zone: str) -> np.ndarray:
    return random_labels(rng, n) + "." + zone


def _dga_decoys(
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


# --- writing -------------------------------------------------------------------------------


def _dict_column(codes: np.ndarray, values: np.ndarray, column: str) -> pa.DictionaryArray:
    """Dictionary-encode ``values[codes]`` keeping only the values used, of the type of the
    contract's ``column``."""
    used, inverse = np.unique(codes, return_inverse=True)
    value_type = CONTRACT_SCHEMA.field(column).type
    return pa.DictionaryArray.from_arrays(
        pa.array(inverse.astype(np.int32)), pa.array(values[used].tolist(), type=value_type)
    )


def write_day(
    ctx: Context, ev: Events, names: np.ndarray, ttls: np.ndarray, day: dt.date, chunk: int
) -> int:
    """Write one day's events; ``ttls`` holds the answer TTL of each of ``names`` (an NXDOMAIN
    answer has none)."""
    pop = ctx.population
    order = np.argsort(ev.t_us, kind="stable")
    ev = ev.take(order)
    ttl = np.where(ev.rcode == NXDOMAIN, np.nan, ttls[ev.name])
    tenants = np.array(pop.tenant_ids, dtype=object)
    columns = {
        "event_time": pa.array(ev.t_us, type=CONTRACT_SCHEMA.field("event_time").type),
        "host_id": _dict_column(ev.host, pop.host_ids, "host_id"),
        "query_name": _dict_column(ev.name, names, "query_name"),
        "tenant_id": _dict_column(pop.tenant[ev.host], tenants, "tenant_id"),
        "query_type": _dict_column(ev.qtype, QUERY_TYPES, "query_type"),
        "response_code": _dict_column(ev.rcode, RESPONSE_CODES, "response_code"),
        "answer_ttl_seconds": pa.array(
            ttl, type=CONTRACT_SCHEMA.field("answer_ttl_seconds").type, from_pandas=True
        ),
    }
    # every column of the input contract, in its order (a missing one fails here)
    table = pa.table({name: columns[name] for name in CONTRACT_SCHEMA.names})
    folder = ctx.out / "events" / f"event_date={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / f"part-{chunk:05d}.parquet", compression="zstd",
                   compression_level=1)  # fmt: skip
    return len(ev)


@dataclass
class ChunkResult:
    chunk: int
    human_events: int
    periodic_events: int
    rows_per_day: dict[str, int]
    truth: list[pd.DataFrame]
    active_hosts_per_day: dict[str, int]
    events_by_category: dict[str, int]


def run_chunk(ctx: Context, chunk: int, lo: int, hi: int) -> ChunkResult:
    """Generate and write all events of hosts [lo, hi) over the whole window."""
    rng = np.random.default_rng([ctx.scenario.seed, 0xC0C, chunk])
    hosts = np.arange(lo, hi)
    human = human_events(ctx, rng, hosts)
    periodic, fresh, fresh_ttl, truth, mix = channel_events(ctx, rng, lo, hi)
    truth.append(pd.DataFrame(ttl_refresh_truth(ctx, hosts, human), columns=TRUTH_COLUMNS))
    names = np.concatenate([ctx.names, *fresh]) if fresh else ctx.names
    ttls = np.concatenate([ctx.name_ttl, *fresh_ttl]) if fresh_ttl else ctx.name_ttl
    ev = Events.concat([human, periodic])
    day_us = DAY * US
    day_idx = (ev.t_us - ctx.start_s * US) // day_us
    rows: dict[str, int] = {}
    active: dict[str, int] = {}
    order = np.argsort(day_idx, kind="stable")
    bounds = np.searchsorted(day_idx[order], np.arange(ctx.scenario.days + 1))
    for d in range(ctx.scenario.days):
        sel = order[bounds[d] : bounds[d + 1]]
        if len(sel):
            day = ctx.scenario.start_date + dt.timedelta(days=d)
            rows[day.isoformat()] = write_day(ctx, ev.take(sel), names, ttls, day, chunk)
            active[day.isoformat()] = int(np.unique(ev.host[sel]).size)
    mix = {HUMAN: len(human), **mix}
    return ChunkResult(chunk, len(human), len(periodic), rows, truth, active, mix)


_WORKER_CTX: Context | None = None


def _init_worker(ctx: Context) -> None:
    global _WORKER_CTX  # a process pool's per-worker state: set once, read by _run_in_worker
    _WORKER_CTX = ctx


def _run_in_worker(args: tuple[int, int, int]) -> ChunkResult:
    assert _WORKER_CTX is not None
    return run_chunk(_WORKER_CTX, *args)


def chunks(scenario: Scenario) -> list[tuple[int, int, int]]:
    """(chunk, first host, end host) ranges of about CHUNK_EVENTS events each."""
    per_host = scenario.events_per_host * 1.1 * scenario.days
    size = max(1, int(CHUNK_EVENTS / max(per_host, 1.0)))
    starts = range(0, scenario.hosts, size)
    return [(i, lo, min(lo + size, scenario.hosts)) for i, lo in enumerate(starts)]


@dataclass
class SimulationSummary:
    out: str
    events: int
    human_events: int
    periodic_events: int
    c2_channels: int
    benign_periodic_channels: int
    rows_per_day: dict[str, int]
    #: hosts with at least one event each day, and their sum (the evaluator's alert-load base)
    active_hosts_per_day: dict[str, int]
    host_days: int
    #: events generated per traffic category (``human`` browsing and server lookups, each
    #: benign periodic category, ``c2``), before the split into days
    events_by_category: dict[str, int]
    files: int
    seconds: float
    peak_rss_mb: float
    #: what was asked for and not generated, e.g. campaigns in a window shorter than 3 days
    warnings: list[str] = field(default_factory=list)


def simulate(
    scenario: Scenario,
    out: Path,
    workers: int | None = None,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationSummary:
    """Write the dataset of ``scenario`` under ``out`` and return what was written."""
    started = time.perf_counter()
    events_dir = out / "events"
    if events_dir.exists() and any(events_dir.iterdir()):
        if not overwrite:
            raise InputError(f"{events_dir} is not empty (use --overwrite to replace it)")
        shutil.rmtree(events_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = build_context(scenario, out)
    jobs = chunks(scenario)
    workers = workers or min(2, os.cpu_count() or 1)
    results: list[ChunkResult] = []
    if workers == 1 or len(jobs) == 1:
        for i, job in enumerate(jobs):
            results.append(run_chunk(ctx, *job))
            if progress:
                progress(i + 1, len(jobs))
    else:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(ctx,)) as pool:
            for i, res in enumerate(pool.map(_run_in_worker, jobs)):
                results.append(res)
                if progress:
                    progress(i + 1, len(jobs))
    frames = [f for res in results for f in res.truth if len(f)]
    truth = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TRUTH_COLUMNS)
    truth = truth.sort_values(["tenant_id", "host_id", "channel"], kind="stable")
    truth.to_csv(out / "ground_truth.csv", index=False)
    per_day: dict[str, int] = {}
    active: dict[str, int] = {}
    mix: dict[str, int] = {}
    for res in results:
        for day, n in res.rows_per_day.items():
            per_day[day] = per_day.get(day, 0) + n
        for day, n in res.active_hosts_per_day.items():
            active[day] = active.get(day, 0) + n
        for category, n in res.events_by_category.items():
            mix[category] = mix.get(category, 0) + n
    usage = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    summary = SimulationSummary(
        out=str(out),
        events=sum(per_day.values()),
        human_events=sum(r.human_events for r in results),
        periodic_events=sum(r.periodic_events for r in results),
        c2_channels=int((truth.label == "c2").sum()),
        benign_periodic_channels=int((truth.label != "c2").sum()),
        rows_per_day=dict(sorted(per_day.items())),
        active_hosts_per_day=dict(sorted(active.items())),
        host_days=sum(active.values()),
        events_by_category=dict(sorted(mix.items(), key=lambda kv: -kv[1])),
        files=sum(len(r.rows_per_day) for r in results),
        seconds=round(time.perf_counter() - started, 2),
        peak_rss_mb=round(usage / 1024, 1),
        warnings=_warnings(scenario),
    )
    manifest = {"scenario": _scenario_dict(scenario), "summary": asdict(summary)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return summary


def _warnings(scenario: Scenario) -> list[str]:
    skipped = [
        b.name
        for b in scenario.beacons
        if b.shape == "campaign" and scenario.days < CAMPAIGN_MIN_DAYS
    ]
    if not skipped:
        return []
    return [
        f"campaign families skipped, a campaign needs {CAMPAIGN_MIN_DAYS} days or more: "
        + ", ".join(skipped)
    ]


def _scenario_dict(scenario: Scenario) -> dict[str, object]:
    d = asdict(scenario)
    d["start_date"] = scenario.start_date.isoformat()
    return d
