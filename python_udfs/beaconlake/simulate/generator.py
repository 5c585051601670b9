"""Generate raw DNS events (the Parquet input contract) and their ground truth.

Hosts are processed in chunks, each chunk in its own seeded random stream, so the output does not
depend on the number of worker processes and memory stays bounded by the chunk size. A chunk
covers the whole time window: human browsing, benign periodic services and C2 beacons of its hosts
are generated, merged, split by UTC day and written as one Parquet file per day
(``events/event_date=YYYY-MM-DD/part-NNNNN.parquet``). This module is that driver and the
writing; what a chunk generates comes from ``human`` (browsing, server lookups) and ``channels``
(benign periodic services, C2 beacons), over the hosts and channels that ``plan`` draws once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from beaconlake.errors import InputError
from beaconlake.ingest.writer import CONTRACT_SCHEMA
from beaconlake.simulate.channels import channel_events
from beaconlake.simulate.events import NXDOMAIN, QUERY_TYPES, RESPONSE_CODES, US, Events
from beaconlake.simulate.human import human_events, ttl_refresh_truth
from beaconlake.simulate.plan import Context, build_context
from beaconlake.simulate.population import DAY
from beaconlake.simulate.scenario import CAMPAIGN_MIN_DAYS, Scenario
from beaconlake.simulate.truth import TRUTH_COLUMNS

#: Target events per chunk; bounds the memory of one worker.
CHUNK_EVENTS = 4_000_000
#: Event-mix key of the browsing and server lookups (``ttl_refresh`` series are part of it).
HUMAN = "human"


def _dict_column(codes: np.ndarray, values: np.ndarray, column: str) -> pa.DictionaryArray:
    """Dictionary-encode ``values[codes]`` keeping only the values used, of the type of the
    contract's ``column``."""
    used, inverse = np.unique(codes, return_inverse=True)
    value_type = CONTRACT_SCHEMA.field(column).type
    return pa.DictionaryArray.from_arrays(
        pa.array(inverse.astype(np.int32)), pa.array(values[used].tolist(), type=value_type)
    )


def write_day(
    ctx: Context, ev: Events, names: np.ndarray, ttls: np.ndarray, day: dt.date, chunk: int
) -> int:
    """Write one day's events; ``ttls`` holds the answer TTL of each of ``names`` (an NXDOMAIN
    answer has none)."""
    pop = ctx.population
    order = np.argsort(ev.t_us, kind="stable")
    ev = ev.take(order)
    ttl = np.where(ev.rcode == NXDOMAIN, np.nan, ttls[ev.name])
    tenants = np.array(pop.tenant_ids, dtype=object)
    columns = {
        "event_time": pa.array(ev.t_us, type=CONTRACT_SCHEMA.field("event_time").type),
        "host_id": _dict_column(ev.host, pop.host_ids, "host_id"),
        "query_name": _dict_column(ev.name, names, "query_name"),
        "tenant_id": _dict_column(pop.tenant[ev.host], tenants, "tenant_id"),
        "query_type": _dict_column(ev.qtype, QUERY_TYPES, "query_type"),
        "response_code": _dict_column(ev.rcode, RESPONSE_CODES, "response_code"),
        "answer_ttl_seconds": pa.array(
            ttl, type=CONTRACT_SCHEMA.field("answer_ttl_seconds").type, from_pandas=True
        ),
    }
    # every column of the input contract, in its order (a missing one fails here)
    table = pa.table({name: columns[name] for name in CONTRACT_SCHEMA.names})
    folder = ctx.out / "events" / f"event_date={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        table, folder / f"part-{chunk:05d}.parquet", compression="zstd", compression_level=1
    )
    return len(ev)


@dataclass
class ChunkResult:
    chunk: int
    human_events: int
    periodic_events: int
    rows_per_day: dict[str, int]
    truth: list[pd.DataFrame]
    active_hosts_per_day: dict[str, int]
    events_by_category: dict[str, int]


def run_chunk(ctx: Context, chunk: int, lo: int, hi: int) -> ChunkResult:
    """Generate and write all events of hosts [lo, hi) over the whole window."""
    rng = np.random.default_rng([ctx.scenario.seed, 0xC0C, chunk])
    hosts = np.arange(lo, hi)
    human = human_events(ctx, rng, hosts)
    periodic, fresh, fresh_ttl, truth, mix = channel_events(ctx, rng, lo, hi)
    truth.append(pd.DataFrame(ttl_refresh_truth(ctx, hosts, human), columns=TRUTH_COLUMNS))
    names = np.concatenate([ctx.names, *fresh]) if fresh else ctx.names
    ttls = np.concatenate([ctx.name_ttl, *fresh_ttl]) if fresh_ttl else ctx.name_ttl
    ev = Events.concat([human, periodic])
    day_us = DAY * US
    day_idx = (ev.t_us - ctx.start_s * US) // day_us
    rows: dict[str, int] = {}
    active: dict[str, int] = {}
    order = np.argsort(day_idx, kind="stable")
    bounds = np.searchsorted(day_idx[order], np.arange(ctx.scenario.days + 1))
    for d in range(ctx.scenario.days):
        sel = order[bounds[d] : bounds[d + 1]]
        if len(sel):
            day = ctx.scenario.start_date + dt.timedelta(days=d)
            rows[day.isoformat()] = write_day(ctx, ev.take(sel), names, ttls, day, chunk)
            active[day.isoformat()] = int(np.unique(ev.host[sel]).size)
    mix = {HUMAN: len(human), **mix}
    return ChunkResult(chunk, len(human), len(periodic), rows, truth, active, mix)


