"""Placing the C2 capture on a background host and time, and writing the combined input."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from beaconlake.confirm.periodicity import merge_beats
from beaconlake.confirm.settings import project_settings
from beaconlake.domains import normalize_name, registered_domain
from beaconlake.errors import InputError
from beaconlake.ingest import ANY_TIME, ingest
from beaconlake.ingest.writer import QUERY_COLUMNS, ContractWriter
from beaconlake.replay.captures import (
    DAY_US,
    EVENTS_DIR,
    GROUND_TRUTH_FILE,
    PLAN_FILE,
    RELATIVE_BEFORE,
    US,
    iso_time,
    parquet_glob,
    parquet_query,
    read_c2,
)


@dataclass(frozen=True)
class Placement:
    """Where the C2 stream lands: one shift for every query, the host, and the overlap."""

    host_id: str
    host_reason: str
    mode: str  # "centred" or "offset"
    shift_seconds: int
    c2_queries: int
    c2_first_at: str  # placed, UTC
    c2_last_at: str
    c2_span_seconds: float
    background_first_at: str
    background_last_at: str
    background_span_seconds: float
    background_days: list[str]
    overlap_seconds: float
    overlap_share: float  # of the C2's span that the background's span covers
    c2_queries_inside_background_span: int
    host_events_during_c2: int
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Background:
    """What placement needs to know about the ingested background."""

    first_us: int
    last_us: int
    days: list[dt.date]
    rows: int


def summarise_background(events: Path) -> Background:
    rows = parquet_query(
        f"""
        select
            min(epoch_us(event_time)), max(epoch_us(event_time)), count(*),
            list(distinct cast(event_date as varchar))
        from read_parquet('{parquet_glob(events)}', hive_partitioning = true)
        """
    ).fetchone()
    assert rows is not None
    first, last, n, days = rows
    return Background(int(first), int(last), sorted(dt.date.fromisoformat(d) for d in days), n)


def _host_events(events: Path, start_us: int | None, end_us: int | None) -> pd.DataFrame:
    where = (
        f"where epoch_us(event_time) between {start_us} and {end_us}"
        if start_us is not None
        else ""
    )
    return parquet_query(
        f"""
        select host_id, count(*) as events
        from read_parquet('{parquet_glob(events)}', hive_partitioning = true)
        {where}
        group by host_id
        having host_id is not null
        order by events desc, host_id
        """
    ).df()


def _densest_run(times: np.ndarray, length: int) -> tuple[int, int]:
    """First (i, j) with ``times[j] - times[i] <= length`` holding the most points."""
    best, i = (0, 0), 0
    for j in range(len(times)):
        while times[j] - times[i] > length:
            i += 1
        if j - i > best[1] - best[0]:
            best = (i, j)
    return best


def place(
    c2_us: np.ndarray,
    background: Background,
    offset_seconds: float | None = None,
) -> tuple[int, str, list[str]]:
    """The whole-second shift that moves the C2 stream into the background.

    Centred mode puts the middle of the C2's span on the middle of the background's span; when
    the background is shorter than the C2, it centres the stretch of the C2 that holds the most
    queries within the background's length instead (so the background's traffic surrounds as
    many C2 queries as it can). Either way the C2 stays inside the background's first..last
    covered day, so the run's window is the background's. Offset mode puts the first C2 query
    ``offset_seconds`` after the background's first event. Returns (shift, mode, notes).
    """
    times = np.sort(c2_us.astype(np.int64))
    c0, c1 = int(times[0]), int(times[-1])
    span = c1 - c0
    b0, b1 = background.first_us, background.last_us
    notes: list[str] = []
    if offset_seconds is None:
        mode = "centred"
        day0 = (b0 // DAY_US) * DAY_US
        day_end = (b1 // DAY_US + 1) * DAY_US
        if span <= b1 - b0:
            anchor = (c0 + c1) // 2
        else:
            i, j = _densest_run(times, b1 - b0)
            anchor = (int(times[i]) + int(times[j])) // 2
            notes.append(
                f"the background ({(b1 - b0) / US / 60:,.1f} min) is shorter than the C2 "
                f"({span / US / 60:,.1f} min): the C2's stretch with the most queries in that "
                f"length ({j - i + 1}) is centred on it"
            )
        start = c0 + (b0 + b1) // 2 - anchor
        if span >= day_end - day0:
            start = day0
            notes.append("the C2's span is longer than the days the background covers")
        else:
            start = min(max(start, day0), day_end - 1 - span)
        shift = (start - c0) // US
        if c0 + shift * US < day0:
            shift += 1
    else:
        mode = "offset"
        shift = round((b0 + round(offset_seconds * US) - c0) / US)
    new0, new1 = c0 + shift * US, c1 + shift * US
    if new1 < b0 or new0 > b1:
        raise InputError(
            f"the C2 would span {iso_time(new0)} .. {iso_time(new1)}, outside the background's "
            f"{iso_time(b0)} .. {iso_time(b1)}: choose an --offset-seconds between "
            f"{-(span // US)} and {(b1 - b0) // US}"
        )
    covered = set(background.days)
    placed_days = {
        dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in {new0 // DAY_US, new1 // DAY_US}
    }
    outside = sorted(placed_days - covered)
    if outside:
        notes.append(
            "C2 queries fall on day(s) without background events: "
            + ", ".join(d.isoformat() for d in outside)
        )
    return int(shift), mode, notes


def choose_host(events: Path, start_us: int, end_us: int, host: str | None) -> tuple[str, str]:
    """The background host that carries the C2, and why it was chosen."""
    during = _host_events(events, start_us, end_us)
    if host is not None:
        overall = _host_events(events, None, None)
        if host not in set(overall.host_id):
            top = ", ".join(overall.host_id.head(5))
            raise InputError(f"host {host} has no events in the background (busiest hosts: {top})")
        return host, "chosen with --host"
    if len(during):
        row = during.iloc[0]
        why = f"busiest background host during the C2's span ({row.events:,} events)"
        return str(row.host_id), why
    overall = _host_events(events, None, None)
    row = overall.iloc[0]
    return str(row.host_id), f"busiest background host overall ({row.events:,} events)"


def ground_truth(c2: pd.DataFrame, tenant_id: str, channel: str) -> pd.DataFrame:
    """One row per C2 registered domain, in the columns ``beaconlake evaluate`` reads.

    A real capture has no known period or jitter, so those columns are left empty; its beats
    are counted with the pipeline's beat rule.
    """
    merge_seconds = project_settings().beat_merge_seconds
    names = c2.query_name.map(normalize_name)
    frame = c2.assign(name=names, registered_domain=names.map(registered_domain))
    rows = []
    for domain, group in frame.groupby("registered_domain", sort=True):
        n_names = len(set(group.name))
        rows.append(
            {
                "tenant_id": tenant_id,
                "host_id": group.host_id.iloc[0],
                "label": "c2",
                "category": "replayed_c2",
                "channel": channel,
                "query_name": domain,
                "registered_domain": domain,
                "period_seconds": None,
                "jitter": None,
                "jitter_model": None,
                "n_beats": len(merge_beats(group.event_us.to_numpy() // US, merge_seconds)),
                "n_queries": len(group),
                "n_query_names": n_names,
                "missing_share": None,
                "subdomain_per_beat": n_names > 1,
                "first_seen_at": iso_time(group.event_us.min()),
                "last_seen_at": iso_time(group.event_us.max()),
            }
        )
    return pd.DataFrame(rows)


def prepare(
    c2_paths: list[Path] | None,
    background_paths: list[Path],
    out: Path,
    *,
    host: str | None = None,
    offset_seconds: float | None = None,
    background_rebase_date: dt.date | None = None,
    c2_host: str | None = None,
    tenant_id: str = "default",
    overwrite: bool = False,
) -> Placement | None:
    """Write ``out/events`` (the contract), ``ground_truth.csv`` and ``replay.json``.

    With ``c2_paths`` None only the background is written (the benign-only run).
    """
    if not background_paths:
        raise InputError("at least one --background log is needed")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise InputError(f"{out} is not empty (use --overwrite to replace it)")
        shutil.rmtree(out)
    c2 = read_c2(c2_paths, c2_host) if c2_paths else None
    events = out / EVENTS_DIR
    report = ingest(
        background_paths,
        events,
        tenant_id=tenant_id,
        rebase_date=background_rebase_date,
        time_range=ANY_TIME,  # relative times get their own message below
    )
    if report.rows == 0:
        raise InputError(
            "the background log(s) have no readable rows "
            f"({report.lines:,} lines, {report.rejected:,} rejected)"
        )
    background = summarise_background(events)
    first_at = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=background.first_us)
    if first_at < RELATIVE_BEFORE:
        shutil.rmtree(events)
        raise InputError(
            f"the background's times are relative (first event {first_at:%Y-%m-%d %H:%M:%S}): "
            "pass --background-rebase-date YYYY-MM-DD to put them on a real date"
        )
    base = {
        "background_logs": [str(p) for p in background_paths],
        "background_rows": report.rows,
        "background_malformed_lines": report.rejected,
        "background_rebase_date": str(background_rebase_date) if background_rebase_date else None,
        "tenant_id": tenant_id,
    }
    if c2 is None or not c2_paths:
        (out / PLAN_FILE).write_text(json.dumps({**base, "c2_logs": None}, indent=2) + "\n")
        return None
    c2_us = c2.event_us.to_numpy(dtype=np.int64)
    shift, mode, notes = place(c2_us, background, offset_seconds)
    new0, new1 = int(c2_us.min()) + shift * US, int(c2_us.max()) + shift * US
    host_id, why = choose_host(events, new0, new1, host)
    host_during = _host_events(events, new0, new1)
    host_n = host_during.loc[host_during.host_id == host_id, "events"]
    overlap = max(0, min(new1, background.last_us) - max(new0, background.first_us))
    span = new1 - new0
    placed = c2.assign(event_us=c2.event_us + shift * US, host_id=host_id, tenant_id=tenant_id)
    inside = int(
        ((placed.event_us >= background.first_us) & (placed.event_us <= background.last_us)).sum()
    )
    if overlap < span:
        notes.append(
            f"the background covers {overlap / US / 60:,.1f} of the C2's "
            f"{span / US / 60:,.1f} minutes ({inside} of {len(placed)} C2 queries fall inside "
            "its span); it is not looped or tiled"
        )
    writer = ContractWriter(events, prefix="c2")
    text = placed[list(QUERY_COLUMNS)]
    text = text.astype(object).where(text.notna(), None)
    for event_us, values in zip(placed.event_us, text.to_dict("records"), strict=True):
        writer.add(int(event_us), **values)
    writer.flush()
    channel = Path(c2_paths[0]).parent.name or Path(c2_paths[0]).stem
    ground_truth(placed, tenant_id, channel).to_csv(out / GROUND_TRUTH_FILE, index=False)
    placement = Placement(
        host_id=host_id,
        host_reason=why,
        mode=mode,
        shift_seconds=shift,
        c2_queries=len(placed),
        c2_first_at=iso_time(new0),
        c2_last_at=iso_time(new1),
        c2_span_seconds=span / US,
        background_first_at=iso_time(background.first_us),
        background_last_at=iso_time(background.last_us),
        background_span_seconds=(background.last_us - background.first_us) / US,
        background_days=[d.isoformat() for d in background.days],
        overlap_seconds=overlap / US,
        overlap_share=overlap / span if span else 1.0,
        c2_queries_inside_background_span=inside,
        host_events_during_c2=int(host_n.iloc[0]) if len(host_n) else 0,
        notes=notes,
    )
    plan = {
        **base,
        "c2_logs": [str(p) for p in c2_paths],
        "c2_original_host": str(c2.host_id.iloc[0]),
        "c2_original_first_at": iso_time(int(c2_us.min())),
        "placement": asdict(placement),
    }
    (out / PLAN_FILE).write_text(json.dumps(plan, indent=2) + "\n")
    return placement
