"""Turn periodicity evidence and context into a score, a severity and a plain-language reason.

``score`` in [0, 1] is "how likely is this a C2 beacon": the periodicity score times the
domain's rarity in its tenant (a vendor keep-alive on most hosts ranks below a rare beacon of
the same regularity), times what else is known about the series and its name. Each of those
factors is a piece of ``Evidence`` that the reason spells out:

- lowering: beats that come with other sites' names (a page load or an application's burst;
  an implant's call-home comes alone), a period just above the name's answer TTL from the log,
  or without one a common DNS TTL (a client re-resolving an expired cache entry), or a
  clock-exact period, on an ordinary name (the stronger of the two counts, they describe the
  same agent-like timing; on a random-looking name neither is benign), more so when the name is
  a candidate in other tenants too (a vendor's agent polling in every customer's network), a series
  that stops and restarts during the day at a period a DNS cache allows (an application used
  while its user works), the same name beaconing from many hosts of the tenant (a fleet-wide
  agent), a local or internal name (reverse lookups, mDNS, single labels, service records,
  internal zones: these never reach an outside C2 server and are never above low unless known
  C2);
- raising: a machine-made (DGA-like) name, random per-query subdomain labels, many distinct
  names under one registered domain, NXDOMAIN answers, tunnel-friendly query types (TXT, NULL,
  CNAME, MX, ...), a top-level domain favoured by abuse, rotation over several domains.

A spreading campaign (a domain new in the tenant, regular on more and more hosts, see
``int_dns_campaign_domains``) is neither a fleet-wide agent nor common: its rarity counts no
hosts and the reason names how far it has spread.

On a popular domain (``regular_on_popular_domain`` candidates) rarity counts the hosts whose
series on it is regular, not the hosts that browse it, when the series is sustained (half a
day, 24 beats, few missing): one host beaconing to a name most hosts browse is rare behaviour,
one user browsing it regularly for an hour is not.

``severity`` starts from the score: a known-C2 domain is critical, a domain first seen in the
window is raised one step, a known-good one is info, a local name at most low.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from beaconlake.confirm.lexical import Lexical, lexical
from beaconlake.confirm.periodicity import COMMON_TTLS, Periodicity, cache_window
from beaconlake.confirm.settings import Settings, project_settings
from beaconlake.domains import registered_domain
from beaconlake.errors import ConfigError
from beaconlake.project import project_vars

#: The severity scale, lowest first (a severity's rank is its index): var severities, the one
#: list SQL reads too.
SEVERITIES: tuple[str, ...] = tuple(project_vars()["severities"])
#: The rank of the lowest severity that alerts (the queue's floor): var alert_min_severity_rank,
#: as in SQL.
ALERT_SEVERITY_RANK: int = int(project_vars()["alert_min_severity_rank"])
#: That severity by name.
ALERT_SEVERITY: str = SEVERITIES[ALERT_SEVERITY_RANK]


def severity_rank(severity: str) -> int:
    """The rank of ``severity`` on the scale (0 = info), or ConfigError naming the scale."""
    if severity not in SEVERITIES:
        raise ConfigError(f"unknown severity {severity!r}: one of {', '.join(SEVERITIES)}")
    return SEVERITIES.index(severity)


#: Hosts of one tenant that may beacon to one name before it looks like a fleet-wide agent
#: (C2 families in the wild and in the simulator sit on one to three hosts).
FLEET_FREE_HOSTS = 3
#: Breaks a day (beyond a night) at which a series counts as used in sessions.
SESSION_BREAKS_PER_DAY = 2.0
#: Restarts a day from which a series has a working-hours shape (it stops and starts daily).
DAILY_RESTARTS = 0.5
#: Share of queries at or above which NXDOMAIN answers / tunnel query types count as evidence.
NXDOMAIN_SHARE = 0.2
TUNNEL_SHARE = 0.5
#: Distinct query names per beat above which a registered domain gets fresh names per query.
NAMES_PER_BEAT = 0.5
#: Jitter (uniform convention) at or below which a period counts as clock-exact.
CLOCK_JITTER = 0.075
#: Cache-refresh factor on an ordinary name that many hosts use or that runs in sessions, on a
#: rare ordinary name running around the clock, and on a random-looking name.
CACHE_FACTOR_SHARED, CACHE_FACTOR_RARE, CACHE_FACTOR_RANDOM = 0.5, 0.65, 0.8
CLOCK_FACTOR = 0.6
#: A clock-exact period on an ordinary name that is a candidate in other tenants too, and not a
#: spreading campaign, is a vendor's agent: the same product polling in several networks.
VENDOR_FACTOR = 0.4
#: A series whose beats come with another site's answered name at least this often, and this
#: much more often than a random moment of its host, rides on browsing or an application's
#: traffic (a page brings its other names); an implant's call-home comes alone.
COMPANY_SHARE, COMPANY_EXCESS, COMPANY_FACTOR = 0.8, 0.4, 0.3
#: Fewest beats checked for company before the share counts.
COMPANY_MIN_BEATS = 10
#: A series regular on a popular domain takes its rarity from the regular hosts only when it is
#: sustained: this many beats, over this long (first to last beat), with few beats missing.
#: A user browsing a popular site looks regular for an hour or two (12-20 beats, a third of
#: them missing); a beacon hidden there keeps its schedule around the clock.
POPULAR_MIN_BEATS = 24
POPULAR_MIN_LIFETIME_S = 12 * 3600.0
POPULAR_MAX_MISSING = 0.2
#: DGA-likeness (``lexical``) from which a name counts as machine-made.
DGA_LIKENESS = 0.5
#: MITRE ATT&CK (Enterprise) techniques a finding's evidence can support: DNS itself carrying
#: the traffic (names made per query, random labels, tunnel-friendly types), a tunnel (names made
#: per query and tunnel-friendly types together), machine-made names.
ATTACK_DNS, ATTACK_TUNNEL, ATTACK_DGA = "T1071.004", "T1572", "T1568.002"
#: One scored candidate as a flat record, a row of the findings: numbers, flags and texts by
#: column name (see ``score_candidate``).
Record = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """What the warehouse knows about a candidate besides its event times."""

    tenant_hosts: int  # hosts of the tenant active in the window
    domain_hosts: int  # of those, hosts that queried the domain
    first_seen_at: float | None = None  # epoch seconds the tenant first queried the domain
    known_c2_family: str | None = None
    known_good_reason: str | None = None
    domain: str | None = None  # the query name or registered domain the series is keyed on
    domain_level: str | None = None  # "query_name" or "registered_domain"
    candidate_hosts: int = 1  # hosts of the tenant for which this domain is a candidate
    candidate_tenants: int = 1  # tenants (this one included) in which it is a candidate
    n_queries: int | None = None  # queries in the window (NXDOMAIN and type shares need it)
    n_nxdomain: int | None = None
    n_tunnel_type_queries: int | None = None  # TXT, NULL, CNAME, MX, SRV, ANY, KEY
    n_query_names: int | None = None  # distinct names under a registered domain (max per day)
    #: the name's answer TTL from the log (seconds; the longest of the window's days), None when
    #: the log has none: the cache-refresh evidence then guesses a common TTL
    answer_ttl_seconds: float | None = None
    rotates_with: tuple[str, ...] = ()  # other domains of its rotation, scored as one series
    #: hosts of the tenant whose series on the domain is regular (None when not known)
    regular_hosts: int | None = None
    on_popular_domain: bool = False  # a candidate because it is regular on a popular domain
    #: hosts a campaign spreading on the domain has reached (None when it is not one)
    campaign_hosts: int | None = None
    campaign_since: float | None = None  # epoch seconds the tenant first queried its domain
    #: beats checked for company (another site's answered name within seconds) and those with it
    company_probe_beats: int | None = None
    company_beats: int | None = None
    host_company_rate: float | None = None  # the same chance at a random moment of the host


@dataclass(frozen=True)
class Evidence:
    """One reason to move the score: a multiplier and the phrase that explains it."""

    factor: float
    text: str


def rarity(domain_hosts: int, tenant_hosts: int) -> float:
    """1 for a domain one host queries, 0 for one that every host queries (log scale)."""
    if domain_hosts <= 1:
        return 1.0
    scale = math.log10(max(tenant_hosts, 10))
    return float(min(1.0, max(0.0, 1.0 - math.log10(domain_hosts) / scale)))


def sustained_on_popular_domain(p: Periodicity, ctx: Context) -> bool:
    """Whether a candidate regular on a popular domain keeps a beacon's schedule (see
    ``POPULAR_MIN_BEATS``): then its rarity counts the regular hosts, not the browsing ones."""
    return (
        ctx.on_popular_domain
        and bool(ctx.regular_hosts)
        and p.n_beats >= POPULAR_MIN_BEATS
        and p.lifetime_seconds >= POPULAR_MIN_LIFETIME_S
        and p.missing_share < POPULAR_MAX_MISSING
    )


def _rarity_hosts(p: Periodicity, ctx: Context) -> int:
    """Hosts rarity counts: none before a spreading campaign (its domain is new, it reached
    the hosts it is on), those regular on a popular domain, else those querying it."""
    if ctx.campaign_hosts:
        return 1
    if sustained_on_popular_domain(p, ctx):
        return min(int(ctx.regular_hosts or 1), ctx.domain_hosts)
    return ctx.domain_hosts


def evidence(p: Periodicity, ctx: Context, lex: Lexical | None) -> list[Evidence]:
    """Everything besides periodicity and rarity that moves the score, strongest first."""
    out: list[Evidence] = []
    known_c2 = bool(ctx.known_c2_family)
    if lex is not None and lex.local and not known_c2:
        out.append(Evidence(0.5, f"local name: {lex.local}, capped at low"))
    if ctx.campaign_hosts:
        since = "" if ctx.campaign_since is None else " since " + _day(ctx.campaign_since)
        text = (
            f"campaign: {ctx.campaign_hosts:,} of {ctx.tenant_hosts:,} hosts{since}, a new "
            "domain reaching host after host"
        )
        out.append(Evidence(1.0, text))
    elif ctx.candidate_hosts > FLEET_FREE_HOSTS:
        out.append(
            Evidence(
                FLEET_FREE_HOSTS / ctx.candidate_hosts,
                f"beacons from {ctx.candidate_hosts} hosts of the tenant (a fleet-wide agent)",
            )
        )
    random_name = lex is not None and lex.random_looking
    fresh_names = _fresh_names(p, ctx)
    sessions = p.gaps_per_day >= SESSION_BREAKS_PER_DAY
    cached_period = p.period_seconds >= COMMON_TTLS[0]
    timing = _timing_evidence(p, ctx, random_name, fresh_names, lex)
    if timing is not None:
        out.append(timing)
    if sessions and cached_period:
        out.append(
            Evidence(
                0.7,
                f"stops and restarts {p.gaps_per_day:.0f} times a day (an application in use)",
            )
        )
    elif sessions:
        text = (
            f"runs in sessions ({p.gaps_per_day:.0f} a day) polling faster than any DNS cache "
            "expires (not an application re-resolving its server)"
        )
        out.append(Evidence(1.0, text))
    if sustained_on_popular_domain(p, ctx):
        text = (
            f"regular on a popular domain: {ctx.regular_hosts:,} of {ctx.tenant_hosts:,} hosts "
            f"beacons, {ctx.domain_hosts:,} browse"
        )
        out.append(Evidence(1.0, text))
    elif ctx.on_popular_domain:
        out.append(Evidence(1.0, "regular on a popular domain only briefly (rarity from browsing)"))
    company = company_evidence(ctx)
    if company is not None:
        out.append(company)
    if ctx.rotates_with:
        text = (
            f"rotates over {len(ctx.rotates_with) + 1} domains with "
            + ", ".join(sorted(ctx.rotates_with))
            + " (scored as one series)"
        )
        out.append(Evidence(1.0, text))
    if lex is not None:
        if lex.dga >= DGA_LIKENESS:
            out.append(
                Evidence(
                    1.0 + 0.3 * lex.dga, f"machine-made-looking name (DGA-likeness {lex.dga:.2f})"
                )
            )
        if lex.random_subdomain:
            out.append(Evidence(1.2, "random-looking subdomain label"))
        if lex.abused_tld:
            out.append(Evidence(1.1, f"often-abused TLD .{lex.tld}"))
    if fresh_names:
        out.append(Evidence(1.2, f"{ctx.n_query_names:,} distinct names (a fresh one per query)"))
    if ctx.n_queries:
        nx = (ctx.n_nxdomain or 0) / ctx.n_queries
        tunnel = _tunnel_type_share(ctx)
        if nx >= NXDOMAIN_SHARE and not (lex is not None and lex.local):
            out.append(Evidence(1.15, f"{nx:.0%} NXDOMAIN"))
        if tunnel >= TUNNEL_SHARE:
            out.append(Evidence(1.2, f"{tunnel:.0%} TXT/NULL/CNAME/MX-type queries"))
    return out


def _fresh_names(p: Periodicity, ctx: Context) -> bool:
    """Many distinct names under one registered domain: a fresh one per query."""
    return (
        ctx.domain_level == "registered_domain"
        and (ctx.n_query_names or 0) / max(p.n_beats, 1) >= NAMES_PER_BEAT
    )


def _tunnel_type_share(ctx: Context) -> float:
    return (ctx.n_tunnel_type_queries or 0) / ctx.n_queries if ctx.n_queries else 0.0


def attack_techniques(p: Periodicity, ctx: Context, lex: Lexical | None) -> tuple[str, ...]:
    """The ATT&CK technique ids the same evidence as the reason supports (see ``ATTACK_DNS``).
    A periodic lookup alone supports none: the beacon may talk over any protocol; nor does a
    local or internal name, which never reaches an outside server."""
    if lex is not None and lex.local:
        return ()
    data_in_names = _fresh_names(p, ctx) or (lex is not None and lex.random_subdomain)
    tunnel_types = _tunnel_type_share(ctx) >= TUNNEL_SHARE
    found = []
    if data_in_names or tunnel_types:
        found.append(ATTACK_DNS)
    if data_in_names and tunnel_types:
        found.append(ATTACK_TUNNEL)
    if lex is not None and lex.dga >= DGA_LIKENESS:
        found.append(ATTACK_DGA)
    return tuple(found)


def beacon_key(ctx: Context) -> tuple[str, str]:
    """What one beacon is, across windows and both domain levels: its kind ("rotation",
    "campaign" or "domain") and its key, the registered domain, or a rotation's registered
    domains in order joined by " + "."""
    names = (ctx.domain or "", *ctx.rotates_with)
    registered = sorted({registered_domain(n) or n for n in names})
    if ctx.rotates_with and len(registered) > 1:
        return "rotation", " + ".join(registered)
    return ("campaign" if ctx.campaign_hosts else "domain"), registered[0]


def company_evidence(ctx: Context) -> Evidence | None:
    """Beats that come with other sites' names (see ``COMPANY_SHARE``), or None."""
    if not ctx.company_probe_beats or ctx.company_probe_beats < COMPANY_MIN_BEATS:
        return None
    share = (ctx.company_beats or 0) / ctx.company_probe_beats
    base = ctx.host_company_rate if ctx.host_company_rate is not None else 1.0
    if share < COMPANY_SHARE or share - base < COMPANY_EXCESS:
        return None
    text = (
        f"other sites' names answered within seconds of {share:.0%} of its beats (of a random "
        f"moment of the host: {base:.0%}): part of browsing or an application, not a lone "
        "call-home"
    )
    return Evidence(COMPANY_FACTOR, text)


