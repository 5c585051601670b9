"""The whole job: dbt builds candidates, Python confirms them, dbt builds the findings marts.

``run_pipeline`` is what ``beaconlake run`` calls: it runs the dbt project through dbt's
programmatic runner, reads the candidates of the analysis window with their beat times, scores
them (``beaconlake.confirm``), replaces that window's rows of the findings table, and builds the
findings marts on top.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from beaconlake import lock
from beaconlake.confirm.batch import KEY, confirm, confirm_rotation_pools
from beaconlake.confirm.scoring import ALERT_SEVERITY, severity_rank
from beaconlake.confirm.settings import Settings, project_settings
from beaconlake.errors import BeaconlakeError, ConfigError, DbtFailed, InputError
from beaconlake.ingest.writer import contract_problem
from beaconlake.project import check_vars, parse_date, project_vars
from beaconlake.store import (
    FINDINGS_COLUMNS,
    FINDINGS_TABLE,
    ClientWarehouse,
    Warehouse,
    warehouse_for,
)
from beaconlake.store.confirmation import (
    probe_candidates,
    read_beats,
    read_candidates,
    read_data_days,
    read_latest_window,
    read_rotation_beats,
    read_rotation_members,
    read_slow_beats,
    read_slow_candidates,
)
from beaconlake.store.findings import (
    FINDINGS_LIST_COLUMNS,
    count_alerts,
    query_findings,
    query_incidents,
    read_event_counts,
)

#: The dbt selectors (``selectors.yml``) of the stages before and after the confirmation.
CANDIDATES_SELECTOR = "candidates"
FINDINGS_SELECTOR = "findings"


@dataclass(frozen=True)
class Window:
    """The analysis window: UTC dates, ``end`` exclusive (the day after ``last_day``), as the
    models' ``window_end``. Users name a window by its first and last day, both inclusive."""

    start: dt.date
    end: dt.date

    @classmethod
    def of_days(cls, start: dt.date, last_day: dt.date) -> Window:
        """The window from ``start`` to ``last_day``, both included."""
        return cls(start, last_day + dt.timedelta(days=1))

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time())

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time())

    def epoch(self) -> tuple[float, float]:
        to_epoch = dt.datetime(1970, 1, 1)
        return (
            (self.start_at - to_epoch).total_seconds(),
            (self.end_at - to_epoch).total_seconds(),
        )


