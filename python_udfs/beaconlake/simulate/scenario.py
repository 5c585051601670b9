"""What a simulated dataset contains: population, benign services and planted C2 beacons.

A :class:`Scenario` is built from CLI options or from a TOML scenario file (keys mirror the
fields below; ``[[beacon]]`` and ``[[service]]`` tables list channels explicitly).

Benign periodic services carry a ``category`` the evaluator reports flags for (``ttl_app``,
``niche_app``, ``vendor_telemetry``, ``monitoring_agent``, ``directory``, ``local_discovery``,
...); C2 beacons carry a ``shape`` it reports recall for (``classic``, ``rotation``,
``popular_domain``, ``interactive``, ``strobe``, ``slow``, ``campaign``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from beaconlake.errors import ConfigError
from beaconlake.simulate.timing import JITTER_MODELS
from beaconlake.simulate.vocab import niche_app_names

#: Defaults of the random C2 mix: each beacon draws one value from each list.
DEFAULT_PERIODS = (15.0, 60.0, 300.0, 900.0, 1800.0, 3000.0, 3600.0, 7200.0, 21600.0)
DEFAULT_JITTERS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.8)
DEFAULT_MODELS = ("uniform", "sleep_reduction", "gaussian", "additive")
DEFAULT_DROP_PROBS = (0.0, 0.0, 0.1, 0.25)

#: C2 shapes: ``classic`` is one schedule to one name; the others are the hard cases.
SHAPES = ("classic", "rotation", "popular_domain", "interactive", "strobe", "slow", "campaign")
#: Lexical styles of generated C2 names (see ``vocab.c2_domain``); ``any`` draws one;
#: ``unrelated`` is for rotations only (``vocab.unrelated_domains``).
NAME_STYLES = ("any", "dga", "plain", "hyphen", "lookalike", "unrelated")
#: How a rotating implant picks each beat's name among its ``domains``.
ROTATION_ORDERS = ("random", "round_robin")
#: Fewest simulated days a ``campaign`` needs: first seen on day 2 or 3, spreading afterwards.
CAMPAIGN_MIN_DAYS = 3
#: Share of the tenant's workstations a ``campaign`` reaches when ``spread_share`` is not set.
DEFAULT_SPREAD_SHARE = 0.3
#: Query types a channel may use; beats of an ``A`` channel may add an ``AAAA`` companion.
CHANNEL_QUERY_TYPES = ("A", "AAAA", "TXT", "SRV", "PTR", "NULL", "HTTPS", "MX", "CNAME")
#: Answer TTLs (seconds) of C2 names: short, as on cheap hosting and fast-flux set-ups.
C2_TTLS_S = (60.0, 120.0, 180.0, 300.0)
#: Answer TTL of a timer-driven service's name unless it sets one (capped at its period).
SERVICE_TTL_S = 60.0


@dataclass(frozen=True)
class BeaconSpec:
    """One C2 family: a schedule run by an implant on ``hosts`` hosts of one tenant."""

    name: str
    period_seconds: float
    jitter: float = 0.0
    jitter_model: str = "uniform"
    drop_prob: float = 0.0
    offline_at_night: bool = False
    queries_per_beat: int = 1
    subdomain_per_beat: bool = False
    hosts: int = 1
    query_name: str | None = None
    registered_domain: str | None = None
    #: One of ``SHAPES``. ``rotation`` spreads beats over ``domains`` names (look-alike, or
    #: unrelated with ``name_style = "unrelated"``); ``popular_domain`` beacons to a name many
    #: hosts browse; ``interactive`` and ``strobe`` poll every ``period_seconds`` only within
    #: sessions (below); ``slow`` is a classic schedule with an hours-long period, labelled
    #: apart; ``campaign`` spreads to ``spread_share`` of one tenant's workstations, host after
    #: host from day 2 or 3 (``hosts`` is then unused).
    shape: str = "classic"
    domains: int = 1
    query_type: str = "A"
    name_style: str = "any"
    #: NXDOMAIN lookups of fresh DGA names before each beat (a DGA walking its candidates).
    dga_decoys: int = 0
    #: Sessions (operator at work, tunnel open): mean count per day and mean length in minutes;
    #: 0 sessions per day means the schedule runs over the whole window.
    sessions_per_day: float = 0.0
    session_minutes: float = 0.0
    #: Period outside sessions (the implant's long sleep), 0 for silence; jitter as above.
    sleep_seconds: float = 0.0
    #: A rotation's choice of each beat's name: ``random`` or ``round_robin``.
    rotation_order: str = "random"
    #: ``campaign``: share of the tenant's workstations infected by the last day (0 < x <= 1;
    #: 0 means ``DEFAULT_SPREAD_SHARE``).
    spread_share: float = 0.0
    #: TTL (seconds) of the C2 name's answers; 0 draws one of ``C2_TTLS_S``, independently of
    #: the schedule (a ``popular_domain`` beacon's name keeps its site's TTL).
    ttl_seconds: float = 0.0

    def __post_init__(self) -> None:
        _check_channel(self.name, self.period_seconds, self.jitter, self.jitter_model)
        _check_query_type(self.name, self.query_type)
        if self.ttl_seconds < 0:
            raise ConfigError(f"beacon {self.name}: ttl_seconds must be >= 0")
        if self.shape not in SHAPES:
            raise ConfigError(f"beacon {self.name}: shape must be one of {', '.join(SHAPES)}")
        if self.name_style not in NAME_STYLES:
            raise ConfigError(f"beacon {self.name}: name_style must be one of {NAME_STYLES}")
        if not 1 <= self.domains <= 10 or (self.domains > 1 and self.query_name):
            raise ConfigError(f"beacon {self.name}: domains must be 1..10, generated names only")
        if self.name_style == "unrelated" and self.domains < 2:
            raise ConfigError(f"beacon {self.name}: name_style unrelated needs domains >= 2")
        if self.rotation_order not in ROTATION_ORDERS:
            raise ConfigError(f"beacon {self.name}: rotation_order must be random|round_robin")
        if not 0 <= self.spread_share <= 1:
            raise ConfigError(f"beacon {self.name}: spread_share must be in [0, 1]")
        if self.shape == "campaign" and self.spread_share == 0:
            object.__setattr__(self, "spread_share", DEFAULT_SPREAD_SHARE)
        if self.dga_decoys < 0 or self.sessions_per_day < 0 or self.sleep_seconds < 0:
            raise ConfigError(f"beacon {self.name}: negative decoys, sessions or sleep")
        if self.sessions_per_day > 0 and self.session_minutes <= 0:
            raise ConfigError(f"beacon {self.name}: sessions need session_minutes > 0")
        if not 0 <= self.drop_prob < 1:
            raise ConfigError(f"beacon {self.name}: drop_prob must be in [0, 1)")
        if not 1 <= self.queries_per_beat <= 3:
            raise ConfigError(f"beacon {self.name}: queries_per_beat must be 1, 2 or 3")
        if self.hosts < 1:
            raise ConfigError(f"beacon {self.name}: hosts must be >= 1")


@dataclass(frozen=True)
class ServiceSpec:
    """A benign periodic service on ``host_share`` of hosts (prevalent) or ``hosts`` per tenant.

    ``active`` is ``power`` (runs while the machine is on), ``work`` (only while the user works,
    like a chat client), ``session`` (while the user works, stopping for breaks, lunch and
    meetings and starting afresh after each: an application that re-resolves its server every
    DNS TTL) or ``always`` (servers and always-on machines alike).

    ``query_name`` may hold ``{tenant}`` (``tenant-01``) or ``{tenant_no}`` (``1``) for names
    internal to each tenant; with ``subdomain_per_beat`` every beat asks a fresh hash-like label
    under it (telemetry and reputation lookups). ``nxdomain_share`` of beats get NXDOMAIN.
    ``one_tenant`` puts the ``hosts`` hosts in one random tenant only (a niche application).
    ``category`` defaults to ``rare_service`` / ``prevalent_service``. ``ttl_seconds`` is the
    TTL of the name's answers; 0 means the period for a ``session`` service (it re-resolves at
    each expiry) and otherwise ``SERVICE_TTL_S`` or the period if shorter (a timer that asked
    again before its cache expired would not reach the network).
    """

    name: str
    query_name: str
    period_seconds: float
    jitter: float = 0.0
    jitter_model: str = "uniform"
    host_share: float = 0.0
    hosts: int = 0
    host_kind: str = "any"
    active: str = "power"
    queries_per_beat: int = 1
    category: str = ""
    query_type: str = "A"
    nxdomain_share: float = 0.0
    subdomain_per_beat: bool = False
    one_tenant: bool = False
    ttl_seconds: float = 0.0

    @property
    def answer_ttl_seconds(self) -> float:
        """The TTL of the name's answers (see ``ttl_seconds``)."""
        if self.ttl_seconds > 0:
            return self.ttl_seconds
        if self.active == "session":
            return self.period_seconds
        return min(SERVICE_TTL_S, self.period_seconds)

    def __post_init__(self) -> None:
        _check_channel(self.name, self.period_seconds, self.jitter, self.jitter_model)
        _check_query_type(self.name, self.query_type)
        if self.ttl_seconds < 0:
            raise ConfigError(f"service {self.name}: ttl_seconds must be >= 0")
        if self.host_kind not in ("any", "workstation", "server"):
            raise ConfigError(f"service {self.name}: host_kind must be any|workstation|server")
        if self.active not in ("power", "work", "session", "always"):
            raise ConfigError(f"service {self.name}: active must be power|work|session|always")
        if not 0 <= self.nxdomain_share <= 1:
            raise ConfigError(f"service {self.name}: nxdomain_share must be in [0, 1]")
        if not 1 <= self.queries_per_beat <= 3:
            raise ConfigError(f"service {self.name}: queries_per_beat must be 1, 2 or 3")
        if not self.category:
            object.__setattr__(
                self, "category", "rare_service" if self.hosts else "prevalent_service"
            )


