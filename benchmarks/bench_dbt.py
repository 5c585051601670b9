"""Benchmark `dbt build` on one input: events/s, wall time per model, peak memory, reduction.

    python benchmarks/bench_dbt.py --input /tmp/sim100m            # an existing simulation
    python benchmarks/bench_dbt.py --simulate-hosts 10000 --input /tmp/sim100m   # simulate first

dbt runs as a child process (so its peak resident memory is measured by
``getrusage(RUSAGE_CHILDREN)``) into a fresh DuckDB file; per-node times come from
``target/run_results.json``. Timings belong here, not in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from beaconlake import project, warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="simulate --out folder or Parquet glob")
    parser.add_argument("--db", help="DuckDB file (default: a fresh temporary file)")
    parser.add_argument("--simulate-hosts", type=int, help="run `beaconlake simulate` first")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    bin_dir = Path(sys.executable).parent
    if args.simulate_hosts:
        subprocess.run(
            [
                str(bin_dir / "beaconlake"),
                "simulate",
                "--out",
                args.input,
                "--hosts",
                str(args.simulate_hosts),
                "--seed",
                str(args.seed),
                "--overwrite",
            ],
            check=True,
        )
    root = project.project_dir()
    work = Path(tempfile.mkdtemp(prefix="bench_dbt_"))
    db = Path(args.db) if args.db else work / "bench.duckdb"
    db.unlink(missing_ok=True)
    glob = warehouse.raw_glob(args.input)
    env = {
        **os.environ,
        "BEACONLAKE_DUCKDB_PATH": str(db),
        "BEACONLAKE_DUCKDB_TEMP_DIR": str(work / "spill"),
    }
    command = [
        str(bin_dir / "dbt"),
        "build",
        "--project-dir",
        str(root),
        "--profiles-dir",
        str(root / "profiles"),
        "--target-path",
        str(work / "target"),
        "--selector",  # the SQL stage: raw events to candidates
        "candidates",
        "--vars",
        json.dumps({"raw_dns_glob": glob}),
    ]
    load_before = os.getloadavg()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True)
    wall = time.perf_counter() - started
    load_after = os.getloadavg()
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB on Linux
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-2000:])
        raise SystemExit("dbt build failed")

    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    with duckdb.connect(str(db), read_only=True) as con:
        [(n_raw,)] = con.execute(f"select count(*) from read_parquet('{glob}')").fetchall()
        [(n_candidates,)] = con.execute("select count(*) from fct_beacon_candidates").fetchall()
        [(n_profiled,)] = con.execute("select count(*) from int_dns_pair_profiles").fetchall()
    print(f"input            {glob}")
    print(f"raw events       {n_raw:,}")
    print(f"wall time        {wall:,.1f} s  ({n_raw / wall:,.0f} events/s)")
    print(f"peak memory      {peak_gb:,.2f} GB (largest child RSS)")
    # The machine is shared: timings mean little without the load they ran under.
    print(
        f"load average     {'/'.join(f'{x:.2f}' for x in load_before)} before, "
        f"{'/'.join(f'{x:.2f}' for x in load_after)} after (1/5/15 min)"
    )
    print(f"profiled pairs   {n_profiled:,}")
    print(f"candidates       {n_candidates:,}  (reduction {n_raw / max(n_candidates, 1):,.0f}x)")
    print("slowest nodes (s):")
    for r in sorted(results, key=lambda r: -r["execution_time"])[:15]:
        print(f"  {r['execution_time']:8.1f}  {r['status']:<7} {r['unique_id']}")


if __name__ == "__main__":
    main()