def _timing_evidence(
    p: Periodicity,
    ctx: Context,
    random_name: bool,
    fresh_names: bool,
    lex: Lexical | None,
) -> Evidence | None:
    """Agent-like timing, at most one factor: a cache refresh and a clock-exact period describe
    the same benign agent, so the stronger counts and both are named.

    A cache refresh (intervals just above a common TTL) is strong evidence for a name that many
    hosts use or that stops and restarts daily (working hours), weaker for a rare name running
    around the clock and weak for a random-looking name (it needs the same name again; a fresh
    name per query cannot be cached at all). A clock-exact period is what agents do on an
    ordinary name; on a random-looking name, an abused TLD or fresh names it is what an implant
    does, so it does not lower the score.

    When the log carries the name's answer TTL, the cache refresh is judged against it: the
    period within its cache window (``periodicity.cache_window``: at least the TTL, at most the
    TTL plus a client delay) and the lowest tenth of the intervals not below it. The common-TTL
    guesses then never count: a period that merely looks like a common TTL is not a cache
    refresh when the log says the TTL is another.
    """
    found: list[Evidence] = []
    if random_name:
        refresh_factor = CACHE_FACTOR_RANDOM
    elif ctx.domain_hosts > FLEET_FREE_HOSTS or p.gaps_per_day >= DAILY_RESTARTS:
        refresh_factor = CACHE_FACTOR_SHARED
    else:
        refresh_factor = CACHE_FACTOR_RARE
    busy_factor = CACHE_FACTOR_RANDOM if random_name else CACHE_FACTOR_SHARED
    ttl = ctx.answer_ttl_seconds
    if ttl is not None:
        floor, ceiling = cache_window(ttl)
        above_ttl = ttl > 0 and p.interval_floor_seconds >= floor
        if above_ttl and floor <= p.period_seconds <= ceiling and not fresh_names:
            text = f"period ≈ answer TTL {ttl:.0f} s plus a client delay (a cache refresh)"
            found.append(Evidence(refresh_factor, text))
        elif (
            above_ttl
            and p.interval_floor_seconds <= ceiling
            and _rarity_hosts(p, ctx) > FLEET_FREE_HOSTS
        ):
            text = (
                f"intervals never below answer TTL {ttl:.0f} s on a name "
                f"{ctx.domain_hosts:,} hosts query (a busy client's cache refresh)"
            )
            found.append(Evidence(busy_factor, text))
    elif p.ttl_seconds and not fresh_names:
        text = f"period ≈ DNS TTL {p.ttl_seconds:.0f} s plus a client delay (a cache refresh)"
        found.append(Evidence(refresh_factor, text))
    elif p.ttl_bound_seconds and _rarity_hosts(p, ctx) > FLEET_FREE_HOSTS:
        text = (
            f"intervals never below DNS TTL {p.ttl_bound_seconds:.0f} s on a name "
            f"{ctx.domain_hosts:,} hosts query (a busy client's cache refresh)"
        )
        found.append(Evidence(busy_factor, text))
    if p.jitter <= CLOCK_JITTER and p.period_seconds >= 30:
        if random_name:
            found.append(Evidence(1.0, "clock-exact period on a random-looking name"))
        elif not (fresh_names or (lex is not None and lex.abused_tld)):
            text = "clock-exact period and an ordinary name (agents poll like this)"
            found.append(Evidence(CLOCK_FACTOR, text))
            if ctx.candidate_tenants > 1 and ctx.campaign_hosts is None:
                others = ctx.candidate_tenants - 1
                text = (
                    f"the same in {others} other tenant{'s' if others > 1 else ''} "
                    "(a vendor's agent)"
                )
                found.append(Evidence(VENDOR_FACTOR, text))
    if not found:
        return None
    return Evidence(min(e.factor for e in found), "; ".join(e.text for e in found))


