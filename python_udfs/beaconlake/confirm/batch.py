"""Confirm many candidates at once: group their event times, score them on worker processes.

Inputs are plain DataFrames so any warehouse can feed them: ``candidates`` with one row per
series (``KEY``) and optional context columns, ``events`` with the same keys and
``event_epoch`` (seconds). Instead of the keys, events may carry the integer ``SERIES_ID`` that
the candidates carry too. The output has one row per candidate with every sub-score.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import replace
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from beaconlake.confirm import rotation
from beaconlake.confirm.lexical import local_kind
from beaconlake.confirm.periodicity import analyze, analyze_many
from beaconlake.confirm.scoring import Context, Record, company_evidence, score_candidate
from beaconlake.confirm.settings import Settings, project_settings
from beaconlake.domains import registered_domain

#: A series: one host's lookups of one domain, at one level ("query_name" or
#: "registered_domain"). ``domain_level`` is optional: a frame without it leaves the level
#: unknown (None), and candidates and events then match on the other three.
KEY = ["tenant_id", "host_id", "domain_level", "domain"]
#: An optional integer column numbering the candidates' series: events that carry it are
#: matched on it alone (millions of events need not carry four strings each).
SERIES_ID = "series_id"
#: Optional candidate columns and the value used when a warehouse does not provide them.
CONTEXT_DEFAULTS: dict[str, object] = {
    "tenant_hosts": 1,
    "domain_hosts": 1,
    "first_seen_epoch": None,
    "known_c2_family": None,
    "known_good_reason": None,
    "host_active_seconds": None,
    "candidate_hosts": 1,
    "candidate_tenants": 1,  # tenants in which the same domain is a candidate
    "n_queries": None,
    "n_nxdomain": None,
    "n_tunnel_type_queries": None,
    "n_query_names": None,
    "answer_ttl_seconds": None,  # the name's answer TTL from the log (seconds)
    "domain_regular_hosts": None,  # hosts whose series on the domain is regular
    "is_regular_on_popular_domain": None,  # a candidate for being regular on a popular domain
    "campaign_hosts": None,  # hosts a spreading campaign on the domain has reached
    "campaign_since_epoch": None,  # when the tenant first queried the campaign's domain
    "company_probe_beats": None,  # beats checked for company (another site's answered name)
    "company_beats": None,  # of those, beats with company
    "host_company_rate": None,  # chance that a random moment of the host has company
}
#: Candidates handed to a worker at once.
BATCH_SIZE = 250
#: Batches a worker has queued at once: the next is ready when one is done.
IN_FLIGHT = 2
#: prctl(2) option: the signal a process gets when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1
#: BLAS threads a scoring process uses. Each worker already has a core to itself, and on the
#: confirmation's small matrices (STL's, at most 192 x 192) a second BLAS thread costs more CPU
#: than it saves: 95 against 54 microseconds of CPU per decomposition of 192 points.
BLAS_THREADS = 1

#: A candidate's context columns (``CONTEXT_DEFAULTS``) as its warehouse row holds them: Python
#: or NumPy scalars, None when missing; ``Any`` like the untyped frame they come from.
RowContext = dict[str, Any]
#: A series' ``KEY`` values: tenant, host, domain level (None when not given), domain.
SeriesKey = tuple[Any, Any, Any, Any]
Job = tuple[SeriesKey, np.ndarray, RowContext]


def _none(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value


def _match_columns(candidates: pd.DataFrame, events: pd.DataFrame) -> list[str]:
    """The columns their rows are matched on: ``SERIES_ID`` when both frames carry it, else the
    ``KEY`` columns that both carry."""
    if SERIES_ID in candidates and SERIES_ID in events:
        return [SERIES_ID]
    return [c for c in KEY if c in candidates and c in events]


def _record(key: SeriesKey, scored: Record) -> Record:
    """One output row: the series key, then the scores."""
    return dict(zip(KEY, key, strict=True)) | scored


def _with_defaults(candidates: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``candidates`` with every context column, defaulted where missing."""
    cands = candidates.copy()
    for col, default in CONTEXT_DEFAULTS.items():
        if col not in cands:
            cands[col] = default
    return cands