def _check_channel(name: str, period: float, jitter: float, model: str) -> None:
    if period <= 0:
        raise ConfigError(f"{name}: period_seconds must be positive")
    if jitter < 0:
        raise ConfigError(f"{name}: jitter must be >= 0")
    if model not in JITTER_MODELS:
        raise ConfigError(f"{name}: jitter_model must be one of {', '.join(JITTER_MODELS)}")


def _check_query_type(name: str, query_type: str) -> None:
    if query_type not in CHANNEL_QUERY_TYPES:
        raise ConfigError(f"{name}: query_type must be one of {', '.join(CHANNEL_QUERY_TYPES)}")


#: Benign periodic services seen on most corporate fleets. Some are on the known-good list,
#: some are not (a detector must then rank them low by prevalence, not by a list).
DEFAULT_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("windows-telemetry", "v10.events.data.microsoft.com", 900, 0.1, "uniform", 0.85,
                category="vendor_telemetry"),
    ServiceSpec("windows-push", "client.wns.windows.com", 1800, 0.05, "uniform", 0.7,
                category="vendor_telemetry"),
    ServiceSpec("ntp", "time.windows.com", 3600, 0.0, "none", 0.6, queries_per_beat=2,
                category="vendor_telemetry"),
    ServiceSpec("chrome-update", "update.googleapis.com", 18000, 0.2, "uniform", 0.5,
                category="vendor_telemetry"),
    ServiceSpec("edr-telemetry", "ingest.sentinel-edr.com", 300, 0.02, "uniform", 0.95,
                category="vendor_telemetry"),
    ServiceSpec("av-definitions", "defs.avvendor-update.net", 3600, 0.5, "additive", 0.6,
                category="vendor_telemetry"),
    ServiceSpec("whatsapp", "g.whatsapp.net", 240, 0.3, "uniform", 0.15, host_kind="workstation",
                active="work", queries_per_beat=2, category="app_keepalive"),
    ServiceSpec("trusteer-rapport", "rapport.trusteer.com", 1200, 0.15, "gaussian", 0.2,
                host_kind="workstation", category="vendor_telemetry"),
    ServiceSpec("slack", "wss-primary.slack.com", 600, 0.3, "sleep_reduction", 0.4,
                host_kind="workstation", active="work", queries_per_beat=2,
                category="app_keepalive"),
    # File-reputation lookups: a fresh hash label per lookup, TXT answers, irregular timing.
    ServiceSpec("av-reputation", "rep.avcloud-lookup.net", 900, 0.8, "gaussian", 0.35,
                query_type="TXT", subdomain_per_beat=True, category="vendor_telemetry"),
)  # fmt: skip

