"""Confirm many candidates at once: group their event times, score them on worker processes.

Inputs are plain DataFrames so any warehouse can feed them: ``candidates`` with one row per
(tenant_id, host_id, domain) and optional context columns, ``events`` with the same keys and
``event_epoch`` (seconds). The output has one row per candidate with every sub-score.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from beaconlake.confirm.periodicity import analyze
from beaconlake.confirm.scoring import Context, score_candidate

KEY = ["tenant_id", "host_id", "domain"]
#: Optional candidate columns and the value used when a warehouse does not provide them.
CONTEXT_DEFAULTS: dict[str, object] = {
    "tenant_hosts": 1,
    "domain_hosts": 1,
    "first_seen_epoch": None,
    "known_c2_family": None,
    "known_good_reason": None,
    "host_active_seconds": None,
}
#: Candidates handed to a worker at once.
BATCH_SIZE = 250

Job = tuple[tuple[str, str, str], np.ndarray, dict[str, object]]


def _none(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value


def _jobs(candidates: pd.DataFrame, events: pd.DataFrame) -> Iterator[Job]:
    cands = candidates.copy()
    for col, default in CONTEXT_DEFAULTS.items():
        if col not in cands:
            cands[col] = default
    events = events.sort_values(KEY, kind="stable")
    keys = events[KEY].to_numpy()
    times = events["event_epoch"].to_numpy(dtype=float)
    if len(keys):
        change = np.flatnonzero((keys[1:] != keys[:-1]).any(axis=1)) + 1
        starts = np.concatenate(([0], change))
        ends = np.concatenate((change, [len(keys)]))
        spans = {tuple(keys[s]): (s, e) for s, e in zip(starts, ends, strict=True)}
    else:
        spans = {}
    for row in cands.itertuples(index=False):
        key = (row.tenant_id, row.host_id, row.domain)
        s, e = spans.get(key, (0, 0))
        ctx = {col: _none(getattr(row, col)) for col in CONTEXT_DEFAULTS}
        yield key, times[s:e], ctx


def _score(job: Job, start: float, end: float) -> dict[str, object]:
    key, times, ctx = job
    p = analyze(times, start, end, active_seconds=ctx["host_active_seconds"])  # type: ignore[arg-type]
    context = Context(
        tenant_hosts=int(ctx["tenant_hosts"] or 1),  # type: ignore[call-overload]
        domain_hosts=int(ctx["domain_hosts"] or 1),  # type: ignore[call-overload]
        first_seen_at=ctx["first_seen_epoch"],  # type: ignore[arg-type]
        known_c2_family=ctx["known_c2_family"],  # type: ignore[arg-type]
        known_good_reason=ctx["known_good_reason"],  # type: ignore[arg-type]
    )
    return {"tenant_id": key[0], "host_id": key[1], "domain": key[2],
            **score_candidate(p, context, start, end)}  # fmt: skip


def _score_batch(args: tuple[list[Job], float, float]) -> list[dict[str, object]]:
    batch, start, end = args
    return [_score(job, start, end) for job in batch]


def confirm(
    candidates: pd.DataFrame,
    events: pd.DataFrame,
    window_start: float,
    window_end: float,
    workers: int | None = None,
) -> pd.DataFrame:
    """Score every candidate over ``[window_start, window_end)`` (epoch seconds)."""
    missing = [c for c in KEY if c not in candidates] + [
        c for c in [*KEY, "event_epoch"] if c not in events
    ]
    if missing:
        raise ValueError(f"missing columns: {', '.join(sorted(set(missing)))}")
    jobs = list(_jobs(candidates, events))
    batches = [
        (jobs[i : i + BATCH_SIZE], window_start, window_end)
        for i in range(0, len(jobs), BATCH_SIZE)
    ]
    workers = workers or min(2, os.cpu_count() or 1)
    if workers == 1 or len(batches) <= 1:
        rows = [r for b in batches for r in _score_batch(b)]
    else:
        with ProcessPoolExecutor(workers) as pool:
            rows = [r for part in pool.map(_score_batch, batches) for r in part]
    return pd.DataFrame(rows)
