"""Replay a real C2 capture inside real benign traffic and report what the pipeline makes of it.

No labelled corpus of real DNS C2 inside real enterprise traffic exists, but real C2 captures and
real benign captures do. ``beaconlake replay`` joins one of each without fabricating anything:

- the C2 capture's queries are moved onto one of the background's hosts and shifted in time by a
  single whole number of seconds, so every interval between C2 queries is exactly the captured one;
- by default the C2 is centred on the background's time span and kept inside the days the
  background covers (``--offset-seconds`` places its first query relative to the background's
  first event instead). A background shorter than the C2 is never looped or tiled: the report
  states how much of the C2's span the background actually covers;
- the default host is the background host with the most events during the C2's placed span, so
  the implant hides in the busiest real traffic (``--host`` chooses another);
- every query of the C2 capture is C2; ``ground_truth.csv`` has one row per registered domain.

The pipeline then runs on the combined input and the report says, at the registered-domain level,
whether each C2 domain became a finding (rank, score, severity, reason) or, if not, what the
candidate and confirmation stages said about it; it lists every other finding with its reason
and the findings per host-day. ``--benign-only`` runs an untouched background the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from beaconlake.domains import normalize_name, registered_domain
from beaconlake.errors import InputError
from beaconlake.ingest import ANY_TIME, ingest
from beaconlake.ingest.writer import ContractWriter
from beaconlake.store import DuckDBWarehouse

US = 1_000_000
DAY_US = 86_400 * US
#: Captures whose first event is earlier than this have relative times (seconds since start).
RELATIVE_BEFORE = dt.datetime(1990, 1, 1)
#: Severity ranks as in fct_beacon_findings; alerts are medium and above.
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
ALERT_RANK = SEVERITY_RANK["medium"]
#: Output layout under --out.
EVENTS_DIR = "events"
GROUND_TRUTH_FILE = "ground_truth.csv"
PLAN_FILE = "replay.json"
REPORT_FILE = "report.json"
DB_FILE = "beaconlake.duckdb"


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


def _iso(us: int) -> str:
    return (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(us))).isoformat(sep=" ")


def _glob(folder: Path) -> str:
    return str(folder / "**" / "*.parquet")


def _sql(text: str) -> duckdb.DuckDBPyConnection:
    """Run a query over Parquet files on a private in-memory connection."""
    return duckdb.connect().execute(text)


def read_contract(folder: Path) -> pd.DataFrame:
    """The contract rows under ``folder`` with ``event_us`` (epoch microseconds, int64)."""
    files = list(folder.rglob("*.parquet"))
    if not files:
        return pd.DataFrame(
            columns=["event_us", "host_id", "query_name", "tenant_id", "query_type",
                     "response_code", "answer_ttl_seconds"]
        )  # fmt: skip
    return _sql(
        f"""
        select
            epoch_us(event_time) as event_us, host_id, query_name, tenant_id, query_type,
            response_code, answer_ttl_seconds
        from read_parquet('{_glob(folder)}', hive_partitioning = false, union_by_name = true)
        order by event_us, host_id, query_name
        """
    ).df()


def read_c2(paths: list[Path], c2_host: str | None = None) -> pd.DataFrame:
    """The C2 capture's queries (one host), time-ordered; every query is taken as C2."""
    with tempfile.TemporaryDirectory(prefix="beaconlake-c2-") as tmp:
        report = ingest(paths, Path(tmp) / "c2", time_range=ANY_TIME)  # placed later
        frame = read_contract(Path(tmp) / "c2")
    names = ", ".join(str(p) for p in paths)
    frame = frame[frame.query_name.notna() & (frame.query_name.fillna("") != "")]
    if frame.empty:
        raise InputError(
            f"the C2 log {names} has no readable queries "
            f"({report.lines:,} lines, {report.rejected:,} rejected)"
        )
    hosts = sorted(frame.host_id.dropna().unique())
    if c2_host is not None:
        if c2_host not in hosts:
            raise InputError(
                f"--c2-host {c2_host} does not appear in the C2 log (hosts: {', '.join(hosts)})"
            )
        frame = frame[frame.host_id == c2_host]
    elif len(hosts) != 1:
        shown = ", ".join(hosts[:5]) + (" ..." if len(hosts) > 5 else "")
        raise InputError(
            f"the C2 log has {len(hosts)} hosts ({shown}); name the implant's with --c2-host"
        )
    return frame.sort_values("event_us", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Background:
    """What placement needs to know about the ingested background."""

    first_us: int
    last_us: int
    days: list[dt.date]
    rows: int


def summarise_background(events: Path) -> Background:
    rows = _sql(
        f"""
        select
            min(epoch_us(event_time)), max(epoch_us(event_time)), count(*),
            list(distinct cast(event_date as varchar))
        from read_parquet('{_glob(events)}', hive_partitioning = true)
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
    return _sql(
        f"""
        select host_id, count(*) as events
        from read_parquet('{_glob(events)}', hive_partitioning = true)
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
            f"the C2 would span {_iso(new0)} .. {_iso(new1)}, outside the background's "
            f"{_iso(b0)} .. {_iso(b1)}: choose an --offset-seconds between "
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


def _beats(seconds: np.ndarray) -> int:
    """Queries merged into beats the way the pipeline does: adjacent whole seconds are one beat."""
    s = np.unique(seconds)
    return int(1 + np.count_nonzero(np.diff(s) > 1)) if len(s) else 0


def ground_truth(c2: pd.DataFrame, tenant_id: str, channel: str) -> pd.DataFrame:
    """One row per C2 registered domain, in the columns ``beaconlake evaluate`` reads.

    A real capture has no known period or jitter, so those columns are left empty.
    """
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
                "n_beats": _beats(group.event_us.to_numpy() // US),
                "n_queries": len(group),
                "n_query_names": n_names,
                "missing_share": None,
                "subdomain_per_beat": n_names > 1,
                "first_seen_at": _iso(group.event_us.min()),
                "last_seen_at": _iso(group.event_us.max()),
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
        background_paths, events, tenant_id=tenant_id, rebase_date=background_rebase_date,
        time_range=ANY_TIME,  # relative times get their own message below
    )  # fmt: skip
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
    if c2 is None:
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
    text = placed[
        ["host_id", "query_name", "tenant_id", "query_type", "response_code", "answer_ttl_seconds"]
    ]
    text = text.astype(object).where(text.notna(), None)
    for event_us, values in zip(placed.event_us, text.itertuples(index=False), strict=True):
        writer.add(int(event_us), *values)
    writer.flush()
    channel = Path(c2_paths[0]).parent.name or Path(c2_paths[0]).stem
    ground_truth(placed, tenant_id, channel).to_csv(out / GROUND_TRUTH_FILE, index=False)
    placement = Placement(
        host_id=host_id,
        host_reason=why,
        mode=mode,
        shift_seconds=shift,
        c2_queries=len(placed),
        c2_first_at=_iso(new0),
        c2_last_at=_iso(new1),
        c2_span_seconds=span / US,
        background_first_at=_iso(background.first_us),
        background_last_at=_iso(background.last_us),
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
        "c2_logs": [str(p) for p in c2_paths or []],
        "c2_original_host": str(c2.host_id.iloc[0]),
        "c2_original_first_at": _iso(int(c2_us.min())),
        "placement": asdict(placement),
    }
    (out / PLAN_FILE).write_text(json.dumps(plan, indent=2) + "\n")
    return placement


# --- after the run: what the pipeline found -------------------------------------------------


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_name = ?", [name]
    ).fetchone()
    return bool(found and found[0])


def host_days(events: Path) -> int:
    """Distinct (day, host) pairs with at least one event: the denominator of findings rates."""
    row = _sql(
        f"""
        select count(*) from (
            select distinct event_date, host_id
            from read_parquet('{_glob(events)}', hive_partitioning = true)
            where host_id is not null
        )
        """
    ).fetchone()
    return int(row[0]) if row else 0


def ranked_findings(db: Path) -> pd.DataFrame:
    """Every confirmed finding, ranked as ``beaconlake findings --per-window`` lists them."""
    wh = DuckDBWarehouse(str(db), read_only=True)
    frame = wh.query(
        f"""
        select
            tenant_id, host_id, domain_level, domain, registered_domain, period_seconds,
            jitter, beats, score, severity, severity_rank, reason
        from {wh.relation("fct_beacon_findings")}
        order by severity_rank desc, score desc, tenant_id, host_id, domain
        """
    )
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return frame


def _stage_verdict(con: duckdb.DuckDBPyConnection, host_id: str, domain: str) -> dict[str, Any]:
    """What the candidate rule and the confirmation step said about one registered domain."""
    verdict: dict[str, Any] = {"candidate_days": []}
    if _table_exists(con, "int_dns_pairs_checked"):
        days = con.execute(
            """
            select * from main.int_dns_pairs_checked
            where host_id = ? and domain_level = 'registered_domain' and domain = ?
            order by event_date
            """,
            [host_id, domain],
        ).df()
        keep = [c for c in days.columns if c in (
            "event_date", "n_queries", "n_beats", "interval_median_seconds",
            "interval_mad_ratio", "prevalence", "passes_min_beats", "passes_interval_regularity",
            "passes_interval_median", "passes_prevalence", "is_known_good", "is_known_c2",
            "passes_thresholds",
        )]  # fmt: skip
        verdict["candidate_days"] = json.loads(
            days[keep].to_json(orient="records", date_format="iso")
        )
    confirmation = con.execute(
        """
        select
            period_seconds, jitter, beats, score, severity, reason, is_confirmed,
            periodicity_score, renewal_score, interval_score, spectral_score, acf_score,
            continuity, rarity
        from main.beacon_findings
        where host_id = ? and domain_level = 'registered_domain' and domain = ?
        """,
        [host_id, domain],
    ).df()
    verdict["confirmation"] = json.loads(confirmation.to_json(orient="records"))
    return verdict


def _explain(verdict: dict[str, Any]) -> str:
    """One line on why a C2 domain did not become a finding."""
    days = verdict["candidate_days"]
    conf = verdict["confirmation"]
    if conf:
        c = conf[0]
        parts = ", ".join(
            f"{k.removesuffix('_score')} {c[k]:.2f}"
            for k in ("renewal_score", "interval_score", "spectral_score", "acf_score",
                      "continuity")
            if c.get(k) is not None
        )  # fmt: skip
        return (
            f"candidate, not confirmed: periodicity {c['periodicity_score']:.2f} below 0.40 "
            f"({parts}); {c['reason']}"
        )
    if not days:
        return "never profiled at the registered-domain level (no pair row)"
    failed = sorted(
        {k for d in days for k, v in d.items() if k.startswith("passes_") and v is False}
        - {"passes_thresholds"}
    )
    detail = "; ".join(
        f"{d['event_date']}: {d.get('n_beats')} beats, median interval "
        f"{d.get('interval_median_seconds')} s, MAD ratio {d.get('interval_mad_ratio')}"
        for d in days
    )
    return f"not a candidate: fails {', '.join(failed) or 'the candidate rule'} ({detail})"


def _all_c2_domains_as_one(out: Path, db: Path, truth: pd.DataFrame) -> dict[str, Any] | None:
    """The confirmation step's scores for the C2 host's queries to all C2 domains as one series.

    A diagnostic, not a detector: it shows what the pipeline would make of a C2 that rotates over
    several registered domains if it grouped them, with the same window and host activity.
    """
    from beaconlake.confirm.periodicity import analyze
    from beaconlake.pipeline import input_window

    host = str(truth.host_id.iloc[0])
    c2 = read_contract(out / EVENTS_DIR)
    c2 = c2[(c2.host_id == host) & c2.query_name.fillna("").map(normalize_name).map(
        registered_domain
    ).isin(set(truth.registered_domain))]  # fmt: skip
    if c2.empty:
        return None
    window = input_window(_glob(out / EVENTS_DIR))
    start, end = window.epoch()
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            """
            select sum(host_active_seconds) from main.int_dns_host_activity
            where host_id = ? and event_date >= ? and event_date < ?
            """,
            [host, window.start, window.end],
        ).fetchone()
    active = float(row[0]) if row and row[0] is not None else None
    result = analyze(np.sort(c2.event_us.to_numpy() / US), start, end, active)
    keep = ("n_beats", "period_seconds", "jitter", "renewal_score", "interval_score",
            "spectral_score", "acf_score", "seasonal_strength", "coverage", "continuity",
            "periodicity_score")  # fmt: skip
    return {k: v for k, v in result.as_dict().items() if k in keep} | {
        "host_active_seconds": active
    }