#: Applications that hold a connection and re-resolve its name every time its DNS TTL
#: expires, while the user works: the period is the TTL plus a small client-side delay.
DEFAULT_TTL_APPS: tuple[ServiceSpec, ...] = tuple(
    ServiceSpec(
        name,
        query_name,
        ttl,
        delay_s / ttl,
        "additive",
        share,
        host_kind="workstation",
        active="session",
        queries_per_beat=per_beat,
        category="ttl_app",
    )
    for name, query_name, ttl, delay_s, share, per_beat in (
        ("outlook", "outlook.office365.com", 300, 4.0, 0.7, 2),
        ("teams", "presence.teams.microsoft.com", 60, 3.0, 0.5, 1),
        ("onedrive-sync", "g.live.com", 3600, 20.0, 0.5, 1),
        ("zoom", "zoom.us", 600, 5.0, 0.3, 1),
        ("dropbox-notify", "bolt.dropbox.com", 300, 8.0, 0.15, 1),
        ("live-news-tab", "realtime.newsfeed-live.com", 60, 2.0, 0.2, 1),
        ("gmail", "mail.google.com", 300, 5.0, 0.25, 2),
    )
)

#: Agents on servers, polling 24/7.
DEFAULT_RARE_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("monitoring-agent", "zabbix.corp-monitor.net", 60, 0.01, "uniform", hosts=2,
                host_kind="server", active="always", category="monitoring_agent"),
    ServiceSpec("backup-controller", "ctl.backupvault-cloud.com", 3600, 0.05, "uniform", hosts=1,
                host_kind="server", active="always", category="monitoring_agent"),
    ServiceSpec("metrics-agent", "intake.metrics-agent.io", 60, 0.02, "uniform", 0.8,
                host_kind="server", active="always", category="monitoring_agent"),
)  # fmt: skip

