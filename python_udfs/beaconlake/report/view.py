"""One incident as the report shows it, and how its numbers read as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from beaconlake.confirm.scoring import SEVERITIES

#: What a beacon is: one domain, a rotation over several, a campaign over hosts, a slow one.
KINDS = ("domain", "rotation", "campaign", "slow")
#: An incident's place in the analyst's workflow.
STATUSES = ("new", "changed", "open", "benign", "malicious", "snoozed")

_EPOCH = dt.datetime(1970, 1, 1)


# eq=False: the beats are an array, which neither compares to a bool nor hashes
@dataclass(frozen=True, eq=False)
class IncidentView:
    """Everything the report shows of one incident. Times are UTC (naive datetimes are UTC);
    ``beats`` are epoch seconds within the evidence window."""

    incident_id: str  # stable id, e.g. 16 hex characters
    tenant_id: str
    host_id: str
    beacon_kind: str  # one of KINDS
    beacon_key: str  # registered domain, or for a rotation "a.com + b.net + c.org"
    domains: tuple[str, ...]  # rotation members; the domain(s) otherwise
    hosts: tuple[str, ...]  # a campaign's hosts in the tenant; else just host_id
    severity: str  # one of SEVERITIES
    status: str  # one of STATUSES
    score: float
    period_seconds: float | None
    jitter: float | None  # relative: 0.3 is "period ± 30%"
    first_seen: dt.datetime
    last_seen: dt.datetime
    window_start: dt.datetime  # evidence window
    window_end: dt.datetime
    reason: str  # the full reason, never truncated
    attack_techniques: tuple[str, ...]  # ATT&CK ids, e.g. ("T1071.004",)
    beats: np.ndarray
    #: for a rotation, the member domain of each beat (as long as ``beats``)
    beat_domains: tuple[str, ...] | None = None


def epoch_seconds(moment: dt.datetime) -> float:
    """Seconds since 1970 of a UTC time (a naive datetime is taken as UTC)."""
    if moment.tzinfo is not None:
        return moment.timestamp()
    return (moment - _EPOCH).total_seconds()


def time_text(moment: dt.datetime) -> str:
    """``2026-11-03 14:05`` in UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M")


def severity_rank(severity: str) -> int:
    """0 for info to 4 for critical; -1 for a severity the scale does not know."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def queue_order(incidents: Sequence[IncidentView]) -> list[IncidentView]:
    """Most severe first, then the higher score, then the latest seen, then by id."""
    return sorted(
        incidents,
        key=lambda i: (
            -severity_rank(i.severity),
            -i.score if np.isfinite(i.score) else 0.0,
            -epoch_seconds(i.last_seen),
            i.incident_id,
        ),
    )


def beat_series(incident: IncidentView) -> tuple[np.ndarray, np.ndarray | None]:
    """The finite beat times in time order and, when ``beat_domains`` has one per beat, the
    member domain of each (else None)."""
    beats = np.asarray(incident.beats, dtype=float).ravel()
    names = incident.beat_domains
    labels = np.asarray(names, dtype=object) if names and len(names) == len(beats) else None
    keep = np.isfinite(beats)
    order = np.argsort(beats[keep], kind="stable")
    return beats[keep][order], (labels[keep][order] if labels is not None else None)