def analyse(out: Path, db: Path) -> dict[str, Any]:
    """The report: the C2 domains' outcome, every other finding, findings per host-day."""
    findings = ranked_findings(db)
    n_host_days = host_days(out / EVENTS_DIR)
    truth_path = out / GROUND_TRUTH_FILE
    truth = pd.read_csv(truth_path, dtype=str) if truth_path.exists() else None
    c2_rows: list[dict[str, Any]] = []
    is_c2 = pd.Series(False, index=findings.index)
    if truth is not None:
        with duckdb.connect(str(db), read_only=True) as con:
            for row in truth.itertuples():
                on_host = findings.host_id == row.host_id
                same = on_host & (findings.registered_domain == row.registered_domain)
                is_c2 |= same
                hit = findings[same & (findings.domain_level == "registered_domain")]
                entry: dict[str, Any] = {
                    "host_id": row.host_id,
                    "registered_domain": row.registered_domain,
                    "n_queries": int(row.n_queries),
                    "n_beats": int(row.n_beats),
                }
                if len(hit):
                    best = hit.iloc[0]
                    entry |= {
                        "found": True,
                        "alert": int(best.severity_rank) >= ALERT_RANK,
                        "rank": int(best["rank"]),
                        "score": float(best.score),
                        "severity": best.severity,
                        "reason": best.reason,
                    }
                else:
                    verdict = _stage_verdict(con, row.host_id, row.registered_domain)
                    entry |= {
                        "found": False,
                        "alert": False,
                        "why_not": _explain(verdict),
                        "stages": verdict,
                    }
                c2_rows.append(entry)
    rotation = _all_c2_domains_as_one(out, db, truth) if truth is not None else None
    others = findings[~is_c2]
    alerts = others[others.severity_rank >= ALERT_RANK]
    hits = [r for r in c2_rows if r["found"]]
    best_rank = min((r["rank"] for r in hits), default=None)
    return {
        "c2": c2_rows,
        "c2_found": any(r["alert"] for r in c2_rows) if c2_rows else None,
        "c2_best_rank": best_rank,
        "c2_domains_as_one_series": rotation,
        "host_days": n_host_days,
        "findings": len(findings),
        "other_findings": len(others),
        "other_alerts": len(alerts),
        "other_findings_per_host_day": len(others) / n_host_days if n_host_days else None,
        "other_alerts_per_host_day": len(alerts) / n_host_days if n_host_days else None,
        "other_findings_ranked_above_c2": (
            int((others["rank"] < best_rank).sum()) if best_rank is not None else None
        ),
        "other_findings_list": json.loads(
            others.drop(columns=["severity_rank"]).to_json(orient="records")
        ),
    }