#: Windows domain members: group-policy refresh (90 min plus a random 0-30 min offset),
#: Kerberos ticket renewals and the domain controller's A record re-resolved every TTL.
DEFAULT_DIRECTORY: tuple[ServiceSpec, ...] = (
    ServiceSpec("gpo-refresh", "_ldap._tcp.dc._msdcs.corp.{tenant}.internal", 5400, 1 / 3,
                "additive", 0.9, query_type="SRV", category="directory"),
    ServiceSpec("kerberos-renew", "_kerberos._tcp.corp.{tenant}.internal", 7200, 0.2, "gaussian",
                0.9, query_type="SRV", category="directory"),
    ServiceSpec("dc-lookup", "dc01.corp.{tenant}.internal", 600, 0.05, "additive", 0.95,
                queries_per_beat=2, category="directory", ttl_seconds=600),
)  # fmt: skip

#: Names that never leave the LAN in theory and always do in practice: proxy auto-discovery
#: (usually NXDOMAIN), mDNS service browsing, NetBIOS-style single labels, reverse lookups
#: (servers resolving their gateway's PTR exactly every hour, workstations an IPv6 neighbour).
DEFAULT_LOCAL_DISCOVERY: tuple[ServiceSpec, ...] = (
    ServiceSpec("wpad", "wpad.corp.{tenant}.internal", 3600, 0.3, "additive", 0.5,
                host_kind="workstation", nxdomain_share=0.97, category="local_discovery"),
    ServiceSpec("wpad-single-label", "wpad", 1800, 0.5, "uniform", 0.1, host_kind="workstation",
                nxdomain_share=1.0, category="local_discovery"),
    ServiceSpec("mdns-googlecast", "_googlecast._tcp.local", 300, 0.1, "uniform", 0.2,
                host_kind="workstation", active="work", query_type="PTR",
                category="local_discovery"),
    ServiceSpec("mdns-printer", "_ipp._tcp.local", 3600, 0.2, "additive", 0.3,
                host_kind="workstation", query_type="PTR", category="local_discovery"),
    ServiceSpec("netbios-share", "fileserver", 900, 0.2, "uniform", 0.1, host_kind="workstation",
                nxdomain_share=1.0, category="local_discovery"),
    ServiceSpec("reverse-gateway", "1.0.{tenant_no}.10.in-addr.arpa", 3600, 0.0, "none", 0.5,
                host_kind="server", active="always", query_type="PTR",
                category="local_discovery"),
    ServiceSpec("reverse-v6-neighbour",
                "4.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.{tenant_no}.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
                1800, 0.5, "uniform", 0.3, host_kind="workstation", query_type="PTR",
                nxdomain_share=1.0, category="local_discovery"),
)  # fmt: skip

