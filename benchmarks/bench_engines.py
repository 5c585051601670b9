"""Benchmark the two engines: Trino's start-up, and the same `dbt build` on DuckDB and on Trino.

    python benchmarks/bench_engines.py --input data/bench_engines --simulate-hosts 500 --days 2 \
        --events-per-host 2000
    python benchmarks/bench_engines.py --input data/bench_engines --cold    # + a cold start

Start-up: `trino/server.sh up` in a fresh run folder on a spare port (`--startup-port`), with
the shared download cache (warm: unpack nothing, download nothing) and, with `--cold`, with an
empty cache too (download from Maven Central, unpack, start); both servers are stopped after.
Build: `beaconlake build` of every model, seed and test over the whole input, as a child
process (dbt's start-up and parse included), into a fresh DuckDB file and into a fresh schema
of the Trino server at BEACONLAKE_TRINO_HOST/PORT (127.0.0.1:8089; started for the run and
stopped after when none answers). Timings belong here, not in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "trino" / "server.sh"


def _server(command: str, env: dict[str, str]) -> float:
    """Run `trino/server.sh COMMAND`; return its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(["bash", str(SERVER), command], env=env, check=True)
    return time.perf_counter() - started


def startup_seconds(port: int, cold: bool) -> float:
    """Wall time of `server.sh up` (until `select 1` answers) in a throw-away run folder."""
    work = Path(tempfile.mkdtemp(prefix="bench_trino_"))
    env = {**os.environ, "TRINO_PORT": str(port), "BEACONLAKE_TRINO_HOME": str(work / "run")}
    if cold:
        env["BEACONLAKE_CACHE"] = str(work / "cache")
    try:
        return _server("up", env)
    finally:
        _server("down", env)
        shutil.rmtree(work, ignore_errors=True)


def _answers(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/v1/info", timeout=3) as r:
            return not json.load(r).get("starting", True)
    except OSError:
        return False


def build_seconds(input_path: str, target: str, env: dict[str, str]) -> float:
    """Wall time of `beaconlake build --selector candidates` (the SQL stage, which both
    engines run in dbt) over the whole input on one target."""
    beaconlake = Path(sys.executable).parent / "beaconlake"
    # left as written: each flag beside its value
    command = [str(beaconlake), "build", "--input", input_path, "--target", target,
               "--selector", "candidates"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"dbt build on {target} failed")
    return seconds


def _events(input_path: str) -> int:
    import glob

    import pyarrow.parquet as pq

    from beaconlake import warehouse

    files = glob.glob(warehouse.raw_glob(input_path), recursive=True)
    return sum(pq.read_metadata(f).num_rows for f in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="simulate --out folder")
    parser.add_argument("--simulate-hosts", type=int, help="run `beaconlake simulate` first")
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--events-per-host", type=float, help="simulate's default when absent")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cold", action="store_true", help="also time a cold-cache start")
    parser.add_argument("--startup-port", type=int, default=8091)
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args()

    if args.simulate_hosts:
        # left as written: each flag beside its value
        subprocess.run(
            [
                str(Path(sys.executable).parent / "beaconlake"), "simulate",
                "--out", args.input, "--hosts", str(args.simulate_hosts),
                "--days", str(args.days), "--seed", str(args.seed), "--overwrite",
                *(["--events-per-host", str(args.events_per_host)] if args.events_per_host else []),
            ],
            check=True,
        )  # fmt: skip
    input_path = str(Path(args.input).resolve())
    print(f"input: {input_path}, {_events(input_path):,} events", flush=True)

    if not args.skip_startup:
        warm = startup_seconds(args.startup_port, cold=False)
        print(f"trino start-up, downloads cached: {warm:.1f} s", flush=True)
        if args.cold:
            cold = startup_seconds(args.startup_port, cold=True)
            print(f"trino start-up, empty cache (download + unpack + start): {cold:.1f} s")

    work = Path(tempfile.mkdtemp(prefix="bench_engines_"))
    env = {
        **os.environ,
        "BEACONLAKE_DUCKDB_PATH": str(work / "bench.duckdb"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    duckdb_s = build_seconds(input_path, "duckdb", env)
    print(f"dbt build on duckdb: {duckdb_s:.1f} s", flush=True)

    host = os.environ.get("BEACONLAKE_TRINO_HOST", "127.0.0.1")
    port = int(os.environ.get("BEACONLAKE_TRINO_PORT", "8089"))
    server_env = {**os.environ, "TRINO_PORT": str(port)}
    started_here = not _answers(host, port)
    if started_here:  # its Hive catalog confined to the folder holding the input
        server_env["BEACONLAKE_TRINO_LOCAL_ROOT"] = str(Path(input_path).parent)
        _server("up", server_env)
    lake = subprocess.run(
        ["bash", str(SERVER), "lake"], env=server_env, capture_output=True, text=True, check=True
    ).stdout.strip()
    if not Path(input_path).is_relative_to(lake):
        sys.exit(f"the running Trino server reads only {lake}; {input_path} is outside it")
    env["BEACONLAKE_TRINO_LOCAL_ROOT"] = lake
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    env.update(
        BEACONLAKE_TRINO_HOST=host, BEACONLAKE_TRINO_PORT=str(port), BEACONLAKE_TRINO_SCHEMA=schema
    )
    try:
        trino_s = build_seconds(input_path, "trino", env)
        print(f"dbt build on trino: {trino_s:.1f} s ({trino_s / duckdb_s:.1f}x duckdb)")
    finally:
        import trino

        from beaconlake.project import marts_schema

        conn = trino.dbapi.connect(host=host, port=port, user="beaconlake")
        for catalog in ("iceberg", "hive"):
            for name in (schema, marts_schema(schema)):
                conn.cursor().execute(f"drop schema if exists {catalog}.{name} cascade").fetchall()
        conn.close()
        if started_here:
            _server("down", server_env)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