def _series_times(
    cands: pd.DataFrame, events: pd.DataFrame, match: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The events' times ordered by series, and each candidate's slice of them: (times,
    starts, ends), a candidate without events an empty slice.

    Series are matched on integer codes (one factorisation per key column), not on tuples of
    four strings: sorting millions of events by their string keys took longer than scoring
    a tenth of the candidates.
    """
    if match == [SERIES_ID]:  # one integer column: a plain index matches it six times faster
        series: pd.Index = pd.Index(cands[SERIES_ID]).unique()
        of_event = series.get_indexer(events[SERIES_ID])
        of_cand = series.get_indexer(cands[SERIES_ID])
    else:
        series = pd.MultiIndex.from_frame(cands[match]).unique()
        of_event = series.get_indexer(pd.MultiIndex.from_frame(events[match]))
        of_cand = series.get_indexer(pd.MultiIndex.from_frame(cands[match]))
    # stable: a series keeps its events in their order; events of no candidate (-1) go first
    order = np.argsort(of_event, kind="stable")
    times = events["event_epoch"].to_numpy(dtype=float)[order]
    counts = np.bincount(of_event[of_event >= 0], minlength=len(series))
    ends = np.cumsum(counts) + int((of_event < 0).sum())
    return times, (ends - counts)[of_cand], ends[of_cand]


def _keys(cands: pd.DataFrame) -> list[SeriesKey]:
    """Each candidate row's series key; the level None when its frame or row has none."""
    levels = cands["domain_level"] if "domain_level" in cands else [None] * len(cands)
    return [
        (tenant, host, _none(level), domain)
        for tenant, host, level, domain in zip(
            cands.tenant_id, cands.host_id, levels, cands.domain, strict=True
        )
    ]


def _contexts(cands: pd.DataFrame) -> list[RowContext]:
    """Each candidate row's context columns (``CONTEXT_DEFAULTS``), missing values as None,
    read a column at a time (a value at a time costs seconds on a day's candidates)."""
    columns = {
        col: cands[col].astype(object).where(cands[col].notna(), None).tolist()
        for col in CONTEXT_DEFAULTS
    }
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _jobs(candidates: pd.DataFrame, events: pd.DataFrame) -> Iterator[Job]:
    cands = _with_defaults(candidates)
    match = _match_columns(cands, events)
    times, starts, ends = _series_times(cands, events, match)
    for key, s, e, ctx in zip(_keys(cands), starts, ends, _contexts(cands), strict=True):
        yield key, times[s:e], ctx


def _count(value: float | None) -> int | None:
    return None if value is None else int(value)


def _seconds(value: float | None) -> float | None:
    return None if value is None else float(value)


def context(key: SeriesKey, ctx: RowContext) -> Context:
    """The scoring context of one candidate from its (defaulted) context columns."""
    return Context(
        tenant_hosts=int(ctx["tenant_hosts"] or 1),
        domain_hosts=int(ctx["domain_hosts"] or 1),
        first_seen_at=ctx["first_seen_epoch"],
        known_c2_family=ctx["known_c2_family"],
        known_good_reason=ctx["known_good_reason"],
        domain=str(key[3]),
        domain_level=key[2],
        candidate_hosts=int(ctx["candidate_hosts"] or 1),
        candidate_tenants=int(ctx["candidate_tenants"] or 1),
        n_queries=_count(ctx["n_queries"]),
        n_nxdomain=_count(ctx["n_nxdomain"]),
        n_tunnel_type_queries=_count(ctx["n_tunnel_type_queries"]),
        n_query_names=_count(ctx["n_query_names"]),
        answer_ttl_seconds=_seconds(ctx["answer_ttl_seconds"]),
        regular_hosts=_count(ctx["domain_regular_hosts"]),
        on_popular_domain=bool(ctx["is_regular_on_popular_domain"]),
        campaign_hosts=_count(ctx["campaign_hosts"]),
        campaign_since=ctx["campaign_since_epoch"],
        company_probe_beats=_count(ctx["company_probe_beats"]),
        company_beats=_count(ctx["company_beats"]),
        host_company_rate=ctx["host_company_rate"],
    )


def _score_batch(args: tuple[list[Job], float, float, Settings]) -> list[Record]:
    batch, start, end, settings = args
    found = analyze_many(
        [times for _, times, _ in batch],
        start,
        end,
        [ctx["host_active_seconds"] for _, _, ctx in batch],
        merge_seconds=settings.beat_merge_seconds,
    )
    return [
        _record(key, score_candidate(p, context(key, ctx), start, end, settings))
        for (key, _, ctx), p in zip(batch, found, strict=True)
    ]


def _start_worker(parent: int) -> None:
    """A worker's initializer: ``BLAS_THREADS``, and the end of the worker with its parent."""
    threadpool_limits(BLAS_THREADS, user_api="blas")
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """End the worker when the process that started it ends.

    A killed run must not leave workers scoring for nobody (and holding memory). On Linux the
    kernel sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``; the parent is the thread
    that started the pool, which waits for it); elsewhere a thread polls the parent's pid.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # it died before the request took effect
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _by_length(jobs: list[Job]) -> np.ndarray:
    """The jobs' indices, shortest series first.

    Series of about the same length share the shapes whose permutation thresholds and STL maps
    are cached per process (``periodicity._null_threshold``, ``seasonal.stl_maps``), so a
    worker that takes a run of neighbouring batches (``_in_lanes``) computes each shape once.
    """
    return np.argsort([len(times) for _, times, _ in jobs], kind="stable")


def _in_lanes(
    batches: list[tuple[list[Job], float, float, Settings]], workers: int
) -> Iterator[tuple[int, list[Record]]]:
    """Score ``batches`` on ``workers`` processes; yield (batch index, its rows) as each ends.

    Each process works through a lane of neighbouring batches (``_by_length`` sorted them)
    from its start; one whose lane is done takes batches from the end of the longest lane left,
    so the processes finish together and share few shapes. Shared out one batch at a time
    instead, every process meets every shape: on a day of 112,223 candidates the processes
    computed 1,181 permutation thresholds and 320 STL maps that way, and 795 and 173 in lanes
    (785 and 164 distinct).
    """
    bounds = np.linspace(0, len(batches), workers + 1).round().astype(int)
    lanes = [deque(range(a, b)) for a, b in pairwise(bounds)]
    with ExitStack() as stack:
        pools = [
            stack.enter_context(
                ProcessPoolExecutor(1, initializer=_start_worker, initargs=(os.getpid(),))
            )
            for _ in range(workers)
        ]
        running: dict[Future[list[Record]], tuple[int, int]] = {}

        def feed(worker: int) -> None:
            lane = lanes[worker] if lanes[worker] else max(lanes, key=len)
            if lane:
                i = lane.popleft() if lane is lanes[worker] else lane.pop()
                running[pools[worker].submit(_score_batch, batches[i])] = (worker, i)

        for worker in range(workers):
            for _ in range(IN_FLIGHT):
                feed(worker)
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                worker, i = running.pop(future)
                yield i, future.result()
                feed(worker)


def confirm(
    candidates: pd.DataFrame,
    events: pd.DataFrame,
    window_start: float,
    window_end: float,
    workers: int | None = None,
    rotations: bool = True,
    settings: Settings | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Score every candidate over ``[window_start, window_end)`` (epoch seconds) with the
    run's tunables (``settings``; the project's defaults when None). ``progress`` is called
    with the number of candidates scored after each batch.

    With ``rotations``, a host's look-alike rare domains that are not periodic alone are also
    scored together (``confirm.rotation``); members of a periodic group take its result.
    """
    required = [c for c in KEY if c != "domain_level"]
    by_id = _match_columns(candidates, events) == [SERIES_ID]
    missing = [c for c in required if c not in candidates] + [
        c for c in [*([] if by_id else required), "event_epoch"] if c not in events
    ]
    if missing:
        raise ValueError(f"missing columns: {', '.join(sorted(set(missing)))}")
    settings = settings or project_settings()
    jobs = list(_jobs(candidates, events))
    order = _by_length(jobs)
    batches = [
        ([jobs[j] for j in order[i : i + BATCH_SIZE]], window_start, window_end, settings)
        for i in range(0, len(jobs), BATCH_SIZE)
    ]
    workers = workers or min(2, os.cpu_count() or 1)
    parts: list[list[Record]] = [[] for _ in batches]
    with threadpool_limits(BLAS_THREADS, user_api="blas"):
        if workers == 1 or len(batches) <= 1:
            scored: Iterator[tuple[int, list[Record]]] = enumerate(map(_score_batch, batches))
        else:
            scored = _in_lanes(batches, workers)
        for i, part in scored:
            parts[i] = part
            if progress is not None:
                progress(len(part))
        # back in the candidates' order
        rows: list[Record] = [{}] * len(jobs)
        for j, row in zip(order, (row for part in parts for row in part), strict=True):
            rows[j] = row
        if rotations and rows:
            _score_rotations(jobs, rows, window_start, window_end, settings)
    return pd.DataFrame(rows)


def confirm_rotation_pools(
    members: pd.DataFrame,
    events: pd.DataFrame,
    window_start: float,
    window_end: float,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Score each host's rotation pool over ``[window_start, window_end)`` as one series.

    ``members``: one row per series (``KEY``) member of a pool with the optional context
    columns of ``confirm``; ``events``: their beat times (``event_epoch``). Local names
    are left out (they never reach an outside server), and so are members whose beats come with
    other sites' names (``scoring.company_evidence``). The output has one row per member of a
    confirmed pool, scored with the pool's result and naming the other members, in the same
    columns as ``confirm``.
    """
    settings = settings or project_settings()
    cands = _with_defaults(members)
    cands = cands[cands.domain.map(lambda d: local_kind(str(d)) is None).astype(bool)]
    cands = cands.reset_index(drop=True)
    keys, contexts = _keys(cands), _contexts(cands)
    # a member whose beats come with other sites' names is browsing, not taking turns
    browsing = [
        company_evidence(context(key, ctx)) is not None
        for key, ctx in zip(keys, contexts, strict=True)
    ]
    cands = cands[~np.asarray(browsing, dtype=bool)]
    match = _match_columns(cands, events)
    times = {
        key: group.event_epoch.to_numpy(dtype=float)
        for key, group in events.groupby(match, sort=False)
    }
    rows: list[Record] = []
    for _, pool in cands.groupby(["tenant_id", "host_id"], sort=False):
        beats = {
            str(r.domain): times.get(tuple(getattr(r, c) for c in match), np.empty(0))
            for r in pool.itertuples(index=False)
        }
        active = pool.host_active_seconds.max()
        found = rotation.score_pool(
            beats,
            window_start,
            window_end,
            float(active) if pd.notna(active) else None,
            settings.confirm_min_periodicity,
            settings.beat_merge_seconds,
        )
        if found is None:
            continue
        names, p = found
        for i in pool.index[pool.domain.isin(names)]:
            key = keys[i]
            others = tuple(n for n in names if n != key[3])
            ctx_ = replace(context(key, contexts[i]), rotates_with=others)
            rows.append(_record(key, score_candidate(p, ctx_, window_start, window_end, settings)))
    return pd.DataFrame(rows)


def _score_rotations(
    jobs: list[Job], rows: list[Record], start: float, end: float, settings: Settings
) -> None:
    """Replace, in place, the rows of sibling domains whose union is a confirmed beacon."""
    keys = [key for key, _, _ in jobs]
    contexts = [ctx for _, _, ctx in jobs]
    # built a column at a time: a frame from a hundred thousand dicts costs seconds
    members = pd.DataFrame(
        {
            "tenant_id": [key[0] for key in keys],
            "host_id": [key[1] for key in keys],
            "domain": [str(key[3]) for key in keys],
            "domain_level": [key[2] or "query_name" for key in keys],
            "registered_domain": [registered_domain(str(key[3])) for key in keys],
            "periodicity_score": [row["periodicity_score"] for row in rows],
            "domain_hosts": [ctx["domain_hosts"] for ctx in contexts],
            "known_good_reason": [ctx["known_good_reason"] for ctx in contexts],
            "host_active_seconds": [ctx["host_active_seconds"] for ctx in contexts],
            "first_beat": [times.min() if len(times) else None for _, times, _ in jobs],
            "last_beat": [times.max() if len(times) else None for _, times, _ in jobs],
        }
    )
    for group, p in rotation.score_groups(
        members,
        lambda i: jobs[i][1],
        start,
        end,
        settings.confirm_min_periodicity,
        settings.beat_merge_seconds,
    ):
        for i in group:
            key, times, ctx = jobs[i]
            others = tuple(str(members.domain[j]) for j in group if j != i)
            ctx_ = replace(context(key, ctx), rotates_with=others)
            own = float(rows[i]["periodicity_score"])
            if own > p.periodicity_score:  # stronger alone: its own result, the group's evidence
                mine = analyze(
                    times,
                    start,
                    end,
                    active_seconds=ctx["host_active_seconds"],
                    merge_seconds=settings.beat_merge_seconds,
                )
                rows[i] = _record(key, score_candidate(mine, ctx_, start, end, settings))
            else:
                rows[i] = _record(key, score_candidate(p, ctx_, start, end, settings))