def render(report: dict[str, Any], placement: dict[str, Any] | None) -> str:
    """The terminal report."""
    lines: list[str] = []
    if placement:
        p = placement
        lines += [
            f"C2: {p['c2_queries']} queries on host {p['host_id']} ({p['host_reason']}), "
            f"shifted by {p['shift_seconds']:+,} s ({p['mode']}): "
            f"{p['c2_first_at']} .. {p['c2_last_at']}",
            f"background: {p['background_first_at']} .. {p['background_last_at']}; it covers "
            f"{p['overlap_share']:.0%} of the C2's span; the host has "
            f"{p['host_events_during_c2']:,} background events during it",
        ]
        lines += [f"note: {n}" for n in p["notes"]]
    for c in report["c2"]:
        if c["found"]:
            lines.append(
                f"C2 {c['registered_domain']}: FOUND rank {c['rank']}, score {c['score']:.2f}, "
                f"{c['severity']}: {c['reason']}"
            )
        else:
            lines.append(f"C2 {c['registered_domain']}: NOT FOUND: {c['why_not']}")
    one = report.get("c2_domains_as_one_series")
    if one:
        lines.append(
            f"all C2 domains as one series (diagnostic): periodicity "
            f"{one['periodicity_score']:.2f}, every {one['period_seconds']:.0f} s, "
            f"{one['n_beats']} beats, renewal {one['renewal_score']:.2f}, interval "
            f"{one['interval_score']:.2f}, continuity {one['continuity']:.2f}"
        )
    if report["c2_found"] is not None:
        verdict = "found (an alert at medium or above)" if report["c2_found"] else "not alerted"
        lines.append(f"C2 at the registered-domain level: {verdict}")
    rate = report["other_findings_per_host_day"]
    lines.append(
        f"other findings: {report['other_findings']} ({report['other_alerts']} at medium or "
        f"above) over {report['host_days']:,} host-days"
        + (f" = {rate:.3f} findings per host-day" if rate is not None else "")
    )
    for f in report["other_findings_list"]:
        lines.append(
            f"  #{f['rank']:<3} {f['severity']:<8} {f['score']:.2f}  {f['host_id']}  "
            f"{f['domain_level']}:{f['domain']}  {f['reason']}"
        )
    return "\n".join(lines)


def run_replay(
    c2_paths: list[Path] | None,
    background_paths: list[Path],
    out: Path,
    *,
    workers: int | None = None,
    **options: Any,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Prepare the input, run the pipeline on it, and analyse the result (``report.json``)."""
    from beaconlake.pipeline import run_pipeline

    placement = prepare(c2_paths, background_paths, out, **options)
    db = out / DB_FILE
    run_pipeline(str(out / EVENTS_DIR), "duckdb", str(db), workers=workers)
    report = analyse(out, db)
    as_dict = asdict(placement) if placement else None
    (out / REPORT_FILE).write_text(
        json.dumps({"placement": as_dict, **report}, indent=2, default=str) + "\n"
    )
    return report, as_dict