def severity(
    score: float, ctx: Context, window_end: float, settings: Settings, local: bool = False
) -> str:
    level = 0
    for i, name in enumerate(SEVERITIES[1:4], start=1):
        if score >= settings.severity_floors[name]:
            level = i
    if ctx.known_c2_family:
        return "critical"
    if ctx.known_good_reason:
        return "info"
    if level >= 1 and _is_new(ctx, window_end, settings):
        level = min(level + 1, 3)
    if local:
        level = min(level, 1)
    return SEVERITIES[level]


def _is_new(ctx: Context, window_end: float, settings: Settings) -> bool:
    return (
        ctx.first_seen_at is not None
        and window_end - ctx.first_seen_at <= settings.new_domain_seconds
    )


def _day(epoch_seconds: float) -> str:
    """The UTC date of an epoch time, ``2026-03-04``."""
    return dt.datetime.fromtimestamp(epoch_seconds, dt.UTC).date().isoformat()


def duration_text(seconds: float) -> str:
    """A duration as reasons write it: ``65 s``, ``50.0 min``, ``3.7 h``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def jitter_text(jitter: float) -> str:
    """A relative jitter as reasons write it: ``± 30%``."""
    return f"± {jitter:.0%}"


def period_text(period_seconds: float | None, jitter: float | None) -> str:
    """A schedule as reasons write it: ``every 50.0 min ± 30%``, ``every 65 s`` without a
    jitter, ``no period`` without a period."""
    if period_seconds is None or not math.isfinite(period_seconds) or period_seconds <= 0:
        return "no period"
    text = f"every {duration_text(period_seconds)}"
    if jitter is not None and math.isfinite(jitter):
        text += f" {jitter_text(jitter)}"
    return text


def _first_seen_text(
    ctx: Context, window_start: float, window_end: float, settings: Settings
) -> str:
    if ctx.first_seen_at is None:
        return ""
    age_days = (window_end - ctx.first_seen_at) / 86_400
    if ctx.first_seen_at >= window_start:
        return ", domain first seen in this window"
    if age_days <= settings.new_domain_days:
        return f", domain first seen {age_days:.0f} days ago"
    return f", domain known for {age_days:.0f} days"


def _shape_text(p: Periodicity, window_start: float, window_end: float) -> str:
    """24/7, working-hours-like, or a short stretch of the window."""
    window = window_end - window_start
    if p.judged_seconds > 1.05 * p.lifetime_seconds:
        return (
            f", a short series: active {duration_text(p.lifetime_seconds)}, judged over "
            f"{duration_text(p.judged_seconds)} of its host's activity"
        )
    if p.lifetime_seconds < 0.5 * window:
        return f", active {duration_text(p.lifetime_seconds)} of the window"
    if p.gaps_per_day < 1.0 and p.continuity >= 0.8:
        return ", continuous (no breaks)"
    return ""


def reason(
    p: Periodicity,
    ctx: Context,
    window_start: float,
    window_end: float,
    found: list[Evidence] | None = None,
    settings: Settings | None = None,
) -> str:
    """One sentence an analyst can read, e.g. "every 49.7 min ± 28%, 57 beats over 2 days, ..."."""
    days = (window_end - window_start) / 86_400
    span = (
        f"{days:.0f} day{'s' if round(days) != 1 else ''}"
        if days >= 1
        else duration_text(window_end - window_start)
    )
    text = (
        f"{period_text(p.period_seconds, p.jitter)}, {p.n_beats:,} beats over {span}"
        f", {ctx.domain_hosts:,} of {ctx.tenant_hosts:,} hosts"
    )
    if p.missing_share >= 0.1:
        text += f", {p.missing_share:.0%} of beats missing"
    text += _shape_text(p, window_start, window_end)
    text += _first_seen_text(ctx, window_start, window_end, settings or project_settings())
    if found:
        text += "; " + "; ".join(e.text for e in found)
    if ctx.known_c2_family:
        text += f"; known C2 ({ctx.known_c2_family})"
    if ctx.known_good_reason:
        text += f"; known good ({ctx.known_good_reason})"
    return text


def score_candidate(
    p: Periodicity,
    ctx: Context,
    window_start: float,
    window_end: float,
    settings: Settings | None = None,
) -> Record:
    """Score, severity, reason and every sub-score of one candidate as a flat record
    (``settings``: the run's tunables; the project's defaults when None)."""
    settings = settings or project_settings()
    rare = rarity(_rarity_hosts(p, ctx), ctx.tenant_hosts)
    lex = lexical(ctx.domain) if ctx.domain else None
    found = evidence(p, ctx, lex)
    factor = math.prod(e.factor for e in found)
    score = float(min(1.0, p.periodicity_score * rare * factor))
    local = lex is not None and lex.local is not None
    return {
        **p.as_dict(),
        "rarity": rare,
        "score": score,
        "is_confirmed": p.periodicity_score >= settings.confirm_min_periodicity,
        "severity": severity(score, ctx, window_end, settings, local=local),
        "reason": reason(p, ctx, window_start, window_end, found, settings),
        "dga_likeness": lex.dga if lex is not None else None,
        "attack_techniques": ",".join(attack_techniques(p, ctx, lex)) or None,
        **dict(zip(("beacon_kind", "beacon_key"), beacon_key(ctx), strict=True)),
    }