_WORKER_CTX: Context | None = None


def _init_worker(ctx: Context) -> None:
    global _WORKER_CTX  # a process pool's per-worker state: set once, read by _run_in_worker
    _WORKER_CTX = ctx


def _run_in_worker(args: tuple[int, int, int]) -> ChunkResult:
    assert _WORKER_CTX is not None
    return run_chunk(_WORKER_CTX, *args)


def chunks(scenario: Scenario) -> list[tuple[int, int, int]]:
    """(chunk, first host, end host) ranges of about CHUNK_EVENTS events each."""
    per_host = scenario.events_per_host * 1.1 * scenario.days
    size = max(1, int(CHUNK_EVENTS / max(per_host, 1.0)))
    starts = range(0, scenario.hosts, size)
    return [(i, lo, min(lo + size, scenario.hosts)) for i, lo in enumerate(starts)]


@dataclass
class SimulationSummary:
    out: str
    events: int
    human_events: int
    periodic_events: int
    c2_channels: int
    benign_periodic_channels: int
    rows_per_day: dict[str, int]
    #: hosts with at least one event each day, and their sum (the evaluator's alert-load base)
    active_hosts_per_day: dict[str, int]
    host_days: int
    #: events generated per traffic category (``human`` browsing and server lookups, each
    #: benign periodic category, ``c2``), before the split into days
    events_by_category: dict[str, int]
    files: int
    seconds: float
    peak_rss_mb: float
    #: what was asked for and not generated, e.g. campaigns in a window shorter than 3 days
    warnings: list[str] = field(default_factory=list)


def simulate(
    scenario: Scenario,
    out: Path,
    workers: int | None = None,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationSummary:
    """Write the dataset of ``scenario`` under ``out`` and return what was written."""
    started = time.perf_counter()
    events_dir = out / "events"
    if events_dir.exists() and any(events_dir.iterdir()):
        if not overwrite:
            raise InputError(f"{events_dir} is not empty (use --overwrite to replace it)")
        shutil.rmtree(events_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = build_context(scenario, out)
    jobs = chunks(scenario)
    workers = workers or min(2, os.cpu_count() or 1)
    results: list[ChunkResult] = []
    if workers == 1 or len(jobs) == 1:
        for i, job in enumerate(jobs):
            results.append(run_chunk(ctx, *job))
            if progress:
                progress(i + 1, len(jobs))
    else:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(ctx,)) as pool:
            for i, res in enumerate(pool.map(_run_in_worker, jobs)):
                results.append(res)
                if progress:
                    progress(i + 1, len(jobs))
    frames = [f for res in results for f in res.truth if len(f)]
    truth = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TRUTH_COLUMNS)
    truth = truth.sort_values(["tenant_id", "host_id", "channel"], kind="stable")
    truth.to_csv(out / "ground_truth.csv", index=False)
    per_day: dict[str, int] = {}
    active: dict[str, int] = {}
    mix: dict[str, int] = {}
    for res in results:
        for day, n in res.rows_per_day.items():
            per_day[day] = per_day.get(day, 0) + n
        for day, n in res.active_hosts_per_day.items():
            active[day] = active.get(day, 0) + n
        for category, n in res.events_by_category.items():
            mix[category] = mix.get(category, 0) + n
    usage = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    summary = SimulationSummary(
        out=str(out),
        events=sum(per_day.values()),
        human_events=sum(r.human_events for r in results),
        periodic_events=sum(r.periodic_events for r in results),
        c2_channels=int((truth.label == "c2").sum()),
        benign_periodic_channels=int((truth.label != "c2").sum()),
        rows_per_day=dict(sorted(per_day.items())),
        active_hosts_per_day=dict(sorted(active.items())),
        host_days=sum(active.values()),
        events_by_category=dict(sorted(mix.items(), key=lambda kv: -kv[1])),
        files=sum(len(r.rows_per_day) for r in results),
        seconds=round(time.perf_counter() - started, 2),
        peak_rss_mb=round(usage / 1024, 1),
        warnings=_warnings(scenario),
    )
    manifest = {"scenario": _scenario_dict(scenario), "summary": asdict(summary)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return summary


def _warnings(scenario: Scenario) -> list[str]:
    skipped = [
        b.name
        for b in scenario.beacons
        if b.shape == "campaign" and scenario.days < CAMPAIGN_MIN_DAYS
    ]
    if not skipped:
        return []
    return [
        f"campaign families skipped, a campaign needs {CAMPAIGN_MIN_DAYS} days or more: "
        + ", ".join(skipped)
    ]


def _scenario_dict(scenario: Scenario) -> dict[str, object]:
    d = asdict(scenario)
    d["start_date"] = scenario.start_date.isoformat()
    return d
