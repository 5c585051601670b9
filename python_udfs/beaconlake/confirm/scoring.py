"""Turn periodicity evidence and context into a score, a severity and a plain-language reason.

``score`` in [0, 1] is "how likely is this a C2 beacon": the periodicity score times the
domain's rarity in its tenant, so a vendor keep-alive on most hosts ranks below a rare beacon of
the same regularity. ``severity`` starts from the score and moves with what an analyst weighs:
a known-C2 domain is critical, a domain first seen in the window is raised, a known-good one is
lowered to info.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from beaconlake.confirm.periodicity import Periodicity

SEVERITIES = ("info", "low", "medium", "high", "critical")
#: Lowest score of each severity before adjustments (info below the first).
SEVERITY_FLOORS = {"low": 0.25, "medium": 0.4, "high": 0.6}
#: Periodicity score at or above which a candidate counts as a confirmed periodic series.
CONFIRM_THRESHOLD = 0.4
#: A domain first seen this recently (seconds before the window's end) counts as new.
NEW_DOMAIN_S = 7 * 86_400


@dataclass(frozen=True)
class Context:
    """What the warehouse knows about a candidate besides its event times."""

    tenant_hosts: int  # hosts of the tenant active in the window
    domain_hosts: int  # of those, hosts that queried the domain
    first_seen_at: float | None = None  # epoch seconds the tenant first queried the domain
    known_c2_family: str | None = None
    known_good_reason: str | None = None


def rarity(domain_hosts: int, tenant_hosts: int) -> float:
    """1 for a domain one host queries, 0 for one that every host queries (log scale)."""
    if domain_hosts <= 1:
        return 1.0
    scale = math.log10(max(tenant_hosts, 10))
    return float(min(1.0, max(0.0, 1.0 - math.log10(domain_hosts) / scale)))


def severity(score: float, ctx: Context, window_end: float) -> str:
    level = 0
    for i, name in enumerate(SEVERITIES[1:4], start=1):
        if score >= SEVERITY_FLOORS[name]:
            level = i
    if ctx.known_c2_family:
        return "critical"
    if ctx.known_good_reason:
        return "info"
    if level >= 1 and _is_new(ctx, window_end):
        level = min(level + 1, 3)
    return SEVERITIES[level]


def _is_new(ctx: Context, window_end: float) -> bool:
    return ctx.first_seen_at is not None and window_end - ctx.first_seen_at <= NEW_DOMAIN_S


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _first_seen_text(ctx: Context, window_start: float, window_end: float) -> str:
    if ctx.first_seen_at is None:
        return ""
    age_days = (window_end - ctx.first_seen_at) / 86_400
    if ctx.first_seen_at >= window_start:
        return ", domain first seen in this window"
    if age_days <= NEW_DOMAIN_S / 86_400:
        return f", domain first seen {age_days:.0f} days ago"
    return f", domain known for {age_days:.0f} days"


def reason(p: Periodicity, ctx: Context, window_start: float, window_end: float) -> str:
    """One sentence an analyst can read, e.g. "every 49.7 min ± 28 %, 57 beats over 2 days, ..."."""
    days = (window_end - window_start) / 86_400
    span = (
        f"{days:.0f} day{'s' if round(days) != 1 else ''}"
        if days >= 1
        else _duration(window_end - window_start)
    )
    text = (
        f"every {_duration(p.period_seconds)} ± {p.jitter:.0%}, {p.n_beats:,} beats over {span}"
        f", {ctx.domain_hosts:,} of {ctx.tenant_hosts:,} hosts"
    )
    if p.missing_share >= 0.1:
        text += f", {p.missing_share:.0%} of beats missing"
    text += _first_seen_text(ctx, window_start, window_end)
    if ctx.known_c2_family:
        text += f"; known C2 ({ctx.known_c2_family})"
    if ctx.known_good_reason:
        text += f"; known good ({ctx.known_good_reason})"
    return text


def score_candidate(
    p: Periodicity, ctx: Context, window_start: float, window_end: float
) -> dict[str, object]:
    """Score, severity, reason and every sub-score of one candidate as a flat record."""
    rare = rarity(ctx.domain_hosts, ctx.tenant_hosts)
    score = p.periodicity_score * rare
    return {
        **p.as_dict(),
        "rarity": rare,
        "score": score,
        "is_confirmed": p.periodicity_score >= CONFIRM_THRESHOLD,
        "severity": severity(score, ctx, window_end),
        "reason": reason(p, ctx, window_start, window_end),
    }