#: Every default benign periodic service, and the earlier, smaller set (``benign_mix``).
REALISTIC_SERVICES = (
    DEFAULT_SERVICES + DEFAULT_TTL_APPS + DEFAULT_RARE_SERVICES + DEFAULT_DIRECTORY
    + DEFAULT_LOCAL_DISCOVERY
)  # fmt: skip
LEGACY_SERVICES = DEFAULT_SERVICES[:9] + DEFAULT_RARE_SERVICES[:2]
BENIGN_MIXES = {"realistic": REALISTIC_SERVICES, "legacy": LEGACY_SERVICES, "none": ()}


@dataclass(frozen=True)
class Scenario:
    """Everything that determines a simulated dataset; equal scenarios give identical files."""

    hosts: int = 1_000
    days: int = 1
    start_date: dt.date = dt.date(2026, 11, 2)
    tenants: int = 3
    seed: int = 0
    events_per_host: float = 10_000.0
    server_share: float = 0.1
    n_sites: int = 20_000
    beacons: tuple[BeaconSpec, ...] = ()
    services: tuple[ServiceSpec, ...] = REALISTIC_SERVICES
    #: Niche applications (category ``niche_app``): like ``ttl_app`` but each on 1-3
    #: workstations of one tenant; this many per host of the fleet.
    niche_apps_per_host: float = 0.1

    def __post_init__(self) -> None:
        if self.hosts < 1 or self.days < 1 or self.tenants < 1:
            raise ConfigError("hosts, days and tenants must be >= 1")
        if self.niche_apps_per_host < 0:
            raise ConfigError("niche_apps_per_host must be >= 0")
        if self.tenants > min(self.hosts, 250):
            raise ConfigError("tenants must be <= hosts and <= 250")
        if not 0 <= self.server_share <= 1:
            raise ConfigError("server_share must be in [0, 1]")
        names = [b.name for b in self.beacons] + [s.name for s in self.services]
        if len(names) != len(set(names)):
            raise ConfigError("beacon and service names must be unique")

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.days)


def random_beacons(
    n: int,
    seed: int,
    periods: tuple[float, ...] = DEFAULT_PERIODS,
    jitters: tuple[float, ...] = DEFAULT_JITTERS,
    models: tuple[str, ...] = DEFAULT_MODELS,
    drop_probs: tuple[float, ...] = DEFAULT_DROP_PROBS,
    subdomain_share: float = 0.25,
    max_hosts: int = 3,
) -> tuple[BeaconSpec, ...]:
    """``n`` C2 families with parameters drawn uniformly from the given lists (seeded).

    Names get a lexical style (a third DGA-like, of which half walk 2-5 NXDOMAIN candidates
    before each beat); per-beat-subdomain families ask TXT for a third of them.
    """
    rng = np.random.default_rng([seed, 0xC2])
    out = []
    for i in range(n):
        jitter = float(rng.choice(jitters))
        model = str(rng.choice(models))
        style = str(rng.choice(["dga", "plain", "hyphen", "lookalike"], p=[0.3, 0.3, 0.2, 0.2]))
        decoys = int(rng.integers(2, 6)) if style == "dga" and rng.random() < 0.5 else 0
        subdomain = bool(rng.random() < subdomain_share)
        out.append(
            BeaconSpec(
                name=f"c2-{i:03d}",
                period_seconds=float(rng.choice(periods)),
                jitter=jitter,
                jitter_model=model if jitter > 0 else "none",
                drop_prob=float(rng.choice(drop_probs)),
                offline_at_night=bool(rng.random() < 0.3),
                queries_per_beat=int(rng.choice([1, 2, 2, 3])),
                subdomain_per_beat=subdomain,
                hosts=int(rng.integers(1, max_hosts + 1)),
                name_style=style,
                dga_decoys=decoys,
                query_type="TXT" if subdomain and rng.random() < 1 / 3 else "A",
            )
        )
    return tuple(out)


#: Client-side delay (seconds) after a TTL expires before a niche application re-resolves.
NICHE_APP_DELAYS_S = (1.0, 2.0, 5.0, 10.0)
NICHE_APP_TTLS_S = (60.0, 300.0, 300.0, 600.0, 3600.0)


