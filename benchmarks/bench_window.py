"""Benchmark the incremental multi-day window: each new day on top of the history before it.

    python benchmarks/bench_window.py --hosts 2000 --days 7 --input data/bench-window

Simulates the fleet into --input when it holds no events (or always, with --simulate-hosts),
then builds, each as a child process (`beaconlake build --start-date DAY --end-date DAY
--selector candidates`: the models up to the candidates) into
a fresh DuckDB file: the first day alone; every day one at a time on a second file; the last
day alone on a third. Then the confirmation step for the last day on the second file.
With ``--onto DB`` it builds the input's days one at a time on top of an existing warehouse
instead (a history longer than one simulation: ten days of 10,000 hosts are a billion events).
Each step's wall time, CPU time and peak memory (largest resident process of its tree) come
from ``wait4``; per-node times from dbt's ``run_results.json``. The promise measured: the last
day built on top of the days before it costs at most 1.2x that day built alone.
Timings belong here, not in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
from timing import Step, last_json, load_average, node_times, timed

from beaconlake import warehouse

BIN = Path(sys.executable).parent
PROMISE = 1.2
CONFIRM = """
import datetime as dt, json, sys
from beaconlake.pipeline import Window, confirm_window
from beaconlake.store import warehouse_for
day = dt.date.fromisoformat(sys.argv[2])
r = confirm_window(warehouse_for("duckdb", sys.argv[1]), Window(day, day + dt.timedelta(days=1)))
print(json.dumps({"candidates": r.candidates, "beats": r.beats, "findings": len(r.findings)}))
"""
HISTORY = """
import datetime as dt, json, sys
from beaconlake.pipeline import Window
from beaconlake.store import warehouse_for
from beaconlake.store.findings import read_event_counts
wh = warehouse_for("duckdb", sys.argv[1], read_only=True)
counts = read_event_counts(wh, Window(dt.date(1970, 1, 1), dt.date(2999, 1, 1)))
print(json.dumps({"days": len(counts), "events": int(counts.n_raw.sum()),
                  "first": f"{counts.event_date.min():%Y-%m-%d}",
                  "last": f"{counts.event_date.max():%Y-%m-%d}"}))
"""


def build_day(input_path: str, db: Path, day: dt.date, name: str, work: Path) -> Step:
    """`beaconlake build` of one day into ``db``; dbt's target folder is ``work/name``."""
    env = {
        **os.environ,
        "DBT_TARGET_PATH": str(work / name),
        "DBT_LOG_PATH": str(work / name / "logs"),
        "BEACONLAKE_DUCKDB_TEMP_DIR": str(db.with_suffix(".spill")),
    }
    # left as written: each flag beside its value
    command = [
        str(BIN / "beaconlake"), "build", "--input", input_path, "--db", str(db),
        "--start-date", day.isoformat(), "--end-date", day.isoformat(),
        "--selector", "candidates",
    ]  # fmt: skip
    (work / name).mkdir(parents=True, exist_ok=True)
    return timed(command, env, work / name / "build.log")


def events_by_day(glob_text: str) -> Counter[dt.date]:
    """Rows per ``event_date=`` partition, from the Parquet footers."""
    counts: Counter[dt.date] = Counter()
    for f in glob.glob(glob_text, recursive=True):
        match = re.search(r"event_date=(\d{4}-\d{2}-\d{2})", f)
        if match and f.endswith(".parquet"):
            counts[dt.date.fromisoformat(match.group(1))] += pq.read_metadata(f).num_rows
    return counts


