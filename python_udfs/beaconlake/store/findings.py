"""Reads of what a run publishes: the findings and incidents marts, the alert queue, the event
counts, and what the replay and the evaluation look up about one domain or in one table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd

from beaconlake.errors import BeaconlakeError, InputError
from beaconlake.store import (
    FINDINGS_TABLE,
    ClientWarehouse,
    Days,
    Warehouse,
    date_literal,
    in_days,
)

#: The columns of ``fct_beacon_findings`` that ``query_findings`` returns unless told others.
FINDINGS_LIST_COLUMNS = (
    "tenant_id", "host_id", "domain", "domain_level", "period_seconds", "jitter", "events",
    "score", "severity", "reason", "window_start", "window_end",
)  # fmt: skip


def read_event_counts(wh: Warehouse, window: Days) -> pd.DataFrame:
    """Raw, staged, rejected and duplicate rows per day of the window."""
    return wh.query(
        f"""
        select event_date, n_raw, n_staged, n_rejected, n_duplicates
        from {wh.relation("fct_dns_event_counts")}
        where {in_days(window)}
        order by event_date
        """
    )


def count_alerts(wh: Warehouse, window: Days) -> int:
    """Incidents in the alert queue whose latest window is exactly this one."""
    frame = wh.query(
        f"""
        select count(*) as n_alerts
        from {wh.relation("rpt_beacon_alerts")}
        where
            latest_window_start = cast({date_literal(window.start)} as timestamp)
            and latest_window_end = cast({date_literal(window.end)} as timestamp)
        """
    )
    return int(frame.n_alerts[0])


def query_incidents(
    wh: ClientWarehouse,
    min_rank: int,
    *,
    tenant: str | None,
    host: str | None,
    since: dt.datetime | None,
    closed: bool,
    limit: int,
) -> pd.DataFrame:
    """Incidents (``fct_beacon_incidents``) of severity rank ``min_rank`` or above, in the
    queue's order: new and changed first, then the most severe and best scored. Only open ones
    unless ``closed``; ``tenant``, ``host`` and ``since`` (last seen at or after) narrow them,
    bound as parameters."""
    return _read_published(
        wh,
        f"""
        select *
        from {wh.relation("fct_beacon_incidents")}
        where
            severity_rank >= ?
            and (? or is_open)
            and (cast(? as varchar) is null or tenant_id = ?)
            and (cast(? as varchar) is null or host_id = ?)
            and (cast(? as timestamp) is null or last_seen_at >= cast(? as timestamp))
        order by
            case when status in ('new', 'changed') then 0 else 1 end,
            severity_rank desc, score desc, tenant_id, host_id, beacon_key
        limit {int(limit)}
        """,
        [min_rank, closed, tenant, tenant, host, host, since, since],
    )


def query_findings(
    wh: ClientWarehouse,
    min_rank: int,
    limit: int | None,
    columns: Sequence[str] = FINDINGS_LIST_COLUMNS,
) -> pd.DataFrame:
    """Confirmed findings of severity rank ``min_rank`` or above, most severe and highest score
    first (their rank, as ``beaconlake findings --per-window`` lists them), at most ``limit``
    (None: all), with ``columns`` of ``fct_beacon_findings``."""
    unknown = [c for c in columns if not c.isidentifier()]
    if unknown:
        raise ValueError(f"not column names: {', '.join(unknown)}")
    return _read_published(
        wh,
        f"""
        select {", ".join(columns)}
        from {wh.relation("fct_beacon_findings")}
        where severity_rank >= {min_rank}
        order by severity_rank desc, score desc, tenant_id, host_id, domain
        {"" if limit is None else f"limit {int(limit)}"}
        """,
    )


def _read_published(wh: ClientWarehouse, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """A query of the published marts; a warehouse without them (no run yet, another file) is
    the user's to fix, so its error becomes one ``InputError`` line."""
    try:
        return wh.query(sql) if params is None else wh.query(sql, params)
    except BeaconlakeError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read findings: {str(exc).splitlines()[0]}") from exc


def _has_table(wh: ClientWarehouse, name: str) -> bool:
    found = wh.query("select count(*) from information_schema.tables where table_name = ?", [name])
    return bool(found.iloc[0, 0])


def read_pair_checks(wh: ClientWarehouse, host_id: str, domain: str) -> pd.DataFrame | None:
    """The candidate rule's checks (``int_dns_pairs_checked``) of one host and registered
    domain, one row per day; None when the warehouse holds no such model."""
    if not _has_table(wh, "int_dns_pairs_checked"):
        return None
    return wh.query(
        f"""
        select * from {wh.relation("int_dns_pairs_checked")}
        where host_id = ? and domain_level = 'registered_domain' and domain = ?
        order by event_date
        """,
        [host_id, domain],
    )


def read_domain_scores(wh: ClientWarehouse, host_id: str, domain: str) -> pd.DataFrame:
    """The confirmation's scores (``beacon_findings``) of one host and registered domain."""
    return wh.query(
        f"""
        select
            period_seconds, jitter, beats, score, severity, reason, is_confirmed,
            periodicity_score, renewal_score, interval_score, spectral_score, acf_score,
            continuity, rarity
        from {wh.relation(FINDINGS_TABLE)}
        where host_id = ? and domain_level = 'registered_domain' and domain = ?
        """,
        [host_id, domain],
    )


def host_active_seconds(wh: ClientWarehouse, host_id: str, window: Days) -> float | None:
    """Seconds ``host_id`` was active over the window's days (``int_dns_host_activity``),
    None when it has no activity rows."""
    frame = wh.query(
        f"""
        select sum(host_active_seconds) from {wh.relation("int_dns_host_activity")}
        where host_id = ? and event_date >= ? and event_date < ?
        """,
        [host_id, window.start, window.end],
    )
    value = frame.iloc[0, 0]
    return None if pd.isna(value) else float(value)


def read_table(wh: Warehouse, table: str) -> pd.DataFrame:
    """Every row of ``table``, a name as the user gives it (``name`` or ``schema.name``), each
    part quoted."""
    quoted = ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))
    return wh.query(f"select * from {quoted}")


def read_incidents_at(wh: ClientWarehouse, min_rank: int) -> pd.DataFrame:
    """Every incident (``fct_beacon_incidents``) at severity rank ``min_rank`` or above."""
    return wh.query(
        f"select * from {wh.relation('fct_beacon_incidents')} where severity_rank >= ?",
        [min_rank],
    )


def read_incident_beats_at(wh: ClientWarehouse, min_rank: int) -> pd.DataFrame:
    """The beats (``fct_beacon_incident_beats``: incident id, domain, beat time) of every
    incident at severity rank ``min_rank`` or above, by incident and time."""
    return wh.query(
        f"""
        select beats.incident_id, beats.domain, beats.beat_at
        from {wh.relation("fct_beacon_incident_beats")} as beats
        inner join {wh.relation("fct_beacon_incidents")} as incidents
            on beats.incident_id = incidents.incident_id
        where incidents.severity_rank >= ?
        order by beats.incident_id, beats.beat_at, beats.domain
        """,
        [min_rank],
    )