def niche_apps(scenario: Scenario) -> tuple[ServiceSpec, ...]:
    """The long tail of small applications: each on 1-3 workstations of one tenant, resolving
    its back-end every DNS TTL while the user works (category ``niche_app``)."""
    n = round(scenario.niche_apps_per_host * scenario.hosts)
    rng = np.random.default_rng([scenario.seed, 0x41C])
    names = niche_app_names(rng, n)
    ttl = rng.choice(NICHE_APP_TTLS_S, n)
    delay = rng.choice(NICHE_APP_DELAYS_S, n)
    hosts = rng.choice([1, 2, 3], n, p=[0.6, 0.3, 0.1])
    per_beat = rng.choice([1, 2], n)
    return tuple(
        ServiceSpec(
            f"niche-app-{i:04d}",
            str(names[i]),
            float(ttl[i]),
            float(delay[i] / ttl[i]),
            "additive",
            hosts=int(hosts[i]),
            host_kind="workstation",
            active="session",
            queries_per_beat=int(per_beat[i]),
            category="niche_app",
            one_tenant=True,
        )
        for i in range(n)
    )


def shape_beacons(
    per_shape: int, seed: int, shapes: tuple[str, ...] = SHAPES[1:]
) -> tuple[BeaconSpec, ...]:
    """``per_shape`` C2 families of each hard shape, parameters drawn from realistic ranges.

    - ``rotation``: even-numbered families every 5-30 min, each beat to one of 3-5 look-alike
      names under different registered domains (each name alone is sparse and irregular);
      odd-numbered ones over 3-8 unrelated names (different words and top-level domains, no
      shared stem), each beat's name drawn at random or round-robin, every 1-15 min or, for a
      quarter of them, every 50-80 min (IP-check services polled by Trickbot);
    - ``popular_domain``: every 1-15 min to a name of a top site that many hosts browse;
    - ``interactive``: every 2-10 s while an operator works (sessions of 10-40 min, 1-4 a day),
      one beat every 1-4 h in between;
    - ``strobe``: a TXT or NULL tunnel asking a fresh high-entropy name every 1-2 s for hours;
    - ``slow``: every 2, 4, 8, 12 or 24 h (meant for multi-day windows);
    - ``campaign``: a new DGA-like name, every 5-30 min with 20-30 % jitter, spreading from one
      workstation on day 2 or 3 to 20-40 % of its tenant's workstations by the last day (needs
      ``CAMPAIGN_MIN_DAYS`` days; the generator skips it otherwise).
    """
    rng = np.random.default_rng([seed, 0x5AE])
    out = []
    for shape in shapes:
        if shape not in SHAPES:
            raise ConfigError(f"shape must be one of {', '.join(SHAPES)}")
        for i in range(per_shape):
            name = f"{shape.replace('_', '-')}-{i:02d}"
            jitter = float(rng.choice([0.1, 0.2, 0.3]))
            if shape == "rotation" and i % 2 == 1:
                slow = bool(rng.random() < 0.25)
                spec = BeaconSpec(
                    name,
                    float(rng.integers(3000, 4801))
                    if slow
                    else float(rng.choice([60, 120, 300, 600, 900])),
                    jitter,
                    "uniform",
                    shape=shape,
                    domains=int(rng.integers(3, 9)),
                    name_style="unrelated",
                    rotation_order=str(rng.choice(ROTATION_ORDERS)),
                    queries_per_beat=int(rng.integers(1, 3)),
                )
            elif shape == "rotation":
                spec = BeaconSpec(
                    name,
                    float(rng.choice([300, 600, 900, 1800])),
                    jitter,
                    "uniform",
                    shape=shape,
                    domains=int(rng.integers(3, 6)),
                    name_style="lookalike",
                    queries_per_beat=int(rng.integers(1, 3)),
                )
            elif shape == "popular_domain":
                spec = BeaconSpec(
                    name,
                    float(rng.choice([60, 300, 900])),
                    jitter,
                    "uniform",
                    shape=shape,
                    hosts=int(rng.integers(1, 3)),
                )
            elif shape == "interactive":
                spec = BeaconSpec(
                    name,
                    float(rng.integers(2, 11)),
                    0.2,
                    "uniform",
                    shape=shape,
                    sessions_per_day=float(rng.uniform(1, 4)),
                    session_minutes=25.0,
                    sleep_seconds=float(rng.choice([3600, 7200, 14400])),
                    name_style=str(rng.choice(["plain", "hyphen", "dga"])),
                )
            elif shape == "strobe":
                spec = BeaconSpec(
                    name,
                    float(rng.choice([1.2, 1.5, 1.8])),
                    0.15,
                    "uniform",
                    shape=shape,
                    subdomain_per_beat=True,
                    query_type=str(rng.choice(["TXT", "NULL"])),
                    sessions_per_day=1.0,
                    session_minutes=float(rng.uniform(60, 240)),
                    name_style=str(rng.choice(["plain", "dga"])),
                )
            elif shape == "slow":
                spec = BeaconSpec(
                    name,
                    float(rng.choice([7200, 14400, 28800, 43200, 86400])),
                    jitter,
                    "uniform",
                    shape=shape,
                    hosts=int(rng.integers(1, 3)),
                )
            elif shape == "campaign":
                spec = BeaconSpec(
                    name,
                    float(rng.choice([300, 600, 900, 1200, 1800])),
                    float(rng.choice([0.2, 0.25, 0.3])),
                    "uniform",
                    shape=shape,
                    name_style="dga",
                    queries_per_beat=int(rng.integers(1, 3)),
                    spread_share=round(float(rng.uniform(0.2, 0.4)), 2),
                )
            else:
                spec = BeaconSpec(name, float(rng.choice(DEFAULT_PERIODS)), jitter, "uniform")
            out.append(spec)
    return tuple(out)