def extend(db: Path, input_dir: str, max_days: int) -> None:
    """Build the days of ``input_dir`` one at a time on top of the warehouse ``db`` (a longer
    history than one simulation holds, e.g. a billion events), then confirm the last day."""
    if not db.exists():
        raise SystemExit(f"{db}: no such warehouse")
    glob_text = warehouse.raw_glob(input_dir)
    events = events_by_day(glob_text)
    days = sorted(events)[:max_days]
    if not days:
        raise SystemExit(f"{glob_text}: no events")
    input_path = str(Path(input_dir).resolve())
    work = Path(tempfile.mkdtemp(prefix="bench_window_onto_"))
    print(f"load average {load_average()} before (1/5/15 min)", flush=True)
    steps = []
    for day in days:
        steps.append(build_day(input_path, db, day, f"onto-{day}", work))
        print(f"built {day} on {db}: {steps[-1].wall:.1f} s", flush=True)
    confirm_log = work / "confirm.log"
    confirmed = timed(
        [sys.executable, "-c", CONFIRM, str(db), days[-1].isoformat()],
        dict(os.environ),
        confirm_log,
    )
    counts = last_json(confirm_log)
    history = timed([sys.executable, "-c", HISTORY, str(db)], dict(os.environ), work / "h.log")
    held = last_json(history.log)
    print(f"load average {load_average()} after; work folder {work}\n")
    print("| day | events | wall s | CPU s | peak GB |")
    print("|---|--:|--:|--:|--:|")
    for day, step in zip(days, steps, strict=True):
        print(f"| {day} | {events[day]:,} | {step.wall:.1f} | {step.cpu:.1f} ", end="")
        print(f"| {step.peak_gb:.2f} |")
    print(
        f"| {days[-1]}: confirm | {counts['candidates']:,} candidates | {confirmed.wall:.1f} "
        f"| {confirmed.cpu:.1f} | {confirmed.peak_gb:.2f} |"
    )
    print(
        f"\n{db}: {held['days']} days, {held['events']:,} raw events "
        f"({held['first']} .. {held['last']}), {db.stat().st_size / 1e9:.1f} GB on disk"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="simulate --out folder")
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument(
        "--simulate-hosts", action="store_true", help="simulate even if --input holds events"
    )
    parser.add_argument(
        "--onto",
        type=Path,
        help="an incremental warehouse of earlier days: build --input's days on top of it, "
        "one at a time (no alone builds), and confirm the last",
    )
    args = parser.parse_args()
    if args.onto:
        extend(args.onto, args.input, args.days)
        return

    glob_text = warehouse.raw_glob(args.input)
    if args.simulate_hosts or not events_by_day(glob_text):
        # left as written: each flag beside its value
        subprocess.run(
            [
                str(BIN / "beaconlake"), "simulate", "--out", args.input,
                "--hosts", str(args.hosts), "--days", str(args.days), "--tenants", "3",
                "--seed", "1", "--start-date", "2026-03-02", "--overwrite",
            ],
            check=True,
        )  # fmt: skip
        glob_text = warehouse.raw_glob(args.input)
    events = events_by_day(glob_text)
    days = sorted(events)[: args.days]
    if len(days) < 2:
        raise SystemExit(f"{glob_text}: {len(days)} day(s); the benchmark needs at least 2")
    first, last = days[0], days[-1]
    input_path = str(Path(args.input).resolve())
    work = Path(tempfile.mkdtemp(prefix="bench_window_"))
    load_before = os.getloadavg()

    rows: list[tuple[str, dt.date, Step]] = []
    rows.append(
        (
            "alone",
            first,
            build_day(input_path, work / "alone_first.duckdb", first, "alone_first", work),
        )
    )
    print(f"built {first} alone: {rows[-1][2].wall:.1f} s", flush=True)
    incremental = work / "incremental.duckdb"
    for i, day in enumerate(days, 1):
        rows.append(("incremental", day, build_day(input_path, incremental, day, f"day{i}", work)))
        print(f"built {day} incrementally: {rows[-1][2].wall:.1f} s", flush=True)
    last_incremental = rows[-1][2]
    last_alone = build_day(input_path, work / "alone_last.duckdb", last, "alone_last", work)
    rows.append(("alone", last, last_alone))
    confirm_log = work / "confirm.log"
    confirmed = timed(
        [sys.executable, "-c", CONFIRM, str(incremental), last.isoformat()],
        dict(os.environ),
        confirm_log,
    )
    counts = last_json(confirm_log)
    load_after = os.getloadavg()

    print(
        f"\ninput {glob_text}: {sum(events[d] for d in days):,} events, "
        f"{first} .. {last} ({len(days)} days); work folder {work}"
    )
    print(
        f"load average {'/'.join(f'{x:.2f}' for x in load_before)} before, "
        f"{'/'.join(f'{x:.2f}' for x in load_after)} after (1/5/15 min)\n"
    )
    print("| day | build | events | wall s | CPU s | peak GB | incremental / alone |")
    print("|---|---|--:|--:|--:|--:|---|")
    for kind, day, step in rows:
        ratio = ""
        if kind == "incremental" and day == last:
            wall_x, cpu_x = step.wall / last_alone.wall, step.cpu / last_alone.cpu
            verdict = "within" if wall_x <= PROMISE else "over"
            ratio = f"wall {wall_x:.2f}x, CPU {cpu_x:.2f}x ({verdict} {PROMISE}x)"
        print(
            f"| {day} | {kind} | {events[day]:,} | {step.wall:.1f} | {step.cpu:.1f} "
            f"| {step.peak_gb:.2f} | {ratio} |"
        )
    print(
        f"| {last} | confirm, incremental file | {events[last]:,} | {confirmed.wall:.1f} "
        f"| {confirmed.cpu:.1f} | {confirmed.peak_gb:.2f} | {counts['candidates']:,} candidates, "
        f"{counts['findings']:,} findings |"
    )

    alone_nodes, incremental_nodes = node_times(last_alone), node_times(last_incremental)
    nodes = sorted(incremental_nodes.items(), key=lambda kv: -kv[1][1])[:10]
    print(f"\nslowest nodes of the incremental build of {last} (s):\n")
    print("| node | status | incremental s | alone s |")
    print("|---|---|--:|--:|")
    for unique_id, (status, seconds) in nodes:
        alone = alone_nodes.get(unique_id)
        alone_s = f"{alone[1]:.2f}" if alone else ""
        print(f"| {unique_id} | {status} | {seconds:.2f} | {alone_s} |")
    # dbt runs nodes two at a time: the sum is work done, not the build's wall time
    total = sum(s for _, s in incremental_nodes.values())
    total_alone = sum(s for _, s in alone_nodes.values())
    print(f"| all {len(incremental_nodes)} nodes (sum) | | {total:.2f} | {total_alone:.2f} |")


if __name__ == "__main__":
    main()
