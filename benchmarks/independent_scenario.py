"""Independent DNS scenario: a second, separately written model of a fleet's DNS traffic.

## Independent scenario (`benchmarks/independent_scenario.py`)
A standalone generator (numpy, pandas, pyarrow) sharing no code or parameters with `beaconlake
simulate`, so detection figures can be checked on data the detector was never tuned on. Writes
`events/event_date=*/part-00000.parquet`, `ground_truth.csv`, `manifest.json`; same arguments →
byte-identical files (every draw is keyed by seed, stream, host and day).

**Fleet.** Tenants of unequal size (weights 1, 0.45, 0.45², …) in UTC−5, UTC+1, UTC+8, …; ~10 %
servers (24/7); workstations are 50 % laptops (online only while the user works), 25 % office
desktops (on for the working day), 25 % always on. Weekdays: start 7:00–9:30 local ± 20 min,
7.8–9.8 h, lunch gap 30–65 min (skipped 15 %), afternoon meeting gap (50 %), 6 % days off, evening
session (15 %); weekends: one 20–120 min session on 20 % of days.

**Human traffic.** Page loads in Poisson bursts with log-normal think times (median 12 s); user
volume log-normal (σ 0.5). Sites: 3,000 made-up names (.com/.net/.org/.co.uk/.de/.io/.fr/.com.au
…) with Zipf(1.1) popularity, 45 % of pages from the user's ~25 favourites; each site pulls its own
subdomains and 2–12 fixed third-party names (~450 CDN/analytics names, Zipf 1.0). A + AAAA in the
same second on dual-stack hosts, HTTPS queries from some browsers; a client cache (warm across
midnight) drops a (name, type) repeat within its TTL (20 s–1 h; NXDOMAIN 300 s); 0.8 % typos and
0.4 % search-suffix misses (NXDOMAIN). `--events-per-host-day` ≈ events on an active weekday.
Poisson OS lookups (10–40/h while online) and server lookups (15–50/h, internal and mirror names).

**Benign periodic** (`benign_periodic`): `vendor_agent` 3 agents on 80–95 % of all hosts from day
one (15 min–4 h, clock-aligned or renewal, restart on wake); `ttl_app` 3 collaboration apps on
40–80 % of workstations, TTL 300/600/900 s + exponential client delay, in sessions only;
`niche_app` 1–2 workstations of one tenant, TTL 300–3600 s + delay, in sessions only;
`monitoring_agent` rare names on ~70 % of servers, 60/120/300 s, clock-exact or ± 5 %; `directory`
SRV `_ldap._tcp.dc._msdcs.<corp>` every 90–120 min ± 5 %; `reverse_lookup` PTR hourly, exact.

**C2** (`c2`, ~45–65 rows at 300 hosts, one host per row). Wall-clock renewal timers: beats due
while the host is offline are lost and one fires 0–30 s after wake; retries 0.1–0.9 s later.
Jitter: `uniform` P·(1+U(−j, j)), `sleep_reduction` P·(1−U(0, j)), `gaussian` P·(1+N(0, j/√3))
(j in the ±j uniform convention), `none`; `missing_share` = scheduled beats not emitted.
`classic` 60 s–1 h log-uniform, j 5–50 %, 0–30 % drops, 1–2 queries per beat, 20 % TXT, 30 % fresh
hex/base32 label per beat, DGA or plain names, 10 % NXDOMAIN. `rotation` 3–8 unrelated domains on
distinct TLDs, round-robin or random, union every 1–15 min ± 20–40 %. `slow` 2–8 h ± 10–30 % on
always-on hosts. `campaign` one machine-made name from day 2–3 spreading to 20–40 % of the
smallest tenant, 5–30 min ± 20–30 %. `interactive` 1–3 h ± 20 % plus 2–5 operator sessions of
10–40 min every 3–15 s ± 30 %. `popular_domain` a top-20 site the host browses, 10–30 min ± 20 %.
`strobe` TXT, fresh 40–60-char label every 1.2–2.2 s ± 20–45 %, 1–3 h on ~80 % of days.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

DAY_S = 86_400
HOUR_S = 3_600
MINUTE_S = 60

QTYPES = ("A", "AAAA", "HTTPS", "TXT", "PTR", "SRV", "MX")
Q_A, Q_AAAA, Q_HTTPS, Q_TXT, Q_PTR, Q_SRV, Q_MX = range(len(QTYPES))
RCODES = ("NOERROR", "NXDOMAIN", "SERVFAIL")
R_OK, R_NX, R_FAIL = range(len(RCODES))
CATEGORIES = (
    *("browsing", "typo", "os_background", "server_background"),
    *("vendor_agent", "ttl_app", "niche_app", "monitoring_agent", "directory", "reverse_lookup"),
    "c2",
)
CAT = {name: i for i, name in enumerate(CATEGORIES)}

#: Tenant UTC offsets in hours, assigned in order.
TZ_OFFSETS_H = (-5.0, 1.0, 8.0, -8.0, 5.5, 0.0, -3.0, 9.0)
#: Workstation power modes.
ALWAYS_ON, OFFICE, LAPTOP, SERVER = range(4)

#: Random stream identifiers: every generator is keyed by (seed, stream, ...).
S_WORLD, S_FLEET, S_HOST, S_SESSION, S_BROWSE, S_BG, S_BENIGN, S_C2, S_CAMPAIGN = range(9)

#: Suffixes of made-up sites and their shares.
# left as written: items in rows, not one per line
SITE_SUFFIXES = (
    ("com", 0.46), ("net", 0.08), ("org", 0.07), ("co.uk", 0.06), ("de", 0.07), ("io", 0.05),
    ("fr", 0.03), ("nl", 0.03), ("com.au", 0.02), ("info", 0.02), ("app", 0.02), ("es", 0.03),
    ("it", 0.02), ("ca", 0.02), ("co", 0.02),
)  # fmt: skip
C2_TLDS = ("com", "net", "org", "info", "biz", "top", "xyz", "online", "site", "club", "live")
# left as written: items in rows, not one per line
TECH_WORDS = (
    "update", "cdn", "service", "cloud", "sync", "secure", "api", "static", "portal", "data",
    "check", "node", "edge", "metrics", "login", "web", "app", "status", "assets", "host",
    "stream", "media", "soft", "net", "link", "store", "health", "report", "office", "track",
)  # fmt: skip
# left as written: items in rows, not one per line
ONSETS = (
    "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
    "br", "cl", "dr", "fl", "gr", "pl", "st", "tr", "sh", "ch", "qu",
)  # fmt: skip
VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "io", "ou")
CODAS = ("", "", "", "n", "r", "s", "l", "x", "t", "m", "ck", "nd")
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
BASE32 = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz234567", dtype=np.uint8)
ALNUM = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)
LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


@dataclass(frozen=True)
class Config:
    """Command-line parameters of one run."""

    hosts: int = 300
    days: int = 7
    start_date: dt.date = dt.date(2026, 3, 2)
    tenants: int = 2
    seed: int = 11
    events_per_host_day: int = 2_500

    @property
    def window_s(self) -> float:
        """Length of the simulated window in seconds."""
        return float(self.days * DAY_S)


def rng_for(cfg: Config, *keys: int) -> np.random.Generator:
    """A generator keyed by the seed and ``keys`` (stream, host, day, ...): order-independent."""
    return np.random.default_rng([cfg.seed, *(int(k) for k in keys)])


# --------------------------------------------------------------------------------------------
# Names


class Vocab:
    """Interned query names with the TTL (s) a client cache keeps each one."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.ttl: list[float] = []
        self.index: dict[str, int] = {}

    def add(self, name: str, ttl: float = 300.0) -> int:
        """Code of ``name``, adding it on first sight."""
        code = self.index.get(name)
        if code is None:
            code = len(self.names)
            self.index[name] = code
            self.names.append(name)
            self.ttl.append(ttl)
        return code

    def add_many(self, names: Sequence[str], ttl: float = 300.0) -> np.ndarray:
        """Codes of ``names`` (int32)."""
        return np.fromiter((self.add(n, ttl) for n in names), dtype=np.int32, count=len(names))


def pseudo_word(rng: np.random.Generator, syllables: int) -> str:
    """A pronounceable made-up word of ``syllables`` syllables."""
    parts = [
        ONSETS[rng.integers(len(ONSETS))] + VOWELS[rng.integers(len(VOWELS))]
        for _ in range(syllables)
    ]
    return "".join(parts) + CODAS[rng.integers(len(CODAS))]


