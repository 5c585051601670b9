"""Benchmark `beaconlake run` on one day against the floor an embedded engine sets for the job.

    python benchmarks/bench_run.py --input data/bench     # make bench: the 100-million-event day

In one sitting, each as a child process timed by ``wait4`` (wall, CPU, largest resident
process of its tree):

1. the floor: the field report's stage one (``analysis/field_report_stage_one.sql``, compiled
   by dbt) as one DuckDB query over the same Parquet, with the profile's memory limit and
   threads, materialised into a scratch file;
2. the whole job (``run_pipeline``, what ``beaconlake run`` calls): dbt candidates, the Python
   confirmation, dbt findings marts, into a fresh DuckDB file.

Prints both times and their ratio, peak memory, candidates per second of the confirmation, the
findings by severity and the slowest dbt nodes. The promise measured: the run costs at most
3.5x the floor (stretch 2x), the SQL stage at most 2x. Timings belong here, not in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

from timing import last_json, load_average, timed

from beaconlake import warehouse
from beaconlake.confirm.scoring import SEVERITIES

PROMISE, STRETCH, SQL_PROMISE = 3.5, 2.0, 2.0
ANALYSIS = "field_report_stage_one"

FLOOR = """
import duckdb, json, os, sys
con = duckdb.connect(sys.argv[1])
con.execute(f"set memory_limit = '{os.environ['LIMIT']}'")
con.execute(f"set threads = {int(os.environ['THREADS'])}")
con.execute(f"set temp_directory = '{os.environ['SPILL']}'")
con.execute("create table stage_one as " + open(sys.argv[2]).read())
print(json.dumps({"candidates": con.execute("select count(*) from stage_one").fetchone()[0]}))
"""

RUN = """
import json, sys
from beaconlake.pipeline import run_pipeline
r = run_pipeline(sys.argv[1], db_path=sys.argv[2])
print(json.dumps({
    "events": int(r.event_counts.n_raw.sum()),
    "seconds": r.seconds,
    "candidates": r.confirm.candidates,
    "beats": r.confirm.beats,
    "severities": r.confirm.findings.severity.value_counts().to_dict(),
    "alerts": r.alerts,
    "nodes": r.dbt_nodes,
}))
"""


def compile_floor(glob_text: str, work: Path) -> Path:
    """The floor query, compiled by dbt for DuckDB over ``glob_text``."""
    os.environ["DBT_TARGET_PATH"] = str(work / "compile")
    os.environ["DBT_LOG_PATH"] = str(work / "compile" / "logs")
    with contextlib.redirect_stdout(io.StringIO()):  # dbt prints the compiled query
        done = warehouse.run_dbt(
            ["compile", "--select", ANALYSIS],
            dbt_vars={"raw_dns_glob": glob_text},
            db_path=work / "compile.duckdb",
        )
    if not done.success:
        raise SystemExit(f"dbt compile of {ANALYSIS} failed: {done.error}")
    return work / "compile" / "compiled" / "beaconlake" / "analysis" / f"{ANALYSIS}.sql"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="simulate --out folder or Parquet glob")
    parser.add_argument("--top", type=int, default=12, help="slowest dbt nodes to list")
    args = parser.parse_args()

    glob_text = warehouse.raw_glob(args.input)
    input_path = str(Path(args.input).resolve())
    work = Path(tempfile.mkdtemp(prefix="bench_run_"))
    floor_sql = compile_floor(glob_text, work)
    # the floor gets what the dbt profile gives DuckDB (profiles/profiles.yml's defaults)
    engine = {
        "LIMIT": os.environ.get("BEACONLAKE_DUCKDB_MEMORY_LIMIT", "6GB"),
        "THREADS": os.environ.get("BEACONLAKE_DUCKDB_THREADS", "2"),
        "SPILL": str(work / "floor.spill"),
    }
    load_before = load_average()
    floor = timed(
        [sys.executable, "-c", FLOOR, str(work / "floor.duckdb"), str(floor_sql)],
        {**os.environ, **engine},
        work / "floor.log",
    )
    print(f"floor (one query): {floor.wall:.1f} s", flush=True)
    env = {
        **os.environ,
        "DBT_TARGET_PATH": str(work / "run"),
        "DBT_LOG_PATH": str(work / "run" / "logs"),
        "BEACONLAKE_DUCKDB_TEMP_DIR": str(work / "run.spill"),
    }
    (work / "run").mkdir()
    run = timed(
        [sys.executable, "-c", RUN, input_path, str(work / "run.duckdb")],
        env,
        work / "run.log",
    )
    load_after = load_average()
    floor_out, ran = last_json(floor.log), last_json(run.log)
    seconds = ran["seconds"]
    sql_s = seconds["dbt candidates"] + seconds["dbt findings marts"]
    confirm_s = seconds["confirmation"]
    ratio = run.wall / floor.wall
    verdict = "within" if ratio <= PROMISE else "over"

    print(f"\ninput {glob_text}: {ran['events']:,} events; work folder {work}")
    print(f"load average {load_before} before, {load_after} after (1/5/15 min)\n")
    print("| step | wall s | CPU s | peak GB | note |")
    print("|---|--:|--:|--:|---|")
    print(
        f"| floor: stage one as one DuckDB query | {floor.wall:.1f} | {floor.cpu:.1f} "
        f"| {floor.peak_gb:.2f} | {floor_out['candidates']:,} candidates |"
    )
    print(
        f"| `beaconlake run`, end to end | **{run.wall:.1f}** | {run.cpu:.1f} "
        f"| {run.peak_gb:.2f} | **{ratio:.2f}x the floor** ({verdict} {PROMISE}x; "
        f"stretch {STRETCH}x) |"
    )
    print(
        f"| · dbt candidates | {seconds['dbt candidates']:.1f} | | | "
        f"{ran['candidates']:,} candidates, {ran['beats']:,} beats |"
    )
    print(
        f"| · confirmation | {confirm_s:.1f} | | | "
        f"**{ran['candidates'] / confirm_s:,.0f} candidates/s** |"
    )
    print(f"| · dbt findings marts | {seconds['dbt findings marts']:.1f} | | | |")
    sql_ratio = sql_s / floor.wall
    sql_verdict = "within" if sql_ratio <= SQL_PROMISE else "over"
    print(
        f"| · the SQL stage (both dbt builds) | {sql_s:.1f} | | | "
        f"{sql_ratio:.2f}x the floor ({sql_verdict} {SQL_PROMISE}x) |"
    )
    counts = ran["severities"]
    print(
        "\nfindings: "
        + ", ".join(f"{s} {counts.get(s, 0):,}" for s in reversed(SEVERITIES))
        + f"; {ran['alerts']:,} rows in the alert queue"
    )
    print("\nslowest dbt nodes (s; dbt runs two at a time, so they overlap):\n")
    print("| node | status | s |")
    print("|---|---|--:|")
    for unique_id, status, node_s in sorted(ran["nodes"], key=lambda n: -n[2])[: args.top]:
        print(f"| {unique_id} | {status} | {node_s:.1f} |")


if __name__ == "__main__":
    main()
