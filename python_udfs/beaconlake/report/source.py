"""The report's incidents, read from the warehouse: ``fct_beacon_incidents`` and the beats of
``fct_beacon_incident_beats`` (the models say what an incident and its evidence are)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from beaconlake.confirm.scoring import ALERT_SEVERITY, severity_rank
from beaconlake.report.view import IncidentView
from beaconlake.store.findings import read_incident_beats_at, read_incidents_at

_EPOCH = pd.Timestamp("1970-01-01")


def read_incident_views(wh: Any, min_severity: str = ALERT_SEVERITY) -> list[IncidentView]:
    """Every incident at or above ``min_severity`` (open or closed by a verdict), with its
    latest window's beats; a campaign's incident lists the tenant's hosts on its beacon."""
    incidents = read_incidents_at(wh, severity_rank(min_severity))
    if incidents.empty:
        return []
    beats = read_incident_beats_at(wh, severity_rank(min_severity))
    beats["epoch"] = (pd.to_datetime(beats.beat_at) - _EPOCH).dt.total_seconds()
    by_incident = dict(tuple(beats.groupby("incident_id", sort=False)))
    hosts = incidents.groupby(["tenant_id", "beacon_key"]).host_id.agg(lambda h: tuple(sorted(h)))
    return [_view(row, by_incident.get(row.incident_id), hosts) for row in incidents.itertuples()]


def _view(row: Any, beats: pd.DataFrame | None, hosts: pd.Series) -> IncidentView:
    times = beats.epoch.to_numpy(dtype=float) if beats is not None else np.empty(0)
    members = tuple(beats.domain) if beats is not None else ()
    start, end = _moment(row.latest_window_start), _moment(row.latest_window_end)
    if len(times):  # a slow beacon's beats reach back over its slow window
        first_beat = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=float(times.min()))
        start = min(start, dt.datetime.combine(first_beat.date(), dt.time()))
    on_beacon = hosts.get((row.tenant_id, row.beacon_key), (row.host_id,))
    return IncidentView(
        incident_id=row.incident_id,
        tenant_id=row.tenant_id,
        host_id=row.host_id,
        beacon_kind=row.beacon_kind,
        beacon_key=row.beacon_key,
        # the series the beats are of (a rotation's members at one level), else every name
        domains=tuple(sorted(set(members))) or tuple(_items(row.domains)),
        hosts=on_beacon if row.beacon_kind == "campaign" else (row.host_id,),
        severity=row.severity,
        status=row.status,
        score=float(row.score),
        period_seconds=_number(row.period_seconds),
        jitter=_number(row.jitter),
        first_seen=_moment(row.first_seen_at),
        last_seen=_moment(row.last_seen_at),
        window_start=start,
        window_end=end,
        reason=row.reason or "",
        attack_techniques=tuple(_items(row.attack_techniques, ",")),
        beats=times,
        beat_domains=members if row.beacon_kind == "rotation" and len(set(members)) > 1 else None,
    )


def _items(text: object, sep: str = ", ") -> list[str]:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    return [item.strip() for item in str(text).split(sep) if item.strip()]


def _number(value: float | None) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _moment(value: object) -> dt.datetime:
    return pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)