def unique_words(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    """``n`` distinct made-up words (2–3 syllables) not in ``taken``; adds them to it."""
    out: list[str] = []
    while len(out) < n:
        word = pseudo_word(rng, int(rng.integers(2, 4)))
        if word not in taken and 4 <= len(word) <= 14:
            taken.add(word)
            out.append(word)
    return out


def random_labels(rng: np.random.Generator, n: int, length: int, alphabet: np.ndarray) -> list[str]:
    """``n`` random labels of ``length`` characters drawn from ``alphabet``."""
    if n == 0:
        return []
    codes = alphabet[rng.integers(0, len(alphabet), size=(n, length))]
    return np.ascontiguousarray(codes).view(f"S{length}").ravel().astype(str).tolist()


def dga_domain(rng: np.random.Generator, taken: set[str], digits: bool = False) -> str:
    """A machine-made-looking registered domain (random letters, optionally digits)."""
    while True:
        alphabet = ALNUM if digits else LETTERS
        label = random_labels(rng, 1, int(rng.integers(9, 16)), alphabet)[0]
        if label[0].isdigit():
            continue
        name = f"{label}.{C2_TLDS[rng.integers(len(C2_TLDS))]}"
        if name not in taken:
            taken.add(name)
            return name


def plain_domain(rng: np.random.Generator, taken: set[str], tld: str | None = None) -> str:
    """A plain-looking registered domain made of tech words, e.g. ``update-cdn-service.net``."""
    while True:
        k = int(rng.integers(2, 4))
        words = rng.choice(len(TECH_WORDS), size=k, replace=False)
        name = "-".join(TECH_WORDS[i] for i in words)
        name = f"{name}.{tld or C2_TLDS[rng.integers(len(C2_TLDS))]}"
        if name not in taken:
            taken.add(name)
            return name


def zipf_cdf(n: int, exponent: float) -> np.ndarray:
    """Cumulative Zipf weights over ranks 1..n (for ``searchsorted`` sampling)."""
    w = 1.0 / np.arange(1, n + 1) ** exponent
    cdf = np.cumsum(w)
    return cdf / cdf[-1]


def draw(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """``n`` indexes drawn from a cumulative distribution."""
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


@dataclass
class World:
    """The name universe: sites, third parties, background pools, periodic services."""

    site_reg: list[str]
    site_main: np.ndarray  # name code of each site's main name
    site_cdf: np.ndarray
    extra_ptr: np.ndarray  # CSR: names each page of site s also pulls
    extra_codes: np.ndarray
    os_pool: np.ndarray
    os_cdf: np.ndarray
    server_pool: list[np.ndarray]  # per tenant
    corp_domain: list[str]  # per tenant
    taken: set[str]


def build_world(cfg: Config, vocab: Vocab) -> World:
    """Made-up sites, third parties and background pools (all names unique)."""
    rng = rng_for(cfg, S_WORLD)
    words_taken: set[str] = set()
    taken: set[str] = set()
    n_sites, n_vendors = 3_000, 130
    suffixes = [s for s, _ in SITE_SUFFIXES]
    p = np.array([w for _, w in SITE_SUFFIXES])
    site_words = unique_words(rng, n_sites, words_taken)
    site_suffix = rng.choice(len(suffixes), size=n_sites, p=p / p.sum())
    site_reg = [f"{w}.{suffixes[s]}" for w, s in zip(site_words, site_suffix, strict=True)]
    taken.update(site_reg)
    site_ttl = rng.choice([60, 300, 600, 1800, 3600], size=n_sites, p=[0.15, 0.35, 0.2, 0.15, 0.15])
    www = rng.random(n_sites) < 0.7
    site_main = np.array(
        [
            vocab.add(("www." if www[i] else "") + site_reg[i], float(site_ttl[i]))
            for i in range(n_sites)
        ],
        dtype=np.int32,
    )
    # Third parties: vendors with a few host names each, Zipf-popular.
    vendors = unique_words(rng, n_vendors, words_taken)
    vendor_tld = rng.choice(["com", "net", "io", "com", "net"], size=n_vendors)
    prefixes = "cdn static img assets collect px sync ads tag fonts js api edge media stats".split()
    third: list[int] = []
    for v, word in enumerate(vendors):
        reg = f"{word}.{vendor_tld[v]}"
        taken.add(reg)
        for pre in rng.choice(prefixes, size=int(rng.integers(1, 7)), replace=False):
            shard = f"{rng.integers(1, 9)}" if rng.random() < 0.2 else ""
            ttl = float(rng.choice([20, 30, 60, 120, 300, 3600]))
            third.append(vocab.add(f"{pre}{shard}.{reg}", ttl))
    third_arr = np.array(third[:500], dtype=np.int32)
    rng.shuffle(third_arr)
    third_cdf = zipf_cdf(len(third_arr), 1.0)
    # Per site: own subdomains plus a fixed set of third parties.
    own = ("static", "img", "api", "cdn", "m", "assets", "login", "media")
    ptr = [0]
    codes: list[int] = []
    for i in range(n_sites):
        for pre in rng.choice(own, size=int(rng.integers(0, 4)), replace=False):
            codes.append(vocab.add(f"{pre}.{site_reg[i]}", float(site_ttl[i])))
        picks = np.unique(draw(rng, third_cdf, int(rng.integers(2, 13))))
        codes.extend(third_arr[picks].tolist())
        ptr.append(len(codes))
    # OS background pool (workstations) and server pools (per tenant).
    os_names = []
    os_pre = "ocsp crl time connectivity settings licensing push dl catalog fonts store".split()
    for word in unique_words(rng, 25, words_taken):
        reg = f"{word}.{rng.choice(['com', 'net', 'org'])}"
        taken.add(reg)
        for pre in rng.choice(os_pre, size=3, replace=False):
            os_names.append(vocab.add(f"{pre}.{reg}", float(rng.choice([300, 900, 3600]))))
    os_pool = np.array(os_names, dtype=np.int32)
    corp = [f"corp.{w}.com" for w in unique_words(rng, cfg.tenants, words_taken)]
    taken.update(c.split(".", 1)[1] for c in corp)
    mirrors = []
    for word in unique_words(rng, 12, words_taken):
        reg = f"{word}.{rng.choice(['org', 'io', 'net'])}"
        taken.add(reg)
        for pre in ("mirror", "registry", "api", "pkg"):
            mirrors.append(vocab.add(f"{pre}.{reg}", 600.0))
    services = ("db", "ldap", "git", "ci", "proxy", "smtp", "backup", "kafka", "redis", "vault")
    server_pool = []
    for t in range(cfg.tenants):
        internal = [
            vocab.add(f"{svc}{k:02d}.{corp[t]}", 60.0) for svc in services for k in range(1, 4)
        ]
        server_pool.append(np.array(internal + mirrors, dtype=np.int32))
    return World(
        site_reg=site_reg,
        site_main=site_main,
        site_cdf=zipf_cdf(n_sites, 1.1),
        extra_ptr=np.array(ptr, dtype=np.int64),
        extra_codes=np.array(codes, dtype=np.int32),
        os_pool=os_pool,
        os_cdf=zipf_cdf(len(os_pool), 0.9),
        server_pool=server_pool,
        corp_domain=corp,
        taken=taken,
    )


# --------------------------------------------------------------------------------------------
# Fleet and activity


@dataclass
class Host:
    """One host: identity, role and the intervals (s from window start) it is active."""

    index: int
    host_id: str
    tenant: int
    power: int
    activity: float  # multiplier of the browsing rate
    p_aaaa: float
    p_https: float
    favourites: np.ndarray  # site indexes
    fav_cdf: np.ndarray
    domain_member: bool
    sessions: tuple[np.ndarray, np.ndarray] = field(default=(np.zeros(0), np.zeros(0)))
    online: tuple[np.ndarray, np.ndarray] = field(default=(np.zeros(0), np.zeros(0)))

    @property
    def is_server(self) -> bool:
        return self.power == SERVER


def tenant_sizes(hosts: int, tenants: int) -> list[int]:
    """Hosts per tenant, geometric weights 1, 0.45, 0.45², … (at least 3 each)."""
    w = 0.45 ** np.arange(tenants)
    sizes = np.maximum(3, np.floor(hosts * w / w.sum())).astype(int)
    sizes[0] += hosts - sizes.sum()
    return sizes.tolist()


def merge_intervals(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of intervals as sorted, disjoint (starts, ends)."""
    if len(starts) == 0:
        return np.zeros(0), np.zeros(0)
    order = np.argsort(starts, kind="stable")
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    new = np.r_[True, s[1:] > reach[:-1]]
    group = np.cumsum(new) - 1
    return s[new], np.maximum.reduceat(e, np.flatnonzero(new))[: group[-1] + 1]


def clip_intervals(
    starts: np.ndarray, ends: np.ndarray, lo: float, hi: float
) -> tuple[np.ndarray, np.ndarray]:
    """Intervals cut to [lo, hi), empty ones dropped."""
    s, e = np.maximum(starts, lo), np.minimum(ends, hi)
    keep = e > s
    return s[keep], e[keep]


def inside(t: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Mask of times falling in any of the sorted disjoint intervals."""
    idx = np.searchsorted(starts, t, side="right") - 1
    ok = idx >= 0
    ok[ok] = t[ok] < ends[idx[ok]]
    return ok


def sample_in(rng: np.random.Generator, starts: np.ndarray, ends: np.ndarray, n: int) -> np.ndarray:
    """``n`` times uniform over the union of disjoint intervals."""
    lengths = ends - starts
    cum = np.cumsum(lengths)
    u = rng.random(n) * cum[-1]
    idx = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    return starts[idx] + u - (cum[idx] - lengths[idx])


def local_day_sessions(rng: np.random.Generator, start_hour: float, weekday: int) -> list[tuple]:
    """Working sessions of one local day, in local hours."""
    if weekday >= 5:
        if rng.random() < 0.2:
            s = rng.uniform(10, 20)
            return [(s, s + rng.uniform(0.33, 2.0))]
        return []
    if rng.random() < 0.06:
        return []
    start = start_hour + rng.normal(0, 0.33)
    lunch = rng.normal(12.3, 0.35)
    lunch_len = rng.uniform(0.5, 1.08) if rng.random() > 0.15 else 0.0
    end = start + rng.uniform(7.8, 9.8) + lunch_len
    cuts = [(lunch, lunch + lunch_len)] if lunch_len > 0 else []
    if rng.random() < 0.5:
        m = rng.uniform(13.8, 16.0)
        cuts.append((m, m + rng.uniform(0.5, 1.5)))
    sessions, cursor = [], start
    for a, b in sorted(cuts):
        if a > cursor and b < end:
            sessions.append((cursor, a))
            cursor = b
    sessions.append((cursor, end))
    if rng.random() < 0.15:
        s = rng.uniform(19.5, 22.5)
        sessions.append((s, s + rng.uniform(0.33, 1.0)))
    return sessions


def plan_activity(cfg: Config, host: Host, tz_h: float, start_hour: float) -> None:
    """Fill ``host.sessions`` (user at work) and ``host.online`` (host reachable)."""
    window = cfg.window_s
    if host.power in (SERVER, ALWAYS_ON):
        host.online = (np.array([0.0]), np.array([window]))
    if host.is_server:
        return
    weekday0 = cfg.start_date.weekday()
    s_list, e_list, on_s, on_e = [], [], [], []
    for local_day in range(-1, cfg.days + 1):
        rng = rng_for(cfg, S_SESSION, host.index, local_day + 1)
        base = local_day * DAY_S - tz_h * HOUR_S
        day_sessions = local_day_sessions(rng, start_hour, (weekday0 + local_day) % 7)
        for a, b in day_sessions:
            s_list.append(base + a * HOUR_S)
            e_list.append(base + b * HOUR_S)
            if host.power == LAPTOP:
                on_s.append(s_list[-1] - rng.uniform(1, 5) * MINUTE_S)
                on_e.append(e_list[-1] + rng.uniform(2, 15) * MINUTE_S)
        if host.power == OFFICE and day_sessions:
            on_s.append(base + day_sessions[0][0] * HOUR_S - rng.uniform(5, 20) * MINUTE_S)
            on_e.append(base + max(b for _, b in day_sessions) * HOUR_S + rng.uniform(5, 40) * 60)
    host.sessions = clip_intervals(*merge_intervals(np.array(s_list), np.array(e_list)), 0, window)
    if host.power != ALWAYS_ON:
        host.online = clip_intervals(*merge_intervals(np.array(on_s), np.array(on_e)), 0, window)


def build_fleet(cfg: Config, world: World) -> list[Host]:
    """Hosts of every tenant with roles, habits and activity intervals."""
    fleet: list[Host] = []
    n_sites = len(world.site_reg)
    for tenant, size in enumerate(tenant_sizes(cfg.hosts, cfg.tenants)):
        rng = rng_for(cfg, S_FLEET, tenant)
        n_srv = max(1, round(0.1 * size))
        power = np.r_[
            np.full(n_srv, SERVER),
            rng.choice([LAPTOP, OFFICE, ALWAYS_ON], size - n_srv, p=[0.5, 0.25, 0.25]),
        ]
        for k in range(size):
            index = len(fleet)
            hr = rng_for(cfg, S_HOST, index)
            kind = "srv" if power[k] == SERVER else ("lt" if power[k] == LAPTOP else "ws")
            favs = np.unique(draw(hr, world.site_cdf, 25))
            extra = hr.integers(0, n_sites, 6)
            favs = np.unique(np.r_[favs, extra])
            hr.shuffle(favs)
            dual = hr.random() < 0.7
            host = Host(
                index=index,
                host_id=f"tn{tenant + 1:02d}-{kind}-{k + 1:04d}",
                tenant=tenant,
                power=int(power[k]),
                activity=float(hr.lognormal(-0.125, 0.5)),
                p_aaaa=float(hr.uniform(0.6, 0.95) if dual else 0.05),
                p_https=float(hr.uniform(0.3, 0.6) if hr.random() < 0.4 else 0.0),
                favourites=favs,
                fav_cdf=zipf_cdf(len(favs), 0.8),
                domain_member=bool(power[k] == SERVER or hr.random() < 0.9),
            )
            tz = TZ_OFFSETS_H[tenant % len(TZ_OFFSETS_H)]
            plan_activity(cfg, host, tz, float(hr.uniform(7.0, 9.5)))
            fleet.append(host)
    return fleet


# --------------------------------------------------------------------------------------------
# Event buffers


@dataclass
class Events:
    """Column buffers of DNS events; ``t`` in seconds from the window start."""

    t: list[np.ndarray] = field(default_factory=list)
    host: list[np.ndarray] = field(default_factory=list)
    name: list[np.ndarray] = field(default_factory=list)
    qtype: list[np.ndarray] = field(default_factory=list)
    rcode: list[np.ndarray] = field(default_factory=list)
    cat: list[np.ndarray] = field(default_factory=list)

    def add(self, t: np.ndarray, host: Any, name: Any, qtype: Any, rcode: Any, cat: Any) -> None:
        """Append rows; scalar columns are broadcast to ``len(t)``."""
        n = len(t)
        if n == 0:
            return
        self.t.append(np.asarray(t, dtype=np.float64))
        for buf, value, dtype in (
            (self.host, host, np.int32),
            (self.name, name, np.int32),
            (self.qtype, qtype, np.int8),
            (self.rcode, rcode, np.int8),
            (self.cat, cat, np.int8),
        ):
            buf.append(np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy())

    def arrays(self) -> dict[str, np.ndarray]:
        """Concatenated columns (empty arrays when nothing was added)."""
        cols = {
            "t": (self.t, np.float64),
            "host": (self.host, np.int32),
            "name": (self.name, np.int32),
            "qtype": (self.qtype, np.int8),
            "rcode": (self.rcode, np.int8),
            "cat": (self.cat, np.int8),
        }
        return {k: np.concatenate(v) if v else np.zeros(0, d) for k, (v, d) in cols.items()}


def emit(
    ev: Events,
    rng: np.random.Generator,
    beats: np.ndarray,
    host: int,
    names: Any,
    *,
    qtype: int = Q_A,
    rcode: int = R_OK,
    cat: int = CAT["c2"],
    p_second: float = 0.0,
    second_qtype: int = Q_AAAA,
    p_retry: float = 0.0,
) -> None:
    """Queries of ``beats``: one per beat, a second type within 50 ms (``p_second``), and a
    retry of the same query 0.1–0.9 s later (``p_retry``)."""
    names = np.broadcast_to(np.asarray(names, dtype=np.int32), beats.shape)
    ev.add(beats, host, names, qtype, rcode, cat)
    two = rng.random(len(beats)) < p_second
    ev.add(
        beats[two] + rng.uniform(0.001, 0.05, two.sum()), host, names[two], second_qtype, rcode, cat
    )
    retry = rng.random(len(beats)) < p_retry
    ev.add(beats[retry] + rng.uniform(0.1, 0.9, retry.sum()), host, names[retry], qtype, rcode, cat)


# --------------------------------------------------------------------------------------------
# Timers


def intervals(
    rng: np.random.Generator, n: int, period: float, jitter: float, model: str
) -> np.ndarray:
    """``n`` inter-beat gaps (s) under a jitter model (see the module docstring)."""
    if model == "uniform":
        gaps = period * (1 + rng.uniform(-jitter, jitter, n))
    elif model == "sleep_reduction":
        gaps = period * (1 - rng.uniform(0, jitter, n))
    elif model == "gaussian":
        gaps = period * (1 + rng.normal(0, jitter / math.sqrt(3), n))
    elif model == "additive":  # jitter = mean client delay as a fraction of the period
        gaps = period + rng.exponential(jitter * period, n)
    else:
        gaps = np.full(n, period)
    return np.maximum(gaps, 0.1 * period)


def renewal(
    rng: np.random.Generator, start: float, end: float, period: float, jitter: float, model: str
) -> np.ndarray:
    """Beat times in [start, end): the first at ``start``, then gaps from ``intervals``."""
    if end <= start:
        return np.zeros(0)
    chunks, last = [np.array([start])], start
    while last < end:
        n = int((end - last) / period * 1.3) + 8
        t = last + np.cumsum(intervals(rng, n, period, jitter, model))
        chunks.append(t)
        last = t[-1]
    t = np.concatenate(chunks)
    return t[t < end]


def clock_aligned(
    rng: np.random.Generator, start: float, end: float, period: float, phase: float, noise: float
) -> np.ndarray:
    """Phase-locked timer k·period + phase in [start, end) plus a small positive delay (s)."""
    k0 = math.ceil((start - phase) / period)
    t = phase + period * np.arange(k0, math.ceil((end - phase) / period) + 1)
    t = t + np.abs(rng.normal(0, noise, len(t)))
    return t[(t >= start) & (t < end)]


def timer_in_intervals(
    rng: np.random.Generator,
    intervals_: tuple[np.ndarray, np.ndarray],
    period: float,
    jitter: float,
    model: str,
    first_delay: float,
) -> np.ndarray:
    """A software timer restarted (after up to ``first_delay`` s) in every active interval."""
    out = [
        renewal(rng, s + rng.uniform(0, first_delay), e, period, jitter, model)
        for s, e in zip(*intervals_, strict=True)
    ]
    return np.concatenate(out) if out else np.zeros(0)


def implant_beats(
    rng: np.random.Generator,
    host: Host,
    start: float,
    end: float,
    period: float,
    jitter: float,
    model: str,
    drop: float,
) -> tuple[np.ndarray, float]:
    """Wall-clock beats of an implant: scheduled by ``renewal``, lost while the host is offline
    or dropped with probability ``drop``; one beat 0–30 s after each wake that follows a lost
    beat. Returns (beat times, missing share of scheduled beats)."""
    sched = renewal(rng, start, end, period, jitter, model)
    on = inside(sched, *host.online)
    kept = on & (rng.random(len(sched)) >= drop)
    starts = host.online[0]
    wake_idx = np.unique(np.searchsorted(starts, sched[~on], side="left"))
    wake_idx = wake_idx[wake_idx < len(starts)]
    wake = starts[wake_idx] + rng.uniform(0, 30, len(wake_idx))
    wake = wake[(wake >= start) & (wake < end)]
    missing = 1.0 - kept.sum() / len(sched) if len(sched) else 0.0
    return np.sort(np.r_[sched[kept], wake]), float(missing)


# --------------------------------------------------------------------------------------------
# Ground truth


@dataclass
class Truth:
    """Ground-truth rows under construction."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        cfg: Config,
        host: Host,
        beats: np.ndarray,
        *,
        label: str,
        category: str,
        query_name: str,
        registered_domain: str,
        period: float,
        jitter: float,
        model: str,
        missing: float = 0.0,
        subdomain: bool = False,
        shape: str = "",
        other_names: Sequence[str] = (),
    ) -> None:
        """One row per channel with beats; times from ``beats`` (s from window start)."""
        if len(beats) == 0:
            return
        t0 = dt.datetime.combine(cfg.start_date, dt.time())
        self.rows.append(
            {
                "tenant_id": tenant_id(host.tenant),
                "host_id": host.host_id,
                "label": label,
                "category": category,
                "shape": shape,
                "query_name": query_name,
                "registered_domain": registered_domain,
                "other_names": ";".join(other_names),
                "period_seconds": round(float(period), 3),
                "jitter": round(float(jitter), 4),
                "jitter_model": model,
                "n_beats": len(beats),
                "missing_share": round(float(missing), 4),
                "subdomain_per_beat": "true" if subdomain else "false",
                "first_seen_at": (t0 + dt.timedelta(seconds=float(beats.min()))).isoformat(
                    timespec="seconds"
                ),
                "last_seen_at": (t0 + dt.timedelta(seconds=float(beats.max()))).isoformat(
                    timespec="seconds"
                ),
            }
        )


def tenant_id(tenant: int) -> str:
    """Tenant identifier as written to the events."""
    return f"tn{tenant + 1:02d}"


def registered(name: str) -> str:
    """eTLD+1 of a name this generator made (it knows its own two-label suffixes)."""
    labels = name.split(".")
    if name.endswith(".in-addr.arpa"):
        return ".".join(labels[-3:])
    two_level = len(labels) >= 3 and ".".join(labels[-2:]) in ("co.uk", "com.au")
    return ".".join(labels[-3:] if two_level else labels[-2:])


# --------------------------------------------------------------------------------------------
# Benign periodic channels


def benign_periodic(
    cfg: Config, world: World, fleet: list[Host], vocab: Vocab, ev: Events, truth: Truth
) -> None:
    """Vendor agents, TTL apps, niche apps, monitoring agents, directory and PTR timers."""
    rng = rng_for(cfg, S_BENIGN)
    words = unique_words(rng, 20, set(world.site_reg) | {r.split(".")[0] for r in world.taken})
    window = cfg.window_s
    workstations = [h for h in fleet if not h.is_server]
    servers = [h for h in fleet if h.is_server]

    def name_of(host_part: str, word: str, tld: str, ttl: float) -> tuple[str, int]:
        name = f"{host_part}.{word}.{tld}"
        world.taken.add(registered(name))
        return name, vocab.add(name, ttl)

    # vendor_agent: fleet-wide, every tenant, from day one.
    agents = [
        ("telemetry", words[0], "com", 3600.0, 0.1, "uniform"),
        ("checkin", words[1], "net", 900.0, 0.0, "clock"),
        ("update", words[2], "com", 14400.0, 0.2, "sleep_reduction"),
    ]
    for a, (pre, word, tld, period, jitter, model) in enumerate(agents):
        name, code = name_of(pre, word, tld, 300.0)
        coverage = rng.uniform(0.8, 0.95)
        for host in fleet:
            hr = rng_for(cfg, S_BENIGN, 1, a, host.index)
            if hr.random() >= coverage:
                continue
            if model == "clock" and host.power in (SERVER, ALWAYS_ON):
                beats = clock_aligned(hr, 0, window, period, hr.uniform(0, period), 0.05)
            elif model == "clock":
                beats = timer_in_intervals(hr, host.online, period, 0.0, "none", 60.0)
            else:
                beats = timer_in_intervals(hr, host.online, period, jitter, model, period)
            emit(ev, hr, beats, host.index, code, cat=CAT["vendor_agent"], p_second=host.p_aaaa)
            truth.add(
                cfg,
                host,
                beats,
                label="benign_periodic",
                category="vendor_agent",
                query_name=name,
                registered_domain=registered(name),
                period=period,
                jitter=jitter,
                model="none" if model == "clock" else model,
            )

    # ttl_app: collaboration apps re-resolving every TTL while the user works.
    for a, (pre, word, tld, ttl) in enumerate(
        [
            ("presence", words[3], "com", 300.0),
            ("edge", words[4], "io", 600.0),
            ("sync", words[5], "net", 900.0),
        ]
    ):
        name, code = name_of(pre, word, tld, ttl)
        coverage = rng.uniform(0.4, 0.8)
        for host in workstations:
            hr = rng_for(cfg, S_BENIGN, 2, a, host.index)
            if hr.random() >= coverage or len(host.sessions[0]) == 0:
                continue
            delay = hr.uniform(0.3, 2.0) / ttl
            beats = timer_in_intervals(hr, host.sessions, ttl, delay, "additive", 120.0)
            emit(ev, hr, beats, host.index, code, cat=CAT["ttl_app"], p_second=host.p_aaaa)
            truth.add(
                cfg,
                host,
                beats,
                label="benign_periodic",
                category="ttl_app",
                query_name=name,
                registered_domain=registered(name),
                period=ttl,
                jitter=delay,
                model="additive",
            )

    # niche_app: small-vendor desktop apps on 1–2 workstations of one tenant.
    niche_tlds = ("de", "io", "co.uk", "net", "com", "fr", "nl")
    for a in range(max(2, round(cfg.hosts / 45))):
        word = words[6 + a % 14] + ("" if a < 14 else str(a))
        name, code = name_of(
            rng.choice(["api", "sync", "license", "gw"]),
            word,
            niche_tlds[a % len(niche_tlds)],
            300.0,
        )
        ttl = float(rng.choice([300, 600, 900, 1800, 3600]))
        tenant = int(rng.integers(cfg.tenants))
        pool = [h for h in workstations if h.tenant == tenant and len(h.sessions[0])]
        for pick in rng.permutation(len(pool))[: int(rng.integers(1, 3))]:
            host = pool[pick]
            hr = rng_for(cfg, S_BENIGN, 3, a, host.index)
            delay = hr.uniform(0.5, 3.0) / ttl
            beats = timer_in_intervals(hr, host.sessions, ttl, delay, "additive", 300.0)
            emit(ev, hr, beats, host.index, code, cat=CAT["niche_app"], p_second=host.p_aaaa)
            truth.add(
                cfg,
                host,
                beats,
                label="benign_periodic",
                category="niche_app",
                query_name=name,
                registered_domain=registered(name),
                period=ttl,
                jitter=delay,
                model="additive",
            )

    # monitoring_agent: rare vendor names on servers, exact timers 24/7.
    monitors = [name_of("collect", f"{w}mon", "net", 60.0) for w in words[:4]]
    for i, host in enumerate(servers):
        hr = rng_for(cfg, S_BENIGN, 4, host.index)
        if i > 0 and hr.random() >= 0.7:
            continue
        name, code = monitors[int(hr.integers(len(monitors)))]
        period = float(hr.choice([60, 120, 300]))
        if hr.random() < 0.5:
            beats = clock_aligned(hr, 0, window, period, hr.uniform(0, period), 0.02)
            jitter, model = 0.0, "none"
        else:
            beats = renewal(hr, hr.uniform(0, period), window, period, 0.05, "uniform")
            jitter, model = 0.05, "uniform"
        emit(ev, hr, beats, host.index, code, cat=CAT["monitoring_agent"])
        truth.add(
            cfg,
            host,
            beats,
            label="benign_periodic",
            category="monitoring_agent",
            query_name=name,
            registered_domain=registered(name),
            period=period,
            jitter=jitter,
            model=model,
        )

    # directory: DC locator SRV lookups on domain members.
    for host in fleet:
        if not host.domain_member or len(host.online[0]) == 0:
            continue
        hr = rng_for(cfg, S_BENIGN, 5, host.index)
        corp = world.corp_domain[host.tenant]
        name = f"_ldap._tcp.dc._msdcs.{corp}"
        code = vocab.add(name, 600.0)
        period = float(hr.uniform(5400, 7200))
        beats = timer_in_intervals(hr, host.online, period, 0.05, "uniform", 120.0)
        emit(ev, hr, beats, host.index, code, qtype=Q_SRV, cat=CAT["directory"])
        truth.add(
            cfg,
            host,
            beats,
            label="benign_periodic",
            category="directory",
            query_name=name,
            registered_domain=registered(corp),
            period=period,
            jitter=0.05,
            model="uniform",
        )

    # reverse_lookup: hourly PTR on about half the servers.
    for i, host in enumerate(servers):
        hr = rng_for(cfg, S_BENIGN, 6, host.index)
        if i > 0 and hr.random() >= 0.5:
            continue
        octets = [int(hr.integers(1, 255)) for _ in range(4)]
        name = ".".join(str(o) for o in reversed(octets)) + ".in-addr.arpa"
        code = vocab.add(name, 3600.0)
        beats = clock_aligned(hr, 0, window, 3600.0, hr.uniform(0, 3600), 0.02)
        rcode = R_NX if hr.random() < 0.3 else R_OK
        emit(ev, hr, beats, host.index, code, qtype=Q_PTR, rcode=rcode, cat=CAT["reverse_lookup"])
        truth.add(
            cfg,
            host,
            beats,
            label="benign_periodic",
            category="reverse_lookup",
            query_name=name,
            registered_domain=registered(name),
            period=3600.0,
            jitter=0.0,
            model="none",
        )


# --------------------------------------------------------------------------------------------
# C2 channels


@dataclass
class C2Context:
    """What every C2 shape needs: config, names, hosts, buffers and the hosts already used."""

    cfg: Config
    world: World
    fleet: list[Host]
    vocab: Vocab
    ev: Events
    truth: Truth
    rng: np.random.Generator
    used: set[int] = field(default_factory=set)

    def pick_hosts(self, ok: Any, n: int, tenant: int | None = None) -> list[Host]:
        """Up to ``n`` unused hosts passing ``ok``, all of one tenant."""
        pool = [h for h in self.fleet if h.index not in self.used and ok(h) and len(h.online[0])]
        if tenant is None and pool:
            tenant = pool[int(self.rng.integers(len(pool)))].tenant
        pool = [h for h in pool if h.tenant == tenant]
        chosen = [pool[i] for i in self.rng.permutation(len(pool))[:n]]
        self.used.update(h.index for h in chosen)
        return chosen


def fresh_names(rng: np.random.Generator, n: int, zone: str, style: str, length: int) -> list[str]:
    """``n`` fresh ``<label>.<zone>`` names (hex or base32 labels, split at 50 chars)."""
    labels = random_labels(rng, n, length, HEX if style == "hex" else BASE32)
    if length > 50:
        labels = [f"{x[: length // 2]}.{x[length // 2 :]}" for x in labels]
    return [f"{x}.{zone}" for x in labels]


def c2_classic(c: C2Context, k: int) -> None:
    """One-name implant on 1–2 hosts (see the module docstring for the parameters)."""
    rng = rng_for(c.cfg, S_C2, 1, k)
    reg = dga_domain(rng, c.world.taken) if rng.random() < 0.4 else plain_domain(rng, c.world.taken)
    subdomain = rng.random() < 0.3
    if subdomain:
        zone = reg if rng.random() < 0.6 else f"{rng.choice(['ns', 'd', 'q'])}.{reg}"
        if rng.random() < 0.5:
            style, length = "hex", int(rng.integers(8, 17))
        else:
            style, length = "b32", int(rng.integers(16, 41))
        query_name = zone
    else:
        prefix = rng.choice(["", "www.", "api.", "cdn.", "mail."])
        query_name = f"{prefix}{reg}"
    period = float(np.exp(rng.uniform(math.log(60), math.log(3600))))
    model = str(
        rng.choice(["none", "uniform", "sleep_reduction", "gaussian"], p=[0.12, 0.38, 0.3, 0.2])
    )
    jitter = 0.0 if model == "none" else float(rng.uniform(0.05, 0.5))
    qtype = Q_TXT if rng.random() < 0.2 else Q_A
    p_second = 0.0 if rng.random() < 0.6 else 1.0
    rcode = R_NX if rng.random() < 0.1 else R_OK
    p_retry = float(rng.uniform(0, 0.05))
    server_ok = rng.random() < 0.2
    hosts = c.pick_hosts(lambda h: h.is_server == server_ok, 1 if rng.random() < 0.75 else 2)
    for host in hosts:
        hr = rng_for(c.cfg, S_C2, 1, k, host.index)
        drop = 0.0 if hr.random() < 0.4 else float(hr.uniform(0.02, 0.3))
        start = 0.0 if hr.random() < 0.5 else float(hr.uniform(0, 0.3) * c.cfg.window_s)
        beats, missing = implant_beats(hr, host, start, c.cfg.window_s, period, jitter, model, drop)
        if subdomain:
            names: np.ndarray | int = c.vocab.add_many(
                fresh_names(hr, len(beats), zone, style, length), 60.0
            )
        else:
            names = c.vocab.add(query_name, 60.0)
        second = Q_AAAA if qtype == Q_A else Q_TXT
        emit(
            c.ev,
            hr,
            beats,
            host.index,
            names,
            qtype=qtype,
            rcode=rcode,
            p_second=p_second,
            second_qtype=second,
            p_retry=p_retry,
        )
        c.truth.add(
            c.cfg,
            host,
            beats,
            label="c2",
            category="c2",
            shape="classic",
            query_name=query_name,
            registered_domain=reg,
            period=period,
            jitter=jitter,
            model=model,
            missing=missing,
            subdomain=subdomain,
        )


def c2_rotation(c: C2Context, k: int) -> None:
    """One implant spreading its beats over 3–8 unrelated domains on distinct TLDs."""
    rng = rng_for(c.cfg, S_C2, 2, k)
    n = int(rng.integers(3, 9))
    tlds = rng.choice(C2_TLDS, size=n, replace=False)
    domains = []
    for tld in tlds:
        if rng.random() < 0.6:
            domains.append(plain_domain(rng, c.world.taken, str(tld)))
        else:
            base = dga_domain(rng, c.world.taken)
            domains.append(base.rsplit(".", 1)[0] + f".{tld}")
            c.world.taken.add(domains[-1])
    period = float(np.exp(rng.uniform(math.log(60), math.log(900))))
    jitter = float(rng.uniform(0.2, 0.4))
    round_robin = rng.random() < 0.5
    for host in c.pick_hosts(lambda h: not h.is_server, 1):
        hr = rng_for(c.cfg, S_C2, 2, k, host.index)
        drop = float(hr.uniform(0, 0.1))
        beats, missing = implant_beats(
            hr, host, 0.0, c.cfg.window_s, period, jitter, "uniform", drop
        )
        codes = c.vocab.add_many(domains, 60.0)
        which = np.arange(len(beats)) % n if round_robin else hr.integers(0, n, len(beats))
        emit(c.ev, hr, beats, host.index, codes[which], p_second=host.p_aaaa, p_retry=0.02)
        c.truth.add(
            c.cfg,
            host,
            beats,
            label="c2",
            category="c2",
            shape="rotation",
            query_name=domains[0],
            registered_domain=domains[0],
            period=period,
            jitter=jitter,
            model="uniform",
            missing=missing,
            other_names=domains[1:],
        )


def c2_slow(c: C2Context, k: int) -> None:
    """One name every 2–8 h ± 10–30 % over the whole window on an always-on host."""
    rng = rng_for(c.cfg, S_C2, 3, k)
    reg = plain_domain(rng, c.world.taken) if rng.random() < 0.5 else dga_domain(rng, c.world.taken)
    period = float(rng.uniform(2, 8) * HOUR_S)
    jitter = float(rng.uniform(0.1, 0.3))
    model = "uniform" if rng.random() < 0.6 else "sleep_reduction"
    for host in c.pick_hosts(lambda h: h.power in (SERVER, ALWAYS_ON), 1):
        hr = rng_for(c.cfg, S_C2, 3, k, host.index)
        start = float(hr.uniform(0, period))
        beats, missing = implant_beats(hr, host, start, c.cfg.window_s, period, jitter, model, 0.0)
        emit(c.ev, hr, beats, host.index, c.vocab.add(reg, 300.0), p_retry=0.05)
        c.truth.add(
            c.cfg,
            host,
            beats,
            label="c2",
            category="c2",
            shape="slow",
            query_name=reg,
            registered_domain=reg,
            period=period,
            jitter=jitter,
            model=model,
            missing=missing,
        )


def c2_interactive(c: C2Context, k: int) -> None:
    """A 1–3 h beat with 2–5 operator sessions (every 3–15 s for 10–40 min) in between."""
    rng = rng_for(c.cfg, S_C2, 4, k)
    reg = dga_domain(rng, c.world.taken)
    period = float(rng.uniform(1, 3) * HOUR_S)
    subdomain = rng.random() < 0.5
    for host in c.pick_hosts(lambda h: h.power != LAPTOP, 1):
        hr = rng_for(c.cfg, S_C2, 4, k, host.index)
        slow, missing = implant_beats(hr, host, 0.0, c.cfg.window_s, period, 0.2, "uniform", 0.0)
        parts = [slow]
        for s in sample_in(hr, *host.online, int(hr.integers(2, 6))):
            fast = float(hr.uniform(3, 15))
            burst = renewal(hr, s, s + hr.uniform(600, 2400), fast, 0.3, "uniform")
            parts.append(burst[inside(burst, *host.online)])
        beats = np.sort(np.concatenate(parts))
        if subdomain:
            names: np.ndarray | int = c.vocab.add_many(
                fresh_names(hr, len(beats), reg, "hex", 24), 0.0
            )
        else:
            names = c.vocab.add(f"ns1.{reg}", 0.0)
        emit(c.ev, hr, beats, host.index, names, qtype=Q_TXT, p_retry=0.01)
        c.truth.add(
            c.cfg,
            host,
            beats,
            label="c2",
            category="c2",
            shape="interactive",
            query_name=reg if subdomain else f"ns1.{reg}",
            registered_domain=reg,
            period=period,
            jitter=0.2,
            model="uniform",
            missing=missing,
            subdomain=subdomain,
        )


def c2_popular(c: C2Context, k: int) -> None:
    """A beacon to a top-20 site's name that the host (and many others) also browse."""
    rng = rng_for(c.cfg, S_C2, 5, k)
    site = int(rng.integers(0, 20))
    name = c.vocab.names[int(c.world.site_main[site])]
    period = float(rng.uniform(600, 1800))
    for host in c.pick_hosts(lambda h: h.power in (ALWAYS_ON, OFFICE), 1):
        favs = host.favourites
        host.favourites = np.r_[site, favs[favs != site]][: len(favs)]
        hr = rng_for(c.cfg, S_C2, 5, k, host.index)
        drop = float(hr.uniform(0, 0.1))
        beats, missing = implant_beats(hr, host, 0.0, c.cfg.window_s, period, 0.2, "uniform", drop)
        emit(c.ev, hr, beats, host.index, c.world.site_main[site], p_second=host.p_aaaa)
        c.truth.add(
            c.cfg,
            host,
            beats,
            label="c2",
            category="c2",
            shape="popular_domain",
            query_name=name,
            registered_domain=c.world.site_reg[site],
            period=period,
            jitter=0.2,
            model="uniform",
            missing=missing,
        )


def c2_strobe(c: C2Context, k: int) -> None:
    """A TXT tunnel: a fresh long label every 1.2–2.2 s for 1–3 h on most days."""
    rng = rng_for(c.cfg, S_C2, 6, k)
    reg = dga_domain(rng, c.world.taken)
    zone = f"t.{reg}" if rng.random() < 0.5 else reg
    period, jitter = float(rng.uniform(1.2, 2.2)), float(rng.uniform(0.2, 0.45))
    for host in c.pick_hosts(lambda h: h.power in (SERVER, ALWAYS_ON, OFFICE), 1):
        hr = rng_for(c.cfg, S_C2, 6, k, host.index)
        parts = []
        skip = hr.random(c.cfg.days) < 0.2
        skip[hr.integers(c.cfg.days)] = False
        for day in range(c.cfg.days):
            s, e = clip_intervals(*host.online, day * DAY_S, (day + 1) * DAY_S)
            long_enough = (e - s) >= 1.5 * HOUR_S
            if not long_enough.any() or skip[day]:
                continue
            s, e = s[long_enough], e[long_enough] - 1.0 * HOUR_S
            begin = float(sample_in(hr, s, e, 1)[0])
            span = min(float(hr.uniform(1, 3) * HOUR_S), (day + 1) * DAY_S - begin)
            burst = renewal(hr, begin, begin + span, period, jitter, "uniform")
            parts.append(burst[inside(burst, *host.online)])
        beats = np.concatenate(parts) if parts else np.zeros(0)
        names = c.vocab.add_many(
            fresh_names(hr, len(beats), zone, "b32", int(hr.integers(40, 61))), 0.0
        )
        emit(c.ev, hr, beats, host.index, names, qtype=Q_TXT, p_retry=0.005)
        c.truth.add(
            c.cfg,
            host,
            beats,
            label="c2",
            category="c2",
            shape="strobe",
            query_name=zone,
            registered_domain=reg,
            period=period,
            jitter=jitter,
            model="uniform",
            subdomain=True,
        )


def c2_campaign(c: C2Context) -> None:
    """One new machine-made beacon domain spreading through the smallest tenant day by day."""
    cfg = c.cfg
    if cfg.days < 2:
        return
    rng = rng_for(cfg, S_CAMPAIGN)
    tenant = cfg.tenants - 1
    first_day = int(rng.integers(1, 3)) if cfg.days >= 4 else 1
    size = sum(1 for h in c.fleet if h.tenant == tenant)
    final = max(2, round(size * rng.uniform(0.2, 0.4)))
    n_days = cfg.days - first_day
    # Cumulative infections per day: concave growth from one host to ``final``.
    shares = (np.arange(n_days) / max(1, n_days - 1)) ** 0.6
    growth = np.maximum(np.arange(1, n_days + 1), np.round(final * shares)).astype(int)
    reg = dga_domain(rng, c.world.taken, digits=True)
    name = reg if rng.random() < 0.5 else f"{rng.choice(['cdn', 'img', 'api'])}.{reg}"
    code = c.vocab.add(name, 60.0)
    period, jitter = float(rng.uniform(300, 1800)), float(rng.uniform(0.2, 0.3))
    infected = 0
    for d in range(n_days):
        day = first_day + d
        lo, hi = day * DAY_S, (day + 1) * DAY_S

        def online_today(h: Host, lo: float = lo, hi: float = hi) -> bool:
            s, e = clip_intervals(*h.online, lo, hi)
            return (e - s).sum() >= 1800

        new = c.pick_hosts(online_today, min(int(growth[d]), final) - infected, tenant)
        for host in new:
            hr = rng_for(cfg, S_CAMPAIGN, host.index)
            s, e = clip_intervals(*host.online, lo, hi)
            start = float(sample_in(hr, s, e - np.minimum(e - s, 600.0), 1)[0])
            drop = float(hr.uniform(0, 0.1))
            beats, missing = implant_beats(
                hr, host, start, cfg.window_s, period, jitter, "uniform", drop
            )
            emit(c.ev, hr, beats, host.index, code, p_second=host.p_aaaa, p_retry=0.02)
            c.truth.add(
                cfg,
                host,
                beats,
                label="c2",
                category="c2",
                shape="campaign",
                query_name=name,
                registered_domain=reg,
                period=period,
                jitter=jitter,
                model="uniform",
                missing=missing,
            )
        infected += len(new)


def plant_c2(
    cfg: Config, world: World, fleet: list[Host], vocab: Vocab, ev: Events, truth: Truth
) -> None:
    """Every C2 shape, scaled to the fleet size."""
    c = C2Context(cfg, world, fleet, vocab, ev, truth, rng_for(cfg, S_C2, 0))
    c2_campaign(c)  # first, so the campaign tenant keeps its hosts
    shapes = (
        (c2_classic, max(2, round(cfg.hosts / 30))),
        (c2_rotation, max(1, round(cfg.hosts / 75))),
        (c2_slow, max(1, round(cfg.hosts / 75))),
        (c2_interactive, max(1, round(cfg.hosts / 150))),
        (c2_popular, max(1, round(cfg.hosts / 150))),
        (c2_strobe, max(1, round(cfg.hosts / 150))),
    )
    for make, count in shapes:
        for k in range(count):
            make(c, k)


# --------------------------------------------------------------------------------------------
# Per-day background


#: Mean events (after the cache) one page load adds; calibrates ``--events-per-host-day``.
EVENTS_PER_PAGE = 11.5
#: Typical active hours of a working day.
ACTIVE_HOURS = 8.5


def browsing(cfg: Config, world: World, vocab: Vocab, host: Host, day: int, ev: Events) -> None:
    """Page loads of one host on one UTC day, before the client cache."""
    lo, hi = day * DAY_S, (day + 1) * DAY_S
    starts, ends = clip_intervals(*host.sessions, lo, hi)
    active = float((ends - starts).sum())
    if active <= 0:
        return
    rng = rng_for(cfg, S_BROWSE, host.index, day)
    rate = cfg.events_per_host_day / EVENTS_PER_PAGE / (ACTIVE_HOURS * HOUR_S)
    n_pages = int(rng.poisson(rate * active * host.activity))
    if n_pages == 0:
        return
    # Bursts: centres uniform in the sessions, pages separated by log-normal think times.
    n_bursts = max(1, int(rng.poisson(n_pages / 7.0)))
    centres = sample_in(rng, starts, ends, n_bursts)
    burst = np.sort(rng.integers(0, n_bursts, n_pages))
    think = rng.lognormal(math.log(12.0), 1.0, n_pages)
    cum = np.cumsum(think)
    first = np.r_[True, burst[1:] != burst[:-1]]
    base = np.maximum.accumulate(np.where(first, cum - think, 0.0))
    t = centres[burst] + (cum - base - think)
    t = t[inside(t, starts, ends)]
    n = len(t)
    fav = rng.random(n) < 0.45
    site = draw(rng, world.site_cdf, n)
    site[fav] = host.favourites[draw(rng, host.fav_cdf, int(fav.sum()))]
    # Main names (A, maybe HTTPS), then each site's extra names 0.05–3 s later.
    h = host.index
    main = world.site_main[site]
    ev.add(t, h, main, Q_A, R_OK, CAT["browsing"])
    https = rng.random(n) < host.p_https
    ev.add(t[https] + 0.001, h, main[https], Q_HTTPS, R_OK, CAT["browsing"])
    counts = world.extra_ptr[site + 1] - world.extra_ptr[site]
    page = np.repeat(np.arange(n), counts)
    within = np.arange(len(page)) - np.repeat(np.cumsum(counts) - counts, counts)
    codes = world.extra_codes[world.extra_ptr[site][page] + within]
    pulled = rng.random(len(codes)) < 0.85
    codes, page = codes[pulled], page[pulled]
    te = t[page] + np.minimum(rng.exponential(0.6, len(page)) + 0.05, 3.0)
    ev.add(te, h, codes, Q_A, R_OK, CAT["browsing"])
    # AAAA beside A in the same second on dual-stack hosts.
    all_t, all_codes = np.r_[t, te], np.r_[main, codes]
    six = rng.random(len(all_t)) < host.p_aaaa
    ev.add(
        all_t[six] + rng.uniform(0, 0.01, six.sum()),
        h,
        all_codes[six],
        Q_AAAA,
        R_OK,
        CAT["browsing"],
    )
    # Typos and search-suffix misses: NXDOMAIN.
    typo = rng.random(n) < 0.008
    for i in np.flatnonzero(typo):
        reg = world.site_reg[site[i]]
        j = int(rng.integers(0, max(1, reg.index("."))))
        bad = reg[:j] + reg[j + 1 :] if rng.random() < 0.5 else reg[:j] + reg[j] + reg[j:]
        if bad not in world.taken:
            ev.add(t[i : i + 1] + 1.5, h, vocab.add("www." + bad, 300.0), Q_A, R_NX, CAT["typo"])
    miss = np.flatnonzero(rng.random(n) < 0.004)
    corp = world.corp_domain[host.tenant]
    for i in miss:
        name = vocab.add(f"{vocab.names[int(main[i])]}.{corp}", 300.0)
        ev.add(t[i : i + 1] - 0.002, h, name, Q_A, R_NX, CAT["typo"])


def background(cfg: Config, world: World, host: Host, day: int, ev: Events) -> None:
    """Non-periodic OS (workstations, while online) or service (servers) lookups of one day."""
    lo, hi = day * DAY_S, (day + 1) * DAY_S
    starts, ends = clip_intervals(*host.online, lo, hi)
    online = float((ends - starts).sum())
    if online <= 0:
        return
    rng = rng_for(cfg, S_BG, host.index, day)
    if host.is_server:
        pool = world.server_pool[host.tenant]
        n = int(rng.poisson(rng.uniform(15, 50) * online / HOUR_S))
        codes = pool[rng.integers(0, len(pool), n)]
        cat = CAT["server_background"]
    else:
        n = int(rng.poisson(rng.uniform(10, 40) * online / HOUR_S))
        codes = world.os_pool[draw(rng, world.os_cdf, n)]
        cat = CAT["os_background"]
    t = sample_in(rng, starts, ends, n)
    ev.add(t, host.index, codes, Q_A, R_OK, cat)
    six = rng.random(n) < host.p_aaaa
    ev.add(t[six] + 0.003, host.index, codes[six], Q_AAAA, R_OK, cat)
    fail = np.flatnonzero(rng.random(n) < 0.002)  # a SERVFAIL, retried 0.5 s later
    ev.add(t[fail] - 0.5, host.index, codes[fail], Q_A, R_FAIL, cat)


def client_cache(cols: dict[str, np.ndarray], ttl_by_name: np.ndarray) -> np.ndarray:
    """Mask of queries a stub cache lets through: a (host, name, type) repeat within the TTL of
    the last query that went out is answered locally. NXDOMAIN is cached for 300 s, SERVFAIL
    not at all."""
    n = len(cols["t"])
    if n == 0:
        return np.zeros(0, dtype=bool)
    key = (cols["host"].astype(np.int64) * len(ttl_by_name) + cols["name"]) * len(QTYPES)
    key += cols["qtype"]
    order = np.lexsort((cols["t"], key))
    k, t = key[order], cols["t"][order]
    rcode = cols["rcode"][order]
    ttl = np.where(rcode == R_NX, 300.0, ttl_by_name[cols["name"][order]])
    ttl = np.where(rcode == R_FAIL, 1e-6, np.maximum(ttl, 1e-6))  # failures are not cached
    new = np.r_[True, k[1:] != k[:-1]]
    group = np.cumsum(new) - 1
    t_us = np.round((t - t.min()) * 1e6).astype(np.int64)
    span = np.int64(1 << 38)
    v = group * span + t_us
    nxt = np.searchsorted(v, v + np.round(ttl * 1e6).astype(np.int64), side="left")
    keep = np.zeros(n, dtype=bool)
    frontier = np.flatnonzero(new)
    while frontier.size:
        keep[frontier] = True
        nx = nxt[frontier]
        ok = nx < n
        nx, frontier = nx[ok], frontier[ok]
        frontier = nx[group[nx] == group[frontier]]
    out = np.zeros(n, dtype=bool)
    out[order] = keep
    return out


# --------------------------------------------------------------------------------------------
# Writing

SCHEMA = pa.schema(
    [
        ("event_time", pa.timestamp("us")),
        ("host_id", pa.string()),
        ("query_name", pa.string()),
        ("tenant_id", pa.string()),
        ("query_type", pa.string()),
        ("response_code", pa.string()),
    ]
)


def day_table(
    cfg: Config, cols: dict[str, np.ndarray], fleet: list[Host], vocab: Vocab
) -> pa.Table:
    """The events of one day as an Arrow table in the output schema, sorted by time."""
    t_us = np.round(cols["t"] * 1e6).astype(np.int64)
    order = np.lexsort((cols["qtype"], cols["name"], cols["host"], t_us))
    epoch = dt.datetime.combine(cfg.start_date, dt.time())
    base_us = int((epoch - dt.datetime(1970, 1, 1)).total_seconds()) * 1_000_000
    host_ids = pa.array([h.host_id for h in fleet], pa.string())
    tenants = pa.array([tenant_id(h.tenant) for h in fleet], pa.string())
    hosts = pa.array(cols["host"][order])
    return pa.table(
        {
            "event_time": pa.array(t_us[order] + base_us, pa.int64()).cast(pa.timestamp("us")),
            "host_id": host_ids.take(hosts),
            "query_name": pa.array(vocab.names, pa.string()).take(pa.array(cols["name"][order])),
            "tenant_id": tenants.take(hosts),
            "query_type": pa.array(QTYPES, pa.string()).take(pa.array(cols["qtype"][order])),
            "response_code": pa.array(RCODES, pa.string()).take(pa.array(cols["rcode"][order])),
        },
        schema=SCHEMA,
    )


def prepare_out(out: Path, overwrite: bool) -> None:
    """Create ``out``; with ``overwrite`` remove what an earlier run wrote there."""
    targets = [out / "events", out / "ground_truth.csv", out / "manifest.json"]
    if any(p.exists() for p in targets):
        if not overwrite:
            raise SystemExit(f"{out} already holds a scenario; pass --overwrite")
        shutil.rmtree(out / "events", ignore_errors=True)
        for p in targets[1:]:
            p.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def generate(cfg: Config, out: Path, overwrite: bool = False) -> dict[str, Any]:
    """Write one scenario to ``out``; returns the manifest."""
    prepare_out(out, overwrite)
    vocab = Vocab()
    world = build_world(cfg, vocab)
    fleet = build_fleet(cfg, world)
    periodic, truth = Events(), Truth()
    benign_periodic(cfg, world, fleet, vocab, periodic, truth)
    plant_c2(cfg, world, fleet, vocab, periodic, truth)
    timed = periodic.arrays()
    order = np.argsort(timed["t"], kind="stable")
    timed = {k: v[order] for k, v in timed.items()}
    by_category = np.zeros(len(CATEGORIES), dtype=np.int64)
    host_days, total = 0, 0
    carry = Events().arrays()  # the previous day's last hour of sent queries: the warm cache
    for day in range(cfg.days):
        ev = Events()
        for host in fleet:
            if not host.is_server:
                browsing(cfg, world, vocab, host, day, ev)
            background(cfg, world, host, day, ev)
        human = ev.arrays()
        in_day = (human["t"] >= day * DAY_S) & (human["t"] < (day + 1) * DAY_S)
        human = {k: np.r_[carry[k], v[in_day]] for k, v in human.items()}
        keep = client_cache(human, np.asarray(vocab.ttl))
        keep[: len(carry["t"])] = False
        human = {k: v[keep] for k, v in human.items()}
        recent = human["t"] >= (day + 1) * DAY_S - HOUR_S
        carry = {k: v[recent] for k, v in human.items()}
        lo, hi = np.searchsorted(timed["t"], [day * DAY_S, (day + 1) * DAY_S])
        cols = {k: np.r_[human[k], timed[k][lo:hi]] for k in human}
        by_category += np.bincount(cols["cat"], minlength=len(CATEGORIES))
        host_days += len(np.unique(cols["host"]))
        total += len(cols["t"])
        date = cfg.start_date + dt.timedelta(days=day)
        folder = out / "events" / f"event_date={date.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            day_table(cfg, cols, fleet, vocab), folder / "part-00000.parquet", compression="zstd"
        )
    gt = pd.DataFrame(truth.rows).sort_values(["tenant_id", "host_id", "label", "query_name"])
    gt.to_csv(out / "ground_truth.csv", index=False)
    manifest = {
        "generator": "independent_scenario",
        "args": {
            "hosts": cfg.hosts,
            "days": cfg.days,
            "start_date": cfg.start_date.isoformat(),
            "tenants": cfg.tenants,
            "seed": cfg.seed,
            "events_per_host_day": cfg.events_per_host_day,
        },
        "summary": {
            "host_days": int(host_days),
            "events": int(total),
            "events_by_category": {c: int(n) for c, n in zip(CATEGORIES, by_category, strict=True)},
            "hosts": len(fleet),
            "ground_truth_rows": len(gt),
            "c2_rows": int((gt["label"] == "c2").sum()),
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def parse_args(argv: Sequence[str] | None = None) -> tuple[Config, Path, bool]:
    """Command-line arguments as a ``Config``, the output folder and the overwrite flag."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--hosts", type=int, default=300)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--start-date", type=dt.date.fromisoformat, default=dt.date(2026, 3, 2))
    parser.add_argument("--tenants", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--events-per-host-day",
        type=int,
        default=2_500,
        help="browsing events on an active weekday (mean)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier scenario")
    a = parser.parse_args(argv)
    if a.hosts < 3 * a.tenants or a.days < 1 or a.tenants < 1:
        parser.error("need --days ≥ 1, --tenants ≥ 1 and at least 3 hosts per tenant")
    cfg = Config(a.hosts, a.days, a.start_date, a.tenants, a.seed, a.events_per_host_day)
    return cfg, a.out, a.overwrite


def main(argv: Sequence[str] | None = None) -> int:
    """Generate a scenario and print a one-line summary."""
    cfg, out, overwrite = parse_args(argv)
    started = time.perf_counter()
    summary = generate(cfg, out, overwrite)["summary"]
    print(
        f"{out}: {summary['events']:,} events, {summary['host_days']} host-days, "
        f"{summary['ground_truth_rows']} ground-truth rows ({summary['c2_rows']} C2) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