@dataclass
class ConfirmResult:
    candidates: int
    beats: int
    findings: pd.DataFrame
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def _confirm_pairs(
    cands: pd.DataFrame,
    beats: pd.DataFrame,
    start_s: float,
    end_s: float,
    workers: int | None,
    settings: Settings,
    rotations: bool = True,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Score the candidates' (tenant, host, domain level, domain) series."""
    epoch = pd.Timestamp("1970-01-01")
    first_seen = pd.to_datetime(cands["first_seen_at"])
    campaign_since = pd.to_datetime(cands["campaign_first_seen_at"])
    # hosts of the tenant for which the same name is a candidate: many means a fleet-wide agent
    hosts = cands.groupby(["tenant_id", "domain_level", "domain"]).host_id.transform("nunique")
    # tenants in which it is a candidate: a vendor's agent polls in every customer's network
    tenants = cands.groupby(["domain_level", "domain"]).tenant_id.transform("nunique")
    return confirm(
        cands.assign(
            candidate_hosts=hosts,
            candidate_tenants=tenants,
            first_seen_epoch=(first_seen - epoch).dt.total_seconds(),
            campaign_since_epoch=(campaign_since - epoch).dt.total_seconds(),
        ),
        beats,
        start_s,
        end_s,
        workers=workers,
        rotations=rotations,
        settings=settings,
        progress=progress,
    )


def score_window(
    wh: Warehouse,
    window: Window,
    workers: int | None = None,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ConfirmResult:
    """Score the window's candidates: one findings row per candidate series (``settings``:
    the run's tunables; the project's defaults when None). ``progress(done, total)`` follows
    the pair and slow candidates as they are scored.

    Three kinds of candidates, each scored as series: the days' pair candidates over the
    window, the hosts' rotation pools over the window, and the slow candidates over their
    slow window (several days ending on a window day). A series found by more than one keeps
    its best finding.
    """
    started = time.perf_counter()
    settings = settings or project_settings()
    cands = read_candidates(wh, window)
    beats = read_beats(wh, window)
    members = read_rotation_members(wh, window).assign(
        first_seen_at=None, known_c2_family=None, known_good_reason=None
    )
    member_beats = read_rotation_beats(wh, window)
    slow = read_slow_candidates(wh, window)
    slow_beats = read_slow_beats(wh, window)
    read_s = time.perf_counter() - started
    start_s, end_s = window.epoch()
    step = _counter(len(cands) + len(slow), progress)
    scored = _confirm_pairs(cands, beats, start_s, end_s, workers, settings, progress=step)
    # a host's rare domains taking turns on one schedule, each member its own series
    pools = confirm_rotation_pools(members, member_beats, start_s, end_s, settings)
    if not pools.empty:
        members = members[members.set_index(KEY).index.isin(pools.set_index(KEY).index)]
    parts = [(cands, scored), (members, pools)]
    for (first, last), group in slow.groupby(["slow_start", "slow_end"]):
        last_day = pd.Timestamp(last).date()
        slow_window = Window(pd.Timestamp(first).date(), last_day + dt.timedelta(days=1))
        slow_scored = _confirm_pairs(
            group, slow_beats, *slow_window.epoch(), workers, settings, False, step
        )
        if not slow_scored.empty:  # a beacon too slow for one day, unless a rotation or campaign
            slow_scored.loc[slow_scored.beacon_kind == "domain", "beacon_kind"] = "slow"
        parts.append((group, slow_scored))
    score_s = time.perf_counter() - started - read_s
    confirmed_at = now or dt.datetime.now(dt.UTC)
    findings = _best_per_series(*(_findings_frame(c, sc, window, confirmed_at) for c, sc in parts))
    return ConfirmResult(
        candidates=len(cands) + len(members) + len(slow),
        beats=len(beats) + len(member_beats) + len(slow_beats),
        findings=findings,
        seconds=time.perf_counter() - started,
        timings={"read": read_s, "score": score_s},
    )


def _counter(
    total: int, progress: Callable[[int, int], None] | None
) -> Callable[[int], None] | None:
    """A step callback that reports the running count of ``total`` to ``progress``."""
    if progress is None:
        return None
    done = 0
    progress(done, total)

    def step(n: int) -> None:
        nonlocal done
        done += n
        progress(done, total)

    return step


def confirm_window(
    wh: Warehouse,
    window: Window,
    workers: int | None = None,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ConfirmResult:
    """Score the window's candidates and replace the window's rows of the findings table."""
    started = time.perf_counter()
    result = score_window(wh, window, workers, now, settings, progress)
    wh.replace_window(FINDINGS_TABLE, result.findings, window.start_at, window.end_at)
    result.seconds = time.perf_counter() - started
    return result


def model_window(
    start: dt.date | None,
    end: dt.date | None,
    data_days: tuple[dt.date, dt.date] | None,
    latest: Window | None,
) -> Window | None:
    """The window a ``dbt build`` confirms (the ``beacon_findings`` model).

    ``start``/``end`` are the run's start_date/end_date vars (inclusive days), ``data_days``
    the first and last day the warehouse holds, ``latest`` the latest window already
    confirmed (None on a first or full-refresh build). With start_date, the window is the
    run's days; without it, the days after the latest confirmed window, or that window again
    when no later day has data (its last day may have grown); on a first build, every day.
    None when there is nothing to confirm.
    """
    if end is not None:
        last = end
    elif data_days is not None:
        last = data_days[1]
    else:
        return None
    if start is not None:
        first = start
    elif data_days is None:
        return None
    elif latest is None:
        first = data_days[0]
    elif last >= latest.end:
        first = latest.end
    else:
        return latest
    if last < first:
        return None
    return Window(first, last + dt.timedelta(days=1))


def confirmation_model(
    session: Any,
    this: Any,
    start_date: str | None,
    end_date: str | None,
    incremental: bool,
    settings: Mapping[str, Any],
    workers: int | None = None,
) -> Any:
    """The ``beacon_findings`` dbt Python model (DuckDB): the run's window confirmed by
    ``score_window``, as ``beaconlake run`` and ``beaconlake confirm`` do it.

    ``session`` is the model's DuckDB connection and ``this`` its relation, ``settings`` the
    tunables' vars as its config renders them; on an incremental
    build the window's earlier rows are deleted and the returned rows appended, so a re-run
    replaces the window exactly as ``confirm_window`` does.
    """
    from beaconlake.store import DuckDBSessionWarehouse

    wh = DuckDBSessionWarehouse(session, this.database, this.schema)
    first_day, last_day = read_data_days(wh).iloc[0]
    data_days = None if pd.isna(first_day) else (_as_date(first_day), _as_date(last_day))
    latest = None
    if incremental:
        row = read_latest_window(wh, this.identifier)
        if len(row):
            latest = Window(_as_date(row.window_start[0]), _as_date(row.window_end[0]))
    window = model_window(_var_date(start_date), _var_date(end_date), data_days, latest)
    if window is None:
        return wh.typed(pd.DataFrame(columns=list(FINDINGS_COLUMNS)))
    findings = score_window(wh, window, workers, settings=Settings.from_vars(settings)).findings
    if incremental:
        wh.delete_window(this.identifier, window.start_at, window.end_at)
    return wh.typed(findings)


def _as_date(value: Any) -> dt.date:
    day: dt.date = pd.Timestamp(value).date()
    return day


def _var_date(value: str | None) -> dt.date | None:
    """A start_date/end_date var as the model's config carries it ('' when not set)."""
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _best_per_series(*frames: pd.DataFrame) -> pd.DataFrame:
    """One finding per (tenant, host, domain level, domain): a confirmed one before an
    unconfirmed one, then the higher score (a rotation member may also be a pair candidate)."""
    parts = [f for f in frames if not f.empty]
    if not parts:
        return frames[0]
    merged = pd.concat(parts, ignore_index=True)
    merged = merged.sort_values(["is_confirmed", "score"], ascending=False, kind="stable")
    return merged.drop_duplicates(KEY).sort_index().reset_index(drop=True)


def _findings_frame(
    cands: pd.DataFrame, scored: pd.DataFrame, window: Window, now: dt.datetime
) -> pd.DataFrame:
    if scored.empty:
        return pd.DataFrame(columns=list(FINDINGS_COLUMNS))
    merged = cands.merge(scored, on=KEY, how="left")
    out = pd.DataFrame(
        {
            "window_start": window.start_at,
            "window_end": window.end_at,
            "tenant_id": merged.tenant_id,
            "host_id": merged.host_id,
            "domain_level": merged.domain_level,
            "domain": merged["domain"],
            "registered_domain": merged.registered_domain,
            "period_seconds": merged.period_seconds,
            "jitter": merged.jitter,
            "events": merged.n_events,
            "beats": merged.n_beats,
            "first_seen_at": pd.to_datetime(merged.first_seen_at),
            "confirmed_at": now.replace(tzinfo=None),
        }
    )
    for col in FINDINGS_COLUMNS:
        if col not in out:
            out[col] = merged[col]
    return out[list(FINDINGS_COLUMNS)]


def plausible_days() -> tuple[dt.date, dt.date]:
    """The first and last plausible event day (vars min_event_date, max_event_days_ahead)."""
    values = project_vars()
    first = parse_date("var min_event_date", values["min_event_date"])
    return first, dt.date.today() + dt.timedelta(days=int(values["max_event_days_ahead"]))


def input_window(glob_text: str, skipped: list[dt.date] | None = None) -> Window:
    """The plausible days an input covers, from its ``event_date=YYYY-MM-DD`` partition folders.

    Partitions outside the plausible range (``plausible_days``) do not stretch the window; they
    are appended to ``skipped`` for the caller to report.
    """
    import glob
    import re

    import pyarrow.parquet as pq

    files = [f for f in glob.glob(glob_text, recursive=True) if f.endswith(".parquet")]
    if not files:
        raise InputError(f"no Parquet files match {glob_text}")
    days = set()
    rows = 0
    for f in files:
        match = re.search(r"event_date=([^/]*)", f)
        if match:
            try:
                days.add(parse_date("partition event_date", match.group(1)))
            except ConfigError as exc:
                raise InputError(f"{f}: {exc}") from None
        try:
            metadata = pq.read_metadata(f)
        except Exception as exc:
            raise InputError(f"cannot read {f}: {str(exc).splitlines()[0]}") from exc
        problem = contract_problem(metadata.schema.to_arrow_schema())
        if problem:
            raise InputError(f"{f}: {problem} (see the input contract in the README)")
        rows += metadata.num_rows
    if rows == 0:
        raise InputError(f"the input {glob_text} has no rows")
    if not days:
        raise InputError(f"no event_date=YYYY-MM-DD partition folders in {glob_text}")
    first, last = plausible_days()
    outside = sorted(d for d in days if not first <= d <= last)
    if skipped is not None:
        skipped.extend(outside)
    days -= set(outside)
    if not days:
        raise InputError(
            f"every partition of {glob_text} lies outside the plausible days {first} .. {last} "
            f"({outside[0]} .. {outside[-1]}; a relative clock? see ingest --rebase-date)"
        )
    return Window(min(days), max(days) + dt.timedelta(days=1))


@dataclass
class RunResult:
    window: Window
    confirm: ConfirmResult
    seconds: dict[str, float]
    #: raw, staged, rejected and duplicate rows per day of the window
    event_counts: pd.DataFrame
    #: rows of the alert queue (rpt_beacon_alerts) for the window
    alerts: int
    #: input partitions outside the plausible days, left out of the default window
    skipped_days: list[dt.date] = field(default_factory=list)
    #: the first ``top`` open incidents at medium or above, in the queue's order
    #: (``read_incidents``)
    top_incidents: pd.DataFrame | None = None
    #: rows per table of the export, when the run wrote one
    exported: dict[str, int] | None = None
    #: (unique id, status, seconds) of every node of both dbt builds, for profiles
    dbt_nodes: list[tuple[str, str, float]] = field(default_factory=list)


def run_pipeline(
    input_path: str,
    target: str = "duckdb",
    db_path: str | None = None,
    start: dt.date | None = None,
    last_day: dt.date | None = None,
    workers: int | None = None,
    extra_vars: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    wait: float = 0.0,
    notify: Callable[[str], None] | None = None,
    top: int = 0,
    export: str | os.PathLike[str] | None = None,
) -> RunResult:
    """dbt candidates → Python confirmation → dbt findings marts, over one analysis window:
    ``start`` to ``last_day``, both included (default: the days the input covers).

    ``extra_vars`` override dbt vars for both dbt steps and the confirmation (the tunables in
    ``dbt_project.yml``); ``progress(done, total)`` follows the confirmation. The result holds
    the window's counts, the first ``top`` open incidents and, with ``export`` (DuckDB only),
    the rows copied there (``beaconlake.store.export.export_marts``).

    On DuckDB the run holds the warehouse's writer lock from the first dbt command to its last
    read (``beaconlake.lock.writing``): another writer there makes it wait up to ``wait``
    seconds, then raise ``WarehouseBusy``. ``notify`` gets one line whenever the run waits for
    another process.
    """
    from beaconlake import warehouse
    from beaconlake.store import duckdb_path
    from beaconlake.store.export import export_marts

    if export and target != "duckdb":
        raise ConfigError("an export copies a DuckDB warehouse; there is none on Trino")
    extra_vars = check_vars(extra_vars or {})  # a bad var fails before any work
    settings = _run_settings(extra_vars)
    glob_text = warehouse.raw_glob(input_path)
    skipped: list[dt.date] = []
    covered = input_window(glob_text, skipped)
    window = Window.of_days(start or covered.start, last_day or covered.last_day)
    if window.end <= window.start:
        raise ConfigError(f"empty window: the last day {window.last_day} is before {window.start}")
    owner = (
        lock.writing(duckdb_path(db_path), "beaconlake run", wait, notify)
        if target == "duckdb"
        else nullcontext()
    )
    with owner:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        built = warehouse.build(
            input_path,
            db_path=db_path,
            target=target,
            start_date=window.start.isoformat(),
            end_date=window.last_day.isoformat(),
            extra_vars=extra_vars,
            selector=CANDIDATES_SELECTOR,
            notify=notify,
        )
        timings["dbt candidates"] = time.perf_counter() - t0
        if not built.success:
            raise DbtFailed("dbt build of the candidates", built.log_path, built.error)
        t1 = time.perf_counter()
        wh = warehouse_for(target, db_path, notify=notify)
        counts = read_event_counts(wh, window)
        if int(counts.n_raw.sum()) == 0:
            raise InputError(
                f"the window {window.start} .. {window.last_day} holds no rows of "
                f"{glob_text}: nothing confirmed, earlier findings kept"
            )
        result = confirm_window(wh, window, workers, settings=settings, progress=progress)
        timings["confirmation"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        marts = warehouse.build(
            input_path,
            db_path=db_path,
            target=target,
            selector=FINDINGS_SELECTOR,
            start_date=window.start.isoformat(),
            end_date=window.last_day.isoformat(),
            extra_vars=extra_vars,
            notify=notify,
        )
        timings["dbt findings marts"] = time.perf_counter() - t2
        if not marts.success:
            raise DbtFailed("dbt build of the findings marts", marts.log_path, marts.error)
        published = warehouse_for(target, db_path, read_only=True, notify=notify)
        queue = read_incidents(target, db_path, limit=top, notify=notify) if top else None
        outcome = RunResult(
            window,
            result,
            timings,
            read_event_counts(published, window),
            count_alerts(published, window),
            skipped,
            queue,
            dbt_nodes=[*built.nodes, *marts.nodes],
        )
        if export:
            outcome.exported = export_marts(duckdb_path(db_path), export, notify=notify)
        return outcome


def confirm_stored_window(
    target: str,
    db_path: str | None,
    window: Window,
    workers: int | None = None,
    extra_vars: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    wait: float = 0.0,
    notify: Callable[[str], None] | None = None,
) -> ConfirmResult:
    """The confirmation step alone, on a warehouse that dbt has already built: score the
    window's candidates and replace the window's findings rows (``beaconlake run`` calls the
    same ``confirm_window``). The findings marts are dbt's to rebuild afterwards.

    On DuckDB it holds the warehouse's writer lock throughout, as ``run_pipeline`` does
    (``wait``, ``notify``: the same)."""
    import os

    from beaconlake.store import duckdb_path

    if window.end <= window.start:
        raise ConfigError(f"empty window: the last day {window.last_day} is before {window.start}")
    owner: AbstractContextManager[None] = nullcontext()
    if target == "duckdb":
        path = duckdb_path(db_path)
        if not os.path.exists(path):
            raise InputError(f"no DuckDB database at {path} (build it with dbt first)")
        owner = lock.writing(path, "beaconlake confirm", wait, notify)
    settings = _run_settings(check_vars(extra_vars or {}))
    with owner:
        wh = warehouse_for(target, db_path, notify=notify)
        try:
            probe_candidates(wh)
        except BeaconlakeError:
            raise
        except Exception as exc:
            raise InputError(
                f"no candidate models in the {target} warehouse (run `dbt build` first): "
                f"{str(exc).splitlines()[0]}"
            ) from exc
        return confirm_window(wh, window, workers, settings=settings, progress=progress)


def _run_settings(extra_vars: Mapping[str, Any] | None) -> Settings:
    """The run's tunables: the project's vars with ``--var`` overrides on top."""
    return project_settings(extra_vars)


def reader(
    target: str, db_path: str | None, wait: float, notify: Callable[[str], None] | None
) -> ClientWarehouse:
    """The warehouse for reading: on DuckDB the file read-only, after waiting up to ``wait``
    seconds for a writer (``notify`` gets one line); ``WarehouseBusy`` names it after that."""
    from beaconlake.store import DuckDBWarehouse, duckdb_path

    wh = warehouse_for(target, db_path)
    if isinstance(wh, DuckDBWarehouse):
        path = duckdb_path(db_path)
        if not os.path.exists(path):
            raise InputError(
                f"no DuckDB database at {path} (run `beaconlake run` first or pass --db)"
            )
        left = lock.wait_for_writer(path, wait, notify)
        wh = DuckDBWarehouse(path, read_only=True, notify=notify, open_wait=left)
    return wh


def read_incidents(
    target: str = "duckdb",
    db_path: str | None = None,
    min_severity: str = ALERT_SEVERITY,
    *,
    tenant: str | None = None,
    host: str | None = None,
    since: dt.datetime | None = None,
    closed: bool = False,
    limit: int = 200,
    wait: float = lock.DEFAULT_OPEN_WAIT,
    notify: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Incidents (``fct_beacon_incidents``) at or above ``min_severity``, in the queue's order:
    new and changed first, then the most severe and best scored. Only open ones unless
    ``closed``; ``tenant``, ``host`` and ``since`` (last seen at or after) narrow them, bound
    as parameters."""
    rank = severity_rank(min_severity)
    return query_incidents(
        reader(target, db_path, wait, notify),
        rank,
        tenant=tenant,
        host=host,
        since=since,
        closed=closed,
        limit=limit,
    )


def read_findings(
    target: str = "duckdb",
    db_path: str | None = None,
    min_severity: str = "low",
    limit: int | None = 50,
    wait: float = lock.DEFAULT_OPEN_WAIT,
    notify: Callable[[str], None] | None = None,
    columns: Sequence[str] = FINDINGS_LIST_COLUMNS,
) -> pd.DataFrame:
    """Confirmed findings at or above ``min_severity``, most severe and highest score first
    (their rank, as ``beaconlake findings --per-window`` lists them), at most ``limit`` (None:
    all), with ``columns`` of ``fct_beacon_findings``.

    On DuckDB the file is opened read-only; while another process writes it (a run holds its
    lock, or holds the file open) this waits up to ``wait`` seconds (``notify`` gets one line),
    then raises ``WarehouseBusy`` naming it.
    """
    rank = severity_rank(min_severity)
    return query_findings(reader(target, db_path, wait, notify), rank, limit, columns)