def grid_beacons(
    periods: tuple[float, ...] = DEFAULT_PERIODS,
    jitters: tuple[float, ...] = DEFAULT_JITTERS,
    models: tuple[str, ...] = DEFAULT_MODELS,
    drop_probs: tuple[float, ...] = (0.0, 0.25),
    subdomain: tuple[bool, ...] = (False, True),
) -> tuple[BeaconSpec, ...]:
    """One single-host C2 family per combination: balanced buckets for evaluation."""
    out = []
    combos = itertools.product(periods, jitters, models, drop_probs, subdomain)
    for i, (period, jitter, model, drop, sub) in enumerate(combos):
        if jitter == 0 and model != models[0]:
            continue  # without jitter every model is the same schedule
        out.append(
            BeaconSpec(
                name=f"c2-{i:04d}",
                period_seconds=period,
                jitter=jitter,
                jitter_model=model if jitter > 0 else "none",
                drop_prob=drop,
                queries_per_beat=1 + i % 3,
                subdomain_per_beat=sub,
            )
        )
    return tuple(out)


def load_scenario(path: Path, **overrides: Any) -> Scenario:
    """Read a TOML scenario file; ``overrides`` that are not None win over the file."""
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read scenario {path}: {exc}") from exc
    try:
        return _scenario_of(path, raw, overrides)
    except TypeError as exc:  # a key a beacon or service does not have, a value of a wrong type
        raise ConfigError(f"scenario {path}: {exc}") from exc


def _scenario_of(path: Path, raw: dict[str, Any], overrides: dict[str, Any]) -> Scenario:
    beacons = tuple(BeaconSpec(**b) for b in raw.pop("beacon", []))
    services_raw = raw.pop("service", None)
    mix = raw.pop("benign_mix", None)
    per_shape = raw.pop("shape_beacons", 0)
    shapes = tuple(raw.pop("c2_shapes", SHAPES[1:]))
    known = {f.name for f in fields(Scenario)}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"scenario {path}: unknown keys {sorted(unknown)}")
    if "start_date" in raw and isinstance(raw["start_date"], str):
        raw["start_date"] = dt.date.fromisoformat(raw["start_date"])
    scenario = Scenario(**raw, beacons=beacons)
    if mix is not None:
        scenario = replace(scenario, services=benign_services(mix))
    if services_raw is not None:
        extra = tuple(ServiceSpec(**s) for s in services_raw)
        scenario = replace(scenario, services=(scenario.services if mix else ()) + extra)
    if per_shape:
        planted = shape_beacons(per_shape, scenario.seed, shapes)
        scenario = replace(scenario, beacons=scenario.beacons + planted)
    return replace(scenario, **{k: v for k, v in overrides.items() if v is not None})


def benign_services(mix: str) -> tuple[ServiceSpec, ...]:
    """The default benign periodic services of a mix: ``realistic``, ``legacy`` or ``none``."""
    if mix not in BENIGN_MIXES:
        raise ConfigError(f"benign_mix must be one of {', '.join(BENIGN_MIXES)}")
    return BENIGN_MIXES[mix]


__all__ = [
    "CAMPAIGN_MIN_DAYS",
    "DEFAULT_SERVICES",
    "REALISTIC_SERVICES",
    "SHAPES",
    "BeaconSpec",
    "Scenario",
    "ServiceSpec",
    "benign_services",
    "grid_beacons",
    "load_scenario",
    "niche_apps",
    "random_beacons",
    "shape_beacons",
]
